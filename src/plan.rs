//! The plan: desired objects compared with observed ones, as plain data. No I/O happens here.
//!
//! Only the fields a document declares are compared (as server-side apply does), so server-managed
//! fields and fields the repository does not mention never show as changes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::catalog::{Catalog, Choice, Column, Template};
use crate::client::RemoteObject;
use crate::kind::Kind;
use crate::manifest::Diagnostic;
use crate::normalize::{self, Normalized};
use crate::observe::Observed;
use crate::resolve::{FieldNames, Identity, ResolvedObject};

/// What apply will do to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
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
    pub fn badge(self) -> &'static str {
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
    pub fn done(self) -> &'static str {
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
pub use crate::safe_text::quoted as shown;

/// The value soarform writes into the ownership field of the objects it manages.
pub const OWNER_MARKER: &str = "soarform";

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
    /// Moves: the key the object carries now; apply writes `key` in its place.
    pub moved_from: Option<String>,
    /// Set when soarform never wrote the object (made by hand or by another tool).
    pub adopted: Option<Adoption>,
    /// The API name of the field where soarform records ownership (sent on create), if tracked.
    pub ownership_field: Option<String>,
}

/// An object soarform never wrote, coming under management.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    /// Who created it, as the server reports.
    pub created_by: Option<String>,
}

