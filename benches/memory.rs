//! Benchmark 7: the peak memory of `soarform plan` over 10,000 and 100,000 existing incidents
//! (issue 11, point 8).
//!
//! For each size, the simulator is seeded (a state file) with exactly what `soarform apply` would
//! have created for the generated documents, and the release binary plans them against it without
//! added latency. The plan must report every incident unchanged; its peak resident set size is
//! the kernel's `ru_maxrss` (GNU time) or the polled `VmHWM` (see `common::Memory`).
//!
//! Each incident declares eight fields: text, a multi-line text, a date, three selects and two
//! custom fields by label, so that every resolved field refers to a catalog column.
//!
//! Knobs: `SOARFORM_BENCH_MEMORY_SIZES` (comma-separated incident counts, default
//! `10000,100000`); `SOARFORM_BENCH_MEMORY_TIMEOUT` (seconds one plan may take before the
//! benchmark stops waiting for it and reports it unmeasured, default 600);
//! `SOARFORM_BENCH_MEMORY_BASELINE` (the path of another soarform binary, an older build: each
//! size is then planned by both, against the same simulator, and the table gives the ratio).
//!
//! Run: `cargo bench --bench memory`, or `benches/memory-baseline.sh REV` to compare with the
//! release build of an older commit.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::{seconds, Checks, Memory, Table, Watchdog};

/// The id of the first seeded incident.
const FIRST_ID: u64 = 1;
/// Documents per generated file.
const DOCUMENTS_PER_FILE: usize = 10;

/// A select field: its API name, its label in documents, and its `(id, display value)` options
/// as the simulator's catalog lists them.
struct Select {
    field: &'static str,
    label: &'static str,
    options: &'static [(u64, &'static str)],
}

const SELECTS: [Select; 3] = [
    Select {
        field: "status",
        label: "status",
        options: &[
            (1, "Open"),
            (2, "In progress"),
            (3, "Pending"),
            (4, "Closed"),
        ],
    },
    Select {
        field: "priority",
        label: "priority",
        options: &[(1, "Low"), (2, "Medium"), (3, "High"), (4, "Critical")],
    },
    Select {
        field: "incident_kind",
        label: "incident_kind",
        options: &[(1, "Phishing"), (2, "Malware"), (3, "Suspicious login")],
    },
];

/// The option of `select` incident `number` holds.
fn option(select: &Select, number: usize) -> (u64, &'static str) {
    select.options[number % select.options.len()]
}

fn key(number: usize) -> String {
    format!("memory/incident-{number:06}")
}

fn description(number: usize) -> [String; 2] {
    [
        format!("Incident {number}, generated for the memory benchmark."),
        format!("Second line of incident {number}."),
    ]
}

/// The YAML document declaring incident `number`.
fn document(number: usize) -> String {
    let [first, second] = description(number);
    let mut text = format!(
        "kind: Incident\nkey: {}\ntemplate: Phishing\nfields:\n  description: |\n    {first}\n    {second}\n  starttime: 2026-11-20T09:00:00Z\n",
        key(number)
    );
    for select in &SELECTS {
        text.push_str(&format!(
            "  {}: {}\n",
            select.label,
            option(select, number).1
        ));
    }
    text.push_str(&format!(
        "  Business unit: unit-{}\n  External ticket: TICKET-{number}\n",
        number % 50
    ));
    text
}

/// Incident `number` as the simulator's state file stores it, marked as soarform's (`opt_7`,
/// `Managed by`) so that the plan does not propose to adopt it.
fn stored(number: usize) -> Value {
    let [first, second] = description(number);
    let mut fields = json!({
        "incidentid": {"text": key(number)},
        "description": {"text": format!("{first}\n{second}\n")},
        "starttime": {"instant": "2026-11-20T09:00:00Z"},
        "opt_3": {"text": format!("unit-{}", number % 50)},
        "opt_2": {"text": format!("TICKET-{number}")},
        "opt_7": {"text": "soarform"},
    });
    for select in &SELECTS {
        fields[select.field] = json!({"option": option(select, number).0});
    }
    json!({
        "id": FIRST_ID + number as u64,
        "template_id": 1,
        "created_by": "bench-seed",
        "creation_date": "2026-11-20T10:00:00Z",
        "modified_date": "2026-11-20T10:00:00Z",
        "fields": fields,
    })
}

/// What one size measured.
struct Measured {
    incidents: usize,
    peak_kib: Option<u64>,
    elapsed: Duration,
    finished: bool,
}

