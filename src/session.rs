//! An open connection to a tenant (or the sandbox) with its catalog, fetched once per run.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};

use crate::catalog::{Catalog, Column, ColumnType, Columns};
use crate::client::{Client, Credential, Secret, Target};
use crate::config::ProjectConfig;
use crate::config::{PruneMode, DEFAULT_CLOSING_NOTE};
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::lease::LeaseSpec;
use crate::manifest::Diagnostic;
use crate::manifest::{Manifest, Report};
use crate::observe::{self, Observed};
use crate::plan::{self, Closing, Conflict, ConflictReason, Moves, Ownership, Plan, PlanOptions};
use crate::plan_json::TargetInfo;
use crate::progress::Progress;
use crate::resolve::{self, FieldNames, Identity, ResolvedObject};
use crate::select::Scope;
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

    /// The identity fields `soarform.yaml` names (or the defaults), found in the catalog; the
    /// client learns them too, for its page-size discovery.
    pub fn identity(&self, config: &ProjectConfig) -> Result<Identity> {
        let identity = self.resolve_identity(config)?;
        for kind in Kind::ALL {
            self.client
                .set_identity_field(kind, &identity.column(kind).field);
        }
        Ok(identity)
    }

    fn resolve_identity(&self, config: &ProjectConfig) -> Result<Identity> {
        Identity::resolve(
            &self.catalog,
            config.identity.incident.as_deref(),
            config.identity.triage.as_deref(),
        )
        .map_err(|(kind, message)| {
            config.error_at(
                &format!("identity.{}", setting_kind(kind)),
                message,
                "fix `identity:` in soarform.yaml",
            )
        })
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
        let ownership = self.ownership(config, identity)?;
        // Duplicates are closed where the catalog allows; otherwise their identity alone moves.
        let duplicate_closing = Kind::ALL.map(|kind| {
            self.closing(config, kind, true, identity, &ownership)
                .or_else(|_| self.closing(config, kind, false, identity, &ownership))
                .ok()
        });
        match (ignore_changes, sensitive) {
            (Ok(ignore_changes), Ok(sensitive)) => Ok(PlanOptions {
                ignore_changes,
                sensitive,
                ownership,
                moves: Moves::default(),
                refuse_adoption: config.adopt == Some(false),
                duplicate_closing,
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

    /// The fields where soarform records ownership: `ownership:` of soarform.yaml, or else the
    /// column labelled `Managed by` when the tenant has one.
    pub fn ownership(&self, config: &ProjectConfig, identity: &Identity) -> Result<Ownership> {
        let hint = "name a text field of its own with `ownership:` in soarform.yaml";
        let find = |kind: Kind, configured: Option<&str>| -> Result<Option<Column>> {
            let columns = self.catalog.columns(kind);
            let column = match configured {
                Some(name) => columns.resolve(kind, name).cloned().map_err(|error| {
                    config.error_at(
                        &format!("ownership.{}", setting_kind(kind)),
                        format!("the ownership field of {}s: {error}", kind.noun()),
                        hint,
                    )
                })?,
                None => match columns
                    .all()
                    .iter()
                    .find(|column| column.label == DEFAULT_OWNERSHIP_LABEL)
                {
                    Some(column) => Column::clone(column),
                    None => return Ok(None),
                },
            };
            // soarform writes the text `soarform` into it, and the key lives in the identity field.
            if !is_text(&column) || column.field == identity.column(kind).field {
                return Err(config.error_at(
                    &format!("ownership.{}", setting_kind(kind)),
                    format!(
                        "`{}` cannot record ownership of {}s: it must be a text field other than the identity field",
                        column.label,
                        kind.noun()
                    ),
                    hint,
                ));
            }
            Ok(Some(column))
        };
        Ok(Ownership {
            incident: find(Kind::Incident, config.ownership.incident.as_deref())?,
            triage: find(Kind::TriageItem, config.ownership.triage.as_deref())?,
        })
    }

    /// The ownership field is soarform's bookkeeping: a document that sets it would fight it.
    fn check_ownership_undeclared(&self, manifest: &Manifest, ownership: &Ownership) -> Result<()> {
        let diagnostics: Vec<Diagnostic> = manifest
            .objects
            .iter()
            .flat_map(|object| {
                let reserved = ownership.column(object.kind);
                let columns = self.catalog.columns(object.kind);
                object.fields.iter().filter_map(move |field| {
                    let column = columns.find(&field.name)?;
                    (Some(&column.field) == reserved.map(|reserved| &reserved.field)).then(|| {
                        Diagnostic::at(
                            field.name_origin.clone(),
                            format!(
                                "`{}` is where soarform records that it manages {}s; documents cannot set it",
                                field.name,
                                object.kind.noun()
                            ),
                        )
                        .with_label("remove this field")
                        .with_help("soarform writes `soarform` into it on create and adoption; name another field with `ownership:` in soarform.yaml if this one is yours")
                    })
                })
            })
            .collect();
        if diagnostics.is_empty() {
            Ok(())
        } else {
            Err(Error::Diagnostics(Report {
                diagnostics,
                sources: manifest.sources.clone(),
            }))
        }
    }

    /// How pruning closes objects of a kind (`closing:` of soarform.yaml, or the defaults); the
    /// closing-note field is resolved only `with_note` (to close, not to recognise closed ones).
    pub fn closing(
        &self,
        config: &ProjectConfig,
        kind: Kind,
        with_note: bool,
        identity: &Identity,
        ownership: &Ownership,
    ) -> Result<Closing> {
        let mut reserved = vec![identity.column(kind)];
        reserved.extend(ownership.column(kind));
        let columns = self.catalog.columns(kind);
        let hint = "set `closing:` in soarform.yaml";
        let (status, note_field) = match kind {
            Kind::Incident => (
                config.closing.incident_status.clone(),
                config.closing.incident_note_field.clone(),
            ),
            Kind::TriageItem => (
                config.closing.triage_status.clone(),
                config.closing.triage_note_field.clone(),
            ),
        };
        let status_column = columns
            .resolve(kind, "status")
            .map_err(|error| {
                Error::with_hint(format!("cannot close {}s: {error}", kind.noun()), hint)
            })?
            .clone();
        let wanted = status.unwrap_or_else(|| {
            serde_json::Value::String(
                match kind {
                    Kind::Incident => "Closed",
                    Kind::TriageItem => "Dismissed",
                }
                .to_string(),
            )
        });
        let closed = match &wanted {
            serde_json::Value::Number(id) => {
                id.as_u64().and_then(|id| status_column.choice_by_id(id))
            }
            serde_json::Value::String(name) => status_column.choice_by_name(name),
            _ => None,
        }
        .cloned()
        .ok_or_else(|| {
            config.error_at(
                &format!("closing.{}.status", setting_kind(kind)),
                format!(
                    "the closed status `{}` of {}s is not an option of `{}`; options: {}",
                    match &wanted {
                        serde_json::Value::String(name) => name.clone(),
                        other => other.to_string(),
                    },
                    kind.noun(),
                    status_column.label,
                    status_column
                        .options
                        .iter()
                        .map(|choice| format!("`{}`", choice.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                hint,
            )
        })?;
        if !with_note {
            return Ok(Closing {
                status: status_column,
                closed,
                note: None,
            });
        }
        let note_name = note_field.unwrap_or_else(|| DEFAULT_NOTE_LABEL.to_string());
        let note_field = columns
            .resolve(kind, &note_name)
            .map_err(|error| {
                config.error_at(
                    &format!("closing.{}.note_field", setting_kind(kind)),
                    format!("the closing-note field of {}s: {error}", kind.noun()),
                    hint,
                )
            })?
            .clone();
        // The note must not land in the key or the ownership marker, and must be free text.
        if !is_text(&note_field)
            || reserved
                .iter()
                .any(|column| column.field == note_field.field)
        {
            return Err(config.error_at(
                &format!("closing.{}.note_field", setting_kind(kind)),
                format!(
                    "`{}` cannot receive the closing note of {}s: it must be a text field other than the identity and ownership fields",
                    note_field.label,
                    kind.noun()
                ),
                hint,
            ));
        }
        let note = config
            .closing
            .note
            .clone()
            .unwrap_or_else(|| DEFAULT_CLOSING_NOTE.to_string());
        Ok(Closing {
            status: status_column,
            closed,
            note: Some((note_field, note)),
        })
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
        let scope = prune_scope(config)?;
        let identity = self.identity(config)?;
        let mut options = self.plan_options(config, &identity)?;
        let mut desired = self.resolve(manifest, &identity, &options.sensitive)?;
        self.check_ownership_undeclared(manifest, &options.ownership)?;
        if let Some(object) = manifest.objects.iter().find(|object| {
            lease_key(&config.lock, object.kind).as_deref() == Some(object.key.as_str())
        }) {
            return Err(Error::with_hint(
                format!(
                    "`{}` is the key of the apply lease, which soarform manages itself; a document cannot declare it",
                    object.key
                ),
                "rename the document's key, or move the lease with `lock.key` in soarform.yaml",
            ));
        }
        options.moves = resolve_moves(config, manifest)?;
        let declared = desired.len();
        let declared_keys: BTreeSet<(Kind, String)> = desired
            .iter()
            .map(|object| (object.kind, object.key.clone()))
            .collect();
        desired.retain(|object| selection.matches(object.kind, &object.key));
        let requests: Vec<ObserveRequest> = Kind::ALL
            .into_iter()
            .map(|kind| {
                let objects = desired.iter().filter(|object| object.kind == kind);
                ObserveRequest {
                    kind,
                    identity_field: identity.column(kind).field.clone(),
                    keys: objects
                        .clone()
                        .flat_map(|object| {
                            let mut keys = options.moves.old_keys(kind, &object.key);
                            keys.push(object.key.clone());
                            keys
                        })
                        .collect(),
                    columns: objects
                        .flat_map(|object| {
                            object.fields.iter().map(|field| field.column.field.clone())
                        })
                        .chain(
                            options
                                .ownership
                                .column(kind)
                                .map(|column| column.field.clone()),
                        )
                        .chain(options.closing(kind).into_iter().flat_map(|closing| {
                            std::iter::once(closing.status.field.clone())
                                .chain(closing.note.as_ref().map(|(note, _)| note.field.clone()))
                        }))
                        .collect(),
                }
            })
            .collect();
        let observed = self.observe(&requests).await?;
        let mut plan = plan::compute(&desired, &observed, &identity, &self.catalog, &options)
            .map_err(conflict_error)?;
        if !scope.is_empty() {
            let retirement = self
                .retirement(
                    config,
                    &scope,
                    &identity,
                    &options,
                    &declared_keys,
                    selection,
                )
                .await?;
            plan.objects.extend(retirement.closes);
            plan.undeclared = retirement.undeclared;
        }
        Ok(Planned {
            plan,
            declared,
            identity,
            options,
        })
    }

    /// Where the apply lease lives (`lock:` of soarform.yaml, or the defaults), found in the
    /// catalog; `None` for the sandbox, which one process owns.
    pub fn lease_spec(&self, config: &ProjectConfig) -> Result<Option<LeaseSpec>> {
        if self.sandbox.is_some() {
            return Ok(None);
        }
        let lock = &config.lock;
        let kind = lock.kind.unwrap_or(Kind::Incident);
        let identity = self.identity(config)?;
        let ownership = self.ownership(config, &identity)?;
        let columns = self.catalog.columns(kind);
        let hint = "set `lock:` in soarform.yaml (see the README, \"Concurrent applies\")";
        let field_name = match (&lock.field, kind) {
            (Some(field), _) => field.clone(),
            (None, Kind::Incident) => "description".to_string(),
            (None, Kind::TriageItem) => {
                return Err(Error::with_hint(
                    "the apply lease is a triage item, but `lock.field` names no field to hold its record",
                    "name a text field of triage items with `lock.field`, or pass `--lock=false`",
                ))
            }
        };
        let record = columns.resolve(kind, &field_name).map_err(|error| {
            config.error_at(
                "lock.field",
                format!("the field holding the apply lease: {error}"),
                hint,
            )
        })?;
        if !is_text(record) || record.field == identity.column(kind).field {
            return Err(config.error_at(
                "lock.field",
                format!(
                    "`{}` cannot hold the apply lease: it must be a text field other than the identity field",
                    record.label
                ),
                hint,
            ));
        }
        let template_id = match kind {
            Kind::TriageItem => None,
            Kind::Incident => Some(match &lock.template {
                None => self
                    .catalog
                    .templates
                    .first()
                    .map(|template| template.id)
                    .ok_or_else(|| {
                        Error::with_hint(
                            "the tenant has no incident template to create the apply lease with",
                            hint,
                        )
                    })?,
                Some(reference) => {
                    let reference = match reference {
                        serde_json::Value::Number(id) => {
                            crate::manifest::TemplateRef::Id(id.as_u64().unwrap_or_default())
                        }
                        other => crate::manifest::TemplateRef::Name(
                            other.as_str().unwrap_or_default().to_string(),
                        ),
                    };
                    self.catalog
                        .template(&reference)
                        .map_err(|error| {
                            config.error_at(
                                "lock.template",
                                format!("the template of the apply lease: {error}"),
                                hint,
                            )
                        })?
                        .id
                }
            }),
        };
        let seconds = |value: Option<f64>, default: std::time::Duration| {
            value
                .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                .map_or(default, std::time::Duration::from_secs_f64)
        };
        let key = lock
            .key
            .clone()
            .unwrap_or_else(|| crate::config::DEFAULT_LOCK_KEY.to_string());
        if !crate::manifest::is_valid_key(&key) {
            return Err(config.error_at(
                "lock.key",
                format!(
                    "`{key}` cannot be the key of the apply lease: keys match `{}`",
                    crate::manifest::KEY_PATTERN
                ),
                hint,
            ));
        }
        Ok(Some(LeaseSpec {
            kind,
            key,
            identity_field: identity.column(kind).field.clone(),
            record_field: record.field.clone(),
            ownership_field: ownership.column(kind).map(|column| column.field.clone()),
            template_id,
            ttl: seconds(lock.ttl_seconds, crate::lease::DEFAULT_TTL),
            settle: seconds(lock.settle_seconds, crate::lease::DEFAULT_SETTLE),
        }))
    }

    /// The objects in `prune_scope` no document declares: closes with pruning, a list without.
    async fn retirement(
        &self,
        config: &ProjectConfig,
        scope: &Scope,
        identity: &Identity,
        options: &PlanOptions,
        declared: &BTreeSet<(Kind, String)>,
        selection: &Selection,
    ) -> Result<plan::Retirement> {
        // To close, everything must resolve for the kinds in scope; to list, a closed status that
        // does not resolve only means closed objects are listed too.
        let close = config.prune.unwrap_or_default() == PruneMode::Close;
        let mut closing: Vec<Option<Closing>> = Vec::new();
        for kind in Kind::ALL {
            if scope.prefixes(kind).is_empty() {
                closing.push(None);
                continue;
            }
            if close && options.ownership.column(kind).is_none() {
                return Err(Error::with_hint(
                    format!(
                        "cannot prune {}s: the tenant has no field where soarform records which {}s it wrote, so hand-made ones in `prune_scope` could be closed",
                        kind.noun(),
                        kind.noun()
                    ),
                    "create a text field `Managed by` for them in Cloud SOAR (or name one with `ownership:` in soarform.yaml), and apply once so soarform's objects carry it",
                ));
            }
            match self.closing(config, kind, close, identity, &options.ownership) {
                Ok(found) => closing.push(Some(found)),
                Err(_) if !close => closing.push(None),
                Err(error) => return Err(error),
            }
        }
        let candidates = self
            .in_scope(scope, identity, &options.ownership, &closing, &config.lock)
            .await?;
        Ok(plan::retire(
            &candidates,
            identity,
            declared,
            |kind, key| scope.matches(kind, key) && selection.matches(kind, key),
            options,
            |kind| closing[usize::from(kind == Kind::TriageItem)].clone(),
            close,
        ))
    }

    /// The live objects whose key starts with the literal prefix of a `prune_scope` pattern, read
    /// with the fields retirement needs.
    async fn in_scope(
        &self,
        scope: &Scope,
        identity: &Identity,
        ownership: &Ownership,
        closing: &[Option<Closing>],
        lock: &crate::config::LockConfig,
    ) -> Result<Vec<(Kind, crate::client::RemoteObject)>> {
        let mut found = Vec::new();
        for (index, kind) in Kind::ALL.into_iter().enumerate() {
            let prefixes = scope.prefixes(kind);
            if prefixes.is_empty() {
                continue;
            }
            let field = &identity.column(kind).field;
            let filter = prefixes
                .iter()
                .map(|prefix| format!("{field}:\"{}*\"", observe::escape(prefix)))
                .collect::<Vec<_>>()
                .join(" OR ");
            let mut columns = vec![field.clone()];
            columns.extend(ownership.column(kind).map(|column| column.field.clone()));
            if let Some(Some(closing)) = closing.get(index) {
                columns.push(closing.status.field.clone());
                columns.extend(closing.note.as_ref().map(|(field, _)| field.field.clone()));
            }
            let mut objects = self.client.search(kind, &filter, &columns).await?;
            // The apply lease is soarform's bookkeeping: never retired.
            let lease_key = lease_key(lock, kind);
            if let Some(lease_key) = lease_key {
                objects.retain(|object| {
                    object.fields.get(field).and_then(|value| value.as_str())
                        != Some(lease_key.as_str())
                });
            }
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

/// The key of the apply lease object when it is of `kind`.
fn lease_key(lock: &crate::config::LockConfig, kind: Kind) -> Option<String> {
    (lock.kind.unwrap_or(Kind::Incident) == kind).then(|| {
        lock.key
            .clone()
            .unwrap_or_else(|| crate::config::DEFAULT_LOCK_KEY.to_string())
    })
}

/// How soarform.yaml names a kind in settings per kind (`identity.triage`).
fn setting_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Incident => "incident",
        Kind::TriageItem => "triage",
    }
}

/// Whether soarform can write free text into `column`.
fn is_text(column: &Column) -> bool {
    matches!(column.column_type, ColumnType::Text | ColumnType::Textarea)
}

/// The label of the field soarform records ownership in, unless `ownership:` names another.
pub const DEFAULT_OWNERSHIP_LABEL: &str = "Managed by";
/// The label of the field receiving closing notes, unless `closing:` names another.
pub const DEFAULT_NOTE_LABEL: &str = "Closing note";

/// `prune_scope` compiled; pruning without one is an error (it would have no bounds).
fn prune_scope(config: &ProjectConfig) -> Result<Scope> {
    let patterns: Vec<String> = config
        .prune_scope
        .iter()
        .map(|pattern| pattern.name.clone())
        .collect();
    let scope = Scope::new(&patterns).map_err(Error::message)?;
    if config.prune.unwrap_or_default() == PruneMode::Close && scope.is_empty() {
        return Err(Error::with_hint(
            "pruning (`--prune` or `prune: close`) needs `prune_scope` in soarform.yaml",
            "list the key patterns soarform may close, e.g. `prune_scope: [\"phishing/**\"]`; objects outside them are never touched",
        ));
    }
    Ok(scope)
}

/// `moved:` of soarform.yaml checked against the manifest, as one error.
pub fn resolve_moves(config: &ProjectConfig, manifest: &Manifest) -> Result<Moves> {
    Moves::resolve(&config.moved, manifest).map_err(|diagnostics| {
        Error::Diagnostics(Report {
            diagnostics,
            sources: config.sources.clone(),
        })
    })
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
    /// The identity fields the plan used.
    pub identity: Identity,
    /// The options the plan was computed with.
    pub options: PlanOptions,
}

/// The error for keys the plan cannot settle: carried by several objects, or by an object
/// soarform never wrote while adoption is off.
pub fn conflict_error(conflicts: Vec<Conflict>) -> Error {
    let refused =
        |conflict: &Conflict| matches!(conflict.reason, ConflictReason::NotAdopted { .. });
    let (message, hint) = if conflicts.iter().all(refused) {
        (
            "some keys match objects soarform never wrote, and adoption is off (`--no-adopt` or `adopt: false`)",
            "rename the keys, or clear the identity field of those objects in Cloud SOAR, or allow adoption",
        )
    } else {
        (
            "some keys match more than one live object",
            "soarform never guesses: clear the identity field of the duplicates you do not want managed, then plan again",
        )
    };
    let mut message = message.to_string();
    for conflict in &conflicts {
        message.push_str("\n  ");
        message.push_str(&conflict.to_string());
    }
    Error::with_hint(message, hint)
}
