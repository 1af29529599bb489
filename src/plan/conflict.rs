//! Keys the plan cannot settle on its own ([`Conflict`]): duplicates, a key and its old key both
//! carried, one object claimed by two keys, an object soarform never wrote while adoption is off.

use crate::kind::Kind;

use super::model::shown;

/// A key the plan cannot settle on its own: soarform never guesses which object is meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conflict {
    pub kind: Kind,
    pub key: String,
    pub ids: Vec<u64>,
    pub reason: ConflictReason,
}

/// Why a key cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConflictReason {
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
