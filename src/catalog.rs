//! The tenant's catalog: incident templates and column definitions, mapping names and ids both ways.

use std::sync::Arc;

use serde::Deserialize;

use crate::dates::DateSettings;
use crate::kind::Kind;
use crate::manifest::TemplateRef;

/// An incident template (`GET incident_templates/`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Template {
    /// The numeric id that `POST incidents/` takes as `template_id`.
    pub id: u64,
    /// The display name.
    pub name: String,
}

/// One option of a select field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Choice {
    /// The id writes take.
    pub id: u64,
    /// The display string reads return.
    pub value: String,
}

/// The type of a column, which decides how its values are normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// Single-line text.
    Text,
    /// Multi-line text; shown as a unified diff when it changes.
    Textarea,
    /// A date and time, compared as an instant.
    Datetime,
    /// One option out of a list; written as the option id, read as its display string.
    Select,
    /// A number.
    Number,
    /// Any number of options of a list ("Multi Select List"): written as a list of option ids,
    /// read as a list of display strings, compared as a set.
    MultiSelect,
    /// Any number of free-text tags ("Tags"): written and read as a list of strings, compared as
    /// a set.
    Tags,
    /// A checkbox: `true` or `false`; an unset one reads as unchecked.
    Checkbox,
    /// A type soarform does not know; compared as text (or as a list of choices when the column
    /// has options, see [`Columns::new`]).
    Other(String),
}

impl<'de> Deserialize<'de> for ColumnType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        // The API's names (`select`) and the UI's ("Date & Time", "Multi Select List", "Numeric
        // Textbox": evidence file, "field types in the UI"), compared on letters and digits only.
        let bare: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|character| character.to_ascii_lowercase())
            .collect();
        Ok(match bare.as_str() {
            "text" | "string" | "textbox" | "textfield" => ColumnType::Text,
            "textarea" | "longtext" | "html" => ColumnType::Textarea,
            "datetime" | "date" => ColumnType::Datetime,
            "select" | "list" | "lookup" | "dropdown" | "singleselect" | "selectlist" => {
                ColumnType::Select
            }
            "number" | "integer" | "float" | "numeric" | "numerictextbox" => ColumnType::Number,
            "multiselect" | "multiselectlist" | "multilist" | "multiplechoice" => {
                ColumnType::MultiSelect
            }
            "tags" | "tag" => ColumnType::Tags,
            "checkbox" | "boolean" | "bool" => ColumnType::Checkbox,
            _ => ColumnType::Other(name),
        })
    }
}

/// A column definition (`GET incidents/columns/`, `GET triage/columns/`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Column {
    /// The API name writes and filters use (`status`, `opt_3`).
    pub field: String,
    /// The label the UI and reads show (`Status`, `Business unit`).
    pub label: String,
    /// The value type.
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// The options of a select field.
    #[serde(default)]
    pub options: Vec<Choice>,
    /// How the tenant shows dates (`tenant:` of soarform.yaml), for date fields: what their
    /// values are read in. Not part of the column definition the server sends; the session sets
    /// it for every column ([`Columns::with_dates`]).
    #[serde(skip)]
    pub dates: Arc<DateSettings>,
}

impl Column {
    /// The option with this display string (exact, then ignoring case).
    pub(crate) fn choice_by_name(&self, name: &str) -> Option<&Choice> {
        self.options
            .iter()
            .find(|choice| choice.value == name)
            .or_else(|| {
                self.options
                    .iter()
                    .find(|choice| choice.value.eq_ignore_ascii_case(name))
            })
    }

    /// The option with this id.
    pub(crate) fn choice_by_id(&self, id: u64) -> Option<&Choice> {
        self.options.iter().find(|choice| choice.id == id)
    }
}

/// A name that matched nothing in the catalog, with the closest valid names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`{}", suggestion(.closest))]
pub(crate) struct UnknownName {
    /// What was looked up ("incident field", "incident template", "option of `Status`").
    pub what: String,
    /// The name as written.
    pub name: String,
    /// Up to three valid names, closest first.
    pub closest: Vec<String>,
    /// How many valid names there are in all.
    pub valid_count: usize,
}

fn suggestion(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = closest.iter().map(|name| format!("`{name}`")).collect();
        format!("; did you mean {}?", names.join(" or "))
    }
}

