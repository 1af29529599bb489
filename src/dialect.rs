//! The two Cloud SOAR API deployments and their base paths.

use std::fmt;
use std::str::FromStr;

/// The Sumo Logic deployment regions `--region` and `region:` in `soarform.yaml` accept; each
/// speaks the `v3` dialect, at the host [`region_host`] gives.
pub(crate) const REGIONS: &[&str] = &[
    "us1", "us2", "eu", "de", "au", "ca", "ch", "jp", "kr", "in", "fed",
];

/// The API host of a deployment region (lower case), from Sumo Logic's table of API endpoints
/// by deployment ("API Authentication, Endpoints, and Security"): `api.<region>.sumologic.com`,
/// except US1, the first deployment, which is `api.sumologic.com`. `in` is not in the current
/// table; older versions of it list `api.in.sumologic.com`.
pub(crate) fn region_host(region: &str) -> Option<&'static str> {
    Some(match region {
        "us1" => "api.sumologic.com",
        "us2" => "api.us2.sumologic.com",
        "eu" => "api.eu.sumologic.com",
        "de" => "api.de.sumologic.com",
        "au" => "api.au.sumologic.com",
        "ca" => "api.ca.sumologic.com",
        "ch" => "api.ch.sumologic.com",
        "jp" => "api.jp.sumologic.com",
        "kr" => "api.kr.sumologic.com",
        "in" => "api.in.sumologic.com",
        "fed" => "api.fed.sumologic.com",
        _ => return None,
    })
}

/// How search filters name a field and write its value (`tenant.filter_syntax`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FilterSyntax {
    /// `incidentid:"KEY"`: the API name, the value quoted (the API profile's).
    #[default]
    ApiNames,
    /// `Incident ID: KEY`: the label, the value bare, as third-party code calling Cloud SOAR
    /// sends (evidence file, "search"). Keys never hold white space or quotes, so a bare key is
    /// one term.
    Labels,
}

impl FilterSyntax {
    /// `field` (or `label`) matching any of `values`, exactly or, with `prefix`, as prefixes;
    /// terms joined by ` OR `.
    pub(crate) fn filter(self, field: &str, label: &str, values: &[&str], prefix: bool) -> String {
        let star = if prefix { "*" } else { "" };
        values
            .iter()
            .map(|value| match self {
                FilterSyntax::ApiNames => {
                    format!("{field}:\"{}{star}\"", crate::filter::escape(value))
                }
                FilterSyntax::Labels => format!("{label}: {value}{star}"),
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    }
}

/// The HTTP method of updates (`tenant.update_method`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum UpdateMethod {
    /// `PUT incidents/{id}/` (the API profile's).
    #[default]
    Put,
    /// `PATCH incidents/{id}/`, as Sumo Logic's scripts change sibling resources.
    Patch,
}

/// The body of updates (`tenant.update_body`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum UpdateBody {
    /// `{"fields": {...}}`, as creates send them (the API profile's).
    #[default]
    Wrapped,
    /// The fields alone, `{...}`, as Sumo Logic's scripts' PATCH bodies are.
    Bare,
}

/// Which Cloud SOAR API a URL speaks.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Dialect {
    /// `https://api.<region>.sumologic.com/api/csoar/v3/`
    V3,
    /// `https://<tenant>.soar.sumologic.com/incmansuite_ng/api/v3/`
    Legacy,
}

impl Dialect {
    /// The base path every endpoint is relative to, with leading and trailing slash.
    pub(crate) fn base_path(self) -> &'static str {
        match self {
            Dialect::V3 => "/api/csoar/v3/",
            Dialect::Legacy => "/incmansuite_ng/api/v3/",
        }
    }

    /// The name used on the command line and in `soarform.yaml`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Dialect::V3 => "v3",
            Dialect::Legacy => "legacy",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "v3" => Ok(Dialect::V3),
            "legacy" => Ok(Dialect::Legacy),
            other => Err(format!(
                "unknown API dialect `{other}`: expected `v3` or `legacy`"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_join_exact_terms_with_or() {
        let key_filter = |field: &str, keys: &[&str]| {
            FilterSyntax::ApiNames.filter(field, "unused label", keys, false)
        };
        assert_eq!(
            key_filter("incidentid", &["a/b", "c"]),
            r#"incidentid:"a/b" OR incidentid:"c""#
        );
        assert_eq!(key_filter("opt_1", &[r#"x"y"#]), r#"opt_1:"x\"y""#);
    }

    #[test]
    fn label_filters_name_the_label_and_leave_the_value_bare() {
        // `"filter": "Incident ID: X"` (MCP `src/sumologic_mcp/clients/soar.py`).
        let labels = FilterSyntax::Labels;
        assert_eq!(
            labels.filter("incidentid", "Incident ID", &["a/b", "c"], false),
            "Incident ID: a/b OR Incident ID: c"
        );
        assert_eq!(
            labels.filter("incidentid", "Incident ID", &["phishing/"], true),
            "Incident ID: phishing/*"
        );
        assert_eq!(
            FilterSyntax::ApiNames.filter("incidentid", "Incident ID", &["phishing/"], true),
            r#"incidentid:"phishing/*""#
        );
    }
}
