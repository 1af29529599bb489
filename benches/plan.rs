//! Benchmark 2: `soarform plan` of 10,000 existing incidents with 20 ms added latency per
//! request, side by side in the same run with a naive sequential client that makes one request
//! per incident.
//!
//! Targets (issue 4): at most ceil(10,000 / page size) search requests plus the catalog, and at
//! least 30 times faster than the naive client.
//!
//! Seeding: the 10,000 incidents are written directly as a simulator state file (the format of
//! `src/sim/store.rs`: `version`, `next_incident_id`, `next_triage_id`, `incidents` with typed
//! field values), holding exactly what `soarform apply` would have created for the generated
//! documents. The plan must then report 10,000 unchanged: that checks the seeding is faithful.
//!
//! The naive client is what the API documentation's examples do: `GET incidents/{id}/`, one
//! incident after the other, on one kept-alive connection (reqwest). It is given the ids, which a
//! real client starting from keys would first have to find: the comparison favours it.
//! `SOARFORM_BENCH_NAIVE_LIMIT=N` makes it fetch only N incidents and extrapolate (the table says
//! so); by default it fetches all 10,000, which takes about 3.5 minutes at 20 ms each.
//!
//! Run: `cargo bench --bench plan`.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::{seconds, verdict, Checks, IncidentSpec, Memory, Table};

const INCIDENTS: usize = 10_000;
const FILES: usize = 1_000;
const LATENCY: Duration = Duration::from_millis(20);
/// soarform's default page size (`limits.page_size` is not set in the generated project).
const PAGE_SIZE: usize = 500;
const SPEEDUP_TARGET: f64 = 30.0;
const FIRST_ID: u64 = 101;

const UNITS: [&str; 5] = ["Finance", "IT", "Engineering", "Sales", "Legal"];
const STATUSES: [(&str, u64); 4] = [
    ("Open", 1),
    ("In progress", 2),
    ("Pending", 3),
    ("Closed", 4),
];
const PRIORITIES: [(&str, u64); 4] = [("Low", 1), ("Medium", 2), ("High", 3), ("Critical", 4)];

fn spec(n: usize) -> IncidentSpec {
    IncidentSpec {
        key: format!("bench/incident-{n:05}"),
        template: "Phishing",
        description: format!("Generated incident {n} for the plan benchmark."),
        starttime: "2026-11-20T09:00:00Z",
        status: STATUSES[n % STATUSES.len()].0,
        priority: PRIORITIES[n % PRIORITIES.len()].0,
        business_unit: UNITS[n % UNITS.len()].to_string(),
        ticket: format!("JIRA-SEC-{n}"),
    }
}

/// The stored form of `spec(n)` in the simulator's state file format.
fn stored(n: usize) -> Value {
    let spec = spec(n);
    json!({
        "id": FIRST_ID + n as u64,
        "template_id": 1,
        "created_by": "bench-seed",
        "creation_date": "2026-11-20T10:00:00Z",
        "modified_date": "2026-11-20T10:00:00Z",
        "fields": {
            "incidentid": {"text": spec.key},
            "description": {"text": spec.description},
            "starttime": {"instant": "2026-11-20T09:00:00Z"},
            "incident_kind": {"option": 1},
            "status": {"option": STATUSES[n % STATUSES.len()].1},
            "priority": {"option": PRIORITIES[n % PRIORITIES.len()].1},
            "opt_3": {"text": spec.business_unit},
            "opt_2": {"text": spec.ticket},
            // Made by soarform (its ownership marker, `Managed by`), as after an earlier apply:
            // without it every object would be planned for adoption since issue 5.
            "opt_7": {"text": "soarform"},
        }
    })
}

