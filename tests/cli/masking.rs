//! Secrets never leave soarform: sensitive field values, tokens and access keys are searched for in
//! every output of every format, in debug logs, and in saved plan files.

use serde_json::{json, Value};

use crate::support::binary::{Output, Test};
use crate::support::http::call;
use crate::support::{simulator, ACCESS_ID, ACCESS_KEY, TOKEN};

const OLD_SECRET: &str = "SECRET-OLD-c41d9e";
const NEW_SECRET: &str = "SECRET-NEW-7f3a92";
const CREATE_SECRET: &str = "SECRET-CREATE-55b1";

fn documents() -> String {
    format!(
        "kind: Incident\nkey: secret/existing\ntemplate: Phishing\nfields:\n  status: Open\n  External ticket: {NEW_SECRET}\n---\nkind: Incident\nkey: secret/new\ntemplate: Phishing\nfields:\n  status: Open\n  External ticket: |\n    {CREATE_SECRET}\n    second line\n"
    )
}

fn assert_clean(what: &str, text: &str) {
    for secret in [
        OLD_SECRET,
        NEW_SECRET,
        CREATE_SECRET,
        TOKEN,
        ACCESS_KEY,
        // The Basic header value would carry the key in base64.
        &base64_of_credentials(),
    ] {
        assert!(!text.contains(secret), "{what} leaks `{secret}`:\n{text}");
    }
}

fn base64_of_credentials() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{ACCESS_ID}:{ACCESS_KEY}"))
}

fn live_ticket(server: &soarform::sim::SimServer, key: &str) -> Value {
    server
        .incidents()
        .into_iter()
        .find(|incident| incident["fields"]["incidentid"]["value"] == key)
        .map(|incident| incident["fields"]["opt_2"]["value"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn sensitive_values_and_credentials_appear_in_no_output_and_no_plan_file() {
    let server = simulator();
    let (status, _) = call(
        &server,
        "POST",
        "/api/csoar/v3/incidents/",
        Some(
            &json!({"template_id": 1, "fields": {"incidentid": "secret/existing", "status": 1, "opt_2": OLD_SECRET}}),
        ),
    );
    assert_eq!(status, 201);
    let test = Test::new()
        .env("SUMO_ACCESS_ID", ACCESS_ID)
        .env("SUMO_ACCESS_KEY", ACCESS_KEY)
        .write("soarform.yaml", "sensitive_fields: [External ticket]\n")
        .write("incidents.yaml", documents());
    let url = server.url();
    let run = |args: &[&str]| -> Output {
        let mut all: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        all.extend([
            "--url".into(),
            url.clone(),
            "--api".into(),
            "v3".into(),
            "-vv".into(),
        ]);
        test.run_args(&all)
    };

    let text = run(&["plan", "."]);
    assert_eq!(text.code, 0, "{}", text.combined());
    assert!(
        text.stdout
            .contains("~ External ticket: (sensitive) -> (sensitive) (value changed)"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("+ External ticket: (sensitive)"));
    assert!(
        text.stderr.contains("POST /api/csoar/v3/incidents/search/"),
        "debug log on"
    );
    assert_clean("text plan", &text.combined());

    let json = run(&["plan", ".", "--format", "json", "--out", "plan.json"]);
    assert_eq!(json.code, 0, "{}", json.combined());
    assert_clean("JSON plan", &json.combined());
    let document: Value = serde_json::from_str(&json.stdout).unwrap();
    let change = &document["objects"][0]["changes"][0];
    assert_eq!(change["sensitive"], true, "{change}");
    assert!(change["after_hash"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));

    let saved = std::fs::read_to_string(test.path().join("plan.json")).unwrap();
    assert_clean("saved plan", &saved);

    let markdown = run(&["plan", ".", "--format", "markdown"]);
    assert_eq!(markdown.code, 0, "{}", markdown.combined());
    assert!(markdown.stdout.contains("(sensitive)"));
    assert_clean("Markdown plan", &markdown.combined());

    // Applying the saved plan takes the values from the files, checked against the saved hashes.
    let applied = run(&["apply", "--plan", "plan.json"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert_clean("apply of the saved plan", &applied.combined());
    assert_eq!(live_ticket(&server, "secret/existing"), NEW_SECRET);
    assert_eq!(
        live_ticket(&server, "secret/new"),
        format!("{CREATE_SECRET}\nsecond line\n")
    );

    // Someone changes the value in the UI: the JSON apply report says so without showing it.
    let (status, _) = call(
        &server,
        "PUT",
        "/api/csoar/v3/incidents/101/",
        Some(&json!({"fields": {"opt_2": OLD_SECRET}})),
    );
    assert_eq!(status, 200);
    let report = run(&["apply", ".", "--auto-approve", "--format", "json"]);
    assert_eq!(report.code, 0, "{}", report.combined());
    assert_clean("JSON apply", &report.combined());
    let markdown_report = run(&["apply", ".", "--auto-approve", "--format", "markdown"]);
    assert_clean("Markdown apply", &markdown_report.combined());
    for file in std::fs::read_dir(test.path()).unwrap() {
        let path = file.unwrap().path();
        if path.is_file()
            && path
                .file_name()
                .is_some_and(|name| name != "incidents.yaml")
        {
            assert_clean(
                &path.display().to_string(),
                &std::fs::read_to_string(&path).unwrap_or_default(),
            );
        }
    }
}

#[test]
fn a_saved_plan_is_refused_when_a_sensitive_value_in_the_files_changed_since() {
    let server = simulator();
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("soarform.yaml", "sensitive_fields: [opt_2]\n")
        .write("incidents.yaml", documents());
    let url = server.url();
    let run = |args: &[&str]| -> Output {
        let mut all: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        all.extend(["--url".into(), url.clone(), "--api".into(), "v3".into()]);
        test.run_args(&all)
    };
    assert_eq!(run(&["plan", ".", "--out", "plan.json"]).code, 0);
    std::fs::write(
        test.path().join("incidents.yaml"),
        documents().replace(NEW_SECRET, "SECRET-EDITED-0000"),
    )
    .unwrap();
    let applied = run(&["apply", "--plan", "plan.json"]);
    assert_eq!(applied.code, 4, "{}", applied.combined());
    assert!(
        applied.stdout.contains(
            "! refused Incident secret/existing: the desired value of its sensitive field `External ticket` differs from the planned one"
        ),
        "{}",
        applied.stdout
    );
    assert_clean("refusal", &applied.combined());
    assert_eq!(live_ticket(&server, "secret/existing"), Value::Null);
    assert_eq!(
        live_ticket(&server, "secret/new"),
        format!("{CREATE_SECRET}\nsecond line\n")
    );
}

#[test]
fn an_invalid_sensitive_value_is_reported_by_position_without_quoting_it() {
    let test = Test::new()
        .write(
            "soarform.yaml",
            "sensitive_fields: [Estimated loss (USD), Priority]\n",
        )
        .write(
            "incidents.yaml",
            "kind: Incident\nkey: secret/bad\ntemplate: Phishing\nfields:\n  Estimated loss (USD): SECRET-NUM-991\n  Priority: SECRET-OPT-772\n",
        );
    let output = test.run_args(&["plan".into(), ".".into(), "--sandbox".into()]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains(
            "incidents.yaml:5:25: the value of the sensitive field `Estimated loss (USD)` is not a valid number value (not shown)"
        ),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("incidents.yaml:6:13: the value of the sensitive field `Priority` is not a valid option value"));
    assert!(
        !output.combined().contains("SECRET-"),
        "{}",
        output.combined()
    );
}