/// The valid names closest to `name`, best first (at most three).
pub(crate) fn closest_names<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    let wanted = name.to_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .map(|candidate| {
            let lower = candidate.to_lowercase();
            let mut score = strsim::jaro_winkler(&wanted, &lower);
            if lower.contains(&wanted) || wanted.contains(&lower) {
                score = score.max(0.85);
            }
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, name)| name.to_string())
        .collect()
}

/// Every column of one kind.
///
/// Each column is held once, behind an [`Arc`]: resolved fields refer to it instead of copying it
/// with its options into every declared object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Columns {
    columns: Vec<Arc<Column>>,
}

impl Columns {
    /// Wraps column definitions as fetched. A column of a type soarform does not know that
    /// has options ("User Details", say) is a list of choices.
    pub(crate) fn new(columns: Vec<Column>) -> Self {
        Columns {
            columns: columns
                .into_iter()
                .map(|mut column| {
                    if matches!(column.column_type, ColumnType::Other(_))
                        && !column.options.is_empty()
                    {
                        column.column_type = ColumnType::Select;
                    }
                    Arc::new(column)
                })
                .collect(),
        }
    }

    /// The columns, each reading dates as `dates` says.
    pub(crate) fn with_dates(columns: Vec<Column>, dates: &Arc<DateSettings>) -> Self {
        Columns::new(
            columns
                .into_iter()
                .map(|column| Column {
                    dates: Arc::clone(dates),
                    ..column
                })
                .collect(),
        )
    }

    /// All columns, in server order.
    pub(crate) fn all(&self) -> &[Arc<Column>] {
        &self.columns
    }

    /// The column a document names, by API name first, then by label (exact, then ignoring case).
    pub(crate) fn find(&self, name: &str) -> Option<&Column> {
        self.find_shared(name).map(|column| &**column)
    }

    /// Like [`Columns::find`], as the shared column, for values that keep referring to it.
    pub(crate) fn find_shared(&self, name: &str) -> Option<&Arc<Column>> {
        self.columns
            .iter()
            .find(|column| column.field == name)
            .or_else(|| self.columns.iter().find(|column| column.label == name))
            .or_else(|| {
                self.columns
                    .iter()
                    .find(|column| column.label.eq_ignore_ascii_case(name))
            })
    }

    /// Like [`Columns::find`], with an error listing the closest names when nothing matches.
    pub(crate) fn resolve(&self, kind: Kind, name: &str) -> Result<&Column, UnknownName> {
        self.resolve_shared(kind, name).map(|column| &**column)
    }

    /// Like [`Columns::resolve`], as the shared column, for values that keep referring to it.
    pub(crate) fn resolve_shared(
        &self,
        kind: Kind,
        name: &str,
    ) -> Result<&Arc<Column>, UnknownName> {
        self.find_shared(name).ok_or_else(|| UnknownName {
            what: format!("{} field", kind.noun()),
            name: name.to_string(),
            closest: closest_names(
                name,
                self.columns
                    .iter()
                    .flat_map(|column| [column.label.as_str(), column.field.as_str()]),
            ),
            valid_count: self.columns.len(),
        })
    }
}

/// Templates and columns of a tenant, fetched once per run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    /// Incident templates.
    pub templates: Vec<Template>,
    /// Incident columns.
    pub incident_columns: Columns,
    /// Triage columns.
    pub triage_columns: Columns,
}

impl Catalog {
    /// The columns of a kind.
    pub(crate) fn columns(&self, kind: Kind) -> &Columns {
        match kind {
            Kind::Incident => &self.incident_columns,
            Kind::TriageItem => &self.triage_columns,
        }
    }

    /// The incident template a document names, by numeric id or by name.
    pub(crate) fn template(&self, reference: &TemplateRef) -> Result<&Template, UnknownName> {
        let found = match reference {
            TemplateRef::Id(id) => self.templates.iter().find(|template| template.id == *id),
            TemplateRef::Name(name) => self
                .templates
                .iter()
                .find(|template| &template.name == name)
                .or_else(|| {
                    self.templates
                        .iter()
                        .find(|template| template.name.eq_ignore_ascii_case(name))
                }),
        };
        found.ok_or_else(|| {
            let name = match reference {
                TemplateRef::Id(id) => id.to_string(),
                TemplateRef::Name(name) => name.clone(),
            };
            UnknownName {
                what: "incident template".into(),
                closest: closest_names(
                    &name,
                    self.templates.iter().map(|template| template.name.as_str()),
                ),
                name,
                valid_count: self.templates.len(),
            }
        })
    }

