//! `soarform fmt`: desired-state files rewritten in the canonical form [`emit`] writes (the form
//! `soarform export` writes), with their comments kept.
//!
//! For each file: parse it and check every document as `validate` does (without the network and
//! without following `extends` into other files); find the comments in the text
//! (`find_comments`); give each a place; render the documents with
//! [`emit::annotated_documents`]; then parse the result again and keep it only when it holds the
//! same data, fields in the same order, numbers written the same way, and the same comments.
//!
//! Values: a number keeps its text as written (`1.50`, `0x1F`, `0042`, `1e3`: fmt never changes
//! digits); strings are written plain when YAML reads them back as the same string and quoted
//! otherwise (a quoted `"0042"` stays quoted); `True` becomes `true`.
//!
//! Where comments go:
//! - full-line comments above the first entry of a document are its header, written above
//!   `kind`; those after its last entry are its trailer, written at its end (before the next
//!   `---`);
//! - full-line comments directly above a top-level key or a field move with it when keys are put
//!   in canonical order;
//! - a comment at the end of an entry's line stays at the end of that line, at the same column
//!   when the new line is shorter, one space after the value otherwise;
//! - comments inside a nested value (between the items of a block list, after the first line of
//!   a flow mapping) belong to the entry holding that value: the first one at the end of its line
//!   when there is room, the others on their own lines above it.
//!
//! Blank lines: a run of blank lines directly above an entry or a comment block (or between
//! header or trailer comments) is kept as one blank line; other blank lines (inside lists, after
//! `---`, at the end of a document) are dropped.
//!
//! Text: a UTF-8 byte-order mark is dropped; a file whose first line ends with CR LF is written
//! with CR LF throughout, any other with LF; the text always ends with one line break.
//!
//! The steps live in children: `lex` finds comments and scalars, `line_starts` and `lines` index
//! the lines, `comments` gives each comment its place; this module runs them and checks the result.

mod comments;
mod lex;
mod line_starts;
mod lines;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::manifest::diagnostic::sort_by_position;
use crate::manifest::diagnostic::{Diagnostic, Report};
use crate::manifest::emit::{self, Annotations, CanonicalDocument};
use crate::manifest::model::LoadOptions;
use crate::manifest::source::read_text;
use crate::manifest::yaml::{self, Document, Node, NodeValue};
use crate::manifest::{document, walk};

use comments::{attach, comments_in_order, places};
use lex::{find_comments, scan};
use lines::LineTable;

/// What `soarform fmt` found under the paths given; nothing is written yet.
#[derive(Debug, Default)]
pub(crate) struct Formatted {
    /// Files not in canonical form, with their canonical text, in walk order.
    pub changed: Vec<ChangedFile>,
    /// Files already in canonical form (or holding no document).
    pub unchanged: Vec<PathBuf>,
    /// Project files among the files given, left alone: they are no desired-state documents.
    pub skipped: Vec<PathBuf>,
    /// Files left unchanged because of the problems in [`Formatted::report`].
    pub failed: Vec<PathBuf>,
    /// Every problem, by file and position.
    pub report: Report,
}

/// A file and the canonical text to write in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangedFile {
    /// The file, as it was found.
    pub path: PathBuf,
    /// Its text in canonical form.
    pub text: String,
}

