//! Bad input: every case is reported with its position, exits 1, and sends nothing to the API.
//!
//! Each case runs `plan` against a live simulator (which must receive no request at all) and
//! `validate` (which must report the same problem).

use crate::snapshot;
use crate::support::binary::{Output, Test};
use crate::support::{simulator, TOKEN};

/// Runs `validate` and `plan` on the files and checks both report every expected fragment.
fn rejects(files: &[(&str, &[u8])], expected: &[&str]) -> Output {
    let server = simulator();
    let mut test = Test::new();
    for (path, content) in files {
        test = test.write(path, content);
    }
    let test = test.env("SOARFORM_TOKEN", TOKEN).args([
        "plan",
        ".",
        "--url",
        &server.url(),
        "--api",
        "v3",
    ]);
    let planned = test.run();
    assert_eq!(planned.code, 1, "{}", planned.combined());
    assert!(
        server.requests().is_empty(),
        "the simulator received {:?}",
        server.requests()
    );
    let validated = test.args(["validate", "."]).run();
    assert_eq!(validated.code, 1, "{}", validated.combined());
    for fragment in expected {
        assert!(
            validated.stderr.contains(fragment),
            "expected `{fragment}` in:\n{}",
            validated.stderr
        );
        assert!(
            planned.stderr.contains(fragment),
            "expected `{fragment}` in:\n{}",
            planned.stderr
        );
    }
    assert!(validated.stdout.is_empty(), "{}", validated.stdout);
    validated
}

const VALID: &str = "kind: Incident\nkey: ok/one\ntemplate: Phishing\nfields:\n  status: Open\n";

#[test]
fn the_examples_are_valid() {
    let output = Test::new()
        .with_examples()
        .args(["validate", "examples"])
        .run();
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(
        output.stderr.contains("12 incidents, 4 triage items"),
        "{}",
        output.stderr
    );
}

#[test]
fn yaml_syntax_error() {
    let output = rejects(
        &[("a.yaml", b"kind: Incident\nkey: [unclosed\n")],
        &["a.yaml:2:15"],
    );
    snapshot!(output);
}

#[test]
fn wrong_type() {
    let output = rejects(
        &[(
            "a.yaml",
            b"kind: Incident\nkey: x/one\ntemplate: Phishing\nfields: [1, 2]\n",
        )],
        &["a.yaml:4:9", "fields"],
    );
    snapshot!(output);
}

#[test]
fn unknown_top_level_key() {
    let output = rejects(
        &[(
            "a.yaml",
            b"kind: Incident\nkey: x/one\ntemplate: Phishing\nfeilds:\n  status: Open\n",
        )],
        &["a.yaml:4:1", "feilds", "fields"],
    );
    snapshot!(output);
}

#[test]
fn missing_kind() {
    rejects(
        &[("a.yaml", b"key: x/one\nfields: {}\n")],
        &["a.yaml:1:1", "kind"],
    );
}

#[test]
fn missing_key() {
    rejects(
        &[("a.yaml", b"kind: TriageItem\nfields: {}\n")],
        &["a.yaml:1:7", "missing `key`"],
    );
}

#[test]
fn empty_key() {
    rejects(
        &[("a.yaml", b"kind: TriageItem\nkey: ''\nfields: {}\n")],
        &["a.yaml:2:6", "key"],
    );
}

#[test]
fn duplicate_key_inside_one_mapping() {
    let output = rejects(
        &[("a.yaml", b"kind: Incident\nkey: x/one\ntemplate: Phishing\nfields:\n  status: Open\n  status: Closed\n")],
        &["a.yaml:6:3", "status", "a.yaml:5:3"],
    );
    snapshot!(output);
}

#[test]
fn duplicate_key_across_files_names_both() {
    rejects(
        &[("a.yaml", VALID.as_bytes()), ("b/c.yaml", VALID.as_bytes())],
        &["ok/one", "a.yaml:2", "c.yaml:2"],
    );
}

#[test]
fn unknown_extends_target() {
    let output = rejects(
        &[(
            "a.yaml",
            b"kind: Template\nname: phishing-defaults\nfields: {}\n---\nkind: Incident\nkey: x/one\ntemplate: Phishing\nextends: phishing-default\nfields: {}\n",
        )],
        &["a.yaml:8:10", "phishing-default", "phishing-defaults"],
    );
    snapshot!(output);
}

