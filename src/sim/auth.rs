//! Authentication: `Authorization: Bearer <token>` or `Basic base64(id:key)`, checked against
//! exactly the credentials the simulator was started with.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::config::Credentials;
use super::error::unauthorized;
use super::state::SimState;

/// Who sent an authenticated request; handlers find it in the request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// What `created_by` records: `api` for a token, the access id for Basic auth.
    pub(crate) created_by: String,
}

/// Middleware answering 401 (gateway shape) to any request without accepted credentials.
pub(crate) async fn authenticate(
    State(state): State<Arc<SimState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let found = caller(&state.credentials, request.headers())
        .or_else(|| other_user(&state.other_users, request.headers()));
    match found {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => unauthorized(),
    }
}

/// One of the other users, when the header holds the Bearer token of one (see
/// `SimConfig::other_users`).
fn other_user(tokens: &[String], headers: &HeaderMap) -> Option<Caller> {
    let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, value) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let value = value.trim();
    // Every token is compared, so timing says nothing about which one matched.
    let mut found = None;
    for (index, token) in tokens.iter().enumerate() {
        if constant_time_equal(value.as_bytes(), token.as_bytes()) && found.is_none() {
            found = Some(index + 1);
        }
    }
    found.map(|number| Caller {
        created_by: format!("user-{number}"),
    })
}

/// The caller if the `Authorization` header holds accepted credentials. With no credentials
/// configured nothing is accepted.
pub(crate) fn caller(credentials: &Credentials, headers: &HeaderMap) -> Option<Caller> {
    let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, value) = authorization.trim().split_once(' ')?;
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        let expected = credentials.token.as_deref()?;
        return constant_time_equal(value.as_bytes(), expected.as_bytes()).then(|| Caller {
            created_by: "api".into(),
        });
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let expected_id = credentials.access_id.as_deref()?;
        let expected_key = credentials.access_key.as_deref()?;
        let decoded = STANDARD.decode(value).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (access_id, access_key) = decoded.split_once(':')?;
        // Compare both halves even if the first differs, so timing says nothing about which.
        let id_matches = constant_time_equal(access_id.as_bytes(), expected_id.as_bytes());
        let key_matches = constant_time_equal(access_key.as_bytes(), expected_key.as_bytes());
        return (id_matches & key_matches).then(|| Caller {
            created_by: access_id.to_string(),
        });
    }
    None
}

/// Compares secrets without stopping at the first differing byte.
fn constant_time_equal(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    left.iter()
        .zip(right)
        .fold(0u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(authorization).expect("valid header"),
        );
        headers
    }

    fn basic(id: &str, key: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{key}")))
    }

    fn both() -> Credentials {
        Credentials {
            token: Some("secret-token".into()),
            access_id: Some("suABC".into()),
            access_key: Some("key:with:colons".into()),
        }
    }

    #[test]
    fn accepts_exactly_the_configured_credentials() {
        let credentials = both();
        let api = Some(Caller {
            created_by: "api".into(),
        });
        assert_eq!(caller(&credentials, &headers("Bearer secret-token")), api);
        assert_eq!(caller(&credentials, &headers("bearer  secret-token")), api);
        assert_eq!(
            caller(&credentials, &headers(&basic("suABC", "key:with:colons"))),
            Some(Caller {
                created_by: "suABC".into()
            })
        );
        for refused in [
            "Bearer secret-tokenx".to_string(),
            "Bearer ".to_string(),
            "secret-token".to_string(),
            "Token secret-token".to_string(),
            basic("suABC", "wrong"),
            basic("other", "key:with:colons"),
            "Basic not-base64!".to_string(),
        ] {
            assert_eq!(caller(&credentials, &headers(&refused)), None, "{refused}");
        }
        assert_eq!(caller(&credentials, &HeaderMap::new()), None);
    }

    #[test]
    fn no_configured_credentials_accept_nothing() {
        let none = Credentials::default();
        assert_eq!(caller(&none, &headers("Bearer ")), None);
        assert_eq!(caller(&none, &headers("Bearer x")), None);
        assert_eq!(caller(&none, &headers(&basic("", ""))), None);
        let token_only = Credentials {
            token: Some("t".into()),
            ..Credentials::default()
        };
        assert_eq!(caller(&token_only, &headers(&basic("", "t"))), None);
    }
}
