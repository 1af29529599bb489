//! `soarform doctor` against each tenant shape the evidence leaves open: it must infer the
//! `tenant:` settings that shape needs, and the main flows must converge with exactly its block.

use serde_json::{json, Value};
use soarform::sim::{DateDisplay, SimConfig, SimServer};

use crate::support::binary::{run_against, Output};
use crate::support::http::{call, create_through_api};
use crate::support::simulator_with;
use crate::support::state::incident_key;
use crate::tenant_shapes::{converges_beside, project};

const INCIDENTS: &str = "/api/csoar/v3/incidents/";

/// How many incidents the tenant holds before doctor runs.
const SEEDED: usize = 12;

/// Incidents soarform made earlier (they carry its ownership marker): every other one with a
/// start time whose day is above 12 (so that day-first and month-first formats are told apart),
/// none with a containment date (unset dates show as epoch 0 in the tenant's zone).
fn seed(server: &SimServer) {
    for number in 1..=SEEDED {
        let mut fields = json!({
            "incidentid": format!("seed/{number:02}"),
            "opt_7": "soarform",
            "description": format!("Seeded incident {number}."),
        });
        if number % 2 == 1 {
            fields["starttime"] = json!("2026-11-20T09:15:00Z");
        }
        let answer = create_through_api(
            server,
            INCIDENTS,
            &json!({"template_id": 1, "fields": fields}),
        );
        assert!(answer["id"].is_u64(), "{answer}");
    }
}

fn doctor(tenant: &str, server: &SimServer, extra: &[&str]) -> (Output, Value) {
    let test = project(tenant);
    let mut args = vec!["doctor", "--format", "json"];
    args.extend_from_slice(extra);
    let output = run_against(&test, server, &args);
    let report: Value = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", output.combined()));
    (output, report)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|check| check["name"] == name))
        .unwrap_or_else(|| panic!("no check `{name}` in {report:#}"))
}

/// Doctor with `--write-check`, its block pasted, doctor again (usable), and the main flows
/// with that block.
fn infers(name: &str, adjust: fn(&mut SimConfig), expected: Value) {
    eprintln!("case: {name}");
    let server = simulator_with(adjust);
    seed(&server);
    let (first, report) = doctor("", &server, &["--write-check", "seed/01"]);
    let tenant = &report["tenant"];
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&tenant[key], value, "{name}: `{key}` in {report:#}");
    }
    for key in ["timezone", "date_formats", "page_size"] {
        if !expected.as_object().unwrap().contains_key(key) {
            assert!(tenant.get(key).is_none(), "{name}: `{key}` in {report:#}");
        }
    }
    let failures = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|check| check["status"] == "failure");
    assert_eq!(
        first.code,
        if failures { 1 } else { 0 },
        "{}",
        first.combined()
    );
    assert_eq!(report["usable"], json!(!failures));
    // The write-check left every field of the object as it was.
    let seeded = server
        .incidents()
        .into_iter()
        .find(|incident| incident_key(incident) == "seed/01")
        .unwrap();
    let fields = &seeded["fields"];
    assert_eq!(
        fields["description"]["value"], "Seeded incident 1.",
        "{name}: {seeded}"
    );
    assert_eq!(fields["opt_7"]["value"], "soarform", "{name}: {seeded}");
    assert_eq!(
        fields["starttime"]["value"], "2026-11-20T09:15:00.000000+00:00",
        "{name}: {seeded}"
    );
    let block = report["tenant_yaml"].as_str().unwrap();
    let (again, second) = doctor(block, &server, &["--write-check", "seed/02"]);
    assert_eq!(again.code, 0, "{name}: {}\n{second:#}", again.combined());
    assert_eq!(second["usable"], json!(true));
    // A second run suggests what the first did: pasting its block again changes nothing.
    assert_eq!(second["tenant"], report["tenant"], "{name}");
    converges_beside(&server, block, SEEDED);
}