#[test]
fn extends_cycle() {
    let output = rejects(
        &[(
            "a.yaml",
            b"kind: Template\nname: one\nextends: two\nfields: {}\n---\nkind: Template\nname: two\nextends: one\nfields: {}\n---\nkind: Incident\nkey: x/one\ntemplate: Phishing\nextends: one\nfields: {}\n",
        )],
        &["a.yaml:", "cycle", "one", "two"],
    );
    snapshot!(output);
}

#[test]
fn invalid_date() {
    let output = rejects(
        &[("a.yaml", b"kind: Incident\nkey: x/one\ntemplate: Phishing\nfields:\n  starttime: 2026-13-45T09:00:00Z\n")],
        &["a.yaml:5:14", "2026-13-45T09:00:00Z"],
    );
    snapshot!(output);
}

#[test]
fn non_utf8_file() {
    rejects(
        &[("a.yaml", b"kind: Incident\nkey: x/\xff\xfe\n")],
        &["a.yaml", "UTF-8"],
    );
}

#[test]
fn alias_bomb_is_refused() {
    let mut bomb = String::from("kind: Incident\nkey: x/one\ntemplate: Phishing\nfields:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let previous = level - 1;
        bomb.push_str(&format!(
            "  a{level}: &a{level} [*a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}]\n"
        ));
    }
    let output = rejects(&[("a.yaml", bomb.as_bytes())], &["a.yaml:", "alias"]);
    assert!(
        output.stderr.len() < 10_000,
        "the refusal must be short, not an expansion"
    );
}

#[test]
fn oversized_file_is_refused() {
    let mut big = String::from(VALID);
    big.push_str("# padding\n");
    while big.len() <= 9 * 1024 * 1024 {
        big.push_str(
            "# ................................................................................\n",
        );
    }
    rejects(&[("big.yaml", big.as_bytes())], &["big.yaml", "MiB"]);
}

