//! soarform: incident-as-code for Sumo Logic Cloud SOAR.
//!
//! Data flows one way: files -> desired objects ([`manifest`]) -> observed objects ([`client`],
//! [`observe`]) -> [`plan`] -> [`render`] / [`apply`].

// Only what the tests and benchmarks use is public: `run`, `sim`, and two constants they check
// output against. Everything else is `pub(crate)`, and this lint keeps it so (the lint is set
// here, not in Cargo.toml, because it would flag every helper of the test crates).
#![warn(unreachable_pub)]

pub(crate) mod apply;
pub(crate) mod catalog;
pub(crate) mod cli;
pub(crate) mod client;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod dates;
pub(crate) mod dialect;
pub(crate) mod error;
pub(crate) mod export;
pub(crate) mod files;
pub(crate) mod filter;
pub(crate) mod kind;
pub(crate) mod lease;
pub(crate) mod manifest;
pub(crate) mod normalize;
pub(crate) mod observe;
pub(crate) mod operations;
pub(crate) mod ops;
pub(crate) mod plan;
pub(crate) mod plan_json;
pub(crate) mod printer;
pub(crate) mod remote;
pub(crate) mod render;
pub(crate) mod resolve;
pub(crate) mod safe_text;
pub(crate) mod saved;
#[cfg(test)]
mod schema_files;
pub(crate) mod scrub;
pub(crate) mod select;
pub(crate) mod settings;
pub mod sim;
pub(crate) mod stop;

pub use files::MAX_PATH_BYTES;
pub use scrub::WITHHELD;

use std::ffi::OsString;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::commands::ExitStatus;
use crate::printer::Printer;

/// Runs soarform with the given command-line arguments and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    unset_empty_variables();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // Usage errors are errors (1); exit code 2 is reserved for "plan has changes". Help
            // that could not be written (`--help > /dev/full`) is an error too.
            let printed = error.print();
            return if error.use_stderr() || printed.is_err() {
                1
            } else {
                0
            };
        }
    };
    let printer = Printer::new(cli.global.color.into());
    init_logging(cli.global.verbose, printer.stderr_color());
    if let Err(message) = printer::check_progress_variable() {
        let error = error::Error::message(message);
        printer.message(&error.render(printer.stderr_color()));
        return ExitStatus::Failure.into();
    }
    settings::set_working_directories(&cli.global.directory);
    for directory in &cli.global.directory {
        if let Err(error) = std::env::set_current_dir(directory) {
            let error = error::Error::caused_by(
                format!("cannot run in `{}` (-C)", directory.display()),
                &error,
            );
            printer.message(&error.render(printer.stderr_color()));
            return ExitStatus::Failure.into();
        }
    }
    let result = match cli.command {
        Command::Validate(args) => commands::validate::validate(args, printer),
        Command::Plan(args) => commands::plan::plan(args, printer),
        Command::Apply(args) => commands::apply::apply(args, printer),
        Command::Export(args) => commands::export::export(args, printer),
        Command::Fmt(args) => commands::fmt::fmt(args, printer),
        Command::Doctor(args) => commands::doctor::doctor(args, printer),
        Command::Show(args) => commands::show::show(args, printer),
        Command::Init(args) => commands::init::init(args, printer),
        Command::Version(args) => commands::version(args, printer),
        Command::Schema(args) => commands::schema(args, printer),
        Command::Completions(args) => commands::completions(args, printer),
        Command::Man(args) => commands::man(args, printer),
        Command::Sim(args) => commands::sim::sim(args, printer),
    };
    match result {
        Ok(status) => status.into(),
        Err(error) => {
            // `render` scrubs and escapes what came from elsewhere.
            printer.message(&error.render(printer.stderr_color()));
            ExitStatus::Failure.into()
        }
    }
}

/// An empty `SOARFORM_*` variable counts as unset, for every variable alike: CI systems write
/// `SOARFORM_API: ${{ vars.SOARFORM_API }}`, which is empty where the variable is not set. Called
/// first thing, while the process has one thread.
fn unset_empty_variables() {
    let empty: Vec<OsString> = std::env::vars_os()
        .filter(|(name, value)| {
            name.to_str()
                .is_some_and(|name| name.starts_with("SOARFORM_"))
                && value.to_str().is_some_and(|value| value.trim().is_empty())
        })
        .map(|(name, _)| name)
        .collect();
    for name in empty {
        std::env::remove_var(name);
    }
}

