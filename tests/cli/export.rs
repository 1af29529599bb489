//! `soarform export`: objects made by hand through the API become canonical files that a plan
//! against the same tenant finds unchanged.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use soarform::sim::SimServer;

use crate::snapshot;
use crate::support::binary::{run_against, Test};
use crate::support::http::create_through_api;
use crate::support::{simulator, TOKEN};

const INCIDENTS: &str = "/api/csoar/v3/incidents/";
const TRIAGE: &str = "/api/csoar/v3/triage/";

/// What an analyst would have made in the UI: lookups by id, custom fields, multi-line text, text
/// that looks like a number, dates with offsets.
fn seed(server: &SimServer) {
    let incidents = [
        json!({"template_id": 1, "fields": {
            "incidentid": "phishing/ceo-wire-fraud",
            "description": "Wire-fraud attempt impersonating the CEO.\nThe CEO called back.\n",
            "starttime": "2026-11-20T10:00:00+01:00",
            "incident_kind": 1,
            "status": 2,
            "opt_2": "0042",
            "opt_3": "Finance",
            "opt_4": 3,
            "opt_5": 250000
        }}),
        json!({"template_id": 2, "fields": {
            "incidentid": "MAL/laptop-7",
            "incident_kind": 2,
            "status": 1,
            "priority": 3,
            "opt_3": "Engineering",
            "opt_5": 1200.5,
            "opt_6": "2026-11-21T10:30:00Z"
        }}),
        json!({"template_id": 3, "fields": {
            "incidentid": "login/odd-hours",
            "status": 1,
            "opt_1": "vpn-gw-2"
        }}),
    ];
    for body in &incidents {
        created(server, INCIDENTS, body);
    }
    let triage_items = [
        json!({"fields": {
            "type": 1,
            "status": 2,
            "opt_1": "okta-7731",
            "opt_2": "alice@example.com",
            "description": "Login from a new country.\n\nSecond login an hour later."
        }}),
        json!({"fields": {
            "type": 3,
            "status": 1,
            "opt_1": "phish-report-12",
            "opt_3": "Finance",
            "opt_4": "2026-11-19T08:15:00Z"
        }}),
    ];
    for body in &triage_items {
        created(server, TRIAGE, body);
    }
}

/// Creates an object through the API and returns its id.
fn created(server: &SimServer, path: &str, body: &Value) -> u64 {
    let answer = create_through_api(server, path, body);
    answer["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("create failed: {answer}"))
}

const EXPORTED_PATHS: &str = "\
repo/incidents/malware/mal-laptop-7.yaml
repo/incidents/untyped/login-odd-hours.yaml
repo/incidents/phishing/phishing-ceo-wire-fraud.yaml
repo/triage/suspicious-login/okta-7731.yaml
repo/triage/phishing-report/phish-report-12.yaml
";

const CEO_WIRE_FRAUD: &str = "\
# yaml-language-server: $schema=../../schemas/soarform.schema.json
kind: Incident
key: phishing/ceo-wire-fraud
template: Phishing
fields:
  description: |
    Wire-fraud attempt impersonating the CEO.
    The CEO called back.
  starttime: 2026-11-20T09:00:00Z
  incident_kind: Phishing
  status: In progress
  External ticket: \"0042\"
  Business unit: Finance
  Detection source: Email gateway
  Estimated loss (USD): 250000
";

fn test() -> Test {
    Test::new().env("SOARFORM_TOKEN", TOKEN)
}

fn export(test: &Test, server: &SimServer, args: &[&str]) -> crate::support::binary::Output {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    run_against(test, server, &all)
}

/// Asserts that a JSON plan creates and updates nothing. Objects soarform never wrote may be
/// adopted, which changes only the ownership marker (`Managed by`); any other field change fails.
fn assert_no_field_changes(plan: &str) {
    let plan: Value = serde_json::from_str(plan).expect("plan JSON");
    let objects = plan["objects"].as_array().expect("objects");
    assert!(!objects.is_empty(), "the plan compares nothing: {plan:#}");
    for object in objects {
        let action = object["action"].as_str().unwrap_or_default();
        assert!(
            action != "create" && action != "update",
            "{} {} would be {action}d: {object:#}",
            object["kind"],
            object["key"]
        );
        for change in object["changes"].as_array().expect("changes") {
            assert_eq!(
                change["label"], "Managed by",
                "{} {} has a field change: {change:#}",
                object["kind"], object["key"]
            );
        }
    }
}

/// Every file under `directory`, by path relative to it, with its bytes and modification time.
fn files(directory: &Path) -> BTreeMap<String, (Vec<u8>, SystemTime)> {
    let mut found = BTreeMap::new();
    for entry in walkdir::WalkDir::new(directory) {
        let entry = entry.expect("directory entry");
        if entry.file_type().is_file() {
            let relative = entry
                .path()
                .strip_prefix(directory)
                .expect("under the directory")
                .to_string_lossy()
                .into_owned();
            let metadata = entry.metadata().expect("metadata");
            let bytes = std::fs::read(entry.path()).expect("read file");
            found.insert(relative, (bytes, metadata.modified().expect("mtime")));
        }
    }
    found
}

fn searches(server: &SimServer) -> Vec<Value> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.path.ends_with("/search/"))
        .map(|request| request.body.unwrap_or(Value::Null))
        .collect()
}

