//! Benchmark 8: `soarform apply --sandbox` of 1,000 and 10,000 incident creates grows linearly
//! (issue 12, point 10).
//!
//! For each size, a fresh project declares that many incidents (eight fields each, ten documents
//! per file) and the release binary applies them with `apply docs --sandbox --auto-approve`: the
//! embedded simulator with its defaults (no rate limit, no latency), its state in
//! `.soarform/sandbox.json`. The apply must create every incident; the state file it leaves must
//! then load in a simulator of this build and hold each key exactly once. The table gives the wall
//! time, the time per create, and the ratio of the largest size's time per create to the
//! smallest's, which stays near 1 when the cost grows linearly.
//!
//! Knobs: `SOARFORM_BENCH_SANDBOX_SIZES` (comma-separated create counts, default `1000,10000`);
//! `SOARFORM_BENCH_SANDBOX_TIMEOUT` (seconds one apply may take before the benchmark ends it and
//! reports it unmeasured, default 600); `SOARFORM_BENCH_SANDBOX_BASELINE` (the path of another
//! soarform binary, an older build: each size is then applied by both, each in its own project).
//!
//! Run: `cargo bench --bench sandbox_apply`, or `benches/sandbox-baseline.sh REV` to compare with
//! the release build of an older commit.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{seconds, Checks, IncidentSpec, Memory, Table, Watchdog};

/// Documents per generated file.
const DOCUMENTS_PER_FILE: usize = 10;

const STATUSES: [&str; 4] = ["Open", "In progress", "Pending", "Closed"];
const PRIORITIES: [&str; 4] = ["Low", "Medium", "High", "Critical"];

/// Incident `number` of the generated documents.
fn spec(number: usize) -> IncidentSpec {
    IncidentSpec {
        key: format!("sandbox/incident-{number:06}"),
        template: "Phishing",
        description: format!("Incident {number}, generated for the sandbox benchmark."),
        starttime: "2026-11-20T09:00:00Z",
        status: STATUSES[number % STATUSES.len()],
        priority: PRIORITIES[number % PRIORITIES.len()],
        business_unit: format!("unit-{}", number % 50),
        ticket: format!("TICKET-{number}"),
    }
}

/// What one apply measured.
struct Measured {
    elapsed: Duration,
    finished: bool,
}

/// Applies `creates` generated incidents with `binary` in a fresh project and checks the result.
fn measure(creates: usize, binary: &Path, timeout: Duration, checks: &mut Checks) -> Measured {
    let project = common::project();
    let specs: Vec<IncidentSpec> = (0..creates).map(spec).collect();
    let documents: Vec<String> = specs.iter().map(IncidentSpec::yaml).collect();
    common::write_documents(
        project.path(),
        &documents,
        creates.div_ceil(DOCUMENTS_PER_FILE),
    );
    let args = ["apply", "docs", "--sandbox", "--auto-approve"];
    let watchdog = Watchdog::start(timeout);
    let run = common::soarform_binary(binary, project.path(), &args, Memory::No);
    if watchdog.stop() {
        return Measured {
            elapsed: run.elapsed,
            finished: false,
        };
    }
    let summary = format!("Apply complete: {creates} created, 0 updated, 0 unchanged.");
    checks.check(
        run.code == 0 && run.stdout.contains(&summary),
        format!(
            "apply of {creates} by `{}` should exit 0 with `{summary}`: {}",
            binary.display(),
            run.describe()
        ),
    );
    check_state(
        &project.path().join(".soarform/sandbox.json"),
        &specs,
        checks,
    );
    Measured {
        elapsed: run.elapsed,
        finished: true,
    }
}

/// The state file the apply left loads in a simulator of this build and holds every declared
/// incident exactly once, with its declared values.
fn check_state(state_file: &Path, specs: &[IncidentSpec], checks: &mut Checks) {
    let state_file = state_file.to_path_buf();
    let server = support::simulator_with(|config| config.state_file = Some(state_file));
    let by_key = support::state::incidents_by_key(&server);
    checks.check(
        by_key.len() == specs.len(),
        format!(
            "the state file should hold {} keys, holds {}",
            specs.len(),
            by_key.len()
        ),
    );
    let mut problems: BTreeMap<&str, String> = BTreeMap::new();
    for spec in specs {
        match by_key.get(&spec.key).map(Vec::as_slice) {
            Some([incident]) => {
                if let Some(difference) = spec.differs_from(incident) {
                    problems.insert(&spec.key, difference);
                }
            }
            Some(found) => {
                problems.insert(&spec.key, format!("{} incidents", found.len()));
            }
            None => {
                problems.insert(&spec.key, "missing".into());
            }
        }
    }
    checks.check(
        problems.is_empty(),
        format!(
            "{} keys are missing, duplicated or wrong in the state file, first: {:?}",
            problems.len(),
            problems.iter().next()
        ),
    );
}

fn main() {
    if !common::requested("sandbox_apply") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("SOARFORM_BENCH_SANDBOX_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .filter(|size| *size > 0)
        .collect();
    let timeout = Duration::from_secs(common::env_u64("SOARFORM_BENCH_SANDBOX_TIMEOUT", 600));
    let mut checks = Checks::default();
    let mut table = Table::default();
    table.row(
        "soarform command",
        "`soarform apply docs --sandbox --auto-approve` (release build), the sandbox's defaults: no rate limit, no latency",
    );
    table.row(
        "input",
        format!("N incidents with 8 fields each, {DOCUMENTS_PER_FILE} documents per file, into an empty sandbox"),
    );
    let mut binaries = vec![("this build", support::binary::binary())];
    if let Ok(baseline) = std::env::var("SOARFORM_BENCH_SANDBOX_BASELINE") {
        table.row(
            "baseline",
            format!("`{baseline}` (`SOARFORM_BENCH_SANDBOX_BASELINE`)"),
        );
        binaries.insert(0, ("baseline", PathBuf::from(baseline)));
    }
    for (name, binary) in &binaries {
        // (creates, seconds per create) of the sizes that finished.
        let mut per_create: Vec<(usize, f64)> = Vec::new();
        for &creates in &sizes {
            let measured = measure(creates, binary, timeout, &mut checks);
            let result = if measured.finished {
                let each = measured.elapsed.as_secs_f64() / creates as f64;
                per_create.push((creates, each));
                format!(
                    "{} ({:.3} ms per create)",
                    seconds(measured.elapsed),
                    each * 1000.0
                )
            } else {
                format!(
                    "not measured: stopped after {} (`SOARFORM_BENCH_SANDBOX_TIMEOUT`)",
                    seconds(measured.elapsed)
                )
            };
            table.row(format!("apply of {creates} creates, {name}"), result);
        }
        if let (Some((small, first)), Some((large, last))) = (per_create.first(), per_create.last())
        {
            if large > small {
                table.row(
                    format!("{name}: per create at {large} / per create at {small}"),
                    format!("{:.2} (1 is linear growth)", last / first),
                );
            }
        }
    }
    table.print("sandbox_apply: apply --sandbox of N creates");
    checks.finish("sandbox_apply");
}
