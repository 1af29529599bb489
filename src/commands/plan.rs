//! `soarform plan`: what apply would change, field by field.

use std::io::Write as _;

use super::{runtime, ExitStatus, Printer};
use crate::cli::PlanArgs;
use crate::error::{Error, Result};
use crate::manifest::{self, LoadOptions};
use crate::render::text;
use crate::select::Selection;
use crate::session::Session;
use crate::settings::{self, Environment};

/// Computes and prints the plan; with `--detailed-exitcode`, exit 2 when it has changes.
pub fn plan(args: PlanArgs, printer: Printer) -> Result<ExitStatus> {
    let config = settings::project_config(&args.paths, args.connection.config.as_deref())?;
    let manifest =
        manifest::load(&args.paths, &LoadOptions::default()).map_err(Error::Diagnostics)?;
    let connection = settings::connection(&args.connection, &config, &Environment::from_process())?;
    let plan = runtime()?.block_on(async {
        let session = Session::open(connection).await?;
        session
            .plan(&manifest, &config, &Selection::default())
            .await
            .map(|planned| planned.plan)
    })?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text::render_plan(&plan, printer.stdout_color).as_bytes())
        .map_err(|error| Error::caused_by("cannot write the plan to standard output", &error))?;
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}
