//! What happens when soarform is asked to stop: the signal listener, the exit statuses of a stop,
//! and the summary of an interrupted apply.

use std::sync::Arc;

use super::{ExitStatus, Printer};
use crate::apply::ApplyReport;
use crate::kind::Kind;
use crate::stop::{Stop, StopReason};

/// Listens for SIGINT and SIGTERM while the command runs: the first asks every later write not
/// to start (those in flight finish), the second ends the process at once.
pub(super) fn listen_for_signals(stop: Arc<Stop>, printer: Printer) {
    tokio::spawn(async move {
        let Some(first) = next_signal().await else {
            return;
        };
        stop.request(first);
        printer.message(&format!(
            "\n{}: no new write starts; waiting up to {} s for those in flight (press Ctrl-C again to stop at once)\n",
            first.describe(),
            crate::apply::STOP_GRACE.as_secs()
        ));
        if let Some(second) = next_signal().await {
            printer.message(&format!(
                "{}: stopping at once; the lease this run holds expires by itself (`lock.ttl_seconds`): run `soarform apply --lock-timeout 10m` again to converge\n",
                second.describe()
            ));
            std::process::exit(exit_status(second).into());
        }
    });
}

/// The next SIGINT or SIGTERM; `None` if signals cannot be listened for.
async fn next_signal() -> Option<StopReason> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok()?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.ok().map(|()| StopReason::Interrupted),
            _ = terminate.recv() => Some(StopReason::Terminated),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .ok()
            .map(|()| StopReason::Interrupted)
    }
}

/// The exit status of a stop, if one was asked for.
pub(super) fn stopped_status(stop: &Stop) -> Option<ExitStatus> {
    stop.reason().map(exit_status)
}

/// The exit status that reports a stop: 128 + the signal's number for signals.
pub(super) fn exit_status(reason: StopReason) -> ExitStatus {
    match reason {
        StopReason::Interrupted => ExitStatus::Interrupted,
        StopReason::Terminated => ExitStatus::Terminated,
        StopReason::LeaseLost | StopReason::IdentityRewritten => ExitStatus::Failure,
    }
}

/// After a stop: what was done and what was not, on stderr, and the status to exit with.
pub(super) fn interrupted(
    report: &ApplyReport,
    stop: &Stop,
    printer: Printer,
) -> Option<ExitStatus> {
    let reason = stop.reason()?;
    let (created, updated, failed) = report.counts();
    let mut text = format!(
        "soarform was {}: {created} created, {updated} updated, {failed} failed before it stopped; {} change(s) not started",
        reason.describe(),
        report.not_started.len()
    );
    text.push_str(&listed(&report.not_started));
    if !report.abandoned.is_empty() {
        text.push_str(&format!(
            ";\n{} write(s) were still in flight when the wait ended, their outcome is unknown",
            report.abandoned.len()
        ));
        text.push_str(&listed(&report.abandoned));
    }
    let next = if reason.converges_on_rerun() {
        "Run `soarform apply` again: it converges, with no duplicate."
    } else {
        "Change the tenant setting the error names before the next apply: until then every apply creates objects it cannot find again."
    };
    printer.message(&format!("{text}.\n{next}\n"));
    stopped_status(stop)
}

/// ` (Incident a, Incident b, ... and 3 more)`: the first objects of a list, escaped.
fn listed(objects: &[(Kind, String)]) -> String {
    const SHOWN: usize = 10;
    if objects.is_empty() {
        return String::new();
    }
    let mut names: Vec<String> = objects
        .iter()
        .take(SHOWN)
        .map(|(kind, key)| format!("{kind} {}", crate::safe_text::one_line(key)))
        .collect();
    if objects.len() > SHOWN {
        names.push(format!("and {} more", objects.len() - SHOWN));
    }
    format!(" ({})", names.join(", "))
}
