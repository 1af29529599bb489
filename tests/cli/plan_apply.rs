//! Plan and apply of the examples, on both base paths, with both auth schemes.

use serde_json::json;

use crate::snapshot;
use crate::support::binary::Test;
use crate::support::http::create_through_api;
use crate::support::state::incident_id;
use crate::support::{simulator, ACCESS_ID, ACCESS_KEY, ONE_INCIDENT, TOKEN};

const EXAMPLE_INCIDENTS: usize = 12;
const EXAMPLE_TRIAGE_ITEMS: usize = 4;

fn field<'a>(object: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    &object["fields"][name]["value"]
}

fn by_key<'a>(
    objects: &'a [serde_json::Value],
    field_name: &str,
    key: &str,
) -> Vec<&'a serde_json::Value> {
    objects
        .iter()
        .filter(|object| field(object, field_name) == key)
        .collect()
}

#[test]
fn sandbox_apply_then_plan_shows_no_changes() {
    let test =
        Test::new()
            .with_examples()
            .args(["apply", "examples", "--sandbox", "--auto-approve"]);
    let applied = test.run();
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(
        applied
            .stdout
            .contains("Plan: 16 to create, 0 to update, 0 unchanged."),
        "{}",
        applied.stdout
    );
    assert!(
        applied
            .stdout
            .contains("Apply complete: 16 created, 0 updated, 0 unchanged."),
        "{}",
        applied.stdout
    );
    assert!(test.path().join(".soarform/sandbox.json").is_file());

    let replan = test.args(["plan", "examples", "--sandbox", "--detailed-exitcode"]);
    let planned = replan.run();
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(planned.stdout.contains("No changes."), "{}", planned.stdout);
    assert!(planned
        .stdout
        .contains("Plan: 0 to create, 0 to update, 16 unchanged."));
    snapshot!(planned);
}

#[test]
fn first_plan_of_the_examples() {
    let server = simulator();
    let output = Test::new()
        .with_examples()
        .args([
            "plan",
            "examples",
            "--url",
            &server.url(),
            "--api",
            "v3",
            "--detailed-exitcode",
        ])
        .env("SOARFORM_TOKEN", TOKEN)
        .run();
    assert_eq!(output.code, 2);
    snapshot!("first_plan_of_the_examples", output);
    // A plan only reads: the catalog, one batched search per kind, and one search of the keys
    // under the `prune_scope` prefixes (for objects no longer declared).
    let requests = server.requests();
    assert!(requests
        .iter()
        .all(|request| request.method == "GET" || request.path.ends_with("/search/")));
    assert_eq!(requests.len(), 6, "{requests:?}");
    assert_eq!(
        requests[5].body.as_ref().map(|body| body["filter"].clone()),
        Some(serde_json::json!(
            "incidentid:\"data/*\" OR incidentid:\"identity/*\" OR incidentid:\"malware/*\" OR incidentid:\"phishing/*\""
        ))
    );
}

/// Runs the full cycle against one dialect and credential and returns the plan text.
fn cycle(dialect: &str, base_path: &str, credential: &[(&str, &str)]) -> String {
    let server = simulator();
    let url = server.url();
    let with_credentials = |test: Test| {
        credential
            .iter()
            .fold(test, |test, (name, value)| test.env(name, value))
    };
    let test = with_credentials(Test::new().with_examples());

    let plan = test.args(["plan", "examples", "--url", &url, "--api", dialect]);
    let planned = plan.run();
    assert_eq!(planned.code, 0, "{}", planned.combined());

    let apply = plan.args([
        "apply",
        "examples",
        "--url",
        &url,
        "--api",
        dialect,
        "--auto-approve",
    ]);
    let applied = apply.run();
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert_eq!(server.incidents().len(), EXAMPLE_INCIDENTS);
    assert_eq!(server.triage_items().len(), EXAMPLE_TRIAGE_ITEMS);

    let replan = apply.args([
        "plan",
        "examples",
        "--url",
        &url,
        "--api",
        dialect,
        "--detailed-exitcode",
    ]);
    let again = replan.run();
    assert_eq!(
        again.code,
        0,
        "a plan right after apply must be empty: {}",
        again.combined()
    );

    let requests = server.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert!(
            request.path.starts_with(base_path),
            "{request:?} is not under {base_path}"
        );
        assert!(
            request.path.ends_with('/'),
            "{request:?} lacks its trailing slash"
        );
        assert!(request.status < 400, "{request:?}");
    }
    planned.stdout
}

