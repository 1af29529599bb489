//! Desired objects compared with observed ones ([`compute`]): a create, update, move, adoption or
//! nothing per declared key, or the conflicts that keep a key from being planned.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use crate::catalog::{Catalog, Column};
use crate::kind::Kind;
use crate::normalize::{self, Normalized};
use crate::remote::Observed;
use crate::remote::RemoteObject;
use crate::resolve::{Identity, ResolvedObject};

use super::bookkeeping::{bookkeeping, ownership_basis};
use super::conflict::{Conflict, ConflictReason};
use super::model::{Action, Adoption, FieldChange, ObjectPlan, ObservedField, Plan, OWNER_MARKER};
use super::options::PlanOptions;
use super::retire::retire_duplicate;

/// Compares desired with observed objects.
///
/// `desired` may be given by value: each object is then dropped once compared, so that a large
/// plan never holds the resolved objects and the planned ones in full at once.
pub(crate) fn compute<D: Borrow<ResolvedObject>>(
    desired: impl IntoIterator<Item = D>,
    observed: &Observed,
    identity: &Identity,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Plan, Vec<Conflict>> {
    let desired = desired.into_iter();
    let mut objects = Vec::with_capacity(desired.size_hint().0);
    let mut retirements = Vec::new();
    let mut conflicts = Vec::new();
    for owned in desired {
        let object: &ResolvedObject = owned.borrow();
        let kind = object.kind;
        let identity_column = identity.column(kind);
        let old_keys = options.moves.old_keys(kind, &object.key);
        let under_old: Vec<(&String, &RemoteObject)> = old_keys
            .iter()
            .flat_map(|old| observed.get(kind, old).iter().map(move |live| (old, live)))
            .collect();
        let conflict = |ids: Vec<u64>, reason| Conflict {
            kind,
            key: object.key.clone(),
            ids,
            reason,
        };
        let planned = match (observed.get(kind, &object.key), under_old.as_slice()) {
            ([], []) => {
                let mut planned = create(object, identity_column, options);
                for old in &old_keys {
                    planned.warnings.push(format!(
                        "moved from `{old}`, but no {} carries that key: a new one is created",
                        kind.noun()
                    ));
                }
                planned
            }
            ([live], []) => compare(object, live, None, identity_column, catalog, options),
            ([kept, twins @ ..], []) if options.ownership.made_all(kind, twins, kept) => {
                // soarform made every one of them: keep the oldest, retire the others.
                for twin in twins {
                    retirements.push(retire_duplicate(
                        kind,
                        &object.key,
                        twin,
                        kept.id,
                        identity_column,
                        options,
                    ));
                }
                compare(object, kept, None, identity_column, catalog, options)
            }
            ([], [(old, live)]) => {
                compare(object, live, Some(old), identity_column, catalog, options)
            }
            (new, old) if new.is_empty() || old.is_empty() => {
                let ids = new.iter().chain(old.iter().map(|(_, live)| *live));
                conflicts.push(conflict(
                    ids.map(|live| live.id).collect(),
                    ConflictReason::Duplicates,
                ));
                continue;
            }
            (new, old) => {
                let mut found: Vec<String> = old.iter().map(|(key, _)| (*key).clone()).collect();
                found.dedup();
                conflicts.push(conflict(
                    new.iter()
                        .map(|live| live.id)
                        .chain(old.iter().map(|(_, live)| live.id))
                        .collect(),
                    ConflictReason::MovedAndNew { old_keys: found },
                ));
                continue;
            }
        };
        if let (true, Some(adoption)) = (options.refuse_adoption, &planned.adopted) {
            conflicts.push(conflict(
                planned.remote_id.into_iter().collect(),
                ConflictReason::NotAdopted {
                    created_by: adoption.created_by.clone(),
                    old_key: planned.moved_from.clone(),
                },
            ));
            continue;
        }
        objects.push(planned);
    }
    // A safety net under `moved:` checks: never plan two writes of different keys to one object.
    let mut claimed: BTreeMap<(Kind, u64), &str> = BTreeMap::new();
    for object in &objects {
        let Some(id) = object.remote_id else {
            continue;
        };
        if let Some(other) = claimed.insert((object.kind, id), &object.key) {
            conflicts.push(Conflict {
                kind: object.kind,
                key: object.key.clone(),
                ids: vec![id],
                reason: ConflictReason::ClaimedTwice {
                    other_key: other.to_string(),
                },
            });
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    objects.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.key.cmp(&b.key)));
    objects.extend(retirements);
    Ok(Plan {
        objects,
        undeclared: Vec::new(),
    })
}

fn create(object: &ResolvedObject, identity: &Column, options: &PlanOptions) -> ObjectPlan {
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
        identity_field: identity.field.clone(),
        changes,
        observed: Vec::new(),
        warnings: Vec::new(),
        moved_from: None,
        adopted: None,
        ownership_field: options
            .ownership
            .column(object.kind)
            .map(|column| column.field.clone()),
    }
}