/// Formats every desired-state file under `paths` (files or directories, walked as `validate`
/// walks them), skipping the project file (`project_file`, and any file with one of
/// [`LoadOptions::exclude_file_names`] given explicitly). Writes nothing.
pub(crate) fn format_paths(
    paths: &[PathBuf],
    options: &LoadOptions,
    project_file: Option<&Path>,
) -> Formatted {
    let found = walk::find_files(paths, &options.exclude_file_names, &options.exclude);
    let project_identity = project_file.map(identity);
    let mut formatted = Formatted::default();
    formatted.report.diagnostics = found.diagnostics;
    for file in &found.files {
        let named_like_project = file.file_name().is_some_and(|name| {
            let mut names = options.exclude_file_names.iter();
            names.any(|excluded| name == excluded.as_str())
        });
        if named_like_project || project_identity.as_ref() == Some(&identity(file)) {
            formatted.skipped.push(file.clone());
            continue;
        }
        let (diagnostics, text) = match read_text(file, options.max_file_bytes) {
            Ok(text) => match format_text(file, &text) {
                Ok(None) => {
                    formatted.unchanged.push(file.clone());
                    continue;
                }
                Ok(Some(canonical)) => {
                    formatted.changed.push(ChangedFile {
                        path: file.clone(),
                        text: canonical,
                    });
                    continue;
                }
                Err(diagnostics) => (diagnostics, Some(text)),
            },
            Err(failure) => (vec![*failure.diagnostic], failure.text),
        };
        formatted.report.diagnostics.extend(diagnostics);
        if let Some(text) = text {
            formatted.report.sources.insert(file.clone(), text);
        }
        formatted.failed.push(file.clone());
    }
    sort_by_position(&mut formatted.report.diagnostics, &found.files);
    formatted
}

/// The path with links and `..` resolved, to recognise one file reached by two paths.
fn identity(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// The canonical text of one file: `Ok(None)` when the file is already in canonical form or
/// holds no document; otherwise the diagnostics saying why it cannot be formatted (its documents
/// are invalid, or, a soarform bug, the canonical text would not hold the same data and
/// comments).
pub(crate) fn format_text(file: &Path, text: &str) -> Result<Option<String>, Vec<Diagnostic>> {
    let parsed = yaml::parse(file, text);
    let mut diagnostics = parsed.diagnostics;
    for parsed_document in &parsed.documents {
        document::interpret(file, parsed_document, &mut diagnostics);
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    if parsed.documents.is_empty() {
        return Ok(None);
    }
    let canonical = canonical_text(text)
        .and_then(|(canonical, comments)| {
            verify(&parsed.documents, &canonical, &comments)?;
            Ok(canonical)
        })
        .map_err(|reason| {
            vec![
                Diagnostic::new(format!("cannot format `{}`: {reason}", file.display()))
                    .with_note("the file was left unchanged")
                    .with_help("this is a bug in soarform; please report it with the file"),
            ]
        })?;
    Ok((canonical != text).then_some(canonical))
}

/// How a file ends its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineEnding {
    Lf,
    CrLf,
}

/// The text without a byte-order mark and with LF line breaks (YAML reads CR LF and a lone CR as
/// LF too), and the line ending the file uses: that of its first line.
fn normalise(text: &str) -> (String, LineEnding) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let ending = match text.find('\n') {
        Some(index) if text[..index].ends_with('\r') => LineEnding::CrLf,
        _ => LineEnding::Lf,
    };
    (text.replace("\r\n", "\n").replace('\r', "\n"), ending)
}

/// The canonical text of valid documents, and the texts of their comments in the order it
/// writes them.
fn canonical_text(text: &str) -> Result<(String, Vec<String>), String> {
    let (text, ending) = normalise(text);
    let parsed = yaml::parse(Path::new("-"), &text);
    if let Some(diagnostic) = parsed.diagnostics.first() {
        return Err(format!(
            "the text with LF line breaks does not parse: {}",
            diagnostic.message
        ));
    }
    let (lines, comments) = LineTable::new(&text, scan(&text)?);
    let mut rendered = Vec::with_capacity(parsed.documents.len());
    for (index, parsed_document) in parsed.documents.iter().enumerate() {
        let start = if index == 0 {
            0
        } else {
            parsed_document.start.offset
        };
        let end = parsed
            .documents
            .get(index + 1)
            .map_or(text.len(), |next| next.start.offset);
        let (canonical, mut annotations) = canonical_document(&parsed_document.root)?;
        let places = places(&parsed_document.root, &lines)?;
        attach(&places, start..end, &comments, &lines, &mut annotations)?;
        rendered.push((canonical, annotations));
    }
    let expected: Vec<String> = rendered
        .iter()
        .flat_map(|(_, annotations)| comments_in_order(annotations))
        .collect();
    if expected.len() != comments.len() {
        return Err(format!(
            "{} of its {} comments found no place",
            comments.len().saturating_sub(expected.len()),
            comments.len()
        ));
    }
    let mut output = emit::annotated_documents(&rendered);
    if ending == LineEnding::CrLf {
        output = output.replace('\n', "\r\n");
    }
    Ok((output, expected))
}

