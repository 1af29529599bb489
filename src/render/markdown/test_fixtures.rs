//! Shared fixtures of the Markdown unit tests: a context, values, changes, objects and plans.

use serde_json::Value;

use super::context::MarkdownContext;
use crate::kind::Kind;
use crate::normalize::Normalized;
use crate::plan::{Action, FieldChange, ObjectPlan, Plan};

pub(super) const CONTEXT: MarkdownContext<'static> = MarkdownContext {
    target: "https://api.us2.sumologic.com",
    dialect: "v3",
};

pub(super) fn text(value: &str) -> Normalized {
    Normalized::Text(value.into())
}

pub(super) fn choice(id: u64, name: &str) -> Normalized {
    Normalized::Choice {
        id: Some(id),
        name: name.into(),
    }
}

pub(super) fn change(name: &str, before: Normalized, after: Normalized) -> FieldChange {
    FieldChange {
        field: name.to_lowercase(),
        label: name.into(),
        declared_name: name.into(),
        before,
        after,
        write: Value::Null,
        sensitive: false,
    }
}

pub(super) fn sensitive(mut change: FieldChange) -> FieldChange {
    change.sensitive = true;
    change
}

pub(super) fn object(key: &str, action: Action, changes: Vec<FieldChange>) -> ObjectPlan {
    ObjectPlan {
        kind: Kind::Incident,
        key: key.into(),
        action,
        remote_id: if action == Action::Create {
            None
        } else {
            Some(40 + key.len() as u64)
        },
        template: None,
        identity_field: "incidentid".into(),
        changes,
        observed: vec![],
        warnings: vec![],
        moved_from: None,
        adopted: None,
        ownership_field: None,
    }
}

pub(super) fn plan(objects: Vec<ObjectPlan>) -> Plan {
    Plan {
        objects,
        undeclared: vec![],
    }
}