#[test]
fn both_dialects_and_both_auth_schemes_converge_to_the_same_state() {
    let bearer = [("SOARFORM_TOKEN", TOKEN)];
    let basic = [
        ("SUMO_ACCESS_ID", ACCESS_ID),
        ("SUMO_ACCESS_KEY", ACCESS_KEY),
    ];
    let v3_bearer = cycle("v3", "/api/csoar/v3/", &bearer);
    let v3_basic = cycle("v3", "/api/csoar/v3/", &basic);
    let legacy_bearer = cycle("legacy", "/incmansuite_ng/api/v3/", &bearer);
    let legacy_basic = cycle("legacy", "/incmansuite_ng/api/v3/", &basic);
    assert_eq!(v3_bearer, v3_basic);
    assert_eq!(v3_bearer, legacy_bearer);
    assert_eq!(v3_bearer, legacy_basic);
}

#[test]
fn token_file_is_a_bearer_credential() {
    let server = simulator();
    let output = Test::new()
        .with_examples()
        .write("secrets/token", format!("{TOKEN}\n"))
        .args([
            "plan",
            "examples",
            "--url",
            &server.url(),
            "--api",
            "legacy",
            "--token-file",
            "secrets/token",
        ])
        .run();
    assert_eq!(output.code, 0, "{}", output.combined());
}

#[test]
fn created_objects_hold_the_declared_values() {
    let server = simulator();
    let output = Test::new()
        .with_examples()
        .args([
            "apply",
            "examples",
            "--url",
            &server.url(),
            "--api",
            "v3",
            "--auto-approve",
        ])
        .env("SOARFORM_TOKEN", TOKEN)
        .run();
    assert_eq!(output.code, 0, "{}", output.combined());
    let incidents = server.incidents();
    let ceo = by_key(&incidents, "incidentid", "phishing/ceo-wire-fraud");
    assert_eq!(ceo.len(), 1);
    let ceo = ceo[0];
    assert_eq!(ceo["template"]["value"], "Phishing");
    // Own fields, fields inherited through two levels of `extends`, labels and API names.
    assert_eq!(field(ceo, "priority"), "High");
    assert_eq!(field(ceo, "status"), "Open");
    assert_eq!(field(ceo, "incident_category"), "Email");
    assert_eq!(field(ceo, "opt_3"), "Finance");
    assert_eq!(field(ceo, "opt_4"), "Email gateway");
    assert_eq!(field(ceo, "opt_5").as_f64(), Some(48500.0));
    assert_eq!(field(ceo, "starttime"), "2026-11-20T09:00:00.000000+00:00");
    let create = server
        .requests()
        .into_iter()
        .find(|request| {
            request.method == "POST"
                && request.path == "/api/csoar/v3/incidents/"
                && request
                    .body
                    .as_ref()
                    .is_some_and(|body| body["fields"]["incidentid"] == "phishing/ceo-wire-fraud")
        })
        .expect("the create request");
    // Every declared field, inherited ones included, by API name, with ids for select fields.
    assert_eq!(
        create.body,
        Some(json!({"template_id": 1, "fields": {
            "incidentid": "phishing/ceo-wire-fraud",
            "opt_7": "soarform",
            "status": 1,
            "restriction": 1,
            "priority": 3,
            "incident_kind": 1,
            "incident_category": 1,
            "opt_4": 3,
            "description": "Wire-fraud attempt impersonating the CEO.\nThe sender asked Accounts Payable to wire USD 48,500 to a new supplier account.\n",
            "starttime": "2026-11-20T09:00:00Z",
            "opt_3": "Finance",
            "opt_1": "ap-mailbox@acme.example",
            "opt_5": 48500.0
        }}))
    );
    let triage = server.triage_items();
    let okta = by_key(&triage, "opt_1", "okta-7731");
    assert_eq!(okta.len(), 1);
    assert_eq!(field(okta[0], "type"), "Suspicious login");
}

