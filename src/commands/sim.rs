//! `soarform sim`: the bundled simulator as a standalone server.

use std::time::Duration;

use super::{runtime, ExitStatus, Printer};
use crate::cli::{RetryAfterForm, SimArgs};
use crate::error::{Error, Result};
use crate::sim::{self, Credentials, RetryAfter, SimConfig, SimOptions};

/// Serves until interrupted (Ctrl-C or SIGTERM). Latency, limits and faults come from the
/// `--faults` file, overridden by flags; the active ones are printed on stderr at start.
pub(crate) fn sim(args: SimArgs, printer: Printer) -> Result<ExitStatus> {
    let options = options(&args, printer)?;
    let mut credentials = Credentials {
        token: args.token,
        access_id: args.access_id,
        access_key: args.access_key,
    };
    if credentials.token.is_none() && credentials.access_id.is_none() {
        let token = sim::generate_token();
        // The simulator's own throwaway credential: printed so scripts can use it.
        let _ = printer.data(&format!("token: {token}\n"));
        credentials.token = Some(token);
    }
    let mut config = SimConfig {
        credentials,
        state_file: args.state,
        latency: Duration::ZERO,
        read_only: args.read_only,
        ..SimConfig::default()
    };
    options.apply_to(&mut config);
    config.check().map_err(Error::message)?;
    printer.message(&format!("{}\n", config.describe_limits_and_faults()));
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|error| {
                Error::caused_by(format!("cannot listen on `{}`", args.listen), &error)
            })?;
        let address = listener
            .local_addr()
            .map_err(|error| Error::caused_by("cannot read the listening address", &error))?;
        let _ = printer.data(&format!("listening on http://{address}\n"));
        sim::serve(config, listener, shutdown_signal())
            .await
            .map_err(|error| Error::caused_by("the simulator stopped", &error))
    })?;
    Ok(ExitStatus::Success)
}

/// Latency, limits and faults: the `--faults` file (its problems printed with their positions)
/// overridden by flags.
fn options(args: &SimArgs, printer: Printer) -> Result<SimOptions> {
    let from_file = match &args.faults {
        Some(path) => sim::load_options_file(path).map_err(|report| {
            printer.message(&report.render(printer.stderr_color()));
            Error::message(format!(
                "the faults file `{}` is invalid; the simulator was not started",
                path.display()
            ))
        })?,
        None => SimOptions::default(),
    };
    let from_flags = SimOptions {
        latency_ms: args.latency_ms,
        rate_limit: args.rate_limit,
        max_concurrency: args.max_concurrency,
        retry_after: args.retry_after.map(|form| match form {
            RetryAfterForm::Seconds => RetryAfter::Seconds,
            RetryAfterForm::HttpDate => RetryAfter::HttpDate,
            RetryAfterForm::None => RetryAfter::None,
        }),
        error_rate: args.error_rate,
        throttle_rate: args.throttle_rate,
        drop_before_commit_rate: args.drop_before_commit_rate,
        drop_after_commit_rate: args.drop_after_commit_rate,
        seed: args.seed,
        page_cap: args.page_cap,
        // A switch on the command line can only turn a quirk on; the file may set either.
        page_offset_by_requested: args.page_offset_by_requested.then_some(true),
        ignore_page_number: args.ignore_page_number.then_some(true),
        page_overlap: args.page_overlap,
        pad_objects: args.pad_objects,
        echo_errors: args.echo_errors.then_some(true),
        late_commits: args.late_commits,
        late_commit_ms: args.late_commit_ms,
        identity_suffix: args.identity_suffix.clone(),
        date_format: args.date_format.clone(),
        date_zone: args.date_zone.clone(),
        iso_dates: args.iso_dates.then_some(true),
        nested_fields: args.nested_fields.then_some(true),
        label_filters: args.label_filters.then_some(true),
        patch_updates: args.patch_updates.then_some(true),
        replacing_updates: args.replacing_updates.then_some(true),
        ui_type_names: args.ui_type_names.then_some(true),
    };
    Ok(from_file.overridden_by(from_flags))
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
