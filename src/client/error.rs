//! Typed errors of the HTTP client; each names the operation and says what to do next.

use super::endpoints::Operation;
use crate::dialect::Dialect;

/// A failed request to Cloud SOAR.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// 401: the credential was refused.
    #[error("Cloud SOAR refused {credential} (401 Unauthorized) on `{operation}`: {message}")]
    Unauthorized {
        operation: Operation,
        credential: String,
        message: String,
    },

    /// 403: the credential is valid but lacks a capability.
    #[error("Cloud SOAR denied `{operation}` to {credential} (403 Forbidden): {message}")]
    Forbidden {
        operation: Operation,
        credential: String,
        message: String,
    },

    /// 301: the host redirects elsewhere, which means the region or host is wrong.
    #[error("`{url}` answered 301 Moved Permanently{}", location_suffix(.location))]
    Moved {
        url: String,
        location: Option<String>,
    },

    /// 404 on a collection endpoint: the base path does not exist on this host.
    #[error("`{url}` answered 404 Not Found: this host does not serve the {dialect} API base path `{base_path}`")]
    BasePathNotFound {
        url: String,
        dialect: Dialect,
        base_path: &'static str,
    },

    /// 404 on one object.
    #[error("{noun} {id} was not found (404 on `{operation}`)")]
    ObjectNotFound {
        operation: Operation,
        noun: &'static str,
        id: u64,
    },

    /// Any other error status, with the server's own message.
    #[error("`{operation}` failed with {status}: {message}")]
    Status {
        operation: Operation,
        status: u16,
        message: String,
    },

    /// The request could not be sent or its answer not received.
    #[error("`{operation}` could not reach `{url}`: {message}")]
    Transport {
        operation: Operation,
        url: String,
        message: String,
    },

    /// A create was sent, but its answer was lost (connection dropped, timeout) or was a gateway
    /// error: it may or may not have been committed. Settle it by searching for the key.
    #[error("`{operation}` may or may not have been applied: {message}")]
    OutcomeUnknown {
        operation: Operation,
        message: String,
    },

    /// Every answer to a create was lost, and afterwards no object carried the key: not created.
    #[error("`{operation}` was sent {attempts} times, every answer was lost, and no object carries the key: it was not created")]
    NotCreated { operation: Operation, attempts: u32 },

    /// Retries ran out; `last` is the last attempt's error.
    #[error("`{operation}` failed {attempts} times in {seconds} s; the last time: {last}")]
    GaveUp {
        operation: Operation,
        attempts: u32,
        seconds: u64,
        last: Box<ClientError>,
    },

    /// The answer was not what the API profile describes.
    #[error("`{operation}` returned an answer soarform does not understand: {message}")]
    InvalidResponse {
        operation: Operation,
        message: String,
    },
}

fn location_suffix(location: &Option<String>) -> String {
    match location {
        Some(location) => format!(" to `{location}`"),
        None => String::new(),
    }
}

impl ClientError {
    /// The part of the error that came from the server (or the network stack), which may echo
    /// what was sent; everything else is soarform's own wording.
    pub fn server_message_mut(&mut self) -> Option<&mut String> {
        match self {
            ClientError::Unauthorized { message, .. }
            | ClientError::Forbidden { message, .. }
            | ClientError::Status { message, .. }
            | ClientError::Transport { message, .. }
            | ClientError::InvalidResponse { message, .. }
            | ClientError::OutcomeUnknown { message, .. } => Some(message),
            ClientError::GaveUp { last, .. } => last.server_message_mut(),
            ClientError::Moved { .. }
            | ClientError::BasePathNotFound { .. }
            | ClientError::ObjectNotFound { .. }
            | ClientError::NotCreated { .. } => None,
        }
    }

    /// What the user can do about it, shown as `hint:`.
    pub fn hint(&self) -> Option<String> {
        match self {
            ClientError::Unauthorized { .. } => Some(
                "check that the credential is current and belongs to this tenant; set `SOARFORM_TOKEN` (or `--token-file`) for a Bearer token, or `SUMO_ACCESS_ID` and `SUMO_ACCESS_KEY` for an access key".into(),
            ),
            ClientError::Forbidden { operation, .. } => Some(format!(
                "the user or role behind this credential probably lacks the `{}` capability",
                operation.capability()
            )),
            ClientError::Moved { .. } => Some(
                "the region or host is probably wrong: check `--region` / `--url` against the deployment your account is on".into(),
            ),
            ClientError::BasePathNotFound { dialect, .. } => Some(match dialect {
                Dialect::V3 => "the API dialect is probably wrong: try `--api legacy` (`/incmansuite_ng/api/v3/`), or override the path under `paths:` in soarform.yaml".into(),
                Dialect::Legacy => "the API dialect is probably wrong: try `--api v3` (`/api/csoar/v3/`), or override the path under `paths:` in soarform.yaml".into(),
            }),
            ClientError::Status { status: 429, .. } => {
                Some("the API rate limit was exceeded; wait and run the command again".into())
            }
            ClientError::NotCreated { .. } => Some(
                "the connection to Cloud SOAR keeps failing; run apply again later: it converges".into(),
            ),
            ClientError::GaveUp { last, .. } => last.hint().or_else(|| {
                Some("the service kept failing; run the command again later: it converges".into())
            }),
            _ => None,
        }
    }
}