#[test]
fn changed_fields_are_planned_and_updated_alone() {
    let server = simulator();
    let url = server.url();
    let test = Test::new()
        .with_examples()
        .env("SOARFORM_TOKEN", TOKEN)
        .args([
            "apply",
            "examples",
            "--url",
            &url,
            "--api",
            "v3",
            "--auto-approve",
        ]);
    assert_eq!(test.run().code, 0);
    let before = by_key(
        &server.incidents(),
        "incidentid",
        "malware/emotet-finance-laptop",
    )[0]
    .clone();

    let test = test.write(
        "examples/incidents/malware/emotet-finance.yaml",
        r#"kind: Incident
key: malware/emotet-finance-laptop
extends: malware-defaults
fields:
  description: |
    Emotet loader detected on a Finance laptop after a user opened an invoice attachment.
    Host reimaged; credentials of the user rotated.
  starttime: 2026-11-17T16:05:00Z
  status: Closed
  Business unit: Finance
  Affected asset: FIN-LT-0042
  Containment due: 2026-11-18
"#,
    );
    let plan = test.args([
        "plan",
        "examples",
        "--url",
        &url,
        "--api",
        "v3",
        "--detailed-exitcode",
    ]);
    let planned = plan.run();
    assert_eq!(planned.code, 2, "{}", planned.combined());
    // The examples were created side by side, so which id each got varies from run to run.
    let id = before["id"].as_u64().unwrap();
    assert!(
        planned.stdout.contains(&format!("(id {id})")),
        "{}",
        planned.stdout
    );
    snapshot!(
        "update_plan",
        planned,
        filters = [(r"\(id \d+\)", "(id [ID])")]
    );

    let requests_before = server.requests().len();
    let writes_before = server
        .requests()
        .iter()
        .filter(|request| request.method == "PUT")
        .count();
    let apply = plan.args([
        "apply",
        "examples",
        "--url",
        &url,
        "--api",
        "v3",
        "--auto-approve",
    ]);
    let applied = apply.run();
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let puts: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|request| request.method == "PUT")
        .collect();
    assert_eq!(puts.len() - writes_before, 1, "{puts:?}");
    let put = puts.last().unwrap();
    assert_eq!(
        put.path,
        format!("/api/csoar/v3/incidents/{}/", before["id"])
    );
    // Only the changed fields travel, with the option id for the select field.
    assert_eq!(
        put.body,
        Some(json!({"fields": {
            "status": 4,
            "description": "Emotet loader detected on a Finance laptop after a user opened an invoice attachment.\nHost reimaged; credentials of the user rotated.\n"
        }}))
    );
    assert!(!server.requests()[requests_before..]
        .iter()
        .any(|request| request.method == "POST" && request.path.ends_with("/incidents/")));

    let after = by_key(
        &server.incidents(),
        "incidentid",
        "malware/emotet-finance-laptop",
    )[0]
    .clone();
    assert_eq!(after["id"], before["id"]);
    assert_eq!(field(&after, "status"), "Closed");
    assert!(field(&after, "description")
        .as_str()
        .unwrap()
        .contains("Host reimaged"));
    assert_eq!(field(&after, "opt_1"), field(&before, "opt_1"));
    // As in the plan above: which id the incident got varies from run to run.
    snapshot!(applied, filters = [(r"\(id \d+", "(id [ID]")]);
    let replan = apply.args([
        "plan",
        "examples",
        "--url",
        &url,
        "--api",
        "v3",
        "--detailed-exitcode",
    ]);
    assert_eq!(replan.run().code, 0);
}

