//! Request-level middleware that is not authentication: the request log, the gateway's limits,
//! added latency and fault injection (see `app` in `mod.rs` for their order), so handlers never
//! need to know about them.

use std::sync::atomic::Ordering;
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
use super::record::DropKind;
use super::routes::BASE_PATHS;
use super::state::{Counters, SimState};

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
    // Per user: the admission of this request's credential (by its `Authorization` header).
    let own = state.admissions_per_user.as_ref().map(|table| {
        let caller = request
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let mut table = super::sync::lock(table);
        Arc::clone(table.entry(caller).or_insert_with(|| {
            Arc::new(super::limits::Admission::new(
                state.limits.requests_per_second,
                state.limits.max_concurrency,
            ))
        }))
    });
    let admission = own.as_deref().unwrap_or(&state.admission);
    let refusal = match admission.admit(Instant::now()) {
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
    if !is_api_path(request.uri().path()) {
        return next.run(request).await;
    }
    if is_create(request.method(), request.uri().path())
        && state.quirks.late_commits > 0
        && state.late_commits_made.fetch_add(1, Ordering::Relaxed) < state.quirks.late_commits
    {
        let Some(connection) = connection(&request) else {
            return cannot_drop();
        };
        let delay = state.quirks.late_commit_delay;
        // The write runs on after its connection is gone, as on a server that commits late.
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = next.run(request).await;
        });
        return dropped(&connection, DropKind::CommittedLate);
    }
    if !state.faults.active() {
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

/// Whether the request creates an object (a POST that is not a search).
fn is_create(method: &axum::http::Method, path: &str) -> bool {
    is_write(method, path) && *method == axum::http::Method::POST
}

/// With [`super::Quirks::echo_errors`]: an error answer's message echoes the request's
/// `Authorization` header and body as sent, JSON-escaped, URL-encoded and lower-cased, as
/// misconfigured gateways and debug pages do. Other answers pass unchanged.
pub(crate) async fn echo_errors(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    if !state.quirks.echo_errors {
        return next.run(request).await;
    }
    let authorization = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::bad_request("the request body could not be read").into_response();
    };
    let sent = String::from_utf8_lossy(&bytes).into_owned();
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<DropKind>().is_some()
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::internal("the error answer could not be read").into_response();
    };
    let mut answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(
        |_| serde_json::json!({"error": status.canonical_reason().unwrap_or("Error")}),
    );
    let echo = format!(
        "you sent `Authorization: {authorization}` and `{sent}`; escaped: `{}` `{}`; url-encoded: `{}` `{}`; lower-cased: `{}` `{}`",
        json_ascii(&authorization),
        json_ascii(&sent),
        url_encoded(&authorization),
        url_encoded(&sent),
        authorization.to_lowercase(),
        sent.to_lowercase()
    );
    let key = if answer.get("message").is_some() {
        "message"
    } else {
        "description"
    };
    let before = answer
        .get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string();
    answer[key] = serde_json::Value::String(format!("{before} ({echo})"));
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(answer.to_string()))
}

/// `text` with every character outside printable ASCII written as a JSON `\uXXXX` escape.
fn json_ascii(text: &str) -> String {
    let mut out = String::new();
    for character in text.chars() {
        if character.is_ascii() && !character.is_ascii_control() {
            out.push(character);
        } else {
            let mut units = [0u16; 2];
            for unit in character.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// `text` percent-encoded as in a form or query string.
fn url_encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
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
