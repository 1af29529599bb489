//! Benchmark 4: `soarform apply` of 500 creates and updates while the simulator injects 10% 5xx,
//! 5% 429 and 3% committed-then-dropped writes (seeded).
//!
//! Targets (issue 4), all correctness conditions that fail the benchmark: zero duplicates, zero
//! lost updates (checked in the simulator's final state: exactly one incident per key, carrying
//! every desired value), and a following plan that shows no changes.
//!
//! Setup: version 1 of a repository (250 incidents) is applied to a fault-free simulator keeping
//! its state in a file. A second simulator, with the faults, then loads that state, and version 2
//! is applied: the 250 incidents changed (status, priority, business unit, ticket) and 250 new
//! ones, 500 changes in all. The follow-up plan runs against the same faulty simulator.
//! `SOARFORM_BENCH_SEED` picks the fault seed (default 4). The faults are seeded, but which
//! request draws which fault also depends on the order in which concurrent requests arrive, so
//! counts vary a little between runs.
//!
//! When the first apply leaves work undone (objects reported failed, exit 3), a second apply and
//! plan are run and reported to show convergence; that is informational, not a target. Whatever
//! the faults, a duplicate or a change lost without being reported fails the benchmark.
//!
//! Run: `cargo bench --bench apply_faults`.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use soarform::sim::Faults;

use common::{seconds, verdict, Checks, IncidentSpec, Memory, Table};
use support::state::{is_search, is_write};

const EXISTING: usize = 250;
const NEW: usize = 250;
const FILES: usize = 50;

fn version_1(n: usize) -> IncidentSpec {
    IncidentSpec {
        key: format!("bench/faults-{n:04}"),
        template: "Phishing",
        description: format!("Generated incident {n} for the fault benchmark."),
        starttime: "2026-11-20T09:00:00Z",
        status: "Open",
        priority: "Low",
        business_unit: "Finance".into(),
        ticket: format!("OLD-{n}"),
    }
}

/// Version 2: the first `EXISTING` changed, the next `NEW` added.
fn version_2(n: usize) -> IncidentSpec {
    if n < EXISTING {
        IncidentSpec {
            status: "In progress",
            priority: "High",
            business_unit: format!("Unit-{}", n % 7),
            ticket: format!("NEW-{n}"),
            ..version_1(n)
        }
    } else {
        version_1(n)
    }
}

