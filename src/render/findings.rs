//! Problems found in files (`validate`, `fmt --check`) for CI systems: JSON, GitHub workflow
//! commands (`::error file=...,line=...,col=...::`), and SARIF 2.1.0 for code-scanning tools.

use std::path::Path;

use serde::Serialize;
use serde_json::{json, Value};

use crate::cli::CheckFormat;
use crate::error::{Error, Result};
use crate::manifest::diagnostic::{Diagnostic, Report};

/// The rule every problem `validate` finds is reported under, in SARIF and annotations.
pub(crate) const VALIDATE_RULE: &str = "soarform/validate";
/// The rule files not in canonical form are reported under.
pub(crate) const FMT_RULE: &str = "soarform/fmt";

/// One problem at a place in a file (or in no file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Finding {
    /// The file, with `/` separators, as found (relative when the path given was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// Facts that explain it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Which check found it: `soarform/validate` or `soarform/fmt`.
    pub rule: &'static str,
}

impl Finding {
    /// A finding in no file: the message alone.
    pub(crate) fn general(message: impl Into<String>, rule: &'static str) -> Finding {
        Finding {
            file: None,
            line: None,
            column: None,
            message: message.into(),
            notes: Vec::new(),
            help: None,
            rule,
        }
    }

    /// A finding at the start of a line of `file`.
    pub(crate) fn at_line(
        file: &Path,
        line: usize,
        message: impl Into<String>,
        rule: &'static str,
    ) -> Finding {
        Finding {
            file: Some(slashed(file)),
            line: Some(line),
            column: Some(1),
            ..Finding::general(message, rule)
        }
    }

    /// The message with the label, notes and help a person reads below it.
    fn full_text(&self) -> String {
        let mut text = self.message.clone();
        for note in &self.notes {
            text.push_str(&format!("\nnote: {note}"));
        }
        if let Some(help) = &self.help {
            text.push_str(&format!("\nhelp: {help}"));
        }
        text
    }
}

/// Every diagnostic of a report as a finding of `rule`.
pub(crate) fn from_report(report: &Report, rule: &'static str) -> Vec<Finding> {
    report
        .diagnostics
        .iter()
        .map(|diagnostic| from_diagnostic(diagnostic, rule))
        .collect()
}

fn from_diagnostic(diagnostic: &Diagnostic, rule: &'static str) -> Finding {
    let mut message = diagnostic.message.clone();
    if let Some(label) = &diagnostic.label {
        message.push_str(&format!(" ({label})"));
    }
    Finding {
        file: diagnostic
            .origin
            .as_ref()
            .map(|origin| slashed(&origin.file)),
        line: diagnostic.origin.as_ref().map(|origin| origin.line),
        column: diagnostic.origin.as_ref().map(|origin| origin.column),
        message,
        notes: diagnostic.notes.clone(),
        help: diagnostic.help.clone(),
        rule,
    }
}

