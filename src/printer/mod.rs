//! The one owner of soarform's output: standard output carries data only (a plan, a JSON or
//! Markdown document, an export listing), standard error carries everything else (warnings,
//! notes, progress, errors, prompts). Colour is decided once per stream and written through
//! anstream, which strips styles from a stream that is not to be coloured.
//!
//! Commands and operations print only through a [`Printer`]; the layer test (`tests/tidy.rs`)
//! keeps `print!` and friends out of them.

mod palette;
mod progress;

use std::io::{IsTerminal as _, Write as _};

pub(crate) use palette::Palette;
pub(crate) use progress::{check_variable as check_progress_variable, Progress};

/// Whether to colour: always, never, or only a terminal that `NO_COLOR` does not opt out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Color {
    /// Colour a terminal, unless `NO_COLOR` is set; `CLICOLOR_FORCE` colours anything.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Where output goes, and whether each stream is coloured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    stdout_color: bool,
    stderr_color: bool,
}

impl Printer {
    /// Decides colour per stream: `--color`, then `NO_COLOR` / `CLICOLOR_FORCE`, then whether the
    /// stream is a terminal.
    pub(crate) fn new(choice: Color) -> Self {
        let decide = |is_terminal: bool| match choice {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                let no_color = anstyle_query::no_color();
                !no_color && (anstyle_query::clicolor_force() || is_terminal)
            }
        };
        Printer {
            stdout_color: decide(std::io::stdout().is_terminal()),
            stderr_color: decide(std::io::stderr().is_terminal()),
        }
    }

    /// Whether standard output is coloured.
    pub(crate) fn stdout_color(&self) -> bool {
        self.stdout_color
    }

    /// Whether standard error is coloured.
    pub(crate) fn stderr_color(&self) -> bool {
        self.stderr_color
    }

    /// The styles of standard error.
    pub(crate) fn stderr_palette(&self) -> Palette {
        Palette::new(self.stderr_color)
    }

    /// Writes data to standard output and flushes it: a failure (a closed pipe) is the caller's
    /// to report, since the data did not arrive.
    pub(crate) fn data(&self, text: &str) -> std::io::Result<()> {
        let mut stdout =
            anstream::AutoStream::new(std::io::stdout().lock(), choice(self.stdout_color));
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// Writes text (already rendered, ending with its own line break) to standard error. A
    /// message that cannot be written has nowhere else to go, so failures are ignored.
    pub(crate) fn message(&self, text: &str) {
        write_stderr(text, self.stderr_color);
    }

    /// `warning: MESSAGE`, on standard error.
    pub(crate) fn warn(&self, message: &str) {
        self.warn_with_hint(message, None);
    }

    /// `warning: MESSAGE` and, when there is one, `hint: HINT`, on standard error.
    pub(crate) fn warn_with_hint(&self, message: &str, hint: Option<&str>) {
        let palette = self.stderr_palette();
        let mut text = palette.labelled("warning", palette.warning, message);
        text.push('\n');
        if let Some(hint) = hint {
            let Palette {
                hint: style, reset, ..
            } = palette;
            text.push_str(&format!("{style}hint{reset}: {hint}\n"));
        }
        self.message(&text);
    }

    /// `note: MESSAGE`, on standard error.
    pub(crate) fn note(&self, message: &str) {
        let Palette { hint, reset, .. } = self.stderr_palette();
        self.message(&format!("{hint}note{reset}: {message}\n"));
    }

    /// Progress of `total` steps of `what`, on standard error (nothing for short phases).
    pub(crate) fn progress(&self, what: &str, total: u64) -> Progress {
        Progress::new(what, total)
    }
}

fn choice(color: bool) -> anstream::ColorChoice {
    if color {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    }
}

/// Writes `text` to standard error, styles kept only when `color`.
pub(crate) fn write_stderr(text: &str, color: bool) {
    let mut stderr = anstream::AutoStream::new(std::io::stderr().lock(), choice(color));
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}
