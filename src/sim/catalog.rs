//! The simulator's default catalog: incident templates and the column definitions of incidents and
//! triage items, exactly as listed in the internal contract.

use serde_json::{json, Value};

use crate::kind::Kind;

/// The type of a column, as `GET .../columns/` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// A single-line string.
    Text,
    /// A multi-line string, stored and returned with `\r\n` line endings.
    Textarea,
    /// An instant, written as RFC 3339 and returned in UTC with microseconds.
    Datetime,
    /// One option out of a fixed list, written by id and returned by display string.
    Select,
    /// A number, returned as a JSON float.
    Number,
    /// Any number of options of a fixed list, written as a list of ids and returned as a list
    /// of display strings (as `type` reads on a real tenant: evidence file, "multi-value
    /// fields").
    MultiSelect,
    /// Any number of free-text tags, written and returned as a list of strings (`tags`).
    Tags,
}

impl ColumnType {
    /// The `type` value of the column JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Textarea => "textarea",
            ColumnType::Datetime => "datetime",
            ColumnType::Select => "select",
            ColumnType::Number => "number",
            ColumnType::MultiSelect => "multiselect",
            ColumnType::Tags => "tags",
        }
    }
}

/// One column (field definition) of incidents or triage items.
#[derive(Debug)]
pub(crate) struct Column {
    /// The API name (`status`, `opt_3`).
    pub(crate) field: &'static str,
    /// The label shown in the UI and used as `name` in wrapped values.
    pub(crate) label: &'static str,
    pub(crate) column_type: ColumnType,
    /// `(id, display value)` pairs; empty unless `column_type` is `Select` or `MultiSelect`.
    pub(crate) options: &'static [(u64, &'static str)],
}

impl Column {
    /// The display value of option `id`, if the column has such an option.
    pub(crate) fn option_value(&self, id: u64) -> Option<&'static str> {
        self.options
            .iter()
            .find(|(option_id, _)| *option_id == id)
            .map(|(_, value)| *value)
    }

    /// The options as `1 Open, 2 In progress, ...`, for error messages.
    pub(crate) fn describe_options(&self) -> String {
        self.options
            .iter()
            .map(|(id, value)| format!("{id} {value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The column JSON served by `GET .../columns/`; `options` only for selects.
    pub(crate) fn to_json(&self) -> Value {
        self.to_json_named(self.column_type.as_str())
    }

    /// The column JSON with its type named as Cloud SOAR's settings page names it ("Text
    /// Area", "Date & Time", "List", ...: evidence file, "field types in the UI").
    pub(crate) fn to_json_ui(&self) -> Value {
        self.to_json_named(match self.column_type {
            ColumnType::Text => "Text",
            ColumnType::Textarea => "Text Area",
            ColumnType::Datetime => "Date & Time",
            ColumnType::Select => "List",
            ColumnType::Number => "Numeric Textbox",
            ColumnType::MultiSelect => "Multi Select List",
            ColumnType::Tags => "Tags",
        })
    }

    fn to_json_named(&self, type_name: &str) -> Value {
        let mut column = json!({
            "field": self.field,
            "label": self.label,
            "type": type_name,
        });
        if matches!(
            self.column_type,
            ColumnType::Select | ColumnType::MultiSelect
        ) {
            column["options"] = self
                .options
                .iter()
                .map(|(id, value)| json!({"id": id, "value": value}))
                .collect();
        }
        column
    }
}

/// Incident templates as `(id, name)`.
pub(crate) const INCIDENT_TEMPLATES: &[(u64, &str)] = &[
    (1, "Phishing"),
    (2, "Malware"),
    (3, "Suspicious login"),
    (4, "Data exfiltration"),
    (5, "Ransomware"),
    (6, "Generic"),
];

const LEVELS: &[(u64, &str)] = &[(1, "Low"), (2, "Medium"), (3, "High")];
const PRIORITIES: &[(u64, &str)] = &[(1, "Low"), (2, "Medium"), (3, "High"), (4, "Critical")];

const fn column(field: &'static str, label: &'static str, column_type: ColumnType) -> Column {
    Column {
        field,
        label,
        column_type,
        options: &[],
    }
}

const fn select(
    field: &'static str,
    label: &'static str,
    options: &'static [(u64, &'static str)],
) -> Column {
    Column {
        options,
        ..column(field, label, ColumnType::Select)
    }
}

const fn multi_select(
    field: &'static str,
    label: &'static str,
    options: &'static [(u64, &'static str)],
) -> Column {
    Column {
        options,
        ..column(field, label, ColumnType::MultiSelect)
    }
}