fn main() {
    if !common::requested("plan") {
        return;
    }
    let runs = common::env_u64("SOARFORM_BENCH_RUNS", 3).max(1) as usize;
    let naive_count = (common::env_u64("SOARFORM_BENCH_NAIVE_LIMIT", INCIDENTS as u64) as usize)
        .clamp(1, INCIDENTS);
    let project = common::project();
    let documents: Vec<String> = (0..INCIDENTS).map(|n| spec(n).yaml()).collect();
    common::write_documents(project.path(), &documents, FILES);
    let state_file = project.path().join("sim-state.json");
    let state = json!({
        "version": 1,
        "next_incident_id": FIRST_ID + INCIDENTS as u64,
        "next_triage_id": 5001,
        "incidents": (0..INCIDENTS).map(stored).collect::<Vec<_>>(),
        "triage_items": [],
    });
    std::fs::write(&state_file, state.to_string()).expect("write the simulator state");

    let server = support::simulator_with(|config| {
        config.state_file = Some(state_file.clone());
        config.latency = LATENCY;
    });
    let mut checks = Checks::default();
    checks.check(
        server.incidents().len() == INCIDENTS,
        format!(
            "the simulator loaded {} incidents, expected {INCIDENTS}",
            server.incidents().len()
        ),
    );
    let url = server.url();

    // soarform plan, `runs` times; requests are counted on the first run.
    let args = [
        "plan",
        "docs",
        "--url",
        url.as_str(),
        "--api",
        "v3",
        "--detailed-exitcode",
    ];
    let mut times = Vec::new();
    let mut counted = None;
    let mut peak = None;
    for run_index in 0..runs {
        let before = server.requests().len();
        let run = common::soarform(project.path(), &args, Memory::Peak);
        checks.check(
            run.code == 0,
            format!(
                "plan should exit 0 (no changes) with --detailed-exitcode: {}",
                run.describe()
            ),
        );
        let summary = format!("Plan: 0 to create, 0 to update, {INCIDENTS} unchanged.");
        checks.check(
            run.stdout.contains(&summary),
            format!("expected `{summary}` in the plan: {}", run.describe()),
        );
        if run_index == 0 {
            let requests = server.requests();
            let made = &requests[before..];
            let searches = made
                .iter()
                .filter(|request| request.method == "POST" && request.path.ends_with("/search/"))
                .count();
            let catalog = made
                .iter()
                .filter(|request| {
                    request.method == "GET"
                        && (request.path.ends_with("/columns/")
                            || request.path.ends_with("/incident_templates/"))
                })
                .count();
            let catalog_paths: Vec<String> = made
                .iter()
                .filter(|request| request.method == "GET")
                .map(|request| request.path.clone())
                .collect();
            let other = made.len() - searches - catalog;
            let throttled = made.iter().filter(|request| request.status == 429).count();
            checks.check(throttled == 0, format!("{throttled} requests answered 429"));
            counted = Some((made.len(), searches, catalog, other, catalog_paths));
        }
        peak = peak.max(run.peak_rss_kib);
        times.push(run.elapsed);
    }
    times.sort();
    let plan_time = times[times.len() / 2];

    // The naive sequential client.
    let ids: Vec<u64> = (0..naive_count as u64).map(|n| FIRST_ID + n).collect();
    let (naive_elapsed, naive_failures) = naive_client(&url, &ids);

    // Where the plan's time goes: the same plan against a simulator without latency, and one
    // search of 499 keys timed alone (the simulator answers requests one at a time).
    let quick = support::simulator_with(|config| config.state_file = Some(state_file.clone()));
    let quick_url = quick.url();
    let mut quick_args = args;
    quick_args[3] = quick_url.as_str();
    let unlatent = common::soarform(project.path(), &quick_args, Memory::No);
    checks.check(
        unlatent.code == 0,
        format!("plan without latency failed: {}", unlatent.describe()),
    );
    let one_search = time_one_search(&quick_url, PAGE_SIZE - 1);
    drop(quick);
    checks.check(
        naive_failures == 0,
        format!("the naive client got {naive_failures} failed answers"),
    );
    let naive_full = naive_elapsed.mul_f64(INCIDENTS as f64 / naive_count as f64);
    let speedup = naive_full.as_secs_f64() / plan_time.as_secs_f64();

    let (total, searches, catalog, other, catalog_paths) = counted.unwrap_or_default();
    let search_bound = INCIDENTS.div_ceil(PAGE_SIZE);
    let keys_per_search = PAGE_SIZE - 1;
    let mut table = Table::default();
    table.row(
        "setup",
        format!(
            "{INCIDENTS} incidents in the simulator (state file), the same {INCIDENTS} declared in {FILES} files; {} ms added latency per request; page size {PAGE_SIZE}",
            LATENCY.as_millis()
        ),
    );
    table.row(
        "soarform command",
        "`soarform plan docs --url URL --api v3 --detailed-exitcode` (release build)",
    );
    table.row(
        "soarform plan wall time (median)",
        format!(
            "{} (runs: {runs}, min {}, max {}; YAML loading and diffing included)",
            seconds(plan_time),
            seconds(times[0]),
            seconds(times[times.len() - 1])
        ),
    );
    if let Some(peak) = peak {
        table.row(
            "soarform plan peak RSS",
            format!("{:.1} MB", peak as f64 / 1024.0),
        );
    }
    table.row(
        "soarform requests (first run)",
        format!(
            "{total}: {searches} searches + {catalog} catalog ({}) + {other} other",
            catalog_paths.join(", ")
        ),
    );
    table.row(
        "naive client",
        format!(
            "sequential `GET incidents/{{id}}/`, one per incident: {} requests in {}{}",
            ids.len(),
            seconds(naive_elapsed),
            if naive_count < INCIDENTS {
                format!(
                    " (sample; extrapolated to {INCIDENTS}: {})",
                    seconds(naive_full)
                )
            } else {
                String::new()
            }
        ),
    );
    table.row("speedup", format!("{speedup:.1}x"));
    table.row(
        "diagnosis: the same plan without latency",
        seconds(unlatent.elapsed),
    );
    table.row(
        "diagnosis: one search of 499 keys over 10,000 incidents, no latency",
        format!(
            "{} (median of 3; x {searches} searches = {:.1} s of simulator time, served one at a time)",
            seconds(one_search),
            one_search.as_secs_f64() * searches as f64
        ),
    );
    table.row(
        format!("target: searches <= ceil({INCIDENTS} / {PAGE_SIZE}) = {search_bound} (+ catalog)"),
        format!(
            "{} ({searches} searches: soarform puts {keys_per_search} keys in one search so that a complete answer is a short page; ceil({INCIDENTS} / {keys_per_search}) = {})",
            verdict(searches <= search_bound),
            INCIDENTS.div_ceil(keys_per_search)
        ),
    );
    table.row(
        format!("target: >= {SPEEDUP_TARGET:.0}x faster than the naive client"),
        format!("{} ({speedup:.1}x)", verdict(speedup >= SPEEDUP_TARGET)),
    );
    table.print("plan: 10,000 existing incidents, 20 ms latency");
    drop(server);
    checks.finish("plan");
}

