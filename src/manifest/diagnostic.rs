//! Positions, source texts and error reports, rendered with a caret under `file:line:col`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use annotate_snippets::{Level, Renderer, Snippet};

use crate::safe_text;

/// Where something was written: a file and a byte span in it.
///
/// `line` and `column` are 1-based; `column` counts characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    /// The file, as it was found (relative to the working directory when the path given was).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset of the start of the span.
    pub offset: usize,
    /// Length of the span in bytes.
    pub len: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// The text of every file read, by path, so that diagnostics can quote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Sources {
    files: BTreeMap<PathBuf, String>,
}

impl Sources {
    /// The text of `path`, if it was read.
    pub(crate) fn get(&self, path: &Path) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// How many files were read.
    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    pub(crate) fn insert(&mut self, path: PathBuf, text: String) {
        self.files.insert(path, text);
    }
}

/// One problem found in the desired state or the project file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    /// Where the problem is; `None` for problems that are not in a file's text (a missing path).
    pub origin: Option<Origin>,
    /// What is wrong: lowercase, no trailing period, values in backticks.
    pub message: String,
    /// A short text printed next to the caret.
    pub label: Option<String>,
    /// Extra facts, each printed as `= note: ...` (e.g. where a duplicate was first defined).
    pub notes: Vec<String>,
    /// What to do about it, printed as `= help: ...`.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without a position.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            origin: None,
            message: message.into(),
            label: None,
            notes: Vec::new(),
            help: None,
        }
    }

    /// A diagnostic at `origin`.
    pub(crate) fn at(origin: Origin, message: impl Into<String>) -> Self {
        Diagnostic {
            origin: Some(origin),
            ..Diagnostic::new(message)
        }
    }

    /// Sets the text printed next to the caret.
    pub(crate) fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a `= note:` line.
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the `= help:` line.
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders `error: message`, then ` --> file:line:col`, the source line with a caret and the
    /// label, and the notes and help; without the source part when there is no origin.
    ///
    /// Control characters and bidirectional overrides in any of it (a file's text, its name, a
    /// value quoted in the message) are shown escaped, with the caret still under its text.
    pub(crate) fn render(&self, sources: &Sources, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let file_name = self
            .origin
            .as_ref()
            .map(|origin| safe_text::one_line(&origin.file.display().to_string()).into_owned())
            .unwrap_or_default();
        let excerpt = self.origin.as_ref().and_then(|origin| {
            let text = sources.get(&origin.file)?;
            Excerpt::new(text, origin)
        });
        let shown = excerpt.as_ref().map(Excerpt::escaped);

        let title = safe_text::escaped(&self.message);
        let label = self.label.as_deref().map(safe_text::escaped);
        let notes: Vec<_> = self
            .notes
            .iter()
            .map(|note| safe_text::escaped(note))
            .collect();
        let help = self.help.as_deref().map(safe_text::escaped);
        let mut message = Level::Error.title(&title);
        if let (Some(excerpt), Some(shown)) = (&excerpt, &shown) {
            let mut annotation = Level::Error.span(shown.span.clone());
            if let Some(label) = &label {
                annotation = annotation.label(label);
            }
            message = message.snippet(
                Snippet::source(&shown.text)
                    .line_start(excerpt.line)
                    .origin(&file_name)
                    .annotation(annotation),
            );
        }
        for note in &notes {
            message = message.footer(Level::Note.title(note));
        }
        if let Some(help) = &help {
            message = message.footer(Level::Help.title(help));
        }
        let mut rendered = renderer.render(message).to_string();
        if let (Some(excerpt), Some(shown)) = (&excerpt, &shown) {
            // The column is counted in the escaped line; `file:line:col` names the file's own.
            let column = |text: &str, end: usize| text[..end].chars().count() + 1;
            let (written, displayed) = (
                column(excerpt.text, excerpt.span.start),
                column(&shown.text, shown.span.start),
            );
            if written != displayed {
                rendered = rendered.replacen(
                    &format!("{file_name}:{}:{displayed}", excerpt.line),
                    &format!("{file_name}:{}:{written}", excerpt.line),
                    1,
                );
            }
        }

        match (&self.origin, &excerpt) {
            // No text to show (a file that was not read, an empty line): still say where.
            (Some(origin), None) => {
                let (title, rest) = rendered.split_once('\n').unwrap_or((&rendered, ""));
                let mut out = format!(
                    "{title}\n --> {file_name}:{}:{}",
                    origin.line, origin.column
                );
                if !rest.is_empty() {
                    out.push('\n');
                    out.push_str(rest);
                }
                out
            }
            _ => rendered,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&Sources::default(), false))
    }
}

