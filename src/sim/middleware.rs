//! Request-level middleware that is not authentication: the request log, the gateway's limits,
//! added latency and fault injection (see `app` in `mod.rs` for their order), so handlers never
//! need to know about them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::IntoResponse as _;
use axum::response::Response;
use chrono::Utc;

use super::connection::Connection;
use super::error::{injected_server_error, retry_after, too_many_requests, ApiError};
use super::faults::{is_write, Fault};
use super::limits::Refusal;
use super::routes::BASE_PATHS;
use super::state::{Counters, SimState};
use super::DropKind;

/// The largest request body the simulator reads (a search or a write is a few kilobytes).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// What a concurrency 429 and an injected 429 or 503 ask a client to wait.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Logs every request in arrival order (with its JSON body), then the status it was answered
/// with, or that its connection was dropped.
pub(crate) async fn record_requests(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let index = state.begin_request(parts.method.as_str(), parts.uri.path(), None);
            let response = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {MAX_BODY_BYTES} bytes or could not be read"
                ),
            )
            .into_response();
            state.finish_request(index, response.status().as_u16(), None);
            return response;
        }
    };
    let json = serde_json::from_slice(&bytes).ok();
    let index = state.begin_request(parts.method.as_str(), parts.uri.path(), json);
    let request = Request::from_parts(parts, Body::from(bytes));
    let response = next.run(request).await;
    let dropped = response.extensions().get::<DropKind>().copied();
    state.finish_request(index, response.status().as_u16(), dropped);
    response
}

/// Whether `path` is under one of the API base paths: only those are limited and faulted.
fn is_api_path(path: &str) -> bool {
    BASE_PATHS.iter().any(|base| path.starts_with(base))
}

/// Admits an API request under the rate and concurrency limits, or answers 429 (after the
/// latency) without going further. An admitted request is in flight until its answer is ready.
pub(crate) async fn enforce_limits(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    if !is_api_path(request.uri().path()) {
        return next.run(request).await;
    }
    let refusal = match state.admission.admit(Instant::now()) {
        Ok(slot) => {
            let response = next.run(request).await;
            drop(slot);
            return response;
        }
        Err(refusal) => refusal,
    };
    let limits = &state.limits;
    let (message, wait) = match refusal {
        Refusal::RateLimited(wait) => {
            Counters::count(&state.counters.rate_limited);
            let rate = limits.requests_per_second.unwrap_or_default();
            (
                format!("Rate limit exceeded: more than {rate} requests per second."),
                wait,
            )
        }
        Refusal::TooManyInFlight => {
            Counters::count(&state.counters.concurrency_limited);
            let concurrency = limits.max_concurrency.unwrap_or_default();
            (
                format!("Rate limit exceeded: more than {concurrency} concurrent requests."),
                DEFAULT_RETRY_AFTER,
            )
        }
    };
    wait_latency(&state).await;
    too_many_requests(&message, retry_after(limits.retry_after, wait, Utc::now()))
}

/// Waits the configured latency before the request is handled.
pub(crate) async fn add_latency(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    wait_latency(&state).await;
    next.run(request).await
}

async fn wait_latency(state: &SimState) {
    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
    }
}

/// Draws a fault for every API request when any fault rate is set, and acts on it: a 5xx or
/// 429 answered here, or a write's connection dropped before or after the routes commit it.
pub(crate) async fn inject_faults(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    if !state.faults.active() || !is_api_path(request.uri().path()) {
        return next.run(request).await;
    }
    let write = is_write(request.method(), request.uri().path());
    let Some(fault) = state.faults.draw(write) else {
        return next.run(request).await;
    };
    let form = state.limits.retry_after;
    match fault {
        Fault::ServerError {
            status,
            retry_after: with_retry_after,
        } => {
            Counters::count(&state.counters.server_errors);
            let value = with_retry_after
                .then(|| retry_after(form, DEFAULT_RETRY_AFTER, Utc::now()))
                .flatten();
            injected_server_error(status, value)
        }
        Fault::Throttle {
            retry_after: with_retry_after,
        } => {
            Counters::count(&state.counters.injected_throttles);
            let value = with_retry_after
                .then(|| retry_after(form, DEFAULT_RETRY_AFTER, Utc::now()))
                .flatten();
            too_many_requests("Rate limit exceeded.", value)
        }
        Fault::DropBeforeCommit => {
            let Some(connection) = connection(&request) else {
                return cannot_drop();
            };
            Counters::count(&state.counters.dropped_before_commit);
            dropped(&connection, DropKind::BeforeCommit)
        }
        Fault::DropAfterCommit => {
            let Some(connection) = connection(&request) else {
                return cannot_drop();
            };
            let response = next.run(request).await;
            // Only a committed write loses its answer; a refused one is answered as usual.
            if !response.status().is_success() {
                return response;
            }
            Counters::count(&state.counters.dropped_after_commit);
            dropped(&connection, DropKind::AfterCommit)
        }
    }
}

/// The connection the request arrived on.
fn connection(request: &Request) -> Option<Connection> {
    request
        .extensions()
        .get::<ConnectInfo<Connection>>()
        .map(|ConnectInfo(connection)| connection.clone())
}

/// Breaks the connection and returns an answer that is never written, marked for the log.
fn dropped(connection: &Connection, kind: DropKind) -> Response {
    connection.drop_connection();
    let mut response = StatusCode::SERVICE_UNAVAILABLE.into_response();
    response.extensions_mut().insert(kind);
    response
}

/// Only reachable if the router is served without the simulator's listener.
fn cannot_drop() -> Response {
    ApiError::internal("the simulator cannot drop this connection (served without its listener)")
        .into_response()
}
