//! The line table of a text ([`LineTable`]): what each line holds (blank, comment, marker, data)
//! and which comment is on it, for placing comments.

use std::collections::HashMap;

use super::lex::{Comment, Scan};
use super::line_starts::LineStarts;

/// What a line holds, for placing comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LineKind {
    /// Blanks only.
    Blank,
    /// A full-line comment.
    Comment,
    /// `---`, `...` or a directive (possibly with a comment after it).
    Marker,
    /// Data (the lines of a block scalar included, blank ones too).
    Content,
}

/// The lines of a text: where they start, what they hold, which comment is on each.
pub(super) struct LineTable<'t> {
    pub(super) text: &'t str,
    pub(super) starts: LineStarts,
    pub(super) kinds: Vec<LineKind>,
    /// The index (in the text's comments) of the comment on each line that has one.
    pub(super) comments: HashMap<usize, usize>,
}

impl<'t> LineTable<'t> {
    pub(super) fn new(text: &'t str, scan: Scan) -> (Self, Vec<Comment>) {
        let Scan {
            lines: starts,
            comments,
            scalars,
        } = scan;
        let by_line: HashMap<usize, usize> = comments
            .iter()
            .enumerate()
            .map(|(index, comment)| (comment.line, index))
            .collect();
        let mut kinds: Vec<LineKind> = (0..starts.count())
            .map(|line| {
                let comment = by_line.get(&line).map(|&index| &comments[index]);
                let data = match comment {
                    Some(comment) if comment.full_line => return LineKind::Comment,
                    Some(comment) => &text[starts.start(line)..comment.offset],
                    None => starts.text(text, line),
                };
                let data = data.trim_end();
                if data.is_empty() {
                    LineKind::Blank
                } else if data == "---" || data == "..." || data.starts_with('%') {
                    LineKind::Marker
                } else {
                    LineKind::Content
                }
            })
            .collect();
        // Blank lines inside a scalar are data, not blank lines between entries.
        for span in &scalars {
            let first = starts.line_of(span.start);
            let last = starts.line_of(span.end.saturating_sub(1).max(span.start));
            for kind in kinds.iter_mut().take(last + 1).skip(first) {
                if *kind == LineKind::Blank {
                    *kind = LineKind::Content;
                }
            }
        }
        let table = LineTable {
            text,
            starts,
            kinds,
            comments: by_line,
        };
        (table, comments)
    }

    pub(super) fn kind(&self, line: usize) -> LineKind {
        self.kinds.get(line).copied().unwrap_or(LineKind::Blank)
    }
}
