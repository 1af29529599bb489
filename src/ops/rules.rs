//! soarform.yaml's rules resolved against the tenant's catalog: the identity fields, the
//! ownership marker, how objects close, which fields are ignored or sensitive, `moved:`, where the
//! apply lease lives and which keys pruning may touch. Pure functions: no I/O, unit-tested
//! against a catalog built in the test.

use crate::catalog::{Catalog, Column, ColumnType};
use crate::config::{ProjectConfig, PruneMode, DEFAULT_CLOSING_NOTE};
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::lease::LeaseSpec;
use crate::manifest::{Diagnostic, Manifest, Report};
use crate::plan::{Closing, Moves, Ownership, PlanOptions};
use crate::resolve::{self, FieldNames, Identity, ResolvedObject};
use crate::select::Scope;

/// An error about the soarform.yaml setting at `path`: a diagnostic at its position when it was
/// written in the file, a plain error with `help` as its hint when it is a default.
fn setting_error(config: &ProjectConfig, path: &str, message: String, help: &str) -> Error {
    match config.report_at(path, message.clone(), help) {
        Some(report) => Error::Diagnostics(report),
        None => Error::with_hint(message, help),
    }
}

/// What the command line says about the lifecycle, over `prune:` and `adopt:` of soarform.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifecycle {
    /// Whether objects in `prune_scope` that no document declares are closed.
    pub prune: PruneMode,
    /// Whether an object soarform never wrote may be adopted.
    pub adopt: bool,
}

impl Lifecycle {
    /// `prune:` and `adopt:` of soarform.yaml, with `--prune` and `--no-adopt` over them.
    pub(crate) fn resolve(config: &ProjectConfig, prune_flag: bool, no_adopt_flag: bool) -> Self {
        Lifecycle {
            prune: if prune_flag {
                PruneMode::Close
            } else {
                config.prune.unwrap_or_default()
            },
            adopt: !no_adopt_flag && config.adopt != Some(false),
        }
    }
}

/// The identity fields `soarform.yaml` names (or the defaults), found in the catalog.
pub(crate) fn identity(config: &ProjectConfig, catalog: &Catalog) -> Result<Identity> {
    Identity::resolve(
        catalog,
        config.identity.incident.as_deref(),
        config.identity.triage.as_deref(),
    )
    .map_err(|(kind, message)| {
        setting_error(
            config,
            &format!("identity.{}", setting_kind(kind)),
            message,
            "fix `identity:` in soarform.yaml",
        )
    })
}

