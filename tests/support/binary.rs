//! Running the real `soarform` binary: a fluent builder that runs it in a temporary directory
//! (the CLI tests), and the clean environment every run gets (the benchmarks use it too).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use soarform::sim::SimServer;

/// The `soarform` binary cargo built for this test crate or benchmark.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_soarform"))
}

/// Clears what the developer's shell may set for soarform (connection, credentials, colour,
/// logging, lease timeout), so that a run depends only on what the test gives it, and turns
/// colour and the apply lease off.
pub fn clean_environment(command: &mut Command) -> &mut Command {
    command
        .env_remove("SOARFORM_URL")
        .env_remove("SOARFORM_REGION")
        .env_remove("SOARFORM_API")
        .env_remove("SOARFORM_CONFIG")
        .env_remove("SOARFORM_TOKEN_FILE")
        .env_remove("SOARFORM_REQUESTS_PER_SECOND")
        .env_remove("SOARFORM_MAX_CONCURRENCY")
        .env_remove("SOARFORM_TOKEN")
        .env_remove("SUMO_ACCESS_ID")
        .env_remove("SUMO_ACCESS_KEY")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_LOG")
        .env_remove("SOARFORM_LOCK_TIMEOUT")
        .env("NO_COLOR", "1")
        // Progress lines depend on how long a run takes; tests of progress turn it back on.
        .env("SOARFORM_PROGRESS", "false")
        // The apply lease has tests and a benchmark of its own (`tests/cli/concurrency.rs` and
        // `benches/lease.rs`, which set `SOARFORM_LOCK` or `--lock`); elsewhere it would add an
        // object and a settle delay to every apply.
        .env("SOARFORM_LOCK", "false")
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Exit code, stdout and stderr in one string, for snapshots.
    pub fn combined(&self) -> String {
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A run of `soarform` in a fresh temporary directory.
pub struct Test {
    directory: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
}

impl Test {
    pub fn new() -> Self {
        Test {
            directory: tempfile::tempdir().expect("temporary directory"),
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
        }
    }

    /// The temporary directory the command runs in.
    pub fn path(&self) -> &Path {
        self.directory.path()
    }

    /// Writes a file (creating its directories) relative to the temporary directory.
    pub fn write(self, path: &str, content: impl AsRef<[u8]>) -> Self {
        let full = self.directory.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create directories");
        }
        std::fs::write(full, content).expect("write file");
        self
    }

    /// Copies the repository's `examples/` into the temporary directory.
    pub fn with_examples(self) -> Self {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        copy_tree(&source, &self.directory.path().join("examples"));
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.into());
        self
    }

    /// Runs with the same arguments again (the directory and its files are kept).
    pub fn run(&self) -> Output {
        let mut command = Command::new(binary());
        command.args(&self.args);
        self.execute(command)
    }

    /// Runs with other arguments (the directory, files and environment are kept).
    pub fn run_args(&self, args: &[String]) -> Output {
        let mut command = Command::new(binary());
        command.args(args);
        self.execute(command)
    }

    /// Runs under a pseudo-terminal (util-linux `script`), so the binary sees a terminal on its
    /// standard streams; the text given to [`Test::stdin`] is typed into it.
    pub fn run_in_terminal(&self) -> Output {
        let mut line = shell_quote(env!("CARGO_BIN_EXE_soarform"));
        for arg in &self.args {
            line.push(' ');
            line.push_str(&shell_quote(arg));
        }
        let mut command = Command::new("script");
        command.args(["--quiet", "--return", "--command", &line, "/dev/null"]);
        self.execute(command)
    }

    fn execute(&self, mut command: Command) -> Output {
        clean_environment(&mut command)
            .current_dir(self.directory.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("spawn soarform");
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("stdin");
            if let Some(text) = &self.stdin {
                let _ = stdin.write_all(text.as_bytes());
            }
        }
        let output = child.wait_with_output().expect("wait for soarform");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs `soarform ARGS --url SERVER --api v3` in the test's directory.
pub fn run_against(test: &Test, server: &SimServer, args: &[&str]) -> Output {
    let mut all: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    all.extend(["--url".into(), server.url(), "--api".into(), "v3".into()]);
    test.run_args(&all)
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn copy_tree(source: &Path, target: &Path) {
    std::fs::create_dir_all(target).expect("create directory");
    for entry in std::fs::read_dir(source).expect("read directory") {
        let entry = entry.expect("directory entry");
        let path: PathBuf = entry.path();
        let destination = target.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &destination);
        } else {
            std::fs::copy(&path, &destination).expect("copy file");
        }
    }
}
