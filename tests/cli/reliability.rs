//! Reliability against the simulator's limits and faults: the client-side rate and concurrency
//! limits, retries of 429s (with `Retry-After` in seconds, as an HTTP date, and without), 5xx
//! answers, writes dropped before and after they are committed, retry budgets that run out, and
//! partial failures.
//!
//! Every test asserts the simulator's final state (exactly one object per key, holding the
//! desired values), not only the exit code. Counts are small and seeds fixed so that the whole
//! file runs in seconds; nothing is timed except generous upper bounds where the point is "it
//! gives up".

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use soarform::sim::{DropKind, Faults, Limits, RecordedRequest, RetryAfter, SimConfig, SimServer};

use crate::support::binary::{Output, Test};
use crate::support::http::call;
use crate::support::state::{is_search, is_write};
use crate::support::{simulator_with, TOKEN};

// ---------------------------------------------------------------------------------------------
// Desired objects: the YAML that declares them, the API body that creates them directly, and the
// values reads must return once they are applied.

const INCIDENT_STATUS: [&str; 4] = ["Open", "In progress", "Pending", "Closed"];
const PRIORITY: [&str; 4] = ["Low", "Medium", "High", "Critical"];
const TRIAGE_TYPE: [&str; 5] = [
    "Suspicious login",
    "Malware alert",
    "Phishing report",
    "Data loss alert",
    "Policy violation",
];
const TRIAGE_STATUS: [&str; 4] = ["New", "In progress", "Escalated", "Dismissed"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Incident,
    Triage,
}

impl Kind {
    /// The field the key is written to (the defaults: `incidentid`, `Source reference`).
    fn identity_field(self) -> &'static str {
        match self {
            Kind::Incident => "incidentid",
            Kind::Triage => "opt_1",
        }
    }

    fn collection(self) -> &'static str {
        match self {
            Kind::Incident => "incidents",
            Kind::Triage => "triage",
        }
    }

    fn live(self, server: &SimServer) -> Vec<Value> {
        match self {
            Kind::Incident => server.incidents(),
            Kind::Triage => server.triage_items(),
        }
    }
}

/// One desired object. Its values are option indexes (option id = index + 1) and one text.
#[derive(Debug, Clone)]
struct Object {
    kind: Kind,
    key: String,
    status: usize,
    priority: usize,
    /// The triage type (triage items only).
    category: usize,
    /// `Business unit` of incidents, `Reporter` of triage items.
    text: String,
}

/// `count` objects of `kind` with keys `{prefix}-{i}`; `version` changes status, priority and text,
/// so version 2 of an object is an update of three fields over version 1.
fn objects(kind: Kind, prefix: &str, count: usize, version: usize) -> Vec<Object> {
    (0..count)
        .map(|index| Object {
            kind,
            key: format!("{prefix}-{index:03}"),
            status: (index + version) % 3,
            priority: (index * 7 + version) % 4,
            category: index % TRIAGE_TYPE.len(),
            text: format!("{prefix} {index} v{version}"),
        })
        .collect()
}

impl Object {
    fn yaml(&self) -> String {
        match self.kind {
            Kind::Incident => format!(
                "kind: Incident\nkey: {}\ntemplate: Phishing\nfields:\n  status: {}\n  priority: {}\n  Business unit: {}\n",
                self.key, INCIDENT_STATUS[self.status], PRIORITY[self.priority], self.text
            ),
            Kind::Triage => format!(
                "kind: TriageItem\nkey: {}\nfields:\n  type: {}\n  status: {}\n  priority: {}\n  Reporter: {}\n",
                self.key,
                TRIAGE_TYPE[self.category],
                TRIAGE_STATUS[self.status],
                PRIORITY[self.priority],
                self.text
            ),
        }
    }

    /// The body of a direct `POST` (option ids, API names), as soarform would have sent it: with
    /// its ownership marker.
    fn create_body(&self) -> Value {
        let id = |index: usize| index + 1;
        match self.kind {
            Kind::Incident => json!({
                "template_id": 1,
                "fields": {
                    "incidentid": self.key,
                    "status": id(self.status),
                    "priority": id(self.priority),
                    "opt_3": self.text,
                    "opt_7": "soarform",
                }
            }),
            Kind::Triage => json!({
                "fields": {
                    "opt_1": self.key,
                    "type": id(self.category),
                    "status": id(self.status),
                    "priority": id(self.priority),
                    "opt_2": self.text,
                    "opt_5": "soarform",
                }
            }),
        }
    }

    /// The values a read must return, by API name.
    fn expected(&self) -> Vec<(&'static str, &str)> {
        match self.kind {
            Kind::Incident => vec![
                ("incidentid", self.key.as_str()),
                ("status", INCIDENT_STATUS[self.status]),
                ("priority", PRIORITY[self.priority]),
                ("opt_3", self.text.as_str()),
            ],
            Kind::Triage => vec![
                ("opt_1", self.key.as_str()),
                ("type", TRIAGE_TYPE[self.category]),
                ("status", TRIAGE_STATUS[self.status]),
                ("priority", PRIORITY[self.priority]),
                ("opt_2", self.text.as_str()),
            ],
        }
    }
}

