//! Renames (`moved:`), retirement (`prune_scope`, `--prune`) and adoption (`~ adopt`,
//! `--no-adopt`), against the simulator: what plan shows, what apply sends, what the tenant holds.

use serde_json::{json, Value};

use crate::formats::schema_violations;
use crate::support::binary::{run_against, Test};
use crate::support::http::create_through_api;
use crate::support::state::{incident_id, is_write};
use crate::support::{simulator, TOKEN};

fn incident(key: &str, status: &str) -> String {
    format!("kind: Incident\nkey: {key}\ntemplate: Phishing\nfields:\n  status: {status}\n  priority: Low\n")
}

fn triage(key: &str) -> String {
    format!("kind: TriageItem\nkey: {key}\nfields:\n  type: Suspicious login\n  status: New\n")
}

/// Writes `documents` as the repository's only desired-state file.
fn declare(test: &Test, documents: &[String]) {
    std::fs::write(test.path().join("objects.yaml"), documents.join("---\n")).unwrap();
}

fn project(test: &Test, config: &str) {
    std::fs::write(test.path().join("soarform.yaml"), config).unwrap();
}

fn value(object: &Value, field: &str) -> Value {
    object["fields"][field]["value"].clone()
}

fn incident_by_id(server: &soarform::sim::SimServer, id: u64) -> Value {
    server
        .incidents()
        .into_iter()
        .find(|incident| incident["id"] == id)
        .expect("the incident")
}

fn writes(server: &soarform::sim::SimServer) -> Vec<soarform::sim::RecordedRequest> {
    server.requests().into_iter().filter(is_write).collect()
}

fn new_test() -> Test {
    Test::new().env("SOARFORM_TOKEN", TOKEN)
}

#[test]
fn a_move_rewrites_the_key_in_place_without_a_duplicate() {
    let server = simulator();
    let test = new_test();
    declare(
        &test,
        &[incident("phishing/old-name", "Open"), triage("okta-1")],
    );
    assert_eq!(
        run_against(&test, &server, &["apply", ".", "--auto-approve"]).code,
        0
    );
    let id = incident_id(&server, "phishing/old-name");

    declare(
        &test,
        &[
            incident("phishing/new-name", "In progress"),
            triage("okta-1"),
        ],
    );
    project(
        &test,
        "moved:\n  - from: phishing/old-name\n    to: phishing/new-name\n",
    );
    let planned = run_against(&test, &server, &["plan", ".", "--detailed-exitcode"]);
    assert_eq!(planned.code, 2, "{}", planned.combined());
    assert!(
        planned.stdout.contains(&format!(
            "~ move Incident phishing/new-name (from phishing/old-name, id {id})\n    ~ Incident ID: \"phishing/old-name\" -> \"phishing/new-name\"\n    ~ status: \"Open\" -> \"In progress\"\n"
        )),
        "{}",
        planned.stdout
    );
    assert!(
        planned
            .stdout
            .contains("Plan: 0 to create, 0 to update, 1 to move, 1 unchanged."),
        "{}",
        planned.stdout
    );

    let json = run_against(&test, &server, &["plan", ".", "--format", "json"]);
    let document: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(schema_violations(&document), Vec::<String>::new());
    assert_eq!(document["objects"][0]["action"], "move");
    assert_eq!(document["objects"][0]["moved_from"], "phishing/old-name");

    let before = writes(&server).len();
    let applied = run_against(&test, &server, &["apply", ".", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(
        applied
            .stdout
            .contains(&format!("Incident phishing/new-name: moved (id {id}")),
        "{}",
        applied.stdout
    );
    // One PUT to the same incident: the key and the changed field together.
    let sent = &writes(&server)[before..];
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].method, "PUT");
    assert!(sent[0].path.ends_with(&format!("/incidents/{id}/")));
    assert_eq!(
        sent[0].body,
        Some(json!({"fields": {"incidentid": "phishing/new-name", "status": 2}}))
    );
    assert_eq!(server.incidents().len(), 1);
    assert_eq!(incident_id(&server, "phishing/new-name"), id);

    // The entry can stay: the next plan is empty.
    let replanned = run_against(&test, &server, &["plan", ".", "--detailed-exitcode"]);
    assert_eq!(replanned.code, 0, "{}", replanned.combined());
}

