//! Why a request got no answer, and whether waiting can fix it.
//!
//! A timeout, a reset connection or an unreachable network may pass: they are retried. A host
//! name that does not resolve, a TLS handshake that fails, or a named host that refuses the
//! connection will not fix themselves in the two minutes a retry budget lasts, so they are
//! reported at once with what to check. A refused connection to a loopback address *is* retried:
//! that is a local simulator, tunnel or proxy that may still be starting.

use std::error::Error as _;

use super::target::is_loopback;

/// What made a request fail before an answer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The request or the connection timed out.
    Timeout,
    /// The host name could not be resolved.
    Dns,
    /// Nothing accepted the connection.
    Refused,
    /// The TLS handshake failed (certificate, protocol, or a plain-HTTP server).
    Tls,
    /// Anything else: reset, broken pipe, unreachable network...
    Other,
}

impl Cause {
    /// For a cause that waiting cannot fix, what it is in a few words (the error's `reason`).
    pub(crate) fn permanent(self, url: &url::Url) -> Option<&'static str> {
        match self {
            Cause::Dns => Some("its host name does not resolve"),
            Cause::Tls => Some("the TLS handshake failed"),
            Cause::Refused if !url.host_str().is_some_and(is_ip_loopback) => {
                Some("the connection was refused")
            }
            _ => None,
        }
    }
}

/// A loopback address written as an IP (not `localhost`, which is a name like any other).
fn is_ip_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<std::net::IpAddr>().is_ok() && is_loopback(host)
}

/// The cause of a reqwest error, from its kind and its chain of sources.
pub(crate) fn classify(error: &reqwest::Error) -> Cause {
    let mut chain = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind);
        chain.push((cause.to_string(), kind));
        source = cause.source();
    }
    classify_chain(error.is_timeout(), error.is_connect(), &chain)
}

/// [`classify`] on the parts of an error: its flags and, for each source, its text and its I/O
/// error kind when it is one.
fn classify_chain(
    timeout: bool,
    connect: bool,
    chain: &[(String, Option<std::io::ErrorKind>)],
) -> Cause {
    if timeout
        || chain
            .iter()
            .any(|(_, kind)| *kind == Some(std::io::ErrorKind::TimedOut))
    {
        return Cause::Timeout;
    }
    if chain
        .iter()
        .any(|(_, kind)| *kind == Some(std::io::ErrorKind::ConnectionRefused))
    {
        return Cause::Refused;
    }
    let text = chain
        .iter()
        .map(|(text, _)| text.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(": ");
    // hyper-util's connector says `dns error`; the resolver says why.
    if text.contains("dns error") || text.contains("failed to lookup address") {
        return Cause::Dns;
    }
    // rustls' errors, through tokio-rustls and hyper-rustls.
    const TLS_WORDS: [&str; 6] = [
        "certificate",
        "tls",
        "handshake",
        "received corrupt message",
        "peer is incompatible",
        "alert",
    ];
    if connect && TLS_WORDS.iter().any(|word| text.contains(word)) {
        return Cause::Tls;
    }
    Cause::Other
}

/// The error in words, with its causes: "the connection failed: dns error: ...".
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut message = if error.is_timeout() {
        "the request timed out".to_string()
    } else if error.is_connect() {
        "the connection failed".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = error.source();
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
    use std::io::ErrorKind;

    fn chain(parts: &[(&str, Option<ErrorKind>)]) -> Vec<(String, Option<ErrorKind>)> {
        parts
            .iter()
            .map(|(text, kind)| (text.to_string(), *kind))
            .collect()
    }

    #[test]
    fn causes_are_told_apart_by_their_chain() {
        let dns = chain(&[
            ("client error (Connect)", None),
            ("dns error", None),
            (
                "failed to lookup address information: Name or service not known",
                Some(ErrorKind::Other),
            ),
        ]);
        assert_eq!(classify_chain(false, true, &dns), Cause::Dns);
        let refused = chain(&[
            ("tcp connect error", None),
            (
                "Connection refused (os error 111)",
                Some(ErrorKind::ConnectionRefused),
            ),
        ]);
        assert_eq!(classify_chain(false, true, &refused), Cause::Refused);
        let tls = chain(&[(
            "invalid peer certificate: UnknownIssuer",
            Some(ErrorKind::InvalidData),
        )]);
        assert_eq!(classify_chain(false, true, &tls), Cause::Tls);
        let reset = chain(&[("connection reset by peer", Some(ErrorKind::ConnectionReset))]);
        assert_eq!(classify_chain(false, false, &reset), Cause::Other);
        assert_eq!(classify_chain(true, false, &[]), Cause::Timeout);
    }

    #[test]
    fn waiting_fixes_only_what_may_pass() {
        let named = url::Url::parse("https://api.us2.sumologic.com/").unwrap();
        let loopback = url::Url::parse("http://127.0.0.1:9/").unwrap();
        let localhost = url::Url::parse("http://localhost:9/").unwrap();
        assert!(Cause::Dns.permanent(&named).is_some());
        assert!(Cause::Tls.permanent(&loopback).is_some());
        assert!(Cause::Refused.permanent(&named).is_some());
        assert!(Cause::Refused.permanent(&localhost).is_some());
        assert_eq!(Cause::Refused.permanent(&loopback), None);
        assert_eq!(Cause::Timeout.permanent(&named), None);
        assert_eq!(Cause::Other.permanent(&named), None);
    }
}
