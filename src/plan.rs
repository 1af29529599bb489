//! The plan: desired objects compared with observed ones, as plain data. No I/O happens here.
//!
//! Only the fields a document declares are compared (as server-side apply does), so server-managed
//! fields and fields the repository does not mention never show as changes.

use serde_json::{Map, Value};

use crate::catalog::{Catalog, Template};
use crate::client::RemoteObject;
use crate::kind::Kind;
use crate::normalize::{self, Normalized};
use crate::observe::Observed;
use crate::resolve::{FieldNames, Identity, ResolvedObject};

/// What apply will do to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// No object carries the key: `POST` it with every declared field.
    Create,
    /// One object carries the key and some declared fields differ: `PUT` only those.
    Update,
    /// One object carries the key and every declared field matches.
    Unchanged,
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// The API name (`opt_3`).
    pub field: String,
    /// The catalog label (`Business unit`).
    pub label: String,
    /// The name as the document wrote it.
    pub declared_name: String,
    /// The live value (`Absent` for creates).
    pub before: Normalized,
    /// The desired value.
    pub after: Normalized,
    /// What the request body carries for this field.
    pub write: Value,
    /// Listed in `sensitive_fields`: the values are never shown or saved, only that they differ.
    pub sensitive: bool,
}

/// A compared field's live value when the plan was made: what a saved plan checks again before
/// applying, so that nothing changed since the review is overwritten.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedField {
    /// The API name.
    pub field: String,
    /// The catalog label.
    pub label: String,
    /// The live value.
    pub value: Normalized,
    /// Listed in `sensitive_fields`.
    pub sensitive: bool,
}

/// The plan for one declared object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectPlan {
    /// Incident or triage item.
    pub kind: Kind,
    /// The repository key.
    pub key: String,
    /// What will happen.
    pub action: Action,
    /// The live object's id (updates and unchanged objects).
    pub remote_id: Option<u64>,
    /// The incident template (creates send its id).
    pub template: Option<Template>,
    /// The API name of the identity field the key is written to on create.
    pub identity_field: String,
    /// Declared fields that differ (every declared field for creates).
    pub changes: Vec<FieldChange>,
    /// Every compared field's live value (empty for creates: no object carried the key).
    pub observed: Vec<ObservedField>,
    /// Things a reviewer should know that are not changes (a template that cannot change, say).
    pub warnings: Vec<String>,
}

impl ObjectPlan {
    /// The request body fields: every change, plus the identity field on create.
    pub fn write_fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        if self.action == Action::Create {
            fields.insert(self.identity_field.clone(), Value::String(self.key.clone()));
        }
        for change in &self.changes {
            fields.insert(change.field.clone(), change.write.clone());
        }
        fields
    }
}

/// How many objects each action touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
}

/// Every declared object and what apply would do to it, ordered by kind, then key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub objects: Vec<ObjectPlan>,
}

impl Plan {
    /// Counts per action.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for object in &self.objects {
            match object.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Unchanged => summary.unchanged += 1,
            }
        }
        summary
    }

    /// Whether apply would send anything.
    pub fn has_changes(&self) -> bool {
        self.objects
            .iter()
            .any(|object| object.action != Action::Unchanged)
    }
}

/// More than one live object carries a key: soarform never guesses which one is meant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} objects carry the key `{key}` of this {}: ids {}", ids.len(), kind.noun(), ids.iter().map(u64::to_string).collect::<Vec<_>>().join(", "))]
pub struct Conflict {
    pub kind: Kind,
    pub key: String,
    pub ids: Vec<u64>,
}

/// Options that change what counts as a difference and what may be shown.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Fields never compared after creation (`ignore_changes` in soarform.yaml); documents add
    /// their own.
    pub ignore_changes: FieldNames,
    /// Fields whose values are never shown (`sensitive_fields` in soarform.yaml).
    pub sensitive: FieldNames,
}

