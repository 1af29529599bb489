//! Servers that do not behave as the API profile says (issue 10, points 2, 4, 5 and 9): search
//! pages capped below the size asked, pages that overlap or repeat, answers too large to read,
//! error bodies that echo the credential and the sensitive values sent, hosts that cannot be
//! reached, credentials no server can accept, transient errors, and redirects.
//!
//! Every server here is the bundled simulator with one of its quirks (`Quirks`) or a few lines of
//! TCP in the test, on loopback. Each test asserts the exit code, what the simulator holds
//! afterwards and the requests it received; nothing is timed except generous upper bounds where
//! the point is "it does not wait".

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::json;
use soarform::sim::{Faults, Quirks, RecordedRequest, SimServer};

use crate::support::binary::{run_against, Output, Test};
use crate::support::http::call;
use crate::support::state::is_write;
use crate::support::{simulator_with, ACCESS_ID, ACCESS_KEY, TOKEN};

// ---------------------------------------------------------------------------------------------
// Objects soarform made earlier, and the documents that declare them.

const STATUS: [&str; 3] = ["Open", "In progress", "Pending"];

/// The key of the `index`th incident.
fn key(index: usize) -> String {
    format!("k-{index:04}")
}

/// Creates `count` incidents `k-0000`.. through the API, as an earlier apply did: with the
/// ownership marker, and the values [`documents`] declares.
fn populate(server: &SimServer, count: usize) {
    populate_some(server, 0..count);
    assert_eq!(server.incidents().len(), count);
}

/// [`populate`] for the incidents of `indexes` only.
fn populate_some(server: &SimServer, indexes: impl IntoIterator<Item = usize>) {
    for index in indexes {
        let body = json!({
            "template_id": 1,
            "fields": {
                "incidentid": key(index),
                "status": index % STATUS.len() + 1,
                "opt_3": format!("unit {index}"),
                "opt_7": "soarform",
            }
        });
        let (status, answer) = call(server, "POST", "/api/csoar/v3/incidents/", Some(&body));
        assert_eq!(status, 201, "{answer}");
    }
}

