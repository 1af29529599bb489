//! Benchmark 6: memory of a plan whose search answer is far larger than the answer limit.
//!
//! A simulator holds 300 incidents and pads every object of a search answer with 1 MB, so one
//! search answer is about 300 MB; the client's limit (`limits.max_response_mb`, default 64) stops
//! reading at 64 MiB. The plan must fail with the error naming the endpoint and the limit, and the
//! peak memory of the `soarform` process must stay near the limit, not near the answer (the issue
//! measured 14 GB for a 300 MB answer before the limit). Correctness: exit 1 with that error.
//!
//! Run: `cargo bench --bench bounded_reads`.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use common::{seconds, verdict, Checks, Memory, Table};
use soarform::sim::Quirks;

const INCIDENTS: usize = 300;
const PADDING: usize = 1_000_000;
/// Peak memory allowed: the 64 MiB limit, the parse of what was read, and the process itself.
const PEAK_TARGET_MB: u64 = 300;

fn main() {
    if !common::requested("bounded_reads") {
        return;
    }
    let mut checks = Checks::default();
    let project = common::project();
    let documents: Vec<String> = (0..INCIDENTS)
        .map(|n| {
            format!("kind: Incident\nkey: bench/big-{n:03}\ntemplate: Phishing\nfields:\n  status: Open\n")
        })
        .collect();
    common::write_documents(project.path(), &documents, 3);
    // The incidents are made by one apply against a plain simulator; the padded one then serves
    // the same state file, so every search answer carries all of them, padded.
    let state = project.path().join("sim-state.json");
    {
        let plain = support::simulator_with(|config| config.state_file = Some(state.clone()));
        let url = plain.url();
        let made = common::soarform(
            project.path(),
            &[
                "apply",
                ".",
                "--auto-approve",
                "--url",
                url.as_str(),
                "--api",
                "v3",
            ],
            Memory::No,
        );
        checks.check(made.code == 0, format!("apply: {}", made.describe()));
    }
    let server = support::simulator_with(|config| {
        config.state_file = Some(state.clone());
        config.quirks = Quirks {
            pad_objects: PADDING,
            ..Quirks::default()
        };
    });
    let url = server.url();
    let run = common::soarform(
        project.path(),
        &["plan", ".", "--url", url.as_str(), "--api", "v3"],
        Memory::Peak,
    );
    checks.check(run.code == 1, format!("plan: {}", run.describe()));
    checks.check(
        run.stderr.contains("search_incidents") && run.stderr.contains("64 MiB"),
        format!(
            "the error names the endpoint and the limit: {}",
            run.describe()
        ),
    );
    let peak_mb = run.peak_rss_kib.map(|kib| kib / 1024);
    let mut table = Table::default();
    table.row(
        "search answer",
        format!(
            "{INCIDENTS} objects x {PADDING} bytes of padding = about {} MB",
            INCIDENTS * PADDING / 1_000_000
        ),
    );
    table.row("time to the error", seconds(run.elapsed));
    table.row(
        format!("peak memory of soarform ({})", common::memory_method()),
        match peak_mb {
            Some(mb) => format!(
                "{mb} MB (target < {PEAK_TARGET_MB} MB: {})",
                verdict(mb < PEAK_TARGET_MB)
            ),
            None => "not measured".to_string(),
        },
    );
    table.print("6. Bounded reads: a 300 MB answer against the 64 MiB limit");
    checks.finish("bounded_reads");
}
