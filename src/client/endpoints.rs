//! The API profile's operations and their paths, overridable from `soarform.yaml`.

use std::collections::BTreeMap;
use std::fmt;

use crate::kind::Kind;

/// One operation of the API profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    GetIncident,
    CreateIncident,
    UpdateIncident,
    SearchIncidents,
    IncidentColumns,
    IncidentTemplates,
    GetTriage,
    CreateTriage,
    UpdateTriage,
    SearchTriage,
    TriageColumns,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 11] = [
        Operation::GetIncident,
        Operation::CreateIncident,
        Operation::UpdateIncident,
        Operation::SearchIncidents,
        Operation::IncidentColumns,
        Operation::IncidentTemplates,
        Operation::GetTriage,
        Operation::CreateTriage,
        Operation::UpdateTriage,
        Operation::SearchTriage,
        Operation::TriageColumns,
    ];

    /// The name used under `paths:` in `soarform.yaml`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetIncident => "get_incident",
            Operation::CreateIncident => "create_incident",
            Operation::UpdateIncident => "update_incident",
            Operation::SearchIncidents => "search_incidents",
            Operation::IncidentColumns => "incident_columns",
            Operation::IncidentTemplates => "incident_templates",
            Operation::GetTriage => "get_triage",
            Operation::CreateTriage => "create_triage",
            Operation::UpdateTriage => "update_triage",
            Operation::SearchTriage => "search_triage",
            Operation::TriageColumns => "triage_columns",
        }
    }

    /// The default path, relative to the dialect's base path.
    pub fn default_path(self) -> &'static str {
        match self {
            Operation::GetIncident | Operation::UpdateIncident => "incidents/{id}/",
            Operation::CreateIncident => "incidents/",
            Operation::SearchIncidents => "incidents/search/",
            Operation::IncidentColumns => "incidents/columns/",
            Operation::IncidentTemplates => "incident_templates/",
            Operation::GetTriage | Operation::UpdateTriage => "triage/{id}/",
            Operation::CreateTriage => "triage/",
            Operation::SearchTriage => "triage/search/",
            Operation::TriageColumns => "triage/columns/",
        }
    }

    /// The capability a 403 on this operation most likely means is missing.
    pub fn capability(self) -> &'static str {
        match self {
            Operation::CreateIncident | Operation::UpdateIncident => "Manage incidents",
            Operation::CreateTriage | Operation::UpdateTriage => "Manage triage",
            Operation::GetTriage | Operation::SearchTriage | Operation::TriageColumns => {
                "View triage"
            }
            _ => "View incidents",
        }
    }

    /// Whether the operation creates an object: it must never be re-sent blindly, since a lost
    /// answer does not mean a lost create.
    pub fn is_create(self) -> bool {
        matches!(self, Operation::CreateIncident | Operation::CreateTriage)
    }

    /// Whether the path addresses one object (so a 404 means "no such object").
    pub fn addresses_one_object(self) -> bool {
        matches!(
            self,
            Operation::GetIncident
                | Operation::UpdateIncident
                | Operation::GetTriage
                | Operation::UpdateTriage
        )
    }

    /// The operation that searches objects of a kind.
    pub fn search(kind: Kind) -> Self {
        match kind {
            Kind::Incident => Operation::SearchIncidents,
            Kind::TriageItem => Operation::SearchTriage,
        }
    }

    /// The operation that creates an object of a kind.
    pub fn create(kind: Kind) -> Self {
        match kind {
            Kind::Incident => Operation::CreateIncident,
            Kind::TriageItem => Operation::CreateTriage,
        }
    }

    /// The operation that updates an object of a kind.
    pub fn update(kind: Kind) -> Self {
        match kind {
            Kind::Incident => Operation::UpdateIncident,
            Kind::TriageItem => Operation::UpdateTriage,
        }
    }

    /// The operation that reads one object of a kind.
    pub fn get(kind: Kind) -> Self {
        match kind {
            Kind::Incident => Operation::GetIncident,
            Kind::TriageItem => Operation::GetTriage,
        }
    }

    /// The operation that lists a kind's column definitions.
    pub fn columns(kind: Kind) -> Self {
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

/// The path of every operation, defaults overlaid with the project file's `paths:`.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    overrides: BTreeMap<Operation, String>,
}

impl Endpoints {
    /// Builds the table from `paths:` overrides; unknown operation names and paths that do not end
    /// with `/` are refused.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Self, String> {
        let mut table = BTreeMap::new();
        for (name, path) in overrides {
            let operation = Operation::ALL
                .into_iter()
                .find(|operation| operation.name() == name)
                .ok_or_else(|| {
                    format!(
                        "unknown operation `{name}` under `paths`: expected one of {}",
                        Operation::ALL.map(Operation::name).join(", ")
                    )
                })?;
            if !path.ends_with('/') {
                return Err(format!(
                    "the path of `{name}` must end with `/`, found `{path}`"
                ));
            }
            let needs_id = operation.addresses_one_object();
            if needs_id != path.contains("{id}") {
                return Err(format!(
                    "the path of `{name}` must {}contain `{{id}}`, found `{path}`",
                    if needs_id { "" } else { "not " }
                ));
            }
            table.insert(operation, path.trim_start_matches('/').to_string());
        }
        Ok(Endpoints { overrides: table })
    }

    /// The path of an operation relative to the base path, with `{id}` filled in.
    pub fn path(&self, operation: Operation, id: Option<u64>) -> String {
        let template = self
            .overrides
            .get(&operation)
            .map(String::as_str)
            .unwrap_or(operation.default_path());
        match id {
            Some(id) => template.replace("{id}", &id.to_string()),
            None => template.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_end_with_slash_and_fill_ids() {
        let endpoints = Endpoints::default();
        for operation in Operation::ALL {
            assert!(endpoints.path(operation, Some(7)).ends_with('/'));
        }
        assert_eq!(
            endpoints.path(Operation::UpdateIncident, Some(42)),
            "incidents/42/"
        );
    }

    #[test]
    fn overrides_replace_defaults_and_are_checked() -> Result<(), String> {
        let mut overrides = BTreeMap::new();
        overrides.insert(
            "search_incidents".to_string(),
            "incidents/query/".to_string(),
        );
        let endpoints = Endpoints::with_overrides(&overrides)?;
        assert_eq!(
            endpoints.path(Operation::SearchIncidents, None),
            "incidents/query/"
        );
        overrides.insert("get_incident".to_string(), "incidents/".to_string());
        assert!(Endpoints::with_overrides(&overrides)
            .unwrap_err()
            .contains("{id}"));
        let mut bad = BTreeMap::new();
        bad.insert("search_everything".to_string(), "x/".to_string());
        assert!(Endpoints::with_overrides(&bad)
            .unwrap_err()
            .contains("unknown operation"));
        Ok(())
    }
}
