//! `soarform show PLAN`: a saved plan rendered as `plan` rendered it, without contacting the
//! tenant.

use std::path::PathBuf;

use super::{write_stdout, ExitStatus, Printer};
use crate::cli::{OutputFormat, ShowArgs};
use crate::error::Result;
use crate::render::{markdown, text};
use crate::saved;
use crate::settings;

/// Reads and checks the plan file, then prints it: text and Markdown as `plan` printed them, JSON
/// as saved.
pub(crate) fn show(args: ShowArgs, printer: Printer) -> Result<ExitStatus> {
    let path: PathBuf = args.plan;
    let document = saved::read(&path)?;
    let output = match args.format {
        OutputFormat::Json => super::to_json(&document)?,
        OutputFormat::Text => {
            text::render_plan(&saved::to_plan_as_saved(&document), printer.stdout_color())
        }
        OutputFormat::Markdown => markdown::render_plan(
            &saved::to_plan_as_saved(&document),
            &super::markdown_context(&document.target),
        ),
    };
    write_stdout(printer, &output)?;
    if args.format != OutputFormat::Json {
        // The command as it would run here: the project file of the plan's paths, and this
        // environment, may or may not name the plan's tenant.
        let paths: Vec<PathBuf> = document.paths.iter().map(PathBuf::from).collect();
        let command = match settings::project_config(&paths, None) {
            Ok(config) => settings::apply_plan_command(
                &path,
                &document,
                &config,
                &settings::Environment::from_process(),
                &[],
            ),
            Err(_) => format!("soarform apply --plan {}", path.display()),
        };
        let selection = &document.selection;
        let mut limits: Vec<String> = Vec::new();
        limits.extend(
            selection
                .target
                .iter()
                .map(|pattern| format!("--target '{pattern}'")),
        );
        limits.extend(
            selection
                .exclude
                .iter()
                .map(|pattern| format!("--exclude '{pattern}'")),
        );
        limits.extend(
            selection
                .shard
                .iter()
                .map(|shard| format!("--shard {shard}")),
        );
        if !limits.is_empty() {
            printer.note(&format!(
                "{} limited this plan: declared objects outside it were not compared",
                limits.join(" ")
            ));
        }
        printer.note(&format!(
            "`{}` was made against {} for {}; `{command}` applies exactly this plan",
            path.display(),
            document.target,
            document.paths.join(", "),
        ));
    }
    Ok(ExitStatus::Success)
}
