//! The simulator over real HTTP: auth, the read shape, writes, search, errors, persistence,
//! limits and faults. The client is mostly the test support's minimal HTTP/1.1 one on
//! `std::net::TcpStream` (`support::http`), so that what is tested is the bytes on the wire and
//! nothing a client library would smooth over; limits and faults are also checked through
//! reqwest, as soarform's own client sees them.

#[path = "support/mod.rs"]
mod support;

use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use soarform::sim::{
    generate_token, Credentials, DropKind, Faults, Limits, RecordedRequest, RetryAfter, SimConfig,
    SimServer, SimStats,
};

use support::http::{basic, bearer, exchange, send, Response};
use support::{start, ACCESS_ID, TOKEN};

/// An access key with a colon in it: Basic credentials are split at the first colon, so the
/// key's own must survive.
const ACCESS_KEY: &str = "test-access-key:with-colon";
const V3: &str = "/api/csoar/v3/";
const LEGACY: &str = "/incmansuite_ng/api/v3/";

fn all_credentials() -> Credentials {
    Credentials {
        access_key: Some(ACCESS_KEY.into()),
        ..support::credentials()
    }
}

/// A simulator reading objects back in the API profile's shape (fields nested under `fields`,
/// dates in RFC 3339), which the wire-level tests below describe; the default shape follows the
/// evidence instead (`the_default_read_shape_follows_the_evidence`).
fn start_default() -> SimServer {
    start(profile_shape(SimConfig::new(all_credentials())))
}

fn profile_shape(mut config: SimConfig) -> SimConfig {
    config.quirks.nested_fields = true;
    config.quirks.date_display = None;
    config
}

#[test]
fn the_default_read_shape_follows_the_evidence() {
    // Sumo Logic's `Get Incident` script (CONTENT `Incident_Tools/Get Incident.yaml`) reads the
    // fields at the top level, each wrapped, `id` bare, and dates as display strings to the
    // minute; an unset date shows as epoch 0.
    let server = start(SimConfig::new(all_credentials()));
    let api = Api::v3(&server);
    let created = api.create_incident(
        1,
        json!({"incidentid": "shape/a", "status": 1, "starttime": "2023-09-08T07:15:42Z"}),
    );
    assert_eq!(created["id"], 101);
    assert!(created.get("fields").is_none(), "{created}");
    assert_eq!(
        created["incidentid"],
        wrapped("Incident ID", json!("shape/a"))
    );
    assert_eq!(created["status"], wrapped("Status", json!("Open")));
    assert_eq!(
        created["starttime"],
        wrapped("Start time", json!("09-08-2023 07:15 AM"))
    );
    assert_eq!(
        created["opt_6"],
        wrapped("Containment due", json!("01-01-1970 12:00 AM"))
    );
    assert_eq!(api.get("incidents/101/").json(), created);
    // What the simulator holds is the same object, inspected in the profile's shape.
    assert_eq!(
        server.incidents()[0]["fields"]["starttime"]["value"],
        json!("2023-09-08T07:15:42.000000+00:00")
    );
}

/// A client for one base path with one `Authorization` header.
struct Api<'a> {
    server: &'a SimServer,
    base: &'static str,
    authorization: Option<String>,
}

