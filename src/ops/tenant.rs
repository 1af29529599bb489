//! An open connection to a tenant (or the sandbox) with its catalog, fetched once per run: the
//! only state operations share. What to make of soarform.yaml against that catalog is
//! [`rules`](super::rules)' business, not the handle's.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use super::rules;
use crate::catalog::{Catalog, Columns};
use crate::client::{Client, ClientOptions, Credential, Endpoints, RemoteObject, Secret, Target};
use crate::dates::DateSettings;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::observe;
use crate::plan::{Closing, Ownership};
use crate::plan_json::TargetInfo;
use crate::printer::Progress;
use crate::remote::Observed;
use crate::resolve::Identity;
use crate::select::Scope;
use crate::sim::{Credentials, SimConfig, SimServer};

/// Where to connect and with what.
#[derive(Debug, Clone)]
pub(crate) enum Connection {
    /// The embedded simulator on a loopback port, its state in a file.
    Sandbox {
        /// The sandbox's state file.
        state_file: PathBuf,
        /// Which base path the client uses against it.
        dialect: Dialect,
    },
    /// A real tenant (or a proxy, or a standalone simulator).
    Remote {
        /// URL and dialect.
        target: Target,
        /// The credential.
        credential: Credential,
    },
}

/// Everything a networked command needs to open a session.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionSettings {
    pub connection: Connection,
    pub endpoints: Endpoints,
    pub client: ClientOptions,
    /// How the tenant shows dates, for the catalog's columns.
    pub dates: Arc<DateSettings>,
}

/// The tenant handle: a client, the tenant's catalog, and the sandbox server when there is one.
pub(crate) struct Tenant {
    client: Client,
    catalog: Catalog,
    // Kept alive for the session; dropping it stops the embedded simulator.
    sandbox: Option<SimServer>,
}

/// A client connected to a tenant (or the started sandbox), before anything is read: for
/// `soarform doctor`, which reads the catalog step by step.
pub(crate) struct Connected {
    /// The HTTP client.
    pub client: Client,
    /// The embedded simulator, kept alive as long as this.
    pub sandbox: Option<SimServer>,
}

impl Connected {
    /// Makes the client (starting the sandbox if asked); sends nothing to a remote tenant.
    pub(crate) fn new(settings: &ConnectionSettings) -> Result<Connected> {
        let (target, credential, sandbox) = match settings.connection.clone() {
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
        let client = Client::new(
            target,
            credential,
            settings.endpoints.clone(),
            settings.client.clone(),
        )?;
        Ok(Connected { client, sandbox })
    }
}

impl Tenant {
    /// Connects (starting the sandbox if asked) and fetches the catalog.
    pub(crate) async fn open(settings: ConnectionSettings) -> Result<Tenant> {
        let Connected { client, sandbox } = Connected::new(&settings)?;
        // A slow tenant shows progress from the first request on.
        let progress = Progress::new("catalog reads", 3);
        let (templates, incident_columns, triage_columns) = tokio::try_join!(
            async {
                let read = client.templates().await;
                progress.step();
                read
            },
            async {
                let read = client.columns(Kind::Incident).await;
                progress.step();
                read
            },
            async {
                let read = client.columns(Kind::TriageItem).await;
                progress.step();
                read
            },
        )?;
        progress.finish();
        tracing::debug!(
            "catalog: {} templates, {} incident columns, {} triage columns ({} requests)",
            templates.len(),
            incident_columns.len(),
            triage_columns.len(),
            client.request_count()
        );
        let catalog = Catalog {
            templates,
            incident_columns: Columns::with_dates(incident_columns, &settings.dates),
            triage_columns: Columns::with_dates(triage_columns, &settings.dates),
        };
        for kind in Kind::ALL {
            client.learn_columns(kind, catalog.columns(kind));
        }
        Ok(Tenant {
            client,
            catalog,
            sandbox,
        })
    }

    /// The HTTP client.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Where the session is connected.
    pub(crate) fn target(&self) -> &Target {
        self.client.target()
    }

    /// Where the session is connected, as plan files record it.
    pub(crate) fn target_info(&self) -> TargetInfo {
        let target = self.client.target();
        TargetInfo {
            url: target.base_url().to_string(),
            dialect: target.dialect,
            sandbox: self.sandbox.is_some(),
        }
    }

    /// The tenant's catalog.
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Whether this is the embedded sandbox (which one process owns: no lease needed).
    pub(crate) fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// Tells the client the identity fields, for its page-size discovery.
    pub(crate) fn learn_identity(&self, identity: &Identity) {
        for kind in Kind::ALL {
            self.client
                .set_identity_field(kind, &identity.column(kind).field);
        }
    }

    /// Reads the live objects carrying `keys` (per kind: identity field, keys, columns to read) with
    /// batched searches.
    pub(crate) async fn observe(&self, wanted: &[ObserveRequest]) -> Result<Observed> {
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

    /// The live objects whose key starts with the literal prefix of a `prune_scope` pattern, read
    /// with the fields retirement needs.
    pub(crate) async fn in_scope(
        &self,
        scope: &Scope,
        identity: &Identity,
        ownership: &Ownership,
        closing: &[Option<Closing>],
        lock: &crate::config::LockConfig,
    ) -> Result<Vec<(Kind, RemoteObject)>> {
        let mut found = Vec::new();
        for (index, kind) in Kind::ALL.into_iter().enumerate() {
            let prefixes = scope.prefixes(kind);
            if prefixes.is_empty() {
                continue;
            }
            let field = &identity.column(kind).field;
            let prefixes: Vec<&str> = prefixes.iter().map(String::as_str).collect();
            let filter = self.client.filter(kind, field, &prefixes, true);
            let mut columns = vec![field.clone()];
            columns.extend(ownership.column(kind).map(|column| column.field.clone()));
            if let Some(Some(closing)) = closing.get(index) {
                columns.push(closing.status.field.clone());
                columns.extend(closing.note.as_ref().map(|(field, _)| field.field.clone()));
            }
            let mut objects = self.client.search(kind, &filter, &columns).await?;
            // The apply lease (and each shard's) is soarform's bookkeeping: never retired.
            objects.retain(|object| {
                !object
                    .fields
                    .get(field)
                    .and_then(|value| value.as_str())
                    .is_some_and(|key| rules::is_lease_key(lock, kind, key))
            });
            tracing::debug!(
                "prune scope: {} {}s under {} prefixes",
                objects.len(),
                kind.noun(),
                prefixes.len()
            );
            found.extend(objects.into_iter().map(|object| (kind, object)));
        }
        Ok(found)
    }
}

/// What to read for one kind.
#[derive(Debug, Clone)]
pub(crate) struct ObserveRequest {
    /// Incident or triage item.
    pub kind: Kind,
    /// The API name of the field holding keys.
    pub identity_field: String,
    /// The keys to look for.
    pub keys: BTreeSet<String>,
    /// The API names of the fields to read.
    pub columns: BTreeSet<String>,
}
