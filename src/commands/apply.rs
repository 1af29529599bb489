//! `soarform apply`: plan, show, confirm, then make exactly the planned changes (a saved plan:
//! `apply_saved.rs`). The work is
//! [`ops::apply`](crate::ops::apply)'s; this turns arguments into its call and its result into
//! output and an exit status.

use std::io::IsTerminal as _;
use std::sync::Arc;

use super::apply_view::{confirm, finish, View};
use super::stop::{interrupted, listen_for_signals, stopped_status};
use super::{runtime, ExitStatus, Printer};
use crate::cli::{ApplyArgs, OutputFormat};
use crate::error::{Error, Result};
use crate::manifest;
use crate::ops::apply::Applied;
use crate::ops::{self, tenant::Tenant};
use crate::plan_json::{self, Context, Hasher};
use crate::settings::{self, Environment};
use crate::stop::Stop;

/// Applies the desired state (after confirmation) or a saved plan.
pub(crate) fn apply(args: ApplyArgs, printer: Printer) -> Result<ExitStatus> {
    if let Some(plan_file) = args.plan.clone() {
        return super::apply_saved::apply_saved(args, plan_file, printer);
    }
    // Refuse before any network traffic: an unattended apply must say so explicitly.
    if !args.auto_approve && args.format != OutputFormat::Text {
        return Err(Error::with_hint(
            "`--format json` and `--format markdown` print the result only, so they need `--auto-approve`",
            "review the plan with `soarform plan`, then run `soarform apply --auto-approve --format ...`, or save it with `plan --out FILE` and run `apply --plan FILE`",
        ));
    }
    if !args.auto_approve && !std::io::stdin().is_terminal() {
        return Err(Error::with_hint(
            "apply needs confirmation, but standard input is not a terminal",
            "review the plan with `soarform plan`, then run `soarform apply --auto-approve`",
        ));
    }
    let selection = super::selection(&args.selection)?;
    let config = settings::project_config(&args.paths, args.connection.config.as_deref())?;
    let lifecycle = settings::lifecycle(&args.lifecycle, &config);
    let manifest =
        manifest::load(&args.paths, &config.load_options()).map_err(Error::Diagnostics)?;
    let _ = super::warn_unused_patterns(printer, &selection, &manifest);
    let connection = settings::connection(&args.connection, &config, &Environment::from_process())?;
    let view = View {
        printer,
        format: args.format,
        selection: Some(&selection),
        intro: None,
    };
    runtime()?.block_on(async {
        let tenant = Tenant::open(connection).await?;
        let stop = Arc::new(Stop::default());
        listen_for_signals(Arc::clone(&stop), printer);
        let confirm = (!args.auto_approve).then_some(confirm as ops::apply::Confirm);
        let applied = ops::apply::apply(
            &tenant,
            manifest,
            &config,
            &lifecycle,
            &selection,
            super::lock_options(&args.lock, args.selection.shard),
            confirm,
            &stop,
            &view,
            printer,
        )
        .await?;
        let (plan, report) = match applied {
            Applied::StoppedWaiting => {
                return Ok(stopped_status(&stop).unwrap_or(ExitStatus::Interrupted))
            }
            Applied::Cancelled => {
                printer.message("Apply cancelled; nothing was changed.\n");
                return Ok(stopped_status(&stop).unwrap_or(ExitStatus::Failure));
            }
            Applied::NoChanges { .. } if args.format == OutputFormat::Text => {
                return Ok(stopped_status(&stop).unwrap_or(ExitStatus::Success))
            }
            Applied::NoChanges { plan, report } | Applied::Done { plan, report } => (plan, report),
        };
        let context = Context {
            target: tenant.target_info(),
            paths: super::path_strings(&args.paths),
            selection: super::selection_info(&args.selection),
            hasher: Hasher::random(),
        };
        let document = plan_json::plan_document(&plan, &context);
        let status = finish(&plan, &report, document, args.format, printer)?;
        Ok(interrupted(&report, &stop, printer).unwrap_or(status))
    })
}
