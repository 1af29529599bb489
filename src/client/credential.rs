//! Credentials, kept out of every `Debug` and `Display` so they cannot reach a log or an error.

use std::fmt;

use base64::Engine as _;

/// A secret string. Its `Debug` and `Display` print `***`; only [`Secret::expose`] reveals it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for building the `Authorization` header and nothing else.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How soarform authenticates, and where the credential came from (for error messages).
#[derive(Debug, Clone)]
pub(crate) enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: Secret,
        /// Where it came from, e.g. "`SOARFORM_TOKEN`" or "`--token-file ci/token`".
        source: String,
    },
    /// HTTP Basic with a Sumo access ID and access key.
    Basic {
        /// The access ID: masked in every output like the key (servers echo it beside the key), and
        /// named by its first characters in errors so the user knows which key failed.
        access_id: String,
        /// The access key.
        access_key: Secret,
    },
}

impl Credential {
    /// The `Authorization` header value.
    pub(crate) fn header_value(&self) -> String {
        match self {
            Credential::Bearer { token, .. } => format!("Bearer {}", token.expose()),
            Credential::Basic {
                access_id,
                access_key,
            } => {
                let pair = format!("{access_id}:{}", access_key.expose());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
        }
    }

    /// Describes the credential without revealing it, for messages such as "401 with ...".
    pub(crate) fn describe(&self) -> String {
        match self {
            Credential::Bearer { source, .. } => format!("the Bearer token from {source}"),
            Credential::Basic { access_id, .. } => format!(
                "access ID `{}` with its access key (`SUMO_ACCESS_ID` / `SUMO_ACCESS_KEY`)",
                abbreviated(access_id)
            ),
        }
    }

    /// Every form of the credential a server could echo, for [`crate::scrub`] to mask: the
    /// token; or the access ID, the access key, `id:key` and its base64 (the header's value).
    pub(crate) fn secrets(&self) -> Vec<String> {
        match self {
            Credential::Bearer { token, .. } => vec![token.expose().to_string()],
            Credential::Basic {
                access_id,
                access_key,
            } => {
                let pair = format!("{access_id}:{}", access_key.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(&pair);
                vec![
                    access_id.clone(),
                    access_key.expose().to_string(),
                    pair,
                    encoded,
                ]
            }
        }
    }
}

/// The first four characters of an access ID and `…`: enough for a person to tell which key
/// failed, while the whole ID, which servers may echo, is masked everywhere like the key.
fn abbreviated(access_id: &str) -> String {
    let shown: String = access_id.chars().take(4).collect();
    if shown.len() < access_id.len() {
        format!("{shown}…")
    } else {
        "…".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_reveal_the_secret() {
        let credential = Credential::Basic {
            access_id: "suABC".into(),
            access_key: Secret::new("very-secret-key"),
        };
        let shown = format!("{credential:?} {}", credential.describe());
        assert!(!shown.contains("very-secret-key"), "{shown}");
        assert!(shown.contains("suAB…"), "{shown}");
        let token = Credential::Bearer {
            token: Secret::new("tok-123456"),
            source: "`SOARFORM_TOKEN`".into(),
        };
        assert!(!format!("{token:?} {}", token.describe()).contains("tok-123456"));
    }

    #[test]
    fn basic_header_is_base64_of_id_and_key() {
        let credential = Credential::Basic {
            access_id: "id".into(),
            access_key: Secret::new("key"),
        };
        assert_eq!(credential.header_value(), "Basic aWQ6a2V5");
    }
}