#[test]
fn doctor_infers_the_settings_of_each_shape_and_the_main_flows_converge_with_them() {
    infers(
        "the evidence's shape in UTC",
        |_| {},
        json!({
            "timezone": "UTC", "date_formats": ["MM-DD-YYYY hh:mm A"], "search_all": true,
            "filter_syntax": "api_names", "update_method": "put", "update_body": "wrapped",
            "update_replaces": false,
        }),
    );
    infers(
        "the API profile's shape: nested fields, ISO dates",
        |config| {
            config.quirks.nested_fields = true;
            config.quirks.date_display = None;
        },
        json!({"filter_syntax": "api_names", "update_replaces": false}),
    );
    infers(
        "pages capped at 10",
        |config| config.quirks.page_cap = Some(10),
        json!({"page_size": 10, "timezone": "UTC", "date_formats": ["MM-DD-YYYY hh:mm A"]}),
    );
    infers(
        "pages capped at 4",
        |config| config.quirks.page_cap = Some(4),
        json!({"page_size": 4, "timezone": "UTC", "date_formats": ["MM-DD-YYYY hh:mm A"]}),
    );
    infers(
        "day-first 24-hour dates in +05:30",
        |config| {
            config.quirks.date_display = Some(DateDisplay {
                format: "DD/MM/YYYY HH:mm".into(),
                zone: "+05:30".into(),
            })
        },
        json!({"timezone": "+05:30", "date_formats": ["DD/MM/YYYY HH:mm"]}),
    );
    infers(
        "replacing updates",
        |config| config.quirks.replacing_updates = true,
        json!({
            "timezone": "UTC", "date_formats": ["MM-DD-YYYY hh:mm A"],
            "update_method": "put", "update_body": "wrapped", "update_replaces": true,
        }),
    );
    infers(
        "labels, PATCH, replacing, UI type names, UTC-6",
        |config| {
            config.quirks.label_filters = true;
            config.quirks.patch_updates = true;
            config.quirks.replacing_updates = true;
            config.quirks.ui_type_names = true;
            config.quirks.date_display = Some(DateDisplay::evidence("-06:00"));
        },
        json!({
            "timezone": "-06:00", "date_formats": ["MM-DD-YYYY hh:mm A"],
            "filter_syntax": "labels", "update_method": "patch", "update_body": "bare",
            "update_replaces": true,
        }),
    );
}