fn measure(
    incidents: usize,
    binaries: &[(&str, PathBuf)],
    timeout: Duration,
    checks: &mut Checks,
) -> Vec<(String, Measured)> {
    let project = common::project();
    let documents: Vec<String> = (0..incidents).map(document).collect();
    common::write_documents(
        project.path(),
        &documents,
        incidents.div_ceil(DOCUMENTS_PER_FILE),
    );
    drop(documents);
    let state_file = project.path().join("sim-state.json");
    let state = json!({
        "version": 1,
        "next_incident_id": FIRST_ID + incidents as u64,
        "next_triage_id": 1,
        "incidents": (0..incidents).map(stored).collect::<Vec<_>>(),
        "triage_items": [],
    });
    std::fs::write(&state_file, state.to_string()).expect("write the simulator state");
    drop(state);
    let server = support::simulator_with(|config| config.state_file = Some(state_file.clone()));
    let url = server.url();
    let args = [
        "plan",
        "docs",
        "--url",
        url.as_str(),
        "--api",
        "v3",
        "--detailed-exitcode",
    ];
    binaries
        .iter()
        .map(|(name, binary)| {
            let measured = run_one(incidents, binary, project.path(), &args, timeout, checks);
            (name.to_string(), measured)
        })
        .collect()
}

/// One plan by `binary`, measured.
fn run_one(
    incidents: usize,
    binary: &Path,
    directory: &Path,
    args: &[&str],
    timeout: Duration,
    checks: &mut Checks,
) -> Measured {
    let started = Instant::now();
    let watchdog = Watchdog::start(timeout);
    let run = common::soarform_binary(binary, directory, args, Memory::Peak);
    let elapsed = started.elapsed();
    if watchdog.stop() {
        return Measured {
            incidents,
            peak_kib: None,
            elapsed,
            finished: false,
        };
    }
    let summary = format!("Plan: 0 to create, 0 to update, {incidents} unchanged.");
    checks.check(
        run.code == 0 && run.stdout.contains(&summary),
        format!(
            "plan of {incidents} by `{}` should exit 0 with `{summary}`: {}",
            binary.display(),
            run.describe()
        ),
    );
    Measured {
        incidents,
        peak_kib: run.peak_rss_kib,
        elapsed,
        finished: true,
    }
}

fn main() {
    if !common::requested("memory") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("SOARFORM_BENCH_MEMORY_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .collect();
    let timeout = Duration::from_secs(common::env_u64("SOARFORM_BENCH_MEMORY_TIMEOUT", 600));
    let mut checks = Checks::default();
    let mut table = Table::default();
    table.row(
        "soarform command",
        "`soarform plan docs --url URL --api v3 --detailed-exitcode` (release build), no added latency",
    );
    table.row("peak memory measured with", common::memory_method());
    let mut binaries = vec![("this build", support::binary::binary())];
    if let Ok(baseline) = std::env::var("SOARFORM_BENCH_MEMORY_BASELINE") {
        table.row(
            "baseline",
            format!("`{baseline}` (`SOARFORM_BENCH_MEMORY_BASELINE`)"),
        );
        binaries.insert(0, ("baseline", PathBuf::from(baseline)));
    }
    for incidents in sizes {
        let measured = measure(incidents, &binaries, timeout, &mut checks);
        for (name, measured) in &measured {
            let result = match (measured.finished, measured.peak_kib) {
                (false, _) => format!(
                    "not measured: stopped after {} (`SOARFORM_BENCH_MEMORY_TIMEOUT`)",
                    seconds(measured.elapsed)
                ),
                (true, None) => {
                    format!("peak RSS unknown; plan took {}", seconds(measured.elapsed))
                }
                (true, Some(peak)) => format!(
                    "{:.1} MB peak RSS ({:.1} KB per incident); plan took {}",
                    peak as f64 / 1024.0,
                    peak as f64 / measured.incidents as f64,
                    seconds(measured.elapsed)
                ),
            };
            table.row(
                format!("plan of {incidents} unchanged incidents, {name}"),
                result,
            );
        }
        if let [(_, baseline), (_, current)] = measured.as_slice() {
            if let (Some(before), Some(after)) = (baseline.peak_kib, current.peak_kib) {
                table.row(
                    format!("plan of {incidents}: this build / baseline"),
                    format!("{:.2} of the baseline's peak", after as f64 / before as f64),
                );
            }
        }
    }
    table.print("memory: peak RSS of plan");
    checks.finish("memory");
}