fn compare(
    object: &ResolvedObject,
    live: &RemoteObject,
    moved_from: Option<&String>,
    identity: &Column,
    catalog: &Catalog,
    options: &PlanOptions,
) -> ObjectPlan {
    let mut changes = Vec::new();
    let mut basis = Vec::with_capacity(object.fields.len() + 2);
    if moved_from.is_some() {
        let before = normalize::observed(identity, live.fields.get(&identity.field));
        let (change, observed) = bookkeeping(identity, before, &object.key, false);
        changes.push(change);
        basis.push(observed);
    }
    let adopted = (!options.ownership.owns(object.kind, live)).then(|| Adoption {
        created_by: live.created_by.clone(),
    });
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
    match (&adopted, options.ownership.column(object.kind)) {
        (Some(_), Some(column)) => {
            let before = normalize::observed(column, live.fields.get(&column.field));
            let sensitive = options.sensitive.contains(object.kind, &column.field);
            let (change, observed) = bookkeeping(column, before, OWNER_MARKER, sensitive);
            changes.push(change);
            basis.push(observed);
        }
        _ => basis.extend(ownership_basis(object.kind, live, options)),
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
    let action = if moved_from.is_some() {
        Action::Move
    } else if adopted.is_some() {
        Action::Adopt
    } else if changes.is_empty() {
        Action::Unchanged
    } else {
        Action::Update
    };
    ObjectPlan {
        kind: object.kind,
        key: object.key.clone(),
        action,
        remote_id: Some(live.id),
        template: object.template.clone(),
        identity_field: identity.field.clone(),
        changes,
        observed: basis,
        warnings,
        moved_from: moved_from.cloned(),
        adopted,
        ownership_field: options
            .ownership
            .column(object.kind)
            .map(|column| column.field.clone()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::conflict::ConflictReason;
    use crate::plan::model::{Summary, OWNER_MARKER};
    use crate::plan::options::PlanOptions;
    use crate::plan::test_fixtures::{desired, fixture, live, owned, status, text};

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
                ..Summary::default()
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

    #[test]
    fn a_moved_key_rewrites_the_identity_field_of_the_object_carrying_the_old_key() {
        let (catalog, identity) = fixture();
        let mut options = PlanOptions::default();
        options
            .moves
            .insert(Kind::Incident, "p/old".into(), "p/mid".into());
        options
            .moves
            .insert(Kind::Incident, "p/mid".into(), "p/new".into());
        assert_eq!(
            options.moves.old_keys(Kind::Incident, "p/new"),
            ["p/mid", "p/old"]
        );
        let wanted = [desired("p/new", &[(status(), json!("Open"))])];

        let mut observed = Observed::default();
        observed.insert(
            Kind::Incident,
            "p/old",
            live(7, "p/old", &[("status", json!("Open"))]),
        );
        let plan = compute(&wanted, &observed, &identity, &catalog, &options).unwrap();
        let object = &plan.objects[0];
        assert_eq!(object.action, Action::Move);
        assert_eq!(object.moved_from.as_deref(), Some("p/old"));
        assert_eq!(object.remote_id, Some(7));
        assert_eq!(
            object.write_fields(),
            json!({"incidentid": "p/new"}).as_object().cloned().unwrap()
        );
        assert_eq!(plan.summary().moved, 1);

        // Already moved: an ordinary comparison.
        let mut observed = Observed::default();
        observed.insert(
            Kind::Incident,
            "p/new",
            live(7, "p/new", &[("status", json!("Open"))]),
        );
        let plan = compute(&wanted, &observed, &identity, &catalog, &options).unwrap();
        assert_eq!(plan.objects[0].action, Action::Unchanged);

        // Neither key carried: created, and the reviewer is told the old key was not found.
        let plan = compute(&wanted, &Observed::default(), &identity, &catalog, &options).unwrap();
        assert_eq!(plan.objects[0].action, Action::Create);
        assert!(plan.objects[0]
            .warnings
            .iter()
            .any(|warning| warning.contains("`p/old`")));

        // Both carried: never guess.
        let mut observed = Observed::default();
        observed.insert(Kind::Incident, "p/new", live(8, "p/new", &[]));
        observed.insert(Kind::Incident, "p/old", live(7, "p/old", &[]));
        let conflicts = compute(&wanted, &observed, &identity, &catalog, &options).unwrap_err();
        assert_eq!(conflicts[0].ids, [8, 7]);
        assert!(
            conflicts[0].to_string().contains("old key `p/old`"),
            "{}",
            conflicts[0]
        );
    }

    #[test]
    fn objects_soarform_never_wrote_are_adopted_or_refused() {
        let (catalog, identity) = fixture();
        let mut options = PlanOptions {
            ownership: owned(),
            ..PlanOptions::default()
        };
        let wanted = [desired("p/one", &[(status(), json!("Open"))])];
        let mut observed = Observed::default();
        observed.insert(
            Kind::Incident,
            "p/one",
            live(7, "p/one", &[("status", json!("Open"))]),
        );
        let plan = compute(&wanted, &observed, &identity, &catalog, &options).unwrap();
        let object = &plan.objects[0];
        assert_eq!(object.action, Action::Adopt);
        assert_eq!(
            object.adopted.as_ref().unwrap().created_by.as_deref(),
            Some("api")
        );
        assert_eq!(
            object.write_fields(),
            json!({"opt_7": OWNER_MARKER}).as_object().cloned().unwrap()
        );
        assert!(object
            .details()
            .iter()
            .any(|detail| detail.contains("created by api")));

        // Marked objects are soarform's: nothing to adopt.
        let mut marked = Observed::default();
        marked.insert(
            Kind::Incident,
            "p/one",
            live(
                7,
                "p/one",
                &[("status", json!("Open")), ("opt_7", json!(OWNER_MARKER))],
            ),
        );
        let plan = compute(&wanted, &marked, &identity, &catalog, &options).unwrap();
        assert_eq!(plan.objects[0].action, Action::Unchanged);

        // Creates carry the marker.
        let plan = compute(&wanted, &Observed::default(), &identity, &catalog, &options).unwrap();
        assert_eq!(plan.objects[0].write_fields()["opt_7"], json!(OWNER_MARKER));

        options.refuse_adoption = true;
        let conflicts = compute(&wanted, &observed, &identity, &catalog, &options).unwrap_err();
        assert!(matches!(
            conflicts[0].reason,
            ConflictReason::NotAdopted { .. }
        ));
        assert!(
            conflicts[0].to_string().contains("never wrote"),
            "{}",
            conflicts[0]
        );
    }

    #[test]
    fn one_object_is_never_planned_under_two_keys() {
        let (catalog, identity) = fixture();
        let mut options = PlanOptions::default();
        options
            .moves
            .insert(Kind::Incident, "p/old".into(), "p/one".into());
        options
            .moves
            .insert(Kind::Incident, "p/old".into(), "p/two".into());
        let mut observed = Observed::default();
        observed.insert(Kind::Incident, "p/old", live(7, "p/old", &[]));
        let wanted = [desired("p/one", &[]), desired("p/two", &[])];
        let conflicts = compute(&wanted, &observed, &identity, &catalog, &options).unwrap_err();
        assert!(matches!(
            conflicts[0].reason,
            ConflictReason::ClaimedTwice { .. }
        ));
        assert!(
            conflicts[0].to_string().contains("both match id 7"),
            "{}",
            conflicts[0]
        );
    }
}
