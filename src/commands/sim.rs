//! `soarform sim`: the bundled simulator as a standalone server.

use std::io::Write as _;
use std::time::Duration;

use super::{runtime, ExitStatus, Printer};
use crate::cli::SimArgs;
use crate::error::{Error, Result};
use crate::sim::{self, Credentials, SimConfig};

/// Serves until interrupted (Ctrl-C or SIGTERM).
pub fn sim(args: SimArgs, _printer: Printer) -> Result<ExitStatus> {
    let mut credentials = Credentials {
        token: args.token,
        access_id: args.access_id,
        access_key: args.access_key,
    };
    let mut stdout = std::io::stdout();
    if credentials.token.is_none() && credentials.access_id.is_none() {
        let token = sim::generate_token();
        // The simulator's own throwaway credential: printed so scripts can use it.
        let _ = writeln!(stdout, "token: {token}");
        credentials.token = Some(token);
    }
    let config = SimConfig {
        credentials,
        state_file: args.state,
        latency: Duration::from_millis(args.latency_ms),
        read_only: args.read_only,
    };
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|error| {
                Error::caused_by(format!("cannot listen on `{}`", args.listen), &error)
            })?;
        let address = listener
            .local_addr()
            .map_err(|error| Error::caused_by("cannot read the listening address", &error))?;
        let _ = writeln!(stdout, "listening on http://{address}");
        let _ = stdout.flush();
        sim::serve(config, listener, shutdown_signal())
            .await
            .map_err(|error| Error::caused_by("the simulator stopped", &error))
    })?;
    Ok(ExitStatus::Success)
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
