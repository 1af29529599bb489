//! `soarform fmt`: files rewritten in canonical form with their comments, `--check` for CI,
//! invalid files reported and left alone, and a second run that changes nothing.

use std::path::Path;
use std::time::SystemTime;

use crate::snapshot;
use crate::support::binary::{Output, Test};

/// A file in every way but the data far from canonical.
const MESSY: &str = r#"---
# yaml-language-server: $schema=../schemas/soarform.schema.json


# The CEO wire fraud of November.
key:   'phishing/ceo-wire-fraud'    # stable identity
fields:
    # What happened, for the SOC.
    description: "Wire-fraud attempt impersonating the CEO.\nAccounts Payable called back.\n"
    starttime: 2026-11-20T09:00:00Z   # a date, stays as written


    Business unit: Finance
    Estimated loss (USD): 48500
kind: Incident        # an incident
template: Phishing
extends: phishing-defaults
# End of the incident.

---   # The defaults it extends.
kind: Template
name: phishing-defaults
fields: {restriction: Low, incident_category: Email}
  # priority: High
"#;

/// [`MESSY`] in canonical form.
const MESSY_FORMATTED: &str = r#"# yaml-language-server: $schema=../schemas/soarform.schema.json

# The CEO wire fraud of November.
kind: Incident        # an incident
key: phishing/ceo-wire-fraud        # stable identity
template: Phishing
extends: phishing-defaults
fields:
  # What happened, for the SOC.
  description: |
    Wire-fraud attempt impersonating the CEO.
    Accounts Payable called back.
  starttime: 2026-11-20T09:00:00Z     # a date, stays as written

  Business unit: Finance
  Estimated loss (USD): 48500
# End of the incident.
---
# The defaults it extends.
kind: Template
name: phishing-defaults
fields:
  restriction: Low
  incident_category: Email
  # priority: High
"#;

const CANONICAL: &str = "kind: TriageItem\nkey: okta-7731\nfields:\n  status: New\n";

fn read(test: &Test, path: &str) -> String {
    std::fs::read_to_string(test.path().join(path)).expect("read a formatted file")
}

/// When a file was last written, and which file it is (a rename makes a new one).
fn stamp(test: &Test, path: &str) -> (SystemTime, u64) {
    let metadata = std::fs::metadata(test.path().join(path)).expect("file metadata");
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
    #[cfg(not(unix))]
    let inode = 0;
    (metadata.modified().expect("modification time"), inode)
}

fn run(test: &Test, args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    test.run_args(&args)
}