/// The median time of three searches for `keys` keys, as soarform sends them (page size 500,
/// the declared columns), against a simulator without latency.
fn time_one_search(url: &str, keys: usize) -> Duration {
    let filter = (0..keys)
        .map(|n| format!("incidentid:\"{}\"", spec(n).key))
        .collect::<Vec<_>>()
        .join(" OR ");
    let body = json!({
        "page_number": 1,
        "page_size": PAGE_SIZE,
        "filter": filter,
        "columns": ["description", "starttime", "incident_kind", "status", "priority", "opt_3", "opt_2", "incidentid"],
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut times = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let answer = client
                .post(format!("{url}/api/csoar/v3/incidents/search/"))
                .bearer_auth(support::TOKEN)
                .json(&body)
                .send()
                .await
                .expect("search");
            let found = answer.json::<Value>().await.expect("search answer");
            times.push(started.elapsed());
            assert_eq!(found.as_array().map(Vec::len), Some(keys));
        }
        times.sort();
        times[1]
    })
}

/// Fetches every id with `GET incidents/{id}/`, one after the other. Returns the time taken and
/// how many answers were not 200 with that id.
fn naive_client(url: &str, ids: &[u64]) -> (Duration, usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("reqwest client");
        let started = Instant::now();
        let mut failures = 0;
        for id in ids {
            let answer = client
                .get(format!("{url}/api/csoar/v3/incidents/{id}/"))
                .bearer_auth(support::TOKEN)
                .header("Accept", "application/json")
                .send()
                .await;
            let ok = match answer {
                Ok(response) if response.status().is_success() => response
                    .json::<Value>()
                    .await
                    .is_ok_and(|body| body["id"].as_u64() == Some(*id)),
                _ => false,
            };
            if !ok {
                failures += 1;
            }
        }
        (started.elapsed(), failures)
    })
}