impl<'a> Api<'a> {
    fn v3(server: &'a SimServer) -> Api<'a> {
        Api {
            server,
            base: V3,
            authorization: Some(bearer(TOKEN)),
        }
    }

    fn legacy(server: &'a SimServer) -> Api<'a> {
        Api {
            base: LEGACY,
            ..Api::v3(server)
        }
    }

    fn with_authorization(self, authorization: Option<String>) -> Api<'a> {
        Api {
            authorization,
            ..self
        }
    }

    fn request(
        &self,
        method: &str,
        endpoint: &str,
        content_type: Option<&str>,
        body: Option<&str>,
    ) -> Response {
        let mut headers = Vec::new();
        if let Some(authorization) = &self.authorization {
            headers.push(("Authorization", authorization.as_str()));
        }
        if let Some(content_type) = content_type {
            headers.push(("Content-Type", content_type));
        }
        let path = format!("{}{endpoint}", self.base);
        send(self.server.addr(), method, &path, &headers, body)
    }

    fn get(&self, endpoint: &str) -> Response {
        self.request("GET", endpoint, None, None)
    }

    fn post(&self, endpoint: &str, body: &Value) -> Response {
        let body = body.to_string();
        self.request("POST", endpoint, Some("application/json"), Some(&body))
    }

    fn put(&self, endpoint: &str, body: &Value) -> Response {
        let body = body.to_string();
        self.request("PUT", endpoint, Some("application/json"), Some(&body))
    }

    /// Creates an incident and returns the body answered, checking for 201.
    fn create_incident(&self, template_id: u64, fields: Value) -> Value {
        let response = self.post(
            "incidents/",
            &json!({"template_id": template_id, "fields": fields}),
        );
        assert_eq!(response.status, 201, "{}", response.body);
        response.json()
    }

    /// The ids and `incidentid`s of one search page.
    fn search_keys(&self, body: Value) -> Vec<(u64, String)> {
        let response = self.post("incidents/search/", &body);
        assert_eq!(response.status, 200, "{}", response.body);
        response
            .json()
            .as_array()
            .expect("search answers an array")
            .iter()
            .map(|object| {
                (
                    object["id"].as_u64().expect("id"),
                    object["fields"]["incidentid"]["value"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    }
}

fn wrapped(name: &str, value: Value) -> Value {
    json!({"name": name, "value": value})
}

/// `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`
fn assert_server_date(value: &Value) {
    let text = value.as_str().expect("a date string");
    assert_eq!(text.len(), 32, "{text}");
    assert!(text.ends_with("+00:00"), "{text}");
    assert_eq!(&text[19..20], ".", "{text}");
    assert!(chrono::DateTime::parse_from_rfc3339(text).is_ok(), "{text}");
}

#[test]
fn bearer_and_basic_auth_are_accepted_on_both_base_paths() {
    let server = start_default();
    for api in [Api::v3(&server), Api::legacy(&server)] {
        for authorization in [bearer(TOKEN), basic(ACCESS_ID, ACCESS_KEY)] {
            let api = Api {
                authorization: Some(authorization.clone()),
                ..api
            };
            let response = api.get("incident_templates/");
            assert_eq!(response.status, 200, "{} {authorization}", api.base);
            assert_eq!(response.header("content-type"), Some("application/json"));
            assert_eq!(
                response.json(),
                json!([
                    {"id": 1, "name": "Phishing"}, {"id": 2, "name": "Malware"},
                    {"id": 3, "name": "Suspicious login"}, {"id": 4, "name": "Data exfiltration"},
                    {"id": 5, "name": "Ransomware"}, {"id": 6, "name": "Generic"}
                ])
            );
        }
    }
}

#[test]
fn missing_or_wrong_credentials_get_a_gateway_401() {
    let server = start_default();
    let refused = [
        None,
        Some(bearer("wrong-token")),
        Some(bearer("")),
        Some(TOKEN.to_string()),
        Some(basic(ACCESS_ID, "wrong-key")),
        Some(basic("wrong-id", ACCESS_KEY)),
        Some(basic(TOKEN, "")),
        Some("Basic %%%".to_string()),
    ];
    let mut ids = Vec::new();
    for base in [V3, LEGACY, "/elsewhere/"] {
        for authorization in &refused {
            let api = Api {
                server: &server,
                base,
                authorization: authorization.clone(),
            };
            let response = api.get("incidents/columns/");
            assert_eq!(response.status, 401, "{base} {authorization:?}");
            let body = response.json();
            assert_eq!(body["status"], 401);
            assert_eq!(body["code"], "unauthorized");
            assert_eq!(body["message"], "Credential could not be verified.");
            assert_eq!(body.as_object().map(|object| object.len()), Some(4));
            ids.push(body["id"].as_str().expect("id is a string").to_string());
        }
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3 * refused.len(), "every 401 has its own id");
}

#[test]
fn a_simulator_without_credentials_accepts_nothing() {
    let server = start(SimConfig::new(Credentials::default()));
    for authorization in [
        None,
        Some(bearer("")),
        Some(bearer("x")),
        Some(basic("", "")),
    ] {
        let response = Api::v3(&server)
            .with_authorization(authorization)
            .get("incident_templates/");
        assert_eq!(response.status, 401);
    }

    let token = generate_token();
    assert!(token.len() >= 32, "{token}");
    assert!(token
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || "-_".contains(character)));
    assert_ne!(token, generate_token());
    let server = start(SimConfig::new(Credentials {
        token: Some(token.clone()),
        ..Credentials::default()
    }));
    let api = Api::v3(&server).with_authorization(Some(bearer(&token)));
    assert_eq!(api.get("incident_templates/").status, 200);
    let basic_refused = api.with_authorization(Some(basic("", &token)));
    assert_eq!(basic_refused.get("incident_templates/").status, 401);
}

#[test]
fn columns_list_the_default_catalog() {
    let server = start_default();
    let incident_columns = Api::v3(&server).get("incidents/columns/").json();
    let fields: Vec<&str> = incident_columns
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|column| column["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "incidentid",
            "description",
            "starttime",
            "incident_kind",
            "incident_category",
            "status",
            "restriction",
            "priority",
            "opt_1",
            "opt_2",
            "opt_3",
            "opt_4",
            "opt_5",
            "opt_6",
            "opt_7",
            "opt_8",
            "additional_info",
            "owner",
            "closing_note",
            "tags",
            "opt_9"
        ]
    );
    // The documented built-ins and the multi-value fields (evidence file, "create incident",
    // "server-set fields", "multi-value fields").
    assert_eq!(
        incident_columns[19],
        json!({"field": "tags", "label": "Tags", "type": "tags"})
    );
    assert_eq!(incident_columns[20]["type"], "multiselect");
    assert_eq!(
        incident_columns[17]["options"][0],
        json!({"id": 1, "value": "Admins (group)"})
    );
    // Where soarform records ownership, and where pruning writes its closing note.
    assert_eq!(
        incident_columns[14],
        json!({"field": "opt_7", "label": "Managed by", "type": "text"})
    );
    assert_eq!(
        incident_columns[5],
        json!({"field": "status", "label": "Status", "type": "select", "options": [
            {"id": 1, "value": "Open"}, {"id": 2, "value": "In progress"},
            {"id": 3, "value": "Pending"}, {"id": 4, "value": "Closed"}]})
    );
    assert_eq!(
        incident_columns[12],
        json!({"field": "opt_5", "label": "Estimated loss (USD)", "type": "number"})
    );
    let triage_columns = Api::legacy(&server).get("triage/columns/").json();
    assert_eq!(
        triage_columns[4],
        json!({"field": "opt_1", "label": "Source reference", "type": "text"})
    );
    assert_eq!(
        triage_columns[1]["options"][3],
        json!({"id": 4, "value": "Dismissed"})
    );
    assert_eq!(triage_columns.as_array().map(Vec::len), Some(10));
}

#[test]
fn a_created_incident_reads_back_wrapped_with_display_strings() {
    let server = start_default();
    let api = Api::v3(&server);
    let created = api.create_incident(
        1,
        json!({
            "incidentid": "phishing/ceo-wire-fraud",
            "description": "line one\nline two\n",
            "starttime": "2026-11-20T10:00:00+01:00",
            "incident_kind": 1,
            "status": 1,
            "restriction": 1,
            "opt_3": "Finance",
            "opt_4": 3,
            "opt_5": 250000,
            "opt_6": "2026-11-21T09:30:00.5Z",
            "priority": null,
        }),
    );
    assert_eq!(created["id"], 101);
    assert_eq!(created["template"], wrapped("Template", json!("Phishing")));
    assert_eq!(created["created_by"], wrapped("Created by", json!("api")));
    assert_eq!(created["creation_date"]["name"], "Creation date");
    assert_server_date(&created["creation_date"]["value"]);
    assert_eq!(
        created["modified_date"]["value"],
        created["creation_date"]["value"]
    );
    assert_eq!(
        created["fields"],
        json!({
            "incidentid": wrapped("Incident ID", json!("phishing/ceo-wire-fraud")),
            "description": wrapped("Description", json!("line one\r\nline two\r\n")),
            "starttime": wrapped("Start time", json!("2026-11-20T09:00:00.000000+00:00")),
            "incident_kind": wrapped("Kind", json!("Phishing")),
            "status": wrapped("Status", json!("Open")),
            "restriction": wrapped("Restriction", json!("Low")),
            "opt_3": wrapped("Business unit", json!("Finance")),
            "opt_4": wrapped("Detection source", json!("Email gateway")),
            "opt_5": wrapped("Estimated loss (USD)", json!(250000.0)),
            "opt_6": wrapped("Containment due", json!("2026-11-21T09:30:00.500000+00:00")),
        })
    );

    let read = api.get("incidents/101/");
    assert_eq!(read.status, 200);
    assert!(read.body.contains(r#""value":250000.0"#), "{}", read.body);
    assert_eq!(read.json(), created);
    assert_eq!(Api::legacy(&server).get("incidents/101/").json(), created);
    assert_eq!(server.incidents(), vec![created]);

    let by_access_key = api.with_authorization(Some(basic(ACCESS_ID, ACCESS_KEY)));
    let second = by_access_key.create_incident(6, json!({"incidentid": "generic/x"}));
    assert_eq!(second["id"], 102);
    assert_eq!(second["template"]["value"], "Generic");
    assert_eq!(second["created_by"]["value"], ACCESS_ID);
    assert_eq!(
        second["fields"],
        json!({"incidentid": wrapped("Incident ID", json!("generic/x"))})
    );
}

#[test]
fn an_update_changes_only_the_given_fields() {
    let server = start_default();
    let api = Api::v3(&server);
    let created = api.create_incident(
        2,
        json!({"incidentid": "malware/a", "status": 1, "opt_3": "Finance", "opt_5": 1.5}),
    );
    let response = api.put(
        "incidents/101/",
        &json!({"fields": {"status": 4, "opt_3": null, "description": "a\rb"}}),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let updated = response.json();
    assert_eq!(
        updated["fields"],
        json!({
            "incidentid": wrapped("Incident ID", json!("malware/a")),
            "description": wrapped("Description", json!("a\r\nb")),
            "status": wrapped("Status", json!("Closed")),
            "opt_5": wrapped("Estimated loss (USD)", json!(1.5)),
        })
    );
    assert_eq!(updated["creation_date"], created["creation_date"]);
    assert_eq!(updated["template"], created["template"]);
    assert!(
        updated["modified_date"]["value"].as_str() >= created["modified_date"]["value"].as_str()
    );
    assert_eq!(api.get("incidents/101/").json(), updated);

    let unchanged = api.put("incidents/101/", &json!({"fields": {}}));
    assert_eq!(unchanged.status, 200);
    assert_eq!(unchanged.json()["fields"], updated["fields"]);
}

#[test]
fn triage_items_are_created_read_updated_and_searched() {
    let server = start_default();
    let api = Api::legacy(&server);
    let response = api.post(
        "triage/",
        &json!({"fields": {"type": 1, "status": 1, "opt_1": "okta-7731", "opt_4": "2026-11-20T09:00:00-05:00"}}),
    );
    assert_eq!(response.status, 201, "{}", response.body);
    let created = response.json();
    let id = created["id"].as_u64().expect("id");
    assert!(created.get("template").is_none());
    assert_eq!(
        created["fields"],
        json!({
            "type": wrapped("Type", json!("Suspicious login")),
            "status": wrapped("Status", json!("New")),
            "opt_1": wrapped("Source reference", json!("okta-7731")),
            "opt_4": wrapped("Observed at", json!("2026-11-20T14:00:00.000000+00:00")),
        })
    );
    let updated = api.put(&format!("triage/{id}/"), &json!({"fields": {"status": 4}}));
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.json()["fields"]["status"]["value"], "Dismissed");
    assert_eq!(api.get(&format!("triage/{id}/")).json(), updated.json());
    assert_eq!(server.triage_items(), vec![updated.json()]);
    assert!(server.incidents().is_empty());

    let found = api.post(
        "triage/search/",
        &json!({"filter": "opt_1:\"okta-*\"", "page_size": 10}),
    );
    assert_eq!(found.status, 200);
    assert_eq!(found.json(), json!([updated.json()]));
    assert_eq!(
        api.get(&format!("incidents/{id}/"))
            .application_error(404, "Not Found"),
        format!("no incident with id {id}")
    );
}

#[test]
fn search_matches_exact_prefix_and_or_and_pages_by_id() {
    let server = start_default();
    let api = Api::v3(&server);
    for (key, status) in [
        ("phishing/a", 1),
        ("malware/b", 2),
        ("phishing/c", 4),
        ("phishing", 1),
        ("phishing/d", 1),
    ] {
        api.create_incident(
            1,
            json!({"incidentid": key, "status": status, "opt_3": "Finance"}),
        );
    }
    let keys =
        |found: Vec<(u64, String)>| found.into_iter().map(|(_, key)| key).collect::<Vec<_>>();

    assert_eq!(
        keys(api.search_keys(json!({"filter": "incidentid:\"phishing\""}))),
        ["phishing"]
    );
    assert_eq!(
        keys(api.search_keys(json!({"filter": "incidentid:\"phishing/*\""}))),
        ["phishing/a", "phishing/c", "phishing/d"]
    );
    assert_eq!(
        keys(api.search_keys(
            json!({"filter": "incidentid:\"malware/b\" OR status:\"Closed\" OR incidentid:\"nothing*\""})
        )),
        ["malware/b", "phishing/c"]
    );
    assert_eq!(
        keys(api.search_keys(json!({"filter": "incidentid:\"PHISHING\""}))),
        Vec::<String>::new()
    );
    assert_eq!(api.search_keys(json!({})).len(), 5);
    assert_eq!(api.search_keys(json!({"filter": ""})).len(), 5);

    let page = |number: u64| {
        api.search_keys(json!({"page_number": number, "page_size": 2, "filter": "opt_3:\"Fin*\""}))
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>()
    };
    assert_eq!(page(1), [101, 102]);
    assert_eq!(page(2), [103, 104]);
    assert_eq!(page(3), [105], "a short page is the last");
    assert_eq!(page(4), Vec::<u64>::new());

    let response = Api::legacy(&server).post(
        "incidents/search/",
        &json!({"filter": "incidentid:\"phishing/a\"", "columns": ["status", "id"], "page_size": 500}),
    );
    assert_eq!(response.status, 200);
    let found = response.json();
    assert_eq!(
        found[0]["fields"],
        json!({"status": wrapped("Status", json!("Open"))})
    );
    assert_eq!(found[0]["id"], 101);
    assert_eq!(found[0]["template"]["value"], "Phishing");
    assert_server_date(&found[0]["modified_date"]["value"]);
}

#[test]
fn invalid_bodies_filters_and_pages_are_400_naming_the_problem() {
    let server = start_default();
    let api = Api::v3(&server);
    api.create_incident(1, json!({"incidentid": "a"}));
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "POST",
            "incidents/",
            "{\"template_id\": 1,".into(),
            "malformed JSON in the request body",
        ),
        (
            "POST",
            "incidents/",
            "[]".into(),
            "the request body must be a JSON object, got an array",
        ),
        (
            "POST",
            "incidents/",
            json!({"fields": {}}).to_string(),
            "missing `template_id`",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 99, "fields": {}}).to_string(),
            "`template_id`: no incident template with id 99",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": "Phishing", "fields": {}}).to_string(),
            "`template_id` must be an incident template id",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 1}).to_string(),
            "missing `fields`",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 1, "fields": {}, "extra": 1}).to_string(),
            "unknown key `extra`",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 1, "fields": {"Business unit": "x"}}).to_string(),
            "unknown field `Business unit`",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 1, "fields": {"status": "Open"}}).to_string(),
            "field `status` (select): expected an option id",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 1, "fields": {"status": 7}}).to_string(),
            "field `status` (select): no option with id 7",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 1, "fields": {"starttime": "2026-11-20"}}).to_string(),
            "field `starttime` (datetime)",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 1, "fields": {"opt_5": "1000"}}).to_string(),
            "field `opt_5` (number): expected a JSON number",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 1, "fields": {"opt_9": "Finance"}}).to_string(),
            "field `opt_9` (multiselect): expected a list of option ids, got the string",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 1, "fields": {"opt_9": [1, 9]}}).to_string(),
            "field `opt_9` (multiselect): expected a list of option ids, got the number 9 in it",
        ),
        (
            "POST",
            "incidents/",
            json!({"template_id": 1, "fields": {"tags": ["a", 1]}}).to_string(),
            "field `tags` (tags): expected a list of strings, got the number 1 in it",
        ),
        (
            "POST",
            "triage/",
            json!({"template_id": 1, "fields": {}}).to_string(),
            "unknown key `template_id`",
        ),
        (
            "PUT",
            "incidents/101/",
            json!({"fields": {"opt_1": 5}}).to_string(),
            "field `opt_1` (text): expected a string",
        ),
        (
            "PUT",
            "incidents/101/",
            json!({"fields": []}).to_string(),
            "`fields` must be a JSON object",
        ),
        (
            "PUT",
            "incidents/101/",
            json!({"template_id": 2, "fields": {}}).to_string(),
            "unknown key `template_id`",
        ),
        (
            "POST",
            "incidents/search/",
            json!({"page_size": 0}).to_string(),
            "`page_size` must be an integer from 1 to 500, got the number 0",
        ),
        (
            "POST",
            "incidents/search/",
            json!({"page_size": 501}).to_string(),
            "`page_size` must be an integer from 1 to 500",
        ),
        (
            "POST",
            "incidents/search/",
            json!({"page_number": 0}).to_string(),
            "`page_number` must be an integer of at least 1",
        ),
        (
            "POST",
            "incidents/search/",
            json!({"filter": "incidentid:a"}).to_string(),
            "invalid `filter`: expected a quoted value",
        ),
        (
            "POST",
            "incidents/search/",
            json!({"filter": "incidentid:\"a\" AND status:\"Open\""}).to_string(),
            "invalid `filter`: expected `OR`",
        ),
        (
            "POST",
            "incidents/search/",
            json!({"filter": "urgency:\"a\""}).to_string(),
            "invalid `filter`: unknown incident field `urgency`",
        ),
        (
            "POST",
            "triage/search/",
            json!({"filter": "incidentid:\"a\""}).to_string(),
            "invalid `filter`: unknown triage item field `incidentid`",
        ),
        (
            "POST",
            "incidents/search/",
            json!({"columns": ["nope"]}).to_string(),
            "`columns`: unknown incident field `nope`",
        ),
        (
            "POST",
            "incidents/search/",
            json!({"sort": "id"}).to_string(),
            "unknown key `sort`",
        ),
    ];
    for (method, endpoint, body, expected) in cases {
        let response = api.request(method, endpoint, Some("application/json"), Some(&body));
        let description = response.application_error(400, "Bad Request");
        assert!(
            description.contains(expected),
            "{method} {endpoint} {body}: {description}"
        );
    }
    // Nothing invalid was written.
    assert_eq!(server.incidents().len(), 1);
    assert_eq!(
        server.incidents()[0]["fields"],
        json!({"incidentid": wrapped("Incident ID", json!("a"))})
    );
}

