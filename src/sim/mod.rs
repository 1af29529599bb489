//! The bundled Cloud SOAR simulator: the API profile of the internal contract on both base paths,
//! with the default catalog, used by `--sandbox`, `soarform sim` and the tests.
//!
//! [`SimServer`] runs it on its own thread (tests, `--sandbox`); [`serve`] runs it on the caller's
//! runtime (`soarform sim`).
//!
//! Like the real service behind Sumo's gateway, it can add latency, enforce a requests-per-second
//! limit and a concurrency limit (429 `rate.limit.exceeded`, with `Retry-After` in seconds, as an
//! HTTP date, or without), and inject seeded faults: 5xx answers, random 429s, and writes whose
//! connection is dropped before or after they are committed ([`SimConfig::limits`],
//! [`SimConfig::faults`]). A dropped connection is a real transport failure: the socket is closed
//! without a byte of the answer (see `connection.rs`). [`SimServer::requests`] and
//! [`SimServer::stats`] show what was answered.

mod auth;
mod catalog;
mod config;
mod connection;
mod error;
mod faults;
mod filter;
mod index;
mod journal;
mod limits;
mod middleware;
mod options;
mod record;
mod routes;
mod state;
mod store;
mod sync;

// What the tests and benchmarks drive the simulator with is public; the rest serves the crate.
pub use config::{
    generate_token, Credentials, DateDisplay, Faults, Limits, Quirks, RetryAfter, SimConfig,
};
pub(crate) use config::{is_concurrency_limit, is_fault_rate, is_rate_limit};
pub(crate) use options::{load_options_file, SimOptions};
pub use record::{DropKind, RecordedRequest, SimStats};

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::middleware::from_fn_with_state;
use axum::Router;
use tokio::sync::{oneshot, watch};

use crate::kind::Kind;
use config::ReadShape;
use connection::{Connection, SimListener};
use state::SimState;

/// How long in-flight requests may take to finish after shutdown was asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A simulator serving on its own thread and tokio runtime; stops when dropped.
pub struct SimServer {
    address: SocketAddr,
    state: Arc<SimState>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl SimServer {
    /// Binds `listen` (e.g. `127.0.0.1:0`), starts serving on its own thread with its own tokio
    /// runtime, and returns once it accepts connections. Fails if the address cannot be bound or
    /// the state file cannot be loaded.
    pub fn start(config: SimConfig, listen: SocketAddr) -> io::Result<SimServer> {
        let state = Arc::new(SimState::new(config)?);
        let listener = std::net::TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let (shutdown, shutdown_received) = oneshot::channel::<()>();
        let (ready_sender, ready) = std::sync::mpsc::channel::<io::Result<()>>();
        let thread_state = Arc::clone(&state);
        // The runtime is built, used and dropped on the server thread only: dropping a runtime
        // inside the caller's async context (the sandbox) would panic.
        let thread = std::thread::Builder::new()
            .name(format!("soarform-sim-{}", address.port()))
            .spawn(move || {
                let (runtime, listener) = match serving_runtime(listener) {
                    Ok(ready) => ready,
                    Err(error) => {
                        let _ = ready_sender.send(Err(error));
                        return Ok(());
                    }
                };
                let _ = ready_sender.send(Ok(()));
                runtime.block_on(serve_state(thread_state, listener, async move {
                    // A dropped sender also means stop.
                    let _ = shutdown_received.await;
                }))
            })?;
        let started = ready.recv().unwrap_or_else(|_| {
            Err(io::Error::other(
                "the simulator thread stopped while starting",
            ))
        });
        if let Err(error) = started {
            let _ = thread.join();
            return Err(error);
        }
        Ok(SimServer {
            address,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.address
    }

    /// `http://ADDRESS`, without trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every HTTP request received so far, in arrival order, including refused ones.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Counters of requests, refusals, injected faults and requests in flight.
    pub fn stats(&self) -> SimStats {
        self.state.stats()
    }

    /// Every incident as stored, by id: wrapped fields nested under `fields`, dates in RFC 3339
    /// (whatever shape the wire shows, so that tests check what is held).
    pub fn incidents(&self) -> Vec<serde_json::Value> {
        self.objects(Kind::Incident)
    }

    /// Every triage item as stored, by id (the shape of [`SimServer::incidents`]).
    pub fn triage_items(&self) -> Vec<serde_json::Value> {
        self.objects(Kind::TriageItem)
    }

    fn objects(&self, kind: Kind) -> Vec<serde_json::Value> {
        self.state.read(|store| {
            store
                .all(kind)
                .map(|object| object.render(kind, None, &ReadShape::stored()))
                .collect()
        })
    }
}

/// A runtime for the server thread and the listener registered with it. The listener has been
/// listening since `bind`, so connections made from now on are accepted.
fn serving_runtime(
    listener: std::net::TcpListener,
) -> io::Result<(tokio::runtime::Runtime, tokio::net::TcpListener)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listener = {
        let _context = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    Ok((runtime, listener))
}

impl fmt::Debug for SimServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            match thread.join() {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!("simulator stopped with an error: {error}"),
                Err(_) => tracing::warn!("simulator thread panicked"),
            }
        }
    }
}

/// Serves the simulator on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish (for at most two seconds). Fails if the state file cannot be loaded. For
/// `soarform sim`, which prints its listening line itself after binding.
pub async fn serve(
    config: SimConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let state = Arc::new(SimState::new(config)?);
    serve_state(state, listener, shutdown).await
}

async fn serve_state(
    state: Arc<SimState>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let service = app(Arc::clone(&state)).into_make_service_with_connect_info::<Connection>();
    let server = axum::serve(SimListener::new(listener), service)
        .with_graceful_shutdown(wait_until_stopped(stopped.clone()))
        .into_future();
    let served = tokio::select! {
        result = server => result,
        () = async {
            wait_until_stopped(stopped).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    };
    // A write still running now takes the same lock and stays consistent with the file.
    state.close();
    served
}

async fn wait_until_stopped(mut stopped: watch::Receiver<bool>) {
    // An error means the sender is gone, which only happens once the runtime shuts down.
    let _ = stopped.wait_for(|stopped| *stopped).await;
}

/// The routes wrapped in the request layers. Layers run outermost first:
///
/// 1. the request log sees every request and records what was answered (or that the connection
///    was dropped); with [`Quirks::echo_errors`], error answers then echo what was sent;
/// 2. the limits (API paths only) admit the request or answer 429 after the latency; an
///    admitted request counts as in flight from here until its answer is ready;
/// 3. latency is added;
/// 4. faults (API paths only) answer 5xx or 429, or drop a write's connection before or after
///    the routes commit it;
/// 5. authentication answers 401;
/// 6. the routes.
///
/// So a 429 or an injected fault never depends on credentials, as with a gateway in front of
/// the service, and nothing refused or faulted before the routes touches state.
fn app(state: Arc<SimState>) -> Router {
    routes::router()
        .layer(from_fn_with_state(Arc::clone(&state), auth::authenticate))
        .layer(from_fn_with_state(
            Arc::clone(&state),
            middleware::inject_faults,
        ))
        .layer(from_fn_with_state(
            Arc::clone(&state),
            middleware::add_latency,
        ))
        .layer(from_fn_with_state(
            Arc::clone(&state),
            middleware::enforce_limits,
        ))
        .layer(from_fn_with_state(
            Arc::clone(&state),
            middleware::echo_errors,
        ))
        .layer(from_fn_with_state(
            Arc::clone(&state),
            middleware::record_requests,
        ))
        .with_state(state)
}