#[test]
fn doctor_reports_what_it_saw_and_fails_where_soarform_could_not_work() {
    let server = simulator_with(|config| {
        config.quirks.label_filters = true;
        config.quirks.page_cap = Some(4);
        config.quirks.date_display = Some(DateDisplay::evidence("-06:00"));
    });
    seed(&server);
    let test = project("");
    let writes_before = server
        .requests()
        .iter()
        .filter(|request| request.method != "GET" && !request.path.ends_with("/search/"))
        .count();
    let output = run_against(&test, &server, &["doctor"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    let text = &output.stdout;
    for expected in [
        "ok       connection: ",
        "failure  search (incidents): the tenant refuses searches as soarform.yaml has them",
        "an unset date shows as `12-31-1969 06:00 PM`: epoch 0 at -06:00",
        "set `timezone: \"-06:00\"`",
        "failure  page size (incidents): the server answers at most 4 objects per page",
        "failure  filters (incidents): filters in api_names syntax do not find known keys, filters in labels syntax do",
        "failure  updates: not checked",
        "tenant:\n  timezone: \"-06:00\"\n",
        "  filter_syntax: labels\n",
        "soarform cannot work with this tenant as soarform.yaml configures it",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // Read-only without --write-check: no create, update or delete was sent.
    let writes_after = server
        .requests()
        .iter()
        .filter(|request| request.method != "GET" && !request.path.ends_with("/search/"))
        .count();
    assert_eq!(writes_before, writes_after, "{:?}", server.requests());
    // A key no object carries cannot be write-checked, and nothing is written.
    let (missing, report) = doctor("", &server, &["--write-check", "no/such-key"]);
    assert_eq!(missing.code, 1, "{}", missing.combined());
    assert!(
        check(&report, "updates")["summary"]
            .as_str()
            .unwrap()
            .contains("0 object(s) carry the key `no/such-key`"),
        "{report:#}"
    );
    let (status, _) = call(&server, "GET", &format!("{INCIDENTS}101/"), None);
    assert_eq!(status, 200);
}

#[test]
fn doctor_names_a_refused_credential_and_stops_there() {
    let server = simulator_with(|_| {});
    let test = project("").env("SOARFORM_TOKEN", "not-the-token");
    let output = run_against(&test, &server, &["doctor"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stdout.contains("ok       connection: ")
            && output.stdout.contains("and refused the credential (below)"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains(
            "Cloud SOAR refused the Bearer token from `SOARFORM_TOKEN` (401 Unauthorized)"
        ) && output
            .stdout
            .contains("soarform cannot read this tenant: 1 failure(s) above"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("failure  credential: "),
        "{}",
        output.stdout
    );
    assert!(
        !output.combined().contains("not-the-token"),
        "{}",
        output.combined()
    );
}

/// A host serving only the legacy base path: `/api/csoar/v3/...` answers 404, the rest goes on
/// to the simulator.
fn legacy_only(simulator: std::net::SocketAddr) -> std::net::SocketAddr {
    use std::io::Write as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let Some((head, body)) = crate::support::http::read_request(&mut stream) else {
                    return;
                };
                if head
                    .split(' ')
                    .nth(1)
                    .is_some_and(|path| path.starts_with("/api/csoar/v3/"))
                {
                    let body = "{\"error\": \"not found\"}";
                    let _ = write!(
                        stream,
                        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    return;
                }
                crate::support::http::forward(&mut stream, simulator, &head, &body);
            });
        }
    });
    address
}

#[test]
fn doctor_names_the_dialect_the_host_serves() {
    let server = simulator_with(|_| {});
    let proxy = legacy_only(server.addr());
    let url = format!("http://{proxy}");
    let output = project("").run_args(&[
        "doctor".into(),
        "--url".into(),
        url.clone(),
        "--api".into(),
        "v3".into(),
    ]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stdout.contains("failure  connection: this host serves the legacy API, not the v3 one: add `api: legacy` to soarform.yaml (or pass `--api legacy`)"),
        "{}",
        output.stdout
    );
    let legacy = project("").run_args(&[
        "doctor".into(),
        "--url".into(),
        url,
        "--api".into(),
        "legacy".into(),
    ]);
    assert!(
        !legacy.stdout.contains("failure  connection"),
        "{}",
        legacy.stdout
    );
    assert!(
        legacy.stdout.contains("ok       connection: "),
        "{}",
        legacy.stdout
    );
}

#[test]
fn a_tenant_suffixing_keys_on_create_passes_doctor_and_the_first_apply_stops_at_once() {
    // "Use suffix on non-duplicate" acts on create only: a read-only probe cannot see it, so
    // doctor says so, and the first apply stops at the first rewritten key with one incident.
    let server = simulator_with(|config| config.quirks.identity_suffix = Some(" (1)".into()));
    let (output, report) = doctor("", &server, &[]);
    // Only the unchecked updates fail (there is no object to write-check yet).
    let failures: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|check| check["status"] == "failure")
        .collect();
    assert_eq!(failures.len(), 1, "{report:#}");
    assert_eq!(failures[0]["name"], "updates", "{report:#}");
    assert_eq!(output.code, 1, "{}", output.combined());
    let identity = check(&report, "identity");
    assert!(
        identity["evidence"][0].as_str().unwrap().contains(
            "cannot be seen without creating: the first apply stops at the first rewritten key"
        ),
        "{report:#}"
    );
    let test = project(report["tenant_yaml"].as_str().unwrap()).write(
        "objects.yaml",
        "kind: Incident\nkey: suffix/one\ntemplate: Phishing\n---\nkind: Incident\nkey: suffix/two\ntemplate: Phishing\n",
    );
    let applied = run_against(
        &test,
        &server,
        &["apply", ".", "--auto-approve", "--max-concurrency", "1"],
    );
    assert_eq!(applied.code, 1, "{}", applied.combined());
    assert!(
        applied.combined().contains("Use suffix on non-duplicate"),
        "{}",
        applied.combined()
    );
    assert!(
        applied.combined().contains("suffix/"),
        "{}",
        applied.combined()
    );
    assert_eq!(server.incidents().len(), 1, "{:?}", server.incidents());
}

fn create(server: &SimServer, fields: Value) {
    let answer = create_through_api(
        server,
        INCIDENTS,
        &json!({"template_id": 1, "fields": fields}),
    );
    assert!(answer["id"].is_u64(), "{answer}");
}

fn stored(server: &SimServer, key: &str, field: &str) -> Value {
    let incident = server
        .incidents()
        .into_iter()
        .find(|incident| incident_key(incident) == key)
        .unwrap();
    incident["fields"][field]["value"].clone()
}

#[test]
fn a_configured_format_that_fits_ambiguous_dates_is_kept_and_written_back_exactly() {
    // `04-03-2026` reads as March 4 (day first, as configured) or April 3.
    let server = simulator_with(|config| {
        config.quirks.date_display = Some(DateDisplay {
            format: "DD-MM-YYYY HH:mm".into(),
            zone: "+05:30".into(),
        });
        config.quirks.replacing_updates = true;
    });
    create(
        &server,
        json!({"incidentid": "one/a", "starttime": "2026-03-04T09:00:00Z", "description": "Kept."}),
    );
    let tenant = "tenant:\n  timezone: \"+05:30\"\n  date_formats: [\"DD-MM-YYYY HH:mm\"]\n  update_replaces: true\n";
    let (_, report) = doctor(tenant, &server, &["--write-check", "one/a"]);
    assert_eq!(
        report["tenant"]["date_formats"],
        json!(["DD-MM-YYYY HH:mm"]),
        "{report:#}"
    );
    assert_ne!(check(&report, "dates")["status"], "failure", "{report:#}");
    assert_eq!(check(&report, "updates")["status"], "ok", "{report:#}");
    assert_eq!(
        stored(&server, "one/a", "starttime"),
        "2026-03-04T09:00:00.000000+00:00"
    );
    assert_eq!(stored(&server, "one/a", "description"), "Kept.");
}

#[test]
fn a_zone_whose_offset_is_not_the_one_configured_is_caught_and_its_dates_put_back() {
    // Chicago keeps daylight saving time: in July it is -05:00, not the -06:00 of epoch 0.
    let server = simulator_with(|config| {
        config.quirks.date_display = Some(DateDisplay::evidence("America/Chicago"));
        config.quirks.replacing_updates = true;
    });
    create(
        &server,
        json!({"incidentid": "summer/a", "starttime": "2026-07-01T09:00:00Z", "description": "Summer."}),
    );
    let tenant = "tenant:\n  timezone: \"-06:00\"\n  update_replaces: true\n";
    let (output, report) = doctor(tenant, &server, &["--write-check", "summer/a"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    let zone = check(&report, "zone");
    assert_eq!(zone["status"], "failure");
    assert!(
        zone["summary"]
            .as_str()
            .unwrap()
            .contains("shifted by 60 min"),
        "{report:#}"
    );
    // What the write check cleared is back as it was, the date included.
    assert_eq!(
        stored(&server, "summer/a", "starttime"),
        "2026-07-01T09:00:00.000000+00:00"
    );
    assert_eq!(stored(&server, "summer/a", "description"), "Summer.");
    // With the zone's name, the check passes.
    let named = "tenant:\n  timezone: America/Chicago\n  update_replaces: true\n";
    let (again, report) = doctor(named, &server, &["--write-check", "summer/a"]);
    assert_eq!(again.code, 0, "{}\n{report:#}", again.combined());
    assert_eq!(
        stored(&server, "summer/a", "starttime"),
        "2026-07-01T09:00:00.000000+00:00"
    );
}

#[test]
fn a_server_ignoring_page_number_fails_the_page_probe() {
    let server = simulator_with(|config| {
        config.quirks.page_cap = Some(5);
        config.quirks.ignore_page_number = true;
    });
    seed(&server);
    let (output, report) = doctor("", &server, &[]);
    assert_eq!(output.code, 1, "{}", output.combined());
    let pages = check(&report, "page size (incidents)");
    assert_eq!(pages["status"], "failure", "{report:#}");
    assert!(
        pages["summary"]
            .as_str()
            .unwrap()
            .contains("ignore `page_number`"),
        "{report:#}"
    );
}

#[test]
fn keys_outside_ascii_and_with_spaces_are_probed_without_a_panic() {
    let server = simulator_with(|_| {});
    create(
        &server,
        json!({"incidentid": "äé/ünïcode", "opt_7": "soarform"}),
    );
    create(&server, json!({"incidentid": "ß/two", "opt_7": "soarform"}));
    let (output, report) = doctor("", &server, &["--write-check", "äé/ünïcode"]);
    assert_ne!(output.code, 101, "{}", output.combined());
    assert_eq!(
        check(&report, "filters (incidents)")["status"],
        "ok",
        "{report:#}"
    );
    assert_eq!(check(&report, "updates")["status"], "ok", "{report:#}");
    // Label syntax cannot carry a key with a space: said so before anything is sent.
    let labels = simulator_with(|config| config.quirks.label_filters = true);
    create(
        &labels,
        json!({"incidentid": "with space", "opt_7": "soarform"}),
    );
    let (_, report) = doctor(
        "tenant:\n  filter_syntax: labels\n",
        &labels,
        &["--write-check", "with space"],
    );
    assert!(
        check(&report, "updates")["summary"]
            .as_str()
            .unwrap()
            .contains("cannot be searched in label syntax"),
        "{report:#}"
    );
    assert!(!labels
        .requests()
        .iter()
        .any(|request| request.method == "PUT"));
    let empty = project("").args(["doctor", "--write-check", ""]).run();
    assert_eq!(empty.code, 1, "{}", empty.combined());
}

#[test]
fn a_guessed_date_format_stops_the_write_check_before_anything_is_written() {
    // 03/04/2026 reads as March 4 or April 3: with no format in soarform.yaml it is a guess, and
    // a replacing tenant's write-back in the wrong one would move the date by a month.
    let server = simulator_with(|config| {
        config.quirks.date_display = Some(DateDisplay {
            format: "DD/MM/YYYY HH:mm".into(),
            zone: "UTC".into(),
        });
        config.quirks.replacing_updates = true;
    });
    create(
        &server,
        json!({"incidentid": "a-1", "starttime": "2026-04-03T09:00:00Z", "description": "Kept."}),
    );
    let (output, report) = doctor("", &server, &["--write-check", "a-1"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        check(&report, "updates")["summary"]
            .as_str()
            .unwrap()
            .contains("--write-check was not run: the dates seen fit several formats"),
        "{report:#}"
    );
    assert_eq!(check(&report, "dates")["status"], "failure", "{report:#}");
    assert!(
        report["tenant_yaml"]
            .as_str()
            .unwrap()
            .contains("# the dates seen fit several formats"),
        "{report:#}"
    );
    assert!(!server
        .requests()
        .iter()
        .any(|request| request.method == "PUT"));
    assert_eq!(
        stored(&server, "a-1", "starttime"),
        "2026-04-03T09:00:00.000000+00:00"
    );
    // With the format as the tenant's settings show it, the check runs and leaves the date.
    let tenant = "tenant:\n  date_formats: [\"DD/MM/YYYY HH:mm\"]\n  update_replaces: true\n";
    let (again, report) = doctor(tenant, &server, &["--write-check", "a-1"]);
    assert_eq!(again.code, 0, "{}\n{report:#}", again.combined());
    assert_eq!(
        stored(&server, "a-1", "starttime"),
        "2026-04-03T09:00:00.000000+00:00"
    );
    assert_eq!(stored(&server, "a-1", "description"), "Kept.");
}