#[test]
fn absurdly_deep_nesting_is_refused() {
    let depth = 100_000;
    let deep = format!(
        "kind: Incident\nkey: x/one\nfields:\n  deep: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    rejects(&[("deep.yaml", deep.as_bytes())], &["deep.yaml:4:", "nest"]);
}

#[test]
fn a_list_document_is_an_error() {
    rejects(
        &[("a.yaml", b"- kind: Incident\n- key: x\n")],
        &["a.yaml:1:1", "mapping"],
    );
}

#[test]
fn a_null_document_is_an_error() {
    rejects(
        &[("a.yaml", format!("{VALID}---\n---\n").as_bytes())],
        &["a.yaml:6", "mapping"],
    );
}

#[test]
fn every_problem_in_every_file_is_reported_in_one_run() {
    let output = rejects(
        &[
            ("a.yaml", b"kind: Incident\nkey: ''\n"),
            ("b.yaml", b"kind: Nonsense\nkey: x/two\n"),
            (
                "c.yaml",
                b"kind: TriageItem\nkey: x/three\nfields:\n  status: New\n  status: New\n",
            ),
        ],
        &["a.yaml:2:6", "b.yaml:1:7", "c.yaml:5:3"],
    );
    assert!(
        output.stderr.contains("problems found"),
        "{}",
        output.stderr
    );
    snapshot!(output);
}

/// A repository with other YAML next to the desired state: CI files and docs.
fn repository_with_other_yaml(project_file: &str) -> Test {
    Test::new()
        .write("soarform.yaml", project_file)
        .write("incidents/one.yaml", VALID)
        .write(
            "ci/pipeline.yml",
            "stages: [test]\ntest:\n  script: cargo test\n",
        )
        .write("ci/templates/deploy.yaml", "- deploy\n")
        .write("docs/mkdocs.yml", "site_name: SOC runbooks\n")
        .write("docs/guide/nav.yml", "nav:\n  - home\n")
}

#[test]
fn exclude_skips_other_yaml_while_walking() {
    let test = repository_with_other_yaml("exclude: [ci, \"docs/**/*.yml\"]\n");
    for args in [vec!["validate"], vec!["validate", "."]] {
        let output = test.run_args(&args.iter().map(ToString::to_string).collect::<Vec<_>>());
        assert_eq!(output.code, 0, "{args:?}: {}", output.combined());
        assert!(
            output
                .stderr
                .contains("1 file valid: 1 incident, 0 triage items."),
            "{args:?}: {}",
            output.stderr
        );
    }
    // A file named on the command line is skipped too when a pattern matches it (a pre-commit
    // hook names every changed YAML file).
    let output = test.run_args(&["validate".to_string(), "ci/pipeline.yml".to_string()]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(output.stderr.contains("0 files valid"), "{}", output.stderr);
}

#[test]
fn without_exclude_other_yaml_is_reported() {
    let test = repository_with_other_yaml("# no exclusions\n");
    let output = test.run_args(&["validate".to_string()]);
    assert_eq!(output.code, 1, "{}", output.combined());
    for file in [
        "ci/pipeline.yml:1:1",
        "ci/templates/deploy.yaml:1:1",
        "docs/mkdocs.yml:1:1",
        "docs/guide/nav.yml:1:1",
    ] {
        assert!(
            output.stderr.contains(file),
            "expected `{file}` in:\n{}",
            output.stderr
        );
    }
    snapshot!(output);
}

#[test]
fn an_invalid_exclude_pattern_is_reported_in_the_project_file() {
    let output = Test::new()
        .write("soarform.yaml", "exclude:\n  - ci\n  - \"docs/[a\"\n")
        .write("a.yaml", VALID)
        .args(["validate"])
        .run();
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("soarform.yaml:3:5"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("invalid `exclude` pattern `docs/[a`"),
        "{}",
        output.stderr
    );
    snapshot!(output);
}

#[test]
fn ignore_changes_must_be_a_list() {
    let output = rejects(
        &[(
            "a.yaml",
            b"kind: Incident\nkey: x/one\ntemplate: Phishing\nignore_changes: status\n",
        )],
        &["a.yaml:4:17", "`ignore_changes` must be a list"],
    );
    snapshot!(output);
}

#[test]
fn validate_never_contacts_the_tenant_even_when_one_is_configured() {
    // A soarform.yaml that points at a live simulator, with a token in the environment: validate
    // still sends it nothing, for valid files as for invalid ones.
    let server = simulator();
    let project = format!("url: {}\napi: v3\n", server.url());
    for (document, code) in [
        (VALID, 0),
        ("kind: Incident\nkey: bad/one\ntmplate: Phishing\n", 1),
    ] {
        let output = Test::new()
            .write("soarform.yaml", project.as_bytes())
            .write("a.yaml", document.as_bytes())
            .env("SOARFORM_TOKEN", TOKEN)
            .args(["validate", "."])
            .run();
        assert_eq!(output.code, code, "{}", output.combined());
        assert!(
            server.requests().is_empty(),
            "validate sent {:?}",
            server.requests()
        );
    }
}

/// Every violation of the SARIF 2.1.0 schema (tests/fixtures/README.md says where it is from).
fn sarif_violations(log: &serde_json::Value) -> Vec<String> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sarif-schema-2.1.0.json"),
    )
    .unwrap()
    // The published schema's `language` pattern has a stray `]`, which a strict ECMA-262
    // check of the schema itself refuses; the pattern as meant.
    .replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(log)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

const TWO_PROBLEMS: &str = "kind: Incident\nkey: bad/one\ntemplate: Phishing\ncolour: red\n---\nkind: Incident\nkey: \"\"\ntemplate: Phishing\n";

#[test]
fn validate_reports_problems_as_json_github_annotations_and_sarif() {
    let test = Test::new().write("incidents/bad, one.yaml", TWO_PROBLEMS);
    let text = test.run_args(&["validate".into(), ".".into()]);
    assert_eq!(text.code, 1, "{}", text.combined());
    assert!(
        text.stderr.contains("error: 2 problems found"),
        "{}",
        text.stderr
    );
    let problems = 2;

    let json = test.run_args(&[
        "validate".into(),
        ".".into(),
        "--format".into(),
        "json".into(),
    ]);
    assert_eq!(json.code, 1, "{}", json.combined());
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["valid"], false);
    let findings = document["findings"].as_array().unwrap();
    assert_eq!(findings.len(), problems, "{document:#}");
    for finding in findings {
        assert_eq!(finding["file"], "incidents/bad, one.yaml", "{finding}");
        assert!(finding["line"].as_u64().unwrap() >= 1 && finding["column"].as_u64().unwrap() >= 1);
        assert_eq!(finding["rule"], "soarform/validate");
    }

    let github = test.run_args(&[
        "validate".into(),
        ".".into(),
        "--format".into(),
        "github".into(),
    ]);
    assert_eq!(github.code, 1, "{}", github.combined());
    let lines: Vec<&str> = github.stdout.lines().collect();
    assert_eq!(lines.len(), problems, "{}", github.stdout);
    for (line, finding) in lines.iter().zip(findings) {
        let prefix = format!(
            "::error file=incidents/bad%2C one.yaml,line={},col={},title=soarform validate::",
            finding["line"], finding["column"]
        );
        assert!(line.starts_with(&prefix), "{line}\nexpected {prefix}");
        assert!(!line.contains('\n'));
    }

    let sarif = test.run_args(&[
        "validate".into(),
        ".".into(),
        "--format".into(),
        "sarif".into(),
    ]);
    assert_eq!(sarif.code, 1, "{}", sarif.combined());
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(sarif_violations(&log), Vec::<String>::new(), "{log:#}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), problems);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "incidents/bad%2C%20one.yaml"
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        findings[0]["line"]
    );
}

