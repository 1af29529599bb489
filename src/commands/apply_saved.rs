//! `soarform apply --plan FILE`: applies a saved plan, refusing the objects that changed since it
//! was made. The work is [`ops::apply_saved`](crate::ops::apply_saved)'s; this turns arguments
//! into its call and its result into output and an exit status.

use std::path::PathBuf;
use std::sync::Arc;

use super::apply_view::{finish, View};
use super::stop::{interrupted, listen_for_signals, stopped_status};
use super::{runtime, ExitStatus, Printer};
use crate::cli::ApplyArgs;
use crate::error::Result;
use crate::ops::apply::Applied;
use crate::ops::apply_saved::SavedPlan;
use crate::ops::{self, tenant::Tenant};
use crate::saved;
use crate::settings::{self, Environment};
use crate::stop::Stop;

/// `apply --plan FILE`: re-reads the objects the plan touches, applies those unchanged since the
/// plan, refuses the others.
pub(super) fn apply_saved(
    args: ApplyArgs,
    plan_file: PathBuf,
    printer: Printer,
) -> Result<ExitStatus> {
    let document = saved::read(&plan_file)?;
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        document.paths.iter().map(PathBuf::from).collect()
    } else {
        args.paths.clone()
    };
    let config = settings::project_config(&paths, args.connection.config.as_deref())?;
    let connection = settings::saved_plan_connection(
        &args.connection,
        &config,
        &Environment::from_process(),
        &plan_file,
        &document,
    )?;
    let view = View {
        printer,
        format: args.format,
        selection: None,
        intro: Some(format!(
            "Applying the saved plan `{}` (made against {}).\n\n",
            plan_file.display(),
            document.target
        )),
    };
    runtime()?.block_on(async {
        let tenant = Tenant::open(connection).await?;
        let stop = Arc::new(Stop::default());
        listen_for_signals(Arc::clone(&stop), printer);
        let saved_plan = SavedPlan {
            document: &document,
            paths: &paths,
        };
        let applied = ops::apply_saved::apply_saved(
            &tenant,
            saved_plan,
            &config,
            // The lease of the shard the plan was made for.
            super::lock_options(
                &args.lock,
                document
                    .selection
                    .shard
                    .as_deref()
                    .and_then(|shard| crate::select::Shard::parse(shard).ok()),
            ),
            &stop,
            &view,
            printer,
        )
        .await?;
        let (plan, report) = match applied {
            Applied::Done { plan, report } | Applied::NoChanges { plan, report } => (plan, report),
            Applied::StoppedWaiting | Applied::Cancelled => {
                return Ok(stopped_status(&stop).unwrap_or(ExitStatus::Interrupted))
            }
        };
        let status = finish(&plan, &report, document.clone(), args.format, printer)?;
        Ok(interrupted(&report, &stop, printer).unwrap_or(status))
    })
}
