//! Request-level middleware that is not authentication: the request log and added latency.
//! Rate limits, concurrency limits and fault injection belong in this layer stack too (see
//! `app` in `mod.rs`), so handlers never need to know about them.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use axum::response::IntoResponse as _;

use super::error::ApiError;
use super::state::SimState;

/// The largest request body the simulator reads (a search or a write is a few kilobytes).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Logs every request in arrival order (with its JSON body), then the status it was answered with.
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
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {MAX_BODY_BYTES} bytes or could not be read"
                ),
            )
            .into_response();
            state.finish_request(index, response.status().as_u16());
            return response;
        }
    };
    let json = serde_json::from_slice(&bytes).ok();
    let index = state.begin_request(parts.method.as_str(), parts.uri.path(), json);
    let request = Request::from_parts(parts, Body::from(bytes));
    let response = next.run(request).await;
    state.finish_request(index, response.status().as_u16());
    response
}

/// Waits the configured latency before the request is handled.
pub(crate) async fn add_latency(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
    }
    next.run(request).await
}
