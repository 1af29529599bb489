//! An open connection to a tenant (or the sandbox) with its catalog, fetched once per run.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};

use crate::catalog::{Catalog, Columns};
use crate::client::{Client, Credential, Secret, Target};
use crate::config::ProjectConfig;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::manifest::{Manifest, Report};
use crate::observe::{self, Observed};
use crate::plan::{self, Conflict, Plan, PlanOptions};
use crate::plan_json::TargetInfo;
use crate::progress::Progress;
use crate::resolve::{self, FieldNames, Identity, ResolvedObject};
use crate::select::Selection;
use crate::settings::{Connection, ConnectionSettings};
use crate::sim::{Credentials, SimConfig, SimServer};

/// A client, the tenant's catalog, and the sandbox server when there is one.
pub struct Session {
    client: Client,
    catalog: Catalog,
    // Kept alive for the session; dropping it stops the embedded simulator.
    sandbox: Option<SimServer>,
}

impl Session {
    /// Connects (starting the sandbox if asked) and fetches the catalog.
    pub async fn open(settings: ConnectionSettings) -> Result<Session> {
        let (target, credential, sandbox) = match settings.connection {
            Connection::Remote { target, credential } => (target, credential, None),
            Connection::Sandbox {
                state_file,
                dialect,
            } => {
                let token = crate::sim::generate_token();
                let mut config = SimConfig::new(Credentials {
                    token: Some(token.clone()),
                    ..Credentials::default()
                });
                config.state_file = Some(state_file.clone());
                let server = SimServer::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                    .map_err(|error| {
                    Error::caused_by(
                        format!(
                            "cannot start the sandbox (state in `{}`)",
                            state_file.display()
                        ),
                        &error,
                    )
                })?;
                let target = crate::client::target::resolve(&server.url(), Some(dialect))
                    .map_err(|error| Error::message(error.to_string()))?;
                tracing::info!(
                    "sandbox listening on {} (state in {})",
                    server.url(),
                    state_file.display()
                );
                let credential = Credential::Bearer {
                    token: Secret::new(token),
                    source: "the sandbox".into(),
                };
                (target, credential, Some(server))
            }
        };
        let client = Client::new(target, credential, settings.endpoints, settings.client)?;
        let (templates, incident_columns, triage_columns) = tokio::try_join!(
            client.templates(),
            client.columns(Kind::Incident),
            client.columns(Kind::TriageItem),
        )?;
        tracing::debug!(
            "catalog: {} templates, {} incident columns, {} triage columns ({} requests)",
            templates.len(),
            incident_columns.len(),
            triage_columns.len(),
            client.request_count()
        );
        Ok(Session {
            client,
            catalog: Catalog {
                templates,
                incident_columns: Columns::new(incident_columns),
                triage_columns: Columns::new(triage_columns),
            },
            sandbox,
        })
    }

    /// The HTTP client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Where the session is connected.
    pub fn target(&self) -> &Target {
        self.client.target()
    }

    /// Where the session is connected, as plan files record it.
    pub fn target_info(&self) -> TargetInfo {
        let target = self.client.target();
        TargetInfo {
            url: target.base_url().to_string(),
            dialect: target.dialect,
            sandbox: self.sandbox.is_some(),
        }
    }

    /// The tenant's catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The identity fields `soarform.yaml` names (or the defaults), found in the catalog.
    pub fn identity(&self, config: &ProjectConfig) -> Result<Identity> {
        Identity::resolve(
            &self.catalog,
            config.identity.incident.as_deref(),
            config.identity.triage.as_deref(),
        )
        .map_err(|message| Error::with_hint(message, "fix `identity:` in soarform.yaml"))
    }

    /// `ignore_changes` and `sensitive_fields` of `soarform.yaml`, resolved against the catalog.
    pub fn plan_options(&self, config: &ProjectConfig, identity: &Identity) -> Result<PlanOptions> {
        let ignore_changes = FieldNames::resolve(
            "ignore_changes",
            &config.ignore_changes,
            &self.catalog,
            identity,
        );
        let sensitive = FieldNames::resolve(
            "sensitive_fields",
            &config.sensitive_fields,
            &self.catalog,
            identity,
        );
        match (ignore_changes, sensitive) {
            (Ok(ignore_changes), Ok(sensitive)) => Ok(PlanOptions {
                ignore_changes,
                sensitive,
            }),
            (first, second) => {
                let mut diagnostics = first.err().unwrap_or_default();
                diagnostics.extend(second.err().unwrap_or_default());
                Err(Error::Diagnostics(Report {
                    diagnostics,
                    sources: config.sources.clone(),
                }))
            }
        }
    }