/// The documents declaring the `count` incidents [`populate`] made, with the same values.
fn documents(count: usize) -> String {
    (0..count)
        .map(|index| {
            format!(
                "kind: Incident\nkey: {}\ntemplate: Phishing\nfields:\n  status: {}\n  Business unit: unit {index}\n",
                key(index),
                STATUS[index % STATUS.len()]
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

/// A project holding the documents of `count` incidents and optionally a `soarform.yaml`, with
/// the test token in `SOARFORM_TOKEN`.
fn project(count: usize, project_file: Option<&str>) -> Test {
    project_without_credentials(count, project_file).env("SOARFORM_TOKEN", TOKEN)
}

/// [`project`] without a credential (a token would be used before an access key).
fn project_without_credentials(count: usize, project_file: Option<&str>) -> Test {
    let test = Test::new().write("incidents.yaml", documents(count));
    match project_file {
        Some(text) => test.write("soarform.yaml", text),
        None => test,
    }
}

/// Each key once, every one of `0..count`, and nothing else.
fn assert_incidents(server: &SimServer, count: usize) {
    let mut keys: Vec<String> = server
        .incidents()
        .iter()
        .map(|incident| {
            incident["fields"]["incidentid"]["value"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    keys.sort();
    let expected: Vec<String> = (0..count).map(key).collect();
    assert_eq!(keys, expected, "the simulator holds other incidents");
}

fn is_incident_search(request: &RecordedRequest) -> bool {
    request.method == "POST" && request.path.ends_with("/incidents/search/")
}

/// The `page_size` and `page_number` of each incident search among `requests`, in order.
fn search_pages(requests: &[RecordedRequest]) -> Vec<(u64, u64)> {
    requests
        .iter()
        .filter(|request| is_incident_search(request))
        .map(|request| {
            let body = request.body.as_ref().expect("a search has a JSON body");
            (
                body["page_size"].as_u64().expect("page_size"),
                body["page_number"].as_u64().expect("page_number"),
            )
        })
        .collect()
}

fn writes(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|request| is_write(request))
        .collect()
}

/// Runs `soarform ARGS` against `server` and returns the output and the requests it received
/// during the run.
fn run_recorded(test: &Test, server: &SimServer, args: &[&str]) -> (Output, Vec<RecordedRequest>) {
    let before = server.requests().len();
    let output = run_against(test, server, args);
    let requests = server.requests().split_off(before);
    (output, requests)
}

fn plan(test: &Test, server: &SimServer) -> (Output, Vec<RecordedRequest>) {
    run_recorded(test, server, &["plan", ".", "--detailed-exitcode"])
}

fn assert_no_changes(output: &Output) {
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(
        output.stdout.contains("No changes."),
        "{}",
        output.combined()
    );
}

// ---------------------------------------------------------------------------------------------
// Point 2: paging cannot miss objects.

/// 400 incidents soarform made, on a server whose pages hold at most 150 objects: every plan and
/// apply finds all of them, however the server offsets its pages, and no apply creates any again.
/// After the first search request of a run, every one asks for pages of 150: the cap was found
/// once, by a request that also read data.
fn capped_pages_find_every_object(page_offset_by_requested: bool) {
    let server = simulator_with(|config| {
        config.quirks = Quirks {
            page_cap: Some(150),
            page_offset_by_requested,
            ..Quirks::default()
        };
    });
    populate(&server, 400);
    let test = project(400, None);

    let (output, requests) = plan(&test, &server);
    assert_no_changes(&output);
    assert!(
        output.stdout.contains("400 unchanged"),
        "{}",
        output.combined()
    );
    assert_cap_discovered_once(&requests, 400);

    for run in 1..=3 {
        let (output, requests) = run_recorded(&test, &server, &["apply", ".", "--auto-approve"]);
        assert_eq!(output.code, 0, "apply {run}: {}", output.combined());
        assert!(
            !output.stdout.contains("created"),
            "apply {run} created something: {}",
            output.combined()
        );
        assert_eq!(
            writes(&requests),
            Vec::<&RecordedRequest>::new(),
            "apply {run}"
        );
        assert_cap_discovered_once(&requests, 400);
        assert_incidents(&server, 400);
    }
}

/// The searches of one run for `count` objects on a server capping pages at 150: the first asks
/// for the configured size (500), and so does the run's one discovery search; every later one
/// asks for 150, and no more pages are read than the objects need plus those two.
fn assert_cap_discovered_once(requests: &[RecordedRequest], count: u64) {
    let pages = search_pages(requests);
    assert!(!pages.is_empty(), "no search at all");
    assert_eq!(pages[0], (500, 1), "the first search: {pages:?}");
    let asked_500 = pages.iter().take_while(|(size, _)| *size == 500).count();
    assert!(asked_500 <= 2, "{pages:?}");
    assert!(
        pages[asked_500..].iter().all(|(size, _)| *size == 150),
        "after the first search request and the discovery, pages of 150: {pages:?}"
    );
    let needed = count.div_ceil(150);
    assert!(
        (needed..=needed + 2).contains(&(pages.len() as u64)),
        "{} search requests for {count} objects in pages of 150: {pages:?}",
        pages.len()
    );
}

#[test]
fn pages_capped_by_the_server_and_offset_by_the_size_answered_miss_nothing() {
    capped_pages_find_every_object(false);
}

#[test]
fn pages_capped_by_the_server_and_offset_by_the_size_asked_miss_nothing() {
    capped_pages_find_every_object(true);
}

/// A search whose answer holds exactly as many objects as the server's cap, and is complete, does
/// not show that the server honours larger pages: a later search whose first page holds that many
/// objects too is read on, finds the cap, and misses nothing (else its other objects would be
/// created again).
#[test]
fn a_complete_answer_the_size_of_the_cap_does_not_hide_the_cap() {
    let server = simulator_with(|config| {
        config.quirks = Quirks {
            page_cap: Some(150),
            ..Quirks::default()
        };
    });
    // Two searches of 499 keys, one after the other: of the first, 150 incidents exist (exactly
    // the cap); of the second, all 499.
    populate_some(&server, (0..150).chain(499..998));
    let test = project(998, Some("limits:\n  max_concurrency: 1\n"));

    let (output, requests) = plan(&test, &server);
    assert_eq!(output.code, 2, "{}", output.combined());
    assert!(
        output
            .stdout
            .contains("Plan: 349 to create, 0 to update, 649 unchanged."),
        "{}",
        output.combined()
    );
    // The first search, the run's discovery (a page of every incident: 150, capped, so still a
    // tie), its next page (empty), then the second search finding the cap.
    assert_eq!(
        search_pages(&requests),
        vec![
            (500, 1),
            (500, 1),
            (150, 2),
            (500, 1),
            (150, 2),
            (150, 3),
            (150, 4)
        ]
    );

    let (output, _) = run_recorded(&test, &server, &["apply", ".", "--auto-approve"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(
        output.stdout.contains("349 created"),
        "{}",
        output.combined()
    );
    assert_incidents(&server, 998);
    let (output, _) = plan(&test, &server);
    assert_no_changes(&output);
}

/// Pages that overlap by one object (as when objects are created while a client pages through a
/// search): the object seen on two pages is one object, not two carrying its key. And a page
/// that held only objects seen before is no sign of a page cap: later searches still ask for
/// pages of the configured size.
#[test]
fn the_same_object_on_two_pages_is_one_object() {
    // Capped at 30, so that every search of 49 keys reads more than one page, each page after the
    // first starting one object early.
    let server = simulator_with(|config| {
        config.quirks = Quirks {
            page_overlap: 1,
            page_cap: Some(30),
            ..Quirks::default()
        };
    });
    // Three searches of 49 keys each (one less than a page), one after the other.
    populate(&server, 147);
    let test = project(
        147,
        Some("limits:\n  page_size: 50\n  max_concurrency: 1\n"),
    );

    let (output, requests) = plan(&test, &server);
    assert_no_changes(&output);
    // Neither a conflict nor, as objects soarform made carry the key, duplicates to retire.
    for twice in [
        "more than one live object",
        "objects carry the key",
        "retire",
    ] {
        assert!(!output.combined().contains(twice), "{}", output.combined());
    }
    assert!(
        output.stdout.contains("147 unchanged"),
        "{}",
        output.combined()
    );
    // Every search read on past its first page, where the last object showed again.
    let pages = search_pages(&requests);
    assert!(
        pages.iter().filter(|(_, number)| *number >= 2).count() >= 3,
        "{pages:?}"
    );
    assert!(writes(&requests).is_empty());

    let (output, requests) = run_recorded(&test, &server, &["apply", ".", "--auto-approve"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(writes(&requests).is_empty(), "{}", output.combined());
    assert_incidents(&server, 147);

    // An export reads every incident once (outside the project, whose incidents.yaml declares
    // the same keys).
    let outside = tempfile::tempdir().expect("temporary directory");
    let out = outside.path().join("repo").display().to_string();
    let (output, requests) = run_recorded(&test, &server, &["export", "--out", &out]);
    assert_eq!(output.code, 0, "{}", output.combined());
    let mut paths: Vec<&str> = output.stdout.lines().collect();
    assert_eq!(paths.len(), 147, "{}", output.combined());
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(paths.len(), 147, "an incident was exported twice");
    // In pages of the cap once found, each after the first starting one early.
    let pages = search_pages(&requests);
    assert!(pages.len() >= 147usize.div_ceil(30), "{pages:?}");
    assert!(
        pages.iter().skip(2).all(|(size, _)| *size == 30),
        "{pages:?}"
    );
}

/// A server that ignores `page_number` answers the same page forever: the search stops at the
/// first repeat with an error naming the operation, and nothing is written.
#[test]
fn a_page_that_repeats_the_previous_one_stops_the_search() {
    let server = simulator_with(|config| {
        config.quirks = Quirks {
            ignore_page_number: true,
            ..Quirks::default()
        };
    });
    populate(&server, 12);
    // Key searches of four keys answer short pages of four, which end them at once; the search
    // of `prune_scope` reads full pages, and its second repeats the first.
    let test = project(
        12,
        Some("limits:\n  page_size: 5\nprune_scope: [\"k-*\"]\n"),
    );

    for args in [
        &["plan", ".", "--detailed-exitcode"][..],
        &["apply", ".", "--auto-approve"][..],
    ] {
        let (output, requests) = run_recorded(&test, &server, args);
        assert_eq!(output.code, 1, "{args:?}: {}", output.combined());
        assert!(
            output.stderr.contains("`search_incidents` was stopped"),
            "{}",
            output.stderr
        );
        assert!(
            output.stderr.contains("page 2 repeats page 1"),
            "{}",
            output.stderr
        );
        assert!(output.stderr.contains("hint:"), "{}", output.stderr);
        // Three searches of four keys, then the prune-scope search stopped at its first repeat.
        let pages = search_pages(&requests);
        assert_eq!(pages.len(), 5, "{pages:?}");
        assert!(writes(&requests).is_empty(), "{args:?} wrote");
        assert_incidents(&server, 12);
    }

    // An export reads full pages: the second, the same as the first, stops it.
    let (output, requests) = run_recorded(&test, &server, &["export", "--out", "repo"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output
            .stderr
            .contains("`search_incidents` was stopped: page 2 repeats page 1"),
        "{}",
        output.stderr
    );
    assert_eq!(search_pages(&requests), vec![(5, 1), (5, 2)]);
    assert!(
        !test.path().join("repo").exists(),
        "a partial export was written"
    );
}

/// A search that returns more objects than `limits.max_search_objects` is stopped with an error
/// naming the operation and the setting, however well its pages look.
#[test]
fn a_search_returning_more_objects_than_the_limit_is_stopped() {
    let server = simulator_with(|_| {});
    populate(&server, 30);
    let test = project(
        30,
        Some("limits:\n  page_size: 10\n  max_search_objects: 20\n"),
    );
    let (output, requests) = run_recorded(&test, &server, &["export", "--out", "repo"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains(
            "`search_incidents` was stopped: it returned more than 20 objects (`limits.max_search_objects`)"
        ),
        "{}",
        output.stderr
    );
    assert_eq!(search_pages(&requests), vec![(10, 1), (10, 2), (10, 3)]);
    assert!(
        !test.path().join("repo").exists(),
        "a partial export was written"
    );
}

// ---------------------------------------------------------------------------------------------
// Point 5: bounded reads.

/// An answer larger than `limits.max_response_mb` is an error naming the operation, the limit and
/// the setting; nothing is written. Under the default limit the same answer is read.
#[test]
fn an_answer_larger_than_the_limit_is_refused_by_name() {
    let server = simulator_with(|config| {
        config.quirks = Quirks {
            pad_objects: 300_000,
            ..Quirks::default()
        };
    });
    populate(&server, 10);

    let limited = project(10, Some("limits:\n  max_response_mb: 1\n"));
    let (output, requests) = plan(&limited, &server);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("`search_incidents`")
            && output.stderr.contains("larger than the limit of 1 MiB")
            && output.stderr.contains("`limits.max_response_mb`"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("hint:"), "{}", output.stderr);
    // The answer was refused, not retried.
    assert_eq!(search_pages(&requests).len(), 1, "{requests:?}");
    assert!(writes(&requests).is_empty());

    let (output, requests) = run_recorded(&limited, &server, &["apply", ".", "--auto-approve"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(writes(&requests).is_empty());

    let unlimited = project(10, None);
    let (output, _) = plan(&unlimited, &server);
    assert_no_changes(&output);
    assert_incidents(&server, 10);
}

/// A server on loopback that answers every request with `status_line` and a body of `size`
/// bytes that says nothing of its length: delimited by the end of the connection, or sent in
/// chunks. Its channel gets, for each connection, how many bytes of the body were sent before
/// the client stopped reading (or all of them).
fn flooding(
    status_line: &'static str,
    chunked: bool,
    size: usize,
) -> (SocketAddr, std::sync::mpsc::Receiver<usize>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let address = listener.local_addr().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let piece = vec![b' '; 64 * 1024];
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer);
            let framing = if chunked {
                "Transfer-Encoding: chunked\r\n"
            } else {
                ""
            };
            let mut sent = 0;
            if write!(
                stream,
                "HTTP/1.1 {status_line}\r\nContent-Type: application/json\r\n{framing}Connection: close\r\n\r\n"
            )
            .is_ok()
            {
                while sent < size {
                    let written = if chunked {
                        write!(stream, "{:x}\r\n", piece.len())
                            .and_then(|()| stream.write_all(&piece))
                            .and_then(|()| stream.write_all(b"\r\n"))
                    } else {
                        stream.write_all(&piece)
                    };
                    if written.is_err() {
                        break;
                    }
                    sent += piece.len();
                }
                if chunked && sent >= size {
                    let _ = stream.write_all(b"0\r\n\r\n");
                }
            }
            let _ = sender.send(sent);
        }
    });
    (address, receiver)
}

/// Run against a server whose answers never say how long they are: reading stops at the limit,
/// not at the end of what the server sends.
#[test]
fn an_answer_of_unannounced_length_is_read_up_to_the_limit_only() {
    const FLOOD: usize = 256 * 1024 * 1024;
    for chunked in [false, true] {
        let (address, sent) = flooding("200 OK", chunked, FLOOD);
        let test = project(1, Some("limits:\n  max_response_mb: 1\n"));
        let (output, _) = run_url(&test, &format!("http://{address}"));
        assert_eq!(output.code, 1, "chunked {chunked}: {}", output.combined());
        assert!(
            output
                .stderr
                .contains("is larger than the limit of 1 MiB (`limits.max_response_mb`)"),
            "chunked {chunked}: {}",
            output.stderr
        );
        // The client hung up after about 1 MiB (plus what the sockets' buffers held).
        let first = sent.recv().unwrap();
        assert!(
            first < FLOOD,
            "chunked {chunked}: all {first} bytes were read"
        );
    }
}

/// An error answer is read only as far as a message can be long: a flood is cut, and the error
/// names the status.
#[test]
fn an_error_answer_that_never_ends_is_cut() {
    const FLOOD: usize = 256 * 1024 * 1024;
    let (address, sent) = flooding("400 Bad Request", false, FLOOD);
    let test = project(1, None);
    let (output, _) = run_url(&test, &format!("http://{address}"));
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("failed with 400: Bad Request"),
        "{}",
        output.stderr
    );
    let first = sent.recv().unwrap();
    assert!(first < FLOOD, "all {first} bytes were read");
}

// ---------------------------------------------------------------------------------------------
// Point 4: credentials and sensitive values never printed.

/// Every form in which a server or proxy may echo `value`: as written, JSON-escaped (`\u00c9`
/// and `\u00C9`, `\/`), URL-encoded (`%C3%89` and `%c3%89`, space as `+` or `%20`), lower-cased
/// and upper-cased, and the URL-encoding of the case-folded forms.
fn forms(value: &str) -> Vec<String> {
    let json = |upper_hex: bool| -> String {
        value
            .chars()
            .map(|c| match c {
                '/' => "\\/".to_string(),
                c if !c.is_ascii() => {
                    let mut units = [0u16; 2];
                    c.encode_utf16(&mut units)
                        .iter()
                        .map(|unit| {
                            if upper_hex {
                                format!("\\u{unit:04X}")
                            } else {
                                format!("\\u{unit:04x}")
                            }
                        })
                        .collect()
                }
                c => c.to_string(),
            })
            .collect()
    };
    let url = |text: &str, upper_hex: bool, space: &str| -> String {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    char::from(byte).to_string()
                }
                b' ' => space.to_string(),
                byte if upper_hex => format!("%{byte:02X}"),
                byte => format!("%{byte:02x}"),
            })
            .collect()
    };
    let mut all = vec![
        value.to_string(),
        json(false),
        json(true),
        json(false).replace("\\/", "/"),
        value.to_lowercase(),
        value.to_uppercase(),
    ];
    for text in [
        value.to_string(),
        value.to_lowercase(),
        value.to_uppercase(),
    ] {
        for upper_hex in [true, false] {
            for space in ["+", "%20"] {
                all.push(url(&text, upper_hex, space));
            }
        }
    }
    all.sort();
    all.dedup();
    all
}

/// `text` holds no form of any of `secrets`.
fn assert_no_form_of(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        for form in forms(secret) {
            assert!(
                !text.contains(&form),
                "{what} shows `{secret}` as `{form}`:\n{text}"
            );
        }
    }
}

/// A wrong token, with characters that URL-encoding, JSON-escaping and lower-casing change.
const WRONG_TOKEN: &str = "Wrong/Token+Value=42~Zq";
/// A wrong access key, the same way.
const WRONG_KEY: &str = "Wrong/Key+Value=42~Zq-0123456789";

fn echoing_simulator(read_only: bool) -> SimServer {
    simulator_with(|config| {
        config.read_only = read_only;
        config.quirks = Quirks {
            echo_errors: true,
            ..Quirks::default()
        };
    })
}

/// The 401 answers echoed the `Authorization` header: the output shows where it was, masked.
fn assert_echo_masked(what: &str, output: &Output, scheme: &str) {
    assert_eq!(output.code, 1, "{what}: {}", output.combined());
    assert!(
        output.stderr.contains("401 Unauthorized"),
        "{what}: {}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains(&format!("you sent `Authorization: {scheme} ***`")),
        "{what}: the echo is not in the output, so this test shows nothing: {}",
        output.stderr
    );
}

#[test]
fn a_token_echoed_in_any_encoding_is_never_printed() {
    let server = echoing_simulator(false);
    let test = project(1, None).env("SOARFORM_TOKEN", WRONG_TOKEN);
    for verbosity in [None, Some("-vv")] {
        let mut args = vec!["plan", "."];
        args.extend(verbosity);
        let (output, requests) = run_recorded(&test, &server, &args);
        let what = format!("plan {verbosity:?}");
        assert_echo_masked(&what, &output, "Bearer");
        assert!(requests.iter().all(|request| request.status == 401));
        assert_no_form_of(&what, &output.combined(), &[WRONG_TOKEN]);
    }
}

#[test]
fn an_access_key_echoed_in_any_encoding_is_never_printed() {
    let server = echoing_simulator(false);
    let test = project_without_credentials(1, None)
        .env("SUMO_ACCESS_ID", ACCESS_ID)
        .env("SUMO_ACCESS_KEY", WRONG_KEY);
    let pair = format!("{ACCESS_ID}:{WRONG_KEY}");
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pair);
    for verbosity in [None, Some("-vv")] {
        let mut args = vec!["plan", "."];
        args.extend(verbosity);
        let (output, _) = run_recorded(&test, &server, &args);
        let what = format!("plan {verbosity:?}");
        assert_echo_masked(&what, &output, "Basic");
        assert_no_form_of(
            &what,
            &output.combined(),
            &[ACCESS_ID, WRONG_KEY, &pair, &encoded],
        );
        // The error still says which key failed, by its first characters.
        assert!(
            output.stderr.contains("access ID `suTE…`"),
            "{}",
            output.stderr
        );
    }
}

/// A sensitive value with a letter outside ASCII, so that each encoding changes it.
const SENSITIVE: &str = "Éclair-42";

#[test]
fn a_sensitive_value_and_the_token_echoed_by_a_refused_write_are_never_printed() {
    let server = echoing_simulator(true);
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("soarform.yaml", "sensitive_fields: [Business unit]\n")
        .write(
            "incidents.yaml",
            format!("kind: Incident\nkey: secret/echo\ntemplate: Phishing\nfields:\n  status: Open\n  Business unit: {SENSITIVE}\n"),
        );
    for verbosity in [None, Some("-vv")] {
        let mut args = vec!["apply", ".", "--auto-approve"];
        args.extend(verbosity);
        let (output, requests) = run_recorded(&test, &server, &args);
        let what = format!("apply {verbosity:?}");
        let combined = output.combined();
        assert_ne!(output.code, 0, "{what}: {combined}");
        // The create was sent with the value and refused with an echo of it.
        let refused: Vec<&RecordedRequest> = requests
            .iter()
            .filter(|request| request.method == "POST" && request.path.ends_with("/incidents/"))
            .collect();
        assert!(!refused.is_empty(), "{what}: no create was sent");
        assert!(refused.iter().all(|request| request.status == 403));
        assert!(
            refused[0]
                .body
                .as_ref()
                .is_some_and(|body| body["fields"]["opt_3"] == SENSITIVE),
            "{what}: {refused:?}"
        );
        assert!(combined.contains("403"), "{what}: {combined}");
        assert!(
            combined.contains(soarform::WITHHELD),
            "{what}: the echo is not in the output, so this test shows nothing: {combined}"
        );
        assert_no_form_of(&what, &combined, &[SENSITIVE, TOKEN]);
        assert!(server.incidents().is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Point 9: fail fast on what waiting cannot fix.

/// A port on loopback that nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

fn run_url(test: &Test, url: &str) -> (Output, Duration) {
    let started = Instant::now();
    let output = test.run_args(&[
        "plan".into(),
        ".".into(),
        "--url".into(),
        url.into(),
        "--api".into(),
        "v3".into(),
    ]);
    (output, started.elapsed())
}

#[test]
fn a_refused_connection_to_a_named_host_is_reported_at_once() {
    let test = project(1, Some("limits:\n  retry_seconds: 60\n"));
    let (output, elapsed) = run_url(&test, &format!("http://localhost:{}", closed_port()));
    assert_eq!(output.code, 1, "{}", output.combined());
    // A generous bound: the retry budget is 60 s, an answer at once takes well under a second.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    assert!(
        output.stderr.contains("the connection was refused"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("hint: check the host and port"),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains("retrying"), "{}", output.stderr);
}

#[test]
fn a_host_name_that_does_not_resolve_is_reported_at_once() {
    let test = project(1, Some("limits:\n  retry_seconds: 60\n"));
    // `.invalid` never resolves (RFC 6761).
    let (output, _) = run_url(&test, "https://soar.soarform-test.invalid");
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("its host name does not resolve"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("and this machine's DNS"),
        "{}",
        output.stderr
    );
    // Not retried: the first retry would have said so without `-v`.
    assert!(!output.stderr.contains("retrying"), "{}", output.stderr);
}

#[test]
fn https_to_a_plain_http_server_is_reported_at_once() {
    let server = simulator_with(|_| {});
    let test = project(1, Some("limits:\n  retry_seconds: 60\n"));
    let (output, elapsed) = run_url(&test, &format!("https://{}", server.addr()));
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    assert!(
        output.stderr.contains("the TLS handshake failed"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("hint:"), "{}", output.stderr);
    assert!(!output.stderr.contains("retrying"), "{}", output.stderr);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

/// A credential no server can accept: a byte-order mark in front, a control character, a space.
fn unusable(secret: &str) -> [(String, &'static str); 3] {
    let (head, tail) = secret.split_at(secret.len() / 2);
    [
        (format!("\u{feff}{secret}"), "byte-order mark"),
        (format!("{head}\u{1}{tail}"), "control character"),
        (format!("{head} {tail}"), "space"),
    ]
}

/// The output names `variable` and the problem, and shows no part of `secret`.
fn assert_refused_before_any_request(
    server: &SimServer,
    output: &Output,
    variable: &str,
    problem: &str,
    secret: &str,
) {
    let combined = output.combined();
    assert_eq!(output.code, 1, "{combined}");
    assert!(
        output
            .stderr
            .contains(&format!("`{variable}` holds a {problem}")),
        "{combined}"
    );
    assert!(output.stderr.contains("hint:"), "{combined}");
    let (head, tail) = secret.split_at(secret.len() / 2);
    for part in [secret, head, tail] {
        assert!(!combined.contains(part), "shows `{part}`: {combined}");
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn an_unusable_token_is_refused_before_any_request() {
    let server = simulator_with(|_| {});
    for (token, problem) in unusable(TOKEN) {
        let test = project_without_credentials(1, None).env("SOARFORM_TOKEN", &token);
        let output = run_against(&test, &server, &["plan", "."]);
        assert_refused_before_any_request(&server, &output, "SOARFORM_TOKEN", problem, TOKEN);

        // The same token in a file (as an editor that adds a byte-order mark saves it); a
        // space there splits the file into words, which has its own error.
        if problem == "space" {
            continue;
        }
        let test = project_without_credentials(1, None).write("token.txt", format!("{token}\n"));
        let output = run_against(&test, &server, &["plan", ".", "--token-file", "token.txt"]);
        assert_refused_before_any_request(
            &server,
            &output,
            "--token-file token.txt",
            problem,
            TOKEN,
        );
    }
}

#[test]
fn an_unusable_access_key_is_refused_before_any_request() {
    let server = simulator_with(|_| {});
    for (key, problem) in unusable(ACCESS_KEY) {
        let test = project_without_credentials(1, None)
            .env("SUMO_ACCESS_ID", ACCESS_ID)
            .env("SUMO_ACCESS_KEY", &key);
        let output = run_against(&test, &server, &["plan", "."]);
        assert_refused_before_any_request(&server, &output, "SUMO_ACCESS_KEY", problem, ACCESS_KEY);
    }
}

/// A simulator with `faults` and `quirks` that holds the `count` incidents of [`populate`], made
/// by a simulator without them on the state file this one loads: the faults draw from the first
/// request of the test on. Keep the directory while the simulator runs.
fn faulty_simulator_holding(
    count: usize,
    faults: Faults,
    quirks: Quirks,
) -> (SimServer, tempfile::TempDir) {
    let directory = tempfile::tempdir().unwrap();
    let state_file = directory.path().join("state.json");
    {
        let clean = simulator_with(|config| config.state_file = Some(state_file.clone()));
        populate(&clean, count);
    }
    let server = simulator_with(|config| {
        config.state_file = Some(state_file);
        config.faults = faults;
        config.quirks = quirks;
    });
    assert_incidents(&server, count);
    (server, directory)
}

/// The first retry of each operation is reported without `-v`, once per operation, with the
/// status and the attempt; later retries of the same operation are not repeated. `faults` must
/// spare the first three requests of a run (the catalog) and hit at least two of the searches
/// after them with the statuses in `statuses` (seeds found by trying; the test checks what the
/// simulator really answered).
fn first_retry_reported(faults: Faults, statuses: &[u16], attempt: &str) {
    let seed = faults.seed;
    let (server, _directory) = faulty_simulator_holding(45, faults, Quirks::default());
    // Five searches of nine keys each.
    let test = project(45, Some("limits:\n  page_size: 10\n"));
    let (output, requests) = plan(&test, &server);
    assert_no_changes(&output);
    let failed: Vec<u16> = requests
        .iter()
        .filter(|request| request.status >= 400)
        .map(|request| request.status)
        .collect();
    let searches_failed = requests
        .iter()
        .filter(|request| is_incident_search(request) && request.status >= 400)
        .count();
    assert!(
        searches_failed >= 2 && searches_failed == failed.len(),
        "seed {seed}: the answers {failed:?} are not what this test needs; pick another seed"
    );
    assert!(
        failed.iter().all(|status| statuses.contains(status)),
        "{failed:?}"
    );
    let lines: Vec<&str> = output
        .stderr
        .lines()
        .filter(|line| line.starts_with("warning: retrying"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "one line, however many retries: {}",
        output.stderr
    );
    assert!(
        failed.iter().any(|status| lines[0]
            == format!("warning: retrying search_incidents: {status} ({attempt})")),
        "{}",
        output.stderr
    );
}

#[test]
fn the_first_retry_of_a_server_error_is_reported_without_verbose() {
    let faults = Faults {
        seed: 60,
        server_error_rate: 0.3,
        ..Faults::default()
    };
    first_retry_reported(faults, &[502, 503, 504], "attempt 2 of 6");
}

/// Retry lines, with and without `-v`, of answers that echo the token: the token is masked in
/// each of its forms.
#[test]
fn retry_lines_never_show_an_echoed_token() {
    let faults = Faults {
        seed: 60,
        server_error_rate: 0.3,
        ..Faults::default()
    };
    let quirks = Quirks {
        echo_errors: true,
        ..Quirks::default()
    };
    let (server, _directory) = faulty_simulator_holding(45, faults, quirks);
    let test = project(45, Some("limits:\n  page_size: 10\n"));
    let (output, requests) = run_recorded(&test, &server, &["plan", ".", "-v"]);
    assert_no_changes(&output);
    assert!(requests.iter().any(|request| request.status >= 500));
    let retries: Vec<&str> = output
        .stderr
        .lines()
        .filter(|line| line.starts_with("DEBUG ") && line.contains("; retrying in "))
        .collect();
    assert!(retries.len() >= 2, "{}", output.stderr);
    for line in &retries {
        assert!(
            line.contains("you sent `Authorization: Bearer ***`"),
            "the echo is not in the retry line, so this test shows nothing: {line}"
        );
    }
    assert_no_form_of("plan -v", &output.combined(), &[TOKEN]);
}

#[test]
fn the_first_retry_of_a_throttled_request_is_reported_without_verbose() {
    let faults = Faults {
        seed: 1,
        throttle_rate: 0.3,
        ..Faults::default()
    };
    first_retry_reported(faults, &[429], "attempt 2; the server asks to slow down");
}

// ---------------------------------------------------------------------------------------------
// Point 9: messages name the real status.

/// A server on loopback that answers every request with `status_line` and a `Location`.
fn redirecting(status_line: &'static str) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer);
            let _ = write!(
                stream,
                "HTTP/1.1 {status_line}\r\nLocation: https://api.eu.sumologic.com/api/csoar/v3/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.flush();
        }
    });
    address
}

/// A proxy in front of `simulator` that answers every create (`POST .../incidents/`) with
/// `status_line` and forwards everything else; one request per connection.
fn failing_creates(simulator: SocketAddr, status_line: &'static str) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let Some((head, body)) = crate::support::http::read_request(&mut stream) else {
                    return;
                };
                if head.starts_with("POST ") && head.contains("/incidents/ HTTP/") {
                    let message =
                        r#"{"error": "Internal Server Error", "description": "the create failed"}"#;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status_line}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{message}",
                        message.len()
                    );
                    return;
                }
                crate::support::http::forward(&mut stream, simulator, &head, &body);
            });
        }
    });
    address
}

/// A create answered 500 every time is given up with that status, not as an answer lost.
#[test]
fn a_create_answered_500_every_time_is_reported_with_its_status() {
    let server = simulator_with(|_| {});
    let proxy = failing_creates(server.addr(), "500 Internal Server Error");
    let test = project(1, Some("limits:\n  create_settle_seconds: 0\n"));
    let output = test.run_args(&[
        "apply".into(),
        ".".into(),
        "--auto-approve".into(),
        "--url".into(),
        format!("http://{proxy}"),
        "--api".into(),
        "v3".into(),
    ]);
    assert_eq!(output.code, 3, "{}", output.combined());
    assert!(
        output.stdout.contains("the last answer was an error (`create_incident` failed with 500: Internal Server Error: the create failed)"),
        "{}",
        output.combined()
    );
    assert!(
        !output.combined().contains("every answer was lost"),
        "{}",
        output.combined()
    );
    assert!(server.incidents().is_empty());
}

#[test]
fn redirects_are_reported_with_their_own_status() {
    for status_line in [
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let address = redirecting(status_line);
        let test = project(1, None);
        let (output, _) = run_url(&test, &format!("http://{address}"));
        assert_eq!(output.code, 1, "{}", output.combined());
        assert!(
            output.stderr.contains(&format!(
                "answered {status_line} to `https://api.eu.sumologic.com/api/csoar/v3/`"
            )),
            "{status_line}: {}",
            output.stderr
        );
        assert!(!output.stderr.contains("answered 301"), "{}", output.stderr);
        assert!(
            output.stderr.contains("region or host is probably wrong"),
            "{}",
            output.stderr
        );
    }
}
