//! Benchmark 1: `soarform validate` of 10,000 documents in 1,000 files.
//!
//! Target (issue 4): under 1 s on 2 cores and under 200 MB peak memory. The documents are a
//! realistic mix: 5 local `Template` documents, incidents with and without `extends` (some with
//! multi-line descriptions, dates, numbers and custom fields by label) and triage items, ten to a
//! file. The binary is run `SOARFORM_BENCH_RUNS` times (default 5) after one warm-up run; the
//! median wall time is compared with the target, and the largest peak RSS with the memory target.
//!
//! Run: `cargo bench --bench validate`.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use common::{seconds, verdict, Checks, Memory, Table};

const FILES: usize = 1_000;
const DOCUMENTS: usize = 10_000;
const TIME_TARGET: Duration = Duration::from_secs(1);
const MEMORY_TARGET_MB: f64 = 200.0;

const TEMPLATES: &str = "kind: Template
name: soc-defaults
fields:
  status: Open
  restriction: Low
  priority: Medium
---
kind: Template
name: phishing-defaults
extends: soc-defaults
template: Phishing
fields:
  incident_kind: Phishing
  incident_category: Email
  Detection source: Email gateway
---
kind: Template
name: malware-defaults
extends: soc-defaults
template: Malware
fields:
  incident_kind: Malware
  incident_category: Endpoint
  Detection source: EDR
  priority: High
---
kind: Template
name: identity-defaults
extends: soc-defaults
template: Suspicious login
fields:
  incident_kind: Suspicious login
  incident_category: Identity
  Detection source: SIEM
---
kind: Template
name: exfiltration-defaults
extends: soc-defaults
template: Data exfiltration
fields:
  incident_kind: Data exfiltration
  incident_category: Data
  restriction: High
  priority: High
";

const EXTENDS: [&str; 4] = [
    "phishing-defaults",
    "malware-defaults",
    "identity-defaults",
    "exfiltration-defaults",
];
const UNITS: [&str; 5] = ["Finance", "IT", "Engineering", "Sales", "Legal"];

/// Document number `n` (not a template): every fifth is a triage item; incidents alternate
/// between `extends` and fully explicit fields.
fn document(n: usize) -> String {
    let unit = UNITS[n % UNITS.len()];
    if n % 5 == 4 {
        return format!(
            "# yaml-language-server: $schema=../../schemas/soarform.schema.json\n\
             kind: TriageItem\nkey: bench/triage-{n:05}\nfields:\n  type: Suspicious login\n  status: New\n  priority: Medium\n  description: Sign-in from a new country for user {n}.\n  Reporter: okta-system-log\n  Observed at: 2026-11-22T06:12:00Z\n"
        );
    }
    if n.is_multiple_of(2) {
        let parent = EXTENDS[(n / 2) % EXTENDS.len()];
        format!(
            "# yaml-language-server: $schema=../../schemas/soarform.schema.json\n\
             kind: Incident\nkey: bench/incident-{n:05}\nextends: {parent}\nfields:\n  description: |\n    Generated incident {n} for the validate benchmark.\n    A second line, so descriptions are multi-line text.\n  starttime: 2026-11-20T09:00:00Z\n  Business unit: {unit}\n  Affected asset: host-{n}.acme.example\n  Estimated loss (USD): {loss}\n",
            loss = n * 10
        )
    } else {
        format!(
            "kind: Incident\nkey: bench/incident-{n:05}\ntemplate: Generic\nfields:\n  description: Generated incident {n}, every field explicit.\n  starttime: 2026-11-19T18:30:00Z\n  incident_kind: Insider threat\n  incident_category: Network\n  status: In progress\n  restriction: Medium\n  priority: Critical\n  Business unit: {unit}\n  External ticket: JIRA-SEC-{n}\n  Detection source: SIEM\n  Containment due: 2026-11-21T12:00:00Z\n"
        )
    }
}

