//! Progress of long plans and applies, on stderr only: a bar on a terminal, a plain line every few
//! seconds otherwise (CI logs). Standard output never carries progress, so it stays a clean plan,
//! JSON document or comment.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Fewer steps than this finish too fast to need progress.
const MIN_STEPS: u64 = 20;
/// How often a plain progress line is written when stderr is not a terminal.
const LINE_INTERVAL: Duration = Duration::from_secs(5);

/// Progress of one phase (reading objects, applying changes).
#[derive(Debug)]
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    plain: Option<Mutex<Plain>>,
}

#[derive(Debug)]
struct Plain {
    what: String,
    total: u64,
    done: u64,
    last: Instant,
}

impl Progress {
    /// Progress of `total` steps of `what` ("objects applied"); nothing at all for short phases.
    pub(crate) fn new(what: &str, total: u64) -> Progress {
        Progress::with_terminal(what, total, std::io::stderr().is_terminal())
    }

    /// As [`Progress::new`], saying whether stderr is a terminal.
    pub(crate) fn with_terminal(what: &str, total: u64, terminal: bool) -> Progress {
        if total < MIN_STEPS {
            return Progress {
                bar: None,
                plain: None,
            };
        }
        if terminal {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg} (eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(what.to_string());
            return Progress {
                bar: Some(bar),
                plain: None,
            };
        }
        Progress {
            bar: None,
            plain: Some(Mutex::new(Plain {
                what: what.to_string(),
                total,
                done: 0,
                last: Instant::now(),
            })),
        }
    }

    /// One more step done.
    pub(crate) fn step(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if let Some(plain) = &self.plain {
            if let Ok(mut plain) = plain.lock() {
                plain.done += 1;
                if let Some(line) = plain.line_due(Instant::now(), LINE_INTERVAL) {
                    eprintln!("{line}");
                }
            }
        }
    }

    /// Runs `write` (which prints to a terminal) without the bar drawing over it.
    pub(crate) fn suspend<T>(&self, write: impl FnOnce() -> T) -> T {
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Removes the bar; plain progress needs no closing line (the command's summary follows).
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Plain {
    /// The line to print now, if the last one is at least `interval` old.
    fn line_due(&mut self, now: Instant, interval: Duration) -> Option<String> {
        if now.duration_since(self.last) < interval || self.done >= self.total {
            return None;
        }
        self.last = now;
        Some(format!(
            "progress: {} of {} {} ({}%)",
            self.done,
            self.total,
            self.what,
            self.done * 100 / self.total.max(1)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_phases_show_nothing() {
        let progress = Progress::with_terminal("objects applied", 5, false);
        assert!(progress.bar.is_none() && progress.plain.is_none());
    }

    #[test]
    fn plain_lines_come_at_most_once_per_interval() {
        let start = Instant::now();
        let mut plain = Plain {
            what: "objects applied".into(),
            total: 200,
            done: 50,
            last: start,
        };
        let interval = Duration::from_secs(5);
        assert_eq!(
            plain.line_due(start + Duration::from_secs(1), interval),
            None
        );
        assert_eq!(
            plain.line_due(start + Duration::from_secs(6), interval),
            Some("progress: 50 of 200 objects applied (25%)".to_string())
        );
        assert_eq!(
            plain.line_due(start + Duration::from_secs(7), interval),
            None
        );
        plain.done = 200;
        assert_eq!(
            plain.line_due(start + Duration::from_secs(60), interval),
            None
        );
    }

    #[test]
    fn terminals_get_a_bar() {
        let progress = Progress::with_terminal("objects applied", 100, true);
        assert!(progress.bar.is_some());
        progress.step();
        assert_eq!(progress.bar.as_ref().map(ProgressBar::position), Some(1));
    }
}
