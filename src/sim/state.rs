//! The state shared by every request: configuration, the store, the request log, the limits,
//! the fault generator and the counters.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::config::{Credentials, Limits, Quirks, ReadShape, SimConfig};
use super::error::ApiError;
use super::faults::FaultInjector;
use super::limits::Admission;
use super::record::{DropKind, RecordedRequest, SimStats};
use super::store::Store;
use super::sync::lock;

/// Everything a handler or middleware may need; shared behind an `Arc`. Every lock is held
/// briefly and never across an `.await`.
pub(crate) struct SimState {
    pub(crate) credentials: Credentials,
    pub(crate) latency: Duration,
    pub(crate) read_only: bool,
    pub(crate) limits: Limits,
    pub(crate) admission: Admission,
    pub(crate) faults: FaultInjector,
    pub(crate) quirks: Quirks,
    /// How objects are shown on read (from the quirks).
    pub(crate) shape: ReadShape,
    /// How many creates were made late so far (see [`Quirks::late_commits`]).
    pub(crate) late_commits_made: AtomicU64,
    pub(crate) counters: Counters,
    state_file: Option<PathBuf>,
    store: Mutex<Store>,
    requests: Mutex<Vec<RecordedRequest>>,
}

/// The counters behind [`SimStats`] that are not kept elsewhere.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) concurrency_limited: AtomicU64,
    pub(crate) injected_throttles: AtomicU64,
    pub(crate) server_errors: AtomicU64,
    pub(crate) dropped_before_commit: AtomicU64,
    pub(crate) dropped_after_commit: AtomicU64,
}

impl Counters {
    /// Adds one to `counter`.
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl SimState {
    /// Builds the state, loading the state file when there is one. Fails on limits or fault
    /// rates out of range.
    pub(crate) fn new(config: SimConfig) -> io::Result<SimState> {
        config
            .check()
            .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
        let store = match &config.state_file {
            Some(path) => Store::load(path)?,
            None => Store::new(),
        };
        Ok(SimState {
            credentials: config.credentials,
            latency: config.latency,
            read_only: config.read_only,
            limits: config.limits,
            admission: Admission::new(
                config.limits.requests_per_second,
                config.limits.max_concurrency,
            ),
            faults: FaultInjector::new(config.faults),
            shape: ReadShape::of(&config.quirks),
            quirks: config.quirks,
            late_commits_made: AtomicU64::new(0),
            counters: Counters::default(),
            state_file: config.state_file,
            store: Mutex::new(store),
            requests: Mutex::new(Vec::new()),
        })
    }

    /// Runs `read` on the store.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Store) -> T) -> T {
        read(&lock(&self.store))
    }

    /// Runs `write` on the store and saves the state file. The change is kept only if `write`
    /// succeeds and the file is saved, so the file and the memory never disagree.
    pub(crate) fn write<T>(
        &self,
        write: impl FnOnce(&mut Store) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut store = lock(&self.store);
        let Some(path) = &self.state_file else {
            return write(&mut store);
        };
        let mut changed = store.clone();
        let result = write(&mut changed)?;
        changed.save(path).map_err(|error| {
            ApiError::internal(format!(
                "could not save the simulator state to `{}`: {error}",
                path.display()
            ))
        })?;
        *store = changed;
        Ok(result)
    }

    /// Logs a request as it arrives (status `0` until answered) and returns its index.
    pub(crate) fn begin_request(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> usize {
        Counters::count(&self.counters.requests);
        let request = RecordedRequest {
            method: method.to_string(),
            path: path.to_string(),
            status: 0,
            body,
            dropped: None,
        };
        let mut requests = lock(&self.requests);
        requests.push(request);
        requests.len() - 1
    }

    /// Records the status a logged request was answered with, or that its connection was
    /// dropped (status 0).
    pub(crate) fn finish_request(&self, index: usize, status: u16, dropped: Option<DropKind>) {
        if let Some(request) = lock(&self.requests).get_mut(index) {
            request.status = if dropped.is_some() { 0 } else { status };
            request.dropped = dropped;
        }
    }

    /// The counters now.
    pub(crate) fn stats(&self) -> SimStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let counters = &self.counters;
        let rate_limited = read(&counters.rate_limited);
        let concurrency_limited = read(&counters.concurrency_limited);
        SimStats {
            requests: read(&counters.requests),
            throttled: rate_limited + concurrency_limited + read(&counters.injected_throttles),
            rate_limited,
            concurrency_limited,
            server_errors: read(&counters.server_errors),
            dropped_before_commit: read(&counters.dropped_before_commit),
            dropped_after_commit: read(&counters.dropped_after_commit),
            in_flight: self.admission.in_flight().current(),
            max_in_flight: self.admission.in_flight().highest(),
        }
    }

    /// Every logged request, in arrival order.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }
}
