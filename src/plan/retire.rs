//! Retirement: undeclared objects in `prune_scope` closed or listed ([`retire`]), and second
//! objects soarform made under one key retired as duplicates ([`retire_duplicate`]) under an
//! identity no key can be ([`retired_identity`]).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::catalog::Column;
use crate::kind::Kind;
use crate::normalize::{self, Normalized};
use crate::remote::RemoteObject;
use crate::resolve::Identity;

use super::bookkeeping::{bookkeeping, ownership_basis};
use super::model::{Action, FieldChange, ObjectPlan, ObservedField, Undeclared};
use super::options::{Closing, PlanOptions};

/// What a retired duplicate's identity field holds instead of the key: text that no key can be
/// (keys never hold `#`), naming the object that keeps the key.
pub(crate) fn retired_identity(key: &str, kept_id: u64) -> String {
    format!("{key}#duplicate-of-{kept_id}")
}

/// Whether an identity is one [`retired_identity`] wrote.
pub(crate) fn is_retired_identity(identity: &str) -> bool {
    identity
        .rsplit_once("#duplicate-of-")
        .is_some_and(|(key, id)| {
            !key.is_empty() && !id.is_empty() && id.bytes().all(|byte| byte.is_ascii_digit())
        })
}

/// The retirement of `twin`, a second object soarform made under `key` while `kept_id` keeps
/// it: the identity rewritten, and, where the tenant's catalog allows ([`PlanOptions::closing`]),
/// the closed status and a note naming the kept object.
pub(crate) fn retire_duplicate(
    kind: Kind,
    key: &str,
    twin: &RemoteObject,
    kept_id: u64,
    identity: &Column,
    options: &PlanOptions,
) -> ObjectPlan {
    let sensitive = |column: &Column| options.sensitive.contains(kind, &column.field);
    let observed_value =
        |column: &Column| normalize::observed(column, twin.fields.get(&column.field));
    let (identity_change, identity_basis) = bookkeeping(
        identity,
        observed_value(identity),
        &retired_identity(key, kept_id),
        sensitive(identity),
    );
    let mut changes = vec![identity_change];
    let mut observed = vec![identity_basis];
    if let Some(closing) = options.closing(kind) {
        let before = observed_value(&closing.status);
        changes.push(FieldChange {
            field: closing.status.field.clone(),
            label: closing.status.label.clone(),
            declared_name: closing.status.label.clone(),
            before: before.clone(),
            after: Normalized::Choice {
                id: Some(closing.closed.id),
                name: closing.closed.value.clone(),
            },
            write: Value::from(closing.closed.id),
            sensitive: sensitive(&closing.status),
        });
        observed.push(ObservedField {
            field: closing.status.field.clone(),
            label: closing.status.label.clone(),
            value: before,
            sensitive: sensitive(&closing.status),
        });
        if let Some((note_field, _)) = &closing.note {
            let note = format!(
                "Retired by soarform: a duplicate of {} {kept_id}, which keeps the key `{key}`.",
                kind.noun()
            );
            let (change, basis) = bookkeeping(
                note_field,
                observed_value(note_field),
                &note,
                sensitive(note_field),
            );
            changes.push(change);
            observed.push(basis);
        }
    }
    observed.extend(ownership_basis(kind, twin, options));
    ObjectPlan {
        kind,
        key: key.to_string(),
        action: Action::RetireDuplicate,
        remote_id: Some(twin.id),
        template: None,
        identity_field: identity.field.clone(),
        changes,
        observed,
        warnings: vec![format!(
            "a second {} soarform made under this key; {kept_id} is older and keeps it",
            kind.noun()
        )],
        moved_from: None,
        adopted: None,
        ownership_field: options
            .ownership
            .column(kind)
            .map(|column| column.field.clone()),
    }
}

/// What retirement found among the live objects in `prune_scope`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Retirement {
    /// Close plans (with pruning).
    pub closes: Vec<ObjectPlan>,
    /// Objects left alone although no longer declared (without pruning).
    pub undeclared: Vec<Undeclared>,
}