#[test]
fn an_incident_made_through_the_api_is_adopted_not_duplicated() {
    let server = simulator();
    create_through_api(
        &server,
        "/api/csoar/v3/incidents/",
        &json!({"template_id": 1, "fields": {
            "incidentid": "phishing/ceo-wire-fraud",
            "description": "Made by hand in the UI.",
            "status": 2
        }}),
    );
    assert_eq!(server.incidents().len(), 1);
    let test = Test::new()
        .with_examples()
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["plan", "examples", "--url", &server.url(), "--api", "v3"]);
    let planned = test.run();
    assert_eq!(planned.code, 0, "{}", planned.combined());
    // Adoption is visible: the id, the creator, and the ownership marker soarform will write.
    let id = incident_id(&server, "phishing/ceo-wire-fraud");
    assert!(
        planned.stdout.contains(&format!(
            "~ adopt Incident phishing/ceo-wire-fraud (id {id}, created by api, not by soarform)"
        )),
        "{}",
        planned.stdout
    );
    assert!(
        planned
            .stdout
            .contains("~ Managed by: (none) -> \"soarform\""),
        "{}",
        planned.stdout
    );
    assert!(
        planned
            .stdout
            .contains("~ status: \"In progress\" -> \"Open\""),
        "{}",
        planned.stdout
    );
    assert!(!planned
        .stdout
        .contains("+ create Incident phishing/ceo-wire-fraud"));
    assert!(
        planned
            .stdout
            .contains("Plan: 15 to create, 0 to update, 1 to adopt, 0 unchanged."),
        "{}",
        planned.stdout
    );

    let applied = test
        .args([
            "apply",
            "examples",
            "--url",
            &server.url(),
            "--api",
            "v3",
            "--auto-approve",
        ])
        .run();
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let incidents = server.incidents();
    assert_eq!(incidents.len(), EXAMPLE_INCIDENTS);
    let adopted = by_key(&incidents, "incidentid", "phishing/ceo-wire-fraud");
    assert_eq!(adopted.len(), 1);
    assert_eq!(field(adopted[0], "opt_7"), "soarform");
    assert!(applied.stdout.contains(&format!(
        "Incident phishing/ceo-wire-fraud: adopted (id {id}"
    )));

    // Once adopted, it is soarform's: the next plan is empty.
    let replanned = Test::new()
        .with_examples()
        .env("SOARFORM_TOKEN", TOKEN)
        .args([
            "plan",
            "examples",
            "--url",
            &server.url(),
            "--api",
            "v3",
            "--detailed-exitcode",
        ])
        .run();
    assert_eq!(replanned.code, 0, "{}", replanned.combined());
    snapshot!(planned);
}

#[test]
fn two_objects_with_one_key_are_a_conflict_naming_both_ids() {
    let server = simulator();
    for _ in 0..2 {
        create_through_api(
            &server,
            "/incmansuite_ng/api/v3/incidents/",
            &json!({"template_id": 2, "fields": {"incidentid": "malware/usb-worm-warehouse"}}),
        );
    }
    let ids: Vec<String> = server
        .incidents()
        .iter()
        .map(|incident| incident["id"].to_string())
        .collect();
    let output = Test::new()
        .with_examples()
        .env("SOARFORM_TOKEN", TOKEN)
        .args([
            "apply",
            "examples",
            "--url",
            &server.url(),
            "--api",
            "legacy",
            "--auto-approve",
        ])
        .run();
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("malware/usb-worm-warehouse"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains(&format!("ids {}, {}", ids[0], ids[1])),
        "{}",
        output.stderr
    );
    assert_eq!(
        server.incidents().len(),
        2,
        "nothing may be created when the plan has a conflict"
    );
    snapshot!(output);
}