const INCIDENT_COLUMNS: &[Column] = &[
    column("incidentid", "Incident ID", ColumnType::Text),
    column("description", "Description", ColumnType::Textarea),
    column("starttime", "Start time", ColumnType::Datetime),
    select(
        "incident_kind",
        "Kind",
        &[
            (1, "Phishing"),
            (2, "Malware"),
            (3, "Suspicious login"),
            (4, "Data exfiltration"),
            (5, "Ransomware"),
            (6, "Insider threat"),
            (7, "Denial of service"),
        ],
    ),
    select(
        "incident_category",
        "Category",
        &[
            (1, "Email"),
            (2, "Endpoint"),
            (3, "Network"),
            (4, "Identity"),
            (5, "Cloud"),
            (6, "Data"),
        ],
    ),
    select(
        "status",
        "Status",
        &[
            (1, "Open"),
            (2, "In progress"),
            (3, "Pending"),
            (4, "Closed"),
        ],
    ),
    select("restriction", "Restriction", LEVELS),
    select("priority", "Priority", PRIORITIES),
    column("opt_1", "Affected asset", ColumnType::Text),
    column("opt_2", "External ticket", ColumnType::Text),
    column("opt_3", "Business unit", ColumnType::Text),
    select(
        "opt_4",
        "Detection source",
        &[
            (1, "SIEM"),
            (2, "EDR"),
            (3, "Email gateway"),
            (4, "User report"),
            (5, "Threat intel"),
        ],
    ),
    column("opt_5", "Estimated loss (USD)", ColumnType::Number),
    column("opt_6", "Containment due", ColumnType::Datetime),
    column("opt_7", "Managed by", ColumnType::Text),
    column("opt_8", "Closing note", ColumnType::Textarea),
    // Built-in fields of `POST incidents/` and `Get Incident` (evidence file, "create incident",
    // "server-set fields"), and the multi-value `tags`.
    column("additional_info", "Additional info", ColumnType::Textarea),
    select(
        "owner",
        "Owner",
        &[
            (1, "Admins (group)"),
            (2, "Analysts (group)"),
            (3, "automation"),
        ],
    ),
    column("closing_note", "Closing Note", ColumnType::Textarea),
    column("tags", "Tags", ColumnType::Tags),
    multi_select(
        "opt_9",
        "Affected teams",
        &[(1, "Finance"), (2, "HR"), (3, "IT"), (4, "Legal")],
    ),
];

const TRIAGE_COLUMNS: &[Column] = &[
    select(
        "type",
        "Type",
        &[
            (1, "Suspicious login"),
            (2, "Malware alert"),
            (3, "Phishing report"),
            (4, "Data loss alert"),
            (5, "Policy violation"),
        ],
    ),
    select(
        "status",
        "Status",
        &[
            (1, "New"),
            (2, "In progress"),
            (3, "Escalated"),
            (4, "Dismissed"),
        ],
    ),
    select("priority", "Priority", PRIORITIES),
    column("description", "Description", ColumnType::Textarea),
    column("opt_1", "Source reference", ColumnType::Text),
    column("opt_2", "Reporter", ColumnType::Text),
    column("opt_3", "Business unit", ColumnType::Text),
    column("opt_4", "Observed at", ColumnType::Datetime),
    column("opt_5", "Managed by", ColumnType::Text),
    column("opt_6", "Closing note", ColumnType::Textarea),
];

/// The columns of `kind`, in the order `GET .../columns/` lists them.
pub(crate) fn columns(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::Incident => INCIDENT_COLUMNS,
        Kind::TriageItem => TRIAGE_COLUMNS,
    }
}

/// The column of `kind` whose API name is `field`.
pub(crate) fn column_named(kind: Kind, field: &str) -> Option<&'static Column> {
    columns(kind).iter().find(|column| column.field == field)
}

/// The name of incident template `id`.
pub(crate) fn template_name(id: u64) -> Option<&'static str> {
    INCIDENT_TEMPLATES
        .iter()
        .find(|(template_id, _)| *template_id == id)
        .map(|(_, name)| *name)
}

/// The field names of `kind`, comma-separated, for error messages.
pub(crate) fn describe_fields(kind: Kind) -> String {
    columns(kind)
        .iter()
        .map(|column| column.field)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_columns_list_their_options_and_others_do_not() {
        let status = column_named(Kind::Incident, "status").expect("status column");
        assert_eq!(
            status.to_json(),
            json!({"field": "status", "label": "Status", "type": "select", "options": [
                {"id": 1, "value": "Open"}, {"id": 2, "value": "In progress"},
                {"id": 3, "value": "Pending"}, {"id": 4, "value": "Closed"}]})
        );
        let unit = column_named(Kind::Incident, "opt_3").expect("opt_3 column");
        assert_eq!(
            unit.to_json(),
            json!({"field": "opt_3", "label": "Business unit", "type": "text"})
        );
    }

    #[test]
    fn field_names_are_unique_per_kind() {
        for kind in Kind::ALL {
            let mut names: Vec<_> = columns(kind).iter().map(|column| column.field).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), columns(kind).len(), "{kind}");
        }
    }
}
