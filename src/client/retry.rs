//! When and how long to wait before trying a request again.
//!
//! 429, 500 (three attempts at most), 502, 503 and 504 answers and connection failures (six
//! attempts at most) are retried with exponential backoff and
//! jitter (a random wait between half the doubling cap and the cap, so retries spread out but never
//! come back at once), honouring a non-zero `Retry-After` in both
//! its forms (seconds, or an HTTP date). The total time spent retrying one request is bounded; past
//! it the last error is returned, saying how many attempts were made.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// How retries are paced and bounded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RetryPolicy {
    /// The first backoff cap; doubled after every attempt.
    pub base_delay: Duration,
    /// No single wait is longer than this (a longer `Retry-After` is cut to it).
    pub max_delay: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub max_elapsed: Duration,
    /// The most attempts at one request that failed (a 429 refused it before any work and does
    /// not count; a 500 counts against its own, smaller limit).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(120),
            max_attempts: 6,
        }
    }
}

impl RetryPolicy {
    #[cfg(test)]
    /// No retries at all.
    pub(crate) fn none() -> Self {
        RetryPolicy {
            max_elapsed: Duration::ZERO,
            ..RetryPolicy::default()
        }
    }

    /// The wait before attempt `attempt + 1` (attempts count from 1): `Retry-After` when the server
    /// sent a non-zero one, else a random wait between half of and all of `base * 2^(attempt-1)`,
    /// never above `max_delay`. (A zero `Retry-After`, or a date in the past from clock skew, would
    /// otherwise send the request straight back into the limit.)
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after.filter(|wait| !wait.is_zero()) {
            return wait.min(self.max_delay);
        }
        let exponent = attempt.saturating_sub(1).min(20);
        let cap = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis))
    }

    /// Whether a retry that would start after `elapsed + delay` is still allowed.
    pub(crate) fn allows(&self, elapsed: Duration, delay: Duration) -> bool {
        elapsed.saturating_add(delay) <= self.max_elapsed
    }
}

/// `Retry-After` as a wait from `now`: delta-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2026 07:28:00 GMT`); a date in the past means no wait.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2026-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stays_capped() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_elapsed: Duration::from_secs(10),
            max_attempts: 6,
        };
        for attempt in 1..=8 {
            let cap = Duration::from_millis((100u64 << (attempt - 1)).min(1000));
            for _ in 0..50 {
                let delay = policy.delay(attempt, None);
                assert!(
                    delay <= cap && delay >= cap / 2,
                    "{delay:?} against {cap:?}"
                );
            }
            assert!(policy.delay(attempt, Some(Duration::ZERO)) >= cap / 2);
        }
        let waits: std::collections::BTreeSet<Duration> =
            (0..50).map(|_| policy.delay(5, None)).collect();
        assert!(waits.len() > 10, "no jitter: {waits:?}");
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(5))),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn the_total_retry_time_is_bounded() {
        let policy = RetryPolicy {
            max_elapsed: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        assert!(policy.allows(Duration::from_secs(5), Duration::from_secs(5)));
        assert!(!policy.allows(Duration::from_secs(6), Duration::from_secs(5)));
        assert!(!RetryPolicy::none().allows(Duration::ZERO, Duration::from_millis(1)));
    }
}