#[test]
fn apply_without_a_terminal_needs_auto_approve_and_sends_nothing() {
    let server = simulator();
    let output = Test::new()
        .with_examples()
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["apply", "examples", "--url", &server.url(), "--api", "v3"])
        .run();
    assert_eq!(output.code, 1);
    assert!(
        output.stderr.contains("--auto-approve"),
        "{}",
        output.stderr
    );
    assert!(server.requests().is_empty());
}

#[test]
fn unknown_field_names_list_the_closest_ones_and_nothing_is_written() {
    let server = simulator();
    let output = Test::new()
        .write(
            "incident.yaml",
            "kind: Incident\nkey: x/one\ntemplate: Phishing\nfields:\n  Busines unit: Finance\n  status: Opn\n",
        )
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["apply", ".", "--url", &server.url(), "--api", "v3", "--auto-approve"])
        .run();
    assert_eq!(output.code, 1);
    snapshot!("unknown_field_names", output);
    assert!(server
        .requests()
        .iter()
        .all(|request| request.method == "GET"));
    assert!(server.incidents().is_empty());
}

#[test]
fn unknown_template_names_the_closest_one() {
    let server = simulator();
    let output = Test::new()
        .write(
            "incident.yaml",
            "kind: Incident\nkey: x/one\ntemplate: Phising\nfields: {}\n",
        )
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["plan", ".", "--url", &server.url(), "--api", "v3"])
        .run();
    assert_eq!(output.code, 1);
    assert!(
        output
            .stderr
            .contains("unknown incident template `Phising`; did you mean `Phishing`?"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("incident.yaml:3:11"),
        "{}",
        output.stderr
    );
    snapshot!(output);
}

#[test]
fn apply_on_a_terminal_asks_and_only_yes_approves() {
    let server = simulator();
    let test = Test::new()
        .write("incident.yaml", ONE_INCIDENT)
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["apply", ".", "--url", &server.url(), "--api", "v3"]);

    let declined = test.stdin("no\n").run_in_terminal();
    assert_eq!(declined.code, 1, "{}", declined.combined());
    assert!(
        declined.stdout.contains("Only `yes` will be accepted"),
        "{}",
        declined.stdout
    );
    assert!(
        declined.stdout.contains("Apply cancelled"),
        "{}",
        declined.stdout
    );
    assert!(server.incidents().is_empty());

    let test = Test::new()
        .write("incident.yaml", ONE_INCIDENT)
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["apply", ".", "--url", &server.url(), "--api", "v3"]);
    let approved = test.stdin("yes\n").run_in_terminal();
    assert_eq!(approved.code, 0, "{}", approved.combined());
    assert!(
        approved.stdout.contains("created (id "),
        "{}",
        approved.stdout
    );
    assert_eq!(server.incidents().len(), 1);
}

#[test]
fn search_pages_are_read_until_a_short_one() {
    let server = simulator();
    let url = server.url();
    let test = Test::new()
        .with_examples()
        .write(
            "examples/soarform.yaml",
            "api: v3\nexclude: [ci]\nlimits:\n  page_size: 3\n",
        )
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["apply", "examples", "--url", &url, "--auto-approve"]);
    assert_eq!(test.run().code, 0);
    let searches_in = |test: &Test| {
        let before = server.requests().len();
        let output = test.run();
        let searches = server.requests()[before..]
            .iter()
            .filter(|request| request.path.ends_with("/search/"))
            .count();
        (output, searches)
    };
    let plan = test.args(["plan", "examples", "--url", &url, "--detailed-exitcode"]);
    let (planned, searches) = searches_in(&plan);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    // Pages of 3 take 2 keys per search, so every complete answer is a short page: 12 incidents
    // in 6 searches and 4 triage items in 2, no second pages.
    assert_eq!(searches, 6 + 2);

    // A key carried twice fills its batch's page, so the next page is read, and the conflict shows.
    let (status, _) = crate::support::http::call(
        &server,
        "POST",
        "/api/csoar/v3/incidents/",
        Some(&json!({"template_id": 2, "fields": {"incidentid": "malware/emotet-finance-laptop"}})),
    );
    assert_eq!(status, 201);
    let (conflict, searches) = searches_in(&plan);
    assert_eq!(conflict.code, 1, "{}", conflict.combined());
    assert!(
        conflict
            .stderr
            .contains("2 objects carry the key `malware/emotet-finance-laptop`"),
        "{}",
        conflict.stderr
    );
    assert_eq!(searches, 6 + 1 + 2);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal_without_no_color() {
    let server = simulator();
    let test = Test::new()
        .write("incident.yaml", ONE_INCIDENT)
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["plan", ".", "--url", &server.url(), "--api", "v3"]);
    assert!(!test.run().stdout.contains('\x1b'));
    let terminal = test.env("NO_COLOR", "").run_in_terminal();
    assert!(
        terminal.stdout.contains("\x1b[32m+ create"),
        "{}",
        terminal.stdout
    );
    let no_color = Test::new()
        .write("incident.yaml", ONE_INCIDENT)
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["plan", ".", "--url", &server.url(), "--api", "v3"])
        .run_in_terminal();
    assert!(no_color.stdout.contains("+ create"), "{}", no_color.stdout);
    assert!(
        !no_color.stdout.contains('\x1b'),
        "NO_COLOR must win: {}",
        no_color.stdout
    );
}

