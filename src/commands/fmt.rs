//! `soarform fmt`: rewrites desired-state files in canonical form, or with `--check` lists the
//! files that are not (for CI). The work, and the rules that keep it from losing anything, are
//! [`ops::fmt`](crate::ops::fmt)'s.

use super::{write_stdout, ExitStatus, Printer};
use crate::cli::{CheckFormat, FmtArgs};
use crate::error::{Error, Result};
use crate::manifest::format::Formatted;
use crate::ops;
use crate::settings;

/// Formats every file under the paths; with `--check`, writes nothing and lists the files that
/// would change. Prints the paths (rewritten, or differing) on stdout, one per line; exits 1 when
/// `--check` finds a file to change or when a file cannot be formatted or written.
pub(crate) fn fmt(args: FmtArgs, printer: Printer) -> Result<ExitStatus> {
    if args.format != CheckFormat::Text {
        return fmt_for_machines(&args, printer);
    }
    let config = settings::project_config(&args.paths, args.config.as_deref())?;
    let prepared = ops::fmt::prepare(&args.paths, &config, args.check);
    let formatted = &prepared.formatted;
    for skipped in &formatted.skipped {
        printer.warn(&format!(
            "skipped `{}`: it is a project file, not a desired-state document",
            skipped.display()
        ));
    }
    let mut write_failures = 0;
    if args.check {
        let listing: String = formatted
            .changed
            .iter()
            .map(|changed| format!("{}\n", changed.path.display()))
            .collect();
        write_stdout(printer, &listing)?;
    } else {
        ops::fmt::write(&prepared, &args.paths, |path, result| {
            match result {
                Ok(()) => write_stdout(printer, &format!("{}\n", path.display()))?,
                Err(error) => {
                    write_failures += 1;
                    printer.message(&error.render(printer.stderr_color()));
                }
            }
            Ok(())
        })?;
    }
    if !formatted.report.diagnostics.is_empty() {
        printer.message(&formatted.report.render(printer.stderr_color()));
    }
    summarize(printer, formatted, args.check, write_failures)
}

/// The last words on stderr, and the exit status. `write_failures`: files that could not be
/// written (and were left unchanged).
fn summarize(
    printer: Printer,
    formatted: &Formatted,
    check: bool,
    write_failures: usize,
) -> Result<ExitStatus> {
    let changed = formatted.changed.len();
    let unchanged = formatted.unchanged.len();
    let problems = formatted.report.diagnostics.len();
    let left_unchanged = formatted.failed.len() + write_failures;
    let mut parts = Vec::new();
    if problems > 0 {
        parts.push(format!("{} found", count(problems, "problem", "problems")));
    }
    if left_unchanged > 0 && check {
        parts.push(format!(
            "{} could not be checked",
            count(left_unchanged, "file", "files")
        ));
    } else if left_unchanged > 0 {
        parts.push(format!(
            "{} left unchanged",
            count(left_unchanged, "file was", "files were")
        ));
    }
    if check && changed > 0 {
        parts.push(format!(
            "{} not in canonical form ({unchanged} already canonical)",
            count(changed, "file is", "files are"),
        ));
        return Err(Error::with_hint(
            parts.join("; "),
            "run `soarform fmt` to rewrite them",
        ));
    }
    if !parts.is_empty() {
        return Err(Error::message(parts.join("; ")));
    }
    if check || changed == 0 {
        printer.message(&format!(
            "{} already in canonical form.\n",
            count(unchanged, "file", "files")
        ));
    } else {
        printer.message(&format!(
            "{} rewritten, {unchanged} already in canonical form.\n",
            count(changed, "file", "files"),
        ));
    }
    Ok(ExitStatus::Success)
}

/// `1 file`, `2 files`: the count and the word that fits it.
fn count(number: usize, one: &str, many: &str) -> String {
    format!("{number} {}", if number == 1 { one } else { many })
}

use crate::render::findings::{self, FMT_RULE as RULE};

/// `fmt --format json|github|sarif`: the same work, reported as findings on stdout: every
/// problem, and with `--check` every file not in canonical form, at its first line that differs.
fn fmt_for_machines(args: &FmtArgs, printer: Printer) -> Result<ExitStatus> {
    use findings::Finding;
    let config = match settings::project_config(&args.paths, args.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            let found = findings::error_findings(&error, RULE);
            let summary = serde_json::json!({ "check": args.check, "canonical": false });
            write_stdout(
                printer,
                &findings::report(args.format, &found, summary, "soarform fmt")?,
            )?;
            return Ok(ExitStatus::Failure);
        }
    };
    let prepared = ops::fmt::prepare(&args.paths, &config, args.check);
    let formatted = &prepared.formatted;
    let mut found = findings::from_report(&formatted.report, RULE);
    let mut rewritten = Vec::new();
    if args.check {
        for changed in &formatted.changed {
            let line = std::fs::read_to_string(&changed.path)
                .map(|text| first_difference(&text, &changed.text))
                .unwrap_or(1);
            let mut finding = Finding::at_line(&changed.path, line, "not in canonical form", RULE);
            finding.help = Some(format!("run `soarform fmt {}`", changed.path.display()));
            found.push(finding);
        }
    } else {
        ops::fmt::write(&prepared, &args.paths, |path, result| {
            match result {
                Ok(()) => rewritten.push(path.display().to_string()),
                Err(error) => found.extend(findings::error_findings(&error, RULE)),
            }
            Ok(())
        })?;
    }
    let summary = serde_json::json!({
        "check": args.check,
        "canonical": found.is_empty(),
        "rewritten": rewritten,
        "unchanged": formatted.unchanged.len(),
    });
    write_stdout(
        printer,
        &findings::report(args.format, &found, summary, "soarform fmt")?,
    )?;
    Ok(if found.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The 1-based number of the first line where two texts differ.
fn first_difference(before: &str, after: &str) -> usize {
    before
        .lines()
        .zip(after.lines())
        .position(|(old, new)| old != new)
        .unwrap_or_else(|| before.lines().count().min(after.lines().count()))
        + 1
}
