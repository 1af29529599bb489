//! What the simulator received and what it holds, as the tests and benchmarks check it.

use std::collections::BTreeMap;

use serde_json::Value;
use soarform::sim::{RecordedRequest, SimServer};

/// Whether a request was a search (`POST .../search/`).
pub fn is_search(request: &RecordedRequest) -> bool {
    request.path.ends_with("/search/")
}

/// Whether a request was a create or an update: a `PUT`, or a `POST` that is not a search.
pub fn is_write(request: &RecordedRequest) -> bool {
    request.method == "PUT" || (request.method == "POST" && !is_search(request))
}

/// The key an incident carries (its `incidentid`), empty when it has none.
pub fn incident_key(incident: &Value) -> &str {
    incident["fields"]["incidentid"]["value"]
        .as_str()
        .unwrap_or("")
}

/// The simulator's incidents (read shape) by key; a key carried by more than one incident lists
/// them all.
pub fn incidents_by_key(server: &SimServer) -> BTreeMap<String, Vec<Value>> {
    let mut by_key: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for incident in server.incidents() {
        by_key
            .entry(incident_key(&incident).to_string())
            .or_default()
            .push(incident);
    }
    by_key
}

/// The id of the one incident carrying `key` (the test fails if there is not exactly one).
pub fn incident_id(server: &SimServer, key: &str) -> u64 {
    let incidents = server.incidents();
    let found: Vec<&Value> = incidents
        .iter()
        .filter(|incident| incident["fields"]["incidentid"]["value"] == key)
        .collect();
    assert_eq!(found.len(), 1, "{key}: {found:?}");
    found[0]["id"].as_u64().expect("id")
}