/// The line(s) of a file that a diagnostic quotes, and the span inside them.
struct Excerpt<'a> {
    text: &'a str,
    line: usize,
    span: std::ops::Range<usize>,
}

impl<'a> Excerpt<'a> {
    /// Cuts the line holding `origin` out of `text`, so that rendering does not scan a large file
    /// for every diagnostic; the span is clamped to that line. `None` for an empty line, which
    /// annotate-snippets cannot show.
    fn new(text: &'a str, origin: &Origin) -> Option<Self> {
        let mut offset = floor_char_boundary(text, origin.offset.min(text.len()));
        let mut len = origin.len;
        let mut line = origin.line;
        if text[offset..].trim().is_empty() && !text[..offset].trim().is_empty() {
            // Past the end of the content (an error at the end of the file): point just after
            // the last thing written rather than at an empty last line.
            offset = text[..offset].trim_end().len();
            len = 0;
            line = 0;
        }
        let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
        let line_end = text[offset..]
            .find('\n')
            .map_or(text.len(), |index| offset + index);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        if line_text.is_empty() {
            return None;
        }
        let line_end = line_start + line_text.len();
        let start = offset.min(line_end);
        let end = floor_char_boundary(text, (offset + len).min(line_end)).max(start);
        let line = if line > 0 {
            line
        } else {
            text[..line_start].matches('\n').count() + 1
        };
        Some(Excerpt {
            text: line_text,
            line,
            span: (start - line_start)..(end - line_start),
        })
    }
}

/// An excerpt's line with its control characters escaped, and the span moved to match.
struct Shown {
    text: String,
    span: std::ops::Range<usize>,
}

impl Excerpt<'_> {
    fn escaped(&self) -> Shown {
        let before = safe_text::escaped(&self.text[..self.span.start]);
        let inside = safe_text::escaped(&self.text[self.span.clone()]);
        let after = safe_text::escaped(&self.text[self.span.end..]);
        Shown {
            text: format!("{before}{inside}{after}"),
            span: before.len()..before.len() + inside.len(),
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Line and column (1-based, column in characters) of a byte offset in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

/// Every problem found, in every file, and the texts needed to show them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Report {
    /// The problems, ordered by file (in load order) and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of every file read.
    pub sources: Sources,
}

impl Report {
    /// Renders every diagnostic, separated by blank lines.
    pub(crate) fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for (index, diagnostic) in self.diagnostics.iter().enumerate() {
            if index > 0 {
                out.push('\n');
            }
            out.push_str(&diagnostic.render(&self.sources, color));
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render(false).trim_end())
    }
}

impl std::error::Error for Report {}

/// The candidate closest to `word`, if any is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    closest(word, candidates, 1).into_iter().next()
}

/// Up to `limit` candidates close to `word`, closest first.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Vec<&'a str> {
    let lowered = word.to_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .filter(|candidate| *candidate != word)
        .map(|candidate| {
            let score = strsim::jaro_winkler(&lowered, &candidate.to_lowercase());
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|left, right| right.0.total_cmp(&left.0).then(left.1.cmp(right.1)));
    scored.dedup_by(|left, right| left.1 == right.1);
    scored
        .into_iter()
        .take(limit)
        .map(|(_, candidate)| candidate)
        .collect()
}

/// `a`, `a` or `b`, `a`, `b` or `c`: values in backticks joined for a message.
pub(crate) fn one_of<S: AsRef<str>>(values: &[S], conjunction: &str) -> String {
    let quoted: Vec<String> = values
        .iter()
        .map(|value| format!("`{}`", value.as_ref()))
        .collect();
    match quoted.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

/// Text with every control character escaped (`\t`, `\n`, `\r`, `\u{1b}`), safe to print.
pub(crate) fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            other if other.is_control() => out.extend(other.escape_unicode()),
            other => out.push(other),
        }
    }
    out
}

