//! `soarform fmt`: rewrites desired-state files in canonical form, or with `--check` lists the
//! files that are not (for CI). Files with problems are reported and left unchanged; the others
//! are still formatted.

use super::{write_stdout, ExitStatus, Printer};
use crate::cli::FmtArgs;
use crate::error::{Error, Result};
use crate::manifest::format::{self, Formatted};
use crate::manifest::LoadOptions;
use crate::settings;

/// Formats every file under the paths; with `--check`, writes nothing and lists the files that
/// would change. Prints the paths (rewritten, or differing) on stdout, one per line; exits 1 when
/// `--check` finds a file to change or when a file cannot be formatted.
pub fn fmt(args: FmtArgs, printer: Printer) -> Result<ExitStatus> {
    let config = settings::project_config(&args.paths, args.config.as_deref())?;
    let formatted = format::format_paths(
        &args.paths,
        &LoadOptions::for_project(&config),
        config.path.as_deref(),
    );
    for skipped in &formatted.skipped {
        eprintln!(
            "warning: skipped `{}`: it is a project file, not a desired-state document",
            skipped.display()
        );
    }
    let mut write_failures = 0;
    if args.check {
        let listing: String = formatted
            .changed
            .iter()
            .map(|changed| format!("{}\n", changed.path.display()))
            .collect();
        write_stdout(&listing)?;
    } else {
        for changed in &formatted.changed {
            match crate::files::write_atomically(&changed.path, &changed.text) {
                Ok(()) => write_stdout(&format!("{}\n", changed.path.display()))?,
                Err(error) => {
                    write_failures += 1;
                    let message = format!("cannot write `{}`", changed.path.display());
                    eprint!(
                        "{}",
                        Error::caused_by(message, &error).render(printer.stderr_color)
                    );
                }
            }
        }
    }
    if !formatted.report.diagnostics.is_empty() {
        eprint!("{}", formatted.report.render(printer.stderr_color));
    }
    summarize(&formatted, args.check, write_failures)
}

/// The last words on stderr, and the exit status. `write_failures`: files that could not be
/// written (and were left unchanged).
fn summarize(formatted: &Formatted, check: bool, write_failures: usize) -> Result<ExitStatus> {
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
        eprintln!(
            "{} already in canonical form.",
            count(unchanged, "file", "files")
        );
    } else {
        eprintln!(
            "{} rewritten, {unchanged} already in canonical form.",
            count(changed, "file", "files"),
        );
    }
    Ok(ExitStatus::Success)
}

/// `1 file`, `2 files`: the count and the word that fits it.
fn count(number: usize, one: &str, many: &str) -> String {
    format!("{number} {}", if number == 1 { one } else { many })
}
