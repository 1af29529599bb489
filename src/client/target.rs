//! Where the API is: a base URL and a dialect, from `--url`, `--region` or the project file.

use std::net::IpAddr;

use url::Url;

use crate::dialect::{region_host, Dialect};

pub(crate) use crate::dialect::REGIONS;

/// A resolved API location: scheme, host, port and an optional path prefix (for a proxy that serves
/// the API under a sub-path), plus the dialect that picks the base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The URL the base path is appended to, ending in `/`, e.g. `https://api.us2.sumologic.com/`.
    pub root: Url,
    /// Which base path the endpoints live under.
    pub dialect: Dialect,
}

impl Target {
    /// The base URL every endpoint is joined to, e.g. `https://api.us2.sumologic.com/api/csoar/v3/`.
    pub(crate) fn base_url(&self) -> Url {
        let mut url = self.root.clone();
        let prefix = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{prefix}{}", self.dialect.base_path()));
        url
    }
}

/// Why a URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TargetError {
    /// Not a URL at all.
    #[error("`{url}` is not a valid URL: {reason}")]
    Invalid { url: String, reason: String },
    /// Plain HTTP to a host that is not this machine.
    #[error(
        "refusing plain `http://` for `{host}`: credentials would cross the network unencrypted"
    )]
    InsecureScheme { host: String },
    /// Neither `http` nor `https`.
    #[error("unsupported URL scheme `{scheme}` in `{url}`: expected `https://`")]
    UnsupportedScheme { scheme: String, url: String },
    /// The dialect cannot be told from the host.
    #[error("cannot tell which Cloud SOAR API `{host}` speaks")]
    UnknownDialect { host: String },
    /// The URL's path names one dialect while `--api` names the other.
    #[error("the URL path `{path}` is the {from_path} base path, but the API dialect is set to `{configured}`")]
    DialectMismatch {
        path: String,
        from_path: Dialect,
        configured: Dialect,
    },
    /// A URL with a user name or password in it: credentials come from the environment.
    #[error("the URL must not hold credentials (user or password before `@`)")]
    CredentialsInUrl,
    /// An unknown `--region`.
    #[error("unknown region `{region}`: expected one of {}", REGIONS.join(", "))]
    UnknownRegion { region: String },
}

impl TargetError {
    /// What the user can do about it.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            TargetError::InsecureScheme { .. } => {
                Some("use `https://`; plain `http://` is only accepted for loopback addresses".into())
            }
            TargetError::CredentialsInUrl => Some(
                "set `SOARFORM_TOKEN`, `--token-file`, or `SUMO_ACCESS_ID` and `SUMO_ACCESS_KEY` instead".into(),
            ),
            TargetError::UnknownDialect { .. } => Some(
                "pass `--api v3` (path `/api/csoar/v3/`) or `--api legacy` (path `/incmansuite_ng/api/v3/`), or set `api:` in soarform.yaml".into(),
            ),
            _ => None,
        }
    }
}

/// The URL of a region's API server.
pub(crate) fn region_url(region: &str) -> Result<String, TargetError> {
    let region = region.trim().to_ascii_lowercase();
    match region_host(&region) {
        Some(host) => Ok(format!("https://{host}")),
        None => Err(TargetError::UnknownRegion { region }),
    }
}

/// Resolves a user-given URL and optional explicit dialect into a [`Target`].
///
/// A URL may carry one of the two base paths, which then decides the dialect; otherwise the
/// dialect comes from `dialect`, or from the host (`*.soar.sumologic.com` is legacy,
/// `api.*.sumologic.com` is v3).
pub(crate) fn resolve(url: &str, dialect: Option<Dialect>) -> Result<Target, TargetError> {
    let parsed = Url::parse(url.trim()).map_err(|error| TargetError::Invalid {
        url: redact_userinfo(url),
        reason: error.to_string(),
    })?;
    let host = parsed
        .host_str()
        .ok_or_else(|| TargetError::Invalid {
            url: redact_userinfo(url),
            reason: "it has no host".into(),
        })?
        .to_ascii_lowercase();
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err(TargetError::InsecureScheme { host }),
        other => {
            return Err(TargetError::UnsupportedScheme {
                scheme: other.to_string(),
                url: redact_userinfo(url),
            })
        }
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(TargetError::CredentialsInUrl);
    }
    let path = parsed.path().trim_end_matches('/').to_string() + "/";
    let from_path = [Dialect::V3, Dialect::Legacy]
        .into_iter()
        .find(|candidate| path.ends_with(candidate.base_path()));
    let dialect = match (from_path, dialect) {
        (Some(from_path), Some(configured)) if from_path != configured => {
            return Err(TargetError::DialectMismatch {
                path,
                from_path,
                configured,
            })
        }
        (Some(found), _) | (None, Some(found)) => found,
        (None, None) => detect(&host).ok_or(TargetError::UnknownDialect { host })?,
    };
    let prefix = match from_path {
        Some(found) => &path[..path.len() - found.base_path().len()],
        None => path.trim_end_matches('/'),
    };
    let mut root = parsed;
    root.set_path(&format!("{prefix}/"));
    root.set_query(None);
    root.set_fragment(None);
    Ok(Target { root, dialect })
}

