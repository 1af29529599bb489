//! Request-level middleware that is not authentication: the request log and added latency.
//! Rate limits, concurrency limits and fault injection belong in this layer stack too (see
//! `app` in `mod.rs`), so handlers never need to know about them.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::state::SimState;

/// Logs every request in arrival order, then the status it was answered with.
pub(crate) async fn record_requests(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let index = state.begin_request(request.method().as_str(), request.uri().path());
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
