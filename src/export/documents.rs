//! Live objects turned into desired-state documents ([`build_documents`]), pure: objects that
//! cannot be managed without creating a duplicate or failing a plan are left out with a warning,
//! and every exported value is checked to read back as the live value.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::catalog::{Catalog, Column, ColumnType, Columns};
use crate::client::RemoteObject;
use crate::dates;
use crate::kind::Kind;
use crate::manifest::emit::CanonicalDocument;
use crate::manifest::{TemplateRef, MAX_KEY_LENGTH};
use crate::normalize::{self, Normalized};
use crate::resolve::{FieldNames, Identity};

use super::layout::type_folder;
use super::listing::{capped_list, count_noun, id_list, plural_noun, plural_or_single, shown};
use super::model::{Exportable, Warning};

/// Fields the server sets itself: never exported, even when the catalog lists them as columns.
const SERVER_MANAGED_FIELDS: &[&str] = &[
    "id",
    "template",
    "template_id",
    "created_by",
    "creation_date",
    "modified_by",
    "modified_date",
    "generated_by",
];

/// The documents of one kind, and what was left out.
#[derive(Debug, Default)]
pub(super) struct BuiltDocuments {
    pub(super) documents: Vec<Exportable>,
    pub(super) warnings: Vec<Warning>,
    pub(super) skipped: usize,
}

/// Why a field value is not exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum FieldProblem {
    /// A select value that is not one of the catalog's options.
    NotAnOption,
    /// A list or a mapping, which documents cannot declare.
    NotScalar,
    /// A value a plan would not read back as the live one.
    NoRoundTrip,
}

impl FieldProblem {
    fn reason(self) -> &'static str {
        match self {
            FieldProblem::NotAnOption => {
                "the value is not one of the field's options in the catalog"
            }
            FieldProblem::NotScalar => {
                "the value is a list or a mapping, which desired-state files cannot declare"
            }
            FieldProblem::NoRoundTrip => "the value would not read back as the live value",
        }
    }
}