/// Compares desired with observed objects.
pub fn compute(
    desired: &[ResolvedObject],
    observed: &Observed,
    identity: &Identity,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Plan, Vec<Conflict>> {
    let mut objects = Vec::with_capacity(desired.len());
    let mut conflicts = Vec::new();
    for object in desired {
        let identity_field = identity.column(object.kind).field.clone();
        match observed.get(object.kind, &object.key) {
            [] => objects.push(create(object, identity_field, options)),
            [live] => objects.push(compare(object, live, identity_field, catalog, options)),
            many => conflicts.push(Conflict {
                kind: object.kind,
                key: object.key.clone(),
                ids: many.iter().map(|live| live.id).collect(),
            }),
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    objects.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.key.cmp(&b.key)));
    Ok(Plan { objects })
}

fn create(object: &ResolvedObject, identity_field: String, options: &PlanOptions) -> ObjectPlan {
    let changes = object
        .fields
        .iter()
        .filter(|field| field.value.normalized != Normalized::Absent)
        .map(|field| FieldChange {
            field: field.column.field.clone(),
            label: field.column.label.clone(),
            declared_name: field.declared_name.clone(),
            before: Normalized::Absent,
            after: field.value.normalized.clone(),
            write: field.value.write.clone(),
            sensitive: options.sensitive.contains(object.kind, &field.column.field),
        })
        .collect();
    ObjectPlan {
        kind: object.kind,
        key: object.key.clone(),
        action: Action::Create,
        remote_id: None,
        template: object.template.clone(),
        identity_field,
        changes,
        observed: Vec::new(),
        warnings: Vec::new(),
    }
}

fn compare(
    object: &ResolvedObject,
    live: &RemoteObject,
    identity_field: String,
    catalog: &Catalog,
    options: &PlanOptions,
) -> ObjectPlan {
    let mut changes = Vec::new();
    let mut basis = Vec::with_capacity(object.fields.len());
    for field in &object.fields {
        let column = &field.column;
        if options.ignore_changes.contains(object.kind, &column.field)
            || object.ignore_changes.contains(&column.field)
        {
            continue;
        }
        let sensitive = options.sensitive.contains(object.kind, &column.field);
        let before = normalize::observed(column, live.fields.get(&column.field));
        if before != field.value.normalized {
            changes.push(FieldChange {
                field: column.field.clone(),
                label: column.label.clone(),
                declared_name: field.declared_name.clone(),
                before: before.clone(),
                after: field.value.normalized.clone(),
                write: field.value.write.clone(),
                sensitive,
            });
        }
        basis.push(ObservedField {
            field: column.field.clone(),
            label: column.label.clone(),
            value: before,
            sensitive,
        });
    }
    let mut warnings = Vec::new();
    if let (Some(wanted), Some(live_template)) = (&object.template, &live.template) {
        let same = wanted.name == *live_template
            || catalog
                .template_by_name(live_template)
                .is_some_and(|found| found.id == wanted.id);
        if !same {
            warnings.push(format!(
                "the live incident uses template `{live_template}`, the document says `{}`; an existing incident's template cannot change, so it is left as it is",
                wanted.name
            ));
        }
    }
    ObjectPlan {
        kind: object.kind,
        key: object.key.clone(),
        action: if changes.is_empty() {
            Action::Unchanged
        } else {
            Action::Update
        },
        remote_id: Some(live.id),
        template: object.template.clone(),
        identity_field,
        changes,
        observed: basis,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Choice, Column, ColumnType, Columns};
    use crate::resolve::ResolvedField;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn status() -> Column {
        Column {
            field: "status".into(),
            label: "Status".into(),
            column_type: ColumnType::Select,
            options: vec![
                Choice {
                    id: 1,
                    value: "Open".into(),
                },
                Choice {
                    id: 4,
                    value: "Closed".into(),
                },
            ],
        }
    }

    fn text(field: &str, label: &str) -> Column {
        Column {
            field: field.into(),
            label: label.into(),
            column_type: ColumnType::Textarea,
            options: vec![],
        }
    }

    fn fixture() -> (Catalog, Identity) {
        let incidentid = Column {
            field: "incidentid".into(),
            label: "Incident ID".into(),
            column_type: ColumnType::Text,
            options: vec![],
        };
        let reference = text("opt_1", "Source reference");
        let catalog = Catalog {
            templates: vec![
                Template {
                    id: 1,
                    name: "Phishing".into(),
                },
                Template {
                    id: 2,
                    name: "Malware".into(),
                },
            ],
            incident_columns: Columns::new(vec![
                incidentid.clone(),
                status(),
                text("description", "Description"),
            ]),
            triage_columns: Columns::new(vec![reference.clone()]),
        };
        (
            catalog,
            Identity {
                incident: incidentid,
                triage: reference,
            },
        )
    }

    fn desired(key: &str, fields: &[(Column, Value)]) -> ResolvedObject {
        ResolvedObject {
            kind: Kind::Incident,
            key: key.into(),
            template: Some(Template {
                id: 1,
                name: "Phishing".into(),
            }),
            fields: fields
                .iter()
                .map(|(column, value)| ResolvedField {
                    column: column.clone(),
                    declared_name: column.label.clone(),
                    value: normalize::desired(column, value).unwrap(),
                })
                .collect(),
            ignore_changes: Default::default(),
        }
    }

    fn live(id: u64, key: &str, fields: &[(&str, Value)]) -> RemoteObject {
        let mut map: BTreeMap<String, Value> = fields
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect();
        map.insert("incidentid".into(), json!(key));
        map.insert("created_by".into(), json!("someone"));
        RemoteObject {
            id,
            template: Some("Phishing".into()),
            created_by: Some("api".into()),
            fields: map,
        }
    }

    #[test]
    fn missing_objects_are_created_with_every_declared_field_and_the_key() {
        let (catalog, identity) = fixture();
        let plan = compute(
            &[desired("p/one", &[(status(), json!("Open"))])],
            &Observed::default(),
            &identity,
            &catalog,
            &PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(
            plan.summary(),
            Summary {
                create: 1,
                update: 0,
                unchanged: 0
            }
        );
        let fields = plan.objects[0].write_fields();
        assert_eq!(fields["incidentid"], json!("p/one"));
        assert_eq!(fields["status"], json!(1));
    }

    #[test]
    fn only_changed_declared_fields_are_updated() {
        let (catalog, identity) = fixture();
        let mut observed = Observed::default();
        observed.insert(
            Kind::Incident,
            "p/one",
            live(
                7,
                "p/one",
                &[("status", json!("Open")), ("description", json!("a\r\nb"))],
            ),
        );
        let plan = compute(
            &[desired(
                "p/one",
                &[
                    (status(), json!("Closed")),
                    (text("description", "Description"), json!("a\nb")),
                ],
            )],
            &observed,
            &identity,
            &catalog,
            &PlanOptions::default(),
        )
        .unwrap();
        let object = &plan.objects[0];
        assert_eq!(object.action, Action::Update);
        assert_eq!(object.remote_id, Some(7));
        assert_eq!(object.changes.len(), 1);
        assert_eq!(
            object.write_fields(),
            json!({"status": 4}).as_object().unwrap().clone()
        );
    }

    #[test]
    fn matching_objects_are_unchanged_and_ignored_fields_are_skipped() {
        let (catalog, identity) = fixture();
        let mut observed = Observed::default();
        observed.insert(
            Kind::Incident,
            "p/one",
            live(7, "p/one", &[("status", json!("Open"))]),
        );
        let wanted = [desired("p/one", &[(status(), json!("Closed"))])];
        let mut options = PlanOptions::default();
        options
            .ignore_changes
            .insert(Kind::Incident, "status".to_string());
        let plan = compute(&wanted, &observed, &identity, &catalog, &options).unwrap();
        assert_eq!(plan.objects[0].action, Action::Unchanged);
        assert!(plan.objects[0].observed.is_empty());
        assert!(!plan.has_changes());

        // The same, declared by the document instead of soarform.yaml.
        let mut wanted = wanted;
        wanted[0].ignore_changes.insert("status".to_string());
        let plan = compute(
            &wanted,
            &observed,
            &identity,
            &catalog,
            &PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(plan.objects[0].action, Action::Unchanged);
    }

    #[test]
    fn ignored_fields_are_still_sent_on_create() {
        let (catalog, identity) = fixture();
        let mut wanted = [desired("p/one", &[(status(), json!("Open"))])];
        wanted[0].ignore_changes.insert("status".to_string());
        let plan = compute(
            &wanted,
            &Observed::default(),
            &identity,
            &catalog,
            &PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(plan.objects[0].write_fields()["status"], json!(1));
    }

    #[test]
    fn sensitive_fields_are_marked_and_every_compared_field_is_recorded() {
        let (catalog, identity) = fixture();
        let mut observed = Observed::default();
        observed.insert(
            Kind::Incident,
            "p/one",
            live(
                7,
                "p/one",
                &[("status", json!("Open")), ("description", json!("old"))],
            ),
        );
        let mut options = PlanOptions::default();
        options
            .sensitive
            .insert(Kind::Incident, "description".to_string());
        let plan = compute(
            &[desired(
                "p/one",
                &[
                    (status(), json!("Open")),
                    (text("description", "Description"), json!("new")),
                ],
            )],
            &observed,
            &identity,
            &catalog,
            &options,
        )
        .unwrap();
        let object = &plan.objects[0];
        assert_eq!(object.changes.len(), 1);
        assert!(object.changes[0].sensitive);
        let recorded: Vec<(&str, bool)> = object
            .observed
            .iter()
            .map(|field| (field.field.as_str(), field.sensitive))
            .collect();
        assert_eq!(recorded, [("status", false), ("description", true)]);
    }

    #[test]
    fn two_objects_under_one_key_are_a_conflict_naming_both_ids() {
        let (catalog, identity) = fixture();
        let mut observed = Observed::default();
        observed.insert(Kind::Incident, "p/one", live(7, "p/one", &[]));
        observed.insert(Kind::Incident, "p/one", live(9, "p/one", &[]));
        let conflicts = compute(
            &[desired("p/one", &[])],
            &observed,
            &identity,
            &catalog,
            &PlanOptions::default(),
        )
        .unwrap_err();
        assert_eq!(conflicts[0].ids, vec![7, 9]);
        assert!(conflicts[0].to_string().contains("ids 7, 9"));
    }

    #[test]
    fn a_different_live_template_is_a_warning_not_a_change() {
        let (catalog, identity) = fixture();
        let mut observed = Observed::default();
        let mut object = live(7, "p/one", &[]);
        object.template = Some("Malware".into());
        observed.insert(Kind::Incident, "p/one", object);
        let plan = compute(
            &[desired("p/one", &[])],
            &observed,
            &identity,
            &catalog,
            &PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(plan.objects[0].action, Action::Unchanged);
        assert_eq!(plan.objects[0].warnings.len(), 1);
    }

    #[test]
    fn plans_are_ordered_by_kind_then_key() {
        let (catalog, identity) = fixture();
        let plan = compute(
            &[desired("b", &[]), desired("a", &[])],
            &Observed::default(),
            &identity,
            &catalog,
            &PlanOptions::default(),
        )
        .unwrap();
        let keys: Vec<&str> = plan
            .objects
            .iter()
            .map(|object| object.key.as_str())
            .collect();
        assert_eq!(keys, ["a", "b"]);
    }
}
