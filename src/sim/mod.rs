//! The bundled Cloud SOAR simulator: the API profile of the internal contract on both base paths,
//! with the default catalog, used by `--sandbox`, `soarform sim` and the tests.
//!
//! [`SimServer`] runs it on its own thread (tests, `--sandbox`); [`serve`] runs it on the caller's
//! runtime (`soarform sim`).

mod auth;
mod catalog;
mod error;
mod filter;
mod middleware;
mod routes;
mod state;
mod store;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::middleware::from_fn_with_state;
use axum::Router;
use rand::distributions::Alphanumeric;
use rand::Rng;
use tokio::sync::{oneshot, watch};

use crate::kind::Kind;
use state::SimState;

/// How long in-flight requests may take to finish after shutdown was asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How the simulator is run.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The credentials accepted; nothing else is.
    pub credentials: Credentials,
    /// Loaded at start if it exists; saved after every write (temporary file, then rename);
    /// missing parent directories are created.
    pub state_file: Option<PathBuf>,
    /// Added before answering every request.
    pub latency: Duration,
    /// Answer every create and update with 403 (searches and reads still work).
    pub read_only: bool,
}

impl SimConfig {
    /// A config accepting `credentials`, without state file, latency or read-only mode.
    pub fn new(credentials: Credentials) -> SimConfig {
        SimConfig {
            credentials,
            state_file: None,
            latency: Duration::ZERO,
            read_only: false,
        }
    }
}

/// The credentials the simulator accepts: a bearer token, and/or a Sumo access id + key for
/// Basic auth (both needed). With none, every request is refused.
#[derive(Clone, Default)]
pub struct Credentials {
    /// Accepted as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// With `access_key`, accepted as `Authorization: Basic base64(id:key)`.
    pub access_id: Option<String>,
    /// With `access_id`, accepted as `Authorization: Basic base64(id:key)`.
    pub access_key: Option<String>,
}

impl fmt::Debug for Credentials {
    /// Shows which credentials are set, never their values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("Credentials")
            .field("token", &redacted(&self.token))
            .field("access_id", &redacted(&self.access_id))
            .field("access_key", &redacted(&self.access_key))
            .finish()
    }
}

/// A random token of 43 URL-safe characters, for a simulator started without credentials.
pub fn generate_token() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(43)
        .map(char::from)
        .collect()
}

/// One HTTP request the simulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without query, e.g. `/api/csoar/v3/incidents/search/`.
    pub path: String,
    /// The status answered; `0` while the request is still being answered, or if the
    /// connection went away before an answer.
    pub status: u16,
    /// The request body when it was JSON (writes and searches), for tests that check exactly
    /// what a client sent.
    pub body: Option<serde_json::Value>,
}

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

    /// Every incident in the read shape of the contract, by id.
    pub fn incidents(&self) -> Vec<serde_json::Value> {
        self.objects(Kind::Incident)
    }

    /// Every triage item in the read shape of the contract, by id.
    pub fn triage_items(&self) -> Vec<serde_json::Value> {
        self.objects(Kind::TriageItem)
    }

    fn objects(&self, kind: Kind) -> Vec<serde_json::Value> {
        self.state.read(|store| {
            store
                .all(kind)
                .map(|object| object.render(kind, None))
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
    let server = axum::serve(listener, app(state))
        .with_graceful_shutdown(wait_until_stopped(stopped.clone()))
        .into_future();
    tokio::select! {
        result = server => result,
        () = async {
            wait_until_stopped(stopped).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    }
}

async fn wait_until_stopped(mut stopped: watch::Receiver<bool>) {
    // An error means the sender is gone, which only happens once the runtime shuts down.
    let _ = stopped.wait_for(|stopped| *stopped).await;
}

/// The routes wrapped in the request layers. Layers run outermost first: the request log sees
/// every request, latency applies to all of them, and authentication runs just outside the
/// routes. Rate limits, concurrency limits and fault injection belong between latency and
/// authentication, so that refused and faulted requests are logged too.
fn app(state: Arc<SimState>) -> Router {
    routes::router()
        .layer(from_fn_with_state(Arc::clone(&state), auth::authenticate))
        .layer(from_fn_with_state(
            Arc::clone(&state),
            middleware::add_latency,
        ))
        .layer(from_fn_with_state(
            Arc::clone(&state),
            middleware::record_requests,
        ))
        .with_state(state)
}
