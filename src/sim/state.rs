//! The state shared by every request: configuration, the store, the request log, the limits,
//! the fault generator and the counters.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::config::{Credentials, Limits, Quirks, ReadShape, SimConfig};
use super::error::ApiError;
use super::faults::FaultInjector;
use super::journal::Journal;
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
    /// More users' Bearer tokens (`SimConfig::other_users`).
    pub(crate) other_users: Vec<String>,
    /// With `SimConfig::limits_per_user`: one admission per `Authorization` header.
    pub(crate) admissions_per_user:
        Option<Mutex<std::collections::HashMap<String, std::sync::Arc<Admission>>>>,
    pub(crate) faults: FaultInjector,
    pub(crate) quirks: Quirks,
    /// How objects are shown on read (from the quirks).
    pub(crate) shape: ReadShape,
    /// How many creates were made late so far (see [`Quirks::late_commits`]).
    pub(crate) late_commits_made: AtomicU64,
    pub(crate) counters: Counters,
    store: Mutex<Held>,
    requests: Mutex<Vec<RecordedRequest>>,
}

/// The store and, with a state file, where that file stands: one lock, so that a write and its
/// line in the file are made together.
struct Held {
    store: Store,
    journal: Option<Journal>,
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
        let (store, journal) = match &config.state_file {
            Some(path) => {
                let (store, journal) = Journal::open(path)?;
                (store, Some(journal))
            }
            None => (Store::new(), None),
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
            other_users: config.other_users.clone(),
            admissions_per_user: config
                .limits_per_user
                .then(|| Mutex::new(std::collections::HashMap::new())),
            faults: FaultInjector::new(config.faults),
            shape: ReadShape::of(&config.quirks),
            quirks: config.quirks,
            late_commits_made: AtomicU64::new(0),
            counters: Counters::default(),
            store: Mutex::new(Held { store, journal }),
            requests: Mutex::new(Vec::new()),
        })
    }

    /// Runs `read` on the store.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Store) -> T) -> T {
        read(&lock(&self.store).store)
    }

    /// Runs `write` on the store and saves what it changed to the state file (its journal, see
    /// `journal.rs`). With a state file, the change is kept only if `write` succeeds and the file
    /// is saved, and undone otherwise, so the file and the memory never disagree.
    pub(crate) fn write<T>(
        &self,
        write: impl FnOnce(&mut Store) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut held = lock(&self.store);
        let Held { store, journal } = &mut *held;
        let result = write(store);
        let changes = store.take_changes();
        let Some(journal) = journal else {
            return result;
        };
        let value = match result {
            Ok(value) => value,
            Err(error) => {
                store.undo(changes);
                return Err(error);
            }
        };
        if let Err(error) = journal.record(store, &changes) {
            store.undo(changes);
            return Err(ApiError::internal(format!(
                "could not save the simulator state to `{}`: {error}",
                journal.path().display()
            )));
        }
        Ok(value)
    }

    /// On a clean shutdown: folds the state file's journal into its snapshot, so that the file is
    /// a plain snapshot again (a read-only simulator never writes its file).
    pub(crate) fn close(&self) {
        if self.read_only {
            return;
        }
        let mut held = lock(&self.store);
        let Held { store, journal } = &mut *held;
        if let Some(journal) = journal.as_mut().filter(|journal| journal.has_journal()) {
            if let Err(error) = journal.compact(store) {
                tracing::warn!(
                    "could not compact the simulator state `{}`: {error}; its journal is kept",
                    journal.path().display()
                );
            }
        }
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use chrono::Utc;
    use serde_json::{json, Value};

    use super::*;
    use crate::kind::Kind;
    use crate::sim::config::Credentials;
    use crate::sim::store::parse_field_changes;

    fn state(path: &Path) -> SimState {
        SimState::new(SimConfig {
            state_file: Some(path.to_path_buf()),
            ..SimConfig::new(Credentials::default())
        })
        .expect("starts")
    }

    fn create(state: &SimState, key: &str) -> Result<u64, ApiError> {
        let Value::Object(fields) = json!({"incidentid": key}) else {
            panic!("fields are an object")
        };
        let changes = parse_field_changes(Kind::Incident, &fields).expect("valid fields");
        state.write(|store| Ok(store.create(Kind::Incident, Some(1), changes, "api", Utc::now())))
    }

    fn keys(state: &SimState) -> Vec<String> {
        state.read(|store| {
            store
                .all(Kind::Incident)
                .map(|object| {
                    object.render(Kind::Incident, None, &ReadShape::stored())["fields"]
                        ["incidentid"]["value"]
                        .to_string()
                })
                .collect()
        })
    }

    #[test]
    fn an_answered_write_is_in_the_file_without_a_clean_shutdown() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        let first = state(&path);
        for key in ["a", "b", "c"] {
            create(&first, key).expect("created");
        }
        // Another simulator loading the file now sees what a killed one would have left.
        let second = state(&path);
        assert_eq!(keys(&second), keys(&first));
        assert_eq!(keys(&second).len(), 3);
        drop(second);
        // A clean shutdown leaves a plain snapshot.
        first.close();
        let text = std::fs::read_to_string(&path).expect("reads");
        let snapshot = Store::from_json(&text).expect("a plain snapshot");
        assert_eq!(snapshot.all(Kind::Incident).count(), 3);
    }

    #[test]
    fn a_write_the_file_refuses_is_undone_in_memory() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let blocker: PathBuf = directory.path().join("sub");
        let path = blocker.join("state.json");
        let state = state(&path);
        std::fs::write(&blocker, "not a directory").expect("writes");
        let error = match create(&state, "lost") {
            Ok(id) => panic!("created {id}"),
            Err(error) => error,
        };
        assert_eq!(error.status, axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        assert!(keys(&state).is_empty());
        std::fs::remove_file(&blocker).expect("removes");
        assert_eq!(create(&state, "kept").expect("created"), 101);

        // Once the file exists, a failed append (or rewrite) is undone too: a directory where the
        // file was refuses both, to root as well.
        create(&state, "appended").expect("created");
        let aside = directory.path().join("aside.json");
        std::fs::rename(&path, &aside).expect("moves the file aside");
        std::fs::create_dir(&path).expect("a directory in its place");
        assert!(create(&state, "refused").is_err());
        assert_eq!(keys(&state), ["\"kept\"", "\"appended\""]);
        std::fs::remove_dir(&path).expect("removes the directory");
        std::fs::rename(&aside, &path).expect("moves the file back");
        assert_eq!(create(&state, "after").expect("created"), 103);
        let reloaded = super::Journal::open(&path).expect("opens").0;
        assert_eq!(
            reloaded,
            state.read(Clone::clone),
            "the file and the memory agree"
        );
    }
}