#[test]
fn valid_files_report_no_findings_in_every_format() {
    let test = Test::new().write("ok.yaml", VALID);
    let json = test.run_args(&["validate".into(), "--format".into(), "json".into()]);
    assert_eq!(json.code, 0, "{}", json.combined());
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["valid"], true);
    assert_eq!(document["incidents"], 1);
    assert_eq!(document["findings"], serde_json::json!([]));
    let github = test.run_args(&["validate".into(), "--format".into(), "github".into()]);
    assert_eq!((github.code, github.stdout.as_str()), (0, ""));
    let sarif = test.run_args(&["validate".into(), "--format".into(), "sarif".into()]);
    assert_eq!(sarif.code, 0, "{}", sarif.combined());
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(sarif_violations(&log), Vec::<String>::new());
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    // A problem of soarform.yaml itself is a finding too, at its place.
    let bad_project = test.write("soarform.yaml", "tenant:\n  timezone: Mars/Olympus\n");
    let json = bad_project.run_args(&["validate".into(), "--format".into(), "json".into()]);
    assert_eq!(json.code, 1, "{}", json.combined());
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        document["findings"][0]["file"], "soarform.yaml",
        "{document:#}"
    );
    assert_eq!(document["findings"][0]["line"], 2, "{document:#}");
}

#[test]
fn fmt_check_reports_files_not_in_canonical_form_at_their_first_difference() {
    let test = Test::new()
        .write(
            "a.yaml",
            "kind: Incident\nkey: fmt/a\ntemplate: Phishing\nfields:\n  status:   Open\n",
        )
        .write("b.yaml", VALID);
    let github = test.run_args(&[
        "fmt".into(),
        "--check".into(),
        "--format".into(),
        "github".into(),
    ]);
    assert_eq!(github.code, 1, "{}", github.combined());
    assert_eq!(
        github.stdout,
        "::error file=a.yaml,line=5,col=1,title=soarform fmt::not in canonical form%0Ahelp: run `soarform fmt a.yaml`\n"
    );
    let sarif = test.run_args(&[
        "fmt".into(),
        "--check".into(),
        "--format".into(),
        "sarif".into(),
    ]);
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(sarif_violations(&log), Vec::<String>::new(), "{log:#}");
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "soarform/fmt");
    // Nothing was written by --check; without it, JSON lists what was rewritten.
    let json = test.run_args(&["fmt".into(), "--format".into(), "json".into()]);
    assert_eq!(json.code, 0, "{}", json.combined());
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        document["rewritten"],
        serde_json::json!(["a.yaml"]),
        "{document:#}"
    );
    let again = test.run_args(&[
        "fmt".into(),
        "--check".into(),
        "--format".into(),
        "json".into(),
    ]);
    assert_eq!(again.code, 0, "{}", again.combined());
}

