//! The plan's plain data: what apply will do to each object ([`Action`], [`ObjectPlan`],
//! [`FieldChange`]), what it compared ([`ObservedField`]), and the counts ([`Summary`]).

use serde_json::{Map, Value};

use crate::catalog::Template;
use crate::kind::Kind;
use crate::normalize::Normalized;

/// What apply will do to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    /// No object carries the key: `POST` it with every declared field.
    Create,
    /// One object carries the key and some declared fields differ: `PUT` only those.
    Update,
    /// No object carries the key, one carries an old key of it (`moved:`): `PUT` the new key into
    /// its identity field, with any other changed field.
    Move,
    /// One object carries the key but soarform never wrote it: `PUT` soarform's ownership marker,
    /// with any changed field.
    Adopt,
    /// An object in `prune_scope` whose key is no longer declared: `PUT` the closed status and a
    /// closing note. Nothing is ever deleted.
    Close,
    /// Several objects carry the key and soarform wrote every one of them (two runs at once, or
    /// a create committed after its answer was lost): every one but the oldest gets its identity
    /// rewritten so that it no longer matches, the closed status and a note naming the one kept.
    /// Nothing is ever deleted.
    RetireDuplicate,
    /// One object carries the key and every declared field matches.
    Unchanged,
}

impl Action {
    /// The plan header word with its sign: `+ create`, `~ update`, `- close`, ...
    pub(crate) fn badge(self) -> &'static str {
        match self {
            Action::Create => "+ create",
            Action::Update => "~ update",
            Action::Move => "~ move",
            Action::Adopt => "~ adopt",
            Action::Close => "- close",
            Action::RetireDuplicate => "- retire duplicate",
            Action::Unchanged => "unchanged",
        }
    }

    /// What apply reports once done: `created`, `updated`, `moved`, ...
    pub(crate) fn done(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Update | Action::Unchanged => "updated",
            Action::Move => "moved",
            Action::Adopt => "adopted",
            Action::Close => "closed",
            Action::RetireDuplicate => "retired",
        }
    }
}

/// Text from the server as it may be shown on a line: as is when it is printable, quoted with
/// escapes when it holds control characters (which could fake output lines or colours).
pub(crate) use crate::safe_text::quoted as shown;

/// The value soarform writes into the ownership field of the objects it manages.
pub(crate) const OWNER_MARKER: &str = "soarform";

/// One field that differs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldChange {
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
pub(crate) struct ObservedField {
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
pub(crate) struct ObjectPlan {
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
    /// Moves: the key the object carries now; apply writes `key` in its place.
    pub moved_from: Option<String>,
    /// Set when soarform never wrote the object (made by hand or by another tool).
    pub adopted: Option<Adoption>,
    /// The API name of the field where soarform records ownership (sent on create), if tracked.
    pub ownership_field: Option<String>,
}

/// An object soarform never wrote, coming under management.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Adoption {
    /// Who created it, as the server reports.
    pub created_by: Option<String>,
}

/// An object in `prune_scope` that carries a key no document declares any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Undeclared {
    /// Incident or triage item.
    pub kind: Kind,
    /// The key it carries.
    pub key: String,
    /// Its id.
    pub remote_id: u64,
}

impl ObjectPlan {
    /// What a header shows after the key: the template of a create, the old key of a move, the
    /// id, and the creator of an object soarform never wrote.
    pub(crate) fn details(&self) -> Vec<String> {
        let mut details = Vec::new();
        if let (Action::Create, Some(template)) = (self.action, &self.template) {
            details.push(format!("template {}", template.name));
        }
        if let Some(old) = &self.moved_from {
            details.push(format!("from {old}"));
        }
        if let Some(id) = self.remote_id {
            details.push(format!("id {id}"));
        }
        if let Some(adoption) = &self.adopted {
            details.push(format!(
                "created by {}, not by soarform",
                adoption
                    .created_by
                    .as_deref()
                    .map_or_else(|| "unknown".to_string(), shown)
            ));
        }
        details
    }

    /// The request body fields: every change, plus the identity field on create.
    pub(crate) fn write_fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        if self.action == Action::Create {
            fields.insert(self.identity_field.clone(), Value::String(self.key.clone()));
            if let Some(ownership) = &self.ownership_field {
                fields.insert(ownership.clone(), Value::String(OWNER_MARKER.into()));
            }
        }
        for change in &self.changes {
            fields.insert(change.field.clone(), change.write.clone());
        }
        fields
    }
}

/// How many objects each action touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub create: usize,
    pub update: usize,
    pub moved: usize,
    pub adopt: usize,
    pub close: usize,
    pub retire: usize,
    pub unchanged: usize,
}

/// Every declared object and what apply would do to it, ordered by kind, then key; then the
/// objects pruning closes, and those in scope left alone although no longer declared.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Plan {
    pub objects: Vec<ObjectPlan>,
    /// Objects in `prune_scope` no document declares, left alone (without pruning).
    pub undeclared: Vec<Undeclared>,
}

impl Summary {
    /// `2 to create, 1 to update, 7 unchanged`; moves, adoptions and closes appear when there
    /// are some.
    pub(crate) fn counts(&self) -> String {
        let mut parts = vec![
            format!("{} to create", self.create),
            format!("{} to update", self.update),
        ];
        for (count, verb) in [
            (self.moved, "move"),
            (self.adopt, "adopt"),
            (self.close, "close"),
            (self.retire, "retire as duplicates"),
        ] {
            if count > 0 {
                parts.push(format!("{count} to {verb}"));
            }
        }
        parts.push(format!("{} unchanged", self.unchanged));
        parts.join(", ")
    }

    /// How many objects apply writes.
    pub(crate) fn changes(&self) -> usize {
        self.create + self.update + self.moved + self.adopt + self.close + self.retire
    }
}

impl Plan {
    /// Counts per action.
    pub(crate) fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for object in &self.objects {
            match object.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Move => summary.moved += 1,
                Action::Adopt => summary.adopt += 1,
                Action::Close => summary.close += 1,
                Action::RetireDuplicate => summary.retire += 1,
                Action::Unchanged => summary.unchanged += 1,
            }
        }
        summary
    }

    /// Whether apply would send anything.
    pub(crate) fn has_changes(&self) -> bool {
        self.objects
            .iter()
            .any(|object| object.action != Action::Unchanged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_with_control_characters_is_quoted() {
        assert_eq!(shown("alice"), "alice");
        assert_eq!(
            shown("x\u{1b}[31m\nwarning: fake"),
            "\"x\\u{1b}[31m\\nwarning: fake\""
        );
    }
}
