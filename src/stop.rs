//! Why a run stops starting new writes: an interrupt, a termination request, or a lost lease.
//!
//! Set once by whoever notices (the signal listener, the lease renewal); read by apply before
//! every write. Writes already sent finish; nothing new starts.

use std::sync::Mutex;

use tokio::sync::Notify;

/// Why no new write may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// SIGINT (Ctrl-C).
    Interrupted,
    /// SIGTERM.
    Terminated,
    /// Another run took over the apply lease.
    LeaseLost,
    /// The tenant stored a created object's key altered (a suffix, a prefix): every later
    /// create would make an object soarform cannot find again.
    IdentityRewritten,
}

impl StopReason {
    /// What happened, for the closing message.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            StopReason::Interrupted => "interrupted (SIGINT)",
            StopReason::Terminated => "terminated (SIGTERM)",
            StopReason::LeaseLost => "stopped: another run took over the apply lease",
            StopReason::IdentityRewritten => {
                "stopped: the tenant rewrote the key of an object it created"
            }
        }
    }

    /// Whether running apply again converges: not while the tenant rewrites keys.
    pub(crate) fn converges_on_rerun(self) -> bool {
        self != StopReason::IdentityRewritten
    }
}

/// A flag that is set once and read often.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    reason: Mutex<Option<StopReason>>,
    notify: Notify,
}

impl Stop {
    /// Asks every later write not to start; the first reason given is kept.
    pub(crate) fn request(&self, reason: StopReason) {
        if let Ok(mut current) = self.reason.lock() {
            current.get_or_insert(reason);
        }
        self.notify.notify_waiters();
    }

    /// Resolves once a stop was requested (at once if it already was).
    pub(crate) async fn stopped(&self) {
        loop {
            let notified = self.notify.notified();
            if self.reason().is_some() {
                return;
            }
            notified.await;
        }
    }

    /// Why writes must stop, if they must.
    pub(crate) fn reason(&self) -> Option<StopReason> {
        self.reason.lock().ok().and_then(|reason| *reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_is_kept() {
        let stop = Stop::default();
        assert_eq!(stop.reason(), None);
        stop.request(StopReason::Terminated);
        stop.request(StopReason::Interrupted);
        assert_eq!(stop.reason(), Some(StopReason::Terminated));
    }
}