/// Which live objects are no longer declared: in scope (`in_scope`), carrying a key no document
/// declares and no move renames, written by soarform, and not closed already (when `closing`
/// knows the closed status of their kind). With `close` they get a close plan; otherwise they
/// are listed.
pub(crate) fn retire(
    candidates: &[(Kind, RemoteObject)],
    identity: &Identity,
    declared: &BTreeSet<(Kind, String)>,
    in_scope: impl Fn(Kind, &str) -> bool,
    options: &PlanOptions,
    closing: impl Fn(Kind) -> Option<Closing>,
    close: bool,
) -> Retirement {
    let mut retirement = Retirement::default();
    let mut seen = BTreeSet::new();
    let old_keys: Vec<(Kind, BTreeSet<&str>)> = Kind::ALL
        .into_iter()
        .map(|kind| (kind, options.moves.all_old_keys(kind)))
        .collect();
    let renamed = |kind: Kind, key: &str| {
        old_keys
            .iter()
            .any(|(of, keys)| *of == kind && keys.contains(key))
    };
    for (kind, live) in candidates {
        let kind = *kind;
        let column = identity.column(kind);
        let Normalized::Text(key) = normalize::observed(column, live.fields.get(&column.field))
        else {
            continue;
        };
        if key.is_empty()
            || !in_scope(kind, &key)
            || declared.contains(&(kind, key.clone()))
            || renamed(kind, &key)
            || !options.ownership.owns(kind, live)
            || !seen.insert((kind, live.id))
        {
            continue;
        }
        let closing = closing(kind);
        let status = closing.as_ref().map(|closing| {
            normalize::observed(&closing.status, live.fields.get(&closing.status.field))
        });
        let closed = closing.as_ref().map(|closing| Normalized::Choice {
            id: Some(closing.closed.id),
            name: closing.closed.value.clone(),
        });
        if status.is_some() && status == closed {
            continue; // retired already
        }
        let (Some(closing), Some(status), Some(closed), true) = (closing, status, closed, close)
        else {
            retirement.undeclared.push(Undeclared {
                kind,
                key,
                remote_id: live.id,
            });
            continue;
        };
        let status_sensitive = options.sensitive.contains(kind, &closing.status.field);
        let mut changes = vec![FieldChange {
            field: closing.status.field.clone(),
            label: closing.status.label.clone(),
            declared_name: closing.status.label.clone(),
            before: status.clone(),
            after: closed,
            write: Value::from(closing.closed.id),
            sensitive: status_sensitive,
        }];
        let mut observed = vec![ObservedField {
            field: closing.status.field.clone(),
            label: closing.status.label.clone(),
            value: status,
            sensitive: status_sensitive,
        }];
        if let Some((note_field, text)) = &closing.note {
            let note_sensitive = options.sensitive.contains(kind, &note_field.field);
            let note = normalize::observed(note_field, live.fields.get(&note_field.field));
            if note == Normalized::Text(normalize::normalize_newlines(text)) {
                observed.push(ObservedField {
                    field: note_field.field.clone(),
                    label: note_field.label.clone(),
                    value: note,
                    sensitive: note_sensitive,
                });
            } else {
                let (change, basis) = bookkeeping(note_field, note, text, note_sensitive);
                changes.push(change);
                observed.push(basis);
            }
        }
        observed.extend(ownership_basis(kind, live, options));
        retirement.closes.push(ObjectPlan {
            kind,
            key,
            action: Action::Close,
            remote_id: Some(live.id),
            template: None,
            identity_field: column.field.clone(),
            changes,
            observed,
            warnings: vec!["no longer declared in the repository".to_string()],
            moved_from: None,
            adopted: None,
            ownership_field: options
                .ownership
                .column(kind)
                .map(|column| column.field.clone()),
        });
    }
    retirement
        .closes
        .sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.key.cmp(&b.key)));
    retirement
        .undeclared
        .sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.key.cmp(&b.key)));
    retirement
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::model::OWNER_MARKER;
    use crate::plan::test_fixtures::{closing, fixture, live, owned};

    #[test]
    fn retired_identities_are_recognised() {
        let retired = retired_identity("phishing/a", 101);
        assert_eq!(retired, "phishing/a#duplicate-of-101");
        assert!(is_retired_identity(&retired));
        assert!(!crate::manifest::is_valid_key(&retired));
        for other in [
            "phishing/a",
            "a#duplicate-of-",
            "#duplicate-of-7",
            "a#duplicate-of-x",
        ] {
            assert!(!is_retired_identity(other), "{other}");
        }
    }

    #[test]
    fn retirement_closes_only_undeclared_objects_soarform_wrote_in_scope() {
        let (_, identity) = fixture();
        let options = PlanOptions {
            ownership: owned(),
            ..PlanOptions::default()
        };
        let mine = |id, key: &str, status: &str| {
            (
                Kind::Incident,
                live(
                    id,
                    key,
                    &[("status", json!(status)), ("opt_7", json!(OWNER_MARKER))],
                ),
            )
        };
        let candidates = vec![
            mine(1, "p/kept", "Open"),
            mine(2, "p/gone", "Open"),
            mine(3, "p/closed", "Closed"),
            mine(4, "other/gone", "Open"),
            (
                Kind::Incident,
                live(5, "p/hand-made", &[("status", json!("Open"))]),
            ),
        ];
        let declared: BTreeSet<(Kind, String)> = [(Kind::Incident, "p/kept".to_string())].into();
        let in_scope = |_: Kind, key: &str| key.starts_with("p/");

        let listed = retire(
            &candidates,
            &identity,
            &declared,
            in_scope,
            &options,
            |_| Some(closing()),
            false,
        );
        assert!(listed.closes.is_empty());
        let keys: Vec<&str> = listed
            .undeclared
            .iter()
            .map(|object| object.key.as_str())
            .collect();
        // Closed already: retired, not listed (unless the closed status is unknown).
        assert_eq!(keys, ["p/gone"]);
        let unknown = retire(
            &candidates,
            &identity,
            &declared,
            in_scope,
            &options,
            |_| None,
            false,
        );
        assert_eq!(unknown.undeclared.len(), 2);

        let pruned = retire(
            &candidates,
            &identity,
            &declared,
            in_scope,
            &options,
            |_| Some(closing()),
            true,
        );
        assert!(pruned.undeclared.is_empty());
        let [close] = pruned.closes.as_slice() else {
            panic!("expected one close: {:?}", pruned.closes);
        };
        assert_eq!(
            (close.key.as_str(), close.remote_id, close.action),
            ("p/gone", Some(2), Action::Close)
        );
        assert_eq!(
            close.write_fields(),
            json!({"status": 4, "opt_8": "gone"})
                .as_object()
                .cloned()
                .unwrap()
        );
    }
}
