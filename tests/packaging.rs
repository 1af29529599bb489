//! The packaging files say what is needed to ship soarform: the Dockerfile builds the locked
//! release binary with a Rust not older than `rust-version` and runs it as a numeric non-root
//! user; `.dockerignore` keeps build output and history out of the context; `scripts/release.sh`
//! answers `--help`; `.ci/run` builds the image only where a Docker daemon answers. No image
//! and no release binary is built here: these read the files (and run the script's `--help`).

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The value of `key = "..."` in Cargo.toml's `[package]` table.
fn package_field(key: &str) -> String {
    let manifest = read("Cargo.toml");
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        if let Some((name, value)) = line.split_once('=') {
            if name.trim() == key {
                return value.trim().trim_matches('"').to_string();
            }
        }
    }
    panic!("no {key} in Cargo.toml's [package]")
}

/// A version's numbers, missing ones as 0: `1.88` is `[1, 88, 0]`.
fn version_numbers(text: &str) -> Vec<u64> {
    let mut numbers: Vec<u64> = text
        .split('.')
        .map(|part| {
            part.parse()
                .unwrap_or_else(|_| panic!("not a version: {text}"))
        })
        .collect();
    numbers.resize(3, 0);
    numbers
}

/// One Dockerfile instruction, continuation lines joined, with the line it starts on.
#[derive(Debug, Clone)]
struct Instruction {
    line: usize,
    keyword: String,
    arguments: String,
}

/// The instructions from one `FROM` to the next.
#[derive(Debug)]
struct Stage {
    image: String,
    name: Option<String>,
    instructions: Vec<Instruction>,
}

impl Stage {
    fn all<'a>(&'a self, keyword: &'static str) -> impl Iterator<Item = &'a Instruction> + 'a {
        self.instructions
            .iter()
            .filter(move |instruction| instruction.keyword == keyword)
    }

    fn last(&self, keyword: &'static str) -> Option<&Instruction> {
        self.all(keyword).last()
    }

    fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("stage {name} ({})", self.image),
            None => format!("stage {}", self.image),
        }
    }
}

/// Instructions as Docker reads them: comment lines dropped (inside a continuation too), lines
/// ending in `\` joined to the next, the keyword upper-cased.
fn instructions(text: &str) -> Vec<Instruction> {
    let mut result = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_none()) {
            continue;
        }
        let (continues, body) = match trimmed.strip_suffix('\\') {
            Some(body) => (true, body),
            None => (false, trimmed),
        };
        let (line, mut joined) = pending.take().unwrap_or((index + 1, String::new()));
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(body.trim());
        if continues {
            pending = Some((line, joined));
            continue;
        }
        if joined.is_empty() {
            continue;
        }
        let (keyword, arguments) = joined
            .split_once(char::is_whitespace)
            .unwrap_or((&joined, ""));
        result.push(Instruction {
            line,
            keyword: keyword.to_ascii_uppercase(),
            arguments: arguments.trim().to_string(),
        });
    }
    assert!(
        pending.is_none(),
        "the Dockerfile ends inside a continuation"
    );
    result
}

fn stages() -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in instructions(&read("Dockerfile")) {
        if instruction.keyword == "FROM" {
            let words: Vec<&str> = instruction
                .arguments
                .split_whitespace()
                .filter(|word| !word.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_, alias, name] if alias.eq_ignore_ascii_case("as") => Some(name.to_string()),
                [_] => None,
                _ => panic!(
                    "Dockerfile:{}: FROM {} is not `FROM IMAGE [AS NAME]`",
                    instruction.line, instruction.arguments
                ),
            };
            stages.push(Stage {
                image: words[0].to_string(),
                name,
                instructions: Vec::new(),
            });
        } else {
            match stages.last_mut() {
                Some(stage) => stage.instructions.push(instruction),
                None if instruction.keyword == "ARG" => {}
                None => panic!(
                    "Dockerfile:{}: {} before the first FROM",
                    instruction.line, instruction.keyword
                ),
            }
        }
    }
    stages
}

/// The stage that runs `cargo build`.
fn build_stage(stages: &[Stage]) -> (&Stage, &Instruction) {
    let mut found = stages.iter().filter_map(|stage| {
        stage
            .all("RUN")
            .find(|run| run.arguments.contains("cargo build"))
            .map(|run| (stage, run))
    });
    let first = found
        .next()
        .expect("no stage of the Dockerfile runs `cargo build`");
    assert!(
        found.next().is_none(),
        "more than one stage runs `cargo build`"
    );
    first
}

fn final_stage(stages: &[Stage]) -> &Stage {
    stages.last().expect("the Dockerfile has no FROM")
}

