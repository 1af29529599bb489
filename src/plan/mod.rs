//! The plan: desired objects compared with observed ones, as plain data. No I/O happens here.
//!
//! Only the fields a document declares are compared (as server-side apply does), so server-managed
//! fields and fields the repository does not mention never show as changes.
//!
//! `model` holds the plain data, `compute` compares declared objects with live ones,
//! `retire` closes what is no longer declared and retires duplicates, `bookkeeping` writes
//! soarform's own records, `conflict` names the keys a plan cannot settle, and `options` what
//! changes a comparison. `moved:` entries are resolved in [`crate::resolve`].

mod bookkeeping;
mod compute;
mod conflict;
mod model;
mod options;
mod retire;
#[cfg(test)]
mod test_fixtures;

pub(crate) use bookkeeping::bookkeeping_value;
pub(crate) use compute::compute;
pub(crate) use conflict::{Conflict, ConflictReason};
pub(crate) use model::{
    shown, Action, Adoption, FieldChange, ObjectPlan, ObservedField, Plan, Summary, Undeclared,
    OWNER_MARKER,
};
pub(crate) use options::{Closing, Ownership, PlanOptions};
pub(crate) use retire::{is_retired_identity, retire, retire_duplicate, retired_identity};

/// Renamed keys, resolved where the rest of the desired state is resolved; kept here for the
/// callers that build [`PlanOptions`].
pub(crate) use crate::resolve::Moves;
