//! Typed errors of the HTTP client; each names the operation and says what to do next.

use super::endpoints::Operation;
use crate::dialect::Dialect;

/// A failed request to Cloud SOAR.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum ClientError {
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

    /// 301, 302, 303, 307 or 308: the host redirects elsewhere, which means the region or host is
    /// wrong (redirects are never followed: a POST would turn into a GET, and the credential would
    /// go to another host).
    #[error("`{url}` answered {status} {}{}", redirect_reason(*.status), location_suffix(.location))]
    Moved {
        status: u16,
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

    /// A create failed without a usable answer each time it was sent, and afterwards no object
    /// carried the key: not created. `last` says how the last attempt failed.
    #[error("`{operation}` was sent {attempts} times, {}, and no object carries the key: it was not created", not_created_reason(.last))]
    NotCreated {
        operation: Operation,
        attempts: u32,
        last: Box<ClientError>,
    },

    /// The host could not be reached for a reason that waiting does not fix.
    #[error("`{operation}` could not reach `{url}`: {reason} ({message})")]
    Unreachable {
        operation: Operation,
        url: String,
        reason: &'static str,
        message: String,
    },

    /// An answer was larger than `limits.max_response_mb`; reading stopped at the limit.
    #[error("the answer of `{operation}` from `{url}` is larger than the limit of {} (`limits.max_response_mb`); reading stopped there", megabytes(*.limit))]
    TooLarge {
        operation: Operation,
        url: String,
        limit: u64,
    },

    /// A search whose pages never end: a page repeating the previous one, or more objects than
    /// any tenant holds.
    #[error("`{operation}` was stopped: {message}")]
    EndlessSearch {
        operation: Operation,
        message: String,
    },

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

fn not_created_reason(last: &ClientError) -> String {
    // The answer of a create that got a 5xx is an `OutcomeUnknown` holding the status' error.
    match last {
        ClientError::OutcomeUnknown { message, .. } if message.contains("failed with 5") => {
            format!("the last answer was an error ({message})")
        }
        ClientError::OutcomeUnknown { .. } | ClientError::Transport { .. } => {
            "every answer was lost".to_string()
        }
        other => format!("the last time: {other}"),
    }
}

fn redirect_reason(status: u16) -> &'static str {
    match status {
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        _ => "Redirect",
    }
}

fn megabytes(bytes: u64) -> String {
    let mebibytes = bytes as f64 / (1024.0 * 1024.0);
    if mebibytes >= 1.0 && mebibytes.fract() == 0.0 {
        format!("{mebibytes} MiB")
    } else {
        format!("{bytes} bytes")
    }
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
    pub(crate) fn server_message_mut(&mut self) -> Option<&mut String> {
        match self {
            ClientError::Unauthorized { message, .. }
            | ClientError::Forbidden { message, .. }
            | ClientError::Status { message, .. }
            | ClientError::Transport { message, .. }
            | ClientError::InvalidResponse { message, .. }
            | ClientError::Unreachable { message, .. }
            | ClientError::EndlessSearch { message, .. }
            | ClientError::OutcomeUnknown { message, .. } => Some(message),
            ClientError::GaveUp { last, .. } | ClientError::NotCreated { last, .. } => {
                last.server_message_mut()
            }
            ClientError::Moved { .. }
            | ClientError::BasePathNotFound { .. }
            | ClientError::ObjectNotFound { .. }
            | ClientError::TooLarge { .. } => None,
        }
    }

    /// The HTTP status the server answered, when it answered one.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            ClientError::Unauthorized { .. } => Some(401),
            ClientError::Forbidden { .. } => Some(403),
            ClientError::Moved { status, .. } | ClientError::Status { status, .. } => Some(*status),
            ClientError::BasePathNotFound { .. } | ClientError::ObjectNotFound { .. } => Some(404),
            ClientError::GaveUp { last, .. } => last.status(),
            _ => None,
        }
    }

    /// A few words for a retry line: the status, or what went wrong on the way.
    pub(crate) fn short_reason(&self) -> String {
        match self {
            ClientError::Transport { message, .. } => {
                message.split(": ").next().unwrap_or(message).to_string()
            }
            ClientError::OutcomeUnknown { .. } => "the answer was lost".to_string(),
            other => match other.status() {
                Some(status) => status.to_string(),
                None => "failed".to_string(),
            },
        }
    }

    /// What the user can do about it, shown as `hint:`.
    pub(crate) fn hint(&self) -> Option<String> {
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
                "Cloud SOAR kept failing this create; run apply again later: it converges".into(),
            ),
            ClientError::Unreachable { reason, url, .. } => Some(match *reason {
                "its host name does not resolve" => format!(
                    "check the host in `{url}` (`--url`, `--region`, `SOARFORM_URL`, `SOARFORM_REGION`, or `url:` or `region:` in soarform.yaml) and this machine's DNS"
                ),
                "the TLS handshake failed" => "check that the URL names the Cloud SOAR API host over `https://` (a local `soarform sim` speaks plain `http://`); a proxy that inspects TLS needs its certificate authority trusted".into(),
                _ => format!("check the host and port in `{url}`, and any proxy or firewall between here and it"),
            }),
            ClientError::TooLarge { .. } => Some(
                "raise `limits.max_response_mb` in soarform.yaml if the tenant really sends answers this large, or lower `limits.page_size`".into(),
            ),
            ClientError::EndlessSearch { .. } => Some(
                "the server's paging is not what soarform expects: check `paths:` and `limits.page_size` in soarform.yaml, or raise `limits.max_search_objects`".into(),
            ),
            ClientError::GaveUp { last, .. } => last.hint().or_else(|| {
                Some("the service kept failing; run the command again later: it converges".into())
            }),
            _ => None,
        }
    }
}
