//! Saved plans: reading a plan file back and deciding, object by object, whether it may still be
//! applied.
//!
//! An object is applied only if the live state is exactly the one the plan was computed from (same
//! id, same value of every compared field). If its planned changes are already live (an earlier
//! apply of the same plan got that far) nothing is sent. Anything else is refused and shown field
//! by field: the reviewer approved a diff against a state that no longer exists.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::apply::{Drift, Refusal};
use crate::catalog::{Catalog, Column, Template};
use crate::client::RemoteObject;
use crate::error::{Error, Result};
use crate::normalize::{self, Normalized};
use crate::plan::{Action, Adoption, FieldChange, ObjectPlan, ObservedField, Plan, Undeclared};
use crate::plan_json::{
    ChangeEntry, DocumentType, Hasher, ObjectEntry, PlanDocument, FORMAT_VERSION,
};

/// The plan schema, embedded for `apply --plan`.
pub(crate) const PLAN_SCHEMA: &str = include_str!("../schemas/plan.schema.json");

/// Plan files larger than this are refused unread.
const MAX_PLAN_BYTES: u64 = 256 * 1024 * 1024;

/// Reads and checks a plan file written by `soarform plan --out`.
pub(crate) fn read(path: &Path) -> Result<PlanDocument> {
    let cannot = |error: &dyn std::fmt::Display| {
        Error::message(format!(
            "cannot read the plan `{}`: {error}",
            path.display()
        ))
    };
    let size = std::fs::metadata(path)
        .map_err(|error| cannot(&error))?
        .len();
    if size > MAX_PLAN_BYTES {
        return Err(cannot(&format!(
            "it is {size} bytes, more than the {MAX_PLAN_BYTES} a plan may be"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|error| cannot(&error))?;
    parse(&text).map_err(|message| {
        if message.contains("format version") {
            // A plan, of another version of the format: say so, not "not a plan".
            return Error::with_hint(
                format!("`{}` is a soarform plan this soarform cannot read: {message}", path.display()),
                "use the soarform that made it (`soarform version`), or make a new plan with this one",
            );
        }
        Error::with_hint(
            format!("`{}` is not a soarform plan: {message}", path.display()),
            "make it with `soarform plan --out FILE`",
        )
    })
}

/// Parses and validates a plan document.
pub(crate) fn parse(text: &str) -> std::result::Result<PlanDocument, String> {
    let value: Value = serde_json::from_str(text).map_err(|error| error.to_string())?;
    let version = value.get("format_version").and_then(Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(match version {
            Some(version) => format!(
                "it has format version {version}, and this soarform reads version {FORMAT_VERSION}"
            ),
            None => "it has no `format_version`".to_string(),
        });
    }
    let problems = schema_problems(&value)?;
    if let Some(first) = problems.first() {
        return Err(format!(
            "{first}{}",
            match problems.len() {
                1 => String::new(),
                count => format!(" (and {} more problems)", count - 1),
            }
        ));
    }
    let document: PlanDocument =
        serde_json::from_value(value).map_err(|error| error.to_string())?;
    if document.document_type != DocumentType::Plan {
        return Err("it is an apply report, not a plan".to_string());
    }
    let mut seen = std::collections::BTreeSet::new();
    for entry in &document.objects {
        // Retired duplicates share their key with the object kept; each is one object by id.
        let twin = (entry.action == Action::RetireDuplicate).then_some(entry.remote_id);
        if !seen.insert((entry.kind, entry.key.as_str(), twin)) {
            return Err(format!(
                "it lists {} `{}` twice; a plan holds each object once",
                entry.kind.noun(),
                entry.key
            ));
        }
    }
    Ok(document)
}

/// Every way `value` breaks the plan schema, as `at /path: message`.
pub(crate) fn schema_problems(value: &Value) -> std::result::Result<Vec<String>, String> {
    static VALIDATOR: OnceLock<std::result::Result<jsonschema::Validator, String>> =
        OnceLock::new();
    let validator = VALIDATOR
        .get_or_init(|| {
            let schema: Value =
                serde_json::from_str(PLAN_SCHEMA).map_err(|error| error.to_string())?;
            jsonschema::validator_for(&schema).map_err(|error| error.to_string())
        })
        .as_ref()
        .map_err(|error| format!("the embedded plan schema is broken: {error}"))?;
    Ok(validator
        .iter_errors(value)
        .map(|error| format!("at `{}`: {error}", error.instance_path()))
        .collect())
}

/// What to do with one object of a saved plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// The live state is the planned one: apply this.
    Apply(Box<ObjectPlan>),
    /// The planned changes are already live: nothing to send.
    AlreadyApplied,
    /// It changed since the plan: leave it alone.
    Refused(Refusal),
}

/// Decides one created or updated object of a saved plan against what carries its key now.
pub(crate) fn check(
    entry: &ObjectEntry,
    live: &[RemoteObject],
    catalog: &Catalog,
    hasher: &Hasher,
) -> Verdict {
    let refuse = |remote_id: Option<u64>, reason: String, drift: Vec<Drift>| {
        Verdict::Refused(Refusal {
            kind: entry.kind,
            key: entry.key.clone(),
            action: entry.action,
            remote_id,
            reason,
            drift,
        })
    };
    let columns = catalog.columns(entry.kind);
    let mut missing = entry
        .changes
        .iter()
        .map(|change| &change.field)
        .chain(
            entry
                .observed
                .iter()
                .flat_map(|observed| observed.fields.iter().map(|field| &field.field)),
        )
        .filter(|field| columns.find(field).is_none());
    if let Some(field) = missing.next() {
        return refuse(
            entry.remote_id,
            format!("the field `{field}` no longer exists in the tenant"),
            Vec::new(),
        );
    }
    let column = |field: &str| columns.find(field).cloned();
    if let Some(reason) = catalog_changed(entry, catalog) {
        return refuse(entry.remote_id, reason, Vec::new());
    }
    let object = match (entry.action, live) {
        (_, [_, _, ..]) => {
            let ids: Vec<String> = live.iter().map(|object| object.id.to_string()).collect();
            return refuse(
                None,
                format!(
                    "{} objects carry the key now (ids {})",
                    live.len(),
                    ids.join(", ")
                ),
                Vec::new(),
            );
        }
        (Action::Create, []) => return Verdict::Apply(Box::new(to_object_plan(entry, catalog))),
        (Action::Create, [object]) => {
            return if changes_are_live(entry, object, &column, hasher) {
                Verdict::AlreadyApplied
            } else {
                refuse(
                    Some(object.id),
                    format!(
                        "an object with this key was created since the plan (id {})",
                        object.id
                    ),
                    Vec::new(),
                )
            };
        }
        (_, []) => {
            return refuse(
                None,
                "no object carries the key any more".to_string(),
                Vec::new(),
            )
        }
        (_, [object]) => object,
    };
    if Some(object.id) != entry.remote_id {
        return refuse(
            Some(object.id),
            format!(
                "the key is now carried by id {} instead of id {}",
                object.id,
                entry
                    .remote_id
                    .map_or_else(|| "?".to_string(), |id| id.to_string())
            ),
            Vec::new(),
        );
    }
    let Some(observed) = &entry.observed else {
        return refuse(
            Some(object.id),
            "the plan holds no observed state for it".to_string(),
            Vec::new(),
        );
    };
    let now: Vec<(String, Normalized)> = observed
        .fields
        .iter()
        .filter_map(|field| {
            let column = column(&field.field)?;
            Some((
                field.field.clone(),
                normalize::observed(&column, object.fields.get(&field.field)),
            ))
        })
        .collect();
    let fingerprint = hasher.fingerprint(
        Some(object.id),
        now.iter().map(|(field, value)| (field.as_str(), value)),
    );
    if fingerprint == observed.fingerprint {
        return Verdict::Apply(Box::new(to_object_plan(entry, catalog)));
    }
    // Every compared field whose live value differs from the one the plan was computed from.
    let drifted: Vec<(&str, Drift)> = observed
        .fields
        .iter()
        .zip(&now)
        .filter_map(|(saved, (_, current))| {
            let column = column(&saved.field)?;
            let drift = if saved.sensitive {
                let same = saved.hash.as_deref() == Some(&hasher.value(&saved.field, current));
                (!same).then(|| Drift {
                    label: saved.label.clone(),
                    planned: Normalized::Absent,
                    now: Normalized::Absent,
                    sensitive: true,
                })
            } else {
                let planned = normalize::observed(&column, saved.value.as_ref());
                (planned != *current).then(|| Drift {
                    label: saved.label.clone(),
                    planned,
                    now: current.clone(),
                    sensitive: false,
                })
            };
            drift.map(|drift| (saved.field.as_str(), drift))
        })
        .collect();
    // Only the planned fields differ, and they hold the planned values: an earlier apply of this
    // plan made them. Any other difference is a change nobody reviewed.
    let only_planned_fields = drifted.iter().all(|(field, _)| {
        entry
            .changes
            .iter()
            .any(|change| change.field.as_str() == *field)
    });
    if only_planned_fields && changes_are_live(entry, object, &column, hasher) {
        return Verdict::AlreadyApplied;
    }
    let drift = drifted.into_iter().map(|(_, drift)| drift).collect();
    refuse(Some(object.id), "changed since the plan".to_string(), drift)
}

/// The reviewer saw names (options, template); the plan sends ids. If the tenant's catalog no longer
/// maps those names to those ids, the plan would write something nobody reviewed.
fn catalog_changed(entry: &ObjectEntry, catalog: &Catalog) -> Option<String> {
    if let Some(template) = &entry.template {
        let same = catalog
            .template_by_name(&template.name)
            .is_some_and(|found| found.id == template.id);
        if !same && entry.action == Action::Create {
            return Some(format!(
                "the template `{}` no longer has id {} in the tenant",
                template.name, template.id
            ));
        }
    }
    let columns = catalog.columns(entry.kind);
    for change in entry.changes.iter().filter(|change| !change.sensitive) {
        let Some(column) = columns.find(&change.field) else {
            continue;
        };
        // Names and the ids written for them, one pair for a select, one per item for a
        // multi-select list.
        let pairs: Vec<(&Value, &Value)> = match (&column.column_type, &change.after, &change.write)
        {
            (crate::catalog::ColumnType::Select, Some(name), Some(write)) => vec![(name, write)],
            (
                crate::catalog::ColumnType::MultiSelect,
                Some(Value::Array(names)),
                Some(Value::Array(writes)),
            ) => names.iter().zip(writes).collect(),
            _ => continue,
        };
        for (name, write) in pairs {
            let Value::String(name) = name else {
                continue;
            };
            let id = column.choice_by_name(name).map(|choice| choice.id);
            if id.is_none() || write.as_u64() != id {
                return Some(format!(
                    "the option `{name}` of `{}` has a different id in the tenant than when the plan was made",
                    change.label
                ));
            }
        }
    }
    None
}

/// Whether every planned change already holds on `object`.
fn changes_are_live(
    entry: &ObjectEntry,
    object: &RemoteObject,
    column: &impl Fn(&str) -> Option<Column>,
    hasher: &Hasher,
) -> bool {
    entry.changes.iter().all(|change| {
        let Some(column) = column(&change.field) else {
            return false;
        };
        let current = normalize::observed(&column, object.fields.get(&change.field));
        if change.sensitive {
            change.after_hash.as_deref() == Some(&hasher.value(&change.field, &current))
        } else {
            normalize::observed(&column, change.after.as_ref()) == current
        }
    })
}

/// The object plan a saved entry describes; sensitive writes are `null` until filled in from the
/// desired-state files.
pub(crate) fn to_object_plan(entry: &ObjectEntry, catalog: &Catalog) -> ObjectPlan {
    let columns = catalog.columns(entry.kind);
    object_plan_with(entry, |field, value| match columns.find(field) {
        Some(column) => normalize::observed(column, value),
        None => Normalized::Absent,
    })
}

/// The plan a saved document describes, read without a catalog, for `soarform show`: each value
/// as its JSON form says ([`normalize::from_saved`]).
pub(crate) fn to_plan_as_saved(document: &PlanDocument) -> Plan {
    plan_with(document, |entry| {
        object_plan_with(entry, |_, value| {
            value.map_or(Normalized::Absent, normalize::from_saved)
        })
    })
}

fn object_plan_with(
    entry: &ObjectEntry,
    value_of: impl Fn(&str, Option<&Value>) -> Normalized,
) -> ObjectPlan {
    ObjectPlan {
        kind: entry.kind,
        key: entry.key.clone(),
        action: entry.action,
        remote_id: entry.remote_id,
        template: entry.template.as_ref().map(|template| Template {
            id: template.id,
            name: template.name.clone(),
        }),
        identity_field: entry.identity_field.clone(),
        changes: entry
            .changes
            .iter()
            .map(|change: &ChangeEntry| FieldChange {
                field: change.field.clone(),
                label: change.label.clone(),
                declared_name: change.name.clone(),
                before: value_of(&change.field, change.before.as_ref()),
                after: value_of(&change.field, change.after.as_ref()),
                write: change.write.clone().unwrap_or(Value::Null),
                sensitive: change.sensitive,
            })
            .collect(),
        observed: entry
            .observed
            .iter()
            .flat_map(|observed| &observed.fields)
            .map(|field| ObservedField {
                field: field.field.clone(),
                label: field.label.clone(),
                value: value_of(&field.field, field.value.as_ref()),
                sensitive: field.sensitive,
            })
            .collect(),
        warnings: entry.warnings.clone(),
        moved_from: entry.moved_from.clone(),
        adopted: entry.adopted.as_ref().map(|adoption| Adoption {
            created_by: adoption.created_by.clone(),
        }),
        ownership_field: entry.ownership_field.clone(),
    }
}

/// The plan a saved document describes (for showing it; [`check`] decides what is applied).
pub(crate) fn to_plan(document: &PlanDocument, catalog: &Catalog) -> Plan {
    plan_with(document, |entry| to_object_plan(entry, catalog))
}

fn plan_with(document: &PlanDocument, object: impl Fn(&ObjectEntry) -> ObjectPlan) -> Plan {
    Plan {
        objects: document.objects.iter().map(object).collect(),
        undeclared: document
            .undeclared
            .iter()
            .map(|entry| Undeclared {
                kind: entry.kind,
                key: entry.key.clone(),
                remote_id: entry.remote_id,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal(objects: Value) -> Value {
        json!({
            "format_version": 1, "type": "plan", "soarform_version": "0.1.0",
            "target": {"url": "https://api.us2.sumologic.com/api/csoar/v3/", "dialect": "v3", "sandbox": false},
            "paths": ["."], "selection": {"target": [], "exclude": []},
            "salt": "00112233445566778899aabbccddeeff",
            "summary": {"create": 1, "update": 0, "move": 0, "adopt": 0, "close": 0, "unchanged": 0},
            "objects": objects,
            "undeclared": []
        })
    }

    fn create(extra: Value) -> Value {
        let mut object = json!({
            "kind": "Incident", "key": "a", "action": "create", "remote_id": null,
            "template": {"id": 1, "name": "Phishing"}, "identity_field": "incidentid",
            "changes": [{"field": "status", "label": "Status", "name": "status", "sensitive": false, "after": "Open", "write": 1}],
            "observed": {"fingerprint": format!("sha256:{}", "0".repeat(64)), "fields": []},
            "warnings": []
        });
        for (key, value) in extra.as_object().unwrap() {
            object[key] = value.clone();
        }
        object
    }

    #[test]
    fn the_schema_accepts_a_plan_and_rejects_what_cannot_be_one() {
        assert_eq!(
            schema_problems(&minimal(json!([create(json!({}))]))).unwrap(),
            Vec::<String>::new()
        );
        for (what, object) in [
            ("a create with an id", create(json!({"remote_id": 7}))),
            (
                "an outcome in a plan",
                create(json!({"outcome": {"status": "created", "id": 7}})),
            ),
            (
                "a move without its old key",
                create(json!({"action": "move", "remote_id": 7})),
            ),
            (
                "a sensitive change with its value",
                create(
                    json!({"changes": [{"field": "opt_2", "label": "T", "name": "T", "sensitive": true, "after": "secret", "after_hash": format!("sha256:{}", "0".repeat(64))}]}),
                ),
            ),
        ] {
            assert!(
                !schema_problems(&minimal(json!([object])))
                    .unwrap()
                    .is_empty(),
                "{what} was accepted"
            );
        }
    }

    #[test]
    fn parse_refuses_other_versions_and_duplicates() {
        let mut future = minimal(json!([]));
        future["format_version"] = json!(2);
        assert!(parse(&future.to_string())
            .unwrap_err()
            .contains("format version 2"));
        let twice = minimal(json!([create(json!({})), create(json!({}))]));
        assert!(parse(&twice.to_string()).unwrap_err().contains("twice"));
        assert!(parse(&minimal(json!([create(json!({}))])).to_string()).is_ok());
    }
}
