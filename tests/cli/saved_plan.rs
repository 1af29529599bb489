//! Saved plans: `plan --out FILE`, then `apply --plan FILE`, with objects changed in between.

use serde_json::{json, Value};

use crate::support::binary::{run_against, Output, Test};
use crate::support::http::call;
use crate::support::state::{incident_id, is_write};
use crate::support::{simulator, TOKEN};

/// Three incidents; `description` is what the tests change in the repository.
fn incidents(description: &str) -> String {
    ["a", "b", "c"]
        .iter()
        .map(|name| {
            format!(
                "kind: Incident\nkey: saved/{name}\ntemplate: Phishing\nfields:\n  status: Open\n  description: {description} {name}\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

fn live_field(server: &soarform::sim::SimServer, key: &str, field: &str) -> Vec<Value> {
    server
        .incidents()
        .iter()
        .filter(|incident| incident["fields"]["incidentid"]["value"] == key)
        .map(|incident| incident["fields"][field]["value"].clone())
        .collect()
}

struct Setup {
    server: soarform::sim::SimServer,
    test: Test,
}

impl Setup {
    /// A simulator holding the three incidents with the first description.
    fn new() -> Setup {
        let server = simulator();
        let test = Test::new()
            .env("SOARFORM_TOKEN", TOKEN)
            .write("incidents.yaml", incidents("first"));
        let setup = Setup { server, test };
        let applied = setup.run(&["apply", "incidents.yaml", "--auto-approve"]);
        assert_eq!(applied.code, 0, "{}", applied.combined());
        setup
    }

    fn run(&self, args: &[&str]) -> Output {
        run_against(&self.test, &self.server, args)
    }

    fn writes(&self) -> Vec<(String, String)> {
        self.server
            .requests()
            .into_iter()
            .filter(is_write)
            .map(|request| (request.method, request.path))
            .collect()
    }
}

fn run_with(test: &Test, args: &[&str]) -> Output {
    // `Test::args` consumes the builder; run a borrowed copy with these arguments instead.
    let owned: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    test.run_args(&owned)
}

#[test]
fn objects_edited_after_the_plan_are_refused_and_kept_while_the_others_are_applied() {
    let setup = Setup::new();
    let test = &setup.test;
    std::fs::write(test.path().join("incidents.yaml"), incidents("second")).unwrap();
    let planned = setup.run(&["plan", "incidents.yaml", "--out", "plan.json"]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(planned.stderr.contains("Saved the plan to `plan.json`"));

    // Someone closes incident b in the UI between review and apply.
    let b = incident_id(&setup.server, "saved/b");
    let (status, _) = call(
        &setup.server,
        "PUT",
        &format!("/api/csoar/v3/incidents/{b}/"),
        Some(&json!({"fields": {"status": 4}})),
    );
    assert_eq!(status, 200);
    let writes_before = setup.writes().len();

    let applied = setup.run(&["apply", "--plan", "plan.json"]);
    assert_eq!(applied.code, 4, "{}", applied.combined());
    assert!(
        applied.stdout.contains(&format!(
            "! refused Incident saved/b (id {b}): changed since the plan\n    ~ Status: \"Open\" at plan time, now \"Closed\"\n"
        )),
        "{}",
        applied.stdout
    );
    assert!(
        applied.stdout.contains(
            "Apply incomplete: 0 created, 2 updated, 0 unchanged, 1 refused (changed since the plan)."
        ),
        "{}",
        applied.stdout
    );
    // Exactly two PUTs, to a and c; b keeps the edit made after the plan.
    let writes = setup.writes();
    assert_eq!(writes.len() - writes_before, 2, "{writes:?}");
    assert_eq!(
        live_field(&setup.server, "saved/a", "description"),
        ["second a"]
    );
    assert_eq!(
        live_field(&setup.server, "saved/b", "description"),
        ["first b"]
    );
    assert_eq!(live_field(&setup.server, "saved/b", "status"), ["Closed"]);
    assert_eq!(
        live_field(&setup.server, "saved/c", "description"),
        ["second c"]
    );

    // A fresh plan shows what is left: b, with the new description and the status back to Open.
    let replanned = setup.run(&["plan", "incidents.yaml", "--detailed-exitcode"]);
    assert_eq!(replanned.code, 2, "{}", replanned.combined());
    assert!(
        replanned
            .stdout
            .contains("Plan: 0 to create, 1 to update, 2 unchanged."),
        "{}",
        replanned.stdout
    );
}

#[test]
fn applying_a_saved_plan_again_sends_nothing_and_succeeds() {
    let setup = Setup::new();
    std::fs::write(
        setup.test.path().join("incidents.yaml"),
        incidents("second"),
    )
    .unwrap();
    assert_eq!(
        setup
            .run(&["plan", "incidents.yaml", "--out", "plan.json"])
            .code,
        0
    );
    let first = setup.run(&["apply", "--plan", "plan.json"]);
    assert_eq!(first.code, 0, "{}", first.combined());
    let writes = setup.writes().len();
    let again = setup.run(&["apply", "--plan", "plan.json"]);
    assert_eq!(again.code, 0, "{}", again.combined());
    assert!(
        again
            .stdout
            .contains("Apply complete: 0 created, 0 updated, 0 unchanged, 3 already applied."),
        "{}",
        again.stdout
    );
    assert_eq!(setup.writes().len(), writes);
}

#[test]
fn a_create_raced_by_someone_else_is_refused_not_duplicated() {
    let server = simulator();
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("incidents.yaml", incidents("first"));
    let url = server.url();
    let args = |extra: &[&'static str]| {
        let mut all: Vec<String> = extra.iter().map(|arg| arg.to_string()).collect();
        all.extend(["--url".into(), url.clone(), "--api".into(), "v3".into()]);
        all
    };
    assert_eq!(
        test.run_args(&args(&["plan", "incidents.yaml", "--out", "plan.json"]))
            .code,
        0
    );
    let (status, _) = call(
        &server,
        "POST",
        "/api/csoar/v3/incidents/",
        Some(&json!({"template_id": 1, "fields": {"incidentid": "saved/a", "status": 2}})),
    );
    assert_eq!(status, 201);
    let applied = test.run_args(&args(&["apply", "--plan", "plan.json"]));
    assert_eq!(applied.code, 4, "{}", applied.combined());
    assert!(
        applied
            .stdout
            .contains("! refused Incident saved/a (id 101): an object with this key was created since the plan (id 101)"),
        "{}",
        applied.stdout
    );
    assert_eq!(live_field(&server, "saved/a", "status"), ["In progress"]);
    assert_eq!(live_field(&server, "saved/b", "status"), ["Open"]);
    assert_eq!(live_field(&server, "saved/c", "status"), ["Open"]);
}

#[test]
fn a_plan_is_only_applied_to_the_url_and_dialect_it_was_made_against() {
    let setup = Setup::new();
    std::fs::write(
        setup.test.path().join("incidents.yaml"),
        incidents("second"),
    )
    .unwrap();
    assert_eq!(
        setup
            .run(&["plan", "incidents.yaml", "--out", "plan.json"])
            .code,
        0
    );
    let writes = setup.writes().len();
    let url = setup.server.url();
    let other_dialect = run_with(
        &setup.test,
        &[
            "apply",
            "--plan",
            "plan.json",
            "--url",
            &url,
            "--api",
            "legacy",
        ],
    );
    assert_eq!(other_dialect.code, 1, "{}", other_dialect.combined());
    assert!(
        other_dialect
            .stderr
            .contains("was made against `http://127.0.0.1:")
            && other_dialect
                .stderr
                .contains("(v3 API), and this apply would go to")
            && other_dialect
                .stderr
                .contains("(legacy API); nothing was sent"),
        "{}",
        other_dialect.stderr
    );
    let other_server = simulator();
    let other_url = other_server.url();
    let elsewhere = run_with(
        &setup.test,
        &[
            "apply",
            "--plan",
            "plan.json",
            "--url",
            &other_url,
            "--api",
            "v3",
        ],
    );
    assert_eq!(elsewhere.code, 1, "{}", elsewhere.combined());
    assert_eq!(setup.writes().len(), writes);
    // Not even the catalog was read there: the credential never went to the other tenant.
    assert!(other_server.requests().is_empty());
}

#[test]
fn the_apply_command_a_saved_plan_suggests_reaches_its_tenant() {
    // soarform.yaml names another tenant than the `--url` the plan was made with: the command
    // that plan and show suggest carries the plan's tenant, and runs as suggested.
    let setup = Setup::new();
    let root = setup.test.path();
    std::fs::write(root.join("incidents.yaml"), incidents("second")).unwrap();
    std::fs::write(root.join("soarform.yaml"), "region: us2\n").unwrap();
    let planned = setup.run(&["plan", "incidents.yaml", "--out", "plan.json"]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    let suggested = format!(
        "soarform apply --plan plan.json --url {}/ --api v3",
        setup.server.url()
    );
    assert!(
        planned
            .stderr
            .contains(&format!("apply exactly this plan with `{suggested}`.")),
        "{}",
        planned.stderr
    );
    let shown = run_with(&setup.test, &["show", "plan.json"]);
    assert_eq!(shown.code, 0, "{}", shown.combined());
    assert!(
        shown
            .stderr
            .contains(&format!("`{suggested}` applies exactly this plan")),
        "{}",
        shown.stderr
    );
    let words: Vec<&str> = suggested.split(' ').skip(1).collect();
    let applied = run_with(&setup.test, &words);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(
        applied
            .stdout
            .contains("Apply complete: 0 created, 3 updated"),
        "{}",
        applied.stdout
    );

    // Made with -C, the command repeats it: the plan's path is relative to that directory.
    std::fs::create_dir(root.join("sub")).unwrap();
    // A project of its own (inside the other, its keys would be declared twice).
    std::fs::write(root.join("sub/soarform.yaml"), "region: us2\n").unwrap();
    std::fs::write(root.join("sub/incidents.yaml"), incidents("second")).unwrap();
    let planned = setup.run(&["-C", "sub", "plan", "--out", "sub.json"]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    let suggested = format!(
        "soarform -C sub apply --plan sub.json --url {}/ --api v3",
        setup.server.url()
    );
    assert!(
        planned.stderr.contains(&format!("with `{suggested}`.")),
        "{}",
        planned.stderr
    );
    let words: Vec<&str> = suggested.split(' ').skip(1).collect();
    let applied = run_with(&setup.test, &words);
    assert_eq!(applied.code, 0, "{}", applied.combined());

    // Where soarform.yaml names the plan's tenant, nothing more is needed.
    std::fs::write(
        root.join("soarform.yaml"),
        format!("url: {}/\napi: v3\n", setup.server.url()),
    )
    .unwrap();
    std::fs::write(root.join("incidents.yaml"), incidents("third")).unwrap();
    let planned = run_with(
        &setup.test,
        &["plan", "incidents.yaml", "--out", "plan2.json"],
    );
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(
        planned
            .stderr
            .contains("apply exactly this plan with `soarform apply --plan plan2.json`."),
        "{}",
        planned.stderr
    );
}

/// Plans on the sandbox into plan.json, then applies it with no target given: it must go to the
/// sandbox and create the three incidents.
fn a_sandbox_plan_applies_with_no_target_given(test: &Test) {
    let planned = run_with(
        test,
        &["plan", "incidents.yaml", "--sandbox", "--out", "plan.json"],
    );
    assert_eq!(planned.code, 0, "{}", planned.combined());
    let applied = run_with(test, &["apply", "--plan", "plan.json"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(
        applied
            .stdout
            .contains("Apply complete: 3 created, 0 updated, 0 unchanged."),
        "{}",
        applied.stdout
    );
}

#[test]
fn a_sandbox_plan_applied_where_there_is_no_sandbox_is_refused_by_name() {
    let test = Test::new().write("repo/incidents.yaml", incidents("first"));
    let repo = |args: &[&str]| {
        let mut all = vec!["-C", "repo"];
        all.extend_from_slice(args);
        run_with(&test, &all)
    };
    assert_eq!(repo(&["apply", "--sandbox", "--auto-approve"]).code, 0);
    std::fs::write(test.path().join("repo/incidents.yaml"), incidents("second")).unwrap();
    let planned = repo(&["plan", "--sandbox", "--out", "../plan.json"]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    std::fs::create_dir(test.path().join("elsewhere")).unwrap();
    let elsewhere = run_with(
        &test,
        &["-C", "elsewhere", "apply", "--plan", "../plan.json"],
    );
    assert_eq!(elsewhere.code, 1, "{}", elsewhere.combined());
    assert!(
        elsewhere.stderr.contains(
            "was made on a sandbox holding 3 of its objects, and there is no sandbox in this directory (`.soarform/sandbox.json`)"
        ),
        "{}",
        elsewhere.stderr
    );
    assert!(!test.path().join("elsewhere/.soarform").exists());
    // Where it was made, it applies.
    let applied = repo(&["apply", "--plan", "../plan.json"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(
        applied
            .stdout
            .contains("Apply complete: 0 created, 3 updated"),
        "{}",
        applied.stdout
    );
}

#[test]
fn a_saved_plan_remembers_its_target_when_none_is_given() {
    a_sandbox_plan_applies_with_no_target_given(
        &Test::new().write("incidents.yaml", incidents("first")),
    );
}

/// As in `examples/`, whose soarform.yaml names `region: us2`: a sandbox plan still goes to the
/// sandbox, with no credential; a target named for the run is compared with the plan's.
#[test]
fn a_sandbox_plan_goes_to_the_sandbox_whatever_soarform_yaml_names() {
    let test = Test::new()
        .write("soarform.yaml", "region: us2\n")
        .write("incidents.yaml", incidents("first"));
    a_sandbox_plan_applies_with_no_target_given(&test);
    // Another tenant named for this run is refused before any credential is looked for.
    let bare = Test::new()
        .env("SOARFORM_REGION", "eu")
        .args([
            "-C",
            test.path().to_str().unwrap(),
            "apply",
            "--plan",
            "plan.json",
        ])
        .run();
    assert_eq!(bare.code, 1, "{}", bare.combined());
    assert!(
        bare.stderr.contains("was made against the sandbox") && !bare.stderr.contains("credential"),
        "{}",
        bare.stderr
    );
    let test = test.env("SOARFORM_TOKEN", TOKEN);
    let elsewhere = run_with(&test, &["apply", "--plan", "plan.json", "--region", "eu"]);
    assert_eq!(elsewhere.code, 1, "{}", elsewhere.combined());
    assert!(
        elsewhere.stderr.contains("was made against"),
        "{}",
        elsewhere.stderr
    );
}

#[test]
fn broken_and_foreign_plan_files_are_refused_clearly() {
    let test = Test::new()
        .write("garbage.json", "{ not json")
        .write(
            "future.json",
            json!({"format_version": 2, "type": "plan"}).to_string(),
        )
        .write(
            "wrong.json",
            json!({"format_version": 1, "type": "plan", "objects": "no"}).to_string(),
        );
    for (file, expected) in [
        ("garbage.json", "`garbage.json` is not a soarform plan: key must be a string"),
        (
            "future.json",
            "`future.json` is a soarform plan this soarform cannot read: it has format version 2, and this soarform reads version 1",
        ),
        ("wrong.json", "`wrong.json` is not a soarform plan: at ``:"),
        ("missing.json", "cannot read the plan `missing.json`"),
    ] {
        let output = run_with(&test, &["apply", "--plan", file, "--sandbox"]);
        assert_eq!(output.code, 1, "{}", output.combined());
        assert!(output.stderr.contains(expected), "{file}: {}", output.stderr);
    }
    assert!(
        !test.path().join(".soarform").exists(),
        "nothing was started"
    );
}

#[test]
fn the_json_report_of_a_saved_plan_lists_refusals_with_their_drift() {
    let setup = Setup::new();
    std::fs::write(
        setup.test.path().join("incidents.yaml"),
        incidents("second"),
    )
    .unwrap();
    assert_eq!(
        setup
            .run(&["plan", "incidents.yaml", "--out", "plan.json"])
            .code,
        0
    );
    let c = incident_id(&setup.server, "saved/c");
    let (status, _) = call(
        &setup.server,
        "PUT",
        &format!("/api/csoar/v3/incidents/{c}/"),
        Some(&json!({"fields": {"description": "edited by hand"}})),
    );
    assert_eq!(status, 200);
    let applied = setup.run(&["apply", "--plan", "plan.json", "--format", "json"]);
    assert_eq!(applied.code, 4, "{}", applied.combined());
    let document: Value = serde_json::from_str(&applied.stdout).expect("one JSON document");
    assert_eq!(
        crate::formats::schema_violations(&document),
        Vec::<String>::new()
    );
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(setup.test.path().join("plan.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(document["salt"], saved["salt"]);
    let outcomes: Vec<&Value> = document["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|object| &object["outcome"])
        .collect();
    assert_eq!(outcomes[0]["status"], "updated");
    assert_eq!(outcomes[1]["status"], "updated");
    assert_eq!(
        outcomes[2],
        &json!({
            "status": "refused",
            "id": c,
            "reason": "changed since the plan",
            "drift": [{"label": "Description", "sensitive": false, "planned": "first c", "now": "edited by hand"}]
        })
    );
    assert_eq!(
        document["result"],
        json!({"complete": false, "created": 0, "updated": 2, "unchanged": 0, "failed": 0, "refused": 1, "already_applied": 0})
    );
}

#[test]
fn an_object_whose_planned_change_was_made_by_hand_along_with_another_edit_is_refused() {
    let setup = Setup::new();
    std::fs::write(
        setup.test.path().join("incidents.yaml"),
        incidents("first").replace("status: Open", "status: Closed"),
    )
    .unwrap();
    assert_eq!(
        setup
            .run(&["plan", "incidents.yaml", "--out", "plan.json"])
            .code,
        0
    );
    // Someone closes a by hand (the planned change) and also rewrites its description.
    let a = incident_id(&setup.server, "saved/a");
    let (status, _) = call(
        &setup.server,
        "PUT",
        &format!("/api/csoar/v3/incidents/{a}/"),
        Some(&json!({"fields": {"status": 4, "description": "rewritten by hand"}})),
    );
    assert_eq!(status, 200);
    let applied = setup.run(&["apply", "--plan", "plan.json"]);
    assert_eq!(applied.code, 4, "{}", applied.combined());
    assert!(
        applied.stdout.contains(&format!(
            "! refused Incident saved/a (id {a}): changed since the plan\n    ~ Status: \"Open\" at plan time, now \"Closed\"\n    ~ Description: \"first a\" at plan time, now \"rewritten by hand\"\n"
        )),
        "{}",
        applied.stdout
    );
}

#[test]
fn absent_values_survive_a_saved_plan_into_the_json_report() {
    let setup = Setup::new();
    // Set a field none of the live incidents has.
    std::fs::write(
        setup.test.path().join("incidents.yaml"),
        incidents("first").replace(
            "  status: Open\n",
            "  status: Open\n  External ticket: T-1\n",
        ),
    )
    .unwrap();
    assert_eq!(
        setup
            .run(&["plan", "incidents.yaml", "--out", "plan.json"])
            .code,
        0
    );
    let applied = setup.run(&["apply", "--plan", "plan.json", "--format", "json"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let document: Value = serde_json::from_str(&applied.stdout).unwrap();
    assert_eq!(
        crate::formats::schema_violations(&document),
        Vec::<String>::new()
    );
    let change = &document["objects"][0]["changes"][0];
    assert_eq!(change["before"], Value::Null);
    assert!(
        change.as_object().unwrap().contains_key("before"),
        "{change}"
    );
}

#[test]
fn a_plan_listing_an_object_twice_is_refused_before_anything_is_sent() {
    let test = Test::new().write("incidents.yaml", incidents("first"));
    assert_eq!(
        run_with(
            &test,
            &["plan", "incidents.yaml", "--sandbox", "--out", "plan.json"]
        )
        .code,
        0
    );
    let mut document: Value =
        serde_json::from_str(&std::fs::read_to_string(test.path().join("plan.json")).unwrap())
            .unwrap();
    let first = document["objects"][0].clone();
    document["objects"].as_array_mut().unwrap().push(first);
    std::fs::write(test.path().join("twice.json"), document.to_string()).unwrap();
    let applied = run_with(&test, &["apply", "--plan", "twice.json", "--sandbox"]);
    assert_eq!(applied.code, 1, "{}", applied.combined());
    assert!(
        applied
            .stderr
            .contains("it lists incident `saved/a` twice; a plan holds each object once"),
        "{}",
        applied.stderr
    );
}

/// Creates, updates of every kind of value (text, a multi-line diff, a date, a choice, a list, a
/// number), a close and an untouched object: `show` of the saved plan prints what `plan` printed,
/// in text and Markdown, and the document itself as JSON, without contacting the tenant.
#[test]
fn show_renders_a_saved_plan_as_plan_showed_it() {
    let server = simulator();
    let first = "kind: Incident\nkey: show/one\ntemplate: Phishing\nfields:\n  status: Open\n  description: |\n    line one\n    line two\n  starttime: 2026-11-20T09:00:00Z\n  Tags: [phishing]\n  opt_5: 5\n---\nkind: Incident\nkey: show/gone\ntemplate: Phishing\n---\nkind: Incident\nkey: show/same\ntemplate: Malware\n";
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("soarform.yaml", "prune_scope: [\"show/**\"]\n")
        .write("objects.yaml", first);
    let applied = run_against(&test, &server, &["apply", ".", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let second = "kind: Incident\nkey: show/one\ntemplate: Phishing\nfields:\n  status: Closed\n  description: |\n    line one\n    line 2\n  starttime: 2026-11-21T10:30:00Z\n  Tags: [phishing, \"09:00\"]\n  opt_5: 6.5\n---\nkind: Incident\nkey: show/new\ntemplate: Phishing\nfields:\n  additional_info: \"Said \\\"hi\\\".\"\n---\nkind: Incident\nkey: show/same\ntemplate: Malware\n";
    let test = test.write("objects.yaml", second);
    for format in ["text", "markdown"] {
        let planned = run_against(
            &test,
            &server,
            &[
                "plan",
                ".",
                "--prune",
                "--format",
                format,
                "--out",
                "plan.json",
            ],
        );
        assert_eq!(planned.code, 0, "{}", planned.combined());
        assert!(planned.stdout.contains("show/gone"), "{}", planned.stdout);
        // No connection flags, no credentials: nothing is contacted.
        let shown = Test::new()
            .args([
                "show".to_string(),
                test.path().join("plan.json").display().to_string(),
                "--format".into(),
                format.into(),
            ])
            .run();
        assert_eq!(shown.code, 0, "{}", shown.combined());
        assert_eq!(shown.stdout, planned.stdout, "show --format {format}");
        assert!(
            shown.stderr.contains("soarform apply --plan"),
            "{}",
            shown.stderr
        );
    }
    let saved = std::fs::read_to_string(test.path().join("plan.json")).unwrap();
    let json = Test::new()
        .args([
            "show".to_string(),
            test.path().join("plan.json").display().to_string(),
            "--format".into(),
            "json".into(),
        ])
        .run();
    assert_eq!(json.code, 0, "{}", json.combined());
    let shown: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(shown, serde_json::from_str::<Value>(&saved).unwrap());
    assert!(
        !json.stderr.contains("limited this plan"),
        "{}",
        json.stderr
    );
    // A plan limited by --target and --shard says so when shown, as plan said it.
    let partial = run_against(
        &test,
        &server,
        &[
            "plan",
            ".",
            "--target",
            "incident:show/**",
            "--shard",
            "1/1",
            "--out",
            "partial.json",
        ],
    );
    assert_eq!(partial.code, 0, "{}", partial.combined());
    let shown = run_with(&test, &["show", "partial.json"]);
    assert_eq!(shown.code, 0, "{}", shown.combined());
    assert!(
        shown.stderr.contains(
            "note: --target 'incident:show/**' --shard 1/1 limited this plan: declared objects outside it were not compared"
        ),
        "{}",
        shown.stderr
    );
    let missing = Test::new().args(["show", "no-such-plan.json"]).run();
    assert_eq!(missing.code, 1, "{}", missing.combined());
    assert!(
        missing.stderr.contains("cannot read the plan"),
        "{}",
        missing.stderr
    );
}