#[test]
fn unknown_paths_and_ids_are_404() {
    let server = start_default();
    let api = Api::v3(&server);
    api.create_incident(1, json!({}));
    for (path, expected) in [
        ("/", "no endpoint `GET /`"),
        ("/api/csoar/v2/incidents/101/", "endpoints are under"),
        (
            "/api/csoar/v3/nothing/",
            "no endpoint `GET /api/csoar/v3/nothing/`",
        ),
        ("/api/csoar/v3/incidents/101", "endpoint paths end with `/`"),
        (
            "/incmansuite_ng/api/v3/incident_templates",
            "endpoint paths end with `/`",
        ),
        ("/api/csoar/v3/incidents/101/extra/", "no endpoint"),
        ("/api/csoar/v3/incidents/999/", "no incident with id 999"),
        ("/api/csoar/v3/incidents/abc/", "no incident with id `abc`"),
        (
            "/incmansuite_ng/api/v3/triage/101/",
            "no triage item with id 101",
        ),
    ] {
        let response = send(
            server.addr(),
            "GET",
            path,
            &[("Authorization", &bearer(TOKEN))],
            None,
        );
        let description = response.application_error(404, "Not Found");
        assert!(description.contains(expected), "{path}: {description}");
    }
    let missing = api.put("incidents/999/", &json!({"fields": {}}));
    assert_eq!(
        missing.application_error(404, "Not Found"),
        "no incident with id 999"
    );
}

