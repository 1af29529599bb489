//! Progress of plans and applies, on stderr only: a bar on a terminal, a plain line every few
//! seconds otherwise (CI logs). Standard output never carries progress, so it stays a clean plan,
//! JSON document or comment.
//!
//! Nothing shows for a phase that ends within [`DELAY`]; one that takes longer shows progress
//! whatever its size, and keeps showing it while a slow step (a tenant answering in 40 s) makes
//! no headway: a ticker thread, not the steps, decides when to draw. `SOARFORM_PROGRESS=false`
//! turns it off.

use std::io::IsTerminal as _;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A phase that ends within this shows no progress at all.
const DELAY: Duration = Duration::from_secs(2);
/// How often a plain progress line is written when stderr is not a terminal.
const LINE_INTERVAL: Duration = Duration::from_secs(5);

/// Progress of one phase (reading objects, applying changes).
#[derive(Debug)]
pub(crate) struct Progress {
    state: Arc<(Mutex<State>, Condvar)>,
    bar: Option<ProgressBar>,
}

#[derive(Debug)]
struct State {
    what: String,
    total: u64,
    done: u64,
    started: Instant,
    finished: bool,
}

/// What `SOARFORM_PROGRESS` may say: on, or off.
const PROGRESS_ON: [&str; 4] = ["1", "true", "on", "yes"];
const PROGRESS_OFF: [&str; 4] = ["0", "false", "off", "no"];

/// Refuses a `SOARFORM_PROGRESS` that is neither on nor off, rather than guess: the message.
pub(crate) fn check_variable() -> Result<(), String> {
    match std::env::var("SOARFORM_PROGRESS") {
        Ok(value) => {
            let word = value.trim().to_ascii_lowercase();
            if PROGRESS_ON.contains(&word.as_str()) || PROGRESS_OFF.contains(&word.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "`SOARFORM_PROGRESS` is `{}`: expected `true` or `false` (or 1/0, on/off, yes/no)",
                    crate::safe_text::one_line(&value)
                ))
            }
        }
        Err(_) => Ok(()),
    }
}

impl Progress {
    /// Progress of `total` steps of `what` ("objects applied"); shown once the phase has taken
    /// [`DELAY`]. No steps at all: nothing to show.
    pub(crate) fn new(what: &str, total: u64) -> Progress {
        let wanted = std::env::var("SOARFORM_PROGRESS").map_or(true, |value| {
            !PROGRESS_OFF.contains(&value.trim().to_ascii_lowercase().as_str())
        });
        Progress::with_terminal(
            what,
            if wanted { total } else { 0 },
            std::io::stderr().is_terminal(),
        )
    }

    /// As [`Progress::new`], saying whether stderr is a terminal.
    pub(crate) fn with_terminal(what: &str, total: u64, terminal: bool) -> Progress {
        let state = Arc::new((
            Mutex::new(State {
                what: what.to_string(),
                total,
                done: 0,
                started: Instant::now(),
                finished: total == 0,
            }),
            Condvar::new(),
        ));
        let bar = terminal.then(|| {
            // Hidden until the ticker shows it.
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg} (eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(what.to_string());
            bar
        });
        if total > 0 {
            let ticker_state = Arc::clone(&state);
            let ticker_bar = bar.clone();
            // A detached thread: it ends as soon as the phase finishes.
            let _ = std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || tick(&ticker_state, ticker_bar));
        }
        Progress { state, bar }
    }

    /// One more step done.
    pub(crate) fn step(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if let Ok(mut state) = self.state.0.lock() {
            state.done += 1;
        }
    }

    /// Runs `write` (which prints to a terminal) without the bar drawing over it.
    pub(crate) fn suspend<T>(&self, write: impl FnOnce() -> T) -> T {
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Ends the phase: the bar is removed, no further line is written (the command's summary
    /// follows).
    pub(crate) fn finish(&self) {
        let (lock, wake) = &*self.state;
        if let Ok(mut state) = lock.lock() {
            state.finished = true;
        }
        wake.notify_all();
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

/// The ticker: waits [`DELAY`], then shows the bar (ticking every second, so that its clock runs
/// while no step ends) or writes a plain line every [`LINE_INTERVAL`], until the phase finishes.
fn tick(state: &(Mutex<State>, Condvar), bar: Option<ProgressBar>) {
    let (lock, wake) = state;
    let Ok(mut guard) = lock.lock() else {
        return;
    };
    let mut next = guard.started + DELAY;
    loop {
        let now = Instant::now();
        if guard.finished {
            return;
        }
        if now < next {
            guard = match wake.wait_timeout(guard, next - now) {
                Ok((guard, _)) => guard,
                Err(_) => return,
            };
            continue;
        }
        match &bar {
            Some(bar) => {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_secs(1));
                return;
            }
            None => {
                eprintln!("{}", guard.line(now));
                next = now + LINE_INTERVAL;
            }
        }
    }
}

impl State {
    /// `progress: 3 of 5 objects applied (60%), 12 s`.
    fn line(&self, now: Instant) -> String {
        format!(
            "progress: {} of {} {} ({}%), {} s",
            self.done,
            self.total,
            self.what,
            self.done * 100 / self.total.max(1),
            now.duration_since(self.started).as_secs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_say_how_far_and_how_long() {
        let started = Instant::now();
        let state = State {
            what: "objects applied".into(),
            total: 5,
            done: 3,
            started,
            finished: false,
        };
        assert_eq!(
            state.line(started + Duration::from_secs(12)),
            "progress: 3 of 5 objects applied (60%), 12 s"
        );
    }

    #[test]
    fn a_phase_without_steps_is_finished_from_the_start() {
        let progress = Progress::with_terminal("searches", 0, false);
        assert!(progress.state.0.lock().unwrap().finished);
    }

    #[test]
    fn terminals_get_a_bar_hidden_until_the_delay() {
        let progress = Progress::with_terminal("objects applied", 3, true);
        let bar = progress.bar.as_ref().unwrap();
        assert!(bar.is_hidden());
        progress.step();
        assert_eq!(bar.position(), 1);
        progress.finish();
        assert!(progress.state.0.lock().unwrap().finished);
    }
}