/// What a pre-commit hook does: every changed YAML file by name, the project file and excluded
/// files among them, a document extending a template of a file not named.
#[test]
fn files_named_one_by_one_skip_exclusions_and_extend_templates_of_the_whole_project() {
    let test = Test::new()
        .write("soarform.yaml", "exclude: [ci]\n")
        .write(
            "templates/defaults.yaml",
            "kind: Template\nname: base\ntemplate: Phishing\nfields:\n  status: Open\n",
        )
        .write(
            "incidents/a.yaml",
            "kind: Incident\nkey: hook/a\nextends: base\n",
        )
        .write("ci/pipeline.yaml", "stages: [plan]\n")
        .write("other/broken.yaml", "kind: Incident\nkey: [not, a, key]\n");
    let named = |files: &[&str]| {
        let mut args = vec!["validate".to_string()];
        args.extend(files.iter().map(|file| file.to_string()));
        test.run_args(&args)
    };
    let hook = named(&["incidents/a.yaml", "ci/pipeline.yaml", "soarform.yaml"]);
    assert_eq!(hook.code, 0, "{}", hook.combined());
    assert!(
        hook.stderr.contains("1 file valid: 1 incident"),
        "{}",
        hook.stderr
    );
    // A broken file not named is not this run's business; named, it is.
    let broken = named(&["incidents/a.yaml", "other/broken.yaml"]);
    assert_eq!(broken.code, 1, "{}", broken.combined());
    assert!(
        broken.stderr.contains("other/broken.yaml"),
        "{}",
        broken.stderr
    );
    // fmt skips the same files.
    let fmt = test.run_args(&[
        "fmt".into(),
        "--check".into(),
        "incidents/a.yaml".into(),
        "ci/pipeline.yaml".into(),
    ]);
    assert_eq!(fmt.code, 0, "{}", fmt.combined());
    // Without a project file there is no project to look in: the template must be named too.
    let alone = Test::new()
        .write(
            "templates/defaults.yaml",
            "kind: Template\nname: base\ntemplate: Phishing\n",
        )
        .write(
            "incidents/a.yaml",
            "kind: Incident\nkey: hook/a\nextends: base\n",
        );
    let unknown = alone.run_args(&["validate".into(), "incidents/a.yaml".into()]);
    assert_eq!(unknown.code, 1, "{}", unknown.combined());
    assert!(
        unknown.stderr.contains("unknown template `base`"),
        "{}",
        unknown.stderr
    );
}