fn main() {
    if !common::requested("validate") {
        return;
    }
    let runs = common::env_u64("SOARFORM_BENCH_RUNS", 5).max(1) as usize;
    let project = common::project();
    let mut documents: Vec<String> = TEMPLATES
        .split("---\n")
        .map(str::to_string)
        .collect::<Vec<_>>();
    let templates = documents.len();
    documents.extend((0..DOCUMENTS - templates).map(document));
    assert_eq!(documents.len(), DOCUMENTS);
    let docs = common::write_documents(project.path(), &documents, FILES);
    let bytes: u64 = walk_sizes(&docs);
    let files = count_files(&docs);
    let expected_incidents = (0..DOCUMENTS - templates).filter(|n| n % 5 != 4).count();
    let expected_triage = DOCUMENTS - templates - expected_incidents;

    let mut checks = Checks::default();
    let args = ["validate", "docs"];
    // Warm-up: page cache, binary loaded.
    let warm = common::soarform(project.path(), &args, Memory::No);
    checks.check(
        warm.code == 0,
        format!("validate failed: {}", warm.describe()),
    );
    let summary = format!(
        "{files} files valid: {expected_incidents} incidents, {expected_triage} triage items."
    );
    checks.check(
        warm.stderr.contains(&summary),
        format!(
            "expected `{summary}` on stderr, got: {}",
            warm.stderr.trim()
        ),
    );

    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..runs {
        let run = common::soarform(project.path(), &args, Memory::Peak);
        checks.check(
            run.code == 0,
            format!("validate failed: {}", run.describe()),
        );
        times.push(run.elapsed);
        if let Some(peak) = run.peak_rss_kib {
            peaks.push(peak);
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    let peak_mb = peaks.iter().max().map(|kib| *kib as f64 / 1024.0);

    let mut table = Table::default();
    table.row("command", "`soarform validate docs` (release build)");
    table.row(
        "input",
        format!(
            "{files} files, {DOCUMENTS} documents ({templates} templates, {expected_incidents} incidents, {expected_triage} triage items), {:.1} MB",
            bytes as f64 / 1e6
        ),
    );
    table.row("cores available", available_cores());
    table.row(
        "wall time (median of runs)",
        format!(
            "{} (runs: {runs}, min {}, max {})",
            seconds(median),
            seconds(times[0]),
            seconds(times[times.len() - 1])
        ),
    );
    table.row(
        "throughput",
        format!("{:.0} documents/s", DOCUMENTS as f64 / median.as_secs_f64()),
    );
    match peak_mb {
        Some(peak) => table.row(
            "peak RSS (largest of runs)",
            format!("{peak:.1} MB ({})", common::memory_method()),
        ),
        None => table.row("peak RSS", "not measured"),
    }
    table.row(
        "target: < 1 s",
        format!("{} ({})", verdict(median < TIME_TARGET), seconds(median)),
    );
    table.row(
        "target: < 200 MB peak",
        match peak_mb {
            Some(peak) => format!("{} ({peak:.1} MB)", verdict(peak < MEMORY_TARGET_MB)),
            None => "unknown (not measured)".into(),
        },
    );
    table.print("validate: 10,000 documents in 1,000 files");
    checks.finish("validate");
}

fn walk_sizes(directory: &std::path::Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(directory)
        .expect("read directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            total += walk_sizes(&path);
        } else {
            total += entry.metadata().map(|meta| meta.len()).unwrap_or(0);
        }
    }
    total
}

fn count_files(directory: &std::path::Path) -> usize {
    let mut total = 0;
    for entry in std::fs::read_dir(directory)
        .expect("read directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            total += count_files(&path);
        } else {
            total += 1;
        }
    }
    total
}

fn available_cores() -> String {
    std::thread::available_parallelism()
        .map(|cores| cores.to_string())
        .unwrap_or_else(|_| "unknown".into())
}
