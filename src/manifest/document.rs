//! One parsed YAML document -> a declaration (an object or a local template), checked against
//! the schema and soarform's own rules (kinds, keys, field values, dates).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::Value;

use super::diagnostic::{did_you_mean, escaped, one_of, Diagnostic, Origin};
use super::document_file::{DeclarationKind, DocumentFile, KINDS, TEXT_FIELDS};
use super::model::{NamedField, TemplateRef, KEY_PATTERN, MAX_KEY_LENGTH};
use super::schema::{self, Problem, ProblemKind, SchemaName};
use super::value;
use super::yaml::{Document, Entry, Node, NodeValue};
use crate::kind::Kind;

/// Fields that always hold dates, whatever their value looks like.
const DATE_FIELDS: [&str; 2] = ["starttime", "endtime"];

/// A field as written in one document (`null` included: it removes an inherited field).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WrittenField {
    pub name: String,
    pub value: Value,
    /// The scalar's text when YAML read it as something other than a string.
    pub written: Option<String>,
    pub origin: Origin,
    pub name_origin: Origin,
}

/// An object or template as one document declares it, before `extends`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Declaration {
    pub file: PathBuf,
    pub kind: DeclarationKind,
    /// The key (objects) or name (templates).
    pub name: String,
    pub name_origin: Origin,
    /// Whether the document had no problem. An invalid declaration still claims its name, so
    /// that documents extending it are not also reported as extending an unknown template.
    pub valid: bool,
    pub extends: Vec<(String, Origin)>,
    pub template: Option<(TemplateRef, Origin)>,
    pub fields: Vec<WrittenField>,
    /// `ignore_changes:` as written (duplicates included), each at its list item.
    pub ignore_changes: Vec<NamedField>,
}

