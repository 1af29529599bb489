//! The gateway's limits: requests per second (a token bucket) and requests in flight, both
//! answered with 429 `rate.limit.exceeded` beyond them.
//!
//! The rate limit is a token bucket that holds at most `ceil(rps)` tokens, starts full and
//! refills continuously at `rps` tokens per second; an admitted request takes one token. So a
//! client may send a burst of `ceil(rps)` requests at once, and then `rps` per second; a client
//! that spaces its requests `1/rps` apart is never refused. A refused request takes no token.
//!
//! The concurrency limit counts admitted API requests from admission until their answer is
//! ready, including the added latency (which stands for the time the service spends on them).
//! Refused requests are never counted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::sync::lock;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Refusal {
    /// The bucket was empty; a token is available again after this long.
    RateLimited(Duration),
    /// Too many requests were in flight.
    TooManyInFlight,
}

/// The token bucket of the requests-per-second limit.
pub(crate) struct TokenBucket {
    per_second: f64,
    capacity: f64,
    state: Mutex<BucketState>,
}

struct BucketState {
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket for `per_second` requests per second (positive and finite, checked when the
    /// configuration is).
    pub(crate) fn new(per_second: f64) -> TokenBucket {
        let capacity = per_second.ceil().max(1.0);
        TokenBucket {
            per_second,
            capacity,
            state: Mutex::new(BucketState {
                tokens: capacity,
                updated: Instant::now(),
            }),
        }
    }

    /// Takes a token, or says how long until one is available.
    pub(crate) fn try_take(&self, now: Instant) -> Result<(), Duration> {
        let mut state = lock(&self.state);
        let elapsed = now.saturating_duration_since(state.updated).as_secs_f64();
        state.tokens = (state.tokens + elapsed * self.per_second).min(self.capacity);
        state.updated = now;
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - state.tokens) / self.per_second,
            ))
        }
    }
}

impl TokenBucket {
    /// Returns a token taken by a request that was then refused for another reason.
    fn give_back(&self) {
        let mut state = lock(&self.state);
        state.tokens = (state.tokens + 1.0).min(self.capacity);
    }
}

/// Requests in flight: the count, the highest count seen, and the limit.
pub(crate) struct InFlight {
    limit: Option<usize>,
    count: AtomicUsize,
    highest: AtomicUsize,
}

impl InFlight {
    pub(crate) fn new(limit: Option<usize>) -> InFlight {
        InFlight {
            limit,
            count: AtomicUsize::new(0),
            highest: AtomicUsize::new(0),
        }
    }

    /// Admits a request unless the limit is reached; it stays in flight until the slot drops.
    pub(crate) fn enter(&self) -> Option<Slot<'_>> {
        let limit = self.limit.unwrap_or(usize::MAX);
        let previous = self
            .count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                (count < limit).then_some(count + 1)
            })
            .ok()?;
        self.highest.fetch_max(previous + 1, Ordering::AcqRel);
        Some(Slot { in_flight: self })
    }

    /// Requests in flight now.
    pub(crate) fn current(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// The most requests that were ever in flight at once.
    pub(crate) fn highest(&self) -> usize {
        self.highest.load(Ordering::Acquire)
    }
}

/// One admitted request; leaves the count when dropped (also when the client goes away and the
/// request's future is dropped).
pub(crate) struct Slot<'a> {
    in_flight: &'a InFlight,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.in_flight.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Both limits.
pub(crate) struct Admission {
    bucket: Option<TokenBucket>,
    in_flight: InFlight,
}

impl Admission {
    pub(crate) fn new(requests_per_second: Option<f64>, max_concurrency: Option<usize>) -> Self {
        Admission {
            bucket: requests_per_second.map(TokenBucket::new),
            in_flight: InFlight::new(max_concurrency),
        }
    }

    /// Admits a request, or says why not. A request refused for either limit neither keeps a
    /// token nor ever counts as in flight.
    pub(crate) fn admit(&self, now: Instant) -> Result<Slot<'_>, Refusal> {
        if let Some(bucket) = &self.bucket {
            bucket.try_take(now).map_err(Refusal::RateLimited)?;
        }
        self.in_flight.enter().ok_or_else(|| {
            if let Some(bucket) = &self.bucket {
                bucket.give_back();
            }
            Refusal::TooManyInFlight
        })
    }

    pub(crate) fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_of_ceil_rps_then_refills() {
        let bucket = TokenBucket::new(2.5);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(bucket.try_take(start), Ok(()));
        }
        let wait = bucket.try_take(start).expect_err("empty");
        assert!((wait.as_secs_f64() - 0.4).abs() < 1e-9, "{wait:?}");
        assert_eq!(bucket.try_take(start + Duration::from_millis(400)), Ok(()));
        assert!(bucket.try_take(start + Duration::from_millis(400)).is_err());
        // A long pause refills to the burst size, not more.
        let later = start + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(bucket.try_take(later), Ok(()));
        }
        assert!(bucket.try_take(later).is_err());
    }

    #[test]
    fn a_fractional_rate_below_one_still_admits_one_request() {
        let bucket = TokenBucket::new(0.5);
        let start = Instant::now();
        assert_eq!(bucket.try_take(start), Ok(()));
        assert_eq!(bucket.try_take(start), Err(Duration::from_secs(2)));
        assert_eq!(bucket.try_take(start + Duration::from_secs(2)), Ok(()));
    }

    #[test]
    fn in_flight_slots_are_limited_and_released() {
        let in_flight = InFlight::new(Some(2));
        let first = in_flight.enter().expect("first");
        let second = in_flight.enter().expect("second");
        assert!(in_flight.enter().is_none());
        assert_eq!(in_flight.current(), 2);
        drop(first);
        let third = in_flight.enter().expect("third");
        drop((second, third));
        assert_eq!(in_flight.current(), 0);
        assert_eq!(in_flight.highest(), 2);
    }

    #[test]
    fn a_request_refused_by_the_rate_limit_is_not_in_flight() {
        let admission = Admission::new(Some(1.0), Some(5));
        let now = Instant::now();
        let admitted = admission.admit(now).expect("admitted");
        assert!(matches!(admission.admit(now), Err(Refusal::RateLimited(_))));
        assert_eq!(admission.in_flight().current(), 1);
        drop(admitted);
        assert_eq!(admission.in_flight().current(), 0);
        assert_eq!(admission.in_flight().highest(), 1);
    }

    #[test]
    fn a_request_refused_by_the_concurrency_limit_keeps_no_token() {
        let admission = Admission::new(Some(2.0), Some(1));
        let now = Instant::now();
        let admitted = admission.admit(now).expect("admitted");
        assert_eq!(admission.admit(now).err(), Some(Refusal::TooManyInFlight));
        drop(admitted);
        // The refused request gave its token back: the second of the burst of two is left.
        assert!(admission.admit(now).is_ok());
        assert!(matches!(admission.admit(now), Err(Refusal::RateLimited(_))));
    }
}