/// An object in `prune_scope` that carries a key no document declares any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeclared {
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
    pub fn details(&self) -> Vec<String> {
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
    pub fn write_fields(&self) -> Map<String, Value> {
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
pub struct Summary {
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
pub struct Plan {
    pub objects: Vec<ObjectPlan>,
    /// Objects in `prune_scope` no document declares, left alone (without pruning).
    pub undeclared: Vec<Undeclared>,
}

impl Summary {
    /// `2 to create, 1 to update, 7 unchanged`; moves, adoptions and closes appear when there
    /// are some.
    pub fn counts(&self) -> String {
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
    pub fn changes(&self) -> usize {
        self.create + self.update + self.moved + self.adopt + self.close + self.retire
    }
}

impl Plan {
    /// Counts per action.
    pub fn summary(&self) -> Summary {
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
    pub fn has_changes(&self) -> bool {
        self.objects
            .iter()
            .any(|object| object.action != Action::Unchanged)
    }
}

/// A key the plan cannot settle on its own: soarform never guesses which object is meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub kind: Kind,
    pub key: String,
    pub ids: Vec<u64>,
    pub reason: ConflictReason,
}

/// Why a key cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictReason {
    /// More than one live object carries the key (or its old keys).
    Duplicates,
    /// The key and an old key of it (`moved:`) are both carried.
    MovedAndNew {
        /// The old keys found.
        old_keys: Vec<String>,
    },
    /// The object is also what another declared key matches (through `moved:`): one object cannot
    /// carry two keys.
    ClaimedTwice {
        /// The other key.
        other_key: String,
    },
    /// The one object carrying the key was never written by soarform, and adoption is off.
    NotAdopted {
        /// Who created it.
        created_by: Option<String>,
        /// The old key it was found under (`moved:`), if any.
        old_key: Option<String>,
    },
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids = self
            .ids
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let noun = self.kind.noun();
        match &self.reason {
            ConflictReason::Duplicates => write!(
                f,
                "{} objects carry the key `{}` of this {noun}: ids {ids}",
                self.ids.len(),
                self.key
            ),
            ConflictReason::MovedAndNew { old_keys } => write!(
                f,
                "the {noun} `{}` and its old key{} {} (`moved:`) are both carried: ids {ids}",
                self.key,
                if old_keys.len() == 1 { "" } else { "s" },
                old_keys
                    .iter()
                    .map(|key| format!("`{key}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ConflictReason::ClaimedTwice { other_key } => write!(
                f,
                "the {noun}s `{other_key}` and `{}` both match id {ids}; one object cannot carry two keys",
                self.key
            ),
            ConflictReason::NotAdopted {
                created_by,
                old_key,
            } => write!(
                f,
                "the {noun} `{}` matches id {ids}{}, which soarform never wrote (created by {}), and adoption is off",
                self.key,
                old_key
                    .as_ref()
                    .map_or(String::new(), |old| format!(" under its old key `{old}`")),
                created_by.as_deref().map_or_else(|| "unknown".to_string(), shown)
            ),
        }
    }
}

impl std::error::Error for Conflict {}

/// The field of each kind where soarform records that it manages an object; `None` when the
/// tenant has none (then adoption cannot be told apart and is never shown).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ownership {
    pub incident: Option<Column>,
    pub triage: Option<Column>,
}

impl Ownership {
    /// The ownership column of a kind.
    pub fn column(&self, kind: Kind) -> Option<&Column> {
        match kind {
            Kind::Incident => self.incident.as_ref(),
            Kind::TriageItem => self.triage.as_ref(),
        }
    }

    /// Whether soarform provably made `kept` and every one of `twins`: ownership is tracked for
    /// the kind and each carries the marker. Without tracking, nothing proves who made them.
    pub fn made_all(&self, kind: Kind, twins: &[RemoteObject], kept: &RemoteObject) -> bool {
        self.column(kind).is_some()
            && !twins.is_empty()
            && std::iter::once(kept)
                .chain(twins)
                .all(|live| self.owns(kind, live))
    }

    /// Whether soarform wrote `live` (always true when ownership is not tracked for its kind).
    pub fn owns(&self, kind: Kind, live: &RemoteObject) -> bool {
        self.column(kind).is_none_or(|column| {
            normalize::observed(column, live.fields.get(&column.field))
                == Normalized::Text(OWNER_MARKER.into())
        })
    }
}

/// `moved:` entries resolved to declared objects: per kind and new key, the old keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moves {
    old_keys: BTreeMap<(Kind, String), Vec<String>>,
}

impl Moves {
    /// Records that `from` was renamed to `to` (chains are followed by [`Moves::old_keys`]).
    pub fn insert(&mut self, kind: Kind, from: String, to: String) {
        self.old_keys.entry((kind, to)).or_default().push(from);
    }

    /// Every earlier key of `key`, following chains (`a` -> `b` -> `c` gives `b`, `a` for `c`).
    pub fn old_keys(&self, kind: Kind, key: &str) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let mut pending = vec![key.to_string()];
        while let Some(next) = pending.pop() {
            for old in self.old_keys.get(&(kind, next)).into_iter().flatten() {
                if old != key && !found.contains(old) {
                    found.push(old.clone());
                    pending.push(old.clone());
                }
            }
        }
        found
    }

    /// Every old key of a kind.
    pub fn all_old_keys(&self, kind: Kind) -> BTreeSet<&str> {
        self.old_keys
            .iter()
            .filter(|((of, _), _)| *of == kind)
            .flat_map(|(_, olds)| olds.iter().map(String::as_str))
            .collect()
    }

    /// Whether there is no move.
    pub fn is_empty(&self) -> bool {
        self.old_keys.is_empty()
    }

    /// `moved:` entries checked against the declared keys: `to` must be declared (by one kind, or the
    /// kind the entry names) and `from` must not be.
    pub fn resolve(
        entries: &[crate::config::Move],
        manifest: &crate::manifest::Manifest,
    ) -> Result<Moves, Vec<Diagnostic>> {
        let mut moves = Moves::default();
        let mut diagnostics = Vec::new();
        let declares = |kind: Kind, key: &str| {
            manifest
                .objects
                .iter()
                .find(|object| object.kind == kind && object.key == key)
        };
        let mut renamed: BTreeMap<(Kind, &str), &crate::manifest::Origin> = BTreeMap::new();
        for entry in entries {
            // A chain (`a` -> `b`, `b` -> `c`) is followed to the first key a document of a
            // compatible kind declares; an entry naming a kind narrows the chain to that kind.
            let mut kind_wanted = entry.kind;
            let compatible = |wanted: Option<Kind>, kind: Kind| wanted.is_none_or(|k| k == kind);
            let declared_kinds = |wanted: Option<Kind>, key: &str| -> Vec<Kind> {
                Kind::ALL
                    .into_iter()
                    .filter(|kind| compatible(wanted, *kind) && declares(*kind, key).is_some())
                    .collect()
            };
            let mut latest = &entry.to;
            let mut visited = vec![&entry.from];
            let mut circle = false;
            while declared_kinds(kind_wanted, latest).is_empty() {
                let Some(next) = entries.iter().find(|other| {
                    other.from == *latest
                        && (other.kind.is_none()
                            || kind_wanted.is_none()
                            || other.kind == kind_wanted)
                }) else {
                    break;
                };
                visited.push(latest);
                kind_wanted = kind_wanted.or(next.kind);
                latest = &next.to;
                if visited.contains(&latest) {
                    circle = true;
                    break;
                }
            }
            if circle {
                diagnostics.push(
                    Diagnostic::at(
                        entry.origin.clone(),
                        format!("`moved` entries rename `{}` in a circle", entry.from),
                    )
                    .with_label("this rename leads back to an old key")
                    .with_help("keep only the renames that lead to the key a document declares"),
                );
                continue;
            }
            let kinds = declared_kinds(kind_wanted, latest);
            let kind = match kinds.as_slice() {
                [kind] => *kind,
                [] => {
                    diagnostics.push(
                        Diagnostic::at(
                            entry.origin.clone(),
                            format!(
                                "`moved` renames `{}` to `{}`, but no {}document declares `{}`",
                                entry.from,
                                entry.to,
                                entry.kind.map_or(String::new(), |kind| format!(
                                    "{} ",
                                    kind.document_name()
                                )),
                                latest
                            ),
                        )
                        .with_label("the new key must be declared")
                        .with_help("fix the key, or remove the entry if the object is gone"),
                    );
                    continue;
                }
                _ => {
                    diagnostics.push(
                    Diagnostic::at(
                        entry.origin.clone(),
                        format!(
                            "`moved` to `{}` is ambiguous: an incident and a triage item both declare it",
                            entry.to
                        ),
                    )
                    .with_label("which kind is renamed?")
                    .with_help("add `kind: Incident` or `kind: TriageItem` to the entry"),
                );
                    continue;
                }
            };
            if let Some(still) = declares(kind, &entry.from) {
                diagnostics.push(
                    Diagnostic::at(
                        entry.origin.clone(),
                        format!(
                            "`moved` renames `{}`, but a document still declares it",
                            entry.from
                        ),
                    )
                    .with_label("the old key must be gone from the repository")
                    .with_note(format!("declared at {}", still.key_origin)),
                );
                continue;
            }
            // One old key renamed to two new ones would move one object twice.
            if let Some(first) = renamed.get(&(kind, entry.from.as_str())) {
                diagnostics.push(
                    Diagnostic::at(
                        entry.origin.clone(),
                        format!("`moved` renames the {} `{}` twice", kind.noun(), entry.from),
                    )
                    .with_label("second entry for this old key")
                    .with_note(format!("the first is at {first}")),
                );
                continue;
            }
            renamed.insert((kind, entry.from.as_str()), &entry.origin);
            moves.insert(kind, entry.from.clone(), entry.to.clone());
        }
        if diagnostics.is_empty() {
            Ok(moves)
        } else {
            Err(diagnostics)
        }
    }
}

/// How pruning closes objects of one kind, and how a closed one is recognised.
#[derive(Debug, Clone, PartialEq)]
pub struct Closing {
    /// The status column.
    pub status: Column,
    /// The closed option of it.
    pub closed: Choice,
    /// The column receiving the closing note, and the note (needed only to close).
    pub note: Option<(Column, String)>,
}

/// Options that change what counts as a difference and what may be shown.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Fields never compared after creation (`ignore_changes` in soarform.yaml); documents add
    /// their own.
    pub ignore_changes: FieldNames,
    /// Fields whose values are never shown (`sensitive_fields` in soarform.yaml).
    pub sensitive: FieldNames,
    /// Where soarform records ownership, per kind.
    pub ownership: Ownership,
    /// Renamed keys.
    pub moves: Moves,
    /// A key matching an object soarform never wrote is an error (`--no-adopt`, `adopt: false`).
    pub refuse_adoption: bool,
    /// How retired duplicates are closed, per kind (incidents, triage items), where the tenant's
    /// catalog allows it; `None` retires them by identity alone.
    pub duplicate_closing: [Option<Closing>; 2],
}

