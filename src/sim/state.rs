//! The state shared by every request: configuration, the store and the request log.

use std::io;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::error::ApiError;
use super::store::Store;
use super::{Credentials, RecordedRequest, SimConfig};

/// Everything a handler or middleware may need; shared behind an `Arc`.
pub(crate) struct SimState {
    pub(crate) credentials: Credentials,
    pub(crate) latency: Duration,
    pub(crate) read_only: bool,
    state_file: Option<PathBuf>,
    store: Mutex<Store>,
    requests: Mutex<Vec<RecordedRequest>>,
}

/// Locks a mutex even if a panicking thread poisoned it: the data is still consistent because
/// every change is made on a copy or after validation.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SimState {
    /// Builds the state, loading the state file when there is one.
    pub(crate) fn new(config: SimConfig) -> io::Result<SimState> {
        let store = match &config.state_file {
            Some(path) => Store::load(path)?,
            None => Store::new(),
        };
        Ok(SimState {
            credentials: config.credentials,
            latency: config.latency,
            read_only: config.read_only,
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
        let mut requests = lock(&self.requests);
        requests.push(RecordedRequest {
            method: method.to_string(),
            path: path.to_string(),
            status: 0,
            body,
        });
        requests.len() - 1
    }

    /// Records the status a logged request was answered with.
    pub(crate) fn finish_request(&self, index: usize, status: u16) {
        if let Some(request) = lock(&self.requests).get_mut(index) {
            request.status = status;
        }
    }

    /// Every logged request, in arrival order.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }
}
