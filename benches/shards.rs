//! Benchmark: `soarform apply` of 2,000 creates under Sumo Logic's limits (4 requests per second
//! and 10 in flight, per user) with 1, 2 and 4 shards, each shard a CI job of its own with a
//! credential of its own (`--shard K/N`, issue 13, point 8). The simulator limits every
//! credential on its own, as Sumo Logic does.
//!
//! Each run starts the N jobs at once against a fresh simulator and waits for all; the wall time
//! is the slowest job's. The ratio to the limit is the requests the jobs sent divided by what
//! N users may send in that time (N x 4 per second): 1.0 means every user ran at its limit.
//!
//! Run: `cargo bench --bench shards` (about 15 minutes; `SHARDS_CREATES=400` for a quick run).

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use soarform::sim::Limits;

use common::{seconds, verdict, Checks, IncidentSpec, Table};

const RATE: f64 = 4.0;
const IN_FLIGHT: usize = 10;
const FILES: usize = 100;

fn spec(n: usize) -> IncidentSpec {
    IncidentSpec {
        key: format!("bench/shard-{n:05}"),
        template: "Phishing",
        description: format!("Generated incident {n} for the shard benchmark."),
        starttime: "2026-11-20T09:00:00Z",
        status: "Open",
        priority: "Medium",
        business_unit: "Finance".into(),
        ticket: format!("SHARD-{n}"),
    }
}

fn main() {
    if !common::requested("shards") {
        return;
    }
    let creates = common::env_u64("SHARDS_CREATES", 2_000) as usize;
    let project = common::project();
    let documents: Vec<String> = (0..creates).map(|n| spec(n).yaml()).collect();
    common::write_documents(project.path(), &documents, FILES);
    let mut checks = Checks::default();
    let mut table = Table::default();
    table.row(
        "setup",
        format!("{creates} creates; per user: {RATE} requests per second, {IN_FLIGHT} in flight; each job `--requests-per-second {RATE} --max-concurrency {IN_FLIGHT}`, the lease on"),
    );
    let mut single = None;
    let mut ratios = Vec::new();
    for shards in [1u32, 2, 4] {
        let tokens: Vec<String> = (1..=shards)
            .map(|k| format!("bench-user-{k}-token"))
            .collect();
        let server = support::simulator_with(|config| {
            config.limits = Limits {
                requests_per_second: Some(RATE),
                max_concurrency: Some(IN_FLIGHT),
                ..Limits::default()
            };
            config.limits_per_user = true;
            config.other_users = tokens.clone();
        });
        let url = server.url();
        let started = Instant::now();
        let jobs: Vec<_> = (1..=shards)
            .map(|k| {
                let mut command = Command::new(support::binary::binary());
                support::binary::clean_environment(&mut command)
                    .current_dir(project.path())
                    .env("SOARFORM_TOKEN", &tokens[k as usize - 1])
                    .env("SOARFORM_LOCK", "true")
                    .args([
                        "apply",
                        "docs",
                        "--url",
                        &url,
                        "--api",
                        "v3",
                        "--auto-approve",
                        "--shard",
                        &format!("{k}/{shards}"),
                        "--requests-per-second",
                        &RATE.to_string(),
                        "--max-concurrency",
                        &IN_FLIGHT.to_string(),
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped());
                command.spawn().expect("spawn soarform")
            })
            .collect();
        let mut failed = 0;
        for job in jobs {
            let output = job.wait_with_output().expect("wait for soarform");
            if !output.status.success() {
                failed += 1;
                eprintln!("{}", String::from_utf8_lossy(&output.stderr));
            }
        }
        let wall = started.elapsed();
        let requests = server.requests().len();
        let stats = server.stats();
        let by_key = support::state::incidents_by_key(&server);
        let duplicates = by_key.values().filter(|objects| objects.len() > 1).count();
        let made = (0..creates)
            .filter(|n| by_key.contains_key(&spec(*n).key))
            .count();
        checks.check(
            failed == 0,
            format!("{shards} shards: {failed} jobs failed"),
        );
        checks.check(
            made == creates,
            format!("{shards} shards: {made} of {creates} made"),
        );
        checks.check(
            duplicates == 0,
            format!("{shards} shards: {duplicates} duplicated keys"),
        );
        let allowed = RATE * f64::from(shards) * wall.as_secs_f64();
        let ratio = requests as f64 / allowed;
        ratios.push(ratio);
        let speedup = single.map_or(1.0, |one: Duration| one.as_secs_f64() / wall.as_secs_f64());
        single.get_or_insert(wall);
        table.row(
            format!("{shards} shard(s)"),
            format!(
                "{} wall; {requests} requests ({} answered 429); ratio to the limit {ratio:.2}; {speedup:.2}x one job",
                seconds(wall),
                stats.throttled
            ),
        );
    }
    table.print("Sharded applies under Sumo Logic's limits");
    let met = ratios.iter().all(|ratio| *ratio >= 0.85);
    println!(
        "Target (every shard runs near its own user's limit, ratio at least 0.85): {}",
        verdict(met)
    );
    checks.finish("shards");
}
