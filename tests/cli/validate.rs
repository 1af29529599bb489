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
    // A file named on the command line is read even when a pattern matches it.
    let output = test.run_args(&["validate".to_string(), "ci/pipeline.yml".to_string()]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("ci/pipeline.yml:1:1"),
        "{}",
        output.stderr
    );
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