    /// The template with this display name (as reads return it).
    pub(crate) fn template_by_name(&self, name: &str) -> Option<&Template> {
        self.templates.iter().find(|template| template.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Columns {
        let json = serde_json::json!([
            {"field": "status", "label": "Status", "type": "select",
             "options": [{"id": 1, "value": "Open"}, {"id": 4, "value": "Closed"}]},
            {"field": "opt_3", "label": "Business unit", "type": "text"},
            {"field": "starttime", "label": "Start time", "type": "datetime"},
            {"field": "opt_9", "label": "Weird", "type": "geo"}
        ]);
        Columns::new(serde_json::from_value(json).unwrap())
    }

    #[test]
    fn finds_columns_by_api_name_and_by_label() {
        let columns = columns();
        assert_eq!(columns.find("opt_3").unwrap().label, "Business unit");
        assert_eq!(columns.find("Business unit").unwrap().field, "opt_3");
        assert_eq!(columns.find("business unit").unwrap().field, "opt_3");
        assert_eq!(
            columns.find("opt_9").unwrap().column_type,
            ColumnType::Other("geo".into())
        );
    }

    #[test]
    fn the_uis_type_names_are_understood_and_unknown_types_with_options_are_lists() {
        // The field types of Cloud SOAR's settings page (DOC `docs/cloud-soar/settings.md`).
        let types = [
            ("Text", ColumnType::Text),
            ("Text Area", ColumnType::Textarea),
            ("Date & Time", ColumnType::Datetime),
            ("List", ColumnType::Select),
            ("Multi Select List", ColumnType::MultiSelect),
            ("Numeric Textbox", ColumnType::Number),
            ("Tags", ColumnType::Tags),
            ("Checkbox", ColumnType::Checkbox),
            ("multi_select", ColumnType::MultiSelect),
            ("User Details", ColumnType::Other("User Details".into())),
        ];
        for (name, expected) in types {
            let column: Column = serde_json::from_value(
                serde_json::json!({"field": "f", "label": "F", "type": name}),
            )
            .unwrap();
            assert_eq!(column.column_type, expected, "{name}");
        }
        let owner = Columns::new(
            serde_json::from_value(serde_json::json!([
                {"field": "owner", "label": "Owner", "type": "User Details",
                 "options": [{"id": 3, "value": "Admins (group)"}]},
                {"field": "opt_9", "label": "Weird", "type": "geo"}
            ]))
            .unwrap(),
        );
        assert_eq!(owner.find("owner").unwrap().column_type, ColumnType::Select);
        assert_eq!(
            owner.find("opt_9").unwrap().column_type,
            ColumnType::Other("geo".into())
        );
    }

    #[test]
    fn unknown_field_lists_closest_names() {
        let error = columns()
            .resolve(Kind::Incident, "Busines unit")
            .unwrap_err();
        assert_eq!(
            error.closest.first().map(String::as_str),
            Some("Business unit")
        );
        assert_eq!(
            error.to_string(),
            "unknown incident field `Busines unit`; did you mean `Business unit`?"
        );
        let nothing = columns().resolve(Kind::Incident, "zzzzzz").unwrap_err();
        assert!(nothing.closest.is_empty());
    }

    #[test]
    fn options_map_both_ways() {
        let columns = columns();
        let status = columns.find("status").unwrap();
        assert_eq!(status.choice_by_name("Closed").unwrap().id, 4);
        assert_eq!(status.choice_by_name("closed").unwrap().id, 4);
        assert_eq!(status.choice_by_id(1).unwrap().value, "Open");
        assert!(status.choice_by_id(2).is_none());
    }

    #[test]
    fn templates_by_name_or_id() {
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
            ..Catalog::default()
        };
        assert_eq!(
            catalog.template(&TemplateRef::Id(2)).unwrap().name,
            "Malware"
        );
        assert_eq!(
            catalog
                .template(&TemplateRef::Name("phishing".into()))
                .unwrap()
                .id,
            1
        );
        let error = catalog
            .template(&TemplateRef::Name("Phising".into()))
            .unwrap_err();
        assert_eq!(error.closest, vec!["Phishing".to_string()]);
    }
}
