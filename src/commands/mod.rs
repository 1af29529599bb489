//! Thin adapters from parsed arguments to the core; the only place that knows about terminals,
//! standard streams and exit codes.

pub(crate) mod apply;
mod apply_saved;
mod apply_view;
pub(crate) mod doctor;
pub(crate) mod export;
pub(crate) mod fmt;
pub(crate) mod init;
pub(crate) mod plan;
pub(crate) mod show;
pub(crate) mod sim;
mod stop;
pub(crate) mod validate;

use std::path::{Path, PathBuf};

use crate::cli::SelectionArgs;
use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::plan_json::{PlanDocument, SelectionInfo, TargetInfo};
use crate::render::markdown::MarkdownContext;
use crate::select::Selection;

pub(crate) use crate::printer::Printer;

/// The process exit codes soarform documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Success; for `plan --detailed-exitcode`, success with no changes.
    Success = 0,
    /// An error; nothing more was done than what was reported.
    Failure = 1,
    /// `plan --detailed-exitcode` or `--expect-no-changes`: the plan has changes.
    Changes = 2,
    /// `apply`: some planned changes failed; the others were made. Re-running converges.
    Incomplete = 3,
    /// `apply --plan`: some objects changed since the plan and were refused; the others were
    /// applied. Plan again and review.
    Stale = 4,
    /// `apply` stopped by SIGINT (Ctrl-C): writes in flight finished, none started after.
    Interrupted = 130,
    /// `apply` stopped by SIGTERM: writes in flight finished, none started after.
    Terminated = 143,
}

impl From<ExitStatus> for i32 {
    fn from(status: ExitStatus) -> i32 {
        status as i32
    }
}

/// `soarform completions SHELL`: clap_complete's script for the whole command line.
pub(crate) fn completions(
    args: crate::cli::CompletionsArgs,
    printer: Printer,
) -> Result<ExitStatus> {
    use clap::CommandFactory;
    let mut command = crate::cli::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "soarform", &mut script);
    write_stdout(printer, &String::from_utf8_lossy(&script))?;
    Ok(ExitStatus::Success)
}

/// `soarform man [COMMAND]`: clap_mangen's page of soarform or of one command.
pub(crate) fn man(args: crate::cli::ManArgs, printer: Printer) -> Result<ExitStatus> {
    use clap::CommandFactory;
    let mut root = crate::cli::Cli::command();
    // Built, so that subcommands carry the version `propagate_version` gives them.
    root.build();
    let command = match &args.command {
        None => root,
        Some(name) => {
            let names: Vec<String> = root
                .get_subcommands()
                .map(|command| command.get_name().to_string())
                .collect();
            let Some(found) = root.find_subcommand(name).cloned() else {
                return Err(Error::message(format!(
                    "no command `{name}`: soarform has {}",
                    names.join(", ")
                )));
            };
            // The page is titled `soarform-plan`, as git's are.
            found.name(format!("soarform-{name}"))
        }
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|error| Error::caused_by("cannot write the man page", &error))?;
    write_stdout(printer, &String::from_utf8_lossy(&page))?;
    Ok(ExitStatus::Success)
}

/// `soarform schema NAME`: an embedded schema, byte for byte as in `schemas/`.
pub(crate) fn schema(args: crate::cli::SchemaArgs, printer: Printer) -> Result<ExitStatus> {
    use crate::cli::SchemaName;
    let text = match args.name {
        SchemaName::Document => crate::manifest::schema::DOCUMENT_SCHEMA,
        SchemaName::Project => crate::manifest::schema::PROJECT_SCHEMA,
        SchemaName::Plan => crate::saved::PLAN_SCHEMA,
        SchemaName::SimOptions => crate::manifest::schema::SIM_OPTIONS_SCHEMA,
    };
    write_stdout(printer, text)?;
    Ok(ExitStatus::Success)
}

/// `soarform version`: the `--version` line, or the same as JSON.
pub(crate) fn version(args: crate::cli::VersionArgs, printer: Printer) -> Result<ExitStatus> {
    let text = match args.format {
        crate::cli::TextOrJson::Text => format!("soarform {}\n", crate::cli::VERSION_LINE),
        crate::cli::TextOrJson::Json => {
            let document = serde_json::json!({
                "version": env!("CARGO_PKG_VERSION"),
                "commit": env!("SOARFORM_COMMIT"),
                "target": env!("SOARFORM_TARGET"),
            });
            format!("{document:#}\n")
        }
    };
    write_stdout(printer, &text)?;
    Ok(ExitStatus::Success)
}