#[test]
fn export_then_plan_shows_no_changes() {
    let server = simulator();
    seed(&server);
    let test = test();
    let exported = export(&test, &server, &["--out", "repo"]);
    assert_eq!(exported.code, 0, "{}", exported.combined());
    snapshot!("export_of_hand_made_objects", exported);
    assert_eq!(exported.stdout, EXPORTED_PATHS);
    let written = std::fs::read_to_string(
        test.path()
            .join("repo/incidents/phishing/phishing-ceo-wire-fraud.yaml"),
    )
    .expect("exported file");
    assert_eq!(written, CEO_WIRE_FRAUD);
    let triage = std::fs::read_to_string(
        test.path()
            .join("repo/triage/suspicious-login/okta-7731.yaml"),
    )
    .expect("exported file");
    assert_eq!(
        triage,
        "# yaml-language-server: $schema=../../schemas/soarform.schema.json\nkind: TriageItem\nkey: okta-7731\nfields:\n  type: Suspicious login\n  status: In progress\n  description: |-\n    Login from a new country.\n\n    Second login an hour later.\n  Reporter: alice@example.com\n"
    );
    // The schemas the modelines name, and a first project file naming the tenant.
    let schema =
        std::fs::read_to_string(test.path().join("repo/schemas/soarform.schema.json")).unwrap();
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/soarform.schema.json"),
    )
    .unwrap();
    assert_eq!(schema, shipped);
    let project = std::fs::read_to_string(test.path().join("repo/soarform.yaml")).unwrap();
    assert!(
        project.starts_with("# yaml-language-server: $schema=schemas/project.schema.json\n"),
        "{project}"
    );
    assert!(
        project.contains(&format!("\nurl: {}/\napi: v3\n", server.url())),
        "{project}"
    );
    assert!(!project.contains(crate::support::TOKEN), "{project}");
    // The export is valid and canonical as written, modelines included.
    let validated = test.run_args(&["validate".into(), "repo".into()]);
    assert_eq!(validated.code, 0, "{}", validated.combined());
    let canonical = test.run_args(&["fmt".into(), "--check".into(), "repo".into()]);
    assert_eq!(canonical.code, 0, "{}", canonical.combined());
    // One search per kind reads everything: no filter, every column.
    let bodies = searches(&server);
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    for body in &bodies {
        assert_eq!(body["filter"], "", "{body}");
        assert!(body.get("columns").is_none(), "{body}");
    }

    let plan = run_against(&test, &server, &["plan", "repo", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert_no_field_changes(&plan.stdout);
    let plan: Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert_eq!(plan["objects"].as_array().map(Vec::len), Some(5));
    // Made by hand, so each one comes under management visibly, with its creator.
    for object in plan["objects"].as_array().into_iter().flatten() {
        assert_eq!(object["action"], "adopt", "{object:#}");
        assert_eq!(object["adopted"]["created_by"], "api", "{object:#}");
    }

    // Applying records ownership and nothing else; then the plan is empty.
    let applied = run_against(&test, &server, &["apply", "repo", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let clean = run_against(&test, &server, &["plan", "repo", "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.combined());
    assert!(
        clean
            .stdout
            .contains("Plan: 0 to create, 0 to update, 5 unchanged."),
        "{}",
        clean.stdout
    );
}

#[test]
fn exporting_again_with_force_writes_the_same_bytes() {
    let server = simulator();
    seed(&server);
    let test = test().write("repo/notes.txt", "kept\n");
    let first = export(&test, &server, &["--out", "repo"]);
    assert_eq!(first.code, 0, "{}", first.combined());
    let before = files(&test.path().join("repo"));
    let second = export(&test, &server, &["--out", "repo", "--force"]);
    assert_eq!(second.code, 0, "{}", second.combined());
    assert_eq!(second.stdout, first.stdout);
    let after = files(&test.path().join("repo"));
    let contents = |files: &BTreeMap<String, (Vec<u8>, SystemTime)>| -> BTreeMap<String, Vec<u8>> {
        files
            .iter()
            .map(|(path, (bytes, _))| (path.clone(), bytes.clone()))
            .collect()
    };
    assert_eq!(contents(&after), contents(&before));
    // Files export does not produce are left alone.
    assert_eq!(after["notes.txt"].0, b"kept\n");
    // No temporary file is left behind: the documents, notes.txt, the two schemas and
    // soarform.yaml.
    assert_eq!(after.len(), 9, "{:?}", after.keys());
}

#[test]
fn existing_files_are_never_overwritten_without_force() {
    let server = simulator();
    seed(&server);
    let test = test();
    assert_eq!(export(&test, &server, &["--out", "repo"]).code, 0);
    // A hand edit, and a file removed: the refusal must leave both as they are.
    let edited = test
        .path()
        .join("repo/incidents/untyped/login-odd-hours.yaml");
    std::fs::write(&edited, "# edited by hand\n").expect("edit");
    std::fs::remove_file(
        test.path()
            .join("repo/triage/suspicious-login/okta-7731.yaml"),
    )
    .expect("remove");
    let before = files(&test.path().join("repo"));

    let refused = export(&test, &server, &["--out", "repo"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    snapshot!("export_refuses_to_overwrite", refused);
    assert_eq!(files(&test.path().join("repo")), before);
}

#[test]
fn kind_and_filter_select_what_is_exported() {
    let server = simulator();
    seed(&server);
    let test = test();

    let triage = export(
        &test,
        &server,
        &["--out", "triage-only", "--kind", "triage"],
    );
    assert_eq!(triage.code, 0, "{}", triage.combined());
    assert_eq!(
        triage.stdout,
        "triage-only/triage/suspicious-login/okta-7731.yaml\ntriage-only/triage/phishing-report/phish-report-12.yaml\n"
    );
    assert!(
        triage
            .stderr
            .contains("exported 2 triage items to `triage-only`\n"),
        "{}",
        triage.stderr
    );
    assert!(!test.path().join("triage-only/incidents").exists());

    let in_progress = export(
        &test,
        &server,
        &["--out", "busy", "--filter", r#"status:"In progress""#],
    );
    assert_eq!(in_progress.code, 0, "{}", in_progress.combined());
    assert_eq!(
        in_progress.stdout,
        "busy/incidents/phishing/phishing-ceo-wire-fraud.yaml\nbusy/triage/suspicious-login/okta-7731.yaml\n"
    );

    // Labels (with spaces) become API names; prefixes and `OR` pass through.
    let before = searches(&server).len();
    let finance = export(
        &test,
        &server,
        &[
            "--out",
            "finance",
            "--filter",
            r#"Business unit:"Fin*" OR Reporter:"nobody""#,
        ],
    );
    assert_eq!(finance.code, 0, "{}", finance.combined());
    assert_eq!(
        finance.stdout,
        "finance/incidents/phishing/phishing-ceo-wire-fraud.yaml\nfinance/triage/phishing-report/phish-report-12.yaml\n"
    );
    let mut filters: Vec<Value> = searches(&server)[before..]
        .iter()
        .map(|body| body["filter"].clone())
        .collect();
    filters.sort_by_key(ToString::to_string);
    assert_eq!(
        filters,
        vec![
            json!(r#"opt_3:"Fin*" OR opt_2:"nobody""#),
            json!(r#"opt_3:"Fin*""#)
        ]
    );

    // A filter on an incident-only field cannot match triage items: they are not searched.
    let before = searches(&server).len();
    let phishing = export(
        &test,
        &server,
        &["--out", "phishing", "--filter", r#"Kind:"Phishing""#],
    );
    assert_eq!(phishing.code, 0, "{}", phishing.combined());
    assert_eq!(
        phishing.stdout,
        "phishing/incidents/phishing/phishing-ceo-wire-fraud.yaml\n"
    );
    assert!(
        phishing.stderr.contains("note: no triage item was exported: `--filter` tests only fields triage items do not have (`Kind`)"),
        "{}",
        phishing.stderr
    );
    assert_eq!(searches(&server).len(), before + 1);
    snapshot!(triage);
}

#[test]
fn an_unknown_filter_field_is_an_error_before_any_search() {
    let server = simulator();
    seed(&server);
    let test = test();
    let output = export(
        &test,
        &server,
        &["--out", "repo", "--filter", r#"Busines unit:"Finance""#],
    );
    assert_eq!(output.code, 1, "{}", output.combined());
    snapshot!("export_unknown_filter_field", output);
    assert!(searches(&server).is_empty());
    assert!(!test.path().join("repo").exists());

    // Known to incidents only, but only triage items are asked for.
    let output = export(
        &test,
        &server,
        &[
            "--out",
            "repo",
            "--kind",
            "triage",
            "--filter",
            r#"incident_kind:"Phishing""#,
        ],
    );
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output
            .stderr
            .contains("error: `--filter`: unknown triage item field `incident_kind`"),
        "{}",
        output.stderr
    );
    assert!(searches(&server).is_empty());

    let output = export(
        &test,
        &server,
        &[
            "--out",
            "repo",
            "--filter",
            r#"status:"Open" AND priority:"High""#,
        ],
    );
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains(
            "error: invalid `--filter`: expected `OR` between terms, found `AND` at character 15"
        ),
        "{}",
        output.stderr
    );
    assert!(searches(&server).is_empty());
}

#[test]
fn objects_without_a_usable_key_are_skipped_with_their_ids() {
    let server = simulator();
    let keyless_incident = created(
        &server,
        INCIDENTS,
        &json!({"template_id": 6, "fields": {"status": 1, "opt_3": "Finance"}}),
    );
    let spaced_incident = created(
        &server,
        INCIDENTS,
        &json!({"template_id": 6, "fields": {"incidentid": "INC 7", "status": 1}}),
    );
    let first_duplicate = created(
        &server,
        INCIDENTS,
        &json!({"template_id": 6, "fields": {"incidentid": "dup/one", "status": 1}}),
    );
    let second_duplicate = created(
        &server,
        INCIDENTS,
        &json!({"template_id": 1, "fields": {"incidentid": "dup/one", "status": 4}}),
    );
    created(
        &server,
        INCIDENTS,
        &json!({"template_id": 6, "fields": {"incidentid": "kept", "status": 1}}),
    );
    let keyless_triage = created(
        &server,
        TRIAGE,
        &json!({"fields": {"type": 2, "opt_1": ""}}),
    );
    let test = test();
    let output = export(&test, &server, &["--out", "repo"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_eq!(output.stdout, "repo/incidents/untyped/kept.yaml\n");
    for expected in [
        format!("warning: 1 incident has no key in `Incident ID` (incidentid) and was not exported: id {keyless_incident}\n"),
        format!("warning: 1 incident has an invalid key in `Incident ID` (incidentid) and was not exported: id {spaced_incident} (`INC 7`)\n"),
        format!("warning: keys carried by more than one incident were not exported: `dup/one` (ids {first_duplicate} and {second_duplicate})\n"),
        format!("warning: 1 triage item has no key in `Source reference` (opt_1) and was not exported: id {keyless_triage}\n"),
        "exported 1 incident and 0 triage items to `repo`; skipped 5 (see the warnings above)\n".to_string(),
    ] {
        assert!(output.stderr.contains(&expected), "{expected}\nnot in:\n{}", output.stderr);
    }
    let plan = run_against(&test, &server, &["plan", "repo", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert_no_field_changes(&plan.stdout);
    snapshot!(output);
}

#[test]
fn keys_with_the_same_file_name_get_a_hash_of_the_key() {
    let server = simulator();
    for key in ["Case/A-1", "case/a-1", "case-a-1x"] {
        created(
            &server,
            INCIDENTS,
            &json!({"template_id": 1, "fields": {"incidentid": key, "incident_kind": 1}}),
        );
    }
    let test = test();
    let output = export(&test, &server, &["--out", "."]);
    assert_eq!(output.code, 0, "{}", output.combined());
    let hash = |key: &str| hex::encode(Sha256::digest(key.as_bytes()))[..8].to_string();
    assert_eq!(
        output.stdout,
        format!(
            "incidents/phishing/case-a-1-{}.yaml\nincidents/phishing/case-a-1x.yaml\nincidents/phishing/case-a-1-{}.yaml\n",
            hash("Case/A-1"),
            hash("case/a-1")
        )
    );
    assert!(
        output
            .stderr
            .contains("exported 3 incidents and 0 triage items to `.`\n"),
        "{}",
        output.stderr
    );
    let plan = run_against(&test, &server, &["plan", ".", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert_no_field_changes(&plan.stdout);
}

#[test]
fn a_key_already_exported_elsewhere_is_updated_in_place_never_written_twice() {
    let server = simulator();
    let id = created(
        &server,
        INCIDENTS,
        &json!({"template_id": 1, "fields": {"incidentid": "k/1", "incident_kind": 1, "status": 1}}),
    );
    let test = test();
    assert_eq!(export(&test, &server, &["--out", "repo"]).code, 0);
    let first = test.path().join("repo/incidents/phishing/k-1.yaml");
    assert!(first.is_file());
    // The team moved the file, and the incident's kind changed in the tenant since.
    let kept = test.path().join("repo/incidents/kept-here.yaml");
    std::fs::rename(&first, &kept).unwrap();
    let (status, body) = crate::support::http::call(
        &server,
        "PUT",
        &format!("{INCIDENTS}{id}/"),
        Some(&json!({"fields": {"incident_kind": 2}})),
    );
    assert_eq!(status, 200, "{body}");

    let refused = export(&test, &server, &["--out", "repo"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused.stderr.contains(
            "Incident `k/1` is declared in repo/incidents/kept-here.yaml (export would write repo/incidents/malware/k-1.yaml)"
        ),
        "{}",
        refused.stderr
    );
    assert!(!test.path().join("repo/incidents/malware").exists());

    let forced = export(&test, &server, &["--out", "repo", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.combined());
    assert!(!test.path().join("repo/incidents/malware").exists());
    assert!(std::fs::read_to_string(&kept)
        .unwrap()
        .contains("incident_kind: Malware"));
    let validated = test.run_args(&["validate".to_string(), "repo".to_string()]);
    assert_eq!(validated.code, 0, "{}", validated.combined());
}

/// Files and links under `directory` by relative path: bytes for files, the target for links.
#[cfg(unix)]
fn entries(directory: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for entry in walkdir::WalkDir::new(directory) {
        let entry = entry.expect("directory entry");
        let relative = entry
            .path()
            .strip_prefix(directory)
            .expect("under the directory")
            .to_string_lossy()
            .into_owned();
        if entry.path_is_symlink() {
            let target = std::fs::read_link(entry.path()).expect("read link");
            found.insert(relative, format!("-> {}", target.display()));
        } else if entry.file_type().is_file() {
            let text = std::fs::read_to_string(entry.path()).expect("read file");
            found.insert(relative, text);
        }
    }
    found
}

#[cfg(unix)]
#[test]
fn a_folder_linked_outside_out_is_refused_and_nothing_is_written() {
    let server = simulator();
    seed(&server);
    let test = test();
    std::fs::create_dir_all(test.path().join("elsewhere")).expect("create directory");
    std::fs::create_dir_all(test.path().join("repo")).expect("create directory");
    std::os::unix::fs::symlink("../elsewhere", test.path().join("repo/incidents"))
        .expect("symlink");
    let before = entries(test.path());

    let refused = export(&test, &server, &["--out", "repo"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert_eq!(refused.stdout, "");
    let real_elsewhere = test
        .path()
        .join("elsewhere")
        .canonicalize()
        .expect("canonical path");
    assert!(
        refused.stderr.contains(&format!(
            "error: cannot write the export under `repo`; nothing was written\n  `repo/incidents` is a symbolic link to `{}`, outside `repo`\nhint: export writes only inside `--out`",
            real_elsewhere.display()
        )),
        "{}",
        refused.stderr
    );
    // Said once for the folder, not once per file below it.
    assert_eq!(refused.stderr.matches("symbolic link").count(), 1);
    // Nothing outside, and no triage folder either: the refusal came before any write.
    assert_eq!(entries(test.path()), before);
    assert!(!test.path().join("repo/triage").exists());

    // A link that stays inside `--out` is followed.
    std::fs::remove_file(test.path().join("repo/incidents")).expect("remove link");
    std::fs::create_dir_all(test.path().join("repo/kept/incidents")).expect("create directory");
    std::os::unix::fs::symlink("kept/incidents", test.path().join("repo/incidents"))
        .expect("symlink");
    let exported = export(&test, &server, &["--out", "repo"]);
    assert_eq!(exported.code, 0, "{}", exported.combined());
    assert_eq!(exported.stdout, EXPORTED_PATHS);
    assert_eq!(
        std::fs::read_to_string(
            test.path()
                .join("repo/kept/incidents/phishing/phishing-ceo-wire-fraud.yaml")
        )
        .expect("exported through the link"),
        CEO_WIRE_FRAUD
    );
    assert!(std::fs::read_dir(test.path().join("elsewhere"))
        .expect("read directory")
        .next()
        .is_none());
}

#[cfg(unix)]
#[test]
fn force_never_overwrites_the_file_a_link_points_to_outside_out() {
    let server = simulator();
    seed(&server);
    let test = test().write("outside/secret.yaml", "not soarform's\n");
    assert_eq!(export(&test, &server, &["--out", "repo"]).code, 0);
    let exported = test
        .path()
        .join("repo/incidents/phishing/phishing-ceo-wire-fraud.yaml");
    std::fs::remove_file(&exported).expect("remove");
    std::os::unix::fs::symlink("../../../outside/secret.yaml", &exported).expect("symlink");
    let before = entries(test.path());
    let real_secret = test
        .path()
        .join("outside/secret.yaml")
        .canonicalize()
        .expect("canonical path");

    for args in [&["--out", "repo", "--force"][..], &["--out", "repo"][..]] {
        let refused = export(&test, &server, args);
        assert_eq!(refused.code, 1, "{args:?}: {}", refused.combined());
        assert_eq!(refused.stdout, "");
        assert!(
            refused.stderr.contains(&format!(
                "  `repo/incidents/phishing/phishing-ceo-wire-fraud.yaml` is a symbolic link to `{}`, outside `repo`\n",
                real_secret.display()
            )),
            "{args:?}: {}",
            refused.stderr
        );
        // The target, the link and every other exported file are as they were.
        assert_eq!(entries(test.path()), before, "{args:?}");
    }
    assert_eq!(
        std::fs::read_to_string(&real_secret).expect("read"),
        "not soarform's\n"
    );
}

#[test]
fn a_path_too_long_for_the_file_system_is_refused_before_anything_is_written() {
    let server = simulator();
    for key in ["a/short".to_string(), "k".repeat(200)] {
        created(
            &server,
            INCIDENTS,
            &json!({"template_id": 1, "fields": {"incidentid": key, "incident_kind": 1}}),
        );
    }
    let test = test();
    // Deep enough that the short key's file fits and the longest key's does not.
    let base = test
        .path()
        .canonicalize()
        .expect("canonical path")
        .as_os_str()
        .len();
    let short = "/incidents/phishing/a-short.yaml".len();
    let long = "/incidents/phishing/".len() + 200 + ".yaml".len();
    let limit = soarform::MAX_PATH_BYTES;
    let length = (limit - base - short + limit - base - long) / 2;
    let mut out = String::new();
    while out.len() < length {
        let room = (length - out.len()).min(201);
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&"d".repeat(room.saturating_sub(1).max(1)));
    }

    let refused = export(&test, &server, &["--out", &out]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert_eq!(refused.stdout, "");
    for fragment in [
        "; nothing was written\n",
        "bytes long; soarform writes paths of at most 4070 bytes\n",
        "hint: export to a directory with a shorter path (`--out DIR`)\n",
    ] {
        assert!(
            refused.stderr.contains(fragment),
            "{fragment}\nnot in:\n{}",
            refused.stderr
        );
    }
    assert!(!test.path().join("d").exists(), "a folder was created");
}

#[test]
fn searches_send_all_unless_the_tenant_section_turns_it_off() {
    // Sumo Logic's scripts send `"all": true` with every search (evidence: MCP `soar.py`), so
    // soarform does by default; `tenant.search_all: false` leaves it out.
    let server = simulator();
    seed(&server);
    let test = test();
    let exported = export(&test, &server, &["--out", "repo"]);
    assert_eq!(exported.code, 0, "{}", exported.combined());
    let bodies = searches(&server);
    assert!(!bodies.is_empty());
    for body in &bodies {
        assert_eq!(body["all"], json!(true), "{body}");
    }

    let before = bodies.len();
    let test = test.write("soarform.yaml", "tenant:\n  search_all: false\n");
    // The project now holds the first export: again into its folder, updating those files.
    let exported = export(&test, &server, &["--out", ".", "--force"]);
    assert_eq!(exported.code, 0, "{}", exported.combined());
    let bodies = searches(&server);
    assert!(bodies.len() > before);
    for body in &bodies[before..] {
        assert!(body.get("all").is_none(), "{body}");
    }
}

#[test]
fn an_export_out_of_the_repository_reads_and_copies_its_project_file() {
    // From inside a repository into a scratch directory, as the README's first-contact check
    // does: the project file of the working directory is read, and copied (less retirement) so
    // that a plan of the scratch directory reads the tenant the same way.
    let server = simulator();
    seed(&server);
    let project = format!(
        "# yaml-language-server: $schema=../schemas/project.schema.json\nurl: {}/\napi: v3\ntenant:\n  search_all: false\nprune_scope:\n- incident:**\n# every incident\n'prune': close\nclosing:\n  incident:\n    status: Closed\nexclude: ['**/phishing/**']\nmoved: [{{from: phishing/old, to: phishing/ceo-wire-fraud}}]\n",
        server.url()
    );
    let test = test().write("repo/soarform.yaml", &project);
    let exported = test.run_args(&[
        "-C".into(),
        "repo".into(),
        "export".into(),
        "--out".into(),
        "../scratch".into(),
        "--filter".into(),
        "incidentid:\"phishing/ceo-wire-fraud\"".into(),
    ]);
    assert_eq!(exported.code, 0, "{}", exported.combined());
    assert!(
        exported.stderr.contains("a copy of `soarform.yaml`"),
        "{}",
        exported.stderr
    );
    assert!(!exported.stderr.contains("warning"), "{}", exported.stderr);
    for body in searches(&server) {
        assert!(
            body.get("all").is_none(),
            "the export ignored tenant: {body}"
        );
    }
    let copy = std::fs::read_to_string(test.path().join("scratch/soarform.yaml")).unwrap();
    assert!(
        copy.starts_with("# yaml-language-server: $schema=schemas/project.schema.json\n# Copied by `soarform export` from "),
        "{copy}"
    );
    assert!(copy.contains("\ntenant:\n  search_all: false\n"), "{copy}");
    assert!(
        copy.contains("\nclosing:\n  incident:\n    status: Closed\n"),
        "{copy}"
    );
    for left_out in [
        "prune_scope:",
        "prune: close",
        "exclude:",
        "moved:",
        "every incident",
    ] {
        assert!(!copy.contains(left_out), "{left_out}: {copy}");
    }
    assert!(
        copy.contains("# Left out: prune_scope, prune, moved, exclude."),
        "{copy}"
    );

    // The plan of the scratch directory finds the tenant and its settings in the copy, and lists
    // neither the incidents left out of the export nor closes.
    let before = searches(&server).len();
    let plan = test.run_args(&[
        "plan".into(),
        "scratch".into(),
        "--format".into(),
        "json".into(),
    ]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert_no_field_changes(&plan.stdout);
    let plan: Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let objects = plan["objects"].as_array().expect("objects");
    assert_eq!(objects.len(), 1, "{plan:#}");
    assert_eq!(objects[0]["key"], "phishing/ceo-wire-fraud");
    let searched = searches(&server);
    assert!(searched.len() > before);
    for body in &searched[before..] {
        assert!(body.get("all").is_none(), "the plan ignored tenant: {body}");
    }

    // The project's settings change (as after `doctor`): exporting again into the same
    // directory reads them, not the old copy, and copies them anew.
    std::fs::write(
        test.path().join("repo/soarform.yaml"),
        project.replace("search_all: false", "search_all: true"),
    )
    .unwrap();
    let export_again = || {
        test.run_args(&[
            "-C".into(),
            "repo".into(),
            "export".into(),
            "--out".into(),
            "../scratch".into(),
            "--filter".into(),
            "incidentid:\"phishing/ceo-wire-fraud\"".into(),
            "--force".into(),
        ])
    };
    let again = export_again();
    assert_eq!(again.code, 0, "{}", again.combined());
    let copy = std::fs::read_to_string(test.path().join("scratch/soarform.yaml")).unwrap();
    assert!(copy.contains("\ntenant:\n  search_all: true\n"), "{copy}");
    assert_eq!(
        searches(&server).last().map(|body| body["all"].clone()),
        Some(json!(true))
    );
    // Once more, unchanged: said so.
    let same = export_again();
    assert_eq!(same.code, 0, "{}", same.combined());
    assert!(
        same.stderr
            .contains("scratch/soarform.yaml` is the copy of `soarform.yaml`, unchanged"),
        "{}",
        same.stderr
    );

    // Flags that choose the tenant make the copy suspect: said.
    let overridden = run_against(
        &test,
        &server,
        &[
            "-C", "repo", "export", "--out", "../other", "--kind", "triage",
        ],
    );
    assert_eq!(overridden.code, 0, "{}", overridden.combined());
    assert!(
        overridden
            .stderr
            .contains("is a copy of `soarform.yaml`, but this export's connection came from flags or the environment"),
        "{}",
        overridden.stderr
    );
}

#[test]
fn an_export_into_a_folder_of_a_project_that_declares_its_keys_elsewhere_is_refused() {
    // Writing them would declare each key twice in the project: every later validate and plan
    // of it would refuse them.
    let server = simulator();
    seed(&server);
    let test = test()
        .write("soarform.yaml", "exclude: [scratch]\n")
        .write(
            "incidents/ceo.yaml",
            "kind: Incident\nkey: phishing/ceo-wire-fraud\ntemplate: Phishing\n",
        )
        .write(
            "scratch/old.yaml",
            "kind: Incident\nkey: MAL/laptop-7\ntemplate: Malware\n",
        );
    let refused = export(&test, &server, &["--out", "exported"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused.stderr.contains(
            "1 exported key is already declared elsewhere in the project of `.`; nothing was written\n  Incident `phishing/ceo-wire-fraud` is declared in incidents/ceo.yaml, outside `exported` in the same project"
        ),
        "{}",
        refused.stderr
    );
    assert!(!test.path().join("exported").exists());
    // Into the project's folder, the file that declares it is updated where it is.
    let updated = export(&test, &server, &["--out", ".", "--force"]);
    assert_eq!(updated.code, 0, "{}", updated.combined());
    let validated = test.run_args(&["validate".into()]);
    assert_eq!(validated.code, 0, "{}", validated.combined());
}
