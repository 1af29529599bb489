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
use crate::plan::{self, Plan, PlanOptions};
use crate::resolve::{self, Identity};
use crate::settings::{Connection, ConnectionSettings};
use crate::sim::{Credentials, SimConfig, SimServer};

/// A client, the tenant's catalog, and the sandbox server when there is one.
pub struct Session {
    client: Client,
    catalog: Catalog,
    // Kept alive for the session; dropping it stops the embedded simulator.
    _sandbox: Option<SimServer>,
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
                let config = SimConfig {
                    credentials: Credentials {
                        token: Some(token.clone()),
                        ..Credentials::default()
                    },
                    state_file: Some(state_file.clone()),
                    latency: std::time::Duration::ZERO,
                    read_only: false,
                };
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
            _sandbox: sandbox,
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

    /// The tenant's catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Resolves the manifest against the catalog, reads the live objects by key, and compares.
    pub async fn plan(&self, manifest: &Manifest, config: &ProjectConfig) -> Result<Plan> {
        let identity = Identity::resolve(
            &self.catalog,
            config.identity.incident.as_deref(),
            config.identity.triage.as_deref(),
        )
        .map_err(|message| Error::with_hint(message, "fix `identity:` in soarform.yaml"))?;
        let desired = resolve::resolve(&manifest.objects, &self.catalog, &identity).map_err(
            |diagnostics| {
                Error::Diagnostics(Report {
                    diagnostics,
                    sources: manifest.sources.clone(),
                })
            },
        )?;
        let before = self.client.request_count();
        let mut observed = Observed::default();
        for kind in Kind::ALL {
            let objects: Vec<_> = desired
                .iter()
                .filter(|object| object.kind == kind)
                .collect();
            if objects.is_empty() {
                continue;
            }
            let keys: Vec<&str> = objects.iter().map(|object| object.key.as_str()).collect();
            let columns: BTreeSet<String> = objects
                .iter()
                .flat_map(|object| object.fields.iter().map(|field| field.column.field.clone()))
                .collect();
            let columns: Vec<String> = columns.into_iter().collect();
            observe::observe(
                &self.client,
                kind,
                &identity.column(kind).field,
                &keys,
                &columns,
                &mut observed,
            )
            .await?;
        }
        tracing::debug!(
            "observed state of {} objects in {} requests",
            desired.len(),
            self.client.request_count() - before
        );
        let options = PlanOptions {
            ignore_fields: config
                .ignore_changes
                .iter()
                .map(|field| field.name.clone())
                .collect(),
        };
        plan::compute(&desired, &observed, &identity, &self.catalog, &options).map_err(|conflicts| {
            let mut message = String::from("some keys match more than one live object");
            for conflict in &conflicts {
                message.push_str("\n  ");
                message.push_str(&conflict.to_string());
            }
            Error::with_hint(
                message,
                "soarform never guesses: clear the identity field of the duplicates you do not want managed, then plan again",
            )
        })
    }
}