/// Hides anything before an `@` in the authority, so a mistyped URL with a password is never echoed.
fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// The dialect a Sumo Logic host speaks, if the host tells.
pub(crate) fn detect(host: &str) -> Option<Dialect> {
    let host = host.trim_end_matches('.');
    if host.ends_with(".soar.sumologic.com") {
        Some(Dialect::Legacy)
    } else if host.starts_with("api.") && host.ends_with(".sumologic.com") {
        Some(Dialect::V3)
    } else {
        None
    }
}

/// Whether a host names this machine (127.0.0.0/8, ::1 or `localhost`).
pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") {
        return true;
    }
    bare.parse::<IpAddr>()
        .map(|address| address.is_loopback())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_dialect_from_sumo_hosts() {
        assert_eq!(detect("acme.soar.sumologic.com"), Some(Dialect::Legacy));
        assert_eq!(detect("api.us2.sumologic.com"), Some(Dialect::V3));
        assert_eq!(detect("api.sumologic.com"), Some(Dialect::V3));
        assert_eq!(detect("proxy.example.com"), None);
    }

    #[test]
    fn every_region_maps_to_the_host_of_sumo_logics_endpoint_table() -> Result<(), TargetError> {
        let table = [
            ("us1", "https://api.sumologic.com"),
            ("us2", "https://api.us2.sumologic.com"),
            ("eu", "https://api.eu.sumologic.com"),
            ("de", "https://api.de.sumologic.com"),
            ("au", "https://api.au.sumologic.com"),
            ("ca", "https://api.ca.sumologic.com"),
            ("ch", "https://api.ch.sumologic.com"),
            ("jp", "https://api.jp.sumologic.com"),
            ("kr", "https://api.kr.sumologic.com"),
            ("in", "https://api.in.sumologic.com"),
            ("fed", "https://api.fed.sumologic.com"),
        ];
        for (region, url) in table {
            assert_eq!(region_url(region)?, url, "{region}");
            // Every region resolves to the v3 dialect from its host alone.
            assert_eq!(
                resolve(&region_url(region)?, None)?.dialect,
                Dialect::V3,
                "{region}"
            );
        }
        let listed: Vec<&str> = table.iter().map(|(region, _)| *region).collect();
        assert_eq!(
            listed, REGIONS,
            "every accepted region is in the table above"
        );
        assert_eq!(region_url("EU")?, "https://api.eu.sumologic.com");
        assert_eq!(region_url(" US1 ")?, "https://api.sumologic.com");
        assert!(matches!(
            region_url("mars"),
            Err(TargetError::UnknownRegion { .. })
        ));
        Ok(())
    }

    #[test]
    fn resolves_base_urls_for_both_dialects() -> Result<(), TargetError> {
        let v3 = resolve("https://api.us2.sumologic.com", None)?;
        assert_eq!(
            v3.base_url().as_str(),
            "https://api.us2.sumologic.com/api/csoar/v3/"
        );
        let legacy = resolve("https://acme.soar.sumologic.com/", None)?;
        assert_eq!(
            legacy.base_url().as_str(),
            "https://acme.soar.sumologic.com/incmansuite_ng/api/v3/"
        );
        Ok(())
    }

    #[test]
    fn a_base_path_in_the_url_decides_the_dialect() -> Result<(), TargetError> {
        let target = resolve("https://proxy.example.com/incmansuite_ng/api/v3", None)?;
        assert_eq!(target.dialect, Dialect::Legacy);
        assert!(matches!(
            resolve(
                "https://proxy.example.com/api/csoar/v3/",
                Some(Dialect::Legacy)
            ),
            Err(TargetError::DialectMismatch { .. })
        ));
        Ok(())
    }

    #[test]
    fn a_path_prefix_is_kept_for_proxies() -> Result<(), TargetError> {
        let target = resolve("https://proxy.example.com/soar/", Some(Dialect::V3))?;
        assert_eq!(
            target.base_url().as_str(),
            "https://proxy.example.com/soar/api/csoar/v3/"
        );
        let target = resolve(
            "https://proxy.example.com/soar/incmansuite_ng/api/v3/",
            None,
        )?;
        assert_eq!(
            target.base_url().as_str(),
            "https://proxy.example.com/soar/incmansuite_ng/api/v3/"
        );
        Ok(())
    }

    #[test]
    fn unknown_hosts_need_an_explicit_dialect() -> Result<(), TargetError> {
        assert!(matches!(
            resolve("https://proxy.example.com", None),
            Err(TargetError::UnknownDialect { .. })
        ));
        assert_eq!(
            resolve("https://proxy.example.com", Some(Dialect::Legacy))?.dialect,
            Dialect::Legacy
        );
        Ok(())
    }

    #[test]
    fn plain_http_only_for_loopback() -> Result<(), TargetError> {
        assert!(matches!(
            resolve("http://api.us2.sumologic.com", None),
            Err(TargetError::InsecureScheme { .. })
        ));
        assert!(matches!(
            resolve("http://10.0.0.5:8080", Some(Dialect::V3)),
            Err(TargetError::InsecureScheme { .. })
        ));
        resolve("http://127.0.0.1:8080", Some(Dialect::V3))?;
        resolve("http://localhost:8080", Some(Dialect::V3))?;
        resolve("http://[::1]:8080", Some(Dialect::V3))?;
        assert_eq!(
            resolve("https://user:pass@api.us2.sumologic.com", None),
            Err(TargetError::CredentialsInUrl)
        );
        assert!(matches!(
            resolve("ftp://example.com", Some(Dialect::V3)),
            Err(TargetError::UnsupportedScheme { .. })
        ));
        Ok(())
    }
}