fn main() {
    if !common::requested("apply_faults") {
        return;
    }
    let seed = common::env_u64("SOARFORM_BENCH_SEED", 4);
    let mut checks = Checks::default();
    let project = common::project();
    let state_file = project.path().join("sim-state.json");

    // Version 1, without faults.
    let v1: Vec<String> = (0..EXISTING).map(|n| version_1(n).yaml()).collect();
    common::write_documents(project.path(), &v1, FILES);
    {
        let server = support::simulator_with(|config| config.state_file = Some(state_file.clone()));
        let url = server.url();
        let seeded = common::soarform(
            project.path(),
            &[
                "apply",
                "docs",
                "--url",
                &url,
                "--api",
                "v3",
                "--auto-approve",
            ],
            Memory::No,
        );
        checks.check(
            seeded.code == 0 && server.incidents().len() == EXISTING,
            format!("seeding version 1 failed: {}", seeded.describe()),
        );
    }

    // Version 2, with faults.
    std::fs::remove_dir_all(project.path().join("docs")).expect("remove version 1");
    let specs: Vec<IncidentSpec> = (0..EXISTING + NEW).map(version_2).collect();
    let v2: Vec<String> = specs.iter().map(IncidentSpec::yaml).collect();
    common::write_documents(project.path(), &v2, FILES);
    let faults = Faults {
        seed,
        server_error_rate: 0.10,
        throttle_rate: 0.05,
        drop_after_commit_rate: 0.03,
        ..Faults::default()
    };
    let server = support::simulator_with(|config| {
        config.state_file = Some(state_file.clone());
        config.faults = faults.clone();
    });
    let url = server.url();
    let connection = ["--url", url.as_str(), "--api", "v3"];
    let mut apply_args = vec!["apply", "docs"];
    apply_args.extend(connection);
    apply_args.push("--auto-approve");
    let mut plan_args = vec!["plan", "docs"];
    plan_args.extend(connection);
    plan_args.push("--detailed-exitcode");

    let applied = common::soarform(project.path(), &apply_args, Memory::Peak);
    let apply_stats = server.stats();
    let apply_requests = server.requests();
    let failed = failed_lines(&applied.stdout);
    let expected_plan = format!("Plan: {NEW} to create, {EXISTING} to update, 0 unchanged.");
    checks.check(
        applied.stdout.contains(&expected_plan),
        format!("expected `{expected_plan}`: {}", applied.describe()),
    );
    checks.check(
        applied.code == 0 || applied.code == 3,
        format!("apply failed as a whole: {}", applied.describe()),
    );
    let first = assess(&server, &specs, &failed);
    first.check(&mut checks, "after the apply");
    checks.check(
        applied.code == 0 && failed.is_empty(),
        format!(
            "the apply exited {} with {} objects failed (reported, not silent):\n{}",
            applied.code,
            failed.len(),
            failed.join("\n")
        ),
    );

    // The following plan, against the same faulty simulator.
    let no_changes = format!("Plan: 0 to create, 0 to update, {} unchanged.", specs.len());
    let replan = common::soarform(project.path(), &plan_args, Memory::No);
    let replan_clean = replan.code == 0 && replan.stdout.contains(&no_changes);
    checks.check(
        replan_clean,
        format!(
            "the following plan is not empty (exit {}): {}",
            replan.code,
            plan_line(&replan)
        ),
    );
    let replan_stats = server.stats();

    // When the first apply left work undone: does a second apply converge (issue 4, point 3)?
    let convergence = (!first.complete()).then(|| {
        let again = common::soarform(project.path(), &apply_args, Memory::No);
        let again_failed = failed_lines(&again.stdout);
        let second = assess(&server, &specs, &again_failed);
        second.check(&mut checks, "after a second apply");
        let plan = common::soarform(project.path(), &plan_args, Memory::No);
        (again, again_failed, second, plan)
    });

    let writes = apply_requests
        .iter()
        .filter(|request| is_write(request))
        .count();
    let searches = apply_requests
        .iter()
        .filter(|request| is_search(request))
        .count();
    let status_count = |status: u16| {
        apply_requests
            .iter()
            .filter(|request| request.status == status)
            .count()
    };
    let mut table = Table::default();
    table.row(
        "setup",
        format!("{EXISTING} incidents applied first without faults; then {NEW} creates + {EXISTING} updates with faults: 5xx {:.0}%, 429 {:.0}%, committed-then-dropped writes {:.0}% (seed {seed})", faults.server_error_rate * 100.0, faults.throttle_rate * 100.0, faults.drop_after_commit_rate * 100.0),
    );
    table.row(
        "commands",
        "`soarform apply docs --url URL --api v3 --auto-approve`, then `soarform plan docs --url URL --api v3 --detailed-exitcode`",
    );
    table.row(
        "apply: exit code, wall time",
        format!("{}, {}", applied.code, seconds(applied.elapsed)),
    );
    table.row(
        "apply: requests",
        format!(
            "{}: {writes} writes, {searches} searches, {} catalog reads",
            apply_requests.len(),
            apply_requests.len() - writes - searches
        ),
    );
    table.row(
        "apply: faults injected",
        format!(
            "{} 5xx (500: {}, 502: {}, 503: {}, 504: {}), {} 429, {} writes committed then dropped",
            apply_stats.server_errors,
            status_count(500),
            status_count(502),
            status_count(503),
            status_count(504),
            apply_stats.throttled,
            apply_stats.dropped_after_commit
        ),
    );
    table.row(
        "apply: objects reported failed",
        if failed.is_empty() {
            "0".to_string()
        } else {
            format!("{}: {}", failed.len(), summarize_failures(&failed))
        },
    );
    table.row("apply: final state", first.describe());
    table.row(
        "following plan",
        format!(
            "exit {}, `{}`, {} ({} 5xx and {} 429 injected in its {} requests)",
            replan.code,
            plan_line(&replan),
            seconds(replan.elapsed),
            replan_stats.server_errors - apply_stats.server_errors,
            replan_stats.throttled - apply_stats.throttled,
            replan_stats.requests - apply_stats.requests
        ),
    );
    if let Some((again, again_failed, second, plan)) = &convergence {
        table.row(
            "second apply (convergence, not a target)",
            format!(
                "exit {}, {}, {} failed; final state: {}; plan after it: exit {}, `{}`",
                again.code,
                seconds(again.elapsed),
                again_failed.len(),
                second.describe(),
                plan.code,
                plan_line(plan)
            ),
        );
    }
    table.row(
        "target: zero duplicates",
        format!(
            "{} ({})",
            verdict(first.duplicates.is_empty()),
            first.duplicates.len()
        ),
    );
    table.row(
        "target: zero lost updates",
        format!(
            "{} ({} changes not in the final state: {} reported failed by the apply, {} silently lost)",
            verdict(first.complete()),
            first.missing.len() + first.lost.len(),
            first.reported,
            first.silent.len()
        ),
    );
    table.row(
        "target: following plan shows no changes",
        format!("{} (exit {})", verdict(replan_clean), replan.code),
    );
    table.print("apply: 500 creates and updates under injected faults");
    drop(server);
    checks.finish("apply_faults");
}

