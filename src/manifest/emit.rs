//! The canonical YAML form of desired-state documents: fixed key order, plain scalars where the
//! YAML 1.2 core schema reads them back as the same string, double quotes otherwise, literal block
//! scalars for text with line breaks. This is the form `soarform export` writes and `soarform fmt`
//! rewrites to (issue 5); every emitted document parses back to the same values.
//! [`annotated_document`] writes the same form with the comments and blank lines `soarform fmt`
//! keeps.

use serde_json::Value;

/// One document in canonical form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CanonicalDocument {
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
pub(crate) fn document(document: &CanonicalDocument) -> String {
    annotated_document(document, &Annotations::default())
}

/// Renders several documents separated by `---`.
#[cfg(test)]
pub(crate) fn documents(documents: &[CanonicalDocument]) -> String {
    documents
        .iter()
        .map(document)
        .collect::<Vec<_>>()
        .join("---\n")
}

/// A line `soarform fmt` writes between entries: a blank line or a full-line comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// A blank line; several in a row are written as one, and none at the start or the end of a
    /// document.
    Blank,
    /// A comment, from its `#` to the end of its line, written at the indentation of the entry
    /// it belongs to (at the start of the line in a header or a trailer).
    Comment(String),
    /// In a trailer only: a comment that was indented in the source, written at the indentation
    /// of fields when the document ends with its fields (a commented-out last field stays one).
    IndentedComment(String),
}

/// A comment after the value, at the end of an entry's first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EndOfLineComment {
    /// The comment, from its `#` to the end of its line.
    pub text: String,
    /// The column (0-based, in characters) where it started; it is written there when the
    /// entry's line is shorter, one space after the value otherwise.
    pub column: usize,
    /// How many characters of content came before it in the source. When the entry's line is
    /// less than half as long now (a flow mapping written out as a block, say), the comment
    /// follows the value after one space instead of keeping a column far to the right.
    pub content_width: usize,
}

/// What is written around one entry (a top-level key or a field) besides its data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EntryNotes {
    /// Blank lines and comments above the entry.
    pub above: Vec<Line>,
    /// The comment at the end of the entry's first line.
    pub end_of_line: Option<EndOfLineComment>,
}

/// Notes of the top-level entries, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TopLevelNotes {
    /// `kind:`.
    pub kind: EntryNotes,
    /// `key:` (`name:` for templates).
    pub key: EntryNotes,
    /// `template:`.
    pub template: EntryNotes,
    /// `extends:`.
    pub extends: EntryNotes,
    /// `ignore_changes:`.
    pub ignore_changes: EntryNotes,
    /// `fields:` itself (its fields have their own notes).
    pub fields: EntryNotes,
}

/// Everything `soarform fmt` keeps from a document's text besides the data
/// [`CanonicalDocument`] holds: comments, blank lines, and the few shapes it has no room for.
/// [`annotated_document`] with the default (empty) annotations writes exactly [`document`]'s text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Annotations {
    /// Lines above the first entry (`kind`): a `# yaml-language-server:` header, say.
    pub header: Vec<Line>,
    /// Notes of the top-level entries.
    pub top_level: TopLevelNotes,
    /// Notes of the fields, in the order of [`CanonicalDocument::fields`] (a field without an
    /// element here has none).
    pub fields: Vec<EntryNotes>,
    /// Lines after the last entry.
    pub trailer: Vec<Line>,
    /// `extends` written as a list (`extends: [a, b]`), in place of
    /// [`CanonicalDocument::extends`].
    pub extends_list: Option<Vec<String>>,
    /// Whether to write `fields: {}` when there is no field.
    pub empty_fields: bool,
    /// Whether to write `ignore_changes: []` when the list is empty.
    pub empty_ignore_changes: bool,
    /// Numbers as the source wrote them (`1.50`, `0x1F`, `0042`, `1e3`), by field index (a field
    /// without an element here has none): written in place of the value, so that `fmt` never
    /// changes a number's digits. Each must be a plain scalar that reads back as that value.
    pub written_fields: Vec<Option<String>>,
    /// `template:` as the source wrote it, when it is a number.
    pub written_template: Option<String>,
}

