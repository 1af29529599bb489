//! The catalog export's unit tests read: incident and triage columns of every type, one template.

use serde_json::json;

use crate::catalog::{Catalog, Columns};

pub(super) fn catalog() -> Catalog {
    let incident = json!([
        {"field": "incidentid", "label": "Incident ID", "type": "text"},
        {"field": "description", "label": "Description", "type": "textarea"},
        {"field": "starttime", "label": "Start time", "type": "datetime"},
        {"field": "incident_kind", "label": "Kind", "type": "select",
         "options": [{"id": 1, "value": "Phishing"}, {"id": 3, "value": "Suspicious login"}]},
        {"field": "status", "label": "Status", "type": "select",
         "options": [{"id": 1, "value": "Open"}, {"id": 2, "value": "In progress"}]},
        {"field": "opt_3", "label": "Business unit", "type": "text"},
        {"field": "opt_5", "label": "Estimated loss (USD)", "type": "number"},
        {"field": "opt_7", "label": "status", "type": "text"},
        {"field": "opt_8", "label": "Twin", "type": "text"},
        {"field": "opt_9", "label": "twin", "type": "text"},
        {"field": "created_by", "label": "Created by", "type": "text"}
    ]);
    let triage = json!([
        {"field": "type", "label": "Type", "type": "select",
         "options": [{"id": 1, "value": "Suspicious login"}]},
        {"field": "status", "label": "Status", "type": "select",
         "options": [{"id": 1, "value": "New"}, {"id": 2, "value": "In progress"}]},
        {"field": "opt_1", "label": "Source reference", "type": "text"},
        {"field": "opt_2", "label": "Reporter", "type": "text"},
        {"field": "opt_3", "label": "Business unit", "type": "text"}
    ]);
    Catalog {
        templates: vec![crate::catalog::Template {
            id: 1,
            name: "Phishing".into(),
        }],
        incident_columns: Columns::new(serde_json::from_value(incident).unwrap()),
        triage_columns: Columns::new(serde_json::from_value(triage).unwrap()),
    }
}
