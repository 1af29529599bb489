//! `--version`, `version`, `schema`, `completions` and `man`: what the binary carries.

use crate::support::binary::Test;

#[test]
fn version_names_the_package_version_the_commit_and_the_target() {
    let json = Test::new().args(["version", "--format", "json"]).run();
    assert_eq!(json.code, 0, "{}", json.combined());
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["version"], env!("CARGO_PKG_VERSION"));
    let commit = document["commit"].as_str().unwrap();
    let target = document["target"].as_str().unwrap();
    assert!(
        target.split('-').count() >= 3,
        "not a target triple: {target}"
    );
    // Built from this checkout: the commit is its HEAD (unless the build was told otherwise).
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string());
    match (head, std::env::var("SOARFORM_BUILD_COMMIT")) {
        (Some(head), Err(_)) => assert_eq!(commit, head),
        _ => assert!(!commit.is_empty()),
    }
    let line = format!(
        "soarform {} (commit {commit}, {target})\n",
        env!("CARGO_PKG_VERSION")
    );
    for args in [&["--version"][..], &["version"][..]] {
        let text = Test::new().args(args.to_vec()).run();
        assert_eq!(text.code, 0, "{}", text.combined());
        assert_eq!(text.stdout, line, "soarform {}", args.join(" "));
    }
}

#[test]
fn schema_prints_each_embedded_schema_as_checked_in() {
    for (name, file) in [
        (None, "soarform.schema.json"),
        (Some("document"), "soarform.schema.json"),
        (Some("project"), "project.schema.json"),
        (Some("plan"), "plan.schema.json"),
        (Some("sim-options"), "sim-options.schema.json"),
    ] {
        let mut args = vec!["schema"];
        args.extend(name);
        let output = Test::new().args(args).run();
        assert_eq!(output.code, 0, "{}", output.combined());
        let expected =
            std::fs::read_to_string(format!("{}/schemas/{file}", env!("CARGO_MANIFEST_DIR")))
                .unwrap();
        assert_eq!(output.stdout, expected, "soarform schema {name:?}");
    }
    let unknown = Test::new().args(["schema", "documents"]).run();
    assert_eq!(unknown.code, 1, "{}", unknown.combined());
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = Test::new().args(["completions", shell]).run();
        assert_eq!(output.code, 0, "{shell}: {}", output.combined());
        for word in ["doctor", "write-check", "detailed-exitcode", "sandbox"] {
            assert!(
                output.stdout.contains(word),
                "{shell} completions lack `{word}`"
            );
        }
    }
    // The bash script is bash: it parses.
    let script = Test::new().args(["completions", "bash"]).run().stdout;
    let test = Test::new().write("soarform.bash", &script);
    let parsed = std::process::Command::new("bash")
        .arg("-n")
        .arg(test.path().join("soarform.bash"))
        .output();
    match parsed {
        Ok(parsed) => assert!(
            parsed.status.success(),
            "{}",
            String::from_utf8_lossy(&parsed.stderr)
        ),
        Err(error) => eprintln!("skipped the bash syntax check: {error}"),
    }
    let unknown = Test::new().args(["completions", "tcsh"]).run();
    assert_eq!(unknown.code, 1, "{}", unknown.combined());
}

