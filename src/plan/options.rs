//! What changes a plan's comparisons and bookkeeping ([`PlanOptions`]): ignored and sensitive
//! fields, where ownership is recorded ([`Ownership`]), renamed keys, and how objects are closed
//! ([`Closing`]).

use crate::catalog::{Choice, Column};
use crate::kind::Kind;
use crate::normalize::{self, Normalized};
use crate::remote::RemoteObject;
use crate::resolve::{FieldNames, Moves};

use super::model::OWNER_MARKER;

/// The field of each kind where soarform records that it manages an object; `None` when the
/// tenant has none (then adoption cannot be told apart and is never shown).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Ownership {
    pub incident: Option<Column>,
    pub triage: Option<Column>,
}

impl Ownership {
    /// The ownership column of a kind.
    pub(crate) fn column(&self, kind: Kind) -> Option<&Column> {
        match kind {
            Kind::Incident => self.incident.as_ref(),
            Kind::TriageItem => self.triage.as_ref(),
        }
    }

    /// Whether soarform provably made `kept` and every one of `twins`: ownership is tracked for
    /// the kind and each carries the marker. Without tracking, nothing proves who made them.
    pub(crate) fn made_all(&self, kind: Kind, twins: &[RemoteObject], kept: &RemoteObject) -> bool {
        self.column(kind).is_some()
            && !twins.is_empty()
            && std::iter::once(kept)
                .chain(twins)
                .all(|live| self.owns(kind, live))
    }

    /// Whether soarform wrote `live` (always true when ownership is not tracked for its kind).
    pub(crate) fn owns(&self, kind: Kind, live: &RemoteObject) -> bool {
        self.column(kind).is_none_or(|column| {
            normalize::observed(column, live.fields.get(&column.field))
                == Normalized::Text(OWNER_MARKER.into())
        })
    }
}

/// How pruning closes objects of one kind, and how a closed one is recognised.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Closing {
    /// The status column.
    pub status: Column,
    /// The closed option of it.
    pub closed: Choice,
    /// The column receiving the closing note, and the note (needed only to close).
    pub note: Option<(Column, String)>,
}

/// Options that change what counts as a difference and what may be shown.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlanOptions {
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
    pub(crate) fn closing(&self, kind: Kind) -> Option<&Closing> {
        self.duplicate_closing[usize::from(kind == Kind::TriageItem)].as_ref()
    }
}
