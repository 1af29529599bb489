//! `soarform validate`: every problem in every file, with no network at all.

use super::{ExitStatus, Printer};
use crate::cli::ValidateArgs;
use crate::error::{Error, Result};
use crate::manifest;
use crate::settings;

/// Loads the project file and every document, reporting all problems at once.
pub fn validate(args: ValidateArgs, _printer: Printer) -> Result<ExitStatus> {
    let config = settings::project_config(&args.paths, args.config.as_deref())?;
    let manifest =
        manifest::load(&args.paths, &config.load_options()).map_err(Error::Diagnostics)?;
    // `moved:` names keys of the documents: checked here too, with no network.
    crate::session::resolve_moves(&config, &manifest)?;
    let incidents = manifest
        .objects
        .iter()
        .filter(|object| object.kind == crate::kind::Kind::Incident)
        .count();
    let triage = manifest.objects.len() - incidents;
    eprintln!(
        "{} file{} valid: {incidents} incident{}, {triage} triage item{}.",
        manifest.sources.len(),
        if manifest.sources.len() == 1 { "" } else { "s" },
        if incidents == 1 { "" } else { "s" },
        if triage == 1 { "" } else { "s" },
    );
    Ok(ExitStatus::Success)
}