impl PlanOptions {
    /// How retired duplicates of `kind` are closed, if they can be.
    pub fn closing(&self, kind: Kind) -> Option<&Closing> {
        self.duplicate_closing[usize::from(kind == Kind::TriageItem)].as_ref()
    }
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
    let mut retirements = Vec::new();
    let mut conflicts = Vec::new();
    for object in desired {
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

/// What a retired duplicate's identity field holds instead of the key: text that no key can be
/// (keys never hold `#`), naming the object that keeps the key.
pub fn retired_identity(key: &str, kept_id: u64) -> String {
    format!("{key}#duplicate-of-{kept_id}")
}

#[cfg(test)]
mod retired_identity_tests {
    use super::*;

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
}

/// Whether an identity is one [`retired_identity`] wrote.
pub fn is_retired_identity(identity: &str) -> bool {
    identity
        .rsplit_once("#duplicate-of-")
        .is_some_and(|(key, id)| {
            !key.is_empty() && !id.is_empty() && id.bytes().all(|byte| byte.is_ascii_digit())
        })
}

/// The retirement of `twin`, a second object soarform made under `key` while `kept_id` keeps
/// it: the identity rewritten, and, where the tenant's catalog allows ([`PlanOptions::closing`]),
/// the closed status and a note naming the kept object.
pub fn retire_duplicate(
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

/// A change soarform makes for its own bookkeeping (identity or ownership field): shown and saved
/// like any other change, compared like one when a saved plan is applied.
fn bookkeeping(
    column: &Column,
    before: Normalized,
    after: &str,
    sensitive: bool,
) -> (FieldChange, ObservedField) {
    (
        FieldChange {
            field: column.field.clone(),
            label: column.label.clone(),
            declared_name: column.label.clone(),
            before: before.clone(),
            after: Normalized::Text(after.to_string()),
            write: Value::String(after.to_string()),
            sensitive,
        },
        ObservedField {
            field: column.field.clone(),
            label: column.label.clone(),
            value: before,
            sensitive,
        },
    )
}

/// What soarform writes into `field` for its own bookkeeping (the closed status and closing note
/// of a close, the ownership marker), or `None` when the field is not one of those: how a saved
/// plan, which holds only hashes of sensitive values, gets them back.
pub fn bookkeeping_value(
    field: &str,
    closing: Option<&Closing>,
    ownership: Option<&Column>,
) -> Option<(Normalized, Value)> {
    if let Some(closing) = closing {
        if closing.status.field == field {
            let closed = &closing.closed;
            return Some((
                Normalized::Choice {
                    id: Some(closed.id),
                    name: closed.value.clone(),
                },
                Value::from(closed.id),
            ));
        }
        if let Some((note_field, note)) = &closing.note {
            if note_field.field == field {
                return Some((
                    Normalized::Text(normalize::normalize_newlines(note)),
                    Value::String(note.clone()),
                ));
            }
        }
    }
    ownership.filter(|column| column.field == field).map(|_| {
        (
            Normalized::Text(OWNER_MARKER.to_string()),
            Value::String(OWNER_MARKER.to_string()),
        )
    })
}

/// The ownership field's live value, recorded (not changed) so that a saved plan is refused if
/// someone else took the object over in the meantime.
fn ownership_basis(
    kind: Kind,
    live: &RemoteObject,
    options: &PlanOptions,
) -> Option<ObservedField> {
    let column = options.ownership.column(kind)?;
    Some(ObservedField {
        field: column.field.clone(),
        label: column.label.clone(),
        value: normalize::observed(column, live.fields.get(&column.field)),
        sensitive: options.sensitive.contains(kind, &column.field),
    })
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

/// What retirement found among the live objects in `prune_scope`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Retirement {
    /// Close plans (with pruning).
    pub closes: Vec<ObjectPlan>,
    /// Objects left alone although no longer declared (without pruning).
    pub undeclared: Vec<Undeclared>,
}

/// Which live objects are no longer declared: in scope (`in_scope`), carrying a key no document
/// declares and no move renames, written by soarform, and not closed already (when `closing`
/// knows the closed status of their kind). With `close` they get a close plan; otherwise they
/// are listed.
pub fn retire(
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
                    column: column.clone().into(),
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
            fields: map.into(),
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

    fn owned() -> Ownership {
        Ownership {
            incident: Some(text("opt_7", "Managed by")),
            triage: None,
        }
    }

    fn closing() -> Closing {
        Closing {
            status: status(),
            closed: Choice {
                id: 4,
                value: "Closed".into(),
            },
            note: Some((text("opt_8", "Closing note"), "gone".into())),
        }
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

    #[test]
    fn server_text_with_control_characters_is_quoted() {
        assert_eq!(shown("alice"), "alice");
        assert_eq!(
            shown("x\u{1b}[31m\nwarning: fake"),
            "\"x\\u{1b}[31m\\nwarning: fake\""
        );
    }
}