/// Checks that `output` holds the same data as `documents`, fields in the same order, and
/// exactly the comments `expected`, in that order.
fn verify(documents: &[Document], output: &str, expected: &[String]) -> Result<(), String> {
    let reparsed = yaml::parse(Path::new("-"), output);
    if let Some(diagnostic) = reparsed.diagnostics.first() {
        return Err(format!(
            "the canonical text does not parse: {}",
            diagnostic.message
        ));
    }
    if reparsed.documents.len() != documents.len() {
        return Err(format!(
            "the canonical text holds {} documents instead of {}",
            reparsed.documents.len(),
            documents.len()
        ));
    }
    for (index, (before, after)) in documents.iter().zip(&reparsed.documents).enumerate() {
        if before.root.to_json() != after.root.to_json() {
            return Err(format!(
                "document {} would not hold the same data",
                index + 1
            ));
        }
        if numbers_as_written(&before.root) != numbers_as_written(&after.root) {
            return Err(format!(
                "document {} would not keep its numbers as written",
                index + 1
            ));
        }
        if field_names(&before.root) != field_names(&after.root) {
            return Err(format!(
                "the fields of document {} would not keep their order",
                index + 1
            ));
        }
    }
    let (normalised, _) = normalise(output);
    let found: Vec<String> = find_comments(&normalised)?
        .into_iter()
        .map(|comment| comment.text)
        .collect();
    if found != expected {
        return Err("its comments would not be kept as they are".to_string());
    }
    Ok(())
}

/// A number's text as written, when the node is one.
fn written_number(node: &Node) -> Option<String> {
    match node.value {
        NodeValue::Scalar(Value::Number(_)) => node.written.clone(),
        _ => None,
    }
}

/// Every number of a tree with its text as written, by path: what `fmt` must keep beyond the
/// values (`1.50` and `1.5` are one value, but not what the file said).
fn written_numbers(node: &Node, path: &mut Vec<String>, out: &mut BTreeMap<Vec<String>, String>) {
    match &node.value {
        NodeValue::Scalar(Value::Number(_)) => {
            out.insert(path.clone(), node.written.clone().unwrap_or_default());
        }
        NodeValue::Scalar(_) => {}
        NodeValue::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(index.to_string());
                written_numbers(item, path, out);
                path.pop();
            }
        }
        NodeValue::Mapping(entries) => {
            for entry in entries {
                path.push(entry.key.clone());
                written_numbers(&entry.value, path, out);
                path.pop();
            }
        }
    }
}

fn numbers_as_written(root: &Node) -> BTreeMap<Vec<String>, String> {
    let mut out = BTreeMap::new();
    written_numbers(root, &mut Vec::new(), &mut out);
    out
}

fn field_names(root: &Node) -> Vec<&str> {
    match root.get("fields").map(|entry| &entry.value.value) {
        Some(NodeValue::Mapping(entries)) => {
            entries.iter().map(|entry| entry.key.as_str()).collect()
        }
        _ => Vec::new(),
    }
}

