//! The canonical YAML form of desired-state documents: fixed key order, plain scalars where the
//! YAML 1.2 core schema reads them back as the same string, double quotes otherwise, literal block
//! scalars for multi-line text. This is the form `soarform export` will write and `soarform fmt`
//! will rewrite to (issue 5); every emitted document parses back to the same values.

use serde_json::Value;

/// One document in canonical form.
#[derive(Debug, Clone, PartialEq)]
pub struct CanonicalDocument {
    /// `Incident`, `TriageItem` or `Template`.
    pub kind: String,
    /// The key (`name` for templates).
    pub key: String,
    /// The incident template, by name or id.
    pub template: Option<Value>,
    /// The local template extended.
    pub extends: Option<String>,
    /// Fields the SOC owns after creation.
    pub ignore_changes: Vec<String>,
    /// Field names (labels for custom fields) and values, in the order to write.
    pub fields: Vec<(String, Value)>,
}

/// Renders one document (without the `---` separator), ending in a newline.
pub fn document(document: &CanonicalDocument) -> String {
    let mut out = String::new();
    push_entry(&mut out, 0, "kind", &Value::String(document.kind.clone()));
    let key_name = if document.kind == "Template" {
        "name"
    } else {
        "key"
    };
    push_entry(&mut out, 0, key_name, &Value::String(document.key.clone()));
    if let Some(template) = &document.template {
        push_entry(&mut out, 0, "template", template);
    }
    if let Some(extends) = &document.extends {
        push_entry(&mut out, 0, "extends", &Value::String(extends.clone()));
    }
    if !document.ignore_changes.is_empty() {
        let items: Vec<String> = document
            .ignore_changes
            .iter()
            .map(|name| inline_string(name))
            .collect();
        out.push_str(&format!("ignore_changes: [{}]\n", items.join(", ")));
    }
    if !document.fields.is_empty() {
        out.push_str("fields:\n");
        for (name, value) in &document.fields {
            push_entry(&mut out, 2, name, value);
        }
    }
    out
}

/// Renders several documents separated by `---`.
pub fn documents(documents: &[CanonicalDocument]) -> String {
    documents
        .iter()
        .map(document)
        .collect::<Vec<_>>()
        .join("---\n")
}

fn push_entry(out: &mut String, indent: usize, key: &str, value: &Value) {
    let pad = " ".repeat(indent);
    let key = inline_string(key);
    match value {
        Value::String(text) if is_block(text) => {
            out.push_str(&format!("{pad}{key}: {}\n", block_header(text)));
            let inner = " ".repeat(indent + 2);
            let body = text.strip_suffix('\n').unwrap_or(text);
            let body = body.trim_end_matches('\n');
            for line in body.split('\n') {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    out.push_str(&format!("{inner}{line}\n"));
                }
            }
            // `|+` keeps the trailing empty lines: write them.
            let trailing = text.len() - text.trim_end_matches('\n').len();
            for _ in 1..trailing {
                out.push('\n');
            }
        }
        _ => out.push_str(&format!("{pad}{key}: {}\n", inline(value))),
    }
}

/// Whether a string is written as a literal block: multi-line text without characters a block
/// cannot hold.
fn is_block(text: &str) -> bool {
    let body = text.trim_end_matches('\n');
    body.contains('\n')
        && !text
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}')
        && !body.split('\n').any(|line| line.ends_with([' ', '\t']))
}

/// `|`, `|-` or `|+` for the string's trailing newlines, with an indentation indicator when the
/// first line starts with a space.
fn block_header(text: &str) -> String {
    let trailing = text.len() - text.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let indicator = if text.starts_with([' ', '\t']) {
        "2"
    } else {
        ""
    };
    format!("|{indicator}{chomp}")
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => inline_string(text),
        // Desired-state values are scalars; anything else is written as JSON, which YAML reads.
        other => other.to_string(),
    }
}

/// A string as a plain scalar when the core schema reads it back as that same string, else in
/// double quotes (JSON escapes are valid YAML double-quoted escapes).
pub fn inline_string(text: &str) -> String {
    if needs_quotes(text) {
        Value::String(text.to_string()).to_string()
    } else {
        text.to_string()
    }
}

