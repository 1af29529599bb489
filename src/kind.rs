//! The kinds of remote object soarform manages.

use std::fmt;

/// A kind of object that lives in Cloud SOAR (local `Template` documents are not one).
/// Serialized by its document name (`Incident`, `TriageItem`), as in plan files.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub(crate) enum Kind {
    /// An incident (`incidents/` endpoints).
    Incident,
    /// A triage item (`triage/` endpoints).
    TriageItem,
}

impl Kind {
    /// Every remote kind, in the order plans list them.
    pub(crate) const ALL: [Kind; 2] = [Kind::Incident, Kind::TriageItem];

    /// The `kind:` value of a desired-state document.
    pub(crate) fn document_name(self) -> &'static str {
        match self {
            Kind::Incident => "Incident",
            Kind::TriageItem => "TriageItem",
        }
    }

    /// A lowercase noun for messages ("incident", "triage item").
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Incident => "incident",
            Kind::TriageItem => "triage item",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.document_name())
    }
}