/// The data of a valid document, and the shapes [`CanonicalDocument`] has no room for.
fn canonical_document(root: &Node) -> Result<(CanonicalDocument, Annotations), String> {
    let text = |name: &str| -> Result<Option<String>, String> {
        match root.get(name) {
            None => Ok(None),
            Some(entry) => entry
                .value
                .as_str()
                .map(|text| Some(text.to_string()))
                .ok_or_else(|| format!("`{name}` is not a string")),
        }
    };
    let strings = |node: &Node, name: &str| -> Result<Vec<String>, String> {
        let NodeValue::Sequence(items) = &node.value else {
            return Err(format!("`{name}` is not a list"));
        };
        items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{name}` holds something else than names"))
            })
            .collect()
    };
    let kind = text("kind")?.ok_or("the document has no `kind`")?;
    let key = match text("key")? {
        Some(key) => key,
        None => text("name")?.ok_or("the document has no `key` nor `name`")?,
    };
    let mut annotations = Annotations::default();
    let mut extends = None;
    if let Some(entry) = root.get("extends") {
        match entry.value.as_str() {
            Some(name) => extends = Some(name.to_string()),
            None => annotations.extends_list = Some(strings(&entry.value, "extends")?),
        }
    }
    let ignore_changes = match root.get("ignore_changes") {
        Some(entry) => strings(&entry.value, "ignore_changes")?,
        None => Vec::new(),
    };
    annotations.empty_ignore_changes =
        root.get("ignore_changes").is_some() && ignore_changes.is_empty();
    let fields: Vec<(String, Value)> = match root.get("fields").map(|entry| &entry.value.value) {
        None => Vec::new(),
        Some(NodeValue::Mapping(entries)) => {
            // Numbers keep their digits as written: `1.50` stays `1.50`, `0x1F` stays `0x1F`.
            annotations.written_fields = entries
                .iter()
                .map(|entry| written_number(&entry.value))
                .collect();
            entries
                .iter()
                .map(|entry| (entry.key.clone(), entry.value.to_json()))
                .collect()
        }
        Some(_) => return Err("`fields` is not a mapping".to_string()),
    };
    annotations.written_template = root
        .get("template")
        .and_then(|entry| written_number(&entry.value));
    annotations.empty_fields = root.get("fields").is_some() && fields.is_empty();
    let document = CanonicalDocument {
        kind,
        key,
        template: root.get("template").map(|entry| entry.value.to_json()),
        extends,
        ignore_changes,
        fields,
    };
    Ok((document, annotations))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lex::tests::texts;

    /// The canonical text (the input itself when it is canonical already), checking that a
    /// second run changes nothing.
    fn format(text: &str) -> String {
        let file = Path::new("test.yaml");
        let once = match format_text(file, text) {
            Ok(Some(formatted)) => formatted,
            Ok(None) => text.to_string(),
            Err(diagnostics) => panic!("{diagnostics:#?}\nin:\n{text}"),
        };
        match format_text(file, &once) {
            Ok(None) => once,
            Ok(Some(twice)) => panic!("not idempotent:\n{once}\n---- then ----\n{twice}"),
            Err(diagnostics) => panic!("{diagnostics:#?}\nin:\n{once}"),
        }
    }

    #[test]
    fn writes_the_canonical_form_with_every_comment_in_place() {
        let text = concat!(
            "---\n",
            "# yaml-language-server: $schema=../schemas/soarform.schema.json\n",
            "\n",
            "\n",
            "# Incident about the CEO\n",
            "key:   'phishing/ceo-wire-fraud'    # stable identity\n",
            "fields:\n",
            "    # what happened\n",
            "    description: \"Wire-fraud attempt.\\nCEO called back.\\n\"\n",
            "    starttime: 2026-11-20T09:00:00Z   # a date stays a string\n",
            "\n",
            "\n",
            "    code: \"0123\"\n",
            "    answer: yes\n",
            "kind: Incident        # the kind\n",
            "template: Phishing\n",
            "# end of document one\n",
            "\n",
            "---   # about the template\n",
            "kind: Template\n",
            "name: defaults\n",
            "extends: [base]\n",
            "fields: {restriction: Low}\n",
            "  # a commented-out field\n",
        );
        assert_eq!(
            format(text),
            concat!(
                "# yaml-language-server: $schema=../schemas/soarform.schema.json\n",
                "\n",
                "# Incident about the CEO\n",
                "kind: Incident        # the kind\n",
                "key: phishing/ceo-wire-fraud        # stable identity\n",
                "template: Phishing\n",
                "fields:\n",
                "  # what happened\n",
                "  description: |\n",
                "    Wire-fraud attempt.\n",
                "    CEO called back.\n",
                "  starttime: 2026-11-20T09:00:00Z     # a date stays a string\n",
                "\n",
                "  code: \"0123\"\n",
                "  answer: \"yes\"\n",
                "# end of document one\n",
                "---\n",
                "# about the template\n",
                "kind: Template\n",
                "name: defaults\n",
                "extends: [base]\n",
                "fields:\n",
                "  restriction: Low\n",
                "  # a commented-out field\n",
            )
        );
    }

    #[test]
    fn comments_inside_a_value_go_with_its_entry() {
        let text = concat!(
            "kind: Incident\n",
            "key: a\n",
            "template: 1\n",
            "ignore_changes:   # owned by the SOC\n",
            "  - status\n",
            "  # and the owner\n",
            "  - owner # really\n",
            "fields: {status: Open,  # first\n",
            "  # before priority\n",
            "  priority: High}\n",
        );
        assert_eq!(
            format(text),
            concat!(
                "kind: Incident\n",
                "key: a\n",
                "template: 1\n",
                "# and the owner\n",
                "# really\n",
                "ignore_changes: [status, owner] # owned by the SOC\n",
                "fields: # first\n",
                "  status: Open\n",
                "  # before priority\n",
                "  priority: High\n",
            )
        );
    }

    #[test]
    fn keeps_crlf_and_drops_the_byte_order_mark() {
        let text =
            "\u{feff}key: a # k\r\nkind: TriageItem\r\nfields:\r\n  d: |\r\n    one\r\n    two\r\n";
        assert_eq!(
            format(text),
            "kind: TriageItem\r\nkey: a # k\r\nfields:\r\n  d: |\r\n    one\r\n    two\r\n"
        );
        // Mixed endings follow the first line's.
        assert_eq!(
            format("kind: TriageItem\nkey: a\r\n"),
            "kind: TriageItem\nkey: a\n"
        );
    }

    #[test]
    fn kept_trailing_lines_stay_data() {
        let text = "kind: TriageItem\nkey: a\nfields:\n  d: |+\n    one\n\n\n  # after\n  e: 1\n\n  f: |\n    two\n\n  g: 2\n";
        assert_eq!(format(text), text);
    }

    #[test]
    fn tricky_documents_are_formatted_and_stay_formatted() {
        let cases = [
            "kind: TriageItem\nkey: a\n",
            "# only a header\nkind: TriageItem\nkey: a\n# only a trailer\n",
            "kind: TriageItem\nkey: a\nfields: {}\nignore_changes: []\n",
            "kind: TriageItem\nkey: a\nfields:\n\n  # spaced\n\n  a: 1\n",
            "kind: Incident\nkey: a\ntemplate: 1\nfields:\n  d: \"\\n  indented after an empty line\"\n",
            "kind: Incident\nkey: a\ntemplate: 1\nfields:\n  d: >\n    folded\n    text\n\n    # content\n  e: '# not a comment'\n",
            "%YAML 1.2\n---\nkind: TriageItem # k\nkey: a\n...\n# after the end\n---\nkind: TriageItem\nkey: b\n",
            "kind: Incident\nkey: a\ntemplate: 1\nfields:\n  a: &low Low\n  b: *low # alias\n",
            "{kind: TriageItem, key: a} # flow document\n",
            "kind: TriageItem\nkey: a\nfields:\n  long: first line\n    continues # comment\n  next: 1\n",
            "kind: TriageItem\nkey: a\nfields:\n  é: ünïcödé # ça\n  ü: \"#\" # x\n",
            "kind: TriageItem\nkey: a\nfields:\n  n: null\n  f: 1.50\n  i: -7\n  big: 18446744073709551615\n  d: 2026-11-18\n  t: True\n  s: !!str 12\n",
        ];
        for case in cases {
            let formatted = format(case);
            let before = yaml::parse(Path::new("a"), case);
            let after = yaml::parse(Path::new("b"), &formatted);
            let values = |parsed: &yaml::Parsed| -> Vec<Value> {
                parsed
                    .documents
                    .iter()
                    .map(|document| document.root.to_json())
                    .collect()
            };
            assert_eq!(
                values(&before),
                values(&after),
                "{case}\n---- became ----\n{formatted}"
            );
            let mut comments_before = texts(&case.replace('\u{feff}', ""));
            let mut comments_after = texts(&formatted);
            comments_before.sort();
            comments_after.sort();
            assert_eq!(
                comments_before, comments_after,
                "{case}\n---- became ----\n{formatted}"
            );
        }
    }

    #[test]
    fn values_keep_their_types() {
        let formatted = format(
            "kind: TriageItem\nkey: a\nfields:\n  zip: \"0123\"\n  answer: yes\n  yes: 'no'\n  on: true\n  day: 2026-11-18\n  count: 42\n  text: '42'\n",
        );
        assert_eq!(
            formatted,
            "kind: TriageItem\nkey: a\nfields:\n  zip: \"0123\"\n  answer: \"yes\"\n  \"yes\": \"no\"\n  \"on\": true\n  day: 2026-11-18\n  count: 42\n  text: \"42\"\n"
        );
    }

    #[test]
    fn numbers_keep_their_digits_and_strings_their_quotes() {
        let text = "fields:\n  amount: 1.50\n  code: 0x1F\n  zip: 0042\n  big: 1e3\n  octal: 0o17\n  signed: +7\n  quoted zip: \"0042\"\n  quoted code: '0x1F'\n  quoted amount: \"1.50\"\n  flag: True\n  gone: null\nkey: a\ntemplate: 0x01\nkind: Incident\n";
        assert_eq!(
            format(text),
            "kind: Incident\nkey: a\ntemplate: 0x01\nfields:\n  amount: 1.50\n  code: 0x1F\n  zip: 0042\n  big: 1e3\n  octal: 0o17\n  signed: +7\n  quoted zip: \"0042\"\n  quoted code: \"0x1F\"\n  quoted amount: \"1.50\"\n  flag: true\n  gone: null\n"
        );
        // Already canonical: left alone.
        let canonical = "kind: TriageItem\nkey: a\nfields:\n  amount: 1.50\n  code: 0x1F\n  zip: 0042\n  text: \"0042\"\n";
        assert_eq!(format_text(Path::new("a.yaml"), canonical), Ok(None));
    }

    #[test]
    fn the_safety_net_compares_numbers_as_written() {
        let before = yaml::parse(
            Path::new("a"),
            "kind: TriageItem\nkey: a\nfields: {n: 1.50, m: [0x1F]}\n",
        );
        let same = "kind: TriageItem\nkey: a\nfields:\n  n: 1.50\n  m: [0x1F]\n";
        assert_eq!(verify(&before.documents, same, &[]), Ok(()));
        // The same values, other digits.
        for changed in [
            "kind: TriageItem\nkey: a\nfields:\n  n: 1.5\n  m: [0x1F]\n",
            "kind: TriageItem\nkey: a\nfields:\n  n: 1.50\n  m: [31]\n",
        ] {
            assert_eq!(
                verify(&before.documents, changed, &[]),
                Err("document 1 would not keep its numbers as written".to_string()),
                "{changed}"
            );
        }
    }

    #[test]
    fn values_that_cannot_be_sent_as_written_are_not_formatted() {
        for (text, message) in [
            (
                "kind: TriageItem\nkey: a\nfields:\n  description: 0042\n",
                "`description` is a text field",
            ),
            (
                "kind: TriageItem\nkey: a\nfields:\n  n: 123456789012345678901234567890\n",
                "cannot be sent exactly",
            ),
            (
                "kind: TriageItem\nkey: a\nfields:\n  t: \"a\\eb\"\n",
                "control character",
            ),
        ] {
            let Err(diagnostics) = format_text(Path::new("bad.yaml"), text) else {
                panic!("formatted {text:?}");
            };
            assert!(diagnostics[0].message.contains(message), "{diagnostics:?}");
        }
    }

    #[test]
    fn invalid_documents_are_reported_not_formatted() {
        let Err(diagnostics) = format_text(
            Path::new("bad.yaml"),
            "kind: Incident\nkey: a\ntemplate: 1\ntmplate: x\n",
        ) else {
            panic!("an unknown key was formatted");
        };
        let origin = diagnostics[0].origin.as_ref().map(ToString::to_string);
        assert_eq!(origin.as_deref(), Some("bad.yaml:4:1"));
        assert!(format_text(Path::new("bad.yaml"), "kind: [\n").is_err());
        assert!(format_text(Path::new("bad.yaml"), "- 1\n").is_err());
    }

    #[test]
    fn files_without_documents_are_left_alone() {
        assert_eq!(format_text(Path::new("a.yaml"), ""), Ok(None));
        assert_eq!(
            format_text(Path::new("a.yaml"), "# nothing yet\n\n"),
            Ok(None)
        );
    }

    #[test]
    fn mangled_input_never_panics_and_what_is_formatted_stays_formatted() {
        let samples = [
            "\u{feff}# head\r\nkey: \"a/b\" # c\r\nkind: Incident\r\ntemplate: 'Phish''ing' #t\r\nextends: [x, y]\r\nignore_changes:\r\n  - a # i\r\n  # j\r\n  - b\r\nfields:\r\n  # f\r\n  d: |+\r\n    text # no\r\n\r\n  # after\r\n  n: 1 # one\r\n\r\n  u: http://x/#y\r\n# end\r\n---\r\nkind: Template\r\nname: t\r\nfields: {a: 1, # in\r\n  b: \"#\"}\r\n",
            "--- # doc\nkind: TriageItem\nkey: t\nfields:\n  a: |2-\n      x # y\n    z\n  # c\n  b: >\n    f\n\n    g\n  c: \"q\n    # r\" # s\n...\n# t\n",
        ];
        let mut cases = Vec::new();
        for sample in samples {
            for (index, _) in sample.char_indices() {
                cases.push(sample[..index].to_string());
                for insert in [
                    "#", " #", "\n", "\r\n", "- ", "|", "\"", "'", ":", "{", ",", "*a", "\t",
                    "...\n", "\n  ", "\n#x\n",
                ] {
                    cases.push(format!("{}{insert}{}", &sample[..index], &sample[index..]));
                }
            }
        }
        let file = Path::new("mangled.yaml");
        let mut failures = Vec::new();
        for case in &cases {
            match format_text(file, case) {
                Ok(Some(formatted)) => match format_text(file, &formatted) {
                    Ok(None) => {}
                    other => failures.push(format!("{case:?}\n  -> {formatted:?}\n  -> {other:?}")),
                },
                Ok(None) => {}
                Err(diagnostics) => {
                    let bugs = diagnostics
                        .iter()
                        .filter(|diagnostic| diagnostic.message.starts_with("cannot format"));
                    for bug in bugs {
                        failures.push(format!("{case:?}\n  -> {}", bug.message));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} cases:\n{}",
            failures.len(),
            cases.len(),
            failures[..failures.len().min(8)].join("\n")
        );
    }
}
