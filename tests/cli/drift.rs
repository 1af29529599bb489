//! Drift (edits made in the Cloud SOAR UI), fields the SOC owns (`ignore_changes`), drift checks
//! (`--expect-no-changes`), and `--target` / `--exclude`.

use serde_json::{json, Value};

use crate::support::binary::{run_against, Test};
use crate::support::http::call;
use crate::support::state::{incident_id, is_write};
use crate::support::{simulator, TOKEN};

const TWO_INCIDENTS: &str = "kind: Incident\nkey: phishing/one\ntemplate: Phishing\nfields:\n  status: Open\n  priority: Low\n---\nkind: Incident\nkey: malware/two\ntemplate: Malware\nfields:\n  status: Open\n  priority: High\n";

/// Edits an incident through the API, as an analyst would in the UI.
fn edit(server: &soarform::sim::SimServer, id: u64, fields: Value) {
    let (status, body) = call(
        server,
        "PUT",
        &format!("/api/csoar/v3/incidents/{id}/"),
        Some(&json!({ "fields": fields })),
    );
    assert_eq!(status, 200, "{body}");
}

fn field(server: &soarform::sim::SimServer, key: &str, name: &str) -> Value {
    let id = incident_id(server, key);
    server
        .incidents()
        .into_iter()
        .find(|incident| incident["id"] == id)
        .map(|incident| incident["fields"][name]["value"].clone())
        .unwrap_or(Value::Null)
}

fn writes(server: &soarform::sim::SimServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|request| is_write(request))
        .count()
}

#[test]
fn ui_edits_show_as_updates_that_revert_them_and_fail_a_drift_check() {
    let server = simulator();
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("incidents.yaml", TWO_INCIDENTS);
    assert_eq!(
        run_against(&test, &server, &["apply", ".", "--auto-approve"]).code,
        0
    );
    let clean = run_against(&test, &server, &["plan", ".", "--expect-no-changes"]);
    assert_eq!(clean.code, 0, "{}", clean.combined());

    // The two incidents were created side by side: either may have either id.
    let one = incident_id(&server, "phishing/one");
    edit(&server, one, json!({"priority": 4}));
    let drift = run_against(&test, &server, &["plan", ".", "--expect-no-changes"]);
    assert_eq!(drift.code, 2, "{}", drift.combined());
    assert!(
        drift.stdout.contains(&format!(
            "~ update Incident phishing/one (id {one})\n    ~ priority: \"Critical\" -> \"Low\"\n"
        )),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stderr.contains(
            "error: the tenant differs from the desired state (0 to create, 1 to update, 1 unchanged), and --expect-no-changes was given"
        ),
        "{}",
        drift.stderr
    );
    // Without the flag, a plan with changes is a success.
    assert_eq!(run_against(&test, &server, &["plan", "."]).code, 0);
}

#[test]
fn fields_in_ignore_changes_are_set_on_create_and_never_drift() {
    let server = simulator();
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("soarform.yaml", "ignore_changes: [Status]\n")
        .write(
            "incidents.yaml",
            format!("{TWO_INCIDENTS}ignore_changes: [priority]\n"),
        );
    let applied = run_against(&test, &server, &["apply", ".", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert_eq!(field(&server, "phishing/one", "status"), "Open");
    assert_eq!(field(&server, "malware/two", "priority"), "High");

    // The SOC takes over: statuses change everywhere, and the second incident's priority.
    let one = incident_id(&server, "phishing/one");
    edit(&server, one, json!({"status": 2}));
    edit(
        &server,
        incident_id(&server, "malware/two"),
        json!({"status": 4, "priority": 1}),
    );
    let planned = run_against(&test, &server, &["plan", ".", "--detailed-exitcode"]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(planned
        .stdout
        .contains("Plan: 0 to create, 0 to update, 2 unchanged."));

    // A field not ignored still drifts.
    edit(&server, one, json!({"priority": 3}));
    let planned = run_against(&test, &server, &["plan", ".", "--detailed-exitcode"]);
    assert_eq!(planned.code, 2, "{}", planned.combined());
    assert!(planned.stdout.contains("~ priority: \"High\" -> \"Low\""));
    assert!(!planned.stdout.contains("status"), "{}", planned.stdout);
}

#[test]
fn unknown_fields_in_soarform_yaml_are_reported_where_they_are_written() {
    let server = simulator();
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write(
            "soarform.yaml",
            "ignore_changes: [Status, Urgency]\nsensitive_fields:\n  - incidentid\n",
        )
        .write("incidents.yaml", TWO_INCIDENTS);
    let planned = run_against(&test, &server, &["plan", "."]);
    assert_eq!(planned.code, 1, "{}", planned.combined());
    assert!(
        planned.stderr.contains("soarform.yaml:1:26"),
        "{}",
        planned.stderr
    );
    assert!(planned
        .stderr
        .contains("`ignore_changes`: unknown incident field `Urgency`"));
    assert!(
        planned.stderr.contains("soarform.yaml:3:5"),
        "{}",
        planned.stderr
    );
    assert!(planned
        .stderr
        .contains("`sensitive_fields` cannot hold the identity field of incidents"));
    assert_eq!(writes(&server), 0);
}

#[test]
fn target_and_exclude_limit_plan_and_apply_to_matching_keys() {
    let server = simulator();
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("incidents.yaml", TWO_INCIDENTS)
        .write(
            "triage.yaml",
            "kind: TriageItem\nkey: phishing/report-1\nfields:\n  status: New\n",
        );
    let planned = run_against(&test, &server, &["plan", ".", "--target", "phishing/*"]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(planned.stdout.contains("+ create Incident phishing/one"));
    assert!(planned
        .stdout
        .contains("+ create TriageItem phishing/report-1"));
    assert!(
        !planned.stdout.contains("malware/two"),
        "{}",
        planned.stdout
    );
    assert!(
        planned
            .stderr
            .contains("note: --target/--exclude limited this plan to 2 of 3 declared objects"),
        "{}",
        planned.stderr
    );

    let applied = run_against(
        &test,
        &server,
        &[
            "apply",
            ".",
            "--auto-approve",
            "--target",
            "incident:**",
            "--exclude",
            "malware/*",
            "--exclude",
            "typo/*",
        ],
    );
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(applied
        .stderr
        .contains("warning: `--exclude typo/*` matches no declared object"));
    let keys: Vec<Value> = server
        .incidents()
        .iter()
        .map(|incident| incident["fields"]["incidentid"]["value"].clone())
        .collect();
    assert_eq!(keys, [json!("phishing/one")]);
    assert!(server.triage_items().is_empty());

    let typo = run_against(
        &test,
        &server,
        &["plan", ".", "--expect-no-changes", "--target", "phishin/*"],
    );
    assert_eq!(typo.code, 1, "{}", typo.combined());
    assert!(typo.stderr.contains(
        "error: `--target phishin/*` matches no declared object, and --expect-no-changes was given"
    ));

    let bad = run_against(&test, &server, &["plan", ".", "--target", "phishing/[a"]);
    assert_eq!(bad.code, 1, "{}", bad.combined());
    assert!(bad
        .stderr
        .contains("--target: the pattern `phishing/[a` is not a glob"));
}

#[test]
fn a_saved_plan_cannot_be_retargeted() {
    let output = Test::new()
        .args(["apply", "--plan", "plan.json", "--target", "x/*"])
        .run();
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("cannot be used with"),
        "{}",
        output.stderr
    );
}