#[test]
fn wrong_methods_are_405_with_an_allow_header() {
    let server = start_default();
    let api = Api::legacy(&server);
    api.create_incident(1, json!({}));
    for (method, endpoint, allow) in [
        ("DELETE", "incidents/101/", "GET, HEAD, PUT"),
        ("POST", "incidents/101/", "GET, HEAD, PUT"),
        ("GET", "incidents/", "POST"),
        ("PUT", "triage/", "POST"),
        ("GET", "incidents/search/", "POST"),
        ("POST", "incident_templates/", "GET, HEAD"),
        ("PUT", "triage/columns/", "GET, HEAD"),
    ] {
        let response = api.request(method, endpoint, Some("application/json"), Some("{}"));
        let description = response.application_error(405, "Method Not Allowed");
        assert_eq!(response.header("allow"), Some(allow), "{method} {endpoint}");
        assert!(
            description.contains(&format!("method `{method}` is not allowed")),
            "{description}"
        );
    }
}

#[test]
fn bodies_not_declared_as_json_are_415() {
    let server = start_default();
    let api = Api::v3(&server);
    api.create_incident(1, json!({}));
    let body = json!({"template_id": 1, "fields": {}}).to_string();
    for (method, endpoint, content_type) in [
        ("POST", "incidents/", None),
        ("POST", "incidents/", Some("text/plain")),
        ("POST", "triage/", Some("application/x-www-form-urlencoded")),
        ("PUT", "incidents/101/", Some("application/jsonx")),
        ("POST", "incidents/search/", None),
    ] {
        let response = api.request(method, endpoint, content_type, Some(&body));
        let description = response.application_error(415, "Unsupported Media Type");
        assert!(
            description.contains("`Content-Type: application/json`"),
            "{description}"
        );
    }
    let with_charset = api.request(
        "POST",
        "incidents/",
        Some("Application/JSON; charset=utf-8"),
        Some(&body),
    );
    assert_eq!(with_charset.status, 201, "{}", with_charset.body);
    assert_eq!(server.incidents().len(), 2);
}