#[test]
fn a_move_from_a_key_nobody_carries_is_reported_and_bad_entries_are_errors() {
    let server = simulator();
    let test = new_test();
    declare(&test, &[incident("phishing/new-name", "Open")]);
    project(
        &test,
        "moved:\n  - {from: phishing/typo, to: phishing/new-name}\n",
    );
    let planned = run_against(&test, &server, &["plan", "."]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(
        planned.stdout.contains("+ create Incident phishing/new-name (template Phishing)\n    ! warning: moved from `phishing/typo`, but no incident carries that key: a new one is created\n"),
        "{}",
        planned.stdout
    );

    // `to` must be declared, and `from` must be gone; positions point into soarform.yaml.
    project(
        &test,
        "moved:\n  - {from: phishing/a, to: phishing/undeclared}\n  - {from: phishing/new-name, to: phishing/new-name-2}\n",
    );
    declare(
        &test,
        &[
            incident("phishing/new-name", "Open"),
            incident("phishing/new-name-2", "Open"),
        ],
    );
    let requests_before = server.requests().len();
    let refused = run_against(&test, &server, &["plan", "."]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused.stderr.contains("soarform.yaml:2:5"),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("no document declares `phishing/undeclared`"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("soarform.yaml:3:5"),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("`moved` renames `phishing/new-name`, but a document still declares it"),
        "{}",
        refused.stderr
    );
    assert!(writes(&server).is_empty());
    // Refused before any search.
    assert!(server.requests()[requests_before..]
        .iter()
        .all(|request| !request.path.ends_with("/search/")));
}

#[test]
fn both_the_old_and_the_new_key_carried_is_a_conflict() {
    let server = simulator();
    let test = new_test();
    declare(
        &test,
        &[incident("p/old", "Open"), incident("p/new", "Open")],
    );
    assert_eq!(
        run_against(&test, &server, &["apply", ".", "--auto-approve"]).code,
        0
    );
    declare(&test, &[incident("p/new", "Open")]);
    project(&test, "moved: [{from: p/old, to: p/new}]\n");
    let output = run_against(&test, &server, &["apply", ".", "--auto-approve"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    let (old, new) = (incident_id(&server, "p/old"), incident_id(&server, "p/new"));
    assert!(
        output.stderr.contains(&format!(
            "the incident `p/new` and its old key `p/old` (`moved:`) are both carried: ids {new}, {old}"
        )),
        "{}",
        output.stderr
    );
}

#[test]
fn prune_closes_exactly_the_removed_objects_in_scope() {
    let server = simulator();
    let test = new_test();
    let all = [
        incident("team/keep", "Open"),
        incident("team/retire-a", "Open"),
        incident("team/retire-b", "In progress"),
        incident("other/removed", "Open"),
        triage("team/triage-retire"),
    ];
    project(&test, "prune_scope: [\"team/**\"]\n");
    declare(&test, &all);
    assert_eq!(
        run_against(&test, &server, &["apply", ".", "--auto-approve"]).code,
        0
    );
    // Made by hand inside the scope: never soarform's to close.
    create_through_api(
        &server,
        "/api/csoar/v3/incidents/",
        &json!({"template_id": 1, "fields": {"incidentid": "team/hand-made", "status": 1}}),
    );
    let kept = incident_id(&server, "team/keep");
    let retire_a = incident_id(&server, "team/retire-a");
    let retire_b = incident_id(&server, "team/retire-b");
    let outside = incident_id(&server, "other/removed");
    let hand_made = incident_id(&server, "team/hand-made");

    declare(&test, &all[..1]);
    // Without pruning: listed, nothing changes.
    let listed = run_against(&test, &server, &["plan", ".", "--detailed-exitcode"]);
    assert_eq!(listed.code, 0, "{}", listed.combined());
    assert!(
        listed.stdout.contains(&format!(
            "No longer declared, left alone (3 in `prune_scope`; `--prune` or `prune: close` would close them):\n    Incident team/retire-a (id {retire_a})\n    Incident team/retire-b (id {retire_b})\n    TriageItem team/triage-retire (id "
        )),
        "{}",
        listed.stdout
    );
    assert!(
        !listed.stdout.contains("other/removed") && !listed.stdout.contains("team/hand-made"),
        "{}",
        listed.stdout
    );

    let planned = run_against(&test, &server, &["plan", ".", "--prune"]);
    assert!(
        planned.stdout.contains(&format!(
            "- close Incident team/retire-b (id {retire_b})\n    ! warning: no longer declared in the repository\n    ~ Status: \"In progress\" -> \"Closed\"\n    ~ Closing note: (none) -> \"Closed by soarform: the key is no longer declared in the repository.\"\n"
        )),
        "{}",
        planned.stdout
    );
    assert!(
        planned
            .stdout
            .contains("Plan: 0 to create, 0 to update, 3 to close, 1 unchanged."),
        "{}",
        planned.stdout
    );

    let before = writes(&server).len();
    let applied = run_against(&test, &server, &["apply", ".", "--prune", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(
        applied
            .stdout
            .contains("Apply complete: 0 created, 3 updated (3 closed), 1 unchanged."),
        "{}",
        applied.stdout
    );
    let sent = &writes(&server)[before..];
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(
        sent.iter().all(|request| request.method == "PUT"),
        "never a delete: {sent:?}"
    );
    for id in [retire_a, retire_b] {
        let closed = incident_by_id(&server, id);
        assert_eq!(value(&closed, "status"), "Closed");
        assert_eq!(
            value(&closed, "opt_8"),
            "Closed by soarform: the key is no longer declared in the repository."
        );
    }
    let triage_items = server.triage_items();
    assert_eq!(triage_items.len(), 1);
    assert_eq!(value(&triage_items[0], "status"), "Dismissed");
    for id in [kept, outside, hand_made] {
        assert_ne!(
            value(&incident_by_id(&server, id), "status"),
            "Closed",
            "id {id} was touched"
        );
    }
    assert_eq!(server.incidents().len(), 5, "nothing is deleted");

    // Closed objects are retired: the next pruning plan is empty.
    let replanned = run_against(
        &test,
        &server,
        &["plan", ".", "--prune", "--detailed-exitcode"],
    );
    assert_eq!(replanned.code, 0, "{}", replanned.combined());
    // Nor are they listed any more without pruning: closed is retired.
    let listed = run_against(&test, &server, &["plan", "."]);
    assert_eq!(listed.code, 0, "{}", listed.combined());
    assert!(
        !listed.stdout.contains("No longer declared"),
        "{}",
        listed.stdout
    );
}

#[test]
fn prune_without_a_scope_is_an_error_and_closing_is_configurable() {
    let server = simulator();
    let test = new_test();
    declare(
        &test,
        &[incident("team/a", "Open"), incident("team/b", "Open")],
    );
    let output = run_against(&test, &server, &["plan", ".", "--prune"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output
            .stderr
            .contains("needs `prune_scope` in soarform.yaml"),
        "{}",
        output.stderr
    );

    project(
        &test,
        "prune: close\nprune_scope: [\"incident:team/*\"]\nclosing:\n  incident: {status: Pending, note_field: External ticket}\n  note: Retired by the platform team\n",
    );
    assert_eq!(
        run_against(&test, &server, &["apply", ".", "--auto-approve"]).code,
        0
    );
    declare(&test, &[incident("team/a", "Open")]);
    let applied = run_against(&test, &server, &["apply", ".", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let closed = incident_by_id(&server, incident_id(&server, "team/b"));
    assert_eq!(value(&closed, "status"), "Pending");
    assert_eq!(value(&closed, "opt_2"), "Retired by the platform team");

    project(
        &test,
        "prune: close\nprune_scope: [\"team/*\"]\nclosing:\n  incident: {status: Gone}\n",
    );
    let refused = run_against(&test, &server, &["plan", "."]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused
            .stderr
            .contains("the closed status `Gone` of incidents is not an option of `Status`"),
        "{}",
        refused.stderr
    );
}

#[test]
fn no_adopt_turns_a_match_with_a_hand_made_object_into_an_error() {
    let server = simulator();
    create_through_api(
        &server,
        "/api/csoar/v3/incidents/",
        &json!({"template_id": 1, "fields": {"incidentid": "phishing/by-hand", "status": 1, "priority": 1}}),
    );
    let id = incident_id(&server, "phishing/by-hand");
    let test = new_test();
    declare(&test, &[incident("phishing/by-hand", "Open")]);
    for (args, config) in [
        (vec!["plan", ".", "--no-adopt"], ""),
        (vec!["apply", ".", "--auto-approve"], "adopt: false\n"),
    ] {
        project(&test, config);
        let output = run_against(&test, &server, &args);
        assert_eq!(output.code, 1, "{args:?}: {}", output.combined());
        assert!(
            output.stderr.contains(&format!(
                "the incident `phishing/by-hand` matches id {id}, which soarform never wrote (created by api), and adoption is off"
            )),
            "{}",
            output.stderr
        );
    }
    assert!(writes(&server).len() == 1, "only the hand-made create");

    // Adopted once, it is soarform's, and --no-adopt has nothing to refuse.
    project(&test, "");
    let adopted = run_against(&test, &server, &["apply", ".", "--auto-approve"]);
    assert_eq!(adopted.code, 0, "{}", adopted.combined());
    assert_eq!(value(&incident_by_id(&server, id), "opt_7"), "soarform");
    let replanned = run_against(
        &test,
        &server,
        &["plan", ".", "--no-adopt", "--detailed-exitcode"],
    );
    assert_eq!(replanned.code, 0, "{}", replanned.combined());
}

#[test]
fn saved_plans_apply_moves_and_closes_once() {
    let server = simulator();
    let test = new_test();
    project(&test, "prune_scope: [\"s/**\"]\n");
    declare(
        &test,
        &[incident("s/old", "Open"), incident("s/gone", "Open")],
    );
    assert_eq!(
        run_against(&test, &server, &["apply", ".", "--auto-approve"]).code,
        0
    );
    let moved = incident_id(&server, "s/old");
    let gone = incident_id(&server, "s/gone");

    project(
        &test,
        "prune_scope: [\"s/**\"]\nprune: close\nmoved: [{from: s/old, to: s/new}]\n",
    );
    declare(&test, &[incident("s/new", "Open")]);
    let planned = run_against(&test, &server, &["plan", ".", "--out", "plan.json"]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(test.path().join("plan.json")).unwrap())
            .unwrap();
    assert_eq!(schema_violations(&saved), Vec::<String>::new());
    assert_eq!(saved["summary"]["move"], 1);
    assert_eq!(saved["summary"]["close"], 1);

    let applied = run_against(&test, &server, &["apply", "--plan", "plan.json"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert_eq!(incident_id(&server, "s/new"), moved);
    assert_eq!(value(&incident_by_id(&server, gone), "status"), "Closed");

    // Applying the same plan again: both already applied, nothing sent.
    let before = writes(&server).len();
    let again = run_against(&test, &server, &["apply", "--plan", "plan.json"]);
    assert_eq!(again.code, 0, "{}", again.combined());
    assert_eq!(writes(&server).len(), before);
    assert_eq!(server.incidents().len(), 2);
}

#[test]
fn documents_cannot_set_the_ownership_field() {
    let server = simulator();
    let test = new_test();
    declare(
        &test,
        &[format!("{}  Managed by: me\n", incident("p/mine", "Open"))],
    );
    let output = run_against(&test, &server, &["plan", "."]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("objects.yaml:7:3"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("`Managed by` is where soarform records that it manages incidents"),
        "{}",
        output.stderr
    );
    assert!(writes(&server).is_empty());
}

#[test]
fn chained_moves_lead_to_the_declared_key_and_circles_are_refused() {
    let server = simulator();
    let test = new_test();
    declare(&test, &[incident("c/first", "Open")]);
    assert_eq!(
        run_against(&test, &server, &["apply", ".", "--auto-approve"]).code,
        0
    );
    let id = incident_id(&server, "c/first");
    // Renamed twice; the tenant still carries the first key.
    declare(&test, &[incident("c/third", "Open")]);
    project(
        &test,
        "moved:\n  - {from: c/first, to: c/second}\n  - {from: c/second, to: c/third}\n",
    );
    let applied = run_against(&test, &server, &["apply", ".", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(
        applied
            .stdout
            .contains("~ move Incident c/third (from c/first, id "),
        "{}",
        applied.stdout
    );
    assert_eq!(incident_id(&server, "c/third"), id);
    assert_eq!(server.incidents().len(), 1);

    project(
        &test,
        "moved:\n  - {from: c/x, to: c/y}\n  - {from: c/y, to: c/x}\n",
    );
    let refused = test.run_args(&["validate".to_string(), ".".to_string()]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused
            .stderr
            .contains("`moved` entries rename `c/x` in a circle"),
        "{}",
        refused.stderr
    );
}

#[test]
fn one_old_key_cannot_be_renamed_twice_nor_a_chain_cross_kinds() {
    let server = simulator();
    let test = new_test();
    declare(
        &test,
        &[
            incident("d/one", "Open"),
            incident("d/two", "Open"),
            triage("d/x"),
        ],
    );
    // The same old key, once without and once with a kind: still one incident renamed twice.
    project(
        &test,
        "moved:\n  - {from: d/old, to: d/one}\n  - {from: d/old, to: d/two, kind: Incident}\n",
    );
    let twice = test.run_args(&["validate".to_string(), ".".to_string()]);
    assert_eq!(twice.code, 1, "{}", twice.combined());
    assert!(
        twice
            .stderr
            .contains("`moved` renames the incident `d/old` twice"),
        "{}",
        twice.stderr
    );

    // `d/one` is declared by an incident: the chain ends there and never reaches the triage item.
    create_through_api(
        &server,
        "/api/csoar/v3/incidents/",
        &json!({"template_id": 1, "fields": {"incidentid": "d/a", "status": 1, "opt_7": "soarform"}}),
    );
    let id = incident_id(&server, "d/a");
    project(
        &test,
        "moved:\n  - {from: d/a, to: d/one}\n  - {from: d/one, to: d/x, kind: TriageItem}\n",
    );
    let planned = run_against(&test, &server, &["plan", "."]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(
        planned
            .stdout
            .contains(&format!("~ move Incident d/one (from d/a, id {id})")),
        "{}",
        planned.stdout
    );
}

#[test]
fn bookkeeping_fields_must_be_text_fields_of_their_own() {
    let server = simulator();
    let test = new_test();
    declare(&test, &[incident("b/one", "Open"), triage("b/t")]);
    for (config, message) in [
        (
            "ownership: {triage: Source reference}\n",
            "`Source reference` cannot record ownership of triage items: it must be a text field other than the identity field",
        ),
        (
            "ownership: {incident: Detection source}\n",
            "`Detection source` cannot record ownership of incidents",
        ),
        (
            "prune: close\nprune_scope: [\"b/**\"]\nclosing: {incident: {note_field: Incident ID}}\n",
            "`Incident ID` cannot receive the closing note of incidents",
        ),
    ] {
        project(&test, config);
        let output = run_against(&test, &server, &["apply", ".", "--auto-approve"]);
        assert_eq!(output.code, 1, "{config}: {}", output.combined());
        assert!(output.stderr.contains(message), "{config}: {}", output.stderr);
        // Reported where the setting is written.
        let line = if config.starts_with("prune") { 3 } else { 1 };
        assert!(
            output.stderr.contains(&format!("soarform.yaml:{line}:")),
            "{config}: {}",
            output.stderr
        );
    }
    assert!(writes(&server).is_empty());

    // A scope of incidents only does not need the triage closing fields.
    project(
        &test,
        "prune: close\nprune_scope: [\"incident:b/**\"]\nclosing: {triage: {note_field: No such field}}\n",
    );
    let output = run_against(&test, &server, &["plan", "."]);
    assert_eq!(output.code, 0, "{}", output.combined());
}

#[test]
fn closes_mask_sensitive_fields_and_a_takeover_makes_a_saved_close_stale() {
    let server = simulator();
    let test = new_test();
    project(&test, "prune_scope: [\"m/**\"]\n");
    declare(
        &test,
        &[incident("m/keep", "Open"), incident("m/gone", "Open")],
    );
    assert_eq!(
        run_against(&test, &server, &["apply", ".", "--auto-approve"]).code,
        0
    );
    let gone = incident_id(&server, "m/gone");
    let (status, body) = crate::support::http::call(
        &server,
        "PUT",
        &format!("/api/csoar/v3/incidents/{gone}/"),
        Some(&json!({"fields": {"opt_8": "analyst secret: hunter2"}})),
    );
    assert_eq!(status, 200, "{body}");
    declare(&test, &[incident("m/keep", "Open")]);
    project(
        &test,
        "prune_scope: [\"m/**\"]\nsensitive_fields: [Closing note]\n",
    );
    let planned = run_against(
        &test,
        &server,
        &[
            "plan",
            ".",
            "--prune",
            "--out",
            "close.json",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(planned.code, 0, "{}", planned.combined());
    let saved = std::fs::read_to_string(test.path().join("close.json")).unwrap();
    for text in [&planned.stdout, &planned.stderr, &saved] {
        assert!(!text.contains("hunter2"), "{text}");
    }
    assert!(
        planned.stdout.contains("Closing note: (sensitive)"),
        "{}",
        planned.stdout
    );

    // Someone else takes the object over after the review: the saved close is refused.
    let (status, body) = crate::support::http::call(
        &server,
        "PUT",
        &format!("/api/csoar/v3/incidents/{gone}/"),
        Some(&json!({"fields": {"opt_7": "alice"}})),
    );
    assert_eq!(status, 200, "{body}");
    let applied = run_against(&test, &server, &["apply", "--plan", "close.json"]);
    assert_eq!(applied.code, 4, "{}", applied.combined());
    assert_ne!(value(&incident_by_id(&server, gone), "status"), "Closed");

    // Handed back, the reviewed close applies: the sensitive note it writes comes from
    // soarform.yaml (the saved plan holds only its hash).
    let (status, body) = crate::support::http::call(
        &server,
        "PUT",
        &format!("/api/csoar/v3/incidents/{gone}/"),
        Some(&json!({"fields": {"opt_7": "soarform"}})),
    );
    assert_eq!(status, 200, "{body}");
    let applied = run_against(&test, &server, &["apply", "--plan", "close.json"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(!applied.combined().contains("hunter2"));
    let closed = incident_by_id(&server, gone);
    assert_eq!(value(&closed, "status"), "Closed");
    assert_eq!(
        value(&closed, "opt_8"),
        "Closed by soarform: the key is no longer declared in the repository."
    );
}

#[test]
fn no_adopt_names_the_old_key_a_move_found_the_object_under() {
    let server = simulator();
    create_through_api(
        &server,
        "/api/csoar/v3/incidents/",
        &json!({"template_id": 1, "fields": {"incidentid": "h/four", "status": 1}}),
    );
    let id = incident_id(&server, "h/four");
    let test = new_test();
    declare(&test, &[incident("h/cuatro", "Open")]);
    project(
        &test,
        "adopt: false\nmoved: [{from: h/four, to: h/cuatro}]\n",
    );
    let output = run_against(&test, &server, &["plan", "."]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains(&format!(
            "the incident `h/cuatro` matches id {id} under its old key `h/four`, which soarform never wrote (created by api)"
        )),
        "{}",
        output.stderr
    );
}

/// A gateway serving closes at `incidents/{id}/close/`: it records each close's path and sends
/// it on to the simulator's update path; everything else goes through unchanged.
fn closing_gateway(
    simulator: std::net::SocketAddr,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let closes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&closes);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let seen = std::sync::Arc::clone(&seen);
            std::thread::spawn(move || {
                let Some((head, body)) = crate::support::http::read_request(&mut stream) else {
                    return;
                };
                let path = head.split(' ').nth(1).unwrap_or_default().to_string();
                let head = match path.strip_suffix("close/") {
                    Some(update_path) => {
                        seen.lock().unwrap().push(format!(
                            "{} {path}",
                            head.split(' ').next().unwrap_or_default()
                        ));
                        head.replacen(&path, update_path, 1)
                    }
                    None => head,
                };
                crate::support::http::forward(&mut stream, simulator, &head, &body);
            });
        }
    });
    (address, closes)
}

#[test]
fn closes_go_to_the_close_operation_under_paths_with_the_note() {
    let server = simulator();
    let (gateway, closes) = closing_gateway(server.addr());
    let url = format!("http://{gateway}");
    let test = new_test();
    project(
        &test,
        "prune_scope: [\"team/**\"]\npaths:\n  close_incident: incidents/{id}/close/\n",
    );
    let run = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        all.extend(["--url".into(), url.clone(), "--api".into(), "v3".into()]);
        test.run_args(&all)
    };
    declare(
        &test,
        &[
            incident("team/keep", "Open"),
            incident("team/retire", "Open"),
        ],
    );
    let applied = run(&["apply", ".", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(
        closes.lock().unwrap().is_empty(),
        "{:?}",
        closes.lock().unwrap()
    );
    let retire = incident_id(&server, "team/retire");
    declare(&test, &[incident("team/keep", "In progress")]);
    let pruned = run(&["apply", ".", "--prune", "--auto-approve"]);
    assert_eq!(pruned.code, 0, "{}", pruned.combined());
    // The close went to the close path; the update of the declared incident did not.
    assert_eq!(
        *closes.lock().unwrap(),
        [format!("PUT /api/csoar/v3/incidents/{retire}/close/")]
    );
    let closed = incident_by_id(&server, retire);
    assert_eq!(value(&closed, "status"), json!("Closed"), "{closed}");
    assert_eq!(
        value(&closed, "opt_8"),
        json!("Closed by soarform: the key is no longer declared in the repository."),
        "{closed}"
    );
    let replanned = run(&["plan", ".", "--detailed-exitcode"]);
    assert_eq!(replanned.code, 0, "{}", replanned.combined());
}
