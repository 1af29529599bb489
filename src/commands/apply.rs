//! `soarform apply`: plan, show, confirm, then make exactly the planned changes.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use super::{runtime, ExitStatus, Printer};
use crate::apply;
use crate::cli::ApplyArgs;
use crate::error::{Error, Result};
use crate::manifest::{self, LoadOptions};
use crate::render::text;
use crate::select::Selection;
use crate::session::Session;
use crate::settings::{self, Environment};

/// Shows the plan, asks for `yes` on a terminal (or takes `--auto-approve`), and applies it.
pub fn apply(args: ApplyArgs, printer: Printer) -> Result<ExitStatus> {
    let interactive = std::io::stdin().is_terminal();
    // Refuse before any network traffic: an unattended apply must say so explicitly.
    if !args.auto_approve && !interactive {
        return Err(Error::with_hint(
            "apply needs confirmation, but standard input is not a terminal",
            "review the plan with `soarform plan`, then run `soarform apply --auto-approve`",
        ));
    }
    let config = settings::project_config(&args.paths, args.connection.config.as_deref())?;
    let manifest =
        manifest::load(&args.paths, &LoadOptions::default()).map_err(Error::Diagnostics)?;
    let connection = settings::connection(&args.connection, &config, &Environment::from_process())?;
    runtime()?.block_on(async {
        let session = Session::open(connection).await?;
        let plan = session
            .plan(&manifest, &config, &Selection::default())
            .await
            .map(|planned| planned.plan)?;
        print(&text::render_plan(&plan, printer.stdout_color))?;
        if !plan.has_changes() {
            return Ok(ExitStatus::Success);
        }
        if !args.auto_approve && !confirm(session.target().base_url().as_ref())? {
            eprintln!("Apply cancelled; nothing was changed.");
            return Ok(ExitStatus::Failure);
        }
        print("\n")?;
        let report = apply::apply(session.client(), &plan, |outcome| {
            let _ = print(&text::render_outcome(outcome, printer.stdout_color));
        })
        .await;
        print(&text::render_apply_summary(&report, printer.stdout_color))?;
        Ok(if report.has_failures() {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        })
    })
}

fn print(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|error| Error::caused_by("cannot write to standard output", &error))
}

fn confirm(target: &str) -> Result<bool> {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "\nDo you want to apply these changes to {target}?\n  Only `yes` will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| Error::caused_by("cannot read the answer from standard input", &error))?;
    Ok(answer.trim() == "yes")
}