#[test]
fn the_state_file_persists_objects_across_restarts() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let state_file = directory.path().join("missing/parent/sandbox.json");
    let config = || {
        profile_shape(SimConfig {
            state_file: Some(state_file.clone()),
            ..SimConfig::new(all_credentials())
        })
    };

    let server = start(config());
    let api = Api::v3(&server);
    api.create_incident(
        1,
        json!({"incidentid": "a", "status": 2, "starttime": "2026-11-20T09:00:00.123456789Z"}),
    );
    let response = api.post("triage/", &json!({"fields": {"opt_1": "okta-1"}}));
    assert_eq!(response.status, 201);
    assert_eq!(
        api.put("incidents/101/", &json!({"fields": {"opt_3": "Legal"}}))
            .status,
        200
    );
    assert!(state_file.is_file());
    let incidents = server.incidents();
    let triage_items = server.triage_items();
    drop(server);

    let server = start(config());
    assert_eq!(server.incidents(), incidents);
    assert_eq!(server.triage_items(), triage_items);
    let api = Api::v3(&server);
    let next = api.create_incident(1, json!({"incidentid": "b"}));
    assert_eq!(next["id"], 102, "ids continue after a restart");
    assert_only_state_file_in(state_file.parent().expect("parent"));
    drop(server);

    // A read-only simulator serves the saved objects but refuses writes.
    let server = start(SimConfig {
        read_only: true,
        ..config()
    });
    let api = Api::v3(&server);
    assert_eq!(api.get("incidents/101/").json(), incidents[0]);
    assert_eq!(api.search_keys(json!({})).len(), 2);
    for (method, endpoint, capability) in [
        ("POST", "incidents/", "Manage incidents"),
        ("PUT", "incidents/101/", "Manage incidents"),
        ("POST", "triage/", "Manage triage"),
        (
            "PUT",
            &format!("triage/{}/", triage_items[0]["id"]),
            "Manage triage",
        ),
    ] {
        let body = json!({"template_id": 1, "fields": {"opt_3": "x"}}).to_string();
        let response = api.request(method, endpoint, Some("application/json"), Some(&body));
        assert_eq!(
            response.application_error(403, "Forbidden"),
            format!("the credential lacks the capability `{capability}`")
        );
    }
    assert_eq!(server.incidents().len(), 2);
    assert_eq!(server.incidents()[0], incidents[0]);
}

fn assert_only_state_file_in(directory: &Path) {
    let names: Vec<String> = std::fs::read_dir(directory)
        .expect("lists the state directory")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["sandbox.json"]);
}

#[test]
fn a_write_that_cannot_be_saved_is_500_and_not_kept() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let blocker = directory.path().join("sub");
    let server = start(SimConfig {
        state_file: Some(blocker.join("state.json")),
        ..SimConfig::new(all_credentials())
    });
    // A file where the state directory should be makes every save fail.
    std::fs::write(&blocker, "not a directory").expect("writes");
    let api = Api::v3(&server);
    let response = api.post("incidents/", &json!({"template_id": 1, "fields": {}}));
    let description = response.application_error(500, "Internal Server Error");
    assert!(
        description.contains("could not save the simulator state"),
        "{description}"
    );
    assert!(server.incidents().is_empty());

    std::fs::remove_file(&blocker).expect("removes");
    assert_eq!(api.create_incident(1, json!({}))["id"], 101);
}

#[test]
fn an_unreadable_state_file_stops_the_start() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let state_file = directory.path().join("state.json");
    std::fs::write(&state_file, "{ not json").expect("writes");
    let error = SimServer::start(
        SimConfig {
            state_file: Some(state_file),
            ..SimConfig::new(all_credentials())
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .expect_err("refuses to start");
    assert!(error.to_string().contains("state.json"), "{error}");
}

#[test]
fn every_request_is_recorded_in_order() {
    let server = start_default();
    let api = Api::v3(&server);
    api.get("incident_templates/");
    api.with_authorization(None).get("incidents/columns/");
    send(
        server.addr(),
        "POST",
        "/api/csoar/v3/incidents/search/?debug=1",
        &[
            ("Authorization", &bearer(TOKEN)),
            ("Content-Type", "application/json"),
        ],
        Some("{}"),
    );
    Api::legacy(&server).get("incidents/1");
    Api::legacy(&server).request("DELETE", "incidents/1/", None, None);
    let recorded = |method: &str, path: &str, status: u16| RecordedRequest {
        method: method.into(),
        path: path.into(),
        status,
        body: (path.ends_with("/search/")).then(|| serde_json::json!({})),
        dropped: None,
    };
    assert_eq!(
        server.requests(),
        [
            recorded("GET", "/api/csoar/v3/incident_templates/", 200),
            recorded("GET", "/api/csoar/v3/incidents/columns/", 401),
            recorded("POST", "/api/csoar/v3/incidents/search/", 200),
            recorded("GET", "/incmansuite_ng/api/v3/incidents/1", 404),
            recorded("DELETE", "/incmansuite_ng/api/v3/incidents/1/", 405),
        ]
    );
}

#[test]
fn latency_is_added_to_every_request() {
    let latency = Duration::from_millis(30);
    let server = start(SimConfig {
        latency,
        ..SimConfig::new(all_credentials())
    });
    for authorization in [Some(bearer(TOKEN)), None] {
        let started = Instant::now();
        Api::v3(&server)
            .with_authorization(authorization)
            .get("incident_templates/");
        assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    }
}

#[test]
fn the_server_stops_when_dropped() {
    let server = start_default();
    let address = server.addr();
    assert_eq!(server.url(), format!("http://{address}"));
    assert_eq!(Api::v3(&server).get("incident_templates/").status, 200);
    drop(server);
    assert!(TcpStream::connect(address).is_err());
}

#[test]
fn a_server_can_be_started_and_dropped_inside_an_async_context() {
    // As the sandbox does: the caller is itself running on a tokio runtime.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = start_default();
        let address = server.addr();
        let response = tokio::task::spawn_blocking(move || {
            send(
                address,
                "GET",
                "/incmansuite_ng/api/v3/incident_templates/",
                &[("Authorization", &bearer(TOKEN))],
                None,
            )
        })
        .await
        .expect("request task");
        assert_eq!(response.status, 200);
        drop(server);
    });
}

#[test]
fn serve_runs_on_the_callers_runtime_until_shutdown() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(soarform::sim::serve(
            SimConfig::new(all_credentials()),
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        let response = tokio::task::spawn_blocking(move || {
            send(
                address,
                "GET",
                "/api/csoar/v3/triage/columns/",
                &[("Authorization", &basic(ACCESS_ID, ACCESS_KEY))],
                None,
            )
        })
        .await
        .expect("request task");
        assert_eq!(response.status, 200);
        let _ = stop.send(());
        let result = tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("stops promptly")
            .expect("server task");
        assert!(result.is_ok(), "{result:?}");
    });
}

// Limits and faults, through a real HTTP client.

/// What reqwest made of one request: the answer, or the transport error from `send()` or from
/// reading the body.
#[derive(Debug)]
enum Outcome {
    Answered {
        status: u16,
        retry_after: Option<String>,
        body: String,
    },
    TransportError(String),
}