/// A JSON-array (exec form) instruction's words.
fn exec_form(instruction: &Instruction) -> Vec<String> {
    serde_json::from_str(&instruction.arguments).unwrap_or_else(|_| {
        panic!(
            "Dockerfile:{}: {} {} is not in exec form ([\"...\"]): a shell form needs a shell, \
             which the final image does not have",
            instruction.line, instruction.keyword, instruction.arguments
        )
    })
}

/// `KEY=VALUE` pairs of a LABEL or ARG instruction, quotes removed (values here hold no `=`
/// inside quotes that matter, and spaces only inside quotes).
fn pairs(arguments: &str) -> Vec<(String, String)> {
    let mut result = Vec::new();
    let mut rest = arguments.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=').unwrap_or((rest, ""));
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').expect("an unclosed quote");
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        result.push((key.trim().to_string(), value.to_string()));
        rest = remaining.trim_start();
    }
    result
}

#[test]
fn the_dockerfile_parser_reads_what_docker_reads() {
    let parsed = instructions(
        "# syntax comment\nARG X=1\nFROM a:1 AS b\nRUN one \\\n  # inside\n  two\n\nuser 1:1\n",
    );
    let words: Vec<(usize, &str, &str)> = parsed
        .iter()
        .map(|i| (i.line, i.keyword.as_str(), i.arguments.as_str()))
        .collect();
    assert_eq!(
        words,
        [
            (2, "ARG", "X=1"),
            (3, "FROM", "a:1 AS b"),
            (4, "RUN", "one two"),
            (8, "USER", "1:1"),
        ]
    );
    assert_eq!(
        pairs(r#"a="x y" b=z c="""#),
        [
            ("a".to_string(), "x y".to_string()),
            ("b".to_string(), "z".to_string()),
            ("c".to_string(), String::new()),
        ]
    );
}

#[test]
fn the_dockerfile_is_multi_stage_and_ships_only_the_built_binary() {
    let stages = stages();
    assert!(
        stages.len() >= 2,
        "the Dockerfile has {} FROM; a build stage and a final stage are needed",
        stages.len()
    );
    let (build, _) = build_stage(&stages);
    let last = final_stage(&stages);
    assert!(
        !std::ptr::eq(build, last),
        "the final stage runs `cargo build` itself: the toolchain would ship in the image"
    );
    let build_name = build
        .name
        .as_deref()
        .expect("the build stage has a name (FROM IMAGE AS NAME)");
    let from_build = format!("--from={build_name}");
    let binary = last.all("COPY").find(|copy| {
        copy.arguments
            .split_whitespace()
            .any(|word| word == from_build)
            && copy.arguments.contains("soarform")
    });
    assert!(
        binary.is_some(),
        "the final stage copies no soarform binary {from_build}"
    );
    assert!(
        last.last("RUN").is_none(),
        "the final stage runs a command: it has no shell (distroless), and needs none"
    );
}

#[test]
fn the_final_stage_runs_soarform_as_a_numeric_non_root_user() {
    let stages = stages();
    let last = final_stage(&stages);
    let user = last
        .last("USER")
        .unwrap_or_else(|| panic!("{} sets no USER: it would run as root", last.label()));
    let uid = user.arguments.split(':').next().unwrap_or_default();
    let uid: u32 = uid.parse().unwrap_or_else(|_| {
        panic!(
            "Dockerfile:{}: USER {} is not numeric: runAsNonRoot can only verify a number",
            user.line, user.arguments
        )
    });
    assert_ne!(uid, 0, "Dockerfile:{}: USER 0 is root", user.line);
    let entrypoint = last
        .last("ENTRYPOINT")
        .unwrap_or_else(|| panic!("{} has no ENTRYPOINT", last.label()));
    let words = exec_form(entrypoint);
    let program = words.first().map(String::as_str).unwrap_or_default();
    assert!(
        program == "soarform" || program.ends_with("/soarform"),
        "Dockerfile:{}: the ENTRYPOINT runs {words:?}, not soarform",
        entrypoint.line
    );
    if let Some(cmd) = last.last("CMD") {
        exec_form(cmd);
    }
    let workdir = last
        .last("WORKDIR")
        .unwrap_or_else(|| panic!("{} sets no WORKDIR", last.label()));
    assert_eq!(workdir.arguments, "/work");
}

#[test]
fn the_build_stage_uses_a_rust_not_older_than_rust_version() {
    let stages = stages();
    let (build, _) = build_stage(&stages);
    let image = build
        .image
        .trim_start_matches("docker.io/")
        .trim_start_matches("library/");
    let tag = image
        .strip_prefix("rust:")
        .unwrap_or_else(|| panic!("the build stage is FROM {image}, not the official rust image"));
    let version: String = tag
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let version = version.trim_end_matches('.');
    assert!(
        version.split('.').count() >= 2,
        "FROM {image}: the tag names no Rust version (major.minor at least): pin it"
    );
    let declared = package_field("rust-version");
    assert!(
        version_numbers(version) >= version_numbers(&declared),
        "FROM {image} is Rust {version}, older than Cargo.toml's rust-version {declared}"
    );
}

#[test]
fn the_build_stage_builds_the_locked_release_and_takes_the_commit() {
    let stages = stages();
    let (build, run) = build_stage(&stages);
    let words: Vec<&str> = run.arguments.split_whitespace().collect();
    for flag in ["--locked", "--release"] {
        assert!(
            words.contains(&flag),
            "Dockerfile:{}: `cargo build` without {flag}",
            run.line
        );
    }
    let arg = build
        .all("ARG")
        .find(|arg| arg.arguments.split('=').next() == Some("SOARFORM_BUILD_COMMIT"))
        .unwrap_or_else(|| {
            panic!(
                "{} declares no ARG SOARFORM_BUILD_COMMIT: build.rs sees no .git in a \
                 container build",
                build.label()
            )
        });
    assert!(
        arg.line < run.line,
        "ARG SOARFORM_BUILD_COMMIT comes after `cargo build`"
    );
}

#[test]
fn the_final_stage_carries_the_oci_labels() {
    let stages = stages();
    let last = final_stage(&stages);
    let labels: Vec<(String, String)> = last
        .all("LABEL")
        .flat_map(|label| pairs(&label.arguments))
        .collect();
    let label = |key: &str| {
        labels
            .iter()
            .find(|(name, _)| name == &format!("org.opencontainers.image.{key}"))
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("no label org.opencontainers.image.{key}"))
    };
    assert_eq!(label("licenses"), package_field("license"));
    label("source");
    // The version label is an ARG whose default is Cargo.toml's version (.ci/run passes it too).
    let version = label("version");
    let argument = version
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or_else(|| panic!("the version label is {version:?}, not ${{ARG}}"));
    let default = last
        .all("ARG")
        .flat_map(|arg| pairs(&arg.arguments))
        .find(|(name, _)| name == argument)
        .map(|(_, value)| value)
        .unwrap_or_else(|| panic!("no ARG {argument} in the final stage"));
    assert_eq!(
        default,
        package_field("version"),
        "ARG {argument}'s default is not Cargo.toml's version"
    );
}

