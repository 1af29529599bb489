//! Benchmark 5: what the apply lease costs per apply, in requests and seconds.
//!
//! The same apply runs with the lease (`--lock=true`, the default `lock:` settings: a settle delay
//! of 2 s) and without it (`--lock=false`), against a simulator adding 20 ms to every request:
//! once creating 50 incidents in an empty tenant, once re-applying them with nothing to change.
//! Each case runs a few times on a fresh simulator; the table gives the medians and the
//! difference. There is no target: the issue asks for the cost to be known. Correctness: every
//! apply exits 0, and the tenant ends with exactly the 50 incidents (plus the one lease object).
//!
//! Run: `cargo bench --bench lease`.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use common::{seconds, Checks, IncidentSpec, Memory, Table};

const INCIDENTS: usize = 50;
const LATENCY: Duration = Duration::from_millis(20);

fn spec(n: usize) -> IncidentSpec {
    IncidentSpec {
        key: format!("bench/lease-{n:03}"),
        template: "Phishing",
        description: format!("Generated incident {n} for the lease benchmark."),
        starttime: "2026-11-20T09:00:00Z",
        status: "Open",
        priority: "Medium",
        business_unit: "Finance".into(),
        ticket: format!("LEASE-{n}"),
    }
}

/// Requests and wall time of one apply.
struct Cost {
    requests: u64,
    elapsed: Duration,
}

fn apply(lock: bool, second: bool, checks: &mut Checks) -> Cost {
    let project = common::project();
    let documents: Vec<String> = (0..INCIDENTS).map(|n| spec(n).yaml()).collect();
    common::write_documents(project.path(), &documents, 5);
    let server = support::simulator_with(|config| config.latency = LATENCY);
    let url = server.url();
    let lock_flag = format!("--lock={lock}");
    let args = [
        "apply",
        ".",
        "--auto-approve",
        "--url",
        url.as_str(),
        "--api",
        "v3",
        lock_flag.as_str(),
    ];
    if second {
        let first = common::soarform(project.path(), &args, Memory::No);
        checks.check(
            first.code == 0,
            format!("first apply: {}", first.describe()),
        );
    }
    let before = server.stats().requests;
    let run = common::soarform(project.path(), &args, Memory::No);
    checks.check(run.code == 0, format!("apply: {}", run.describe()));
    let incidents = server.incidents().len();
    let expected = INCIDENTS + usize::from(lock);
    checks.check(
        incidents == expected,
        format!("{incidents} incidents, expected {expected}"),
    );
    Cost {
        requests: server.stats().requests - before,
        elapsed: run.elapsed,
    }
}

fn median(mut costs: Vec<Cost>) -> Cost {
    costs.sort_by_key(|cost| cost.elapsed);
    let middle = costs.len() / 2;
    costs.swap_remove(middle)
}

fn main() {
    if !common::requested("lease") {
        return;
    }
    let runs = common::env_u64("SOARFORM_BENCH_RUNS", 3).max(1);
    let mut checks = Checks::default();
    let mut table = Table::default();
    for (case, second) in [
        ("create 50 incidents", false),
        ("re-apply, nothing to change", true),
    ] {
        let with: Vec<Cost> = (0..runs)
            .map(|_| apply(true, second, &mut checks))
            .collect();
        let without: Vec<Cost> = (0..runs)
            .map(|_| apply(false, second, &mut checks))
            .collect();
        let (with, without) = (median(with), median(without));
        table.row(
            format!("{case}: requests with / without the lease"),
            format!(
                "{} / {} (+{})",
                with.requests,
                without.requests,
                with.requests.saturating_sub(without.requests)
            ),
        );
        table.row(
            format!("{case}: seconds with / without the lease (median of {runs})"),
            format!(
                "{} / {} (+{})",
                seconds(with.elapsed),
                seconds(without.elapsed),
                seconds(with.elapsed.saturating_sub(without.elapsed))
            ),
        );
    }
    table.print("5. The apply lease: cost per apply (20 ms latency, settle delay 2 s)");
    checks.finish("lease");
}