fn needs_quotes(text: &str) -> bool {
    if text.is_empty() || text.trim() != text {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    // Core-schema nulls and booleans, plus YAML 1.1's, which other tools still read that way.
    if matches!(
        lower.as_str(),
        "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return true;
    }
    if looks_numeric(text) {
        return true;
    }
    let first = text.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-` and `?` and `:` are fine when followed by a non-space, but quoting is simpler.
        return true;
    }
    text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':')
        || text.chars().any(|c| c.is_control() || c == '\u{feff}')
}

fn looks_numeric(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if matches!(lower.trim_start_matches(['+', '-']), ".inf" | ".nan") {
        return true;
    }
    if lower.starts_with("0x") || lower.starts_with("0o") {
        return true;
    }
    text.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml;
    use serde_json::json;
    use std::path::Path;

    fn read_back(text: &str) -> Vec<Value> {
        let parsed = yaml::parse(Path::new("emitted.yaml"), text);
        assert!(parsed.diagnostics.is_empty(), "{text}");
        parsed
            .documents
            .iter()
            .map(|document| document.root.to_json())
            .collect()
    }

    fn incident(fields: Vec<(&str, Value)>) -> CanonicalDocument {
        CanonicalDocument {
            kind: "Incident".into(),
            key: "phishing/ceo-wire-fraud".into(),
            template: Some(json!("Phishing")),
            extends: Some("phishing-defaults".into()),
            ignore_changes: vec!["status".into(), "Business unit".into()],
            fields: fields
                .into_iter()
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
        }
    }

    #[test]
    fn documents_have_a_fixed_key_order_and_read_simply() {
        let text = document(&incident(vec![
            ("description", json!("Wire fraud.\nCEO called back.\n")),
            ("status", json!("Open")),
            ("Estimated loss (USD)", json!(250000.5)),
        ]));
        assert_eq!(
            text,
            "kind: Incident\nkey: phishing/ceo-wire-fraud\ntemplate: Phishing\nextends: phishing-defaults\nignore_changes: [status, Business unit]\nfields:\n  description: |\n    Wire fraud.\n    CEO called back.\n  status: Open\n  Estimated loss (USD): 250000.5\n"
        );
    }

    #[test]
    fn every_awkward_string_reads_back_as_itself() {
        let awkward = [
            "",
            " padded",
            "true",
            "No",
            "null",
            "~",
            "123",
            "1e3",
            "0x1F",
            ".inf",
            "-",
            "- item",
            "key: value",
            "a #comment",
            "ends:",
            "#hash",
            "[list]",
            "{map}",
            "*alias",
            "&anchor",
            "!tag",
            "|pipe",
            ">fold",
            "'single'",
            "\"double\"",
            "%percent",
            "@at",
            "`tick`",
            "tab\there",
            "bell\u{7}",
            "carriage\r\nreturn",
            "2026-11-20T09:00:00Z",
            "Open",
            "ünïcödé",
            "trailing space \nnext",
            "one\ntwo",
            "one\ntwo\n\n\n",
            " indented\nsecond\n",
            "no newline\nat end",
        ];
        let fields: Vec<(String, Value)> = awkward
            .iter()
            .enumerate()
            .map(|(index, text)| (format!("field {index}"), json!(text)))
            .collect();
        let mut document_value = incident(Vec::new());
        document_value.fields = fields.clone();
        let text = document(&document_value);
        let read = read_back(&text);
        for (name, value) in &fields {
            assert_eq!(&read[0]["fields"][name], value, "{name} in:\n{text}");
        }
        assert_eq!(
            read[0]["ignore_changes"],
            json!(["status", "Business unit"])
        );
    }

    #[test]
    fn plain_strings_stay_plain_and_others_are_quoted() {
        assert_eq!(inline_string("Suspicious login"), "Suspicious login");
        assert_eq!(
            inline_string("s3://acme-exports-prod"),
            "s3://acme-exports-prod"
        );
        assert_eq!(inline_string("true"), "\"true\"");
        assert_eq!(inline_string("42"), "\"42\"");
        assert_eq!(inline_string("a: b"), "\"a: b\"");
    }

    #[test]
    fn several_documents_are_separated() {
        let mut template = incident(vec![("restriction", json!("Low"))]);
        template.kind = "Template".into();
        template.key = "phishing-defaults".into();
        template.extends = None;
        template.ignore_changes.clear();
        let text = documents(&[template, incident(vec![("status", json!(1))])]);
        assert!(
            text.starts_with("kind: Template\nname: phishing-defaults\n"),
            "{text}"
        );
        let read = read_back(&text);
        assert_eq!(read.len(), 2);
        assert_eq!(read[1]["fields"]["status"], json!(1));
    }
}