/// `ignore_changes` and `sensitive_fields` of `soarform.yaml`, resolved against the catalog.
pub(crate) fn plan_options(
    config: &ProjectConfig,
    lifecycle: &Lifecycle,
    catalog: &Catalog,
    identity: &Identity,
) -> Result<PlanOptions> {
    let ignore_changes =
        FieldNames::resolve("ignore_changes", &config.ignore_changes, catalog, identity);
    let sensitive = FieldNames::resolve(
        "sensitive_fields",
        &config.sensitive_fields,
        catalog,
        identity,
    );
    let ownership = ownership(config, catalog, identity)?;
    // Duplicates are closed where the catalog allows; otherwise their identity alone moves.
    let duplicate_closing = Kind::ALL.map(|kind| {
        closing(config, catalog, kind, true, identity, &ownership)
            .or_else(|_| closing(config, catalog, kind, false, identity, &ownership))
            .ok()
    });
    match (ignore_changes, sensitive) {
        (Ok(ignore_changes), Ok(sensitive)) => Ok(PlanOptions {
            ignore_changes,
            sensitive,
            ownership,
            moves: Moves::default(),
            refuse_adoption: !lifecycle.adopt,
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
pub(crate) fn ownership(
    config: &ProjectConfig,
    catalog: &Catalog,
    identity: &Identity,
) -> Result<Ownership> {
    let hint = "name a text field of its own with `ownership:` in soarform.yaml";
    let find = |kind: Kind, configured: Option<&str>| -> Result<Option<Column>> {
        let columns = catalog.columns(kind);
        let column = match configured {
            Some(name) => columns.resolve(kind, name).cloned().map_err(|error| {
                setting_error(
                    config,
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
            return Err(setting_error(
                config,
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
pub(crate) fn check_ownership_undeclared(
    manifest: &Manifest,
    catalog: &Catalog,
    ownership: &Ownership,
) -> Result<()> {
    let diagnostics: Vec<Diagnostic> = manifest
        .objects
        .iter()
        .flat_map(|object| {
            let reserved = ownership.column(object.kind);
            let columns = catalog.columns(object.kind);
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

/// The API name of Cloud SOAR's built-in closing note.
const BUILT_IN_NOTE: &str = "closing_note";

/// How pruning closes objects of a kind (`closing:` of soarform.yaml, or the defaults); the
/// closing-note field is resolved only `with_note` (to close, not to recognise closed ones).
pub(crate) fn closing(
    config: &ProjectConfig,
    catalog: &Catalog,
    kind: Kind,
    with_note: bool,
    identity: &Identity,
    ownership: &Ownership,
) -> Result<Closing> {
    let mut reserved = vec![identity.column(kind)];
    reserved.extend(ownership.column(kind));
    let columns = catalog.columns(kind);
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
        .map_err(|error| Error::with_hint(format!("cannot close {}s: {error}", kind.noun()), hint))?
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
        serde_json::Value::Number(id) => id.as_u64().and_then(|id| status_column.choice_by_id(id)),
        serde_json::Value::String(name) => status_column.choice_by_name(name),
        _ => None,
    }
    .cloned()
    .ok_or_else(|| {
        setting_error(
            config,
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
    // By default the field labelled `Closing note`, else Cloud SOAR's built-in `closing_note`
    // (evidence file, "close"), which tenants with "Mandatory Closing Note" require.
    let note_name = note_field.unwrap_or_else(|| {
        match columns
            .find(DEFAULT_NOTE_LABEL)
            .or_else(|| columns.find(BUILT_IN_NOTE))
        {
            Some(column) => column.field.clone(),
            None => DEFAULT_NOTE_LABEL.to_string(),
        }
    });
    let note_field = columns
        .resolve(kind, &note_name)
        .map_err(|error| {
            setting_error(
                config,
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
        return Err(setting_error(
                config,
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
///
/// The manifest's objects are taken (each freed once resolved); its sources stay, for the
/// diagnostics.
pub(crate) fn desired(
    manifest: &mut Manifest,
    catalog: &Catalog,
    identity: &Identity,
    sensitive: &FieldNames,
) -> Result<Vec<ResolvedObject>> {
    let objects = std::mem::take(&mut manifest.objects);
    resolve::resolve(objects, catalog, identity, sensitive).map_err(|diagnostics| {
        Error::Diagnostics(Report {
            diagnostics,
            sources: manifest.sources.clone(),
        })
    })
}

/// Where the apply lease lives (`lock:` of soarform.yaml, or the defaults), found in the
/// catalog.
pub(crate) fn lease_spec(config: &ProjectConfig, catalog: &Catalog) -> Result<LeaseSpec> {
    let lock = &config.lock;
    let kind = lock.kind.unwrap_or(Kind::Incident);
    let identity = identity(config, catalog)?;
    let ownership = ownership(config, catalog, &identity)?;
    let columns = catalog.columns(kind);
    let hint = "set `lock:` in soarform.yaml (see the README, \"Concurrent applies\")";
    let field_name = match (&lock.field, kind) {
        (Some(field), _) => field.clone(),
        (None, Kind::Incident) => "description".to_string(),
        (None, Kind::TriageItem) => return Err(Error::with_hint(
            "the apply lease is a triage item, but `lock.field` names no field to hold its record",
            "name a text field of triage items with `lock.field`, or pass `--lock=false`",
        )),
    };
    let record = columns.resolve(kind, &field_name).map_err(|error| {
        setting_error(
            config,
            "lock.field",
            format!("the field holding the apply lease: {error}"),
            hint,
        )
    })?;
    if !is_text(record) || record.field == identity.column(kind).field {
        return Err(setting_error(
                config,
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
            None => catalog
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
                catalog
                    .template(&reference)
                    .map_err(|error| {
                        setting_error(
                            config,
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
        return Err(setting_error(
            config,
            "lock.key",
            format!(
                "`{key}` cannot be the key of the apply lease: keys match `{}`",
                crate::manifest::KEY_PATTERN
            ),
            hint,
        ));
    }
    Ok(LeaseSpec {
        kind,
        key,
        identity_field: identity.column(kind).field.clone(),
        record_field: record.field.clone(),
        ownership_field: ownership.column(kind).map(|column| column.field.clone()),
        template_id,
        ttl: seconds(lock.ttl_seconds, crate::lease::DEFAULT_TTL),
        settle: seconds(lock.settle_seconds, crate::lease::DEFAULT_SETTLE),
    })
}

/// The apply lease is soarform's bookkeeping: a document declaring its key would fight it.
pub(crate) fn check_lease_undeclared(config: &ProjectConfig, manifest: &Manifest) -> Result<()> {
    let Some(object) = manifest.objects.iter().find(|object| {
        lease_key(&config.lock, object.kind).as_deref() == Some(object.key.as_str())
    }) else {
        return Ok(());
    };
    Err(Error::with_hint(
        format!(
            "`{}` is the key of the apply lease, which soarform manages itself; a document cannot declare it",
            object.key
        ),
        "rename the document's key, or move the lease with `lock.key` in soarform.yaml",
    ))
}

/// How each kind in `prune_scope` closes (`None` for kinds outside it). To close, everything must
/// resolve for the kinds in scope; to only list undeclared objects, a closed status that does not
/// resolve means closed objects are listed too.
pub(crate) fn prune_closing(
    config: &ProjectConfig,
    lifecycle: &Lifecycle,
    catalog: &Catalog,
    scope: &Scope,
    identity: &Identity,
    options: &PlanOptions,
) -> Result<Vec<Option<Closing>>> {
    let close = lifecycle.prune == PruneMode::Close;
    let mut closings: Vec<Option<Closing>> = Vec::new();
    for kind in Kind::ALL {
        if scope.prefixes(kind).is_empty() {
            closings.push(None);
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
        match closing(config, catalog, kind, close, identity, &options.ownership) {
            Ok(found) => closings.push(Some(found)),
            Err(_) if !close => closings.push(None),
            Err(error) => return Err(error),
        }
    }
    Ok(closings)
}

/// The key of the apply lease object when it is of `kind`.
pub(crate) fn lease_key(lock: &crate::config::LockConfig, kind: Kind) -> Option<String> {
    (lock.kind.unwrap_or(Kind::Incident) == kind).then(|| {
        lock.key
            .clone()
            .unwrap_or_else(|| crate::config::DEFAULT_LOCK_KEY.to_string())
    })
}

/// The lease key of one shard: `soarform/lock/shard-2-of-4`.
pub(crate) fn shard_lease_key(key: &str, shard: crate::select::Shard) -> String {
    format!("{key}/shard-{}-of-{}", shard.index, shard.count)
}

/// Whether `key` is the apply lease's (or one shard's lease) for objects of `kind`.
pub(crate) fn is_lease_key(lock: &crate::config::LockConfig, kind: Kind, key: &str) -> bool {
    lease_key(lock, kind).is_some_and(|lease| {
        key == lease
            || key
                .strip_prefix(&format!("{lease}/shard-"))
                .is_some_and(|rest| {
                    rest.split_once("-of-").is_some_and(|(index, count)| {
                        index.parse::<u32>().is_ok() && count.parse::<u32>().is_ok()
                    })
                })
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
pub(crate) fn is_text(column: &Column) -> bool {
    matches!(column.column_type, ColumnType::Text | ColumnType::Textarea)
}

/// The label of the field soarform records ownership in, unless `ownership:` names another.
pub(crate) const DEFAULT_OWNERSHIP_LABEL: &str = "Managed by";
/// The label of the field receiving closing notes, unless `closing:` names another.
pub(crate) const DEFAULT_NOTE_LABEL: &str = "Closing note";

/// `prune_scope` compiled; pruning without one is an error (it would have no bounds).
pub(crate) fn prune_scope(config: &ProjectConfig, lifecycle: &Lifecycle) -> Result<Scope> {
    let patterns: Vec<String> = config
        .prune_scope
        .iter()
        .map(|pattern| pattern.name.clone())
        .collect();
    let scope = Scope::new(&patterns).map_err(Error::message)?;
    if lifecycle.prune == PruneMode::Close && scope.is_empty() {
        return Err(Error::with_hint(
            "pruning (`--prune` or `prune: close`) needs `prune_scope` in soarform.yaml",
            "list the key patterns soarform may close, e.g. `prune_scope: [\"phishing/**\"]`; objects outside them are never touched",
        ));
    }
    Ok(scope)
}

/// `moved:` of soarform.yaml checked against the manifest, as one error.
pub(crate) fn resolve_moves(config: &ProjectConfig, manifest: &Manifest) -> Result<Moves> {
    Moves::resolve(&config.moved, manifest).map_err(|diagnostics| {
        Error::Diagnostics(Report {
            diagnostics,
            sources: config.sources.clone(),
        })
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::catalog::{Columns, Template};

    fn columns(json: serde_json::Value) -> Columns {
        Columns::new(serde_json::from_value(json).expect("columns"))
    }

    /// A catalog like a tenant's: an identity field per kind, a status with options, a closing
    /// note, an ownership marker on incidents only, and a select field that is no text.
    fn catalog() -> Catalog {
        Catalog {
            templates: vec![Template {
                id: 7,
                name: "Phishing".into(),
            }],
            incident_columns: columns(serde_json::json!([
                {"field": "incidentid", "label": "Incident ID", "type": "text"},
                {"field": "description", "label": "Description", "type": "textarea"},
                {"field": "status", "label": "Status", "type": "select",
                 "options": [{"id": 1, "value": "Open"}, {"id": 2, "value": "Closed"}]},
                {"field": "opt_1", "label": "Closing note", "type": "textarea"},
                {"field": "opt_2", "label": "Managed by", "type": "text"},
                {"field": "opt_3", "label": "Severity", "type": "select",
                 "options": [{"id": 5, "value": "High"}]}
            ])),
            triage_columns: columns(serde_json::json!([
                {"field": "source_ref", "label": "Source reference", "type": "text"},
                {"field": "status", "label": "Status", "type": "select",
                 "options": [{"id": 3, "value": "New"}, {"id": 4, "value": "Dismissed"}]},
                {"field": "notes", "label": "Closing note", "type": "text"}
            ])),
        }
    }

    /// soarform.yaml with `text`, loaded as the command would (positions kept for errors).
    fn project(text: &str) -> (ProjectConfig, tempfile::TempDir) {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("soarform.yaml");
        std::fs::write(&path, text).expect("write soarform.yaml");
        let config = crate::config::load(Path::new(&path)).expect("a valid soarform.yaml");
        (config, directory)
    }

    fn rendered<T: std::fmt::Debug>(result: Result<T>) -> String {
        result.expect_err("an error").render(false)
    }

    #[test]
    fn the_defaults_find_identity_ownership_and_closing_in_the_catalog() {
        let catalog = catalog();
        let config = ProjectConfig::default();
        let lifecycle = Lifecycle::resolve(&config, false, false);
        let identity = identity(&config, &catalog).expect("identity");
        assert_eq!(identity.column(Kind::Incident).field, "incidentid");
        assert_eq!(identity.column(Kind::TriageItem).field, "source_ref");
        let options = plan_options(&config, &lifecycle, &catalog, &identity).expect("options");
        assert_eq!(
            options
                .ownership
                .column(Kind::Incident)
                .map(|column| column.field.as_str()),
            Some("opt_2")
        );
        assert!(options.ownership.column(Kind::TriageItem).is_none());
        assert!(!options.refuse_adoption);
        let incident = closing(
            &config,
            &catalog,
            Kind::Incident,
            true,
            &identity,
            &options.ownership,
        )
        .expect("closing");
        assert_eq!(incident.closed.id, 2);
        let (note_field, note) = incident.note.expect("a note");
        assert_eq!(note_field.field, "opt_1");
        assert_eq!(note, DEFAULT_CLOSING_NOTE);
        let triage = closing(
            &config,
            &catalog,
            Kind::TriageItem,
            false,
            &identity,
            &options.ownership,
        )
        .expect("closing");
        assert_eq!((triage.closed.id, triage.note.is_none()), (4, true));
    }

    #[test]
    fn without_a_closing_note_field_the_built_in_closing_note_takes_the_note() {
        let mut catalog = catalog();
        catalog.incident_columns = columns(serde_json::json!([
            {"field": "incidentid", "label": "Incident ID", "type": "text"},
            {"field": "status", "label": "Status", "type": "select",
             "options": [{"id": 2, "value": "Closed"}]},
            {"field": "closing_note", "label": "Resolution", "type": "Text Area"}
        ]));
        let config = ProjectConfig::default();
        let identity = identity(&config, &catalog).expect("identity");
        let closing = closing(
            &config,
            &catalog,
            Kind::Incident,
            true,
            &identity,
            &Ownership::default(),
        )
        .expect("closing");
        let (note_field, note) = closing.note.expect("a note, always sent");
        assert_eq!(note_field.field, "closing_note");
        assert_eq!(note, DEFAULT_CLOSING_NOTE);
    }

    #[test]
    fn settings_that_do_not_fit_the_catalog_are_errors_at_their_key() {
        let catalog = catalog();
        let (config, _directory) = project("identity:\n  incident: Nope\n");
        let error = rendered(identity(&config, &catalog));
        assert!(error.contains("identity field of incidents"), "{error}");
        assert!(error.contains("soarform.yaml:2:"), "{error}");

        let (config, _directory) = project("ownership:\n  incident: Severity\n");
        let identity = identity(&config, &catalog).expect("identity");
        let error = rendered(ownership(&config, &catalog, &identity));
        assert!(
            error.contains("`Severity` cannot record ownership of incidents"),
            "{error}"
        );

        let (config, _directory) = project("closing:\n  incident:\n    status: Gone\n");
        let error = rendered(closing(
            &config,
            &catalog,
            Kind::Incident,
            false,
            &identity,
            &Ownership::default(),
        ));
        assert!(error.contains("`Gone`"), "{error}");
        assert!(error.contains("options: `Open`, `Closed`"), "{error}");

        // The closing note may not land in the identity or ownership field.
        let (config, _directory) = project("closing:\n  incident:\n    note_field: Managed by\n");
        let options = ownership(&config, &catalog, &identity).expect("ownership");
        let error = rendered(closing(
            &config,
            &catalog,
            Kind::Incident,
            true,
            &identity,
            &options,
        ));
        assert!(error.contains("cannot receive the closing note"), "{error}");
    }

    #[test]
    fn command_line_lifecycle_flags_win_over_the_file_which_keeps_its_meaning() {
        let (config, _directory) = project("prune: close\nprune_scope: [\"a/**\"]\nadopt: false\n");
        assert_eq!(
            Lifecycle::resolve(&config, false, false),
            Lifecycle {
                prune: PruneMode::Close,
                adopt: false
            }
        );
        let defaults = ProjectConfig::default();
        assert_eq!(
            Lifecycle::resolve(&defaults, true, true),
            Lifecycle {
                prune: PruneMode::Close,
                adopt: false
            }
        );
        assert_eq!(defaults.prune, None, "the file model is not written to");
        let lifecycle = Lifecycle::resolve(&defaults, true, false);
        let error = rendered(prune_scope(&defaults, &lifecycle));
        assert!(error.contains("needs `prune_scope`"), "{error}");
        assert!(prune_scope(&config, &lifecycle).is_ok_and(|scope| !scope.is_empty()));
    }

    #[test]
    fn the_lease_lives_where_lock_says_or_in_the_defaults() {
        let catalog = catalog();
        let spec = lease_spec(&ProjectConfig::default(), &catalog).expect("lease");
        assert_eq!(spec.kind, Kind::Incident);
        assert_eq!(spec.key, crate::config::DEFAULT_LOCK_KEY);
        assert_eq!(spec.record_field, "description");
        assert_eq!(spec.ownership_field.as_deref(), Some("opt_2"));
        assert_eq!(spec.template_id, Some(7));

        let (config, _directory) = project("lock:\n  kind: TriageItem\n");
        let error = rendered(lease_spec(&config, &catalog));
        assert!(error.contains("`lock.field` names no field"), "{error}");
        let (config, _directory) = project("lock:\n  kind: TriageItem\n  field: notes\n");
        let spec = lease_spec(&config, &catalog).expect("lease");
        assert_eq!(
            (spec.record_field.as_str(), spec.template_id),
            ("notes", None)
        );

        let (config, _directory) = project("lock:\n  field: Status\n");
        let error = rendered(lease_spec(&config, &catalog));
        assert!(error.contains("cannot hold the apply lease"), "{error}");
    }
}