/// Turns the objects of one kind into documents, leaving out those that cannot be managed without
/// creating a duplicate or failing a plan.
pub(super) fn build_documents(
    kind: Kind,
    objects: Vec<RemoteObject>,
    catalog: &Catalog,
    identity: &Identity,
    omit: &FieldNames,
) -> BuiltDocuments {
    let columns = catalog.columns(kind);
    let identity_column = identity.column(kind);
    // Pages read while objects are created may repeat one; keep each id once, in id order.
    let objects: BTreeMap<u64, RemoteObject> = objects
        .into_iter()
        .map(|object| (object.id, object))
        .collect();
    let mut without_key = Vec::new();
    let mut invalid_keys = Vec::new();
    let mut by_key: BTreeMap<String, Vec<RemoteObject>> = BTreeMap::new();
    for object in objects.into_values() {
        match object.fields.get(&identity_column.field) {
            // A duplicate soarform retired (`KEY#duplicate-of-ID`): its own bookkeeping, closed.
            Some(Value::String(key)) if crate::plan::is_retired_identity(key) => {}
            None | Some(Value::Null) => without_key.push(object.id),
            Some(Value::String(key)) if key.is_empty() => without_key.push(object.id),
            Some(Value::String(key)) if crate::manifest::is_valid_key(key) => {
                by_key.entry(key.clone()).or_default().push(object)
            }
            Some(other) => invalid_keys.push(format!("id {} (`{}`)", object.id, shown(other))),
        }
    }
    let mut built = BuiltDocuments::default();
    let plural = plural_noun(kind);
    let identity_name = format!("`{}` ({})", identity_column.label, identity_column.field);
    if !without_key.is_empty() {
        built.skipped += without_key.len();
        built.warnings.push(key_warning(
            kind,
            without_key.len(),
            "no key",
            &identity_name,
            id_list(&without_key),
            format!("soarform finds {plural} by that field: set it in Cloud SOAR to a key (letters, digits, `.`, `_`, `/` and `-`), then export again"),
        ));
    }
    if !invalid_keys.is_empty() {
        built.skipped += invalid_keys.len();
        built.warnings.push(key_warning(
            kind,
            invalid_keys.len(),
            "an invalid key",
            &identity_name,
            capped_list(&invalid_keys),
            format!("keys are letters, digits, `.`, `_`, `/` and `-`, start with a letter or digit and are at most {MAX_KEY_LENGTH} characters long: change the field in Cloud SOAR, then export again"),
        ));
    }
    let mut duplicates = Vec::new();
    let mut without_template = Vec::new();
    let mut field_problems: BTreeMap<(FieldProblem, String), Vec<String>> = BTreeMap::new();
    for (key, mut objects) in by_key {
        if objects.len() > 1 {
            let ids: Vec<u64> = objects.iter().map(|object| object.id).collect();
            built.skipped += ids.len();
            duplicates.push(format!("`{key}` ({})", id_list(&ids)));
            continue;
        }
        let Some(object) = objects.pop() else {
            continue;
        };
        let template = match kind {
            Kind::TriageItem => None,
            Kind::Incident => {
                let found = object.template.as_deref().and_then(|name| {
                    catalog
                        .template(&TemplateRef::Name(name.to_string()))
                        .ok()
                        .map(|template| template.name.clone())
                });
                if found.is_none() {
                    built.skipped += 1;
                    let shown_template = object
                        .template
                        .as_deref()
                        .map_or_else(|| "none".to_string(), |name| format!("`{name}`"));
                    without_template.push(format!(
                        "`{key}` (id {}, template {shown_template})",
                        object.id
                    ));
                    continue;
                }
                found
            }
        };
        let mut fields = Vec::new();
        for column in columns.all() {
            if column.field == identity_column.field
                || omit.contains(kind, &column.field)
                || SERVER_MANAGED_FIELDS.contains(&column.field.as_str())
            {
                continue;
            }
            let Some(raw) = object.fields.get(&column.field) else {
                continue;
            };
            match exported_value(column, raw) {
                Ok(Some(value)) => fields.push((written_name(column, columns), value)),
                Ok(None) => {}
                Err(problem) => field_problems
                    .entry((problem, column.label.clone()))
                    .or_default()
                    .push(format!("`{key}`")),
            }
        }
        for name in object.fields.keys() {
            if columns.all().iter().all(|column| &column.field != name)
                && !SERVER_MANAGED_FIELDS.contains(&name.as_str())
            {
                tracing::debug!(
                    "{} `{key}`: field `{name}` is not in the catalog; not exported",
                    kind.noun()
                );
            }
        }
        built.documents.push(Exportable {
            kind,
            folder: type_folder(kind, &object, columns),
            remote_id: object.id,
            document: CanonicalDocument {
                kind: kind.document_name().to_string(),
                key: key.clone(),
                template: template.map(Value::String),
                extends: None,
                ignore_changes: Vec::new(),
                fields,
            },
            key,
        });
    }
    if !duplicates.is_empty() {
        built.warnings.push(Warning {
            message: format!(
                "keys carried by more than one {} were not exported: {}",
                kind.noun(),
                capped_list(&duplicates)
            ),
            hint: Some(format!(
                "plan refuses keys it cannot tell apart: clear {identity_name} of the duplicates you do not want managed, then export again"
            )),
        });
    }
    if !without_template.is_empty() {
        built.warnings.push(Warning {
            message: format!(
                "{} without a template of the catalog {} not exported: {}",
                count_noun(without_template.len(), kind),
                if without_template.len() == 1 { "was" } else { "were" },
                capped_list(&without_template)
            ),
            hint: Some(
                "documents of incidents need `template:`; check the incident templates of the tenant (`GET incident_templates/`)"
                    .into(),
            ),
        });
    }
    for ((problem, label), keys) in field_problems {
        built.warnings.push(Warning {
            message: format!(
                "left out `{label}` of {} {}: {}",
                plural_or_single(keys.len(), kind),
                capped_list(&keys),
                problem.reason()
            ),
            hint: Some(format!(
                "the {} {} exported without it; declare it by hand if soarform should manage it",
                plural_or_single(keys.len(), kind),
                if keys.len() == 1 { "was" } else { "were" }
            )),
        });
    }
    built
}