/// Logs go to stderr. Only soarform's own events are shown: the HTTP stack's debug output could
/// include headers, and headers carry credentials. Every line passes the scrubber and the
/// escaper ([`LogWriter`]), so `-v`/`-vv` lines can never show a registered secret or a raw
/// escape sequence. The formatter writes no colour (it would be escaped); the level is coloured
/// after scrubbing, when standard error is (`--color`, `NO_COLOR`, a terminal).
fn init_logging(verbose: u8, color: bool) {
    let level = match verbose {
        0 => "warn",
        1 => "soarform=debug",
        _ => "soarform=trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(move || LogWriter {
            event: Vec::new(),
            color,
        })
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_ansi(false)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Collects one log event and writes it to stderr, scrubbed and escaped, when dropped (the
/// formatter makes one writer per event).
struct LogWriter {
    event: Vec<u8>,
    color: bool,
}

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.event.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        if self.event.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.event);
        // One event is one line: a line break inside it (a server message, say) is shown
        // escaped, so it cannot start a line that looks like soarform's own.
        let scrubbed = scrubbed_event(text.strip_suffix('\n').unwrap_or(&text));
        let line = format!(
            "{}\n",
            colored_level(&safe_text::one_line(&scrubbed), self.color)
        );
        printer::write_stderr(&line, self.color);
    }
}

/// The line with its level (`DEBUG`, ` WARN`) styled when `color`.
fn colored_level(line: &str, color: bool) -> String {
    let palette = printer::Palette::new(color);
    let trimmed = line.trim_start();
    let Some(level) = LEVELS.iter().find(|level| trimmed.starts_with(*level)) else {
        return line.to_string();
    };
    let style = match level.trim() {
        "ERROR" => palette.error,
        "WARN" => palette.warning,
        _ => palette.dim,
    };
    let start = line.len() - trimmed.len();
    let end = start + level.trim_end().len();
    format!(
        "{}{style}{}{}{}",
        &line[..start],
        &line[start..end],
        palette.reset,
        &line[end..]
    )
}

/// The levels a log line starts with, as the formatter writes them.
const LEVELS: [&str; 5] = ["TRACE ", "DEBUG ", "INFO ", "WARN ", "ERROR "];

/// A formatted log event (without its final line break) scrubbed: its level (`DEBUG`, ` WARN`)
/// stays even when the rest of it is withheld.
fn scrubbed_event(text: &str) -> String {
    let trimmed = text.trim_start();
    let level = LEVELS
        .iter()
        .find(|level| trimmed.starts_with(*level))
        .map_or(0, |level| text.len() - trimmed.len() + level.len());
    format!("{}{}", &text[..level], scrub::server_text(&text[level..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_events_keep_their_level_when_withheld() {
        // Values unique to this test: the registry is shared by the whole test process.
        scrub::register_sensitive("log-test-secret-4c1e");
        scrub::register_credential("log-test-token-0d9b");
        assert_eq!(
            scrubbed_event(" WARN PUT x: 503 log%2Dtest%2Dsecret%2D4c1e\nmore"),
            format!(" WARN {}", scrub::WITHHELD)
        );
        assert_eq!(
            scrubbed_event("DEBUG retrying: Bearer LOG-TEST-TOKEN-0D9B"),
            "DEBUG retrying: Bearer ***"
        );
        assert_eq!(scrubbed_event("no level"), "no level");
    }

    #[test]
    fn log_levels_are_coloured_only_when_standard_error_is() {
        assert_eq!(colored_level(" WARN x", false), " WARN x");
        assert_eq!(
            colored_level(" WARN x", true),
            " \x1b[1m\x1b[33mWARN\x1b[0m x"
        );
        assert_eq!(colored_level("DEBUG y", true), "\x1b[2mDEBUG\x1b[0m y");
        assert_eq!(colored_level("plain", true), "plain");
    }
}
