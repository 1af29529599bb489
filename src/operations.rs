//! The API profile's operations: their names under `paths:` in `soarform.yaml`, their default
//! paths and what they do. The one table of them, shared by the project file's checks and the
//! client.

use std::fmt;

use crate::kind::Kind;

/// One operation of the API profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Operation {
    GetIncident,
    CreateIncident,
    UpdateIncident,
    /// Closing an incident (prune, duplicates): the update's path unless `paths:` names another.
    CloseIncident,
    SearchIncidents,
    IncidentColumns,
    IncidentTemplates,
    GetTriage,
    CreateTriage,
    UpdateTriage,
    /// Closing a triage item: the update's path unless `paths:` names another.
    CloseTriage,
    SearchTriage,
    TriageColumns,
}

impl Operation {
    /// Every operation.
    pub(crate) const ALL: [Operation; 13] = [
        Operation::GetIncident,
        Operation::CreateIncident,
        Operation::UpdateIncident,
        Operation::CloseIncident,
        Operation::SearchIncidents,
        Operation::IncidentColumns,
        Operation::IncidentTemplates,
        Operation::GetTriage,
        Operation::CreateTriage,
        Operation::UpdateTriage,
        Operation::CloseTriage,
        Operation::SearchTriage,
        Operation::TriageColumns,
    ];

    /// The operation named `name` under `paths:`, if there is one.
    pub(crate) fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL
            .into_iter()
            .find(|operation| operation.name() == name)
    }

    /// The name used under `paths:` in `soarform.yaml`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::GetIncident => "get_incident",
            Operation::CreateIncident => "create_incident",
            Operation::UpdateIncident => "update_incident",
            Operation::CloseIncident => "close_incident",
            Operation::SearchIncidents => "search_incidents",
            Operation::IncidentColumns => "incident_columns",
            Operation::IncidentTemplates => "incident_templates",
            Operation::GetTriage => "get_triage",
            Operation::CreateTriage => "create_triage",
            Operation::UpdateTriage => "update_triage",
            Operation::CloseTriage => "close_triage",
            Operation::SearchTriage => "search_triage",
            Operation::TriageColumns => "triage_columns",
        }
    }

    /// The default path, relative to the dialect's base path.
    pub(crate) fn default_path(self) -> &'static str {
        match self {
            Operation::GetIncident | Operation::UpdateIncident | Operation::CloseIncident => {
                "incidents/{id}/"
            }
            Operation::CreateIncident => "incidents/",
            Operation::SearchIncidents => "incidents/search/",
            Operation::IncidentColumns => "incidents/columns/",
            Operation::IncidentTemplates => "incident_templates/",
            Operation::GetTriage | Operation::UpdateTriage | Operation::CloseTriage => {
                "triage/{id}/"
            }
            Operation::CreateTriage => "triage/",
            Operation::SearchTriage => "triage/search/",
            Operation::TriageColumns => "triage/columns/",
        }
    }

    /// The capability a 403 on this operation most likely means is missing.
    pub(crate) fn capability(self) -> &'static str {
        match self {
            Operation::CreateIncident | Operation::UpdateIncident | Operation::CloseIncident => {
                "Manage incidents"
            }
            Operation::CreateTriage | Operation::UpdateTriage | Operation::CloseTriage => {
                "Manage triage"
            }
            Operation::GetTriage | Operation::SearchTriage | Operation::TriageColumns => {
                "View triage"
            }
            _ => "View incidents",
        }
    }

    /// Whether the operation creates an object: it must never be re-sent blindly, since a lost
    /// answer does not mean a lost create.
    pub(crate) fn is_create(self) -> bool {
        matches!(self, Operation::CreateIncident | Operation::CreateTriage)
    }

    /// Whether the path addresses one object (so a 404 means "no such object").
    pub(crate) fn addresses_one_object(self) -> bool {
        matches!(
            self,
            Operation::GetIncident
                | Operation::UpdateIncident
                | Operation::CloseIncident
                | Operation::GetTriage
                | Operation::UpdateTriage
                | Operation::CloseTriage
        )
    }

    /// The operation that searches objects of a kind.
    pub(crate) fn search(kind: Kind) -> Self {
        match kind {
            Kind::Incident => Operation::SearchIncidents,
            Kind::TriageItem => Operation::SearchTriage,
        }
    }

    /// The operation that creates an object of a kind.
    pub(crate) fn create(kind: Kind) -> Self {
        match kind {
            Kind::Incident => Operation::CreateIncident,
            Kind::TriageItem => Operation::CreateTriage,
        }
    }

    /// The operation that updates an object of a kind.
    pub(crate) fn update(kind: Kind) -> Self {
        match kind {
            Kind::Incident => Operation::UpdateIncident,
            Kind::TriageItem => Operation::UpdateTriage,
        }
    }

    /// The operation that closes an object of a kind.
    pub(crate) fn close(kind: Kind) -> Self {
        match kind {
            Kind::Incident => Operation::CloseIncident,
            Kind::TriageItem => Operation::CloseTriage,
        }
    }

    /// The operation that reads one object of a kind.
    pub(crate) fn get(kind: Kind) -> Self {
        match kind {
            Kind::Incident => Operation::GetIncident,
            Kind::TriageItem => Operation::GetTriage,
        }
    }

    /// The operation that lists a kind's column definitions.
    pub(crate) fn columns(kind: Kind) -> Self {
        match kind {
            Kind::Incident => Operation::IncidentColumns,
            Kind::TriageItem => Operation::TriageColumns,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