/// A tokio runtime for the networked commands.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| Error::caused_by("cannot start the async runtime", &error))
}

/// Writes data to standard output and flushes.
pub(crate) fn write_stdout(printer: Printer, text: &str) -> Result<()> {
    printer
        .data(text)
        .map_err(|error| Error::caused_by("cannot write to standard output", &error))
}

/// A plan or apply document as pretty JSON with a final newline.
pub(crate) fn to_json(document: &PlanDocument) -> Result<String> {
    let mut text = serde_json::to_string_pretty(document)
        .map_err(|error| Error::caused_by("cannot write the plan as JSON", &error))?;
    text.push('\n');
    Ok(text)
}

/// Writes a plan file next to its final place, then renames it, so that a failed write never leaves
/// half a plan behind.
pub(crate) fn write_json_file(path: &Path, document: &PlanDocument) -> Result<()> {
    let text = to_json(document)?;
    let cannot = |error: &std::io::Error| {
        Error::caused_by(
            format!("cannot write the plan to `{}`", path.display()),
            error,
        )
    };
    crate::files::write_atomically(path, text).map_err(|error| cannot(&error))
}

/// `--target` / `--exclude`, compiled.
pub(crate) fn selection(args: &SelectionArgs) -> Result<Selection> {
    Selection::new(&args.target, &args.exclude)
        .map(|selection| selection.with_shard(args.shard))
        .map_err(|message| {
            Error::with_hint(
                message,
                "patterns are globs on keys: `*` within one `/` segment, `**` across segments, `incident:` or `triage:` in front for one kind",
            )
        })
}

/// The patterns as plan files record them.
pub(crate) fn selection_info(args: &SelectionArgs) -> SelectionInfo {
    SelectionInfo {
        target: args.target.clone(),
        exclude: args.exclude.clone(),
        shard: args.shard.map(|shard| shard.text()),
    }
}

/// The desired-state paths as given (or `.`).
pub(crate) fn path_strings(paths: &[PathBuf]) -> Vec<String> {
    if paths.is_empty() {
        return vec![".".to_string()];
    }
    paths
        .iter()
        .map(|path| path.to_string_lossy().into_owned())
        .collect()
}

/// A warning on stderr for each pattern that matches no declared object (most likely a typo);
/// returns those patterns as `--flag pattern`.
pub(crate) fn warn_unused_patterns(
    printer: Printer,
    selection: &Selection,
    manifest: &Manifest,
) -> Vec<String> {
    let objects = manifest
        .objects
        .iter()
        .map(|object| (object.kind, object.key.as_str()));
    let unused = selection.unused(objects);
    for pattern in &unused {
        printer.warn(&format!("`{pattern}` matches no declared object"));
    }
    unused
}

/// On stderr: how much of the repository a targeted plan covered (objects pruning closes are not
/// declared, so they do not count).
pub(crate) fn note_selection(
    printer: Printer,
    selection: &Selection,
    plan: &crate::plan::Plan,
    declared: usize,
) {
    let selected = plan
        .objects
        .iter()
        .filter(|object| object.action != crate::plan::Action::Close)
        .count();
    if !selection.is_everything() {
        let limits = match selection.shard_text() {
            Some(shard) if selection.has_patterns() => {
                format!("--target/--exclude and --shard {shard}")
            }
            Some(shard) => format!("--shard {shard}"),
            None => "--target/--exclude".to_string(),
        };
        printer.note(&format!(
            "{limits} limited this plan to {selected} of {declared} declared objects; the others were not compared"
        ));
    }
}

/// The header facts of a Markdown plan.
pub(crate) fn markdown_context(target: &TargetInfo) -> MarkdownContext<'_> {
    MarkdownContext {
        target: if target.sandbox {
            "sandbox"
        } else {
            target.url.as_str()
        },
        dialect: target.dialect.as_str(),
    }
}

/// `--lock` and `--lock-timeout`, as apply and apply --plan take them.
fn lock_options(
    args: &crate::cli::LockArgs,
    shard: Option<crate::select::Shard>,
) -> crate::ops::apply::LockOptions {
    crate::ops::apply::LockOptions {
        enabled: args.lock,
        timeout: args.lock_timeout,
        shard,
    }
}