impl Outcome {
    fn status(&self) -> u16 {
        match self {
            Outcome::Answered { status, .. } => *status,
            Outcome::TransportError(_) => 0,
        }
    }

    fn retry_after(&self) -> Option<&str> {
        match self {
            Outcome::Answered { retry_after, .. } => retry_after.as_deref(),
            Outcome::TransportError(_) => None,
        }
    }

    fn json(&self) -> Value {
        match self {
            Outcome::Answered { body, .. } => serde_json::from_str(body)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {body}")),
            Outcome::TransportError(error) => panic!("no answer: {error}"),
        }
    }

    /// Checks a 429 in Sumo's gateway shape.
    fn assert_gateway_429(&self) {
        assert_eq!(self.status(), 429, "{self:?}");
        let body = self.json();
        assert_eq!(body["status"], 429, "{body}");
        assert_eq!(body["code"], "rate.limit.exceeded", "{body}");
        assert!(
            body["id"].as_str().is_some_and(|id| !id.is_empty()),
            "{body}"
        );
        assert!(body["message"].as_str().is_some(), "{body}");
        assert_eq!(
            body.as_object().map(|object| object.len()),
            Some(4),
            "{body}"
        );
    }
}

/// A reqwest client for one simulator, authenticated with [`TOKEN`] unless told otherwise.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    url: String,
    authenticated: bool,
}

impl Client {
    fn new(server: &SimServer) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
            url: format!("{}{V3}", server.url()),
            authenticated: true,
        }
    }

    fn anonymous(&self) -> Client {
        Client {
            authenticated: false,
            ..self.clone()
        }
    }

    async fn call(&self, method: reqwest::Method, endpoint: &str, body: Option<Value>) -> Outcome {
        let mut request = self.http.request(method, format!("{}{endpoint}", self.url));
        if self.authenticated {
            request = request.bearer_auth(TOKEN);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Outcome::TransportError(format!("send: {error:?}")),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|value| value.to_str().expect("ASCII header").to_string());
        match response.text().await {
            Ok(body) => Outcome::Answered {
                status,
                retry_after,
                body,
            },
            Err(error) => Outcome::TransportError(format!("body: {error:?}")),
        }
    }

    async fn get(&self, endpoint: &str) -> Outcome {
        self.call(reqwest::Method::GET, endpoint, None).await
    }

    async fn post(&self, endpoint: &str, body: Value) -> Outcome {
        self.call(reqwest::Method::POST, endpoint, Some(body)).await
    }

    async fn put(&self, endpoint: &str, body: Value) -> Outcome {
        self.call(reqwest::Method::PUT, endpoint, Some(body)).await
    }

    async fn create(&self, key: &str) -> Outcome {
        self.post(
            "incidents/",
            json!({"template_id": 1, "fields": {"incidentid": key}}),
        )
        .await
    }
}

fn with_limits(limits: Limits) -> SimConfig {
    SimConfig {
        limits,
        ..SimConfig::new(all_credentials())
    }
}

fn with_faults(faults: Faults) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::new(all_credentials())
    }
}

fn incident_keys(server: &SimServer) -> Vec<String> {
    server
        .incidents()
        .iter()
        .map(|incident| {
            incident["fields"]["incidentid"]["value"]
                .as_str()
                .expect("key")
                .to_string()
        })
        .collect()
}