/// Renders one document (without the `---` separator) with its comments and blank lines,
/// ending in a newline.
pub(crate) fn annotated_document(
    document: &CanonicalDocument,
    annotations: &Annotations,
) -> String {
    let notes = &annotations.top_level;
    let mut writer = Writer::default();
    writer.lines(&annotations.header, 0, 0);
    writer.entry(
        0,
        "kind",
        &Value::String(document.kind.clone()),
        None,
        &notes.kind,
    );
    let key_name = if document.kind == "Template" {
        "name"
    } else {
        "key"
    };
    writer.entry(
        0,
        key_name,
        &Value::String(document.key.clone()),
        None,
        &notes.key,
    );
    if let Some(template) = &document.template {
        let written = annotations.written_template.as_deref();
        writer.entry(0, "template", template, written, &notes.template);
    }
    if let Some(names) = &annotations.extends_list {
        writer.line(&format!("extends: {}", flow_list(names)), &notes.extends, 0);
    } else if let Some(extends) = &document.extends {
        writer.entry(
            0,
            "extends",
            &Value::String(extends.clone()),
            None,
            &notes.extends,
        );
    }
    if !document.ignore_changes.is_empty() || annotations.empty_ignore_changes {
        let line = format!("ignore_changes: {}", flow_list(&document.ignore_changes));
        writer.line(&line, &notes.ignore_changes, 0);
    }
    let mut trailer_indent = 0;
    if !document.fields.is_empty() {
        writer.line("fields:", &notes.fields, 0);
        let no_notes = EntryNotes::default();
        for (index, (name, value)) in document.fields.iter().enumerate() {
            let field_notes = annotations.fields.get(index).unwrap_or(&no_notes);
            let written = annotations
                .written_fields
                .get(index)
                .and_then(Option::as_deref);
            writer.entry(2, name, value, written, field_notes);
        }
        trailer_indent = 2;
    } else if annotations.empty_fields {
        writer.line("fields: {}", &notes.fields, 0);
    }
    writer.lines(&annotations.trailer, 0, trailer_indent);
    writer.out
}

/// Renders several annotated documents separated by `---`.
pub(crate) fn annotated_documents(documents: &[(CanonicalDocument, Annotations)]) -> String {
    documents
        .iter()
        .map(|(document, annotations)| annotated_document(document, annotations))
        .collect::<Vec<_>>()
        .join("---\n")
}

