//! Benchmark 3: `soarform apply` of 1,000 creates under a simulator limit of 50 requests per
//! second and 10 in flight, the client configured with `--requests-per-second 50
//! --max-concurrency 10`.
//!
//! Targets (issue 4): zero 429 answers (a correctness condition here: the benchmark fails on any),
//! and a total time within 10% of the 20 s the limit allows for 1,000 requests. The plan phase's
//! catalog reads and searches count against the same limit, so the floor is
//! (all requests - 1) / 50 s; the table shows both.
//!
//! Run: `cargo bench --bench apply_limits`.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use soarform::sim::Limits;

use common::{seconds, verdict, Checks, IncidentSpec, Memory, Table};

const CREATES: usize = 1_000;
const FILES: usize = 100;
const RATE: f64 = 50.0;
const IN_FLIGHT: usize = 10;
/// 1,000 requests at 50 per second.
const ALLOWED: Duration = Duration::from_secs(20);

fn spec(n: usize) -> IncidentSpec {
    IncidentSpec {
        key: format!("bench/limits-{n:04}"),
        template: "Phishing",
        description: format!("Generated incident {n} for the rate-limit benchmark."),
        starttime: "2026-11-20T09:00:00Z",
        status: "Open",
        priority: "Medium",
        business_unit: "Finance".into(),
        ticket: format!("LIMITS-{n}"),
    }
}

fn main() {
    if !common::requested("apply_limits") {
        return;
    }
    let project = common::project();
    let specs: Vec<IncidentSpec> = (0..CREATES).map(spec).collect();
    let documents: Vec<String> = specs.iter().map(IncidentSpec::yaml).collect();
    common::write_documents(project.path(), &documents, FILES);
    let server = support::simulator_with(|config| {
        config.limits = Limits {
            requests_per_second: Some(RATE),
            max_concurrency: Some(IN_FLIGHT),
            ..Limits::default()
        };
    });
    let url = server.url();
    let rate = RATE.to_string();
    let in_flight = IN_FLIGHT.to_string();
    let run = common::soarform(
        project.path(),
        &[
            "apply",
            "docs",
            "--url",
            &url,
            "--api",
            "v3",
            "--auto-approve",
            "--requests-per-second",
            &rate,
            "--max-concurrency",
            &in_flight,
        ],
        Memory::Peak,
    );
    let stats = server.stats();
    let requests = server.requests();
    let mut checks = Checks::default();
    checks.check(run.code == 0, format!("apply failed: {}", run.describe()));
    let summary = format!("Apply complete: {CREATES} created, 0 updated, 0 unchanged.");
    checks.check(
        run.stdout.contains(&summary),
        format!("expected `{summary}`: {}", run.describe()),
    );
    checks.check(
        stats.throttled == 0,
        format!(
            "{} answers were 429 ({} rate limit, {} concurrency limit)",
            stats.throttled, stats.rate_limited, stats.concurrency_limited
        ),
    );
    checks.check(
        stats.max_in_flight <= IN_FLIGHT,
        format!("{} requests were in flight at once", stats.max_in_flight),
    );
    let by_key = support::state::incidents_by_key(&server);
    let duplicates = by_key.values().filter(|objects| objects.len() > 1).count();
    let mut wrong = 0;
    let mut missing = 0;
    for spec in &specs {
        match by_key.get(&spec.key).map(Vec::as_slice) {
            Some([live]) => {
                if let Some(difference) = spec.differs_from(live) {
                    if wrong == 0 {
                        eprintln!("{}: {difference}", spec.key);
                    }
                    wrong += 1;
                }
            }
            Some(_) => {}
            None => missing += 1,
        }
    }
    checks.check(duplicates == 0, format!("{duplicates} keys are duplicated"));
    checks.check(missing == 0, format!("{missing} incidents are missing"));
    checks.check(wrong == 0, format!("{wrong} incidents have wrong values"));
    checks.check(
        server.incidents().len() == CREATES,
        format!(
            "{} incidents exist, expected {CREATES}",
            server.incidents().len()
        ),
    );

    let total = requests.len();
    let creates = requests
        .iter()
        .filter(|request| request.method == "POST" && !request.path.ends_with("/search/"))
        .count();
    let searches = requests
        .iter()
        .filter(|request| request.path.ends_with("/search/"))
        .count();
    let reads = total - creates - searches;
    let floor = Duration::from_secs_f64(total.saturating_sub(1) as f64 / RATE);
    let limit = ALLOWED.mul_f64(1.1);
    let mut table = Table::default();
    table.row(
        "setup",
        format!("empty simulator limited to {RATE} requests/s (token bucket, bursts of {RATE}) and {IN_FLIGHT} in flight; {CREATES} incidents declared in {FILES} files"),
    );
    table.row(
        "command",
        format!("`soarform apply docs --url URL --api v3 --auto-approve --requests-per-second {RATE} --max-concurrency {IN_FLIGHT}`"),
    );
    table.row("total wall time", seconds(run.elapsed));
    table.row(
        "requests",
        format!("{total}: {creates} creates + {searches} searches + {reads} catalog reads"),
    );
    table.row(
        "achieved rate",
        format!("{:.1} requests/s", total as f64 / run.elapsed.as_secs_f64()),
    );
    table.row(
        "floor for all requests at the limit",
        format!("{} ((requests - 1) / {RATE})", seconds(floor)),
    );
    table.row(
        "429 answers",
        format!(
            "{} ({} rate limit, {} concurrency limit)",
            stats.throttled, stats.rate_limited, stats.concurrency_limited
        ),
    );
    table.row(
        "most requests in flight at the simulator",
        stats.max_in_flight.to_string(),
    );
    if let Some(peak) = run.peak_rss_kib {
        table.row("peak RSS", format!("{:.1} MB", peak as f64 / 1024.0));
    }
    table.row("target: zero 429", verdict(stats.throttled == 0));
    table.row(
        "target: within 10% of 20 s (<= 22 s)",
        format!(
            "{} ({})",
            verdict(run.elapsed <= limit),
            seconds(run.elapsed)
        ),
    );
    table.print("apply: 1,000 creates at 50 requests/s, 10 in flight");
    drop(server);
    checks.finish("apply_limits");
}