fn statuses(server: &SimServer) -> Vec<u16> {
    server
        .requests()
        .iter()
        .map(|request| request.status)
        .collect()
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after_in_seconds_an_http_date_or_none() {
    for form in [RetryAfter::Seconds, RetryAfter::HttpDate, RetryAfter::None] {
        let server = start(with_limits(Limits {
            requests_per_second: Some(2.0),
            retry_after: form,
            ..Limits::default()
        }));
        let client = Client::new(&server);
        // A burst of ceil(2) = 2 is admitted; the rest of the burst is refused, with or without
        // credentials (the gateway answers before authentication).
        let mut outcomes = Vec::new();
        for index in 0..4 {
            let client = if index == 3 {
                client.anonymous()
            } else {
                client.clone()
            };
            outcomes.push(client.get("incident_templates/").await);
        }
        let answered: Vec<u16> = outcomes.iter().map(Outcome::status).collect();
        assert_eq!(answered, [200, 200, 429, 429], "{form:?}");
        for refused in &outcomes[2..] {
            refused.assert_gateway_429();
            let header = refused.retry_after();
            match form {
                // 2 per second: the next token is at most half a second away, rounded up.
                RetryAfter::Seconds => assert_eq!(header, Some("1")),
                RetryAfter::HttpDate => {
                    let date = chrono::DateTime::parse_from_rfc2822(header.expect("a date"))
                        .expect("an HTTP date");
                    assert!(header.is_some_and(|text| text.ends_with(" GMT")));
                    let ahead = date.to_utc() - chrono::Utc::now();
                    assert!(
                        ahead > chrono::TimeDelta::zero() && ahead <= chrono::TimeDelta::seconds(2),
                        "{header:?} is {ahead} ahead"
                    );
                }
                RetryAfter::None => assert_eq!(header, None),
            }
        }
        assert_eq!(statuses(&server), [200, 200, 429, 429]);
        let stats = server.stats();
        assert_eq!(
            (stats.requests, stats.throttled, stats.rate_limited),
            (4, 2, 2)
        );
        if form == RetryAfter::Seconds {
            // After waiting as asked, the client is admitted again.
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert_eq!(client.get("incident_templates/").await.status(), 200);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_concurrency_limit_refuses_parallel_requests_beyond_it() {
    let server = start(SimConfig {
        latency: Duration::from_millis(400),
        ..with_limits(Limits {
            max_concurrency: Some(2),
            ..Limits::default()
        })
    });
    let client = Client::new(&server);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let client = client.clone();
        tasks.spawn(async move { client.get("incidents/columns/").await });
    }
    let outcomes = tasks.join_all().await;
    // Requests that arrive while two others wait out the latency are refused. (A request
    // delayed on its way past that latency may be admitted: count rather than expect exactly 4.)
    let admitted = outcomes
        .iter()
        .filter(|outcome| outcome.status() == 200)
        .count();
    let refused: Vec<&Outcome> = outcomes
        .iter()
        .filter(|outcome| outcome.status() == 429)
        .collect();
    assert_eq!(admitted + refused.len(), 6, "{outcomes:?}");
    assert!(refused.len() >= 2, "{outcomes:?}");
    for refused in &refused {
        refused.assert_gateway_429();
        assert_eq!(refused.retry_after(), Some("1"));
    }
    let stats = server.stats();
    assert_eq!(stats.max_in_flight, 2, "{stats:?}");
    assert_eq!(stats.concurrency_limited, refused.len() as u64, "{stats:?}");
    assert_eq!(stats.throttled, refused.len() as u64, "{stats:?}");
    assert_eq!(stats.in_flight, 0, "{stats:?}");
    // Refused requests left their slots: the next ones are admitted.
    assert_eq!(client.get("incidents/columns/").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_refused_by_a_limit_change_nothing() {
    let server = start(SimConfig {
        latency: Duration::from_millis(300),
        ..with_limits(Limits {
            max_concurrency: Some(2),
            ..Limits::default()
        })
    });
    let client = Client::new(&server);
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..5 {
        let client = client.clone();
        tasks.spawn(async move { client.create(&format!("parallel/{index}")).await });
    }
    let outcomes = tasks.join_all().await;
    let created = outcomes
        .iter()
        .filter(|outcome| outcome.status() == 201)
        .count();
    let refused = outcomes
        .iter()
        .filter(|outcome| outcome.status() == 429)
        .count();
    assert_eq!(created + refused, 5, "{outcomes:?}");
    assert!(refused >= 1, "{outcomes:?}");
    assert_eq!(server.incidents().len(), created);
    assert_eq!(server.stats().max_in_flight, 2);

    let server = start(with_limits(Limits {
        requests_per_second: Some(1.0),
        ..Limits::default()
    }));
    let client = Client::new(&server);
    assert_eq!(client.create("first").await.status(), 201);
    assert_eq!(client.create("second").await.status(), 429);
    assert_eq!(
        client
            .put("incidents/101/", json!({"fields": {"opt_3": "Legal"}}))
            .await
            .status(),
        429
    );
    assert_eq!(incident_keys(&server), ["first"]);
    assert!(server.incidents()[0]["fields"].get("opt_3").is_none());
}

/// The same mixed sequence of reads, searches, creates and updates.
async fn mixed_sequence(server: &SimServer, count: usize) -> Vec<u16> {
    let client = Client::new(server);
    let mut answered = Vec::new();
    for index in 0..count {
        let outcome = match index % 4 {
            0 => client.get("incident_templates/").await,
            1 => client.post("incidents/search/", json!({})).await,
            2 => client.create(&format!("mixed/{index}")).await,
            _ => {
                client
                    .put(
                        "incidents/101/",
                        json!({"fields": {"opt_2": format!("T-{index}")}}),
                    )
                    .await
            }
        };
        answered.push(outcome.status());
    }
    answered
}

#[tokio::test]
async fn server_errors_follow_the_rate_and_repeat_for_the_same_seed() {
    let faults = Faults {
        seed: 11,
        server_error_rate: 0.3,
        ..Faults::default()
    };
    let server = start(with_faults(faults.clone()));
    // Updates of incident 101 are 404s until a create got through.
    let answered = mixed_sequence(&server, 80).await;
    let errors: Vec<u16> = answered
        .iter()
        .copied()
        .filter(|status| *status >= 500)
        .collect();
    assert!(
        (12..=36).contains(&errors.len()),
        "{} server errors in 80 at rate 0.3: {answered:?}",
        errors.len()
    );
    let mut kinds = errors.clone();
    kinds.sort_unstable();
    kinds.dedup();
    assert!(kinds.len() >= 3, "{kinds:?}");
    assert!(kinds
        .iter()
        .all(|status| [500, 502, 503, 504].contains(status)));
    assert!(answered
        .iter()
        .all(|status| [200, 201, 404, 500, 502, 503, 504].contains(status)));
    assert_eq!(server.stats().server_errors, errors.len() as u64);
    // Creates answered 5xx were never committed.
    let created = answered.iter().filter(|status| **status == 201).count();
    assert_eq!(server.incidents().len(), created);
    assert_eq!(statuses(&server), answered);

    // The same seed and sequence: the same answers. Another seed: other answers.
    let again = start(with_faults(faults.clone()));
    assert_eq!(mixed_sequence(&again, 80).await, answered);
    let other = start(with_faults(Faults { seed: 12, ..faults }));
    assert_ne!(mixed_sequence(&other, 80).await, answered);
}

#[tokio::test]
async fn injected_errors_and_throttles_carry_retry_after_only_sometimes() {
    let server = start(with_faults(Faults {
        seed: 5,
        server_error_rate: 0.5,
        throttle_rate: 0.5,
        ..Faults::default()
    }));
    let client = Client::new(&server);
    let mut outcomes = Vec::new();
    for _ in 0..120 {
        outcomes.push(client.get("incident_templates/").await);
    }
    let with_header = |status: u16| {
        let matching: Vec<&Outcome> = outcomes
            .iter()
            .filter(|outcome| outcome.status() == status)
            .collect();
        let headers = matching
            .iter()
            .filter(|outcome| outcome.retry_after() == Some("1"))
            .count();
        (matching.len(), headers)
    };
    let (throttles, throttles_with_header) = with_header(429);
    assert!(throttles > 0 && throttles_with_header > 0 && throttles_with_header < throttles);
    let (unavailable, unavailable_with_header) = with_header(503);
    assert!(
        unavailable > 0 && unavailable_with_header > 0 && unavailable_with_header < unavailable
    );
    for status in [500, 502, 504] {
        assert_eq!(
            with_header(status).1,
            0,
            "{status} never asks to retry later"
        );
    }
    for outcome in &outcomes {
        match outcome.status() {
            429 => outcome.assert_gateway_429(),
            200 => {}
            _ => {
                let body = outcome.json();
                assert!(
                    body["description"]
                        .as_str()
                        .is_some_and(|text| text.starts_with("injected fault")),
                    "{body}"
                );
            }
        }
    }
    let stats = server.stats();
    assert_eq!(stats.throttled, throttles as u64);
    assert_eq!(stats.rate_limited + stats.concurrency_limited, 0);
    // Outside the API paths nothing is injected.
    let outside = Client {
        url: format!("{}/", server.url()),
        ..client.clone()
    };
    for _ in 0..10 {
        assert_eq!(outside.get("elsewhere/").await.status(), 404);
    }
}

#[tokio::test]
async fn faults_never_depend_on_credentials() {
    let server = start(with_faults(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    }));
    let anonymous = Client::new(&server).anonymous();
    assert!(anonymous.get("incident_templates/").await.status() >= 500);
    assert_eq!(server.stats().server_errors, 1);
}

/// A state file holding one incident (id 101, key `existing`).
fn state_with_one_incident(directory: &Path) -> std::path::PathBuf {
    let state_file = directory.join("state.json");
    let server = start(SimConfig {
        state_file: Some(state_file.clone()),
        ..SimConfig::new(all_credentials())
    });
    Api::v3(&server).create_incident(1, json!({"incidentid": "existing"}));
    state_file
}

fn raw_create(server: &SimServer, key: &str) -> Vec<u8> {
    let body = json!({"template_id": 1, "fields": {"incidentid": key}}).to_string();
    exchange(
        server.addr(),
        &format!(
            "POST {V3}incidents/ HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[tokio::test]
async fn a_write_dropped_before_commit_is_lost_and_the_client_sees_a_transport_error() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let state_file = state_with_one_incident(directory.path());
    let saved = std::fs::read_to_string(&state_file).expect("state");
    let server = start(SimConfig {
        state_file: Some(state_file.clone()),
        faults: Faults {
            drop_before_commit_rate: 1.0,
            ..Faults::default()
        },
        ..SimConfig::new(all_credentials())
    });
    let client = Client::new(&server);
    let created = client.create("dropped").await;
    assert!(matches!(created, Outcome::TransportError(_)), "{created:?}");
    let updated = client
        .put("incidents/101/", json!({"fields": {"opt_3": "Legal"}}))
        .await;
    assert!(matches!(updated, Outcome::TransportError(_)), "{updated:?}");
    // Not an HTTP status: not a single byte comes back.
    assert!(raw_create(&server, "raw").is_empty());
    // Reads and searches are never dropped, and the client recovers on a new connection.
    assert_eq!(client.get("incidents/101/").await.status(), 200);
    let found = client.post("incidents/search/", json!({})).await.json();
    assert_eq!(found.as_array().map(Vec::len), Some(1));

    assert_eq!(incident_keys(&server), ["existing"]);
    assert!(server.incidents()[0]["fields"].get("opt_3").is_none());
    assert_eq!(std::fs::read_to_string(&state_file).expect("state"), saved);
    let requests = server.requests();
    let dropped: Vec<(&str, u16, Option<DropKind>)> = requests
        .iter()
        .map(|request| (request.method.as_str(), request.status, request.dropped))
        .collect();
    assert_eq!(
        dropped,
        [
            ("POST", 0, Some(DropKind::BeforeCommit)),
            ("PUT", 0, Some(DropKind::BeforeCommit)),
            ("POST", 0, Some(DropKind::BeforeCommit)),
            ("GET", 200, None),
            ("POST", 200, None),
        ]
    );
    assert_eq!(
        server.stats(),
        SimStats {
            requests: 5,
            dropped_before_commit: 3,
            max_in_flight: 1,
            ..SimStats::default()
        }
    );
}

#[tokio::test]
async fn a_write_dropped_after_commit_is_kept_but_the_client_sees_a_transport_error() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let state_file = state_with_one_incident(directory.path());
    let server = start(SimConfig {
        state_file: Some(state_file.clone()),
        faults: Faults {
            drop_after_commit_rate: 1.0,
            ..Faults::default()
        },
        ..SimConfig::new(all_credentials())
    });
    let client = Client::new(&server);
    let created = client.create("committed").await;
    assert!(matches!(created, Outcome::TransportError(_)), "{created:?}");
    let updated = client
        .put("incidents/101/", json!({"fields": {"opt_3": "Legal"}}))
        .await;
    assert!(matches!(updated, Outcome::TransportError(_)), "{updated:?}");
    assert!(raw_create(&server, "raw").is_empty());
    // A write that fails anyway is answered as usual.
    let invalid = client
        .post("incidents/", json!({"template_id": 99, "fields": {}}))
        .await;
    assert_eq!(invalid.status(), 400, "{invalid:?}");
    assert_eq!(client.get("incidents/101/").await.status(), 200);

    assert_eq!(incident_keys(&server), ["existing", "committed", "raw"]);
    assert_eq!(
        server.incidents()[0]["fields"]["opt_3"]["value"],
        "Legal",
        "the update was committed"
    );
    let dropped: Vec<Option<DropKind>> = server
        .requests()
        .iter()
        .map(|request| request.dropped)
        .collect();
    assert_eq!(
        dropped,
        [
            Some(DropKind::AfterCommit),
            Some(DropKind::AfterCommit),
            Some(DropKind::AfterCommit),
            None,
            None,
        ]
    );
    assert_eq!(statuses(&server), [0, 0, 0, 400, 200]);
    assert_eq!(server.stats().dropped_after_commit, 3);
    let incidents = server.incidents();
    drop(server);
    // The committed writes were saved to the state file.
    let restarted = start(SimConfig {
        state_file: Some(state_file),
        ..SimConfig::new(all_credentials())
    });
    assert_eq!(restarted.incidents(), incidents);
}

#[test]
fn limits_and_rates_out_of_range_stop_the_start() {
    for config in [
        with_faults(Faults {
            server_error_rate: 1.5,
            ..Faults::default()
        }),
        with_faults(Faults {
            drop_after_commit_rate: -0.1,
            ..Faults::default()
        }),
        with_limits(Limits {
            requests_per_second: Some(0.0),
            ..Limits::default()
        }),
        with_limits(Limits {
            max_concurrency: Some(0),
            ..Limits::default()
        }),
    ] {
        let error = SimServer::start(config, "127.0.0.1:0".parse().expect("address"))
            .expect_err("refuses to start");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");
    }
}

#[test]
fn searches_take_all_as_a_boolean() {
    let server = start_default();
    let api = Api::v3(&server);
    api.create_incident(1, json!({"incidentid": "all-flag", "description": "x"}));
    // As Sumo Logic's scripts send it (evidence: MCP `soar.py`).
    let keys = api.search_keys(json!({"all": true, "page_size": 50, "page_number": 1}));
    assert_eq!(keys.len(), 1, "{keys:?}");
    let refused = api.post("incidents/search/", &json!({"all": "yes"}));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("`all` must be a boolean"),
        "{}",
        refused.body
    );
}

/// Sumo Logic limits requests per user: with `limits_per_user`, each credential has a budget of
/// its own (other users' tokens are accepted too, and their creates name them).
#[tokio::test]
async fn limits_per_user_give_each_credential_a_budget_of_its_own() {
    let server = start(SimConfig {
        other_users: vec!["second-user-token".into()],
        limits_per_user: true,
        ..with_limits(Limits {
            requests_per_second: Some(2.0),
            ..Limits::default()
        })
    });
    let http = reqwest::Client::new();
    let url = format!("{}{V3}incident_templates/", server.url());
    let mut answered = Vec::new();
    for token in [
        TOKEN,
        TOKEN,
        TOKEN,
        "second-user-token",
        "second-user-token",
        "second-user-token",
    ] {
        let status = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        answered.push(status);
    }
    assert_eq!(answered, [200, 200, 429, 200, 200, 429]);
    // An unknown token is refused as ever (its own budget does not make it a user).
    let stranger = http.get(&url).bearer_auth("stranger").send().await.unwrap();
    assert_eq!(stranger.status().as_u16(), 401);
    // The second user's creates carry its name.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let created = http
        .post(format!("{}{V3}incidents/", server.url()))
        .bearer_auth("second-user-token")
        .json(&serde_json::json!({"template_id": 1, "fields": {"incidentid": "users/two"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["created_by"]["value"], "user-1", "{body}");
}