/// Problems without a file first, then by file (in load order) and offset.
pub(crate) fn sort_by_position(diagnostics: &mut [Diagnostic], files: &[PathBuf]) {
    diagnostics.sort_by_key(|diagnostic| match &diagnostic.origin {
        None => (0, 0, 0),
        Some(origin) => (
            1,
            files
                .iter()
                .position(|file| *file == origin.file)
                .unwrap_or(usize::MAX),
            origin.offset,
        ),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters() {
        assert_eq!(
            escaped("a\u{1b}[2J\0\u{7}\t\n"),
            "a\\u{1b}[2J\\u{0}\\u{7}\\t\\n"
        );
        assert_eq!(escaped("\u{9b}ok"), "\\u{9b}ok");
    }

    fn origin(file: &str, line: usize, column: usize, offset: usize, len: usize) -> Origin {
        Origin {
            file: PathBuf::from(file),
            line,
            column,
            offset,
            len,
        }
    }

    #[test]
    fn renders_caret_label_note_and_help() {
        let mut sources = Sources::default();
        sources.insert(
            PathBuf::from("a.yaml"),
            "kind: Incident\nkey: a b\n".to_string(),
        );
        let diagnostic = Diagnostic::at(origin("a.yaml", 2, 6, 20, 3), "invalid key `a b`")
            .with_label("not a valid key")
            .with_note("keys match `^x$`")
            .with_help("remove the space");
        let rendered = diagnostic.render(&sources, false);
        assert!(
            rendered.starts_with("error: invalid key `a b`\n"),
            "{rendered}"
        );
        assert!(rendered.contains(" --> a.yaml:2:6"), "{rendered}");
        assert!(rendered.contains("2 | key: a b"), "{rendered}");
        assert!(rendered.contains("^^^ not a valid key"), "{rendered}");
        assert!(rendered.contains("= note: keys match `^x$`"), "{rendered}");
        assert!(rendered.contains("= help: remove the space"), "{rendered}");
    }

    #[test]
    fn control_characters_are_shown_escaped_with_the_caret_under_its_text() {
        let mut sources = Sources::default();
        sources.insert(
            PathBuf::from("a.yaml"),
            "kind: Incident\ntemplate: \"\u{1b}[2J\u{202e}x\" # \u{7}\r\n".to_string(),
        );
        // The span is the quoted scalar, after the ESC.
        let diagnostic = Diagnostic::at(
            origin("a.yaml", 2, 11, 25, 10),
            "unknown template `\u{1b}[2J\u{202e}x`",
        )
        .with_label("not a template \u{1b}]0;title\u{7}");
        let rendered = diagnostic.render(&sources, false);
        assert!(
            !rendered.contains(['\u{1b}', '\u{7}', '\u{202e}', '\r']),
            "{rendered:?}"
        );
        assert!(
            rendered.starts_with("error: unknown template `\\u{1b}[2J\\u{202e}x`\n"),
            "{rendered}"
        );
        assert!(rendered.contains(" --> a.yaml:2:11\n"), "{rendered}");
        assert!(
            rendered.contains(
                "2 | template: \"\\u{1b}[2J\\u{202e}x\" # \\u{7}\n  |           ^^^^^^^^^^^^^^^^^^^^ not a template \\u{1b}]0;title\\u{7}"
            ),
            "{rendered}"
        );
        // After escapes, the caret moves with the text and `-->` keeps the file's column.
        let diagnostic = Diagnostic::at(origin("a.yaml", 2, 17, 33, 1), "here");
        let rendered = diagnostic.render(&sources, false);
        assert!(rendered.contains(" --> a.yaml:2:17\n"), "{rendered}");
        assert!(
            rendered.contains(&format!(
                "\"\\u{{1b}}[2J\\u{{202e}}x\" # \\u{{7}}\n  |{}^\n",
                " ".repeat(29)
            )),
            "{rendered}"
        );
    }

    #[test]
    fn renders_without_origin() {
        let diagnostic = Diagnostic::new("path `nope` does not exist").with_help("check it");
        let rendered = diagnostic.render(&Sources::default(), false);
        assert!(rendered.starts_with("error: path `nope` does not exist"));
        assert!(rendered.contains("= help: check it"));
        assert!(!rendered.contains("-->"));
    }

    #[test]
    fn renders_empty_span_at_end_of_line_on_the_right_line() {
        let mut sources = Sources::default();
        sources.insert(PathBuf::from("a.yaml"), "a: 1\nkey:\n".to_string());
        let diagnostic = Diagnostic::at(origin("a.yaml", 2, 5, 9, 0), "missing value");
        let rendered = diagnostic.render(&sources, false);
        assert!(rendered.contains(" --> a.yaml:2:5"), "{rendered}");
        assert!(rendered.contains("2 | key:\n  |     ^"), "{rendered}");
    }

    #[test]
    fn renders_origin_whose_text_is_unknown() {
        let diagnostic = Diagnostic::at(origin("gone.yaml", 3, 1, 10, 1), "broken");
        let rendered = diagnostic.render(&Sources::default(), false);
        assert!(
            rendered.starts_with("error: broken\n --> gone.yaml:3:1"),
            "{rendered}"
        );
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("tmplate", ["kind", "key", "template", "fields"]),
            Some("template")
        );
        assert_eq!(did_you_mean("zzz", ["kind", "key"]), None);
        assert_eq!(one_of(&["a", "b", "c"], "or"), "`a`, `b` or `c`");
    }

    #[test]
    fn computes_line_and_column_in_characters() {
        assert_eq!(line_column("é: x\nab", 6), (2, 1));
        assert_eq!(line_column("é: x\nab", 3), (1, 3));
    }
}
