//! Thin adapters from parsed arguments to the core; the only place that knows about terminals,
//! standard streams and exit codes.

pub mod apply;
pub mod plan;
pub mod sim;
pub mod validate;

use std::io::IsTerminal;

use crate::cli::ColorChoice;
use crate::error::{Error, Result};

/// The process exit codes soarform documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Success; for `plan --detailed-exitcode`, success with no changes.
    Success = 0,
    /// An error; nothing more was done than what was reported.
    Failure = 1,
    /// `plan --detailed-exitcode` or `--expect-no-changes`: the plan has changes.
    Changes = 2,
    /// `apply`: some planned changes failed; the others were made. Re-running converges.
    Incomplete = 3,
    /// `apply --plan`: some objects changed since the plan and were refused; the others were
    /// applied. Plan again and review.
    Stale = 4,
}

impl From<ExitStatus> for i32 {
    fn from(status: ExitStatus) -> i32 {
        status as i32
    }
}

/// Output settings every command shares.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// Colour on standard output.
    pub stdout_color: bool,
    /// Colour on standard error.
    pub stderr_color: bool,
}

impl Printer {
    /// Decides colour per stream: `--color`, then `NO_COLOR` / `CLICOLOR_FORCE`, then whether the stream is a terminal.
    pub fn new(choice: ColorChoice) -> Self {
        let decide = |is_terminal: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
                let forced = std::env::var_os("CLICOLOR_FORCE")
                    .is_some_and(|value| !value.is_empty() && value != "0");
                !no_color && (forced || is_terminal)
            }
        };
        Printer {
            stdout_color: decide(std::io::stdout().is_terminal()),
            stderr_color: decide(std::io::stderr().is_terminal()),
        }
    }
}

/// A tokio runtime for the networked commands.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| Error::caused_by("cannot start the async runtime", &error))
}
