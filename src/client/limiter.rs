//! The client-side limiter: at most N requests in flight and at most R started per second, so that a
//! healthy server never has to answer 429 (Sumo documents 4 requests per second per user and 10
//! concurrent requests per access key).
//!
//! Starts are spaced evenly, `1 / R` apart, rather than released in bursts: any one-second window
//! then holds at most `ceil(R)` starts, whichever way the server counts its windows.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Sumo Logic's documented rate limit per user.
pub(crate) const DEFAULT_REQUESTS_PER_SECOND: f64 = 4.0;
/// Sumo Logic's documented concurrency limit per access key.
pub(crate) const DEFAULT_MAX_CONCURRENCY: usize = 10;

/// Requests per second and in flight, shared by every request of one client.
#[derive(Debug, Clone)]
pub(crate) struct Limiter {
    in_flight: Arc<Semaphore>,
    interval: Option<Duration>,
    next_start: Arc<Mutex<Instant>>,
}

/// Held while a request is in flight; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct Slot {
    // `None` only if the semaphore were closed, which this module never does.
    _permit: Option<OwnedSemaphorePermit>,
}

impl Limiter {
    /// A limiter; `requests_per_second` of `None` or not above zero means no rate limit.
    pub(crate) fn new(requests_per_second: Option<f64>, max_concurrency: usize) -> Limiter {
        let interval = requests_per_second
            .filter(|rate| rate.is_finite() && *rate > 0.0)
            .map(|rate| Duration::from_secs_f64(1.0 / rate));
        Limiter {
            in_flight: Arc::new(Semaphore::new(max_concurrency.max(1))),
            interval,
            next_start: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// Waits for a free slot and for this request's turn to start.
    pub(crate) async fn acquire(&self) -> Slot {
        let permit = Arc::clone(&self.in_flight).acquire_owned().await.ok();
        // Even without a rate, a pause after a 429 holds every start back.
        let start = {
            let mut next = self.next_start.lock().await;
            let start = (*next).max(Instant::now());
            if let Some(interval) = self.interval {
                *next = start + interval;
            }
            start
        };
        tokio::time::sleep_until(start).await;
        Slot { _permit: permit }
    }

    /// Pushes every later start back by `delay` (after a 429: the server asked everyone to wait).
    pub(crate) async fn pause(&self, delay: Duration) {
        let mut next = self.next_start.lock().await;
        let resume = Instant::now() + delay;
        if *next < resume {
            *next = resume;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_by_the_rate() {
        let limiter = Limiter::new(Some(4.0), 10);
        let begin = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..5 {
            let _slot = limiter.acquire().await;
            starts.push(begin.elapsed());
        }
        assert_eq!(
            starts,
            [0, 250, 500, 750, 1000].map(Duration::from_millis).to_vec()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_n_requests_are_in_flight() {
        let limiter = Limiter::new(None, 2);
        let first = limiter.acquire().await;
        let _second = limiter.acquire().await;
        let third = tokio::time::timeout(Duration::from_secs(1), limiter.acquire()).await;
        assert!(
            third.is_err(),
            "a third slot was granted while two were held"
        );
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(1), limiter.acquire()).await;
        assert!(third.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_delays_the_next_start_without_a_rate_too() {
        let limiter = Limiter::new(None, 10);
        limiter.pause(Duration::from_secs(2)).await;
        let begin = Instant::now();
        let _slot = limiter.acquire().await;
        assert!(begin.elapsed() >= Duration::from_millis(1900));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_delays_the_next_start() {
        let limiter = Limiter::new(Some(100.0), 10);
        limiter.pause(Duration::from_secs(3)).await;
        let begin = Instant::now();
        let _slot = limiter.acquire().await;
        assert!(begin.elapsed() >= Duration::from_millis(2900));
    }
}
