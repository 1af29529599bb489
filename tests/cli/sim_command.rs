//! `soarform sim` as a standalone server.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::http::send;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Running, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_soarform"))
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn soarform sim");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let done = line.starts_with("listening on ");
        lines.push(line);
        if done {
            break;
        }
    }
    (Running(child), lines)
}

/// The whole response to a `GET` with `authorization`, as received.
fn get(address: &str, path: &str, authorization: &str) -> String {
    let address = address
        .parse()
        .expect("the listening line names an address");
    send(
        address,
        "GET",
        path,
        &[("Authorization", authorization)],
        None,
    )
    .raw
}

#[test]
fn prints_the_listening_line_and_serves_both_base_paths() {
    let (_server, lines) = start(&["--listen", "127.0.0.1:0", "--token", "abc123"]);
    let address = lines
        .last()
        .and_then(|line| line.strip_prefix("listening on http://"))
        .expect("listening line")
        .to_string();
    for base in ["/api/csoar/v3/", "/incmansuite_ng/api/v3/"] {
        let response = get(
            &address,
            &format!("{base}incident_templates/"),
            "Bearer abc123",
        );
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains("Data exfiltration"), "{response}");
    }
    let refused = get(&address, "/api/csoar/v3/incident_templates/", "Bearer nope");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
}

#[test]
fn without_credentials_it_generates_and_prints_a_token() {
    let (_server, lines) = start(&["--listen", "127.0.0.1:0"]);
    let token = lines
        .iter()
        .find_map(|line| line.strip_prefix("token: "))
        .expect("token line")
        .to_string();
    assert!(token.len() >= 32);
    let address = lines
        .last()
        .unwrap()
        .strip_prefix("listening on http://")
        .unwrap()
        .to_string();
    let response = get(
        &address,
        "/api/csoar/v3/incidents/columns/",
        &format!("Bearer {token}"),
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[test]
fn accepts_basic_auth_with_the_given_access_key() {
    let (_server, lines) = start(&[
        "--listen",
        "127.0.0.1:0",
        "--access-id",
        "suID",
        "--access-key",
        "k3y",
    ]);
    let address = lines
        .last()
        .unwrap()
        .strip_prefix("listening on http://")
        .unwrap()
        .to_string();
    // base64("suID:k3y")
    let response = get(
        &address,
        "/incmansuite_ng/api/v3/triage/columns/",
        "Basic c3VJRDprM3k=",
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("Source reference"), "{response}");
}

/// Starts `soarform sim` and returns its stdout lines up to the listening line and the first
/// line of stderr (the active latency, limits and faults).
fn start_reading_stderr(args: &[&str]) -> (Running, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_soarform"))
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn soarform sim");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let address = BufReader::new(stdout)
        .lines()
        .map(|line| line.expect("line"))
        .find_map(|line| {
            line.strip_prefix("listening on http://")
                .map(str::to_string)
        })
        .expect("listening line");
    let mut active = String::new();
    BufReader::new(stderr)
        .read_line(&mut active)
        .expect("stderr line");
    (Running(child), address, active)
}

fn status_of(response: &str) -> &str {
    response.split(' ').nth(1).unwrap_or_default()
}

#[test]
fn faults_come_from_a_file_and_flags_override_it() {
    let directory = tempfile::tempdir().unwrap();
    let faults = directory.path().join("faults.yaml");
    std::fs::write(
        &faults,
        "# every request fails, at most one per second\nerror_rate: 1.0\nrate_limit: 1\nretry_after: none\nseed: 3\n",
    )
    .unwrap();
    let (_server, address, active) = start_reading_stderr(&[
        "--listen",
        "127.0.0.1:0",
        "--token",
        "abc123",
        "--faults",
        faults.to_str().unwrap(),
        "--error-rate",
        "0",
    ]);
    assert_eq!(
        active.trim_end(),
        "latency: none; limits: 1 requests per second (bursts of 1); faults: none; Retry-After: none"
    );
    // The flag turned the file's errors off; the file's rate limit still holds.
    let first = get(
        &address,
        "/api/csoar/v3/incident_templates/",
        "Bearer abc123",
    );
    assert_eq!(status_of(&first), "200", "{first}");
    let second = get(
        &address,
        "/api/csoar/v3/incident_templates/",
        "Bearer abc123",
    );
    assert_eq!(status_of(&second), "429", "{second}");
    assert!(second.contains("rate.limit.exceeded"), "{second}");
    assert!(
        !second.to_ascii_lowercase().contains("retry-after"),
        "{second}"
    );
}

#[test]
fn the_active_faults_are_printed_and_applied() {
    let (_server, address, active) = start_reading_stderr(&[
        "--listen",
        "127.0.0.1:0",
        "--token",
        "abc123",
        "--latency-ms",
        "5",
        "--max-concurrency",
        "3",
        "--error-rate",
        "1",
        "--seed",
        "9",
    ]);
    assert_eq!(
        active.trim_end(),
        "latency: 5 ms; limits: 3 in flight; faults: server error 100% (seed 9); Retry-After: seconds"
    );
    let response = get(
        &address,
        "/api/csoar/v3/incident_templates/",
        "Bearer abc123",
    );
    assert!(status_of(&response).starts_with('5'), "{response}");
    assert!(response.contains("injected fault"), "{response}");
}

fn run_sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_soarform"))
        .arg("sim")
        .args(["--listen", "127.0.0.1:0", "--token", "abc123"])
        .args(args)
        .output()
        .expect("run soarform sim")
}

#[test]
fn a_rate_out_of_range_is_an_error() {
    let output = run_sim(&["--error-rate", "1.5"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid value '1.5' for '--error-rate <R>': must be a number from 0 to 1"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    let output = run_sim(&["--max-concurrency", "0"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("must be a whole number of at least 1"),
        "{stderr}"
    );
}

#[test]
fn a_bad_faults_file_is_an_error_naming_the_file_and_the_key() {
    let directory = tempfile::tempdir().unwrap();
    let faults = directory.path().join("faults.yaml");
    std::fs::write(&faults, "throttle_rate: 2\ndrop_rate: 0.1\n").unwrap();
    let output = run_sim(&["--faults", faults.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "`throttle_rate` must be a number from 0 to 1, found `2`",
        "unknown key `drop_rate` in the faults file",
        "faults.yaml:1:16",
        "faults.yaml:2:1",
        "faults.yaml` is invalid; the simulator was not started",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in\n{stderr}"
        );
    }
    assert!(output.stdout.is_empty());

    let missing = directory.path().join("missing.yaml");
    let output = run_sim(&["--faults", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("missing.yaml"), "{stderr}");
}