/// How the simulator's final state compares with the desired one.
struct Assessment {
    /// Keys carried by more than one incident.
    duplicates: Vec<String>,
    /// Keys carried by none.
    missing: Vec<String>,
    /// `key: field difference` for incidents whose values are not the desired ones.
    lost: Vec<String>,
    /// Incidents whose key was never declared.
    strangers: usize,
    /// Missing or wrong objects the apply reported as failed.
    reported: usize,
    /// Missing or wrong objects the apply did not report as failed: silently lost.
    silent: Vec<String>,
}

impl Assessment {
    fn complete(&self) -> bool {
        self.duplicates.is_empty()
            && self.missing.is_empty()
            && self.lost.is_empty()
            && self.strangers == 0
    }

    fn describe(&self) -> String {
        format!(
            "{} duplicated keys, {} missing incidents, {} incidents with stale values, {} undeclared",
            self.duplicates.len(),
            self.missing.len(),
            self.lost.len(),
            self.strangers
        )
    }

    /// The conditions that hold whatever the faults: never a duplicate, never a change lost
    /// without being reported.
    fn check(&self, checks: &mut Checks, when: &str) {
        checks.check(
            self.duplicates.is_empty(),
            format!(
                "{when}: {} keys are duplicated: {:?}",
                self.duplicates.len(),
                self.duplicates
            ),
        );
        checks.check(
            self.silent.is_empty(),
            format!(
                "{when}: {} changes silently lost: {:?}",
                self.silent.len(),
                self.silent
            ),
        );
        checks.check(
            self.strangers == 0,
            format!(
                "{when}: {} incidents carry keys never declared",
                self.strangers
            ),
        );
    }
}

fn assess(
    server: &soarform::sim::SimServer,
    specs: &[IncidentSpec],
    failed: &[String],
) -> Assessment {
    let by_key = support::state::incidents_by_key(server);
    let duplicates: Vec<String> = by_key
        .iter()
        .filter(|(_, objects)| objects.len() > 1)
        .map(|(key, _)| key.clone())
        .collect();
    let mut missing = Vec::new();
    let mut lost = Vec::new();
    let mut reported = 0;
    let mut silent = Vec::new();
    for spec in specs {
        let problem = match by_key.get(&spec.key).map(Vec::as_slice) {
            None | Some([]) => {
                missing.push(spec.key.clone());
                Some("missing".to_string())
            }
            Some(objects) => objects
                .iter()
                .find_map(|live| spec.differs_from(live))
                .inspect(|difference| lost.push(format!("{}: {difference}", spec.key))),
        };
        if let Some(problem) = problem {
            let pattern = format!(" {}: failed", spec.key);
            if failed.iter().any(|line| line.contains(&pattern)) {
                reported += 1;
            } else {
                silent.push(format!("{}: {problem}", spec.key));
            }
        }
    }
    let declared = specs.len() - missing.len();
    Assessment {
        duplicates,
        missing,
        lost,
        strangers: by_key.len().saturating_sub(declared),
        reported,
        silent,
    }
}

/// The lines of an apply's report that say an object failed (`x Incident KEY: failed: ...`).
fn failed_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|line| line.starts_with("x "))
        .map(str::to_string)
        .collect()
}

/// Failures grouped by the operation and status they name, e.g. `6 x update_incident 500`.
fn summarize_failures(failed: &[String]) -> String {
    let mut groups: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for line in failed {
        let reason = line
            .split_once("failed: ")
            .map(|(_, reason)| reason)
            .unwrap_or(line);
        let short: String = reason
            .split_once(':')
            .map(|(head, _)| head)
            .unwrap_or(reason)
            .replace('`', "")
            .chars()
            .take(60)
            .collect();
        *groups.entry(short).or_default() += 1;
    }
    groups
        .iter()
        .map(|(reason, count)| format!("{count} x \"{reason}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `Plan: ...` line of a plan's output, or its error when it has none.
fn plan_line(run: &common::Run) -> String {
    let plan = run
        .stdout
        .lines()
        .rev()
        .find(|line| line.starts_with("Plan:") || line.starts_with("No changes"));
    match plan {
        Some(line) => line.to_string(),
        None => format!(
            "no plan: {}",
            run.stderr
                .lines()
                .find(|line| line.starts_with("error"))
                .unwrap_or("(no error line)")
                .replace('`', "")
        ),
    }
}
