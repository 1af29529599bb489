//! The two error shapes the simulator answers with: application errors
//! (`{"error", "description"}`) and gateway errors (`{"status", "id", "code", "message"}`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::json;

/// An application error: a status and a description saying what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) description: String,
    /// The `Allow` header of a 405.
    pub(crate) allow: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, description: impl Into<String>) -> ApiError {
        ApiError {
            status,
            description: description.into(),
            allow: None,
        }
    }

    /// 400: malformed JSON, an invalid field value, a bad filter or page.
    pub(crate) fn bad_request(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, description)
    }

    /// 403: the credential may not do this (read-only mode).
    pub(crate) fn forbidden(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, description)
    }

    /// 404: no such endpoint or object.
    pub(crate) fn not_found(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, description)
    }

    /// 405 with an `Allow` header listing `allow`.
    pub(crate) fn method_not_allowed(method: &str, path: &str, allow: &'static str) -> ApiError {
        ApiError {
            allow: Some(allow),
            ..ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method `{method}` is not allowed on `{path}` (allowed: {allow})"),
            )
        }
    }

    /// 415: a body that is not declared as `application/json`.
    pub(crate) fn unsupported_media_type(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, description)
    }

    /// 500: the simulator itself failed (for example, saving its state file).
    pub(crate) fn internal(description: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, description)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.status.canonical_reason().unwrap_or("Error");
        let body = json!({"error": error, "description": self.description});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(allow) = self.allow {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// A gateway error (401, 429) as Sumo's API gateway shapes it, with a fresh random `id`.
pub(crate) fn gateway_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "status": status.as_u16(),
        "id": gateway_error_id(),
        "code": code,
        "message": message,
    });
    (status, Json(body)).into_response()
}

/// The 401 answered to missing or wrong credentials.
pub(crate) fn unauthorized() -> Response {
    gateway_error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Credential could not be verified.",
    )
}

/// An id like `K2JD9-QW7HA-0PLMX`, the form the gateway uses to correlate errors.
fn gateway_error_id() -> String {
    let characters: Vec<char> = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(15)
        .map(|byte| char::from(byte).to_ascii_uppercase())
        .collect();
    characters
        .chunks(5)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}