/// `[a, "b, c"]`: like [`inline_string`], and quoted besides where a plain scalar would end
/// early inside a flow collection (at `,[]{}`, or before them after a trailing `-?:`).
fn flow_list(names: &[String]) -> String {
    let items: Vec<String> = names
        .iter()
        .map(|name| {
            if name.contains([',', '[', ']', '{', '}']) || name.ends_with(['-', '?', ':']) {
                Value::String(name.clone()).to_string()
            } else {
                inline_string(name)
            }
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// Lines of one document, with blank lines collapsed and kept off its start and end.
#[derive(Default)]
struct Writer {
    out: String,
    blank_pending: bool,
    /// The last lines written are a `|+` block's empty lines: a blank line there would be read
    /// as more of its text.
    after_kept_block: bool,
}

impl Writer {
    /// Starts a line, writing the blank line asked for before it if any.
    fn start_line(&mut self) {
        if self.blank_pending && !self.out.is_empty() && !self.after_kept_block {
            self.out.push('\n');
        }
        self.blank_pending = false;
        self.after_kept_block = false;
    }

    /// Blank lines and comments; `indent` for comments, `indented` for indented trailer ones.
    fn lines(&mut self, lines: &[Line], indent: usize, indented: usize) {
        for line in lines {
            let (text, indent) = match line {
                Line::Blank => {
                    self.blank_pending = true;
                    continue;
                }
                Line::Comment(text) => (text, indent),
                Line::IndentedComment(text) => (text, indented),
            };
            self.start_line();
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(text);
            self.out.push('\n');
        }
    }

    /// One line of text with its notes.
    fn line(&mut self, text: &str, notes: &EntryNotes, indent: usize) {
        self.lines(&notes.above, indent, indent);
        self.start_line();
        self.out.push_str(text);
        if let Some(comment) = &notes.end_of_line {
            let width = text.chars().count();
            let spaces = if width < comment.column && width * 2 >= comment.content_width {
                comment.column - width
            } else {
                1
            };
            self.out.push_str(&" ".repeat(spaces));
            self.out.push_str(&comment.text);
        }
        self.out.push('\n');
    }

    /// `key: value` (or a block scalar) with its notes; a number as `written` when given.
    fn entry(
        &mut self,
        indent: usize,
        key: &str,
        value: &Value,
        written: Option<&str>,
        notes: &EntryNotes,
    ) {
        let pad = " ".repeat(indent);
        let key = inline_string(key);
        match value {
            Value::Number(_) if written.is_some_and(is_plain_number) => {
                let written = written.unwrap_or_default();
                self.line(&format!("{pad}{key}: {written}"), notes, indent);
            }
            Value::String(text) if is_block(text) => {
                self.line(
                    &format!("{pad}{key}: {}", block_header(text)),
                    notes,
                    indent,
                );
                let inner = " ".repeat(indent + 2);
                let body = text.trim_end_matches('\n');
                for line in body.split('\n') {
                    if line.is_empty() {
                        self.out.push('\n');
                    } else {
                        self.out.push_str(&format!("{inner}{line}\n"));
                    }
                }
                // `|+` keeps the trailing empty lines: write them.
                let trailing = text.len() - body.len();
                for _ in 1..trailing {
                    self.out.push('\n');
                }
                self.after_kept_block = trailing > 1;
            }
            _ => self.line(&format!("{pad}{key}: {}", inline(value)), notes, indent),
        }
    }
}

/// Whether a number's written text can stand as a plain scalar on one line (digits, signs,
/// `.`, exponents, `0x`/`0o` prefixes; nothing a reader would take for more YAML).
fn is_plain_number(written: &str) -> bool {
    !written.is_empty()
        && written
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'+' | b'-'))
}

/// Whether a string is written as a literal block: text with a line break (a final one
/// included) and some text besides, without characters a block cannot hold.
fn is_block(text: &str) -> bool {
    let body = text.trim_end_matches('\n');
    text.contains('\n')
        && !body.trim_start_matches('\n').is_empty()
        && !text
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}')
        && !body.split('\n').any(|line| line.ends_with([' ', '\t']))
}

/// `|`, `|-` or `|+` for the string's trailing newlines, with an indentation indicator when the
/// first line that is not empty starts with a space (a reader would take it for indentation).
fn block_header(text: &str) -> String {
    let trailing = text.len() - text.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let indicator = if text.trim_start_matches('\n').starts_with([' ', '\t']) {
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
        // Multi-value fields: a flow sequence, `[Email, Endpoint]`; an item holding a flow
        // indicator is quoted, since a plain scalar cannot hold one inside `[...]`.
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::String(text) if text.contains([',', '[', ']', '{', '}']) => {
                        item.to_string()
                    }
                    other => inline(other),
                })
                .collect();
            format!("[{}]", items.join(", "))
        }
        // Desired-state values hold no mappings; one is written as JSON, which YAML reads.
        other => other.to_string(),
    }
}

