//! Shared fixtures of the plan's unit tests: a small catalog, its identity columns, desired and
//! live objects, an ownership column and a closing.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::catalog::{Catalog, Choice, Column, ColumnType, Columns, Template};
use crate::kind::Kind;
use crate::normalize;
use crate::remote::RemoteObject;
use crate::resolve::{Identity, ResolvedField, ResolvedObject};

use super::options::{Closing, Ownership};

pub(super) fn status() -> Column {
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
        dates: Default::default(),
    }
}

pub(super) fn text(field: &str, label: &str) -> Column {
    Column {
        field: field.into(),
        label: label.into(),
        column_type: ColumnType::Textarea,
        options: vec![],
        dates: Default::default(),
    }
}

pub(super) fn fixture() -> (Catalog, Identity) {
    let incidentid = Column {
        field: "incidentid".into(),
        label: "Incident ID".into(),
        column_type: ColumnType::Text,
        options: vec![],
        dates: Default::default(),
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

pub(super) fn desired(key: &str, fields: &[(Column, Value)]) -> ResolvedObject {
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

pub(super) fn live(id: u64, key: &str, fields: &[(&str, Value)]) -> RemoteObject {
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

pub(super) fn owned() -> Ownership {
    Ownership {
        incident: Some(text("opt_7", "Managed by")),
        triage: None,
    }
}

pub(super) fn closing() -> Closing {
    Closing {
        status: status(),
        closed: Choice {
            id: 4,
            value: "Closed".into(),
        },
        note: Some((text("opt_8", "Closing note"), "gone".into())),
    }
}
