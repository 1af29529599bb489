//! The error every command returns, and how it is shown: `error: ...`, `Caused by:` lines, `hint: ...`.

use std::fmt::Write as _;

use crate::client::ClientError;
use crate::manifest::Report;

/// A failure that ends a command with exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Problems found in desired-state files or the project file, each with its position.
    #[error("{} problem(s) found", .0.diagnostics.len())]
    Diagnostics(Report),

    /// A request to Cloud SOAR failed.
    #[error(transparent)]
    Client(#[from] ClientError),

    /// Anything else, with an optional hint on what to do next.
    #[error("{message}")]
    Message {
        message: String,
        causes: Vec<String>,
        hint: Option<String>,
    },
}

impl Error {
    /// An error with a message only.
    pub fn message(message: impl Into<String>) -> Self {
        Error::Message {
            message: message.into(),
            causes: Vec::new(),
            hint: None,
        }
    }

    /// An error with a message and a hint on what to do next.
    pub fn with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Message {
            message: message.into(),
            causes: Vec::new(),
            hint: Some(hint.into()),
        }
    }

    /// An error caused by another one (an I/O error, say).
    pub fn caused_by(message: impl Into<String>, cause: &dyn std::error::Error) -> Self {
        let mut causes = vec![cause.to_string()];
        let mut source = cause.source();
        while let Some(next) = source {
            causes.push(next.to_string());
            source = next.source();
        }
        Error::Message {
            message: message.into(),
            causes,
            hint: None,
        }
    }

    /// Renders the error for stderr, the way cargo and uv do.
    pub fn render(&self, color: bool) -> String {
        let (red, bold, cyan, reset) = if color {
            ("\x1b[1;31m", "\x1b[1m", "\x1b[1;36m", "\x1b[0m")
        } else {
            ("", "", "", "")
        };
        let mut out = String::new();
        match self {
            Error::Diagnostics(report) => {
                out.push_str(&report.render(color));
                let count = report.diagnostics.len();
                let _ = writeln!(
                    out,
                    "{red}error{reset}{bold}: {count} problem{} found; nothing was changed in Cloud SOAR{reset}",
                    if count == 1 { "" } else { "s" }
                );
            }
            Error::Client(error) => {
                let _ = writeln!(out, "{red}error{reset}{bold}: {error}{reset}");
                if let Some(hint) = error.hint() {
                    let _ = writeln!(out, "{cyan}hint{reset}{bold}:{reset} {hint}");
                }
            }
            Error::Message {
                message,
                causes,
                hint,
            } => {
                let _ = writeln!(out, "{red}error{reset}{bold}: {message}{reset}");
                if !causes.is_empty() {
                    out.push_str("\nCaused by:\n");
                    for cause in causes {
                        let _ = writeln!(out, "  {cause}");
                    }
                }
                if let Some(hint) = hint {
                    let _ = writeln!(out, "{cyan}hint{reset}{bold}:{reset} {hint}");
                }
            }
        }
        out
    }
}

/// The result type of core operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
