//! The one HTTP client soarform talks to Cloud SOAR through: dialect, auth, paging, typed errors.

pub mod credential;
pub mod endpoints;
pub mod error;
pub mod limiter;
pub mod remote;
pub mod retry;
pub mod target;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::catalog::{Column, Template};
use crate::kind::Kind;

pub use credential::{Credential, Secret};
pub use endpoints::{Endpoints, Operation};
pub use error::ClientError;
pub use limiter::{Limiter, DEFAULT_MAX_CONCURRENCY, DEFAULT_REQUESTS_PER_SECOND};
pub use remote::RemoteObject;
pub use retry::RetryPolicy;
pub use target::Target;

/// After this many 500 answers to one request, it is not sent again.
const MAX_500_ATTEMPTS: u32 = 3;

/// The largest page the search endpoints accept.
pub const MAX_PAGE_SIZE: u32 = 500;
/// The page size used when `soarform.yaml` sets none: as large as the API allows, so reading N
/// objects takes about N / 500 searches.
pub const DEFAULT_PAGE_SIZE: u32 = MAX_PAGE_SIZE;

/// Tunables of the client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Objects per search page, 1..=500.
    pub page_size: u32,
    /// How long one request may take.
    pub timeout: Duration,
    /// Most requests started per second (`None`: no rate limit).
    pub requests_per_second: Option<f64>,
    /// Most requests in flight at once.
    pub max_concurrency: usize,
    /// How failed requests are retried.
    pub retry: RetryPolicy,
}

impl Default for ClientOptions {
    /// Sumo Logic's documented limits, the default page size, two minutes of retries.
    fn default() -> Self {
        ClientOptions {
            page_size: DEFAULT_PAGE_SIZE,
            timeout: Duration::from_secs(60),
            requests_per_second: Some(DEFAULT_REQUESTS_PER_SECOND),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            retry: RetryPolicy::default(),
        }
    }
}

