//! Hostile text: escape sequences in what the tenant holds, in what a server says and in files are
//! shown escaped in text and Markdown and kept as they are in JSON; a sensitive value a server
//! echoes back, in any encoding, is withheld, in retry log lines too.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::support::binary::{run_against, Test};
use crate::support::http::call;
use crate::support::{simulator, TOKEN};

/// A clear-screen, a window title ended by BEL, a carriage return, a right-to-left override, a
/// C1 control and a line that reads like a plan header.
const HOSTILE: &str = "Phish \u{1b}[2J report\u{1b}]0;pwned\u{7} ok\rfaked \u{202e}txt.exe\u{9b}31m\n+ create Incident forged (template Phishing)\n";

/// The characters that must never reach a terminal or a comment raw.
const RAW: [char; 5] = ['\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{9b}'];

fn assert_inert(what: &str, text: &str) {
    assert!(!text.contains(RAW), "{what} holds a raw control:\n{text:?}");
    // A real header starts its line; the forged one is always indented or marked as a diff line.
    assert!(
        !text
            .lines()
            .any(|line| line.starts_with("+ create Incident forged")),
        "{what} shows the forged line as a header:\n{text}"
    );
}

fn hostile_incident(server: &soarform::sim::SimServer) {
    let (status, body) = call(
        server,
        "POST",
        "/api/csoar/v3/incidents/",
        Some(&json!({"template_id": 1, "fields": {
            "incidentid": "phishing/hostile",
            "status": 1,
            "description": HOSTILE,
            "opt_3": "Fin\u{1b}[8mance\u{2066}",
            // Written by soarform earlier: its ownership marker is set.
            "opt_7": "soarform",
        }})),
    );
    assert_eq!(status, 201, "{body}");
}

const DOCUMENT: &str = "kind: Incident\nkey: phishing/hostile\ntemplate: Phishing\nfields:\n  status: Open\n  description: |\n    Phishing report.\n  Business unit: Finance\n";

#[test]
fn escape_sequences_in_tenant_values_are_escaped_in_text_and_markdown_and_kept_in_json() {
    let server = simulator();
    hostile_incident(&server);
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("incidents.yaml", DOCUMENT);

    let text = run_against(&test, &server, &["plan", "."]);
    assert_eq!(text.code, 0, "{}", text.combined());
    assert_inert("text plan", &text.combined());
    assert!(
        text.stdout
            .contains("~ update Incident phishing/hostile (id "),
        "{}",
        text.stdout
    );
    // Each line of the live text is one diff line, indented under its field and marked `-`.
    assert!(
        text.stdout.contains(
            "        -Phish \\u{1b}[2J report\\u{1b}]0;pwned\\u{7} ok\n        -faked \\u{202e}txt.exe\\u{9b}31m\n        -+ create Incident forged (template Phishing)\n"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("    ~ Business unit: \"Fin\\u{1b}[8mance\\u{2066}\" -> \"Finance\"\n"),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.lines().any(|line| line.starts_with("+ create")),
        "{}",
        text.stdout
    );

    let markdown = run_against(&test, &server, &["plan", ".", "--format", "markdown"]);
    assert_eq!(markdown.code, 0, "{}", markdown.combined());
    assert_inert("Markdown plan", &markdown.combined());
    assert!(
        markdown.stdout.contains(
            "-Phish \\u{1b}[2J report\\u{1b}]0;pwned\\u{7} ok\n-faked \\u{202e}txt.exe\\u{9b}31m\n-+ create Incident forged (template Phishing)\n"
        ),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown
            .stdout
            .contains("- Business unit: \"Fin\\u{1b}[8mance\\u{2066}\"\n"),
        "{}",
        markdown.stdout
    );

    // JSON carries the value exactly as the tenant holds it (line endings normalized), with
    // serde's own escapes for C0 controls in the document text, as before.
    let json = run_against(&test, &server, &["plan", ".", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.combined());
    assert!(
        !json.stdout.contains(['\u{1b}', '\u{7}', '\r']),
        "{:?}",
        json.stdout
    );
    assert!(json.stdout.contains("\\u001b[2J"), "{}", json.stdout);
    let document: Value = serde_json::from_str(&json.stdout).unwrap();
    let changes = document["objects"][0]["changes"].as_array().unwrap();
    let description = changes
        .iter()
        .find(|change| change["field"] == "description")
        .unwrap();
    assert_eq!(
        description["before"],
        HOSTILE.replace('\r', "\n"),
        "{description}"
    );
    let unit = changes
        .iter()
        .find(|change| change["field"] == "opt_3")
        .unwrap();
    assert_eq!(unit["before"], "Fin\u{1b}[8mance\u{2066}", "{unit}");
}

/// A server on loopback that answers every request with `status` and `body`.
fn answering(status: &'static str, body: Value) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let body = body.to_string();
            let mut stream = stream;
            if crate::support::http::read_request(&mut stream).is_none() {
                continue;
            }
            let _ = write_response(&mut stream, status, &body);
        }
    });
    address
}