/// The warning for `count` objects left out because of what their identity field holds.
fn key_warning(
    kind: Kind,
    count: usize,
    problem: &str,
    identity_name: &str,
    listed: String,
    hint: String,
) -> Warning {
    let one = count == 1;
    Warning {
        message: format!(
            "{} {} {problem} in {identity_name} and {} not exported: {listed}",
            count_noun(count, kind),
            if one { "has" } else { "have" },
            if one { "was" } else { "were" },
        ),
        hint: Some(hint),
    }
}

/// The value to write for a live field value, `None` when empty; only values that a plan reads
/// back as the live value are written.
fn exported_value(
    column: &Column,
    raw: &Value,
) -> std::result::Result<Option<Value>, FieldProblem> {
    let value = match (&column.column_type, raw) {
        (_, Value::Null) => return Ok(None),
        // In UTC with a `Z`, as people write them (`2026-11-20T09:00:00Z`), whatever form,
        // offset and precision the tenant shows: the same instant, so plans compare it equal.
        // Epoch 0 is how the tenant shows an unset date: never written.
        (ColumnType::Datetime, Value::String(_) | Value::Number(_)) => {
            match dates::read(raw, &column.dates) {
                Ok(dates::Read::Unset) => return Ok(None),
                Ok(dates::Read::Instant { at, .. }) => {
                    Value::String(normalize::format_instant(&at))
                }
                Err(_) => raw.clone(),
            }
        }
        (_, Value::String(text)) if text.is_empty() => return Ok(None),
        // Multi-value fields: a list of option names, or of tags; none at all is not written.
        (ColumnType::MultiSelect | ColumnType::Tags, _) => {
            match normalize::observed(column, Some(raw)) {
                Normalized::Set(values) if values.is_empty() => return Ok(None),
                Normalized::Set(values) => {
                    let mut items = Vec::with_capacity(values.len());
                    for value in values {
                        items.push(match value {
                            Normalized::Choice { id: Some(_), name } => Value::String(name),
                            Normalized::Text(text) if column.column_type == ColumnType::Tags => {
                                Value::String(text)
                            }
                            _ => return Err(FieldProblem::NotAnOption),
                        });
                    }
                    Value::Array(items)
                }
                _ => return Err(FieldProblem::NotAnOption),
            }
        }
        (ColumnType::Checkbox, _) => match normalize::observed(column, Some(raw)) {
            Normalized::Bool(flag) => Value::Bool(flag),
            _ => return Err(FieldProblem::NoRoundTrip),
        },
        (_, Value::Array(_) | Value::Object(_)) => return Err(FieldProblem::NotScalar),
        // Reads return display strings; an id (some deployments) is mapped to its name.
        (ColumnType::Select, _) => match normalize::observed(column, Some(raw)) {
            Normalized::Choice { id: Some(_), name } => Value::String(name),
            _ => return Err(FieldProblem::NotAnOption),
        },
        (ColumnType::Number, Value::Number(number)) => number_value(number.as_f64(), raw),
        (ColumnType::Number, Value::String(text)) => number_value(text.trim().parse().ok(), raw),
        // The server may answer with `\r\n`; files hold `\n`, which plans compare equal.
        (_, Value::String(text)) if column.column_type != ColumnType::Datetime => {
            Value::String(normalize::normalize_newlines(text))
        }
        (ColumnType::Text | ColumnType::Textarea, other) => Value::String(other.to_string()),
        _ => raw.clone(),
    };
    let reads_back = normalize::desired(column, &value)
        .is_ok_and(|desired| desired.normalized == normalize::observed(column, Some(raw)));
    if reads_back {
        Ok(Some(value))
    } else {
        Err(FieldProblem::NoRoundTrip)
    }
}

/// A whole number as an integer (`250000`, not `250000.0`); other numbers as they are.
fn number_value(number: Option<f64>, raw: &Value) -> Value {
    const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0; // 2^53
    match number {
        Some(number) if number.fract() == 0.0 && number.abs() < EXACT_INTEGERS => {
            // Exact: the number is whole and within the range f64 holds exactly.
            Value::from(number as i64)
        }
        Some(number) => {
            serde_json::Number::from_f64(number).map_or_else(|| raw.clone(), Value::Number)
        }
        None => raw.clone(),
    }
}