/// A folder inside the project (`validate incidents/`, `plan incidents/phishing`, or a run from
/// inside it) is a part of the project: its documents extend templates kept elsewhere, and a key
/// it declares must not be declared by another file.
#[test]
fn a_folder_inside_the_project_extends_its_templates_and_shares_its_keys() {
    let test = Test::new()
        .write("soarform.yaml", "exclude: [ci]\n")
        .write(
            "templates/defaults.yaml",
            "kind: Template\nname: base\ntemplate: Phishing\nfields:\n  status: Open\n",
        )
        .write(
            "incidents/phishing/a.yaml",
            "kind: Incident\nkey: folder/a\nextends: base\n",
        )
        .write(
            "incidents/malware/b.yaml",
            "kind: Incident\nkey: folder/b\nextends: base\n",
        );
    for run in [
        vec!["validate", "incidents/"],
        vec!["validate", "incidents/phishing"],
        vec!["-C", "incidents/phishing", "validate"],
    ] {
        let output = test.run_args(&run.iter().map(|arg| arg.to_string()).collect::<Vec<_>>());
        assert_eq!(output.code, 0, "{run:?}: {}", output.combined());
    }
    let planned = test.run_args(&[
        "plan".into(),
        "incidents/phishing".into(),
        "--sandbox".into(),
    ]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(
        planned.stdout.contains("+ create Incident folder/a")
            && !planned.stdout.contains("folder/b"),
        "{}",
        planned.stdout
    );

    // Another folder declares `folder/a` too: a run of either part says so, at the part read.
    let test = test.write(
        "incidents/malware/copy.yaml",
        "kind: Incident\nkey: folder/a\nextends: base\n",
    );
    for (run, read, other) in [
        (
            vec!["validate", "incidents/phishing"],
            "incidents/phishing/a.yaml:2:6",
            "incidents/malware/copy.yaml:2:6",
        ),
        (
            vec!["validate", "incidents/malware/copy.yaml"],
            "incidents/malware/copy.yaml:2:6",
            "incidents/phishing/a.yaml:2:6",
        ),
    ] {
        let output = test.run_args(&run.iter().map(|arg| arg.to_string()).collect::<Vec<_>>());
        assert_eq!(output.code, 1, "{run:?}: {}", output.combined());
        for said in [
            "duplicate incident key `folder/a`".to_string(),
            format!("--> {read}"),
            format!("also defined at {other}, a file of the project not read by this run"),
        ] {
            assert!(
                output.stderr.contains(&said),
                "{run:?}: {said}: {}",
                output.stderr
            );
        }
    }
    let planned = test.run_args(&[
        "plan".into(),
        "incidents/phishing".into(),
        "--sandbox".into(),
    ]);
    assert_eq!(planned.code, 1, "{}", planned.combined());

    // A folder with a soarform.yaml of its own is another project: its keys are its own.
    std::fs::remove_file(test.path().join("incidents/malware/copy.yaml")).unwrap();
    let test = test.write("nested/soarform.yaml", "region: eu\n").write(
        "nested/a.yaml",
        "kind: Incident\nkey: folder/a\ntemplate: Phishing\n",
    );
    let output = test.run_args(&["validate".into(), "incidents/phishing".into()]);
    assert_eq!(output.code, 0, "{}", output.combined());
}

#[test]
fn the_pre_commit_hooks_run_soarform_on_yaml_files() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let hooks = &yaml_rust2::YamlLoader::load_from_str(&text).unwrap()[0];
    let ids: Vec<&str> = hooks
        .as_vec()
        .unwrap()
        .iter()
        .map(|hook| hook["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["soarform-validate", "soarform-fmt"]);
    for hook in hooks.as_vec().unwrap() {
        let entry = hook["entry"].as_str().unwrap();
        let command = entry.strip_prefix("soarform ").unwrap();
        // The entry is a command soarform has.
        let help = Test::new().args([command, "--help"]).run();
        assert_eq!(help.code, 0, "{entry}: {}", help.combined());
        assert_eq!(hook["language"].as_str(), Some("rust"));
        assert_eq!(hook["files"].as_str(), Some(r"\.ya?ml$"));
        assert!(hook["name"].as_str().is_some() && hook["description"].as_str().is_some());
    }
}

/// GitHub places annotations, and code scanning SARIF results, by path from the repository's
/// root: a project in a subdirectory (`SOARFORM_DIR: soar`) names its files from there.
#[test]
fn annotations_name_files_from_the_repository_root() {
    let test = Test::new()
        .write(".git/HEAD", "ref: refs/heads/main\n")
        .write("soar/soarform.yaml", "tenant:\n  timezone: Mars/Olympus\n")
        .write("soar/incidents/bad.yaml", "kind: Incident\nkey: \"\"\n");
    let soar = test.path().join("soar").display().to_string();
    let github = test.run_args(&[
        "-C".into(),
        soar.clone(),
        "validate".into(),
        "--format".into(),
        "github".into(),
    ]);
    assert_eq!(github.code, 1, "{}", github.combined());
    assert!(
        github
            .stdout
            .contains("::error file=soar/soarform.yaml,line=2,"),
        "{}",
        github.stdout
    );
    // Files named one by one: the project file's problem too, never an absolute path.
    let named = test.run_args(&[
        "-C".into(),
        soar,
        "validate".into(),
        "incidents/bad.yaml".into(),
        "--format".into(),
        "sarif".into(),
    ]);
    let log: serde_json::Value = serde_json::from_str(&named.stdout).unwrap();
    let uris: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(uris, ["soar/soarform.yaml"], "{log:#}");
    // And a document's problem, once the project file is right.
    let fixed = test.write("soar/soarform.yaml", "exclude: [ci]\n");
    let github = fixed.run_args(&[
        "-C".into(),
        fixed.path().join("soar").display().to_string(),
        "validate".into(),
        "--format".into(),
        "github".into(),
    ]);
    assert!(
        github
            .stdout
            .contains("::error file=soar/incidents/bad.yaml,line=2,"),
        "{}",
        github.stdout
    );
}