fn write_response(stream: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

#[test]
fn a_server_message_with_escape_sequences_is_shown_escaped() {
    let address = answering(
        "400 Bad Request",
        json!({
            "error": "bad request",
            "description": "no such column \u{1b}[2J\u{1b}]0;pwned\u{7}\r\nerror: forged line \u{202e}kcatta\u{9b}0m",
        }),
    );
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("incidents.yaml", DOCUMENT);
    let output = test.run_args(&[
        "plan".into(),
        ".".into(),
        "--url".into(),
        format!("http://{address}"),
        "--api".into(),
        "v3".into(),
    ]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert_inert("error", &output.combined());
    assert!(
        output.stderr.contains(
            "400: bad request: no such column \\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\r\\nerror: forged line \\u{202e}kcatta\\u{9b}0m\n"
        ),
        "{}",
        output.stderr
    );
    // The message stays on the error's line: the forged `error:` cannot start a line of its own.
    assert_eq!(
        output
            .stderr
            .lines()
            .filter(|line| line.starts_with("error"))
            .count(),
        1,
        "{}",
        output.stderr
    );
}

#[test]
fn an_escape_sequence_in_a_file_is_shown_escaped_under_the_caret() {
    // Raw in the file: YAML takes them in a plain scalar.
    let test = Test::new().write(
        "incidents.yaml",
        "kind: Incident\nkey: phishing/file\ntemplate: Phish\u{1b}[2J\u{202e}ing\u{7}\nfields:\n  status: Open\n",
    );
    let output = test.run_args(&["plan".into(), ".".into(), "--sandbox".into()]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert_inert("diagnostic", &output.combined());
    assert!(
        output
            .stderr
            .contains(" --> incidents.yaml:3:11\n  |\n3 | template: Phish\\u{1b}[2J\\u{202e}ing\\u{7}\n  |           ^^^^^"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("`Phish\\u{1b}[2J\\u{202e}ing\\u{7}`"),
        "{}",
        output.stderr
    );
}

/// A sensitive value the test writes, and the one the tenant holds: non-ASCII, a `/`, a space.
const NEW_SECRET: &str = "Élan-NEW/7 x";
const OLD_SECRET: &str = "Ölig-OLD/3 y";

/// The forms a server or proxy may echo a value in.
fn echoed(form: usize, value: &str) -> String {
    match form {
        // JSON with every non-ASCII character as `\uXXXX`, upper-case hex, and `\/`.
        0 => value
            .chars()
            .map(|c| match c {
                '/' => "\\/".to_string(),
                c if !c.is_ascii() => format!("\\u{:04X}", c as u32),
                c => c.to_string(),
            })
            .collect(),
        // Lower-cased.
        1 => value.to_lowercase(),
        // URL-encoded, lower-case hex, space as `+`.
        2 => value
            .bytes()
            .map(|byte| match byte {
                b' ' => "+".to_string(),
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => char::from(byte).to_string(),
                byte => format!("%{byte:02x}"),
            })
            .collect(),
        // Every character as `\uxxxx`, upper-cased first.
        _ => value
            .to_uppercase()
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect(),
    }
}

/// A proxy in front of the simulator that forwards everything but writes: the first write is
/// answered 503 and every later one 400, each echoing a sensitive value in the form `form` names.
fn echoing_proxy(simulator: SocketAddr, form: Arc<AtomicUsize>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let writes = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let form = Arc::clone(&form);
            let writes = Arc::clone(&writes);
            std::thread::spawn(move || relay(stream, simulator, &form, &writes));
        }
    });
    address
}

/// One request of the proxy: a write answered with an echo, anything else forwarded.
fn relay(mut stream: TcpStream, simulator: SocketAddr, form: &AtomicUsize, writes: &AtomicUsize) {
    let Some((head, body)) = crate::support::http::read_request(&mut stream) else {
        return;
    };
    if head.starts_with("PUT ") {
        let form = form.load(Ordering::SeqCst);
        let (status, value) = if writes.fetch_add(1, Ordering::SeqCst) == 0 {
            ("503 Service Unavailable", NEW_SECRET)
        } else if form.is_multiple_of(2) {
            ("400 Bad Request", NEW_SECRET)
        } else {
            ("400 Bad Request", OLD_SECRET)
        };
        // Hand-written JSON, so that the echo keeps its escapes once the client decodes it.
        let message = format!(
            "{{\"error\": \"invalid value\", \"description\": \"opt_2 cannot be `{}`\"}}",
            echoed(form, value).replace('\\', "\\\\")
        );
        let _ = write_response(&mut stream, status, &message);
        return;
    }
    crate::support::http::forward(&mut stream, simulator, &head, &body);
}

#[test]
fn a_sensitive_value_echoed_in_any_encoding_is_withheld_in_errors_and_retry_lines() {
    let server = simulator();
    let (status, body) = call(
        &server,
        "POST",
        "/api/csoar/v3/incidents/",
        Some(&json!({"template_id": 1, "fields": {
            "incidentid": "secret/echo", "status": 1, "opt_2": OLD_SECRET, "opt_7": "soarform",
        }})),
    );
    assert_eq!(status, 201, "{body}");
    let form = Arc::new(AtomicUsize::new(0));
    let proxy = echoing_proxy(server.addr(), Arc::clone(&form));
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("soarform.yaml", "sensitive_fields: [External ticket]\n")
        .write(
            "incidents.yaml",
            format!("kind: Incident\nkey: secret/echo\ntemplate: Phishing\nfields:\n  status: Open\n  External ticket: {NEW_SECRET}\n"),
        );
    for current in 0..4 {
        form.store(current, Ordering::SeqCst);
        let value = if current % 2 == 0 {
            NEW_SECRET
        } else {
            OLD_SECRET
        };
        let output = test.run_args(&[
            "apply".into(),
            ".".into(),
            "--auto-approve".into(),
            "--url".into(),
            format!("http://{proxy}"),
            "--api".into(),
            "v3".into(),
            "-v".into(),
        ]);
        let combined = output.combined();
        assert_eq!(output.code, 3, "form {current}: {combined}");
        for leak in [NEW_SECRET, OLD_SECRET, &echoed(current, value)] {
            assert!(
                !combined.contains(leak),
                "form {current} leaks `{leak}`:\n{combined}"
            );
        }
        assert!(
            output.stdout.contains(&format!(
                "x Incident secret/echo: failed: `update_incident` failed with 400: {}",
                soarform::WITHHELD
            )),
            "form {current}: {combined}"
        );
        if current == 0 {
            // The retry of the 503 was logged; the client scrubbed the server's message before
            // the line was written, so only that message is withheld.
            assert!(
                output
                    .stderr
                    .lines()
                    .any(|line| line.starts_with("DEBUG PUT update_incident: ")
                        && line.contains(soarform::WITHHELD)
                        && line.contains("; retrying in ")),
                "{combined}"
            );
            assert!(
                output
                    .stderr
                    .contains("warning: retrying update_incident: 503 (attempt 2 of 6)"),
                "{combined}"
            );
        }
    }
}