#[test]
fn dockerignore_keeps_build_output_history_and_sandbox_state_out() {
    let patterns: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            line.trim_start_matches('/')
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    for path in ["target", ".git", ".soarform"] {
        let last = patterns.iter().rposition(|pattern| {
            let pattern = pattern.trim_start_matches('!');
            pattern == path || pattern == format!("**/{path}")
        });
        match last {
            Some(index) => assert!(
                !patterns[index].starts_with('!'),
                ".dockerignore lets {path} back in with {}",
                patterns[index]
            ),
            None => panic!(".dockerignore does not exclude {path}"),
        }
    }
}

fn bash(args: &[&str]) -> std::process::Output {
    Command::new("bash")
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("bash")
}

#[test]
fn release_script_answers_help_from_any_directory() {
    let script = root().join("scripts/release.sh");
    let script = script.to_str().expect("a UTF-8 path");
    let syntax = bash(&["-n", script]);
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let help = bash(&[script, "--help"]);
    let stdout = String::from_utf8_lossy(&help.stdout);
    assert_eq!(
        help.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&help.stderr)
    );
    for word in ["Usage:", "--locked", "dist/", ".tar.gz", ".sha256"] {
        assert!(stdout.contains(word), "--help does not mention {word}");
    }
    let unknown = bash(&[script, "--no-such-option"]);
    assert_eq!(
        unknown.status.code(),
        Some(2),
        "an unknown option must fail before building"
    );
}

#[test]
fn ci_builds_the_image_only_where_a_docker_daemon_answers() {
    let run = read(".ci/run");
    let syntax = bash(&["-n", root().join(".ci/run").to_str().expect("UTF-8")]);
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let tests = run
        .find("cargo test --locked")
        .expect(".ci/run runs the tests");
    let step = run
        .find("echo \"== docker build\"")
        .expect("a docker build step");
    assert!(tests < step, "the docker build step comes after the tests");
    let step = &run[step..];
    let lines: Vec<&str> = step.lines().map(str::trim_start).collect();
    let guard = lines
        .iter()
        .position(|line| line.contains("docker info"))
        .expect("the step asks `docker info`");
    assert!(
        lines[guard].starts_with("if "),
        "`docker info` is not the step's condition: {}",
        lines[guard]
    );
    let build = lines
        .iter()
        .position(|line| line.starts_with("docker build "))
        .expect("the step runs `docker build`");
    assert!(
        guard < build,
        "`docker build` runs before `docker info` is asked"
    );
    assert!(step.contains("skipped: no Docker daemon on this machine"));
}