/// The name a document uses for a column: custom fields (`opt_N`) by label, standard fields by API
/// name; the API name also when the label could name another column.
fn written_name(column: &Column, columns: &Columns) -> String {
    let label = column.label.as_str();
    let is_custom = column.field.strip_prefix("opt_").is_some_and(|number| {
        !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit())
    });
    if !is_custom || label.trim().is_empty() {
        return column.field.clone();
    }
    let ambiguous = columns.all().iter().any(|other| {
        other.field != column.field
            && (other.label.eq_ignore_ascii_case(label) || other.field.eq_ignore_ascii_case(label))
    });
    let resolves_here = columns
        .find(label)
        .is_some_and(|found| found.field == column.field);
    if ambiguous || !resolves_here {
        column.field.clone()
    } else {
        label.to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::export::test_fixtures::catalog;

    fn identity(catalog: &Catalog) -> Identity {
        Identity::resolve(catalog, None, None).unwrap()
    }

    fn incident(id: u64, fields: Value) -> RemoteObject {
        RemoteObject::from_json(&json!({
            "id": id,
            "template": {"name": "Template", "value": "Phishing"},
            "created_by": "api",
            "fields": fields
        }))
        .unwrap()
    }

    #[test]
    fn keys_follow_the_document_pattern() {
        assert!(crate::manifest::is_valid_key("phishing/ceo-wire-fraud"));
        assert!(crate::manifest::is_valid_key("INC-0042"));
        assert!(!crate::manifest::is_valid_key("has space"));
        assert!(!crate::manifest::is_valid_key("/leading"));
        assert!(!crate::manifest::is_valid_key("a*"));
        assert!(!crate::manifest::is_valid_key(""));
        assert!(!crate::manifest::is_valid_key(
            &"a".repeat(MAX_KEY_LENGTH + 1)
        ));
        assert!(crate::manifest::is_valid_key(&"a".repeat(MAX_KEY_LENGTH)));
    }

    #[test]
    fn custom_fields_by_label_unless_ambiguous() {
        let catalog = catalog();
        let columns = catalog.columns(Kind::Incident);
        let name = |field: &str| {
            let column = columns
                .all()
                .iter()
                .find(|column| column.field == field)
                .unwrap();
            written_name(column, columns)
        };
        assert_eq!(name("opt_3"), "Business unit");
        assert_eq!(name("status"), "status");
        // `status` is another column's API name; `Twin` and `twin` name each other.
        assert_eq!(name("opt_7"), "opt_7");
        assert_eq!(name("opt_8"), "opt_8");
        assert_eq!(name("opt_9"), "opt_9");
    }

    #[test]
    fn values_are_written_as_plans_read_them_back() {
        let catalog = catalog();
        let columns = catalog.columns(Kind::Incident);
        let column = |field: &str| {
            columns
                .all()
                .iter()
                .find(|column| column.field == field)
                .unwrap()
        };
        let value = |field: &str, raw: Value| exported_value(column(field), &raw);
        assert_eq!(value("status", json!("Open")), Ok(Some(json!("Open"))));
        assert_eq!(value("status", json!(2)), Ok(Some(json!("In progress"))));
        assert_eq!(
            value("status", json!("Weird")),
            Err(FieldProblem::NotAnOption)
        );
        assert_eq!(value("opt_3", json!("0042")), Ok(Some(json!("0042"))));
        assert_eq!(value("opt_3", json!(42)), Ok(Some(json!("42"))));
        assert_eq!(value("opt_3", json!("")), Ok(None));
        assert_eq!(value("opt_3", Value::Null), Ok(None));
        assert_eq!(value("opt_3", json!(["a"])), Err(FieldProblem::NotScalar));
        assert_eq!(
            value("description", json!("one\r\ntwo\r\n")),
            Ok(Some(json!("one\ntwo\n")))
        );
        assert_eq!(value("opt_5", json!(250000.0)), Ok(Some(json!(250000))));
        assert_eq!(value("opt_5", json!(12.5)), Ok(Some(json!(12.5))));
        assert_eq!(
            value("opt_5", json!("lots")),
            Err(FieldProblem::NoRoundTrip)
        );
        assert_eq!(
            value("starttime", json!("2026-11-20T10:00:00.000000+01:00")),
            Ok(Some(json!("2026-11-20T09:00:00Z")))
        );
        assert_eq!(
            value("starttime", json!("2026-11-20 09:00:00")),
            Ok(Some(json!("2026-11-20T09:00:00Z")))
        );
        assert_eq!(
            value("starttime", json!("soon")),
            Err(FieldProblem::NoRoundTrip)
        );
    }

    #[test]
    fn documents_leave_out_what_cannot_be_managed() {
        let catalog = catalog();
        let identity = identity(&catalog);
        let mut omit = FieldNames::default();
        omit.insert(Kind::Incident, "opt_5".into());
        let objects = vec![
            incident(
                3,
                json!({"incidentid": "b/two", "status": {"name": "Status", "value": "Open"},
                       "opt_3": "Finance", "opt_5": 3.0, "created_by": "api", "mystery": 1}),
            ),
            incident(1, json!({"incidentid": "", "status": "Open"})),
            incident(2, json!({"status": "Open"})),
            incident(4, json!({"incidentid": "dup", "status": "Open"})),
            incident(5, json!({"incidentid": "dup", "status": "Open"})),
            incident(6, json!({"incidentid": "has space"})),
            incident(
                7,
                json!({"incidentid": "a/one", "status": "Weird", "incident_kind": "Suspicious login"}),
            ),
            incident(3, json!({"incidentid": "b/two", "status": "Open"})),
        ];
        let built = build_documents(Kind::Incident, objects, &catalog, &identity, &omit);
        let keys: Vec<(&str, &str)> = built
            .documents
            .iter()
            .map(|document| (document.key.as_str(), document.folder.as_str()))
            .collect();
        assert_eq!(
            keys,
            vec![("a/one", "suspicious-login"), ("b/two", "untyped")]
        );
        assert_eq!(built.skipped, 5);
        let two = &built.documents[1].document;
        assert_eq!(two.template, Some(json!("Phishing")));
        // The later copy of id 3 (a repeated page) is the one kept.
        assert_eq!(two.fields, vec![("status".to_string(), json!("Open"))]);
        let warnings: Vec<String> = built.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            vec![
                "warning: 2 incidents have no key in `Incident ID` (incidentid) and were not exported: ids 1 and 2\nhint: soarform finds incidents by that field: set it in Cloud SOAR to a key (letters, digits, `.`, `_`, `/` and `-`), then export again\n".to_string(),
                "warning: 1 incident has an invalid key in `Incident ID` (incidentid) and was not exported: id 6 (`has space`)\nhint: keys are letters, digits, `.`, `_`, `/` and `-`, start with a letter or digit and are at most 200 characters long: change the field in Cloud SOAR, then export again\n".to_string(),
                "warning: keys carried by more than one incident were not exported: `dup` (ids 4 and 5)\nhint: plan refuses keys it cannot tell apart: clear `Incident ID` (incidentid) of the duplicates you do not want managed, then export again\n".to_string(),
                "warning: left out `Status` of incident `a/one`: the value is not one of the field's options in the catalog\nhint: the incident was exported without it; declare it by hand if soarform should manage it\n".to_string(),
            ]
        );
    }

    #[test]
    fn incidents_need_a_known_template() {
        let catalog = catalog();
        let identity = identity(&catalog);
        let mut unknown = incident(1, json!({"incidentid": "a"}));
        unknown.template = Some("Gone".into());
        let mut none = incident(2, json!({"incidentid": "b"}));
        none.template = None;
        let built = build_documents(
            Kind::Incident,
            vec![unknown, none],
            &catalog,
            &identity,
            &FieldNames::default(),
        );
        assert!(built.documents.is_empty());
        assert_eq!(built.skipped, 2);
        assert_eq!(
            built.warnings[0].message,
            "2 incidents without a template of the catalog were not exported: `a` (id 1, template `Gone`) and `b` (id 2, template none)"
        );
    }
}
