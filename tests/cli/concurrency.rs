//! Concurrent applies against one tenant: the apply lease, the duplicate check after creates,
//! creates committed late, and applies stopped by a signal. Every test checks what the
//! simulator holds afterwards: exactly one object carrying each key, whatever happened.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use soarform::sim::{Quirks, SimServer};

use crate::support::binary::{binary, clean_environment, Output, Test};
use crate::support::http::call;
use crate::support::state::is_write;
use crate::support::{simulator_with, TOKEN};

/// The lease object's key unless `lock.key` says otherwise.
const LOCK_KEY: &str = "soarform/lock";

/// `count` incidents `{prefix}-NNN`, each a document of its own.
fn documents(prefix: &str, count: usize) -> String {
    (0..count)
        .map(|index| {
            format!(
                "kind: Incident\nkey: {prefix}-{index:03}\ntemplate: Phishing\nfields:\n  status: Open\n  Business unit: unit {index}\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

/// A repository of `count` incidents whose applies take the lease (with a short settle delay).
fn project(prefix: &str, count: usize, extra: &str) -> Test {
    Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .env("SOARFORM_LOCK", "true")
        .write("objects.yaml", documents(prefix, count))
        .write(
            "soarform.yaml",
            if extra.contains("ttl_seconds") {
                format!("lock:\n  settle_seconds: 0.3\n{extra}")
            } else {
                format!("lock:\n  settle_seconds: 0.3\n  ttl_seconds: 60\n{extra}")
            },
        )
}

fn args(server: &SimServer, args: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    all.extend(["--url".into(), server.url(), "--api".into(), "v3".into()]);
    all
}

fn apply(test: &Test, server: &SimServer, extra: &[&str]) -> Output {
    let mut all = vec!["apply", ".", "--auto-approve"];
    all.extend_from_slice(extra);
    test.run_args(&args(server, &all))
}

/// Live incidents by the text of their identity field (the lease object included).
fn by_identity(server: &SimServer) -> BTreeMap<String, Vec<Value>> {
    let mut found: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for incident in server.incidents() {
        let key = incident["fields"]["incidentid"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        found.entry(key).or_default().push(incident);
    }
    found
}

/// Exactly one live incident carries each of the `count` keys `{prefix}-NNN`; any other object
/// under the prefix is a retired duplicate (identity rewritten, closed, naming the one kept).
/// Returns how many were retired.
fn assert_one_per_key(server: &SimServer, prefix: &str, count: usize) -> usize {
    let live = by_identity(server);
    let mut retired = 0;
    for index in 0..count {
        let key = format!("{prefix}-{index:03}");
        let carrying = live.get(&key).map_or(0, Vec::len);
        assert_eq!(carrying, 1, "{key} is carried by {carrying} incidents");
        let kept = live[&key][0]["id"].as_u64().expect("id");
        for (identity, objects) in &live {
            if identity.starts_with(&format!("{key}#")) {
                for object in objects {
                    assert_eq!(identity, &format!("{key}#duplicate-of-{kept}"), "{object}");
                    assert_eq!(object["fields"]["status"]["value"], "Closed", "{object}");
                    let note = object["fields"]["opt_8"]["value"]
                        .as_str()
                        .unwrap_or_default();
                    assert!(note.contains(&kept.to_string()), "{object}");
                    retired += 1;
                }
            }
        }
    }
    let under_prefix: usize = live
        .iter()
        .filter(|(identity, _)| identity.starts_with(prefix))
        .map(|(_, objects)| objects.len())
        .sum();
    assert_eq!(under_prefix, count + retired, "{live:?}");
    retired
}

/// `N` of `(N retired)` in an apply summary, 0 without one.
fn retired_in(stdout: &str) -> usize {
    stdout
        .lines()
        .filter(|line| line.starts_with("Apply "))
        .filter_map(|line| {
            let before = &line[..line.find(" retired")?];
            let digits: String = before
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            digits.parse::<usize>().ok()
        })
        .sum()
}

fn creates(server: &SimServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|request| {
            request.method == "POST"
                && request.path.ends_with("/incidents/")
                && request
                    .body
                    .as_ref()
                    .is_some_and(|body| body["fields"]["incidentid"] != LOCK_KEY)
        })
        .count()
}

fn writes(server: &SimServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|request| is_write(request))
        .count()
}

/// A lease object as another run left it: held by `ghost-host (pid 1)` until `expires`.
fn plant_lease(server: &SimServer, expires: &str) -> u64 {
    let record = format!(
        "soarform lease v1; held by ghost-host (pid 1); since 2020-01-01T00:00:00Z; expires {expires}; token ghost"
    );
    let (status, body) = call(
        server,
        "POST",
        "/api/csoar/v3/incidents/",
        Some(
            &json!({"template_id": 1, "fields": {"incidentid": LOCK_KEY, "description": record, "opt_7": "soarform"}}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_u64().expect("id")
}

fn lease_record(server: &SimServer) -> String {
    let live = by_identity(server);
    let leases = live.get(LOCK_KEY).expect("a lease object");
    assert_eq!(leases.len(), 1, "{leases:?}");
    leases[0]["fields"]["description"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// The lease.

#[test]
fn four_concurrent_applies_of_the_same_new_documents_make_one_object_per_key() {
    let server = simulator_with(|config| config.latency = Duration::from_millis(5));
    let test = project("together", 100, "");
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| apply(&test, &server, &["--lock-timeout", "2m"])))
            .collect();
        runs.into_iter()
            .map(|run| run.join().expect("apply thread"))
            .collect()
    });
    for output in &outputs {
        assert_eq!(output.code, 0, "{}", output.combined());
    }
    // One run made the 100; the others found them and had nothing to do.
    let made: Vec<&Output> = outputs
        .iter()
        .filter(|output| output.stdout.contains("100 created"))
        .collect();
    assert_eq!(made.len(), 1, "{outputs:#?}");
    assert_eq!(
        outputs
            .iter()
            .filter(|output| output.stdout.contains("No changes."))
            .count(),
        3,
        "{outputs:#?}"
    );
    assert_eq!(assert_one_per_key(&server, "together", 100), 0);
    assert_eq!(creates(&server), 100);
    // The lease is one object, released by the last run.
    assert!(
        lease_record(&server).contains("; released by "),
        "{}",
        lease_record(&server)
    );
}

#[test]
fn a_held_lease_stops_apply_naming_its_holder_and_nothing_is_written() {
    let server = simulator_with(|_| {});
    let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    plant_lease(&server, &in_an_hour);
    let test = project("held", 3, "");
    let writes_before = writes(&server);

    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("is held by ghost-host (pid 1)"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("--lock-timeout"),
        "{}",
        output.stderr
    );
    assert_eq!(writes(&server), writes_before);

    // With a timeout it waits that long first, then gives up the same way.
    let started = Instant::now();
    let output = apply(&test, &server, &["--lock-timeout", "1s"]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(output.stderr.contains("waiting up to"), "{}", output.stderr);
    assert_eq!(writes(&server), writes_before);

    // A plan writes nothing, but says that an apply is running.
    let plan = test.run_args(&args(&server, &["plan", "."]));
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert!(
        plan.stderr
            .contains("note: an apply by ghost-host (pid 1) holds the lease"),
        "{}",
        plan.stderr
    );

    // `--lock=false` skips the lease, as in Terraform.
    let unlocked = apply(&test, &server, &["--lock=false"]);
    assert_eq!(unlocked.code, 0, "{}", unlocked.combined());
    assert_eq!(assert_one_per_key(&server, "held", 3), 0);
    assert!(lease_record(&server).contains("held by ghost-host"));
}

#[test]
fn an_expired_lease_is_overtaken_and_released() {
    let server = simulator_with(|_| {});
    let lease = plant_lease(&server, "2020-01-01T00:05:00Z");
    let test = project("expired", 3, "");
    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_eq!(assert_one_per_key(&server, "expired", 3), 0);
    let record = lease_record(&server);
    assert!(
        record.starts_with("soarform lease v1; released by "),
        "{record}"
    );
    assert!(!record.contains("ghost"), "{record}");
    // The same object, not a second one.
    assert_eq!(by_identity(&server)[LOCK_KEY][0]["id"], lease);
}

#[test]
fn an_object_soarform_did_not_make_is_never_taken_for_the_lease() {
    let server = simulator_with(|_| {});
    let (status, body) = call(
        &server,
        "POST",
        "/api/csoar/v3/incidents/",
        Some(
            &json!({"template_id": 1, "fields": {"incidentid": LOCK_KEY, "description": "a real incident"}}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    let test = project("foreign-lease", 1, "");
    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("is not a lease soarform made"),
        "{}",
        output.stderr
    );
    assert_eq!(lease_record(&server), "a real incident");
    assert_eq!(creates(&server), 0);

    // Nor is a key that no document could hold.
    let test = project("foreign-lease", 1, "  key: \"bad key!\"\n");
    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output
            .stderr
            .contains("cannot be the key of the apply lease"),
        "{}",
        output.stderr
    );
}

#[test]
fn the_lease_object_is_configurable_under_lock() {
    let server = simulator_with(|_| {});
    let test = project(
        "configured",
        2,
        "  kind: TriageItem\n  key: ops/soarform-lease\n  field: Reporter\n",
    );
    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 0, "{}", output.combined());
    let leases: Vec<Value> = server
        .triage_items()
        .into_iter()
        .filter(|item| item["fields"]["opt_1"]["value"] == "ops/soarform-lease")
        .collect();
    assert_eq!(leases.len(), 1, "{leases:?}");
    assert!(leases[0]["fields"]["opt_2"]["value"]
        .as_str()
        .is_some_and(|record| record.starts_with("soarform lease v1; released by ")));
    assert!(!by_identity(&server).contains_key(LOCK_KEY));

    // A field that cannot hold the record is reported where `lock:` names it.
    let test = project("configured", 2, "  field: status\n");
    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("cannot hold the apply lease"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("soarform.yaml:4:10"),
        "{}",
        output.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// The duplicate check after creates.

#[test]
fn without_the_lease_concurrent_applies_still_end_with_one_object_per_key() {
    let server = simulator_with(|config| config.latency = Duration::from_millis(5));
    let test = project("unlocked", 40, "");
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| apply(&test, &server, &["--lock=false"])))
            .collect();
        runs.into_iter()
            .map(|run| run.join().expect("apply thread"))
            .collect()
    });
    for output in &outputs {
        assert_eq!(output.code, 0, "{}", output.combined());
    }
    let retired = assert_one_per_key(&server, "unlocked", 40);
    // Whatever the runs made twice, they retired: every duplicate is reported as retired.
    let reported: usize = outputs
        .iter()
        .map(|output| retired_in(&output.stdout))
        .sum();
    // Runs that saw the same twins each retired them (the writes are the same): every retired
    // object was reported by at least one run.
    assert!(
        reported >= retired,
        "{reported} reported, {retired} retired"
    );
    let plan = test.run_args(&args(
        &server,
        &["plan", ".", "--detailed-exitcode", "--lock=false"],
    ));
    assert_eq!(plan.code, 0, "{}", plan.combined());
}

#[test]
fn objects_soarform_did_not_make_still_make_the_conflict_error() {
    let server = simulator_with(|_| {});
    let test = project("foreign", 1, "");
    for marker in [json!("soarform"), Value::Null] {
        let (status, body) = call(
            &server,
            "POST",
            "/api/csoar/v3/incidents/",
            Some(
                &json!({"template_id": 1, "fields": {"incidentid": "foreign-000", "status": 1, "opt_3": "unit 0", "opt_7": marker}}),
            ),
        );
        assert_eq!(status, 201, "{body}");
    }
    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output.stderr.contains("more than one live object"),
        "{}",
        output.stderr
    );
    assert_eq!(by_identity(&server)["foreign-000"].len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Creates committed late.

#[test]
fn a_create_committed_within_the_settle_window_is_not_sent_again() {
    let server = simulator_with(|config| {
        config.quirks = Quirks {
            late_commits: 1,
            late_commit_delay: Duration::from_millis(400),
            ..Quirks::default()
        };
    });
    let test = project("late", 1, "limits:\n  create_settle_seconds: 10\n");
    let output = apply(&test, &server, &["--lock=false"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_eq!(creates(&server), 1, "the create was sent again");
    assert_eq!(assert_one_per_key(&server, "late", 1), 0);
}

#[test]
fn twins_made_by_a_late_commit_are_retired_on_the_next_apply() {
    let server = simulator_with(|config| {
        config.quirks = Quirks {
            late_commits: 1,
            late_commit_delay: Duration::from_millis(1500),
            ..Quirks::default()
        };
    });
    let test = project("twin", 2, "limits:\n  create_settle_seconds: 0.2\n");
    let output = apply(&test, &server, &["--lock=false"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    // The first create's answer was lost and nothing carried its key within the window: it was
    // sent again. The lost one commits afterwards, making a twin.
    let started = Instant::now();
    while by_identity(&server).values().map(Vec::len).sum::<usize>() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the late create never committed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let twin_key = by_identity(&server)
        .into_iter()
        .find(|(_, objects)| objects.len() == 2)
        .map(|(key, _)| key)
        .expect("a key carried twice");

    let plan = test.run_args(&args(
        &server,
        &["plan", ".", "--detailed-exitcode", "--lock=false"],
    ));
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(
        plan.stdout
            .contains(&format!("- retire duplicate Incident {twin_key}")),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("1 to retire as duplicates"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("more than one live object"));

    let output = apply(&test, &server, &["--lock=false"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(output.stdout.contains("1 retired"), "{}", output.stdout);
    assert_eq!(assert_one_per_key(&server, "twin", 2), 1);
    let plan = test.run_args(&args(
        &server,
        &["plan", ".", "--detailed-exitcode", "--lock=false"],
    ));
    assert_eq!(plan.code, 0, "{}", plan.combined());
}

#[test]
fn a_saved_plan_retires_duplicates_once() {
    let server = simulator_with(|_| {});
    for _ in 0..2 {
        let (status, body) = call(
            &server,
            "POST",
            "/api/csoar/v3/incidents/",
            Some(
                &json!({"template_id": 1, "fields": {"incidentid": "saved-000", "status": 1, "opt_3": "unit 0", "opt_7": "soarform"}}),
            ),
        );
        assert_eq!(status, 201, "{body}");
    }
    let test = project("saved", 1, "");
    let plan = test.run_args(&args(
        &server,
        &["plan", ".", "--out", "plan.json", "--lock=false"],
    ));
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(test.path().join("plan.json")).expect("plan file"),
    )
    .expect("JSON");
    assert_eq!(saved["summary"]["retire_duplicate"], 1, "{saved}");
    for _ in 0..2 {
        let output = test.run_args(&args(
            &server,
            &["apply", "--plan", "plan.json", "--lock=false"],
        ));
        assert_eq!(output.code, 0, "{}", output.combined());
    }
    assert_eq!(assert_one_per_key(&server, "saved", 1), 1);
}

// ---------------------------------------------------------------------------------------------
// Stopped by a signal.

/// Starts `soarform ARGS` in `test`'s directory, as [`Test`] would, without waiting.
fn spawn(test: &Test, args: &[String]) -> std::process::Child {
    clean_environment(&mut Command::new(binary()))
        .args(args)
        .current_dir(test.path())
        .env("SOARFORM_TOKEN", TOKEN)
        .env("SOARFORM_LOCK", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn soarform")
}

fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Waits until the simulator has answered at least `count` creates (or 20 s passed).
fn wait_for_creates(server: &SimServer, count: usize) {
    let started = Instant::now();
    while creates(server) < count {
        assert!(started.elapsed() < Duration::from_secs(20), "no creates");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn slow_server() -> SimServer {
    simulator_with(|config| config.latency = Duration::from_millis(150))
}

fn interrupted_apply(name: &str, code: i32, words: &str) {
    let server = slow_server();
    let test = project("stopped", 30, "");
    let args = args(
        &server,
        &["apply", ".", "--auto-approve", "--max-concurrency", "2"],
    );
    let child = spawn(&test, &args);
    wait_for_creates(&server, 4);
    signal(&child, name);
    let started = Instant::now();
    let output = child.wait_with_output().expect("wait");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(words), "{stderr}");
    assert!(stderr.contains("change(s) not started"), "{stderr}");
    assert!(
        stderr.contains("it converges, with no duplicate"),
        "{stderr}"
    );
    // The summary on stdout does not call a stopped run complete.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Apply incomplete: "), "{stdout}");
    assert!(stdout.contains(" not done (stopped)."), "{stdout}");
    let made = creates(&server);
    assert!(made < 30, "nothing was left undone: {made}");
    // The lease was released on the way out: the next apply takes it at once and converges.
    assert!(lease_record(&server).contains("; released by "));
    let output = apply(&test, &server, &[]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_eq!(assert_one_per_key(&server, "stopped", 30), 0);
}

#[test]
fn sigint_starts_no_new_write_reports_and_exits_130() {
    interrupted_apply("INT", 130, "interrupted (SIGINT)");
}

#[test]
fn sigterm_starts_no_new_write_reports_and_exits_143() {
    interrupted_apply("TERM", 143, "terminated (SIGTERM)");
}

#[test]
fn a_second_interrupt_stops_at_once() {
    let server = simulator_with(|config| config.latency = Duration::from_millis(1500));
    let test = project("twice", 10, "");
    let args = args(
        &server,
        &["apply", ".", "--auto-approve", "--max-concurrency", "2"],
    );
    let child = spawn(&test, &args);
    wait_for_creates(&server, 1);
    signal(&child, "INT");
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, "INT");
    let started = Instant::now();
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    // Without waiting for the writes in flight (each takes 1.5 s here).
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    assert!(stderr.contains("stopping at once"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Renewal.

/// The PUTs the simulator received for the lease object `id`.
fn lease_writes(server: &SimServer, id: u64) -> usize {
    server
        .requests()
        .iter()
        .filter(|request| {
            request.method == "PUT" && request.path.ends_with(&format!("/incidents/{id}/"))
        })
        .count()
}

#[test]
fn a_long_apply_renews_its_lease_and_stops_when_another_run_takes_it_over() {
    // Renewed every ttl / 3 = 2 s while 40 slow creates take longer than that.
    let server = simulator_with(|config| config.latency = Duration::from_millis(150));
    let lease = plant_lease(&server, "2020-01-01T00:05:00Z");
    let test = project("renewed", 40, "  ttl_seconds: 6\n");
    let args = args(
        &server,
        &["apply", ".", "--auto-approve", "--max-concurrency", "2"],
    );
    let output = test.run_args(&args);
    assert_eq!(output.code, 0, "{}", output.combined());
    // Taken, renewed at least once, released.
    assert!(
        lease_writes(&server, lease) >= 3,
        "{}",
        lease_writes(&server, lease)
    );
    assert!(lease_record(&server).contains("; released by "));

    // Another run overwrites the lease mid-apply: at the next renewal this one sees it is not
    // its own any more, starts no new write, and says so.
    // 80 creates, two at a time at 150 ms: 6 s, more than two renewals.
    let test = project("overtaken", 80, "  ttl_seconds: 6\n");
    let child = spawn(&test, &args);
    wait_for_creates(&server, 44);
    let record = "soarform lease v1; held by intruder (pid 2); since 2026-01-01T00:00:00Z; expires 2099-01-01T00:00:00Z; token other";
    let (status, body) = call(
        &server,
        "PUT",
        &format!("/api/csoar/v3/incidents/{lease}/"),
        Some(&json!({"fields": {"description": record}})),
    );
    assert_eq!(status, 200, "{body}");
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("taken over by another run"), "{stderr}");
    assert!(stderr.contains("change(s) not started"), "{stderr}");
    // The intruder's record is left as it is.
    assert!(lease_record(&server).contains("intruder"));
}

/// Two CI jobs, `--shard 1/2` and `--shard 2/2`, at the same time: disjoint halves of the keys,
/// each under a lease of its own (so neither waits for the other), every object once, and a
/// plan of everything afterwards has nothing to do.
#[test]
fn shards_apply_disjoint_parts_at_once_each_under_its_own_lease() {
    let server = crate::support::simulator();
    let test = project("shard", 12, "prune_scope: [\"**\"]\n");
    let planned: Vec<Output> = (1..=2)
        .map(|index| {
            test.run_args(&args(
                &server,
                &[
                    "plan",
                    ".",
                    "--shard",
                    &format!("{index}/2"),
                    "--lock=false",
                ],
            ))
        })
        .collect();
    let creates = |output: &Output| -> Vec<String> {
        output
            .stdout
            .lines()
            .filter_map(|line| line.strip_prefix("+ create Incident "))
            .map(|rest| rest.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    let (first, second) = (creates(&planned[0]), creates(&planned[1]));
    assert!(
        !first.is_empty() && !second.is_empty(),
        "{first:?} {second:?}"
    );
    assert!(
        first.iter().all(|key| !second.contains(key)),
        "{first:?} {second:?}"
    );
    assert_eq!(first.len() + second.len(), 12);
    assert!(
        planned[0].stderr.contains("--shard"),
        "{}",
        planned[0].stderr
    );
    let applied: Vec<Output> = std::thread::scope(|scope| {
        let jobs: Vec<_> = (1..=2)
            .map(|index| {
                let test = &test;
                let server = &server;
                scope.spawn(move || {
                    apply(test, server, &["--shard", &format!("{index}/2"), "--prune"])
                })
            })
            .collect();
        jobs.into_iter().map(|job| job.join().unwrap()).collect()
    });
    for output in &applied {
        assert_eq!(output.code, 0, "{}", output.combined());
    }
    let live = by_identity(&server);
    for index in 0..12 {
        assert_eq!(live[&format!("shard-{index:03}")].len(), 1, "{live:?}");
    }
    // One lease object per shard, neither retired by the other shard's prune.
    assert!(
        live.contains_key("soarform/lock/shard-1-of-2"),
        "{:?}",
        live.keys()
    );
    assert!(
        live.contains_key("soarform/lock/shard-2-of-2"),
        "{:?}",
        live.keys()
    );
    assert!(!live.contains_key("soarform/lock"), "{:?}", live.keys());
    let whole = test.run_args(&args(
        &server,
        &["plan", ".", "--detailed-exitcode", "--prune"],
    ));
    assert_eq!(whole.code, 0, "{}", whole.combined());
    // A bad shard is refused before anything is sent.
    let bad = test.run_args(&args(&server, &["plan", ".", "--shard", "3/2"]));
    assert_eq!(bad.code, 1, "{}", bad.combined());
    assert!(
        bad.stderr.contains("expected K/N with 1 <= K <= N"),
        "{}",
        bad.stderr
    );
}

/// A shard and an apply of everything overlap: started together, they never both create an
/// object (one waits for the other's lease, or gives up saying so), and the repository converges.
#[test]
fn a_shard_and_an_apply_of_everything_exclude_each_other() {
    let server = crate::support::simulator_with(|config| {
        config.latency = std::time::Duration::from_millis(100);
    });
    let test = project("overlap", 8, "");
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let jobs = [
            vec!["--shard", "1/3", "--lock-timeout", "1m"],
            vec!["--lock-timeout", "1m"],
        ]
        .map(|extra| {
            let test = &test;
            let server = &server;
            scope.spawn(move || apply(test, server, &extra))
        });
        jobs.into_iter().map(|job| job.join().unwrap()).collect()
    });
    for output in &outputs {
        assert!(
            output.code == 0
                || output
                    .stderr
                    .contains("another apply of overlapping objects holds"),
            "{}",
            output.combined()
        );
    }
    // Never two objects for a key, and never a create retired as a duplicate afterwards.
    let live = by_identity(&server);
    for index in 0..8 {
        let key = format!("overlap-{index:03}");
        assert!(
            live.get(&key).is_none_or(|objects| objects.len() == 1),
            "{key}: {live:?}"
        );
    }
    for output in &outputs {
        assert!(!output.stdout.contains("retired"), "{}", output.stdout);
    }
    let finished = apply(&test, &server, &[]);
    assert_eq!(finished.code, 0, "{}", finished.combined());
    let live = by_identity(&server);
    for index in 0..8 {
        assert_eq!(live[&format!("overlap-{index:03}")].len(), 1, "{live:?}");
    }
}
