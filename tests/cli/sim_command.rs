//! `soarform sim` as a standalone server.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

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

fn get(address: &str, path: &str, authorization: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: {authorization}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
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
