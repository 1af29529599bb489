//! Shared by the benchmark targets: running the release binary with timing and peak memory,
//! generating desired-state files, printing result tables and collecting failed checks. The
//! simulator starter, the token, the clean environment of a run and the state checks come from
//! the test support (`tests/support`, included by each benchmark as `crate::support`).
//!
//! Every benchmark drives the real `soarform` binary (`CARGO_BIN_EXE_soarform`, which cargo sets
//! for benchmark targets too and builds with the `bench` profile, i.e. `target/release/soarform`)
//! against the simulator started in the benchmark's own process. Timing targets are reported as
//! met or missed and never fail a benchmark; correctness conditions (duplicates, lost updates,
//! 429 answers where none may happen) do, with exit code 1.

// Each benchmark uses only part of this module.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::binary::{binary, clean_environment};
use crate::support::TOKEN;

/// The `soarform.yaml` every generated repository holds.
pub const PROJECT_FILE: &str =
    "api: v3\nidentity:\n  incident: incidentid\n  triage: Source reference\n";

/// Whether this run was asked for by `cargo bench`. `cargo test --benches` (or `--all-targets`)
/// also runs `harness = false` targets, without `--bench`: they then only say so and stop, so a
/// test run never waits minutes for a benchmark.
pub fn requested(name: &str) -> bool {
    if std::env::args().skip(1).any(|arg| arg == "--bench") {
        return true;
    }
    println!("{name}: skipped (run it with `cargo bench --bench {name}`)");
    false
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
    /// The child's peak resident set size in KiB, when measured.
    pub peak_rss_kib: Option<u64>,
}

impl Run {
    /// Exit code and both streams (the end of long ones), for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "exit code {}\n--- stdout (end) ---\n{}\n--- stderr (end) ---\n{}",
            self.code,
            tail(&self.stdout, 3000),
            tail(&self.stderr, 3000)
        )
    }
}

fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// How peak memory is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    /// Not measured.
    No,
    /// Measured: with GNU time's `%M` (the kernel's `ru_maxrss`) when `/usr/bin/time` exists,
    /// else by polling the child's `VmHWM` in `/proc/PID/status` every millisecond.
    Peak,
}

/// Whether GNU time measures peak memory: when `/usr/bin/time` exists and
/// `SOARFORM_BENCH_POLL_RSS` is unset (set, it forces the `/proc` polling fallback).
fn gnu_time_available() -> bool {
    Path::new(GNU_TIME).is_file() && std::env::var_os("SOARFORM_BENCH_POLL_RSS").is_none()
}

/// The way [`Memory::Peak`] is measured on this machine.
pub fn memory_method() -> &'static str {
    if gnu_time_available() {
        "GNU time %M (ru_maxrss)"
    } else {
        "VmHWM polled from /proc every 1 ms"
    }
}

const GNU_TIME: &str = "/usr/bin/time";

/// Runs `soarform ARGS` in `directory` with the test token in `SOARFORM_TOKEN` and otherwise the
/// test support's clean environment (colour and the apply lease off; the `lease` benchmark
/// passes `--lock=...`).
pub fn soarform(directory: &Path, args: &[&str], memory: Memory) -> Run {
    soarform_binary(&binary(), directory, args, memory)
}

