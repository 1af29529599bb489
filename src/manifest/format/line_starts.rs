//! Where each line of a text starts ([`LineStarts`]): byte offsets to lines and back.

/// Where each line of a text starts.
pub(super) struct LineStarts {
    pub(super) starts: Vec<usize>,
}

impl LineStarts {
    pub(super) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.match_indices('\n')
                .map(|(index, _)| index + 1)
                .filter(|&start| start < text.len()),
        );
        LineStarts { starts }
    }

    pub(super) fn count(&self) -> usize {
        self.starts.len()
    }

    /// The 0-based line holding byte `offset`.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// The offset where `line` starts (`usize::MAX` past the last line).
    pub(super) fn start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(usize::MAX)
    }

    /// The offset of the line break ending `line` (or of the end of the text).
    pub(super) fn end(&self, text: &str, line: usize) -> usize {
        self.starts
            .get(line + 1)
            .map_or(text.len(), |next| next - 1)
    }

    pub(super) fn text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        match self.starts.get(line) {
            Some(&start) => &text[start..self.end(text, line)],
            None => "",
        }
    }

    /// The end (exclusive) of the lines of a range ending at `offset`: the line holding it,
    /// unless `offset` is its very start.
    pub(super) fn end_line(&self, offset: usize) -> usize {
        let line = self.line_of(offset);
        if self.starts[line] == offset {
            line
        } else {
            line + 1
        }
    }
}
