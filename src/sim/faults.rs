//! Seeded fault injection: 5xx answers, random 429s, and writes whose connection is dropped
//! before or after they are committed.
//!
//! Every API request that reaches this layer draws the same seven numbers from one seeded
//! [`StdRng`], whatever its outcome, so the same seed and the same sequence of requests give the
//! same faults. Each fault is drawn independently; when several hit one request, the first of
//! server error, throttle, drop before commit, drop after commit wins.

use std::sync::Mutex;

use axum::http::{Method, StatusCode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::config::Faults;
use super::sync::lock;

/// The 5xx statuses a server error fault picks from, uniformly.
const SERVER_ERROR_STATUSES: [StatusCode; 4] = [
    StatusCode::INTERNAL_SERVER_ERROR,
    StatusCode::BAD_GATEWAY,
    StatusCode::SERVICE_UNAVAILABLE,
    StatusCode::GATEWAY_TIMEOUT,
];

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer this 5xx without touching state; a 503 may carry `Retry-After`.
    ServerError {
        status: StatusCode,
        retry_after: bool,
    },
    /// Answer 429 without touching state, with or without `Retry-After`.
    Throttle { retry_after: bool },
    /// Drop the connection without running the write.
    DropBeforeCommit,
    /// Run the write, then drop the connection instead of answering.
    DropAfterCommit,
}

/// The configured rates and the seeded generator they are drawn from.
pub(crate) struct FaultInjector {
    faults: Faults,
    random: Mutex<StdRng>,
}

impl FaultInjector {
    pub(crate) fn new(faults: Faults) -> FaultInjector {
        FaultInjector {
            random: Mutex::new(StdRng::seed_from_u64(faults.seed)),
            faults,
        }
    }

    /// Whether any fault can happen at all; when not, requests skip this layer entirely.
    pub(crate) fn active(&self) -> bool {
        let faults = &self.faults;
        [
            faults.server_error_rate,
            faults.throttle_rate,
            faults.drop_before_commit_rate,
            faults.drop_after_commit_rate,
        ]
        .iter()
        .any(|rate| *rate > 0.0)
    }

    /// The fault for the next request, if any. Drops only ever hit writes.
    pub(crate) fn draw(&self, write: bool) -> Option<Fault> {
        // A fixed number of draws per request keeps the sequence aligned whatever happens.
        let (
            server_error,
            status,
            error_retry_after,
            throttle,
            throttle_retry_after,
            before,
            after,
        ) = {
            let mut random = lock(&self.random);
            (
                random.gen::<f64>(),
                random.gen_range(0..SERVER_ERROR_STATUSES.len()),
                random.gen::<bool>(),
                random.gen::<f64>(),
                random.gen::<bool>(),
                random.gen::<f64>(),
                random.gen::<f64>(),
            )
        };
        let faults = &self.faults;
        if server_error < faults.server_error_rate {
            let status = SERVER_ERROR_STATUSES[status];
            return Some(Fault::ServerError {
                status,
                retry_after: status == StatusCode::SERVICE_UNAVAILABLE && error_retry_after,
            });
        }
        if throttle < faults.throttle_rate {
            return Some(Fault::Throttle {
                retry_after: throttle_retry_after,
            });
        }
        if write && before < faults.drop_before_commit_rate {
            return Some(Fault::DropBeforeCommit);
        }
        if write && after < faults.drop_after_commit_rate {
            return Some(Fault::DropAfterCommit);
        }
        None
    }
}

/// Whether a request is a write that drops may hit: a create (`POST`) or an update (`PUT`),
/// never a search.
pub(crate) fn is_write(method: &Method, path: &str) -> bool {
    (*method == Method::POST && !path.ends_with("/search/")) || *method == Method::PUT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn injector(faults: Faults) -> FaultInjector {
        FaultInjector::new(faults)
    }

    #[test]
    fn no_rates_means_inactive_and_no_faults() {
        let injector = injector(Faults::default());
        assert!(!injector.active());
        assert!((0..1000).all(|index| injector.draw(index % 2 == 0).is_none()));
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let faults = Faults {
            seed: 42,
            server_error_rate: 0.2,
            throttle_rate: 0.2,
            drop_before_commit_rate: 0.2,
            drop_after_commit_rate: 0.2,
        };
        let sequence = |injector: FaultInjector| -> Vec<Option<Fault>> {
            (0..200)
                .map(|index| injector.draw(index % 3 == 0))
                .collect()
        };
        let first = sequence(injector(faults.clone()));
        assert_eq!(first, sequence(injector(faults.clone())));
        let other = sequence(injector(Faults { seed: 43, ..faults }));
        assert_ne!(first, other);
    }

    #[test]
    fn rates_are_roughly_honoured_and_drops_hit_only_writes() {
        let injector = injector(Faults {
            seed: 7,
            server_error_rate: 0.1,
            drop_after_commit_rate: 1.0,
            ..Faults::default()
        });
        let draws: Vec<_> = (0..2000).map(|_| injector.draw(false)).collect();
        let errors = draws
            .iter()
            .filter(|fault| matches!(fault, Some(Fault::ServerError { .. })))
            .count();
        assert!((150..=250).contains(&errors), "{errors}");
        assert_eq!(draws.iter().flatten().count(), errors);
        let mut statuses: Vec<_> = draws
            .iter()
            .filter_map(|fault| match fault {
                Some(Fault::ServerError { status, .. }) => Some(status.as_u16()),
                _ => None,
            })
            .collect();
        statuses.sort_unstable();
        statuses.dedup();
        assert_eq!(statuses, [500, 502, 503, 504]);
        assert!(draws.iter().any(|fault| matches!(
            fault,
            Some(Fault::ServerError {
                retry_after: true,
                ..
            })
        )));
        assert!(draws.iter().all(|fault| !matches!(
            fault,
            Some(Fault::ServerError {
                status,
                retry_after: true,
            }) if *status != StatusCode::SERVICE_UNAVAILABLE
        )));
        // Every write that escapes a server error is dropped after commit at rate 1.
        let write = injector.draw(true);
        assert!(
            matches!(
                write,
                Some(Fault::DropAfterCommit) | Some(Fault::ServerError { .. })
            ),
            "{write:?}"
        );
    }

    #[test]
    fn searches_are_not_writes() {
        assert!(is_write(&Method::POST, "/api/csoar/v3/incidents/"));
        assert!(is_write(&Method::PUT, "/api/csoar/v3/triage/5001/"));
        assert!(!is_write(&Method::POST, "/api/csoar/v3/incidents/search/"));
        assert!(!is_write(&Method::GET, "/api/csoar/v3/incidents/101/"));
    }
}
