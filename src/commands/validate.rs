//! `soarform validate`: every problem in every file, with no network at all.

use super::{write_stdout, ExitStatus, Printer};
use crate::cli::{CheckFormat, ValidateArgs};
use crate::error::Result;
use crate::ops::validate::{validate as run, Validated};
use crate::render::findings::{self, VALIDATE_RULE as RULE};
use crate::settings;

/// Loads the project file and every document, reporting all problems at once: as text on
/// stderr, or as JSON, GitHub annotations or SARIF on stdout.
pub(crate) fn validate(args: ValidateArgs, printer: Printer) -> Result<ExitStatus> {
    let result = settings::project_config(&args.paths, args.config.as_deref())
        .and_then(|config| run(&args.paths, &config));
    if args.format == CheckFormat::Text {
        let Validated {
            files,
            incidents,
            triage_items,
        } = result?;
        let plural = |count: usize| if count == 1 { "" } else { "s" };
        printer.message(&format!(
            "{files} file{} valid: {incidents} incident{}, {triage_items} triage item{}.\n",
            plural(files),
            plural(incidents),
            plural(triage_items),
        ));
        return Ok(ExitStatus::Success);
    }
    let (found, counts) = match result {
        Ok(validated) => (Vec::new(), Some(validated)),
        Err(error) => (findings::error_findings(&error, RULE), None),
    };
    let mut summary = serde_json::json!({ "valid": found.is_empty() });
    if let Some(Validated {
        files,
        incidents,
        triage_items,
    }) = counts
    {
        summary["files"] = serde_json::json!(files);
        summary["incidents"] = serde_json::json!(incidents);
        summary["triage_items"] = serde_json::json!(triage_items);
    }
    write_stdout(
        printer,
        &findings::report(args.format, &found, summary, "soarform validate")?,
    )?;
    Ok(if found.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
