//! The two error shapes the simulator answers with: application errors
//! (`{"error", "description"}`) and gateway errors (`{"status", "id", "code", "message"}`).

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::json;

use super::config::RetryAfter;

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

/// A 429 `rate.limit.exceeded` in the gateway shape, with `Retry-After` when given one.
pub(crate) fn too_many_requests(message: &str, retry_after: Option<HeaderValue>) -> Response {
    let mut response = gateway_error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate.limit.exceeded",
        message,
    );
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The `Retry-After` value asking a client to wait at least `wait` (and at least one second),
/// in the configured form; `None` for [`RetryAfter::None`].
pub(crate) fn retry_after(
    form: RetryAfter,
    wait: Duration,
    now: DateTime<Utc>,
) -> Option<HeaderValue> {
    // Whole seconds, rounded up, at least 1.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    match form {
        RetryAfter::None => None,
        RetryAfter::Seconds => Some(HeaderValue::from(seconds)),
        RetryAfter::HttpDate => {
            // Rounded up to the next whole second, so the date is never earlier than asked.
            let whole = now.timestamp() + i64::from(now.timestamp_subsec_nanos() > 0);
            let seconds = i64::try_from(seconds).unwrap_or(i64::MAX / 2);
            let date = DateTime::<Utc>::from_timestamp(whole.saturating_add(seconds), 0)?;
            HeaderValue::from_str(&date.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
        }
    }
}

/// An injected 5xx in the application shape, saying it was injected.
pub(crate) fn injected_server_error(
    status: StatusCode,
    retry_after: Option<HeaderValue>,
) -> Response {
    let mut response = ApiError::new(
        status,
        format!(
            "injected fault: the simulator answers {} to this request without handling it",
            status.as_u16()
        ),
    )
    .into_response();
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("date").to_utc()
    }

    #[test]
    fn retry_after_is_rounded_up_in_both_forms() {
        let now = at("2026-11-20T09:00:00.250Z");
        let value = |form, wait| {
            retry_after(form, wait, now).map(|value| value.to_str().expect("ascii").to_string())
        };
        assert_eq!(
            value(RetryAfter::Seconds, Duration::from_millis(10)).as_deref(),
            Some("1")
        );
        assert_eq!(
            value(RetryAfter::Seconds, Duration::from_millis(1500)).as_deref(),
            Some("2")
        );
        assert_eq!(
            value(RetryAfter::Seconds, Duration::from_secs(3)).as_deref(),
            Some("3")
        );
        // 09:00:00.250 rounds up to 09:00:01, plus one second.
        assert_eq!(
            value(RetryAfter::HttpDate, Duration::from_millis(900)).as_deref(),
            Some("Fri, 20 Nov 2026 09:00:02 GMT")
        );
        assert_eq!(value(RetryAfter::None, Duration::from_secs(1)), None);
    }
}