/// As [`soarform`], with another build of soarform (`memory` compares one with this one).
pub fn soarform_binary(binary: &Path, directory: &Path, args: &[&str], memory: Memory) -> Run {
    let gnu_time = memory == Memory::Peak && gnu_time_available();
    let rss_file = directory.join(".bench-peak-rss");
    let mut command = if gnu_time {
        let mut command = Command::new(GNU_TIME);
        command
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .arg(binary);
        command
    } else {
        Command::new(binary)
    };
    clean_environment(&mut command)
        .args(args)
        .current_dir(directory)
        .env("SOARFORM_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn soarform");
    let pid = child.id();
    // Both pipes are drained on their own threads so that a chatty child never blocks.
    let mut stdout_pipe = child.stdout.take().expect("stdout");
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let stdout_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout_pipe.read_to_string(&mut text);
        text
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    let mut polled_peak = None;
    let status = if memory == Memory::Peak && !gnu_time {
        loop {
            if let Some(peak) = vm_hwm_kib(pid) {
                polled_peak = Some(polled_peak.unwrap_or(0).max(peak));
            }
            if let Some(status) = child.try_wait().expect("wait for soarform") {
                break status;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    } else {
        child.wait().expect("wait for soarform")
    };
    let elapsed = started.elapsed();
    let stdout = stdout_reader.join().unwrap_or_default();
    let stderr = stderr_reader.join().unwrap_or_default();
    let peak_rss_kib = if gnu_time {
        let text = std::fs::read_to_string(&rss_file).unwrap_or_default();
        let _ = std::fs::remove_file(&rss_file);
        // The last line holds the number; earlier lines may say the command failed.
        text.lines().rev().find_map(|line| line.trim().parse().ok())
    } else {
        polled_peak
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
        elapsed,
        peak_rss_kib,
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A fresh temporary directory holding `soarform.yaml`.
pub fn project() -> tempfile::TempDir {
    let directory = tempfile::Builder::new()
        .prefix("soarform-bench-")
        .tempdir()
        .expect("temporary directory");
    write(directory.path(), "soarform.yaml", PROJECT_FILE);
    directory
}

/// Writes `text` to `directory/relative`, creating directories.
pub fn write(directory: &Path, relative: &str, text: &str) {
    let path = directory.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create directories");
    }
    std::fs::write(path, text).expect("write file");
}

/// The fields of one generated incident, as declared and as the simulator stores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentSpec {
    pub key: String,
    /// Template name (all generated incidents use `Phishing`, template id 1).
    pub template: &'static str,
    pub description: String,
    /// RFC 3339, whole seconds, UTC.
    pub starttime: &'static str,
    /// Display value of `status` (`Open`, `In progress`, ...).
    pub status: &'static str,
    /// Display value of `priority`.
    pub priority: &'static str,
    /// `Business unit` (`opt_3`).
    pub business_unit: String,
    /// `External ticket` (`opt_2`).
    pub ticket: String,
}

impl IncidentSpec {
    /// The YAML document declaring it (no `extends`: every field explicit).
    pub fn yaml(&self) -> String {
        format!(
            "kind: Incident\nkey: {}\ntemplate: {}\nfields:\n  description: {}\n  starttime: {}\n  incident_kind: Phishing\n  status: {}\n  priority: {}\n  Business unit: {}\n  External ticket: {}\n",
            self.key,
            self.template,
            self.description,
            self.starttime,
            self.status,
            self.priority,
            self.business_unit,
            self.ticket
        )
    }

    /// Whether a simulator incident (read shape) carries exactly these values. Returns the first
    /// field that differs.
    pub fn differs_from(&self, live: &serde_json::Value) -> Option<String> {
        let expected: [(&str, &str); 8] = [
            ("incidentid", &self.key),
            ("description", &self.description),
            ("starttime", "2026-11-20T09:00:00.000000+00:00"),
            ("incident_kind", "Phishing"),
            ("status", self.status),
            ("priority", self.priority),
            ("opt_3", &self.business_unit),
            ("opt_2", &self.ticket),
        ];
        for (field, value) in expected {
            let actual = &live["fields"][field]["value"];
            if actual.as_str() != Some(value) {
                return Some(format!("{field}: expected `{value}`, found {actual}"));
            }
        }
        if live["template"]["value"].as_str() != Some(self.template) {
            return Some(format!(
                "template: expected `{}`, found {}",
                self.template, live["template"]["value"]
            ));
        }
        None
    }
}

/// Writes `documents` into `files` files under `directory/docs`, documents spread evenly and
/// separated by `---`. Returns the docs directory.
pub fn write_documents(directory: &Path, documents: &[String], files: usize) -> PathBuf {
    let docs = directory.join("docs");
    let per_file = documents.len().div_ceil(files.max(1));
    for (index, chunk) in documents.chunks(per_file.max(1)).enumerate() {
        let text = chunk.join("---\n");
        write(
            &docs,
            &format!("group-{:02}/file-{index:04}.yaml", index % 20),
            &text,
        );
    }
    docs
}

/// Correctness conditions of one benchmark; any failure makes the process exit 1.
#[derive(Debug, Default)]
pub struct Checks {
    failures: Vec<String>,
}

impl Checks {
    /// Records `what` as failed unless `ok`.
    pub fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            let what = what.into();
            eprintln!("CHECK FAILED: {what}");
            self.failures.push(what);
        }
    }

    /// Prints the verdict and exits 1 if any check failed.
    pub fn finish(self, name: &str) {
        if self.failures.is_empty() {
            println!("{name}: all correctness checks passed");
        } else {
            println!(
                "{name}: {} correctness check(s) FAILED:",
                self.failures.len()
            );
            for failure in &self.failures {
                println!("  - {failure}");
            }
            std::process::exit(1);
        }
    }
}

/// A two-column result table, printed as Markdown so it can be pasted into BENCHMARKS.md.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<(String, String)>,
}

impl Table {
    pub fn row(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.rows.push((name.into(), value.into()));
    }

    pub fn print(&self, title: &str) {
        let mut out = String::new();
        let _ = writeln!(out, "\n### {title}\n");
        let _ = writeln!(out, "| measure | result |");
        let _ = writeln!(out, "|---|---|");
        for (name, value) in &self.rows {
            let _ = writeln!(out, "| {name} | {value} |");
        }
        println!("{out}");
    }
}

/// `met` or `MISSED`, for target rows.
pub fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// Seconds with three decimals.
pub fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

/// A `u64` from an environment variable, or `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(default)
}

/// Ends the processes a benchmark started (the binary, and GNU time around it) once a run has
/// lasted longer than the timeout, so that a slow size bounds the benchmark instead of stalling
/// it (`memory`, `sandbox_apply`).
pub struct Watchdog {
    done: std::sync::mpsc::Sender<()>,
    fired: std::thread::JoinHandle<bool>,
}

impl Watchdog {
    pub fn start(timeout: Duration) -> Watchdog {
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let fired = std::thread::spawn(move || {
            if finished.recv_timeout(timeout).is_ok() {
                return false;
            }
            for pid in descendants(std::process::id()) {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            true
        });
        Watchdog { done, fired }
    }

    /// Whether the timeout had passed (and the run was ended) before the run finished.
    pub fn stop(self) -> bool {
        let _ = self.done.send(());
        self.fired.join().unwrap_or(true)
    }
}

/// The processes below `pid`, children before their own children.
fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten();
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in children
            .split_whitespace()
            .filter_map(|child| child.parse().ok())
        {
            found.push(child);
            found.extend(descendants(child));
        }
    }
    found
}