    /// Checks every desired object against the catalog; all problems are reported at once.
    pub fn resolve(
        &self,
        manifest: &Manifest,
        identity: &Identity,
        sensitive: &FieldNames,
    ) -> Result<Vec<ResolvedObject>> {
        resolve::resolve(&manifest.objects, &self.catalog, identity, sensitive).map_err(
            |diagnostics| {
                Error::Diagnostics(Report {
                    diagnostics,
                    sources: manifest.sources.clone(),
                })
            },
        )
    }

    /// Reads the live objects carrying `keys` (per kind: identity field, keys, columns to read) with
    /// batched searches.
    pub async fn observe(&self, wanted: &[ObserveRequest]) -> Result<Observed> {
        let before = self.client.request_count();
        let mut observed = Observed::default();
        let mut count = 0;
        let per_search = observe::keys_per_search(self.client.options().page_size);
        let searches: usize = wanted
            .iter()
            .map(|request| request.keys.len().div_ceil(per_search))
            .sum();
        let progress = Progress::new("searches", searches as u64);
        for request in wanted {
            if request.keys.is_empty() {
                continue;
            }
            count += request.keys.len();
            let keys: Vec<&str> = request.keys.iter().map(String::as_str).collect();
            let columns: Vec<String> = request.columns.iter().cloned().collect();
            observe::observe(
                &self.client,
                request.kind,
                &request.identity_field,
                &keys,
                &columns,
                &mut observed,
                &progress,
            )
            .await?;
        }
        progress.finish();
        tracing::debug!(
            "observed state of {count} objects in {} requests",
            self.client.request_count() - before
        );
        Ok(observed)
    }

    /// Resolves the manifest against the catalog, reads the selected objects by key, and compares.
    ///
    /// Every declared object is checked against the catalog, selected or not, as `validate` would.
    pub async fn plan(
        &self,
        manifest: &Manifest,
        config: &ProjectConfig,
        selection: &Selection,
    ) -> Result<Planned> {
        let identity = self.identity(config)?;
        let options = self.plan_options(config, &identity)?;
        let mut desired = self.resolve(manifest, &identity, &options.sensitive)?;
        let declared = desired.len();
        desired.retain(|object| selection.matches(object.kind, &object.key));
        let requests: Vec<ObserveRequest> = Kind::ALL
            .into_iter()
            .map(|kind| {
                let objects = desired.iter().filter(|object| object.kind == kind);
                ObserveRequest {
                    kind,
                    identity_field: identity.column(kind).field.clone(),
                    keys: objects.clone().map(|object| object.key.clone()).collect(),
                    columns: objects
                        .flat_map(|object| {
                            object.fields.iter().map(|field| field.column.field.clone())
                        })
                        .collect(),
                }
            })
            .collect();
        let observed = self.observe(&requests).await?;
        let plan = plan::compute(&desired, &observed, &identity, &self.catalog, &options)
            .map_err(conflict_error)?;
        Ok(Planned { plan, declared })
    }
}

/// What to read for one kind.
#[derive(Debug, Clone)]
pub struct ObserveRequest {
    /// Incident or triage item.
    pub kind: Kind,
    /// The API name of the field holding keys.
    pub identity_field: String,
    /// The keys to look for.
    pub keys: BTreeSet<String>,
    /// The API names of the fields to read.
    pub columns: BTreeSet<String>,
}

/// A plan and how many objects the files declare (the plan holds only the selected ones).
#[derive(Debug, Clone)]
pub struct Planned {
    /// The plan of the selected objects.
    pub plan: Plan,
    /// How many objects the files declare.
    pub declared: usize,
}

/// The error for keys carried by more than one live object.
pub fn conflict_error(conflicts: Vec<Conflict>) -> Error {
    let mut message = String::from("some keys match more than one live object");
    for conflict in &conflicts {
        message.push_str("\n  ");
        message.push_str(&conflict.to_string());
    }
    Error::with_hint(
        message,
        "soarform never guesses: clear the identity field of the duplicates you do not want managed, then plan again",
    )
}