#[test]
fn identity_fields_and_fields_named_twice_are_refused() {
    let server = simulator();
    let output = Test::new()
        .write(
            "incident.yaml",
            "kind: Incident\nkey: x/one\ntemplate: Phishing\nfields:\n  incidentid: other\n  status: Open\n  Status: Closed\n",
        )
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["plan", ".", "--url", &server.url(), "--api", "v3"])
        .run();
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("incident.yaml:5:3"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("`incidentid` is the identity field of incidents"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("incident.yaml:7:3"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("first declared at incident.yaml:6:3"),
        "{}",
        output.stderr
    );
    assert!(server
        .requests()
        .iter()
        .all(|request| request.method == "GET"));
}

/// A slow tenant never leaves a run silent, however few objects it has: past two seconds,
/// progress lines appear on stderr (never on stdout). (That a fast run shows none is the unit
/// tests' business: how fast a run is depends on the machine.)
#[test]
fn progress_shows_for_slow_runs_of_few_objects() {
    let server = crate::support::simulator_with(|config| {
        config.latency = std::time::Duration::from_millis(800)
    });
    let documents = "kind: Incident\nkey: slow/one\ntemplate: Phishing\n---\nkind: Incident\nkey: slow/two\ntemplate: Phishing\n---\nkind: Incident\nkey: slow/three\ntemplate: Phishing\n";
    let test = crate::support::binary::Test::new()
        .env("SOARFORM_TOKEN", crate::support::TOKEN)
        .env("SOARFORM_PROGRESS", "true")
        .write("objects.yaml", documents);
    let applied = crate::support::binary::run_against(
        &test,
        &server,
        &["apply", ".", "--auto-approve", "--max-concurrency", "1"],
    );
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(
        applied.stderr.contains("progress: ") && applied.stderr.contains(" of 3 objects applied ("),
        "{}",
        applied.stderr
    );
    assert!(!applied.stdout.contains("progress: "), "{}", applied.stdout);
}

/// Progress starts with the first requests: a tenant slow to answer even the catalog shows it.
#[test]
fn progress_shows_while_a_slow_tenant_reads_the_catalog() {
    let server = crate::support::simulator_with(|config| {
        config.latency = std::time::Duration::from_millis(2500)
    });
    let test = crate::support::binary::Test::new()
        .env("SOARFORM_TOKEN", crate::support::TOKEN)
        .env("SOARFORM_PROGRESS", "true")
        .write(
            "objects.yaml",
            "kind: Incident\nkey: slow/catalog\ntemplate: Phishing\n",
        );
    let planned = crate::support::binary::run_against(&test, &server, &["plan", "."]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(
        planned.stderr.contains(" of 3 catalog reads ("),
        "{}",
        planned.stderr
    );
}
