//! A fluent builder that runs the real `soarform` binary in a temporary directory, and a simulator
//! started in-process on a loopback port.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use soarform::sim::{Credentials, SimConfig, SimServer};

/// One valid incident, for tests about everything but the documents.
pub const ONE_INCIDENT: &str =
    "kind: Incident\nkey: x/one\ntemplate: Phishing\nfields:\n  status: Open\n";

pub const TOKEN: &str = "test-token-0123456789abcdefghijklmnop";
pub const ACCESS_ID: &str = "suTESTID";
pub const ACCESS_KEY: &str = "test-access-key-do-not-print-0123456789";

/// A simulator accepting [`TOKEN`] and [`ACCESS_ID`]/[`ACCESS_KEY`].
pub fn simulator() -> SimServer {
    simulator_with(|_| {})
}

/// A simulator with an adjusted configuration.
pub fn simulator_with(adjust: impl FnOnce(&mut SimConfig)) -> SimServer {
    let mut config = SimConfig {
        credentials: Credentials {
            token: Some(TOKEN.into()),
            access_id: Some(ACCESS_ID.into()),
            access_key: Some(ACCESS_KEY.into()),
        },
        state_file: None,
        latency: Duration::ZERO,
        read_only: false,
        ..SimConfig::default()
    };
    adjust(&mut config);
    SimServer::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).expect("start simulator")
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
        let mut command = Command::new(env!("CARGO_BIN_EXE_soarform"));
        command.args(&self.args);
        self.execute(command)
    }

    /// Runs with other arguments (the directory, files and environment are kept).
    pub fn run_args(&self, args: &[String]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_soarform"));
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
        command
            .current_dir(self.directory.path())
            .env_remove("SOARFORM_URL")
            .env_remove("SOARFORM_TOKEN")
            .env_remove("SUMO_ACCESS_ID")
            .env_remove("SUMO_ACCESS_KEY")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("SOARFORM_LOCK_TIMEOUT")
            .env("NO_COLOR", "1")
            // The apply lease has tests of its own (`concurrency.rs`, which set `SOARFORM_LOCK`);
            // elsewhere it would add an object and a settle delay to every apply.
            .env("SOARFORM_LOCK", "false")
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

/// Insta filters that hide what changes between runs: ports, temporary paths, ids of timing.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"/tmp/\.tmp[A-Za-z0-9]+", "[TEMP]"),
    ]
}

/// Snapshot of an output with the standard filters.
#[macro_export]
macro_rules! assert_output_snapshot {
    ($name:expr, $output:expr) => {
        insta::with_settings!({ filters => $crate::support::filters() }, {
            insta::assert_snapshot!($name, $output.combined());
        });
    };
}

/// Creates an object through the HTTP API directly, as a person or another tool would.
pub fn create_through_api(
    server: &SimServer,
    path: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    http(server, "POST", path, Some(body)).1
}

/// A minimal HTTP/1.1 request with the test token; returns status and JSON body.
pub fn http(
    server: &SimServer,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(server.addr()).expect("connect");
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        server.addr(),
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("receive");
    let status: u16 = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let payload = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(payload)
    } else {
        payload.to_string()
    };
    (
        status,
        serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
    )
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        text = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// Runs `soarform ARGS --url SERVER --api v3` in the test's directory.
pub fn run_against(test: &Test, server: &SimServer, args: &[&str]) -> Output {
    let mut all: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    all.extend(["--url".into(), server.url(), "--api".into(), "v3".into()]);
    test.run_args(&all)
}

/// The id of the one incident carrying `key` (the test fails if there is not exactly one).
pub fn incident_id(server: &SimServer, key: &str) -> u64 {
    let incidents = server.incidents();
    let found: Vec<&serde_json::Value> = incidents
        .iter()
        .filter(|incident| incident["fields"]["incidentid"]["value"] == key)
        .collect();
    assert_eq!(found.len(), 1, "{key}: {found:?}");
    found[0]["id"].as_u64().expect("id")
}

/// Whether a request the simulator received was a create or an update.
pub fn is_write(request: &soarform::sim::RecordedRequest) -> bool {
    request.method == "PUT" || (request.method == "POST" && !request.path.ends_with("/search/"))
}

/// The head and body of one HTTP/1.1 request, `None` at the end of the connection: for the small
/// fake servers and proxies some tests put in front of the client.
pub fn read_request(stream: &mut std::net::TcpStream) -> Option<(String, Vec<u8>)> {
    use std::io::{BufRead as _, Read as _};
    let mut reader = std::io::BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// Sends one request read by [`read_request`] on to `upstream` (the simulator) with
/// `Connection: close`, and its answer back on `stream`: the forwarding half of the tests' proxies.
pub fn forward(
    stream: &mut std::net::TcpStream,
    upstream: std::net::SocketAddr,
    head: &str,
    body: &[u8],
) {
    use std::io::{Read as _, Write as _};
    let Ok(mut upstream) = std::net::TcpStream::connect(upstream) else {
        return;
    };
    // One request per connection: the simulator's answer says `connection: close` in turn.
    let head: String = head
        .split_inclusive("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    let _ = write!(
        upstream,
        "{}\r\nConnection: close\r\n\r\n",
        head.trim_end_matches("\r\n")
    );
    let _ = upstream.write_all(body);
    let mut answer = Vec::new();
    let _ = upstream.read_to_end(&mut answer);
    let _ = stream.write_all(&answer);
    let _ = stream.flush();
}