fn slashed(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// A file as CI systems name it: relative to the root of the git repository it is in (where
/// GitHub and code scanning look for it), else as found.
fn in_repository(file: &str) -> String {
    let path = Path::new(file);
    let Ok(absolute) = std::path::absolute(path) else {
        return file.to_string();
    };
    let absolute = absolute.canonicalize().unwrap_or(absolute);
    let root = absolute
        .ancestors()
        .skip(1)
        .find(|directory| directory.join(".git").exists());
    match root.and_then(|root| absolute.strip_prefix(root).ok()) {
        Some(relative) => slashed(relative),
        None => file.to_string(),
    }
}

/// GitHub workflow commands, one `::error` line per finding; GitHub shows each on the line of
/// the pull request's diff it names (files relative to the repository root).
pub(crate) fn github(findings: &[Finding], title: &str) -> String {
    let mut out = String::new();
    for finding in findings {
        let mut properties = Vec::new();
        if let Some(file) = &finding.file {
            properties.push(format!("file={}", property(&in_repository(file))));
        }
        if let Some(line) = finding.line {
            properties.push(format!("line={line}"));
        }
        if let Some(column) = finding.column {
            properties.push(format!("col={column}"));
        }
        properties.push(format!("title={}", property(title)));
        out.push_str(&format!(
            "::error {}::{}\n",
            properties.join(","),
            data(&finding.full_text())
        ));
    }
    out
}

/// The escaping of a workflow command's message (GitHub's `toolkit/packages/core` `escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The escaping of a workflow command's property value (`escapeProperty`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A SARIF 2.1.0 log of one run of soarform: one result per finding, at level `error`.
pub(crate) fn sarif(findings: &[Finding], rules: &[(&'static str, &str)]) -> Value {
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let mut result = json!({
                "ruleId": finding.rule,
                "level": "error",
                "message": {"text": finding.full_text()},
            });
            if let Some(file) = &finding.file {
                let mut region = serde_json::Map::new();
                if let Some(line) = finding.line {
                    region.insert("startLine".into(), json!(line));
                }
                if let Some(column) = finding.column {
                    region.insert("startColumn".into(), json!(column));
                }
                let mut location = json!({"artifactLocation": {"uri": uri(&in_repository(file))}});
                if !region.is_empty() {
                    location["region"] = Value::Object(region);
                }
                result["locations"] = json!([{"physicalLocation": location}]);
            }
            result
        })
        .collect();
    let rules: Vec<Value> = rules
        .iter()
        .map(|(id, description)| json!({"id": id, "shortDescription": {"text": description}}))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "soarform",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// A relative path as a URI reference: the characters a URI cannot hold percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(byte));
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// An error as findings: each diagnostic at its place, anything else as one general finding.
pub(crate) fn error_findings(error: &Error, rule: &'static str) -> Vec<Finding> {
    match error {
        Error::Diagnostics(report) => from_report(report, rule),
        other => {
            let rendered = other.render(false);
            let message = rendered
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string();
            let mut finding = Finding::general(message, rule);
            finding.help = rendered
                .lines()
                .find_map(|line| line.strip_prefix("hint: "))
                .map(str::to_string);
            vec![finding]
        }
    }
}

/// The findings in a machine format; `summary` is the JSON document's other members.
pub(crate) fn report(
    format: CheckFormat,
    found: &[Finding],
    mut summary: serde_json::Value,
    title: &str,
) -> Result<String> {
    let text = match format {
        CheckFormat::Github => github(found, title),
        CheckFormat::Sarif => pretty(&sarif(
            found,
            &[
                (
                    VALIDATE_RULE,
                    "desired-state files and soarform.yaml are valid",
                ),
                (FMT_RULE, "desired-state files are in canonical form"),
            ],
        ))?,
        CheckFormat::Json | CheckFormat::Text => {
            summary["findings"] = serde_json::to_value(found)
                .map_err(|error| Error::caused_by("cannot write the findings", &error))?;
            pretty(&summary)?
        }
    };
    Ok(text)
}

fn pretty(value: &serde_json::Value) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|error| Error::caused_by("cannot write the report as JSON", &error))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            file: Some("incidents/a b.yaml".into()),
            line: Some(3),
            column: Some(9),
            message: "unknown field `Stauts`, 100% sure".into(),
            notes: vec!["fields are: status, priority".into()],
            help: Some("did you mean `Status`?".into()),
            rule: "soarform/validate",
        }
    }

    #[test]
    fn github_annotations_escape_data_and_properties() {
        let mut odd = finding();
        odd.file = Some("dir,x/a:b.yaml".into());
        assert_eq!(
            github(&[odd], "soarform validate"),
            "::error file=dir%2Cx/a%3Ab.yaml,line=3,col=9,title=soarform validate::unknown field `Stauts`, 100%25 sure%0Anote: fields are: status, priority%0Ahelp: did you mean `Status`?\n"
        );
        assert_eq!(
            github(&[Finding::general("no files", "soarform/validate")], "t"),
            "::error title=t::no files\n"
        );
    }

    #[test]
    fn sarif_results_locate_findings_with_uri_references() {
        let log = sarif(
            &[finding(), Finding::general("nothing", "soarform/validate")],
            &[("soarform/validate", "x")],
        );
        let results = &log["runs"][0]["results"];
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"],
            json!({"artifactLocation": {"uri": "incidents/a%20b.yaml"}, "region": {"startLine": 3, "startColumn": 9}})
        );
        assert!(results[1].get("locations").is_none());
        assert_eq!(results[0]["level"], "error");
    }
}