#[test]
fn man_pages_cover_soarform_and_each_command() {
    let top = Test::new().args(["man"]).run();
    assert_eq!(top.code, 0, "{}", top.combined());
    assert!(
        top.stdout.contains(&format!(
            ".TH soarform 1  \"soarform {}",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        top.stdout
    );
    assert!(top.stdout.contains("doctor"), "{}", top.stdout);
    let plan = Test::new().args(["man", "plan"]).run();
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert!(
        plan.stdout.contains(".TH soarform-plan 1"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(r"\-\-detailed\-exitcode"),
        "{}",
        plan.stdout
    );
    let unknown = Test::new().args(["man", "plans"]).run();
    assert_eq!(unknown.code, 1, "{}", unknown.combined());
    assert!(
        unknown.stderr.contains("no command `plans`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn every_command_help_ends_with_examples_and_exit_codes() {
    for command in [
        "validate",
        "plan",
        "apply",
        "export",
        "fmt",
        "init",
        "show",
        "doctor",
        "schema",
        "completions",
        "man",
        "version",
        "sim",
    ] {
        let help = Test::new().args([command, "--help"]).run();
        assert_eq!(help.code, 0, "{}", help.combined());
        let examples = help
            .stdout
            .find("\nExamples:\n  soarform ")
            .unwrap_or_else(|| panic!("`soarform {command} --help` has no examples"));
        // The examples use the command they document.
        assert!(
            help.stdout[examples..].contains(&format!("soarform {command}")),
            "{command}"
        );
        assert!(
            help.stdout.contains("\nExit codes:\n  0  "),
            "`soarform {command} --help` has no exit codes"
        );
    }
    let top = Test::new().args(["--help"]).run();
    assert_eq!(top.code, 0, "{}", top.combined());
    assert!(
        top.stdout.contains("\nExamples:\n  soarform ")
            && top
                .stdout
                .contains("\nExit codes (each command's --help has its own):\n  0    "),
        "{}",
        top.stdout
    );
}

#[test]
fn exit_codes_of_the_printing_commands_are_what_their_help_says() {
    for (args, code) in [
        (vec!["schema", "bogus"], 1),
        (vec!["man", "bogus"], 1),
        (vec!["completions", "bogus"], 1),
        (vec!["schema", "plan"], 0),
        (vec!["version"], 0),
    ] {
        let output = Test::new().args(args.clone()).run();
        assert_eq!(output.code, code, "{args:?}: {}", output.combined());
    }
}

#[test]
fn init_starts_a_repository_that_validates_and_plans() {
    let test = Test::new();
    let output = test.run_args(&[
        "init".into(),
        "repo".into(),
        "--ci".into(),
        "github".into(),
        "--region".into(),
        "us2".into(),
    ]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_eq!(
        output.stdout,
        "repo/soarform.yaml\nrepo/schemas/soarform.schema.json\nrepo/schemas/project.schema.json\nrepo/incidents/example.yaml\nrepo/.gitignore\nrepo/.github/workflows/soarform-ci.yml\n"
    );
    let ignored = std::fs::read_to_string(test.path().join("repo/.gitignore")).unwrap();
    assert!(
        ignored.contains("\n.soarform/\nsoarform.plan.json\n"),
        "{ignored}"
    );
    let root = test.path().join("repo");
    let project = std::fs::read_to_string(root.join("soarform.yaml")).unwrap();
    assert!(project.ends_with("\nregion: us2\n"), "{project}");
    let recipe = std::fs::read_to_string(root.join(".github/workflows/soarform-ci.yml")).unwrap();
    let shipped = std::fs::read_to_string(format!(
        "{}/examples/ci/github-actions.yml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert_eq!(recipe, shipped);
    let schema = std::fs::read_to_string(root.join("schemas/soarform.schema.json")).unwrap();
    assert!(schema.contains("urn:soarform:schemas:soarform"));
    // The repository is valid, canonical, and plans on the sandbox (its recipe is not a document).
    let run = |args: &[&str]| {
        let mut all = vec!["-C".to_string(), root.display().to_string()];
        all.extend(args.iter().map(|arg| arg.to_string()));
        test.run_args(&all)
    };
    let validated = run(&["validate"]);
    assert_eq!(validated.code, 0, "{}", validated.combined());
    assert!(
        validated.stderr.contains("1 file valid: 1 incident"),
        "{}",
        validated.stderr
    );
    assert_eq!(run(&["fmt", "--check"]).code, 0);
    let planned = run(&["plan", "--sandbox"]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(
        planned
            .stdout
            .contains("+ create Incident example/first-incident"),
        "{}",
        planned.stdout
    );
    // Again with the same choices: nothing differs, nothing is refused.
    let again = test.run_args(&[
        "init".into(),
        "repo".into(),
        "--ci".into(),
        "github".into(),
        "--region".into(),
        "us2".into(),
    ]);
    assert_eq!(again.code, 0, "{}", again.combined());
}

#[test]
fn init_in_a_started_repository_adds_the_pipeline_and_keeps_the_rest() {
    // A repository started without a pipeline, then edited: its project file says more than
    // init wrote, the first document was deleted, a schema is an older one.
    let test = Test::new();
    let started = test.run_args(&["init".into(), "repo".into()]);
    assert_eq!(started.code, 0, "{}", started.combined());
    assert!(
        started
            .stderr
            .contains("`soarform init --ci github` (or `gitlab`) adds a pipeline"),
        "{}",
        started.stderr
    );
    let root = test.path().join("repo");
    let project = "region: us2\ntenant:\n  timezone: America/Chicago\n";
    std::fs::write(root.join("soarform.yaml"), project).unwrap();
    std::fs::remove_file(root.join("incidents/example.yaml")).unwrap();
    std::fs::write(root.join("schemas/soarform.schema.json"), "{}\n").unwrap();
    std::fs::write(root.join(".gitignore"), "target/\n").unwrap();

    let github = test.run_args(&[
        "-C".into(),
        root.display().to_string(),
        "init".into(),
        "--ci".into(),
        "github".into(),
        "--region".into(),
        "eu".into(),
    ]);
    assert_eq!(github.code, 0, "{}", github.combined());
    assert_eq!(
        github.stdout,
        "./schemas/project.schema.json\n./.github/workflows/soarform-ci.yml\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("soarform.yaml")).unwrap(),
        project
    );
    assert!(!root.join("incidents/example.yaml").exists());
    assert_eq!(
        std::fs::read_to_string(root.join(".gitignore")).unwrap(),
        "target/\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("schemas/soarform.schema.json")).unwrap(),
        "{}\n"
    );
    for said in [
        "`./soarform.yaml` exists: kept as it is, and no first document written",
        "warning: `--region eu` was not written: init never changes an existing `./soarform.yaml`",
        "kept `./schemas/soarform.schema.json` as it is",
    ] {
        assert!(github.stderr.contains(said), "{said}: {}", github.stderr);
    }

    // The pipeline asked for is refused when one with other content is there, until --force;
    // --force replaces the schema too, and still never the project file or the document.
    std::fs::write(
        root.join(".github/workflows/soarform-ci.yml"),
        "name: mine\n",
    )
    .unwrap();
    let refused = test.run_args(&["init".into(), "repo".into(), "--ci".into(), "github".into()]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused
            .stderr
            .contains("repo/.github/workflows/soarform-ci.yml"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        std::fs::read_to_string(root.join(".github/workflows/soarform-ci.yml")).unwrap(),
        "name: mine\n"
    );
    let forced = test.run_args(&[
        "init".into(),
        "repo".into(),
        "--ci".into(),
        "github".into(),
        "--force".into(),
    ]);
    assert_eq!(forced.code, 0, "{}", forced.combined());
    assert_ne!(
        std::fs::read_to_string(root.join(".github/workflows/soarform-ci.yml")).unwrap(),
        "name: mine\n"
    );
    assert!(
        std::fs::read_to_string(root.join("schemas/soarform.schema.json"))
            .unwrap()
            .contains("urn:soarform:schemas:soarform")
    );
    assert_eq!(
        std::fs::read_to_string(root.join("soarform.yaml")).unwrap(),
        project
    );
    assert!(!root.join("incidents/example.yaml").exists());
}

#[test]
fn init_refuses_what_soarform_yaml_could_not_hold_and_writes_nothing() {
    let test = Test::new();
    for args in [
        ["init", "a", "--region", "zz"],
        ["init", "b", "--url", "http://evil.example.com"],
    ] {
        let output = test.run_args(&args.map(String::from));
        assert_eq!(output.code, 1, "{args:?}: {}", output.combined());
        assert!(!test.path().join(args[1]).exists(), "{args:?} wrote files");
    }
}

/// Snapshots of the new commands' output, end to end on the real binary: what a user reads.
#[test]
fn snapshots_of_init_validate_annotations_show_and_doctor() {
    let test = Test::new();
    let init = test.run_args(&[
        "init".into(),
        "repo".into(),
        "--region".into(),
        "us2".into(),
    ]);
    crate::snapshot!("init", init, filters = [(r"/[^ `]*/repo", "[TEMP]/repo")]);
    let bad = test.write(
        "repo/incidents/bad.yaml",
        "kind: Incident\nkey: bad/one\ntemplate: Phishing\ncolour: red\n",
    );
    let root = bad.path().join("repo").display().to_string();
    let annotations = bad.run_args(&[
        "-C".into(),
        root.clone(),
        "validate".into(),
        "--format".into(),
        "github".into(),
    ]);
    crate::snapshot!("validate_github", annotations);
    std::fs::remove_file(bad.path().join("repo/incidents/bad.yaml")).unwrap();
    let planned = bad.run_args(&[
        "-C".into(),
        root.clone(),
        "plan".into(),
        "--sandbox".into(),
        "--out".into(),
        "plan.json".into(),
    ]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    let shown = bad.run_args(&[
        "-C".into(),
        root,
        "show".into(),
        "plan.json".into(),
        "--format".into(),
        "markdown".into(),
    ]);
    crate::snapshot!("show_markdown", shown);
    let server = crate::support::simulator();
    let doctor = crate::support::binary::run_against(
        &Test::new().env("SOARFORM_TOKEN", crate::support::TOKEN),
        &server,
        &["doctor"],
    );
    crate::snapshot!("doctor_empty_tenant", doctor);
}

#[test]
fn empty_variables_count_as_unset_and_a_bad_progress_switch_is_refused() {
    // As `${{ vars.X }}` of an unset variable gives them in GitHub Actions.
    let test = Test::new().write(
        "incidents.yaml",
        "kind: Incident\nkey: env/a\ntemplate: Phishing\n",
    );
    let mut empty = test;
    for name in [
        "SOARFORM_API",
        "SOARFORM_CONFIG",
        "SOARFORM_LOCK_TIMEOUT",
        "SOARFORM_URL",
        "SOARFORM_REGION",
        "SOARFORM_TOKEN_FILE",
        "SOARFORM_MAX_CONCURRENCY",
    ] {
        empty = empty.env(name, "");
    }
    let planned = empty.run_args(&["plan".into(), "--sandbox".into()]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(
        planned.stdout.contains("+ create Incident env/a"),
        "{}",
        planned.stdout
    );

    let bad = Test::new()
        .env("SOARFORM_PROGRESS", "sometimes")
        .args(["validate"])
        .run();
    assert_eq!(bad.code, 1, "{}", bad.combined());
    assert!(
        bad.stderr
            .contains("`SOARFORM_PROGRESS` is `sometimes`: expected `true` or `false`"),
        "{}",
        bad.stderr
    );
    let help = Test::new().args(["--help"]).run();
    for name in ["SOARFORM_PROGRESS", "CLICOLOR_FORCE", "SUMO_ACCESS_KEY"] {
        assert!(help.stdout.contains(name), "{name}: {}", help.stdout);
    }
}

#[test]
fn dash_c_given_twice_is_taken_relative_to_the_first_and_unwritable_help_fails() {
    let test = Test::new().write(
        "repo/incidents/a.yaml",
        "kind: Incident\nkey: c/a\ntemplate: Phishing\n",
    );
    let output = test.run_args(&[
        "-C".into(),
        "repo".into(),
        "-C".into(),
        "incidents".into(),
        "validate".into(),
        "a.yaml".into(),
    ]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(
        output.stderr.contains("1 file valid: 1 incident"),
        "{}",
        output.stderr
    );
    // As git's, -C comes before the command.
    let after = test.run_args(&["validate".into(), "-C".into(), "repo".into()]);
    assert_eq!(after.code, 1, "{}", after.combined());
    if std::path::Path::new("/dev/full").exists() {
        let full = std::process::Command::new(env!("CARGO_BIN_EXE_soarform"))
            .args(["plan", "--help"])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .status()
            .unwrap();
        assert_eq!(full.code(), Some(1));
    }
}

#[test]
fn init_adds_its_lines_to_a_gitignore_already_there() {
    let test = Test::new().write("repo/.gitignore", "node_modules/\n.soarform/");
    let output = test.run_args(&["init".into(), "repo".into()]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(
        output.stdout.contains("repo/.gitignore\n"),
        "{}",
        output.stdout
    );
    assert_eq!(
        std::fs::read_to_string(test.path().join("repo/.gitignore")).unwrap(),
        "node_modules/\n.soarform/\n# Written by `soarform init`: the embedded sandbox's state, and plans saved by `plan --out`.\nsoarform.plan.json\n"
    );
}