/// A string as a plain scalar when the core schema reads it back as that same string, else in
/// double quotes (JSON escapes are valid YAML double-quoted escapes).
pub(crate) fn inline_string(text: &str) -> String {
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
            "one line\n",
            "\n",
            "\n\n",
            "\n  indented after an empty line",
            "\n\nsecond\n\n",
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
    fn names_in_flow_lists_read_back_as_themselves() {
        let names = [
            "plain name",
            "a, b",
            "[x]",
            "{y}",
            "ends -",
            "ends?",
            "a :",
            "a - b",
            "yes",
            "# hash",
        ];
        let mut document_value = incident(Vec::new());
        document_value.ignore_changes = names.iter().map(ToString::to_string).collect();
        let text = document(&document_value);
        assert!(
            text.contains("ignore_changes: [plain name, \"a, b\", \"[x]\", "),
            "{text}"
        );
        assert_eq!(
            read_back(&text)[0]["ignore_changes"],
            json!(names),
            "{text}"
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
    fn numbers_are_written_as_the_source_wrote_them() {
        let mut document = incident(vec![
            ("amount", json!(1.5)),
            ("code", json!(31)),
            ("zip", json!(42)),
            ("big", json!(1000.0)),
            ("text", json!("1.50")),
            ("plain", json!(7)),
        ]);
        document.template = Some(json!(1));
        document.extends = None;
        document.ignore_changes.clear();
        let annotations = Annotations {
            written_fields: vec![
                Some("1.50".into()),
                Some("0x1F".into()),
                Some("0042".into()),
                Some("1e3".into()),
                // Only numbers take a written form.
                Some("ignored".into()),
            ],
            written_template: Some("0x01".into()),
            ..Annotations::default()
        };
        let text = annotated_document(&document, &annotations);
        assert_eq!(
            text,
            "kind: Incident\nkey: phishing/ceo-wire-fraud\ntemplate: 0x01\nfields:\n  amount: 1.50\n  code: 0x1F\n  zip: 0042\n  big: 1e3\n  text: \"1.50\"\n  plain: 7\n"
        );
        let read = read_back(&text);
        assert_eq!(read[0]["fields"]["code"], json!(31));
        assert_eq!(read[0]["template"], json!(1));
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

    #[test]
    fn one_line_with_a_line_break_is_a_block() {
        let text = document(&incident(vec![
            ("description", json!("Wire fraud.\n")),
            ("empty lines", json!("\n\n")),
        ]));
        assert!(
            text.ends_with(
                "fields:\n  description: |\n    Wire fraud.\n  empty lines: \"\\n\\n\"\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn annotations_are_written_around_entries() {
        let mut document = incident(vec![
            ("description", json!("kept\n\n")),
            ("status", json!("Open")),
        ]);
        document.extends = None;
        document.ignore_changes.clear();
        let comment = |text: &str| Line::Comment(text.to_string());
        let annotations = Annotations {
            header: vec![Line::Blank, comment("# header"), Line::Blank, Line::Blank],
            top_level: TopLevelNotes {
                kind: EntryNotes {
                    above: vec![Line::Blank],
                    end_of_line: Some(EndOfLineComment {
                        text: "# aligned".into(),
                        column: 20,
                        content_width: 13,
                    }),
                },
                key: EntryNotes {
                    above: Vec::new(),
                    end_of_line: Some(EndOfLineComment {
                        text: "# longer than its column".into(),
                        column: 3,
                        content_width: 2,
                    }),
                },
                ..TopLevelNotes::default()
            },
            fields: vec![
                EntryNotes::default(),
                EntryNotes {
                    above: vec![Line::Blank, comment("# about status")],
                    end_of_line: None,
                },
            ],
            trailer: vec![
                Line::Blank,
                Line::IndentedComment("# status: Closed".into()),
                Line::Blank,
            ],
            extends_list: Some(vec!["a".into(), "b c".into()]),
            empty_fields: false,
            empty_ignore_changes: true,
            written_fields: Vec::new(),
            written_template: None,
        };
        let text = annotated_document(&document, &annotations);
        assert_eq!(
            text,
            concat!(
                "# header\n",
                "\n",
                "kind: Incident      # aligned\n",
                "key: phishing/ceo-wire-fraud # longer than its column\n",
                "template: Phishing\n",
                "extends: [a, b c]\n",
                "ignore_changes: []\n",
                "fields:\n",
                "  description: |+\n",
                "    kept\n",
                "\n",
                // No blank line here: it would be read as more of the kept text.
                "  # about status\n",
                "  status: Open\n",
                "\n",
                "  # status: Closed\n",
            )
        );
        let read = read_back(&text);
        assert_eq!(read[0]["fields"]["description"], json!("kept\n\n"));
        assert_eq!(read[0]["extends"], json!(["a", "b c"]));
        assert_eq!(
            annotated_document(&document, &Annotations::default()),
            super::document(&document)
        );
    }
}