#[test]
fn rewrites_a_messy_file_in_canonical_form_with_its_comments() {
    let test = Test::new().write("incidents/ceo.yaml", MESSY);
    let output = run(&test, &["fmt"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_eq!(output.stdout, "incidents/ceo.yaml\n");
    assert_eq!(
        output.stderr,
        "1 file rewritten, 0 already in canonical form.\n"
    );
    assert_eq!(read(&test, "incidents/ceo.yaml"), MESSY_FORMATTED);
    // The data is the same: validate still reads one incident.
    let validated = run(&test, &["validate"]);
    assert_eq!(validated.code, 0, "{}", validated.combined());
    assert!(
        validated.stderr.contains("1 incident, 0 triage items"),
        "{}",
        validated.stderr
    );
}

#[test]
fn a_second_run_changes_nothing() {
    let test = Test::new()
        .write("a.yaml", MESSY)
        .write("b.yaml", CANONICAL);
    let first = run(&test, &["fmt", "."]);
    assert_eq!(first.code, 0, "{}", first.combined());
    assert_eq!(first.stdout, "a.yaml\n");
    let formatted = read(&test, "a.yaml");
    let stamps = (stamp(&test, "a.yaml"), stamp(&test, "b.yaml"));

    let second = run(&test, &["fmt", "."]);
    assert_eq!(second.code, 0, "{}", second.combined());
    assert_eq!(second.stdout, "");
    assert_eq!(second.stderr, "2 files already in canonical form.\n");
    assert_eq!(read(&test, "a.yaml"), formatted);
    assert_eq!(read(&test, "b.yaml"), CANONICAL);
    assert_eq!((stamp(&test, "a.yaml"), stamp(&test, "b.yaml")), stamps);

    let check = run(&test, &["fmt", "--check"]);
    assert_eq!(check.code, 0, "{}", check.combined());
    assert_eq!(check.stdout, "");
}

#[test]
fn check_lists_the_files_that_differ_and_writes_nothing() {
    let test = Test::new()
        .write("incidents/z.yaml", MESSY)
        .write("incidents/ok.yaml", CANONICAL)
        .write(
            "triage/a.yml",
            "key: okta-1\nkind: TriageItem # out of order\n",
        );
    let output = run(&test, &["fmt", "--check"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert_eq!(output.stdout, "incidents/z.yaml\ntriage/a.yml\n");
    assert_eq!(
        output.stderr,
        "error: 2 files are not in canonical form (1 already canonical)\nhint: run `soarform fmt` to rewrite them\n"
    );
    assert_eq!(read(&test, "incidents/z.yaml"), MESSY);
    assert_eq!(
        read(&test, "triage/a.yml"),
        "key: okta-1\nkind: TriageItem # out of order\n"
    );

    let fixed = run(&test, &["fmt"]);
    assert_eq!(fixed.stdout, "incidents/z.yaml\ntriage/a.yml\n");
    assert_eq!(
        read(&test, "triage/a.yml"),
        "kind: TriageItem # out of order\nkey: okta-1\n"
    );
    let check = run(&test, &["fmt", "--check"]);
    assert_eq!(check.code, 0, "{}", check.combined());
    assert_eq!(check.stderr, "3 files already in canonical form.\n");
}

#[test]
fn invalid_files_are_reported_and_left_alone_while_the_others_are_formatted() {
    let invalid = "kind: Incident\nkey: a/one\ntemplate: Phishing\ntmplate: x # typo\n";
    let broken = "kind: Incident\nkey: [unclosed\n";
    let test = Test::new()
        .write("a-invalid.yaml", invalid)
        .write("b-broken.yaml", broken)
        .write("c-good.yaml", MESSY);
    let before = stamp(&test, "a-invalid.yaml");
    let output = run(&test, &["fmt"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert_eq!(output.stdout, "c-good.yaml\n");
    for fragment in [
        "a-invalid.yaml:4:1",
        "unknown key `tmplate`",
        "b-broken.yaml:2:15",
        "error: 2 problems found; 2 files were left unchanged",
    ] {
        assert!(
            output.stderr.contains(fragment),
            "expected `{fragment}` in:\n{}",
            output.stderr
        );
    }
    assert_eq!(read(&test, "a-invalid.yaml"), invalid);
    assert_eq!(read(&test, "b-broken.yaml"), broken);
    assert_eq!(stamp(&test, "a-invalid.yaml"), before);
    assert_eq!(read(&test, "c-good.yaml"), MESSY_FORMATTED);

    std::fs::write(test.path().join("c-good.yaml"), MESSY).expect("write");
    let check = run(&test, &["fmt", "--check"]);
    assert_eq!(check.code, 1, "{}", check.combined());
    assert_eq!(check.stdout, "c-good.yaml\n");
    assert!(
        check.stderr.contains("a-invalid.yaml:4:1"),
        "{}",
        check.stderr
    );
    assert!(
        check.stderr.ends_with(concat!(
            "error: 2 problems found; 2 files could not be checked; ",
            "1 file is not in canonical form (0 already canonical)\n",
            "hint: run `soarform fmt` to rewrite them\n"
        )),
        "{}",
        check.stderr
    );
    assert_eq!(read(&test, "c-good.yaml"), MESSY);
    snapshot!(output);
    snapshot!(check);
}

#[cfg(unix)]
#[test]
fn read_only_files_are_not_replaced() {
    use std::os::unix::fs::PermissionsExt as _;
    let test = Test::new().write("a.yaml", MESSY).write("b.yaml", MESSY);
    let path = test.path().join("a.yaml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let output = run(&test, &["fmt"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert_eq!(output.stdout, "b.yaml\n");
    assert!(
        output
            .stderr
            .contains("error: cannot write `a.yaml`\n\nCaused by:\n  the file is read-only\n"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .ends_with("error: 1 file was left unchanged\n"),
        "{}",
        output.stderr
    );
    assert_eq!(read(&test, "a.yaml"), MESSY);
    assert_eq!(read(&test, "b.yaml"), MESSY_FORMATTED);
}

#[test]
fn a_missing_path_is_an_error_and_the_other_paths_are_formatted() {
    let test = Test::new().write("a.yaml", MESSY);
    let output = run(&test, &["fmt", "missing.yaml", "a.yaml"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert_eq!(output.stdout, "a.yaml\n");
    assert_eq!(
        output.stderr,
        concat!(
            "error: path `missing.yaml` does not exist\n",
            " = help: pass a desired-state file or a directory of them\n",
            "error: 1 problem found\n",
        )
    );
    assert_eq!(read(&test, "a.yaml"), MESSY_FORMATTED);
}

#[test]
fn values_keep_their_types_and_multi_line_text_becomes_a_literal_block() {
    let test = Test::new().write(
        "t.yaml",
        concat!(
            "kind: TriageItem\n",
            "key: t/1\n",
            "fields:\n",
            "  Zip code: \"0123\"\n",
            "  Answer: yes\n",
            "  Enabled: true\n",
            "  Count: 42\n",
            "  Count as text: '42'\n",
            "  Ratio: 0.50\n",
            "  Due: 2026-11-18\n",
            "  Seen at: 2026-11-22T06:12:00Z\n",
            "  Channel: '#soc-alerts'\n",
            "  description: \"First line.\\nSecond line.\"\n",
            "  Notes: >\n",
            "    Folded into\n",
            "    one line.\n",
        ),
    );
    let output = run(&test, &["fmt", "t.yaml"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_eq!(
        read(&test, "t.yaml"),
        concat!(
            "kind: TriageItem\n",
            "key: t/1\n",
            "fields:\n",
            "  Zip code: \"0123\"\n",
            "  Answer: \"yes\"\n",
            "  Enabled: true\n",
            "  Count: 42\n",
            "  Count as text: \"42\"\n",
            // A number keeps its digits as written (issue 10).
            "  Ratio: 0.50\n",
            "  Due: 2026-11-18\n",
            "  Seen at: 2026-11-22T06:12:00Z\n",
            "  Channel: \"#soc-alerts\"\n",
            "  description: |-\n",
            "    First line.\n",
            "    Second line.\n",
            "  Notes: |\n",
            "    Folded into one line.\n",
        )
    );
}

#[test]
fn the_project_file_is_never_formatted() {
    let project = "exclude: [ci]   # messy on purpose\nregion:    us2\n";
    let test = Test::new()
        .write("soarform.yaml", project)
        .write("ci/pipeline.yml", "stages:   [plan]\n")
        .write("a.yaml", CANONICAL);
    let walked = run(&test, &["fmt"]);
    assert_eq!(walked.code, 0, "{}", walked.combined());
    assert_eq!(walked.stdout, "");
    assert_eq!(walked.stderr, "1 file already in canonical form.\n");

    // Named, as a pre-commit hook names every changed YAML file: skipped all the same.
    let explicit = run(
        &test,
        &["fmt", "soarform.yaml", "a.yaml", "ci/pipeline.yml"],
    );
    assert_eq!(explicit.code, 0, "{}", explicit.combined());
    assert_eq!(explicit.stderr, "1 file already in canonical form.\n");
    assert_eq!(read(&test, "soarform.yaml"), project);
    assert_eq!(read(&test, "ci/pipeline.yml"), "stages:   [plan]\n");
}

#[test]
fn the_examples_are_canonical_once_formatted() {
    let test = Test::new().with_examples();
    let validated_before = run(&test, &["validate", "examples"]);
    let first = run(&test, &["fmt", "examples"]);
    assert_eq!(first.code, 0, "{}", first.combined());
    let check = run(&test, &["fmt", "--check", "examples"]);
    assert_eq!(check.code, 0, "{}", check.combined());
    assert_eq!(check.stdout, "");
    // Same objects, and every header comment kept.
    let validated_after = run(&test, &["validate", "examples"]);
    assert_eq!(validated_after.stderr, validated_before.stderr);
    for path in [
        "incidents/malware/ransomware-precursor.yaml",
        "triage/alerts.yaml",
    ] {
        let original = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(path),
        )
        .expect("read an example");
        let formatted = read(&test, &format!("examples/{path}"));
        assert_eq!(
            formatted.matches("# yaml-language-server:").count(),
            original.matches("# yaml-language-server:").count(),
            "{formatted}"
        );
    }
}

#[test]
fn crlf_files_keep_crlf_and_lose_their_byte_order_mark() {
    let test = Test::new().write(
        "a.yaml",
        "\u{feff}key: a # identity\r\nkind: TriageItem\r\nfields:\r\n  description: |\r\n    one\r\n    two\r\n",
    );
    let output = run(&test, &["fmt"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_eq!(
        read(&test, "a.yaml"),
        "kind: TriageItem\r\nkey: a # identity\r\nfields:\r\n  description: |\r\n    one\r\n    two\r\n"
    );
    let check = run(&test, &["fmt", "--check"]);
    assert_eq!(check.code, 0, "{}", check.combined());
}

#[cfg(unix)]
fn is_link(test: &Test, path: &str) -> bool {
    std::fs::symlink_metadata(test.path().join(path))
        .expect("metadata")
        .file_type()
        .is_symlink()
}

#[cfg(unix)]
#[test]
fn links_leading_outside_the_directory_given_are_never_written_through() {
    use std::os::unix::fs::symlink;
    let test = Test::new()
        .write("outside/x.yaml", MESSY)
        .write("outside/folder/y.yaml", MESSY)
        .write("project/b.yaml", MESSY)
        .write("project/real/c.yaml", MESSY);
    symlink("../outside/x.yaml", test.path().join("project/a.yaml")).expect("symlink");
    symlink("../outside/folder", test.path().join("project/linked")).expect("symlink");
    symlink("real/c.yaml", test.path().join("project/alias.yaml")).expect("symlink");
    let outside = test
        .path()
        .join("outside")
        .canonicalize()
        .expect("canonical");

    let walked = run(&test, &["fmt", "project"]);
    assert_eq!(walked.code, 1, "{}", walked.combined());
    // The link that stays inside is followed: the file it points to is formatted, once.
    assert_eq!(walked.stdout, "project/alias.yaml\nproject/b.yaml\n");
    for expected in [
        format!(
            "error: refusing to write `project/a.yaml`: `project/a.yaml` is a symbolic link to `{}`, outside `project`; it was left unchanged\nhint: fmt writes only inside the directory a file was found under (the project's, when it is in one): format the file where it is, `soarform fmt {}`\n",
            outside.join("x.yaml").display(),
            outside.join("x.yaml").display()
        ),
        format!(
            "error: refusing to write `project/linked/y.yaml`: `project/linked` is a symbolic link to `{}`, outside `project`; it was left unchanged\n",
            outside.join("folder").display()
        ),
        "error: 2 files were left unchanged\n".to_string(),
    ] {
        assert!(
            walked.stderr.contains(&expected),
            "{expected}\nnot in:\n{}",
            walked.stderr
        );
    }
    assert_eq!(read(&test, "outside/x.yaml"), MESSY);
    assert_eq!(read(&test, "outside/folder/y.yaml"), MESSY);
    assert!(is_link(&test, "project/a.yaml"));
    assert!(is_link(&test, "project/alias.yaml"));
    assert_eq!(read(&test, "project/real/c.yaml"), MESSY_FORMATTED);
    assert_eq!(read(&test, "project/b.yaml"), MESSY_FORMATTED);

    // Named on the command line, the link is refused the same way.
    let named = run(&test, &["fmt", "project/a.yaml"]);
    assert_eq!(named.code, 1, "{}", named.combined());
    assert_eq!(named.stdout, "");
    assert!(
        named.stderr.contains(
            "error: refusing to write `project/a.yaml`: `project/a.yaml` is a symbolic link to"
        ),
        "{}",
        named.stderr
    );
    assert_eq!(read(&test, "outside/x.yaml"), MESSY);
    assert!(is_link(&test, "project/a.yaml"));

    // `--check` only reads, as `validate` does.
    let check = run(&test, &["fmt", "--check", "project"]);
    assert_eq!(
        check.stdout,
        "project/a.yaml\nproject/linked/y.yaml\n",
        "{}",
        check.combined()
    );
}

#[cfg(unix)]
#[test]
fn inside_a_project_the_boundary_is_the_project_directory() {
    let test = Test::new()
        .write("soarform.yaml", "region: us2\n")
        .write("shared/x.yaml", MESSY)
        .write("incidents/b.yaml", CANONICAL);
    std::os::unix::fs::symlink("../shared/x.yaml", test.path().join("incidents/a.yaml"))
        .expect("symlink");
    let output = run(&test, &["fmt", "incidents"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_eq!(output.stdout, "incidents/a.yaml\n");
    assert_eq!(read(&test, "shared/x.yaml"), MESSY_FORMATTED);
    assert!(is_link(&test, "incidents/a.yaml"));
}