/// A connection to one Cloud SOAR tenant.
pub struct Client {
    http: reqwest::Client,
    target: Target,
    credential: Credential,
    endpoints: Endpoints,
    options: ClientOptions,
    limiter: Limiter,
    requests: AtomicU64,
    retries: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("target", &self.target)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client; nothing is sent until the first request.
    pub fn new(
        target: Target,
        credential: Credential,
        endpoints: Endpoints,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .user_agent(concat!("soarform/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            // A 301 means the region or host is wrong; following it would turn a POST into a GET.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .build()
            .map_err(|error| ClientError::Transport {
                operation: Operation::IncidentTemplates,
                url: target.base_url().to_string(),
                message: error.to_string(),
            })?;
        let limiter = Limiter::new(options.requests_per_second, options.max_concurrency);
        Ok(Client {
            http,
            target,
            credential,
            endpoints,
            options,
            limiter,
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        })
    }

    /// Where this client sends requests.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// How many HTTP requests this client has sent (retries included).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// How many of those were retries.
    pub fn retry_count(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// The client's tunables.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// `GET incident_templates/`.
    pub async fn templates(&self) -> Result<Vec<Template>, ClientError> {
        let body = self
            .send(Operation::IncidentTemplates, Method::GET, None, None)
            .await?;
        parse(Operation::IncidentTemplates, body)
    }

    /// `GET incidents/columns/` or `GET triage/columns/`.
    pub async fn columns(&self, kind: Kind) -> Result<Vec<Column>, ClientError> {
        let operation = Operation::columns(kind);
        let body = self.send(operation, Method::GET, None, None).await?;
        parse(operation, body)
    }

    /// Runs a search and reads every page until a short one.
    pub async fn search(
        &self,
        kind: Kind,
        filter: &str,
        columns: &[String],
    ) -> Result<Vec<RemoteObject>, ClientError> {
        let operation = Operation::search(kind);
        let page_size = self.options.page_size.clamp(1, MAX_PAGE_SIZE);
        let mut found = Vec::new();
        for page_number in 1u64.. {
            let mut request = json!({
                "page_number": page_number,
                "page_size": page_size,
                "filter": filter,
            });
            if !columns.is_empty() {
                request["columns"] = json!(columns);
            }
            let body = self
                .send(operation, Method::POST, None, Some(&request))
                .await?;
            let Value::Array(items) = body else {
                return Err(ClientError::InvalidResponse {
                    operation,
                    message: format!("expected a JSON array, found {}", remote::type_name(&body)),
                });
            };
            let count = items.len();
            for item in &items {
                found.push(object(operation, item)?);
            }
            if count < page_size as usize {
                break;
            }
        }
        Ok(found)
    }

    /// `GET incidents/{id}/` or `GET triage/{id}/`.
    pub async fn get(&self, kind: Kind, id: u64) -> Result<RemoteObject, ClientError> {
        let operation = Operation::get(kind);
        let body = self.send(operation, Method::GET, Some(id), None).await?;
        object(operation, &body)
    }

    /// `POST incidents/` (with a template) or `POST triage/`.
    pub async fn create(
        &self,
        kind: Kind,
        template_id: Option<u64>,
        fields: Map<String, Value>,
    ) -> Result<RemoteObject, ClientError> {
        let operation = Operation::create(kind);
        let mut request = Map::new();
        if let Some(template_id) = template_id {
            request.insert("template_id".into(), json!(template_id));
        }
        request.insert("fields".into(), Value::Object(fields));
        let body = self
            .send(operation, Method::POST, None, Some(&Value::Object(request)))
            .await?;
        object(operation, &body)
    }

    /// `PUT incidents/{id}/` or `PUT triage/{id}/` with only the given fields.
    pub async fn update(
        &self,
        kind: Kind,
        id: u64,
        fields: Map<String, Value>,
    ) -> Result<RemoteObject, ClientError> {
        let operation = Operation::update(kind);
        let request = json!({ "fields": fields });
        let body = self
            .send(operation, Method::PUT, Some(id), Some(&request))
            .await?;
        object(operation, &body)
    }

    /// Sends a request, retrying what may be retried (see [`retry`]), and turns every non-2xx
    /// answer into a typed error.
    async fn send(
        &self,
        operation: Operation,
        method: Method,
        id: Option<u64>,
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        let first = Instant::now();
        let mut attempt = 0u32;
        let mut answered_500 = 0u32;
        loop {
            attempt += 1;
            let failure = match self.send_once(operation, &method, id, body).await {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            let Failed {
                error,
                retryable,
                retry_after,
                throttled,
            } = failure;
            // A 500 is usually passing, but may be a bug that no retry fixes: try it a few times only.
            if matches!(error, ClientError::Status { status: 500, .. }) {
                answered_500 += 1;
            }
            let persistent_500 = answered_500 >= MAX_500_ATTEMPTS;
            if !retryable {
                return Err(error);
            }
            if persistent_500 {
                return Err(ClientError::GaveUp {
                    operation,
                    attempts: attempt,
                    seconds: first.elapsed().as_secs(),
                    last: Box::new(error),
                });
            }
            let policy = &self.options.retry;
            let delay = policy.delay(attempt, retry_after);
            if !policy.allows(first.elapsed(), delay) {
                return Err(if attempt == 1 {
                    error
                } else {
                    ClientError::GaveUp {
                        operation,
                        attempts: attempt,
                        seconds: first.elapsed().as_secs(),
                        last: Box::new(error),
                    }
                });
            }
            if throttled {
                // The server asked this client to slow down: every request waits, not just this one.
                self.limiter.pause(delay).await;
            }
            tracing::debug!(
                "{method} {operation}: {error}; retrying in {} ms (attempt {})",
                delay.as_millis(),
                attempt + 1
            );
            self.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt, within the limiter.
    async fn send_once(
        &self,
        operation: Operation,
        method: &Method,
        id: Option<u64>,
        body: Option<&Value>,
    ) -> Result<Value, Failed> {
        let final_error = |error| Failed {
            error,
            retryable: false,
            retry_after: None,
            throttled: false,
        };
        let path = self.endpoints.path(operation, id);
        let url = self.target.base_url().join(&path).map_err(|error| {
            final_error(ClientError::InvalidResponse {
                operation,
                message: format!("cannot build a URL from path `{path}`: {error}"),
            })
        })?;
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, self.credential.header_value());
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let _slot = self.limiter.acquire().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        // A failure before anything was sent may always be retried; after, a create's outcome is
        // unknown and must be settled by the caller, never by sending it again.
        let lost = |error: &reqwest::Error, sent: bool| {
            let message = describe_transport(error);
            if sent && operation.is_create() {
                final_error(ClientError::OutcomeUnknown { operation, message })
            } else {
                Failed {
                    error: ClientError::Transport {
                        operation,
                        url: url.to_string(),
                        message,
                    },
                    retryable: true,
                    retry_after: None,
                    throttled: false,
                }
            }
        };
        let response = request
            .send()
            .await
            .map_err(|error| lost(&error, !error.is_connect()))?;
        let status = response.status();
        tracing::debug!(
            "{method} {} -> {} in {} ms",
            url.path(),
            status.as_u16(),
            started.elapsed().as_millis()
        );
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| retry::parse_retry_after(value, chrono::Utc::now()));
        let text = response.text().await.map_err(|error| lost(&error, true))?;
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text).map_err(|error| {
                final_error(ClientError::InvalidResponse {
                    operation,
                    message: format!("the body is not JSON ({error})"),
                })
            });
        }
        let error = self.error_for(operation, status, id, &url, location, &text);
        Err(match status.as_u16() {
            // Rejected before processing: safe to send again, creates included.
            429 => Failed {
                error,
                retryable: true,
                retry_after,
                throttled: true,
            },
            // A server or gateway error may come after the write was committed.
            500 | 502..=504 if operation.is_create() => final_error(ClientError::OutcomeUnknown {
                operation,
                message: error.to_string(),
            }),
            500 | 502..=504 => Failed {
                error,
                retryable: true,
                retry_after,
                throttled: false,
            },
            _ => final_error(error),
        })
    }

    fn error_for(
        &self,
        operation: Operation,
        status: StatusCode,
        id: Option<u64>,
        url: &url::Url,
        location: Option<String>,
        body: &str,
    ) -> ClientError {
        let message = server_message(status, body);
        match status.as_u16() {
            301 | 302 | 307 | 308 => ClientError::Moved {
                url: url.to_string(),
                location,
            },
            401 => ClientError::Unauthorized {
                operation,
                credential: self.credential.describe(),
                message,
            },
            403 => ClientError::Forbidden {
                operation,
                credential: self.credential.describe(),
                message,
            },
            404 => match id {
                Some(id) if operation.addresses_one_object() => ClientError::ObjectNotFound {
                    operation,
                    noun: match operation {
                        Operation::GetTriage | Operation::UpdateTriage => "triage item",
                        _ => "incident",
                    },
                    id,
                },
                _ => ClientError::BasePathNotFound {
                    url: url.to_string(),
                    dialect: self.target.dialect,
                    base_path: self.target.dialect.base_path(),
                },
            },
            code => ClientError::Status {
                operation,
                status: code,
                message,
            },
        }
    }
}

/// A failed attempt and whether it may be repeated.
struct Failed {
    error: ClientError,
    retryable: bool,
    retry_after: Option<Duration>,
    throttled: bool,
}

fn parse<T: serde::de::DeserializeOwned>(
    operation: Operation,
    body: Value,
) -> Result<T, ClientError> {
    serde_json::from_value(body).map_err(|error| ClientError::InvalidResponse {
        operation,
        message: error.to_string(),
    })
}

fn object(operation: Operation, body: &Value) -> Result<RemoteObject, ClientError> {
    RemoteObject::from_json(body)
        .map_err(|message| ClientError::InvalidResponse { operation, message })
}

/// The server's own words from either error shape of the profile, else the status text.
fn server_message(status: StatusCode, body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|value| value.get(name))
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    };
    // Application errors: {"error", "description"}; gateway errors: {"status", "id", "code", "message"}.
    if let Some(description) = field("description") {
        return match field("error") {
            Some(error) if error != description => format!("{error}: {description}"),
            _ => description,
        };
    }
    if let Some(message) = field("message") {
        return match field("code") {
            Some(code) => format!("{message} ({code})"),
            None => message,
        };
    }
    if let Some(error) = field("error") {
        return error;
    }
    let reason = status.canonical_reason().unwrap_or("error").to_string();
    let snippet: String = body.trim().chars().take(200).collect();
    if snippet.is_empty() || snippet.starts_with('<') {
        reason
    } else {
        format!("{reason}: {snippet}")
    }
}

fn describe_transport(error: &reqwest::Error) -> String {
    let mut message = if error.is_timeout() {
        "the request timed out".to_string()
    } else if error.is_connect() {
        "the connection failed".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_from_both_error_shapes() {
        assert_eq!(
            server_message(
                StatusCode::BAD_REQUEST,
                r#"{"error": "Bad Request", "description": "field `status` expects an option id"}"#
            ),
            "Bad Request: field `status` expects an option id"
        );
        assert_eq!(
            server_message(
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"status": 429, "id": "X1", "code": "rate.limit.exceeded", "message": "Rate limit exceeded"}"#
            ),
            "Rate limit exceeded (rate.limit.exceeded)"
        );
        assert_eq!(
            server_message(StatusCode::BAD_GATEWAY, "<html>oops</html>"),
            "Bad Gateway"
        );
    }
}