fn documents(objects: &[Object]) -> String {
    objects
        .iter()
        .map(Object::yaml)
        .collect::<Vec<_>>()
        .join("---\n")
}

// ---------------------------------------------------------------------------------------------
// The simulator's final state.

/// The live objects of `kind` by key (objects without a key are listed under "").
fn live_by_key(server: &SimServer, kind: Kind) -> BTreeMap<String, Vec<Value>> {
    let mut by_key: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for object in kind.live(server) {
        let key = object["fields"][kind.identity_field()]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        by_key.entry(key).or_default().push(object);
    }
    by_key
}

/// No key is carried by more than one object, of either kind.
fn assert_no_duplicates(server: &SimServer) {
    for kind in [Kind::Incident, Kind::Triage] {
        for (key, objects) in live_by_key(server, kind) {
            assert_eq!(
                objects.len(),
                1,
                "{kind:?} `{key}` is carried by {} objects: {objects:#?}",
                objects.len()
            );
        }
    }
}

/// The simulator holds exactly the desired objects: every key once, nothing else, every declared
/// field with the desired value.
fn assert_state(server: &SimServer, desired: &[Object]) {
    assert_no_duplicates(server);
    for kind in [Kind::Incident, Kind::Triage] {
        let live = live_by_key(server, kind);
        let wanted: Vec<&Object> = desired
            .iter()
            .filter(|object| object.kind == kind)
            .collect();
        assert_eq!(
            live.len(),
            wanted.len(),
            "{kind:?}: expected the keys {:?}, found {:?}",
            wanted.iter().map(|object| &object.key).collect::<Vec<_>>(),
            live.keys().collect::<Vec<_>>()
        );
        for object in wanted {
            let found = live
                .get(&object.key)
                .unwrap_or_else(|| panic!("{kind:?} `{}` is missing", object.key));
            for (field, value) in object.expected() {
                assert_eq!(
                    found[0]["fields"][field]["value"], value,
                    "{kind:?} `{}`, field `{field}`: {:#}",
                    object.key, found[0]
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests the simulator received.

/// Creates of `kind` (`POST {collection}/`), in arrival order.
fn creates(requests: &[RecordedRequest], kind: Kind) -> Vec<&RecordedRequest> {
    let suffix = format!("/{}/", kind.collection());
    requests
        .iter()
        .filter(|request| request.method == "POST" && request.path.ends_with(&suffix))
        .collect()
}

/// The key a create carried.
fn created_key(request: &RecordedRequest, kind: Kind) -> String {
    request
        .body
        .as_ref()
        .and_then(|body| body["fields"][kind.identity_field()].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Creates that the simulator committed: answered 201, or committed and then dropped.
fn committed_creates(requests: &[RecordedRequest], kind: Kind) -> usize {
    creates(requests, kind)
        .iter()
        .filter(|request| request.status == 201 || request.dropped == Some(DropKind::AfterCommit))
        .count()
}

/// A create is sent again for a key only after a search for that key (the outcome of the first
/// may be unknown, so it must be settled first), or right after a 429 (refused unprocessed):
/// never blindly.
fn assert_creates_resent_only_after_a_search(requests: &[RecordedRequest], kind: Kind) {
    let create_path = format!("/{}/", kind.collection());
    let search_path = format!("/{}/search/", kind.collection());
    let mut searched_since: BTreeMap<String, bool> = BTreeMap::new();
    for request in requests {
        if request.method != "POST" {
            continue;
        }
        if request.path.ends_with(&search_path) {
            let filter = request
                .body
                .as_ref()
                .and_then(|body| body["filter"].as_str())
                .unwrap_or_default();
            for (key, searched) in searched_since.iter_mut() {
                if filter.contains(&format!("\"{key}\"")) {
                    *searched = true;
                }
            }
        } else if request.path.ends_with(&create_path) {
            let key = created_key(request, kind);
            if let Some(searched) = searched_since.get(&key) {
                assert!(
                    *searched,
                    "the create of {kind:?} `{key}` was sent again without searching for the key first"
                );
            }
            // A 429 says the request was refused before it was processed: sending it again is
            // safe. Any other failed or unanswered create must be settled first.
            searched_since.insert(key, request.status == 429);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running things.

/// A simulator that already holds `existing` (created through the API by a fault-free simulator
/// on the same state file) and then runs with `adjust`ed limits and faults. Keep the directory.
fn simulator_holding(
    existing: &[Object],
    adjust: impl FnOnce(&mut SimConfig),
) -> (SimServer, tempfile::TempDir) {
    let directory = tempfile::tempdir().expect("temporary directory");
    let state_file = directory.path().join("state.json");
    {
        let clean = simulator_with(|config| config.state_file = Some(state_file.clone()));
        for object in existing {
            let path = format!("/api/csoar/v3/{}/", object.kind.collection());
            let (status, body) = call(&clean, "POST", &path, Some(&object.create_body()));
            assert_eq!(status, 201, "{body}");
        }
        assert_state(&clean, existing);
    }
    let server = simulator_with(|config| {
        config.state_file = Some(state_file);
        adjust(config);
    });
    assert_state(&server, existing);
    (server, directory)
}

/// A test directory holding `desired` in `objects.yaml` and optionally a `soarform.yaml`.
fn project(desired: &[Object], project_file: Option<&str>) -> Test {
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("objects.yaml", documents(desired));
    match project_file {
        Some(text) => test.write("soarform.yaml", text),
        None => test,
    }
}

/// Runs `soarform ARGS... --url SIM --api v3`.
fn run(test: &Test, server: &SimServer, args: &[&str]) -> Output {
    let mut all: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    all.extend(["--url".into(), server.url(), "--api".into(), "v3".into()]);
    test.run_args(&all)
}

fn apply(test: &Test, server: &SimServer, extra: &[&str]) -> Output {
    let mut args = vec!["apply", ".", "--auto-approve"];
    args.extend_from_slice(extra);
    run(test, server, &args)
}

/// A plan right after a converged apply has nothing to do.
fn assert_no_changes(test: &Test, server: &SimServer) {
    let plan = run(test, server, &["plan", ".", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

/// Applies until an apply succeeds (exit 0), at most `runs` times. Each run may fail (1: the
/// plan failed, nothing written; 3: some changes failed, the others made), but no run may ever
/// leave a key on two objects. Returns every output.
fn apply_until_converged(test: &Test, server: &SimServer, runs: usize) -> Vec<Output> {
    let mut outputs = Vec::new();
    for _ in 0..runs {
        let output = apply(test, server, &[]);
        assert!(
            [0, 1, 3].contains(&output.code),
            "unexpected exit code: {}",
            output.combined()
        );
        assert_no_duplicates(server);
        let done = output.code == 0;
        outputs.push(output);
        if done {
            return outputs;
        }
    }
    panic!(
        "no convergence in {runs} applies; the last: {}",
        outputs.last().map(Output::combined).unwrap_or_default()
    );
}

/// Plans until the plan itself gets through a faulty simulator (a permanent 500 on a read fails
/// the plan with 1), then expects no changes.
fn assert_no_changes_eventually(test: &Test, server: &SimServer, runs: usize) {
    for _ in 0..runs {
        let plan = run(test, server, &["plan", ".", "--detailed-exitcode"]);
        if plan.code == 1 {
            continue;
        }
        assert_eq!(plan.code, 0, "{}", plan.combined());
        assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
        return;
    }
    panic!("no plan got through in {runs} attempts");
}

/// The delays of the client's retries after a 429 on a request's first attempt, from its `-v`
/// log (`... failed with 429: ...; retrying in N ms (attempt 2)`).
fn first_retry_delays_after_429(stderr: &str) -> Vec<u64> {
    stderr
        .lines()
        .filter(|line| line.contains("429") && line.contains("(attempt 2)"))
        .filter_map(|line| {
            let rest = &line[line.find("retrying in ")? + "retrying in ".len()..];
            rest.split(" ms").next()?.trim().parse().ok()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. The client's rate limit keeps a healthy server from ever answering 429.

#[test]
fn the_rate_limit_flag_keeps_the_server_from_answering_429() {
    let server = simulator_with(|config| {
        config.limits = Limits {
            requests_per_second: Some(20.0),
            ..Limits::default()
        };
    });
    let desired = objects(Kind::Incident, "rate/flag", 30, 1);
    let test = project(&desired, None);
    let output = apply(&test, &server, &["--requests-per-second", "20"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(
        output
            .stdout
            .contains("Apply complete: 30 created, 0 updated, 0 unchanged."),
        "{}",
        output.stdout
    );
    assert_state(&server, &desired);
    let stats = server.stats();
    assert_eq!(stats.throttled, 0, "{stats:?}");
    // More requests than the simulator's burst of 20: the spacing, not the burst, kept them in.
    assert!(stats.requests > 30, "{stats:?}");
    assert!(server.requests().iter().all(|request| request.status < 400));
}

#[test]
fn the_rate_limit_of_the_project_file_keeps_the_server_from_answering_429() {
    let server = simulator_with(|config| {
        config.limits = Limits {
            requests_per_second: Some(20.0),
            ..Limits::default()
        };
    });
    let mut desired = objects(Kind::Incident, "rate/yaml", 15, 1);
    desired.extend(objects(Kind::Triage, "rate/yaml-triage", 10, 1));
    let test = project(&desired, Some("limits:\n  requests_per_second: 20\n"));
    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_state(&server, &desired);
    let stats = server.stats();
    assert_eq!(stats.throttled, 0, "{stats:?}");
    assert!(stats.requests > 25, "{stats:?}");

    assert_no_changes(&test, &server);
    assert_eq!(server.stats().throttled, 0);
}

// ---------------------------------------------------------------------------------------------
// 2. Without a client rate limit, the simulator's limit answers 429; they are retried in every
// `Retry-After` form and the apply converges.

/// Applies 30 creates with no client rate limit against a simulator limit of 20 per second.
fn throttled_apply(retry_after: RetryAfter) -> (SimServer, Output, Test, Vec<Object>) {
    let server = simulator_with(|config| {
        config.limits = Limits {
            requests_per_second: Some(20.0),
            max_concurrency: None,
            retry_after,
        };
    });
    let desired = objects(Kind::Incident, "throttled", 30, 1);
    let test = project(&desired, None);
    let output = apply(&test, &server, &["--requests-per-second", "100000", "-v"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(
        output
            .stdout
            .contains("Apply complete: 30 created, 0 updated, 0 unchanged."),
        "{}",
        output.stdout
    );
    assert_state(&server, &desired);
    let stats = server.stats();
    assert!(stats.rate_limited > 0, "no 429 at all: {stats:?}");
    assert_eq!(stats.throttled, stats.rate_limited, "{stats:?}");
    // 429s are refused before they touch state: retried creates made no duplicates.
    assert_eq!(committed_creates(&server.requests(), Kind::Incident), 30);
    assert_no_changes(&test, &server);
    (server, output, test, desired)
}

#[test]
fn throttled_requests_wait_the_retry_after_seconds_and_converge() {
    let (_server, output, _test, _desired) = throttled_apply(RetryAfter::Seconds);
    let delays = first_retry_delays_after_429(&output.stderr);
    assert!(!delays.is_empty(), "no retry logged: {}", output.stderr);
    // `Retry-After: 1` (a wait is rounded up to whole seconds); the client's own first backoff
    // is at most 250 ms.
    assert!(delays.iter().all(|delay| *delay == 1000), "{delays:?}");
}

#[test]
fn throttled_requests_wait_until_the_retry_after_date_and_converge() {
    let (_server, output, _test, _desired) = throttled_apply(RetryAfter::HttpDate);
    let delays = first_retry_delays_after_429(&output.stderr);
    assert!(!delays.is_empty(), "no retry logged: {}", output.stderr);
    // The date is at least one whole second after the refusal (and the client's own first
    // backoff is at most 250 ms).
    assert!(
        delays.iter().all(|delay| (500..=2000).contains(delay)),
        "{delays:?}"
    );
}

#[test]
fn throttled_requests_without_retry_after_back_off_and_converge() {
    let (_server, output, _test, _desired) = throttled_apply(RetryAfter::None);
    let delays = first_retry_delays_after_429(&output.stderr);
    assert!(!delays.is_empty(), "no retry logged: {}", output.stderr);
    // The first backoff: a random wait up to 250 ms.
    assert!(delays.iter().all(|delay| *delay <= 250), "{delays:?}");
}

// ---------------------------------------------------------------------------------------------
// 3. The concurrency limit.

fn concurrency_limited(retry_after: RetryAfter) -> SimServer {
    simulator_with(|config| {
        config.latency = Duration::from_millis(30);
        config.limits = Limits {
            requests_per_second: None,
            max_concurrency: Some(3),
            retry_after,
        };
    })
}

#[test]
fn a_client_at_the_concurrency_limit_is_never_refused_and_uses_all_of_it() {
    let server = concurrency_limited(RetryAfter::Seconds);
    let mut desired = objects(Kind::Incident, "concurrency", 16, 1);
    desired.extend(objects(Kind::Triage, "concurrency-triage", 8, 1));
    let test = project(&desired, None);
    let output = apply(&test, &server, &["--max-concurrency", "3"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_state(&server, &desired);
    let stats = server.stats();
    assert_eq!(stats.throttled, 0, "{stats:?}");
    assert_eq!(stats.concurrency_limited, 0, "{stats:?}");
    assert!(stats.max_in_flight <= 3, "{stats:?}");
    // Side by side up to the limit, not one at a time.
    assert_eq!(stats.max_in_flight, 3, "{stats:?}");
}

#[test]
fn a_client_above_the_concurrency_limit_is_refused_retries_and_converges() {
    let server = concurrency_limited(RetryAfter::None);
    let desired = objects(Kind::Incident, "over-concurrency", 12, 1);
    let test = project(&desired, None);
    let output = apply(&test, &server, &["--max-concurrency", "10"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_state(&server, &desired);
    let stats = server.stats();
    assert!(stats.concurrency_limited > 0, "{stats:?}");
    assert!(stats.max_in_flight <= 3, "{stats:?}");
    assert_eq!(committed_creates(&server.requests(), Kind::Incident), 12);
}

// ---------------------------------------------------------------------------------------------
// 4. 5xx answers on plan and apply.

#[test]
fn server_errors_on_plan_and_apply_converge_to_one_object_per_key() {
    let existing = [
        objects(Kind::Incident, "errors/old", 5, 1),
        objects(Kind::Triage, "errors/old-triage", 3, 1),
    ]
    .concat();
    let (server, _directory) = simulator_holding(&existing, |config| {
        config.faults = Faults {
            seed: 4,
            server_error_rate: 0.2,
            ..Faults::default()
        };
    });
    let desired = [
        objects(Kind::Incident, "errors/old", 5, 2),
        objects(Kind::Triage, "errors/old-triage", 3, 2),
        objects(Kind::Incident, "errors/new", 12, 1),
        objects(Kind::Triage, "errors/new-triage", 4, 1),
    ]
    .concat();
    let test = project(&desired, None);
    let outputs = apply_until_converged(&test, &server, 8);
    assert_state(&server, &desired);
    let stats = server.stats();
    assert!(stats.server_errors > 0, "{stats:?}");
    let requests = server.requests();
    // Only the new keys were created (the old ones were there before this simulator started).
    assert_eq!(committed_creates(&requests, Kind::Incident), 12);
    assert_eq!(committed_creates(&requests, Kind::Triage), 4);
    for kind in [Kind::Incident, Kind::Triage] {
        assert_creates_resent_only_after_a_search(&requests, kind);
    }
    // A run that failed some objects said which, and why.
    for output in outputs.iter().filter(|output| output.code == 3) {
        assert!(
            output.stdout.contains("Apply incomplete:"),
            "{}",
            output.stdout
        );
        assert!(output.stdout.contains(": failed: "), "{}", output.stdout);
    }
    assert_no_changes_eventually(&test, &server, 6);
}

// ---------------------------------------------------------------------------------------------
// 5. and 6. Writes whose connection is dropped, before or after they are committed.

#[test]
fn writes_dropped_before_commit_are_sent_again_and_converge_without_duplicates() {
    let existing = objects(Kind::Incident, "before/old", 6, 1);
    let (server, _directory) = simulator_holding(&existing, |config| {
        config.faults = Faults {
            seed: 11,
            drop_before_commit_rate: 0.3,
            ..Faults::default()
        };
    });
    let desired = [
        objects(Kind::Incident, "before/old", 6, 2),
        objects(Kind::Incident, "before/new", 12, 1),
        objects(Kind::Triage, "before/new-triage", 6, 1),
    ]
    .concat();
    let test = project(&desired, None);
    // Usually one run; a create is given up (exit 3) after five sends that all lost their
    // connection, which at this rate happens to some run in a few dozen: the next run makes it.
    let outputs = apply_until_converged(&test, &server, 4);
    assert!(
        outputs.iter().all(|output| output.code != 1),
        "{}",
        outputs[0].combined()
    );
    assert_state(&server, &desired);
    let stats = server.stats();
    assert!(stats.dropped_before_commit > 0, "{stats:?}");
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|request| request.dropped == Some(DropKind::BeforeCommit)
                && request.method == "POST")
    );
    assert_eq!(committed_creates(&requests, Kind::Incident), 12);
    assert_eq!(committed_creates(&requests, Kind::Triage), 6);
    for kind in [Kind::Incident, Kind::Triage] {
        assert_creates_resent_only_after_a_search(&requests, kind);
    }
    assert_no_changes(&test, &server);
}

#[test]
fn creates_committed_but_unanswered_are_settled_by_key_and_never_duplicated() {
    let existing = [
        objects(Kind::Incident, "after/old", 6, 1),
        objects(Kind::Triage, "after/old-triage", 4, 1),
    ]
    .concat();
    let (server, _directory) = simulator_holding(&existing, |config| {
        config.faults = Faults {
            seed: 23,
            drop_after_commit_rate: 0.3,
            ..Faults::default()
        };
    });
    let desired = [
        objects(Kind::Incident, "after/old", 6, 2),
        objects(Kind::Triage, "after/old-triage", 4, 2),
        objects(Kind::Incident, "after/new", 14, 1),
        objects(Kind::Triage, "after/new-triage", 6, 1),
    ]
    .concat();
    let test = project(&desired, None);
    let output = apply(&test, &server, &["-v"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(
        output
            .stdout
            .contains("Apply complete: 20 created, 10 updated, 0 unchanged."),
        "{}",
        output.stdout
    );
    // Every key once, with the desired values: the updates whose answer was lost were made too.
    assert_state(&server, &desired);

    let requests = server.requests();
    let lost_creates: Vec<&RecordedRequest> = requests
        .iter()
        .filter(|request| {
            request.method == "POST"
                && !is_search(request)
                && request.dropped == Some(DropKind::AfterCommit)
        })
        .collect();
    assert!(!lost_creates.is_empty(), "no create lost its answer");
    assert!(
        requests.iter().any(
            |request| request.method == "PUT" && request.dropped == Some(DropKind::AfterCommit)
        ),
        "no update lost its answer"
    );
    // Each new key was created exactly once: a create whose answer was lost was found by its
    // key, never sent again.
    for kind in [Kind::Incident, Kind::Triage] {
        let mut sent: BTreeMap<String, usize> = BTreeMap::new();
        for request in creates(&requests, kind) {
            *sent.entry(created_key(request, kind)).or_default() += 1;
        }
        assert!(
            sent.values().all(|count| *count == 1),
            "{kind:?}: creates sent per key: {sent:?}"
        );
    }
    assert_eq!(committed_creates(&requests, Kind::Incident), 14);
    assert_eq!(committed_creates(&requests, Kind::Triage), 6);
    // The settle path: one line per lost create.
    let settled = output
        .stderr
        .matches("the create's answer was lost, but it was committed as id")
        .count();
    assert_eq!(settled, lost_creates.len(), "{}", output.stderr);
    assert_eq!(
        server.stats().dropped_after_commit as usize,
        requests
            .iter()
            .filter(|request| request.dropped == Some(DropKind::AfterCommit))
            .count()
    );
    assert_no_changes(&test, &server);
}

#[test]
fn every_fault_at_once_converges_without_duplicates_or_lost_updates() {
    let existing = [
        objects(Kind::Incident, "mixed/old", 5, 1),
        objects(Kind::Triage, "mixed/old-triage", 3, 1),
    ]
    .concat();
    let (server, _directory) = simulator_holding(&existing, |config| {
        config.faults = Faults {
            seed: 2026,
            server_error_rate: 0.1,
            throttle_rate: 0.05,
            drop_before_commit_rate: 0.1,
            drop_after_commit_rate: 0.1,
        };
        config.limits.retry_after = RetryAfter::None;
    });
    let desired = [
        objects(Kind::Incident, "mixed/old", 5, 2),
        objects(Kind::Triage, "mixed/old-triage", 3, 2),
        objects(Kind::Incident, "mixed/new", 12, 1),
        objects(Kind::Triage, "mixed/new-triage", 5, 1),
    ]
    .concat();
    let test = project(&desired, None);
    apply_until_converged(&test, &server, 8);
    assert_state(&server, &desired);
    let stats = server.stats();
    assert!(stats.server_errors > 0, "{stats:?}");
    assert!(
        stats.dropped_before_commit + stats.dropped_after_commit > 0,
        "{stats:?}"
    );
    let requests = server.requests();
    assert_eq!(committed_creates(&requests, Kind::Incident), 12);
    assert_eq!(committed_creates(&requests, Kind::Triage), 5);
    for kind in [Kind::Incident, Kind::Triage] {
        assert_creates_resent_only_after_a_search(&requests, kind);
    }
    assert_no_changes_eventually(&test, &server, 6);
}

#[test]
fn a_saved_plan_applied_again_after_failures_converges_without_duplicates() {
    let existing = objects(Kind::Incident, "saved/old", 4, 1);
    let (server, _directory) = simulator_holding(&existing, |config| {
        config.faults = Faults {
            seed: 31,
            server_error_rate: 0.15,
            drop_after_commit_rate: 0.2,
            ..Faults::default()
        };
    });
    let desired = [
        objects(Kind::Incident, "saved/old", 4, 2),
        objects(Kind::Incident, "saved/new", 10, 1),
        objects(Kind::Triage, "saved/new-triage", 4, 1),
    ]
    .concat();
    let test = project(&desired, None);
    let planned = (0..6)
        .map(|_| run(&test, &server, &["plan", ".", "--out", "plan.json"]))
        .find(|output| output.code != 1)
        .expect("no plan got through");
    assert_eq!(planned.code, 0, "{}", planned.combined());

    // Re-applying the same saved plan after a partial failure finishes it: what an earlier run
    // made (even when its answer was lost) counts as already applied, never as a conflict.
    let mut converged = false;
    for _ in 0..8 {
        let output = run(&test, &server, &["apply", "--plan", "plan.json"]);
        assert!(
            [0, 1, 3].contains(&output.code),
            "unexpected exit code: {}",
            output.combined()
        );
        assert_no_duplicates(&server);
        if output.code == 0 {
            converged = true;
            break;
        }
    }
    assert!(converged, "the saved plan never applied completely");
    assert_state(&server, &desired);
    let requests = server.requests();
    assert_eq!(committed_creates(&requests, Kind::Incident), 10);
    assert_eq!(committed_creates(&requests, Kind::Triage), 4);
    for kind in [Kind::Incident, Kind::Triage] {
        assert_creates_resent_only_after_a_search(&requests, kind);
    }
    assert_no_changes_eventually(&test, &server, 6);
}

// ---------------------------------------------------------------------------------------------
// 7. Retry budgets that run out.

/// How long a run may take when the budget is a second or two: generous, the point is that it
/// gives up instead of retrying for the default two minutes.
const GIVES_UP_WITHIN: Duration = Duration::from_secs(10);

fn assert_gave_up(output: &Output, started: Instant) {
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        started.elapsed() < GIVES_UP_WITHIN,
        "took {:?}",
        started.elapsed()
    );
    assert!(output.stderr.contains("error: "), "{}", output.stderr);
    let gave_up = output.stderr.lines().any(|line| {
        line.contains(" failed ") && line.contains(" times in ") && line.contains("the last time")
    });
    assert!(gave_up, "no `failed N times in S s`: {}", output.stderr);
}

#[test]
fn a_server_that_always_throttles_exhausts_the_retry_budget_and_writes_nothing() {
    let server = simulator_with(|config| {
        config.faults = Faults {
            seed: 5,
            throttle_rate: 1.0,
            ..Faults::default()
        };
    });
    let desired = objects(Kind::Incident, "budget/throttle", 3, 1);
    let test = project(&desired, Some("limits:\n  retry_seconds: 2\n"));

    let started = Instant::now();
    let plan = run(&test, &server, &["plan", "."]);
    assert_gave_up(&plan, started);
    assert!(plan.stderr.contains("429"), "{}", plan.stderr);

    let started = Instant::now();
    let applied = apply(&test, &server, &[]);
    assert_gave_up(&applied, started);

    assert!(server.requests().len() > 2, "no retries at all");
    assert!(!server.requests().iter().any(is_write));
    assert_state(&server, &[]);
}

#[test]
fn a_server_that_always_fails_makes_plan_and_apply_give_up_quickly_and_write_nothing() {
    let server = simulator_with(|config| {
        config.faults = Faults {
            seed: 9,
            server_error_rate: 1.0,
            ..Faults::default()
        };
    });
    let desired = objects(Kind::Incident, "budget/errors", 3, 1);
    let test = project(&desired, Some("limits:\n  retry_seconds: 1\n"));
    for args in [&["plan", "."][..], &["apply", ".", "--auto-approve"][..]] {
        let started = Instant::now();
        let output = run(&test, &server, args);
        assert_eq!(output.code, 1, "{}", output.combined());
        assert!(
            started.elapsed() < GIVES_UP_WITHIN,
            "{:?}",
            started.elapsed()
        );
        // Either the retries of a 502, 503 or 504 ran out, or a 500 (not retried) ended it.
        assert!(
            output.stderr.contains(" times in ") || output.stderr.contains("failed with 500"),
            "{}",
            output.stderr
        );
    }
    assert!(!server.requests().iter().any(is_write));
    assert_state(&server, &[]);
}

#[test]
fn an_unreachable_server_exhausts_the_retry_budget_with_a_clear_message() {
    // A loopback port nobody listens on: every connection is refused.
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write(
            "objects.yaml",
            documents(&objects(Kind::Incident, "budget/unreachable", 1, 1)),
        )
        .write("soarform.yaml", "limits:\n  retry_seconds: 1\n");
    let started = Instant::now();
    let output = test.run_args(&[
        "plan".into(),
        ".".into(),
        "--url".into(),
        format!("http://{address}"),
        "--api".into(),
        "v3".into(),
    ]);
    assert_gave_up(&output, started);
    assert!(
        output.stderr.contains("could not reach"),
        "{}",
        output.stderr
    );
}

#[test]
fn writes_that_never_get_through_fail_the_apply_with_3_and_create_nothing() {
    let existing = objects(Kind::Incident, "budget/old", 2, 1);
    let (server, _directory) = simulator_holding(&existing, |config| {
        config.faults = Faults {
            seed: 17,
            drop_before_commit_rate: 1.0,
            ..Faults::default()
        };
    });
    let desired = [
        objects(Kind::Incident, "budget/old", 2, 2),
        objects(Kind::Incident, "budget/new", 2, 1),
    ]
    .concat();
    let test = project(&desired, Some("limits:\n  retry_seconds: 1\n"));
    let started = Instant::now();
    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 3, "{}", output.combined());
    assert!(
        started.elapsed() < GIVES_UP_WITHIN,
        "{:?}",
        started.elapsed()
    );
    assert!(
        output
            .stdout
            .contains("Apply incomplete: 0 created, 0 updated, 0 unchanged, 4 failed."),
        "{}",
        output.stdout
    );
    for object in &desired {
        assert!(
            output
                .stdout
                .contains(&format!("x Incident {}: failed: ", object.key)),
            "{}",
            output.stdout
        );
    }
    assert!(
        output
            .stdout
            .contains("every answer was lost, and no object carries the key: it was not created"),
        "{}",
        output.stdout
    );
    // Nothing was committed: the old objects are as they were, the new ones do not exist.
    assert_state(&server, &existing);
    let requests = server.requests();
    assert_eq!(committed_creates(&requests, Kind::Incident), 0);
    // A create whose outcome is unknown is settled by a search each time, and sent a bounded
    // number of times.
    assert_creates_resent_only_after_a_search(&requests, Kind::Incident);
    let mut sent: BTreeMap<String, usize> = BTreeMap::new();
    for request in creates(&requests, Kind::Incident) {
        *sent
            .entry(created_key(request, Kind::Incident))
            .or_default() += 1;
    }
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent.values().all(|count| (2..=5).contains(count)),
        "{sent:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Partial failure: some writes fail for good, the others are made, and a re-run converges.

#[test]
fn a_partial_failure_exits_3_lists_what_failed_and_a_rerun_converges() {
    let existing = objects(Kind::Incident, "partial/old", 2, 1);
    let (server, _directory) = simulator_holding(&existing, |_| {});
    let desired = [
        objects(Kind::Incident, "partial/old", 2, 2),
        objects(Kind::Incident, "partial/new", 3, 1),
        objects(Kind::Triage, "partial/new-triage", 2, 1),
    ]
    .concat();
    // Creates of incidents go to a path the server refuses with 405 (a permanent failure);
    // updates of incidents and creates of triage items go where they should.
    let test = project(
        &desired,
        Some("paths:\n  create_incident: incidents/refused/\n"),
    );
    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 3, "{}", output.combined());
    let stdout = &output.stdout;
    assert!(
        stdout.contains("Apply incomplete: 2 created, 2 updated, 0 unchanged, 3 failed."),
        "{stdout}"
    );
    for object in &desired {
        let line = match (object.kind, object.key.contains("/old")) {
            (Kind::Incident, true) => format!("~ Incident {}: updated (id ", object.key),
            (Kind::Incident, false) => format!(
                "x Incident {}: failed: `create_incident` failed with 405",
                object.key
            ),
            (Kind::Triage, _) => format!("+ TriageItem {}: created (id ", object.key),
        };
        assert!(stdout.contains(&line), "no `{line}` in:\n{stdout}");
    }
    // The successes were made, the failures sent once each (a 405 is not retried).
    let made: Vec<Object> = desired
        .iter()
        .filter(|object| object.kind == Kind::Triage || object.key.contains("/old"))
        .cloned()
        .collect();
    assert_state(&server, &made);
    let refused = server
        .requests()
        .iter()
        .filter(|request| request.path.ends_with("/incidents/refused/"))
        .count();
    assert_eq!(refused, 3);

    // Run again unfixed, for CI: the JSON report says per object what happened and why.
    let again = apply(&test, &server, &["--format", "json"]);
    assert_eq!(again.code, 3, "{}", again.combined());
    let report: Value = serde_json::from_str(&again.stdout).expect("JSON report");
    assert_eq!(report["result"]["complete"], false, "{report:#}");
    assert_eq!(report["result"]["failed"], 3, "{report:#}");
    assert_eq!(report["result"]["unchanged"], 4, "{report:#}");
    let entries = report["objects"].as_array().expect("objects");
    assert_eq!(entries.len(), desired.len());
    for entry in entries {
        let key = entry["key"].as_str().expect("key");
        let outcome = &entry["outcome"];
        if key.starts_with("partial/new-0") {
            assert_eq!(outcome["status"], "failed", "{entry:#}");
            let error = outcome["error"].as_str().expect("error");
            assert!(error.contains("405"), "{error}");
        } else {
            assert_eq!(outcome["status"], "unchanged", "{entry:#}");
        }
    }
    assert_state(&server, &made);

    // Fixed: the re-run makes only what is missing.
    let test = test.write("soarform.yaml", "limits:\n  retry_seconds: 5\n");
    let rerun = apply(&test, &server, &[]);
    assert_eq!(rerun.code, 0, "{}", rerun.combined());
    assert!(
        rerun
            .stdout
            .contains("Apply complete: 3 created, 0 updated, 4 unchanged."),
        "{}",
        rerun.stdout
    );
    assert_state(&server, &desired);
    assert_no_changes(&test, &server);
}

#[test]
fn a_tenant_that_rewrites_keys_stops_the_apply_after_one_create() {
    // "Use suffix on non-duplicate" (Cloud SOAR's settings) stores `k` as `k (1)`: soarform could
    // never find the incident again and would create one more on every apply.
    let server = simulator_with(|config| config.quirks.identity_suffix = Some(" (1)".into()));
    let documents: String = (1..=5)
        .map(|n| format!("kind: Incident\nkey: suffix/{n}\ntemplate: Phishing\n"))
        .collect::<Vec<_>>()
        .join("---\n");
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("objects.yaml", documents.as_bytes());
    let output = apply(&test, &server, &["--max-concurrency", "1"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    let combined = output.combined();
    assert!(
        combined.contains("instead of the key `suffix/1`")
            && combined.contains("rewrites identities"),
        "{combined}"
    );
    assert!(
        combined.contains("Use suffix on non-duplicate"),
        "{combined}"
    );
    let stderr = &output.stderr;
    assert!(
        stderr.contains("stopped: the tenant rewrote the key of an object it created"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Change the tenant setting the error names before the next apply"),
        "{stderr}"
    );
    assert!(!stderr.contains("it converges"), "{stderr}");
    // One create, then nothing new started.
    assert_eq!(server.incidents().len(), 1, "{:?}", server.incidents());
}

#[test]
fn a_rewritten_key_is_found_by_reading_back_a_create_answered_with_its_id_alone() {
    let server = simulator_with(|config| {
        config.quirks.identity_suffix = Some(" (1)".into());
        config.quirks.bare_create_answers = true;
    });
    let documents: String = (1..=3)
        .map(|n| format!("kind: Incident\nkey: bare/{n}\ntemplate: Phishing\n"))
        .collect::<Vec<_>>()
        .join("---\n");
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("objects.yaml", documents.as_bytes());
    let output = apply(&test, &server, &["--max-concurrency", "1"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.combined().contains("instead of the key `bare/1`"),
        "{}",
        output.combined()
    );
    assert_eq!(server.incidents().len(), 1, "{:?}", server.incidents());
    // The object was read back once, after its create.
    let reads = server
        .requests()
        .iter()
        .filter(|request| request.method == "GET" && request.path.ends_with("/incidents/101/"))
        .count();
    assert_eq!(reads, 1);
}
