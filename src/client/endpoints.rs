//! The path of every operation, overridable from `soarform.yaml`.

use std::collections::BTreeMap;

pub(crate) use crate::operations::Operation;

/// The path of every operation, defaults overlaid with the project file's `paths:`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Endpoints {
    overrides: BTreeMap<Operation, String>,
}

impl Endpoints {
    /// Builds the table from `paths:` overrides; unknown operation names and paths that do not end
    /// with `/` are refused.
    pub(crate) fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Self, String> {
        let mut table = BTreeMap::new();
        for (name, path) in overrides {
            let operation = Operation::from_name(name).ok_or_else(|| {
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
    pub(crate) fn path(&self, operation: Operation, id: Option<u64>) -> String {
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
