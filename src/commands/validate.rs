//! `soarform validate`: every problem in every file, with no network at all.

use super::{ExitStatus, Printer};
use crate::cli::ValidateArgs;
use crate::error::Result;
use crate::ops::validate::{validate as run, Validated};
use crate::settings;

/// Loads the project file and every document, reporting all problems at once.
pub(crate) fn validate(args: ValidateArgs, printer: Printer) -> Result<ExitStatus> {
    let config = settings::project_config(&args.paths, args.config.as_deref())?;
    let Validated {
        files,
        incidents,
        triage_items,
    } = run(&args.paths, &config)?;
    let plural = |count: usize| if count == 1 { "" } else { "s" };
    printer.message(&format!(
        "{files} file{} valid: {incidents} incident{}, {triage_items} triage item{}.\n",
        plural(files),
        plural(incidents),
        plural(triage_items),
    ));
    Ok(ExitStatus::Success)
}
