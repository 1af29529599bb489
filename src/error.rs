//! The error every command returns, and how it is shown: `error: ...`, `Caused by:` lines, `hint: ...`.
//!
//! What a server said passes the scrubber twice: when a client error becomes an [`Error`] (its
//! server message withheld if it mentions a sensitive value, credentials masked), and once more
//! when it is rendered. Rendering also shows control characters escaped, so that a server
//! message cannot clear the screen or fake output lines.

use std::fmt::Write as _;

use crate::client::ClientError;
use crate::manifest::Report;
use crate::printer::Palette;
use crate::safe_text;
use crate::scrub;

/// A failure that ends a command with exit code 1.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// Problems found in desired-state files or the project file, each with its position.
    #[error("{} problem(s) found", .0.diagnostics.len())]
    Diagnostics(Report),

    /// A request to Cloud SOAR failed.
    #[error(transparent)]
    Client(ClientError),

    /// Anything else, with an optional hint on what to do next.
    #[error("{message}")]
    Message {
        message: String,
        causes: Vec<String>,
        hint: Option<String>,
    },
}

impl From<ClientError> for Error {
    /// The server's part of the error is scrubbed here, while the error is still owned: withheld
    /// whole when it mentions a sensitive value, credentials masked.
    fn from(mut error: ClientError) -> Self {
        if let Some(message) = error.server_message_mut() {
            *message = scrub::server_text(message);
        }
        Error::Client(error)
    }
}

impl Error {
    /// An error with a message only.
    pub(crate) fn message(message: impl Into<String>) -> Self {
        Error::Message {
            message: message.into(),
            causes: Vec::new(),
            hint: None,
        }
    }

    /// An error with a message and a hint on what to do next.
    pub(crate) fn with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Message {
            message: message.into(),
            causes: Vec::new(),
            hint: Some(hint.into()),
        }
    }

    /// An error caused by another one (an I/O error, say).
    pub(crate) fn caused_by(message: impl Into<String>, cause: &dyn std::error::Error) -> Self {
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

    /// Renders the error for stderr, the way cargo and uv do: scrubbed once more (defence in
    /// depth) and with control characters escaped.
    pub(crate) fn render(&self, color: bool) -> String {
        let palette = Palette::new(color);
        let Palette {
            error: red,
            hint: cyan,
            bold,
            reset,
            ..
        } = palette;
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
                // Every part of a client error may carry what the server said: one line each.
                let message = server_line(&error.to_string());
                let _ = writeln!(out, "{red}error{reset}{bold}: {message}{reset}");
                if let Some(hint) = error.hint() {
                    let hint = server_line(&hint);
                    let _ = writeln!(out, "{cyan}hint{reset}{bold}:{reset} {hint}");
                }
            }
            Error::Message {
                message,
                causes,
                hint,
            } => {
                let message = own_text(message);
                let _ = writeln!(out, "{red}error{reset}{bold}: {message}{reset}");
                if !causes.is_empty() {
                    out.push_str("\nCaused by:\n");
                    for cause in causes {
                        // A cause may be a client error, an I/O error naming a path, ...
                        let _ = writeln!(out, "  {}", server_line(cause));
                    }
                }
                if let Some(hint) = hint {
                    let hint = own_text(hint);
                    let _ = writeln!(out, "{cyan}hint{reset}{bold}:{reset} {hint}");
                }
            }
        }
        out
    }
}

/// Text that may hold what a server said, for one line: scrubbed (withheld whole if it mentions
/// a sensitive value) and escaped, line feeds included.
fn server_line(text: &str) -> String {
    safe_text::one_line(&scrub::server_text(text)).into_owned()
}

/// soarform's own wording, which names values (keys, paths, field names) on purpose: credentials
/// masked, control characters escaped; its own line breaks are kept.
fn own_text(text: &str) -> String {
    safe_text::escaped(&scrub::credentials_in(text)).into_owned()
}

/// The result type of core operations.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Operation;
    use crate::kind::Kind;

    #[test]
    fn server_messages_are_scrubbed_and_shown_escaped_on_one_line() {
        // Values unique to this test: the registry is shared by the whole test process.
        scrub::register_credential("error-test-token-3f0a");
        scrub::register_sensitive("error-test-secret-88d1");
        let error = Error::from(ClientError::Status {
            operation: Operation::update(Kind::Incident),
            status: 401,
            message: "bad \u{1b}[2J Bearer ERROR-TEST-TOKEN-3F0A\r\nerror: forged".into(),
        });
        let rendered = error.render(false);
        assert_eq!(
            rendered,
            "error: `update_incident` failed with 401: bad \\u{1b}[2J Bearer ***\\r\\nerror: forged\n"
        );
        let error = Error::from(ClientError::Status {
            operation: Operation::update(Kind::Incident),
            status: 400,
            message: "value error%2Dtest%2Dsecret%2D88d1 is bad".into(),
        });
        assert_eq!(
            error.render(false),
            format!(
                "error: `update_incident` failed with 400: {}\n",
                scrub::WITHHELD
            )
        );
        let io = std::io::Error::other("read \u{7}error-test-secret-88d1");
        let error = Error::caused_by("cannot read `a\u{1b}b`", &io);
        let rendered = error.render(false);
        assert!(
            rendered.starts_with("error: cannot read `a\\u{1b}b`\n\nCaused by:\n"),
            "{rendered}"
        );
        assert!(
            rendered.contains(&format!("  {}\n", scrub::WITHHELD)),
            "{rendered}"
        );
    }
}