/// Checks one document and returns what it declares, when it has a known kind and a key (or
/// name) string; every problem goes to `diagnostics`.
pub(crate) fn interpret(
    file: &Path,
    document: &Document,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Declaration> {
    let before = diagnostics.len();
    let root = &document.root;
    if !matches!(root.value, NodeValue::Mapping(_)) {
        diagnostics.push(not_a_mapping(file, document));
        return None;
    }
    let kind = declaration_kind(file, root, diagnostics)?;

    let instance = root.to_json();
    let problems = schema::validate(SchemaName::Document, &instance);
    let matches_schema = problems.is_empty();
    for problem in problems {
        diagnostics.push(problem_diagnostic(file, root, kind, &problem));
    }
    if let Some(fields) = root.get("fields") {
        check_fields(file, &fields.value, diagnostics);
    }
    if let Some(ignored) = root.get("ignore_changes") {
        check_ignore_changes(file, &ignored.value, diagnostics);
    }

    let name_entry = root.get(kind.name_key())?;
    let name_origin = name_entry.value.pos.origin(file);
    let read = if matches_schema {
        match serde_json::from_value::<DocumentFile>(instance) {
            Ok(document) => Some(document.into_envelope()),
            // The schema is generated from `DocumentFile`, so this is a soarform bug.
            Err(error) => {
                diagnostics.push(
                    Diagnostic::at(
                        root.pos.origin(file),
                        format!("this document cannot be read: {error}"),
                    )
                    .with_label("in this document"),
                );
                None
            }
        }
    } else {
        None
    };
    let valid = diagnostics.len() == before;
    let Some(envelope) = read else {
        return invalid_declaration(file, root, kind, name_entry, name_origin);
    };
    let extends = envelope
        .extends
        .names()
        .iter()
        .zip(item_origins(file, root.get("extends")))
        .map(|(name, origin)| (name.clone(), origin))
        .collect();
    let template = envelope.template.and_then(|written| {
        let origin = root.get("template")?.value.pos.origin(file);
        Some((written.reference()?, origin))
    });
    let written_fields: HashMap<&str, &Entry> =
        match root.get("fields").map(|entry| &entry.value.value) {
            Some(NodeValue::Mapping(entries)) => entries
                .iter()
                .map(|entry| (entry.key.as_str(), entry))
                .collect(),
            _ => HashMap::new(),
        };
    let fields = envelope
        .fields
        .into_iter()
        .filter_map(|(name, value)| {
            let entry = written_fields.get(name.as_str())?;
            Some(WrittenField {
                written: entry.value.written.clone(),
                origin: entry.value.pos.origin(file),
                name_origin: entry.key_pos.origin(file),
                name,
                value,
            })
        })
        .collect();
    let ignore_changes = envelope
        .ignore_changes
        .into_iter()
        .zip(item_origins(file, root.get("ignore_changes")))
        .map(|(name, origin)| NamedField { name, origin })
        .collect();
    Some(Declaration {
        file: file.to_path_buf(),
        kind: envelope.kind,
        name: envelope.name,
        name_origin,
        valid,
        extends,
        template,
        fields,
        ignore_changes,
    })
}

/// Where each item of a list was written, or the scalar itself for one written alone (`extends:
/// base`); nothing when the key is absent.
fn item_origins<'a>(file: &'a Path, entry: Option<&'a Entry>) -> impl Iterator<Item = Origin> + 'a {
    let nodes = match entry.map(|entry| &entry.value) {
        Some(Node {
            value: NodeValue::Sequence(items),
            ..
        }) => items.as_slice(),
        Some(node) => std::slice::from_ref(node),
        None => &[],
    };
    nodes.iter().map(move |node| node.pos.origin(file))
}

/// A document the schema refuses cannot be read as a [`DocumentFile`], but it still claims its
/// key or name (when that is a string), and its `extends` names are still checked across files
/// (unknown targets, cycles). This positioned fallback reads exactly those; the rest of an
/// invalid declaration is never used, so it is left empty.
fn invalid_declaration(
    file: &Path,
    root: &Node,
    kind: DeclarationKind,
    name_entry: &Entry,
    name_origin: Origin,
) -> Option<Declaration> {
    let name = name_entry.value.as_str()?.to_string();
    let extends = match root.get("extends").map(|entry| &entry.value) {
        Some(node) => match &node.value {
            NodeValue::Scalar(Value::String(name)) => vec![(name.clone(), node.pos.origin(file))],
            NodeValue::Sequence(items) => items
                .iter()
                .filter_map(|item| Some((item.as_str()?.to_string(), item.pos.origin(file))))
                .collect(),
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    Some(Declaration {
        file: file.to_path_buf(),
        kind,
        name,
        name_origin,
        valid: false,
        extends,
        template: None,
        fields: Vec::new(),
        ignore_changes: Vec::new(),
    })
}

fn not_a_mapping(file: &Path, document: &Document) -> Diagnostic {
    let root = &document.root;
    let empty = root.is_null() && root.pos.len == 0;
    if empty {
        let origin = if document.start.len > 0 {
            document.start.origin(file)
        } else {
            root.pos.origin(file)
        };
        return Diagnostic::at(origin, "empty document")
            .with_label("expected a mapping with `kind`")
            .with_help("remove the `---`, or write a document after it");
    }
    Diagnostic::at(
        root.pos.origin(file),
        format!(
            "a document must be a mapping with `kind`, found {}",
            root.type_name()
        ),
    )
    .with_label("not a mapping")
    .with_help("write `kind: Incident`, `kind: TriageItem` or `kind: Template` and its keys")
}

fn declaration_kind(
    file: &Path,
    root: &Node,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<DeclarationKind> {
    let Some(entry) = root.get("kind") else {
        let mut diagnostic = Diagnostic::at(root.pos.origin(file), "missing `kind`")
            .with_label("this document has no `kind`")
            .with_help("add `kind: Incident`, `kind: TriageItem` or `kind: Template`");
        if let NodeValue::Mapping(entries) = &root.value {
            if let Some(close) = entries
                .iter()
                .find(|entry| did_you_mean(&entry.key, ["kind"]).is_some())
            {
                diagnostic = Diagnostic::at(close.key_pos.origin(file), "missing `kind`")
                    .with_label("this document has no `kind`")
                    .with_help(format!("did you mean `kind` instead of `{}`?", close.key));
            }
        }
        diagnostics.push(diagnostic);
        return None;
    };
    let node = &entry.value;
    let Some(text) = node.as_str() else {
        diagnostics.push(
            Diagnostic::at(
                node.pos.origin(file),
                format!(
                    "`kind` must be {}, found {}",
                    one_of(&KINDS, "or"),
                    schema::show_value(node)
                ),
            )
            .with_label("expected a kind"),
        );
        return None;
    };
    match text {
        "Incident" => Some(DeclarationKind::Object(Kind::Incident)),
        "TriageItem" => Some(DeclarationKind::Object(Kind::TriageItem)),
        "Template" => Some(DeclarationKind::Template),
        other => {
            let mut diagnostic =
                Diagnostic::at(node.pos.origin(file), format!("unknown kind `{other}`"))
                    .with_label("unknown kind")
                    .with_note(format!("expected {}", one_of(&KINDS, "or")));
            if let Some(suggestion) = did_you_mean(other, KINDS) {
                diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
            }
            diagnostics.push(diagnostic);
            None
        }
    }
}

/// Schema problems phrased for desired-state documents.
fn problem_diagnostic(
    file: &Path,
    root: &Node,
    kind: DeclarationKind,
    problem: &Problem,
) -> Diagnostic {
    let path: Vec<&str> = problem.path.iter().map(String::as_str).collect();
    let located = root.find(&problem.path);
    let origin = located.map_or(root.pos, |(node, _)| node.pos).origin(file);
    let found = located.map_or_else(
        || "nothing".to_string(),
        |(node, _)| schema::show_value(node),
    );
    let kind_name = kind.document_name();
    let noun = match kind {
        DeclarationKind::Object(_) => "key",
        DeclarationKind::Template => "template name",
    };
    match (path.as_slice(), &problem.kind) {
        ([], ProblemKind::Missing { key }) => {
            let origin = root
                .get("kind")
                .map_or(root.pos, |entry| entry.value.pos)
                .origin(file);
            let example = match key.as_str() {
                "name" => "name: phishing-defaults",
                _ => "key: phishing/ceo-wire-fraud",
            };
            Diagnostic::at(origin, format!("missing `{key}`"))
                .with_label(format!("this `{kind_name}` has no `{key}`"))
                .with_help(format!("add a line such as `{example}`"))
        }
        ([], ProblemKind::UnknownKey { key, .. }) if key == "<<" => {
            let mut diagnostic = schema::diagnostic(file, root, problem);
            diagnostic.notes.clear();
            diagnostic.with_help("YAML merge keys (`<<`) are not supported: put shared fields in a `Template` document and use `extends`")
        }
        ([], ProblemKind::UnknownKey { allowed, .. }) => {
            let mut diagnostic = schema::diagnostic(file, root, problem);
            diagnostic.notes = vec![format!(
                "`{kind_name}` documents take {}",
                one_of(allowed, "and")
            )];
            diagnostic
        }
        (["key" | "name"], ProblemKind::Constraint { phrase }) if phrase == "must not be empty" => {
            Diagnostic::at(origin, format!("empty {noun}"))
                .with_label(format!("expected a {noun} such as `phishing/ceo-wire-fraud`"))
        }
        (["key" | "name"], ProblemKind::Constraint { phrase }) if phrase.starts_with("must be at most") => {
            Diagnostic::at(
                origin,
                format!("{noun} is longer than {MAX_KEY_LENGTH} characters"),
            )
            .with_label("too long")
        }
        (["key" | "name"], ProblemKind::Pattern { .. }) => {
            Diagnostic::at(origin, format!("invalid {noun} {found}"))
                .with_label(format!("not a valid {noun}"))
                .with_note(format!(
                    "{noun}s match `{KEY_PATTERN}` (at most {MAX_KEY_LENGTH} characters)"
                ))
                .with_help("use letters, digits, `.`, `_`, `/` and `-`, starting with a letter or digit; no spaces, quotes or `*`")
        }
        (["key" | "name"], ProblemKind::WrongType { .. }) => {
            let mut diagnostic = Diagnostic::at(origin, format!("`{}` must be a string, found {found}", path[0]))
                .with_label("expected a string");
            if let Some((node, _)) = located {
                if let NodeValue::Scalar(value @ (Value::Number(_) | Value::Bool(_))) = &node.value {
                    let written = node.written.clone().unwrap_or_else(|| value.to_string());
                    diagnostic = diagnostic.with_help(format!("quote it: `{}: {}`", path[0], Value::String(written)));
                }
            }
            diagnostic
        }
        (["template"], ProblemKind::WrongType { .. }) => Diagnostic::at(
            origin,
            format!("`template` must be a template name or a numeric id, found {found}"),
        )
        .with_label("expected a string or an integer"),
        (["template"], ProblemKind::Constraint { .. }) => Diagnostic::at(
            origin,
            format!("`template` must be a template name or an id of at least 1, found {found}"),
        )
        .with_label("not a template"),
        (["fields", name], ProblemKind::WrongType { .. })
            if located.is_some_and(|(node, _)| {
                matches!(node.value, NodeValue::Scalar(Value::Number(_) | Value::Bool(_)))
            }) =>
        {
            // A built-in text field (the schema types it): say how to send the text.
            let node = located.map_or(root, |(node, _)| node);
            not_text(file, name, node)
        }
        (["fields", name], ProblemKind::WrongType { expected }) => {
            let mut diagnostic = Diagnostic::at(
                origin,
                format!(
                    "field `{name}` must be {}, found {found}",
                    schema::join_or(expected)
                ),
            )
            .with_label("expected a value or a list of values")
            .with_help("field values are strings, numbers or booleans, or lists of them for multi-value fields; `null` removes an inherited field");
            if let Some((node, _)) = located {
                if matches!(node.value, NodeValue::Mapping(_) | NodeValue::Sequence(_)) {
                    diagnostic = diagnostic.with_note(
                        "for text with `:` or several lines, quote it or use a block scalar (`|`)",
                    );
                }
            }
            diagnostic
        }
        (["ignore_changes"], ProblemKind::WrongType { .. }) => {
            let help = match located.map(|(node, _)| &node.value) {
                Some(NodeValue::Scalar(Value::String(name))) => {
                    format!("write a list, even for one field: `ignore_changes: [{name}]`")
                }
                _ => "write a list of API names or labels, for example `ignore_changes: [status, owner]`".to_string(),
            };
            Diagnostic::at(
                origin,
                format!("`ignore_changes` must be a list of field names, found {found}"),
            )
            .with_label("expected a list")
            .with_help(help)
        }
        (["ignore_changes", _], ProblemKind::WrongType { .. }) => {
            let mut diagnostic = Diagnostic::at(
                origin,
                format!("{} must be a field name, found {found}", schema::describe_path(&problem.path)),
            )
            .with_label("expected a string");
            if let Some((node, _)) = located {
                if let NodeValue::Scalar(value @ (Value::Number(_) | Value::Bool(_))) = &node.value {
                    let written = node.written.clone().unwrap_or_else(|| value.to_string());
                    diagnostic = diagnostic.with_help(format!("quote it: `{}`", Value::String(written)));
                }
            }
            diagnostic
        }
        (["ignore_changes", _], ProblemKind::Constraint { phrase }) if phrase == "must not be empty" => {
            empty_ignored_name(origin)
        }
        _ => schema::diagnostic(file, root, problem),
    }
}

/// `ignore_changes: [""]` or `["  "]`.
fn empty_ignored_name(origin: Origin) -> Diagnostic {
    Diagnostic::at(origin, "empty field name in `ignore_changes`")
        .with_label("expected an API name such as `status` or a label")
}

/// Names in `ignore_changes` beyond types: blank ones (empty ones are the schema's).
fn check_ignore_changes(file: &Path, ignored: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let NodeValue::Sequence(items) = &ignored.value else {
        return;
    };
    for item in items {
        if let Some(name) = item.as_str() {
            if !name.is_empty() && name.trim().is_empty() {
                diagnostics.push(empty_ignored_name(item.pos.origin(file)));
            }
        }
    }
}

/// Field names and values beyond types: empty names, numbers or booleans in built-in text fields,
/// numbers that cannot be sent exactly, control characters in text, dates.
fn check_fields(file: &Path, fields: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let NodeValue::Mapping(entries) = &fields.value else {
        return;
    };
    for entry in entries {
        if entry.key.trim().is_empty() {
            diagnostics.push(
                Diagnostic::at(entry.key_pos.origin(file), "empty field name")
                    .with_label("expected an API name such as `status` or a label"),
            );
            continue;
        }
        let NodeValue::Scalar(value) = &entry.value.value else {
            continue;
        };
        let is_date_field = DATE_FIELDS
            .iter()
            .any(|name| entry.key.eq_ignore_ascii_case(name));
        let origin = || entry.value.pos.origin(file);
        let name = escaped(&entry.key);
        match value {
            Value::Null => {
                if let Some(diagnostic) = null_like(file, &entry.key, &entry.value) {
                    diagnostics.push(diagnostic);
                }
            }
            // The schema reports the API names themselves (for editors too).
            Value::Number(_) | Value::Bool(_) if TEXT_FIELDS.contains(&entry.key.as_str()) => {}
            Value::Number(_) | Value::Bool(_) if is_text_field(&entry.key) => {
                diagnostics.push(not_text(file, &entry.key, &entry.value));
            }
            Value::Number(number) if !is_date_field => {
                let written = entry.value.written.as_deref().unwrap_or_default();
                if !value::is_exact(written, number) {
                    diagnostics.push(
                        Diagnostic::at(
                            origin(),
                            format!(
                                "the number `{written}` in field `{name}` cannot be sent exactly: it would be `{}`",
                                value::shown_number(number)
                            ),
                        )
                        .with_label("not exact")
                        .with_note("numbers are sent as double-precision floating point, which holds about 15 significant digits")
                        .with_help(format!(
                            "{}, or round it",
                            value::quote_help(written)
                        )),
                    );
                }
            }
            Value::String(text) if value::control_character(text).is_some() => {
                if let Some(diagnostic) = control_character(origin(), &entry.key, text) {
                    diagnostics.push(diagnostic);
                }
            }
            Value::String(text) if looks_like_date(text) => {
                if let Err(help) = check_date(text) {
                    diagnostics.push(
                        Diagnostic::at(
                            origin(),
                            format!("invalid date `{text}` in field `{name}`"),
                        )
                        .with_label("expected an RFC 3339 timestamp or a `YYYY-MM-DD` date")
                        .with_help(help),
                    );
                }
            }
            other if is_date_field => {
                let found = match other {
                    Value::String(text) => format!("`{text}`"),
                    other => format!(
                        "`{}`",
                        entry
                            .value
                            .written
                            .clone()
                            .unwrap_or_else(|| other.to_string())
                    ),
                };
                diagnostics.push(
                    Diagnostic::at(
                        origin(),
                        format!("field `{name}` must be a date, found {found}"),
                    )
                    .with_label("expected an RFC 3339 timestamp or a `YYYY-MM-DD` date")
                    .with_help("for example `2026-11-20T09:00:00Z` or `2026-11-20`"),
                );
            }
            _ => {}
        }
    }
}

/// Whether `name` is a built-in text field (an API name, or written in another case as its
/// label may be).
fn is_text_field(name: &str) -> bool {
    TEXT_FIELDS
        .iter()
        .any(|field| name.eq_ignore_ascii_case(field))
}

/// A number or a boolean where text is meant: never turned into text silently, since the text
/// YAML would give back (`42` for `0042`, `31` for `0x1F`, `1.5` for `1.50`) is not what was
/// written.
fn not_text(file: &Path, name: &str, node: &Node) -> Diagnostic {
    let value = node.to_json();
    let written = node.written.clone().unwrap_or_else(|| value.to_string());
    Diagnostic::at(
        node.pos.origin(file),
        format!(
            "`{}` is a text field, but YAML reads `{written}` as {}",
            escaped(name),
            value::read_as(&value)
        ),
    )
    .with_label("not text")
    .with_help(value::quote_help(&written))
}

/// `~`, `Null`, `NULL` or nothing at all, which YAML reads as null: a field set to null removes
/// an inherited one, so that is written `null`; the others may have been meant as text (or be a
/// value left out by mistake).
fn null_like(file: &Path, name: &str, node: &Node) -> Option<Diagnostic> {
    let written = node.written.as_deref()?;
    if written == "null" {
        return None;
    }
    let shown = if written.is_empty() {
        "an empty value".to_string()
    } else {
        format!("`{written}`")
    };
    let text = if written.is_empty() {
        "write `\"\"` for empty text".to_string()
    } else {
        value::quote_help(written)
    };
    Some(
        Diagnostic::at(
            node.pos.origin(file),
            format!(
                "field `{}` is {shown}, which YAML reads as null",
                escaped(name)
            ),
        )
        .with_label("null")
        .with_help(format!(
            "write `null` to remove an inherited field, or {text}"
        )),
    )
}

/// A text value holding a control character other than tab and line break, shown escaped.
fn control_character(origin: Origin, name: &str, text: &str) -> Option<Diagnostic> {
    let (character, position) = value::control_character(text)?;
    Some(
        Diagnostic::at(
            origin,
            format!(
                "field `{}` holds the control character `{}`",
                escaped(name),
                escaped(&character.to_string())
            ),
        )
        .with_label("control character")
        .with_note(format!("at character {position} of the value"))
        .with_help(
            "remove it: text may hold tabs and line breaks, but no other control characters",
        ),
    )
}

/// `YYYY-MM-DD`, alone or followed by `T`, `t` or a space and a digit: a value meant as a date
/// (text that merely starts with a date, such as `2026-01-05: phishing wave`, is not).
pub(crate) fn looks_like_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    if !(digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && digits(5..7)
        && bytes.get(7) == Some(&b'-')
        && digits(8..10))
    {
        return false;
    }
    match bytes.get(10) {
        None => true,
        Some(b'T' | b't' | b' ') => bytes.get(11).is_some_and(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// A valid RFC 3339 timestamp or plain date; otherwise a hint on what to change.
pub(crate) fn check_date(text: &str) -> Result<(), String> {
    if text.len() == 10 {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(drop)
            .map_err(|_| {
                "the date does not exist; use `YYYY-MM-DD`, for example `2026-11-20`".to_string()
            });
    }
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return value::check_leap_second(&instant);
    }
    let without_offset = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .any(|format| NaiveDateTime::parse_from_str(text, format).is_ok());
    if without_offset {
        Err(format!(
            "add a UTC offset, for example `{}Z`",
            text.trim_end()
        ))
    } else {
        Err("for example `2026-11-20T09:00:00Z` or `2026-11-20`".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml;

    /// Every diagnostic of every document of `text`, rendered.
    fn check(text: &str) -> (Vec<Declaration>, String) {
        let file = Path::new("doc.yaml");
        let parsed = yaml::parse(file, text);
        let mut diagnostics = parsed.diagnostics;
        let declarations = parsed
            .documents
            .iter()
            .filter_map(|document| interpret(file, document, &mut diagnostics))
            .collect();
        let mut sources = crate::manifest::Sources::default();
        sources.insert(file.to_path_buf(), text.to_string());
        let rendered = diagnostics
            .iter()
            .map(|diagnostic| diagnostic.render(&sources, false))
            .collect::<Vec<_>>()
            .join("\n");
        (declarations, rendered)
    }

    fn errors(text: &str) -> String {
        let (_, rendered) = check(text);
        assert!(!rendered.is_empty(), "no error for {text:?}");
        rendered
    }

    fn assert_has(rendered: &str, expected: &[&str]) {
        for part in expected {
            assert!(rendered.contains(part), "missing {part:?} in:\n{rendered}");
        }
    }

    #[test]
    fn accepts_a_valid_incident() {
        let (declarations, rendered) = check(
            "kind: Incident\nkey: a/b-c.d_e\ntemplate: 3\nextends: [x, y]\nfields:\n  starttime: 2026-11-20\n  opt_5: 12.5\n  done: true\n  gone: null\n",
        );
        assert_eq!(rendered, "");
        let declaration = &declarations[0];
        assert!(declaration.valid);
        assert_eq!(declaration.kind, DeclarationKind::Object(Kind::Incident));
        assert_eq!(
            declaration.template.as_ref().map(|(template, _)| template),
            Some(&TemplateRef::Id(3))
        );
        let extends: Vec<&str> = declaration
            .extends
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(extends, ["x", "y"]);
        assert_eq!(declaration.fields.len(), 4);
        assert_eq!(declaration.fields[3].value, Value::Null);
    }

    #[test]
    fn wrong_type_is_reported_at_the_value() {
        let rendered = errors("kind: Incident\nkey: a\ntemplate: [1]\n");
        assert_has(
            &rendered,
            &[
                "error: `template` must be a template name or a numeric id, found a list",
                "--> doc.yaml:3:11",
            ],
        );
    }

    #[test]
    fn unknown_top_level_key_suggests_the_closest() {
        let rendered = errors("kind: Incident\nkey: a\nfeilds: {}\n");
        assert_has(&rendered, &[
            "error: unknown key `feilds`",
            "--> doc.yaml:3:1",
            "= note: `Incident` documents take `kind`, `key`, `template`, `extends`, `fields` and `ignore_changes`",
            "= help: did you mean `fields`?",
        ]);
    }

    #[test]
    fn triage_items_take_no_template() {
        let rendered = errors("kind: TriageItem\nkey: a\ntemplate: Phishing\n");
        assert_has(
            &rendered,
            &["error: unknown key `template`", "--> doc.yaml:3:1"],
        );
    }

    #[test]
    fn merge_keys_point_to_extends() {
        let rendered = errors("kind: Incident\nkey: a\n<<: {x: 1}\n");
        assert_has(&rendered, &["unknown key `<<`", "use `extends`"]);
    }

    #[test]
    fn missing_kind() {
        let rendered = errors("key: a\nfields: {}\n");
        assert_has(
            &rendered,
            &[
                "error: missing `kind`",
                "--> doc.yaml:1:1",
                "this document has no `kind`",
                "add `kind: Incident`, `kind: TriageItem` or `kind: Template`",
            ],
        );
    }

    #[test]
    fn unknown_kind_suggests_the_closest() {
        let rendered = errors("kind: Incidnet\nkey: a\n");
        assert_has(
            &rendered,
            &[
                "error: unknown kind `Incidnet`",
                "--> doc.yaml:1:7",
                "= help: did you mean `Incident`?",
            ],
        );
    }

    #[test]
    fn missing_key_and_missing_name() {
        let rendered = errors("kind: Incident\ntemplate: 1\n");
        assert_has(
            &rendered,
            &[
                "error: missing `key`",
                "--> doc.yaml:1:7",
                "this `Incident` has no `key`",
            ],
        );
        let rendered = errors("kind: Template\nfields: {a: 1}\n");
        assert_has(
            &rendered,
            &[
                "error: missing `name`",
                "--> doc.yaml:1:7",
                "this `Template` has no `name`",
            ],
        );
    }

    #[test]
    fn empty_key() {
        let rendered = errors("kind: Incident\nkey: \"\"\n");
        assert_has(&rendered, &["error: empty key", "--> doc.yaml:2:6"]);
        assert_eq!(rendered.matches("error:").count(), 1, "{rendered}");
    }

    #[test]
    fn key_must_match_the_pattern() {
        let rendered = errors("kind: TriageItem\nkey: has space\n");
        assert_has(
            &rendered,
            &[
                "error: invalid key `has space`",
                "--> doc.yaml:2:6",
                "keys match `^[A-Za-z0-9][A-Za-z0-9._/-]*$`",
            ],
        );
        let rendered = errors("kind: TriageItem\nkey: a*\n");
        assert_has(&rendered, &["error: invalid key `a*`"]);
        let rendered = errors(&format!("kind: TriageItem\nkey: {}\n", "a".repeat(201)));
        assert_has(
            &rendered,
            &[
                "error: key is longer than 200 characters",
                "--> doc.yaml:2:6",
            ],
        );
    }

    #[test]
    fn numeric_key_gets_a_quoting_hint() {
        let rendered = errors("kind: Incident\nkey: 2024\ntemplate: 1\n");
        assert_has(
            &rendered,
            &[
                "error: `key` must be a string, found `2024`",
                "--> doc.yaml:2:6",
                "quote it: `key: \"2024\"`",
            ],
        );
    }

    #[test]
    fn field_values_must_be_scalars_or_lists_of_them() {
        assert!(check("kind: Incident\nkey: a\nfields:\n  tags: [a, b]\n").0[0].valid);
        let rendered = errors("kind: Incident\nkey: a\nfields:\n  tags: {a: b}\n");
        assert_has(
            &rendered,
            &[
                "error: field `tags` must be a string, a number, a boolean, a list or null, found a mapping",
                "--> doc.yaml:4:9",
            ],
        );
    }

    #[test]
    fn invalid_dates() {
        let rendered = errors("kind: Incident\nkey: a\nfields:\n  opt_6: 2026-02-30\n");
        assert_has(
            &rendered,
            &[
                "error: invalid date `2026-02-30` in field `opt_6`",
                "--> doc.yaml:4:10",
                "expected an RFC 3339 timestamp or a `YYYY-MM-DD` date",
            ],
        );
        let rendered =
            errors("kind: Incident\nkey: a\nfields:\n  starttime: 2026-11-20T25:00:00Z\n");
        assert_has(
            &rendered,
            &[
                "error: invalid date `2026-11-20T25:00:00Z` in field `starttime`",
                "--> doc.yaml:4:14",
            ],
        );
        let rendered =
            errors("kind: Incident\nkey: a\nfields:\n  starttime: 2026-11-20T09:00:00\n");
        assert_has(
            &rendered,
            &["add a UTC offset, for example `2026-11-20T09:00:00Z`"],
        );
    }

    #[test]
    fn built_in_text_fields_refuse_numbers_and_booleans() {
        for (value, read_as) in [
            ("0042", "the number `42`"),
            ("0x1F", "the number `31`"),
            ("1.50", "the number `1.5`"),
            ("1e3", "the number `1000`"),
            ("true", "the boolean `true`"),
        ] {
            for name in ["description", "additional_info", "Description"] {
                let rendered = errors(&format!(
                    "kind: Incident\nkey: a\nfields:\n  {name}: {value}\n"
                ));
                assert_has(
                    &rendered,
                    &[
                        &format!("error: `{name}` is a text field, but YAML reads `{value}` as {read_as}"),
                        &format!("--> doc.yaml:4:{}", name.len() + 5),
                        "not text",
                        &format!("= help: quote it to send the text exactly: `\"{value}\"`"),
                    ],
                );
                assert_eq!(rendered.matches("error:").count(), 1, "{rendered}");
            }
        }
        // Quoted, or null (which removes an inherited field), they are fine.
        let (_, rendered) = check(
            "kind: Incident\nkey: a\nfields:\n  description: \"0042\"\n  additional_info: null\n",
        );
        assert_eq!(rendered, "");
        // Fields whose type only the tenant knows are checked at plan time.
        let (_, rendered) = check("kind: Incident\nkey: a\nfields:\n  Business unit: 0042\n");
        assert_eq!(rendered, "");
    }

    #[test]
    fn null_is_written_null() {
        for (value, shown, help) in [
            ("~", "`~`", "quote it to send the text exactly: `\"~\"`"),
            (
                "Null",
                "`Null`",
                "quote it to send the text exactly: `\"Null\"`",
            ),
            (
                "NULL",
                "`NULL`",
                "quote it to send the text exactly: `\"NULL\"`",
            ),
            ("", "an empty value", "write `\"\"` for empty text"),
        ] {
            let rendered = errors(&format!(
                "kind: Incident\nkey: a\nfields:\n  Business unit: {value}\n"
            ));
            assert_has(
                &rendered,
                &[
                    &format!("error: field `Business unit` is {shown}, which YAML reads as null"),
                    "--> doc.yaml:4:",
                    &format!("= help: write `null` to remove an inherited field, or {help}"),
                ],
            );
        }
        let (declarations, rendered) =
            check("kind: Incident\nkey: a\nfields:\n  Business unit: null\n");
        assert_eq!(rendered, "");
        assert_eq!(declarations[0].fields[0].value, Value::Null);
    }

    #[test]
    fn numbers_that_cannot_be_sent_exactly() {
        for (value, becomes) in [
            (
                "123456789012345678901234567890",
                "123456789012345680000000000000",
            ),
            ("0.1000000000000000055511151231257827", "0.1"),
            ("1e-400", "0"),
        ] {
            let rendered = errors(&format!(
                "kind: Incident\nkey: a\nfields:\n  opt_5: {value}\n"
            ));
            assert_has(
                &rendered,
                &[
                    &format!("error: the number `{value}` in field `opt_5` cannot be sent exactly: it would be `{becomes}`"),
                    "--> doc.yaml:4:10",
                    "not exact",
                    &format!("= help: quote it to send the text exactly: `\"{value}\"`, or round it"),
                ],
            );
        }
        let rendered = errors("kind: Incident\nkey: a\nfields:\n  opt_5: 1e400\n");
        assert_has(
            &rendered,
            &[
                "error: `1e400` is out of range for a number",
                "--> doc.yaml:4:10",
            ],
        );
        let (_, rendered) = check(
            "kind: Incident\nkey: a\nfields:\n  a: 1.50\n  b: 0x1F\n  c: 1e3\n  d: 18446744073709551615\n  e: -0.0\n  f: 100000000000000000000000000000\n",
        );
        assert_eq!(rendered, "");
    }

    #[test]
    fn text_values_refuse_control_characters_shown_escaped() {
        for (value, shown, position) in [
            ("\"a\\0b\"", "\\u{0}", 2),
            ("\"\\e[2J\"", "\\u{1b}", 1),
            ("\"ding\\a\"", "\\u{7}", 5),
            ("\"del\\x7f\"", "\\u{7f}", 4),
            ("\"c1 \\u009b\"", "\\u{9b}", 4),
            ("raw\u{1b}[31m", "\\u{1b}", 4),
        ] {
            let rendered = errors(&format!(
                "kind: TriageItem\nkey: a\nfields:\n  Reporter: {value}\n"
            ));
            assert_has(
                &rendered,
                &[
                    &format!("error: field `Reporter` holds the control character `{shown}`"),
                    "--> doc.yaml:4:13",
                    &format!("= note: at character {position} of the value"),
                    "= help: remove it: text may hold tabs and line breaks, but no other control characters",
                ],
            );
        }
        let (_, rendered) = check(
            "kind: TriageItem\nkey: a\nfields:\n  Reporter: \"tab\\there\\r\\nline\\n\"\n  d: |\n    one\n    two\n",
        );
        assert_eq!(rendered, "");
    }

    #[test]
    fn sixtieth_seconds_only_on_leap_seconds() {
        let rendered =
            errors("kind: Incident\nkey: a\nfields:\n  starttime: 2026-11-20T23:59:60Z\n");
        assert_has(
            &rendered,
            &[
                "error: invalid date `2026-11-20T23:59:60Z` in field `starttime`",
                "--> doc.yaml:4:14",
                "`:60` seconds exist only at real leap seconds",
            ],
        );
        let rendered =
            errors("kind: Incident\nkey: a\nfields:\n  opt_6: 2016-12-31T23:59:60+01:00\n");
        assert_has(&rendered, &["invalid date `2016-12-31T23:59:60+01:00`"]);
        let (_, rendered) = check(
            "kind: Incident\nkey: a\nfields:\n  starttime: 2016-12-31T23:59:60Z\n  opt_6: 2017-01-01T00:59:60+01:00\n  endtime: 1972-06-30T23:59:60.25Z\n",
        );
        assert_eq!(rendered, "");
    }

    #[test]
    fn quoting_hints_show_values_as_written() {
        let rendered = errors("kind: Incident\nkey: 0042\ntemplate: 1\n");
        assert_has(
            &rendered,
            &[
                "error: `key` must be a string, found `0042`",
                "quote it: `key: \"0042\"`",
            ],
        );
        let rendered = errors("kind: Incident\nkey: a\nignore_changes: [0x1F]\n");
        assert_has(&rendered, &["found `0x1F`", "quote it: `\"0x1F\"`"]);
    }

    #[test]
    fn start_and_end_times_must_be_dates() {
        let rendered =
            errors("kind: Incident\nkey: a\nfields:\n  starttime: yesterday\n  endtime: 5\n");
        assert_has(
            &rendered,
            &[
                "error: field `starttime` must be a date, found `yesterday`",
                "--> doc.yaml:4:14",
                "error: field `endtime` must be a date, found `5`",
                "--> doc.yaml:5:12",
            ],
        );
    }

    #[test]
    fn text_that_starts_with_a_date_is_not_a_date() {
        let (_, rendered) = check("kind: Incident\nkey: a\nfields:\n  description: \"2026-01-05: phishing wave\"\n  starttime: 2026-11-20 09:00:00+01:00\n");
        assert_eq!(rendered, "");
    }

    #[test]
    fn documents_must_be_mappings() {
        let rendered = errors("- kind: Incident\n");
        assert_has(
            &rendered,
            &[
                "error: a document must be a mapping with `kind`, found a list",
                "--> doc.yaml:1:1",
            ],
        );
        let rendered = errors("just text\n");
        assert_has(
            &rendered,
            &["error: a document must be a mapping with `kind`, found a string"],
        );
        let rendered = errors("kind: Template\nname: t\n---\n");
        assert_has(&rendered, &["error: empty document", "--> doc.yaml:3:1"]);
    }

    #[test]
    fn reads_ignore_changes_with_positions() {
        for kind in [
            "kind: Incident\nkey: a\n",
            "kind: TriageItem\nkey: a\n",
            "kind: Template\nname: a\n",
        ] {
            let (declarations, rendered) = check(&format!(
                "{kind}ignore_changes:\n  - status\n  - \"Business unit\"\n  - status\n"
            ));
            assert_eq!(rendered, "", "{kind}");
            let ignored: Vec<(&str, usize, usize)> = declarations[0]
                .ignore_changes
                .iter()
                .map(|named| (named.name.as_str(), named.origin.line, named.origin.column))
                .collect();
            // As written: duplicates are dropped later, by `extends`.
            assert_eq!(
                ignored,
                [("status", 4, 5), ("Business unit", 5, 5), ("status", 6, 5)],
                "{kind}"
            );
        }
        let (declarations, rendered) = check("kind: Incident\nkey: a\nignore_changes: []\n");
        assert_eq!(rendered, "");
        assert!(declarations[0].ignore_changes.is_empty());
    }

    #[test]
    fn ignore_changes_must_be_a_list() {
        let rendered = errors("kind: Incident\nkey: a\ntemplate: 1\nignore_changes: status\n");
        assert_has(
            &rendered,
            &[
                "error: `ignore_changes` must be a list of field names, found `status`",
                "--> doc.yaml:4:17",
                "= help: write a list, even for one field: `ignore_changes: [status]`",
            ],
        );
        let rendered = errors("kind: TriageItem\nkey: a\nignore_changes: {status: true}\n");
        assert_has(
            &rendered,
            &[
                "error: `ignore_changes` must be a list of field names, found a mapping",
                "--> doc.yaml:3:17",
                "for example `ignore_changes: [status, owner]`",
            ],
        );
        let (declarations, _) = check("kind: Template\nname: t\nignore_changes: status\n");
        assert!(!declarations[0].valid);
        assert!(declarations[0].ignore_changes.is_empty());
    }

    #[test]
    fn ignore_changes_items_must_be_field_names() {
        let rendered = errors(
            "kind: Incident\nkey: a\nignore_changes:\n  - status\n  - [owner]\n  - 12\n  - \"\"\n  - \"  \"\n",
        );
        assert_has(
            &rendered,
            &[
                "error: `ignore_changes[1]` must be a field name, found a list",
                "--> doc.yaml:5:5",
                "error: `ignore_changes[2]` must be a field name, found `12`",
                "--> doc.yaml:6:5",
                "quote it: `\"12\"`",
                "error: empty field name in `ignore_changes`",
                "--> doc.yaml:7:5",
                "--> doc.yaml:8:5",
            ],
        );
        assert_eq!(rendered.matches("error:").count(), 4, "{rendered}");
    }

    /// `(name, line, column)` of each `extends` entry.
    fn extends_of(declaration: &Declaration) -> Vec<(&str, usize, usize)> {
        declaration
            .extends
            .iter()
            .map(|(name, origin)| (name.as_str(), origin.line, origin.column))
            .collect()
    }

    #[test]
    fn extends_is_read_as_one_name_or_many() {
        let (declarations, rendered) = check(
            "kind: Incident\nkey: a\ntemplate: 1\nextends: base\n---\nkind: TriageItem\nkey: b\nextends:\n  - base\n  - more\n---\nkind: Template\nname: c\nextends: [x, y, z]\n---\nkind: Template\nname: d\n",
        );
        assert_eq!(rendered, "");
        assert_eq!(extends_of(&declarations[0]), [("base", 4, 10)]);
        assert_eq!(
            extends_of(&declarations[1]),
            [("base", 9, 5), ("more", 10, 5)]
        );
        assert_eq!(
            extends_of(&declarations[2]),
            [("x", 14, 11), ("y", 14, 14), ("z", 14, 17)]
        );
        assert!(declarations[3].extends.is_empty());
    }

    #[test]
    fn template_is_read_by_name_or_by_id() {
        let (declarations, rendered) = check(
            "kind: Incident\nkey: a\ntemplate: Phishing\n---\nkind: Incident\nkey: b\ntemplate: 42\n---\nkind: Template\nname: t\ntemplate: \"7\"\n---\nkind: Template\nname: u\n",
        );
        assert_eq!(rendered, "");
        let templates: Vec<Option<(&TemplateRef, usize, usize)>> = declarations
            .iter()
            .map(|declaration| {
                declaration
                    .template
                    .as_ref()
                    .map(|(template, origin)| (template, origin.line, origin.column))
            })
            .collect();
        assert_eq!(
            templates,
            [
                Some((&TemplateRef::Name("Phishing".to_string()), 3, 11)),
                Some((&TemplateRef::Id(42), 7, 11)),
                // Quoted, a number is a name.
                Some((&TemplateRef::Name("7".to_string()), 11, 11)),
                None,
            ]
        );
        // Integers the schema accepts but no id can be: no template, which `extends` reports.
        let (declarations, rendered) =
            check("kind: Incident\nkey: a\ntemplate: 1.0\n---\nkind: Incident\nkey: b\ntemplate: 18446744073709551616\n");
        assert_eq!(rendered, "");
        assert!(declarations
            .iter()
            .all(|declaration| declaration.valid && declaration.template.is_none()));
    }

    #[test]
    fn the_name_is_the_key_of_objects_and_the_name_of_templates() {
        let (declarations, rendered) = check(
            "kind: TriageItem\nkey: triage/one\n---\nkind: Template\nname: base\n---\nkind: Incident\nkey: incident/one\ntemplate: 1\n",
        );
        assert_eq!(rendered, "");
        let names: Vec<(DeclarationKind, &str, usize)> = declarations
            .iter()
            .map(|declaration| {
                (
                    declaration.kind,
                    declaration.name.as_str(),
                    declaration.name_origin.line,
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (DeclarationKind::Object(Kind::TriageItem), "triage/one", 2),
                (DeclarationKind::Template, "base", 5),
                (DeclarationKind::Object(Kind::Incident), "incident/one", 8),
            ]
        );
        // A triage item is named by `key`: with `name` instead, it is refused and declares
        // nothing (it is not read as a `Template` either).
        let (declarations, rendered) = check("kind: TriageItem\nname: base\n");
        assert!(rendered.contains("error: missing `key`"), "{rendered}");
        assert!(rendered.contains("error: unknown key `name`"), "{rendered}");
        assert!(declarations.is_empty());
    }

    #[test]
    fn fields_keep_their_values_as_written_in_order() {
        let (declarations, rendered) = check(
            "kind: TriageItem\nkey: a\nfields:\n  Business unit: 0042\n  opt_7: 1.50\n  flag: True\n  status: New\n  description: \"0042\"\n  gone: null\n",
        );
        assert_eq!(rendered, "");
        // name = value (written), value at line:column, name at line:column
        let fields: Vec<String> = declarations[0]
            .fields
            .iter()
            .map(|field| {
                format!(
                    "{} = {} ({:?}) at {}:{}, name at {}:{}",
                    field.name,
                    field.value,
                    field.written,
                    field.origin.line,
                    field.origin.column,
                    field.name_origin.line,
                    field.name_origin.column,
                )
            })
            .collect();
        assert_eq!(
            fields,
            [
                "Business unit = 42 (Some(\"0042\")) at 4:18, name at 4:3",
                "opt_7 = 1.5 (Some(\"1.50\")) at 5:10, name at 5:3",
                "flag = true (Some(\"True\")) at 6:9, name at 6:3",
                "status = \"New\" (None) at 7:11, name at 7:3",
                "description = \"0042\" (None) at 8:16, name at 8:3",
                "gone = null (Some(\"null\")) at 9:9, name at 9:3",
            ]
        );
    }

    #[test]
    fn invalid_documents_keep_their_name_and_extends_only() {
        let (declarations, rendered) = check(
            "kind: Template\nname: t\ntemplate: Phishing\nextends: [a, 1, b]\nfields: {x: 1}\nignore_changes: [status]\n",
        );
        assert!(rendered.contains("`extends[1]`"), "{rendered}");
        let declaration = &declarations[0];
        assert!(!declaration.valid);
        assert_eq!(declaration.name, "t");
        assert_eq!(extends_of(declaration), [("a", 4, 11), ("b", 4, 17)]);
        assert!(declaration.template.is_none());
        assert!(declaration.fields.is_empty());
        assert!(declaration.ignore_changes.is_empty());
        // Rules beyond the schema make a document invalid, but it is still read whole.
        let (declarations, rendered) = check(
            "kind: Incident\nkey: a\ntemplate: 1\nfields:\n  starttime: soon\n  status: New\n",
        );
        assert!(rendered.contains("must be a date"), "{rendered}");
        assert!(!declarations[0].valid);
        assert_eq!(declarations[0].fields.len(), 2);
    }

    #[test]
    fn invalid_declarations_still_claim_their_name() {
        let (declarations, _) = check("kind: Template\nname: t\nfields: {a: [[1]]}\n");
        assert_eq!(declarations.len(), 1);
        assert!(!declarations[0].valid);
    }
}
