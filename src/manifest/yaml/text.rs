//! Where things are in the text being parsed: yaml-rust2 markers (which count characters) turned
//! into byte spans ([`Pos`]) of the original text, byte-order mark included, and how many bytes
//! a scalar, an alias or the rest of a line takes.

use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::node::Pos;
use crate::manifest::diagnostic::line_column;

/// The text given to the parser, and the way back from its markers to the original text.
pub(super) struct Text<'t> {
    /// The text given to the parser (without a byte-order mark).
    pub body: &'t str,
    /// Length of the byte-order mark removed from the start, added back to every offset.
    bom: usize,
    chars: CharIndex,
}

impl<'t> Text<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        let (body, bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest, '\u{feff}'.len_utf8()),
            None => (text, 0),
        };
        Text {
            body,
            bom,
            chars: CharIndex::new(body),
        }
    }

    /// Byte offset of a marker in the text given to the parser.
    pub(super) fn offset(&self, marker: Marker) -> usize {
        self.chars.byte(self.body, marker.index())
    }

    /// The text from a marker on.
    pub(super) fn rest(&self, marker: Marker) -> &'t str {
        &self.body[self.offset(marker)..]
    }

    pub(super) fn pos(&self, marker: Marker, len: usize) -> Pos {
        let offset = self.offset(marker);
        let len = len.min(self.body.len().saturating_sub(offset));
        Pos {
            offset: self.bom + offset,
            len,
            line: marker.line(),
            // The byte-order mark is a character of the first line as editors count them.
            column: marker.col() + 1 + usize::from(self.bom > 0 && marker.line() == 1),
        }
    }

    /// `pos`, or the place just after the last character written when only blanks follow:
    /// errors found at the end of the text are shown where the content ends (where the missing
    /// `]` or value was expected), not on an empty last line.
    pub(super) fn content_pos(&self, pos: Pos) -> Pos {
        let relative = pos.offset - self.bom;
        if self
            .body
            .get(relative..)
            .is_some_and(|rest| !rest.trim().is_empty())
        {
            return pos;
        }
        let content = self.body.get(..relative).unwrap_or(self.body).trim_end();
        if content.is_empty() {
            return pos;
        }
        let (line, column) = line_column(self.body, content.len());
        Pos {
            offset: self.bom + content.len(),
            len: 0,
            line,
            column: column + usize::from(self.bom > 0 && line == 1),
        }
    }
}

/// Char index (what yaml-rust2 markers count) -> byte offset.
struct CharIndex {
    ascii: bool,
    /// Byte offset of every `STRIDE`-th character.
    checkpoints: Vec<usize>,
}

impl CharIndex {
    const STRIDE: usize = 256;

    fn new(text: &str) -> Self {
        if text.is_ascii() {
            return CharIndex {
                ascii: true,
                checkpoints: Vec::new(),
            };
        }
        let checkpoints = text
            .char_indices()
            .step_by(Self::STRIDE)
            .map(|(byte, _)| byte)
            .collect();
        CharIndex {
            ascii: false,
            checkpoints,
        }
    }

    fn byte(&self, text: &str, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(text.len());
        }
        let Some(&start) = self.checkpoints.get(char_index / Self::STRIDE) else {
            return text.len();
        };
        text[start..]
            .char_indices()
            .nth(char_index % Self::STRIDE)
            .map_or(text.len(), |(byte, _)| start + byte)
    }
}

/// Bytes from `rest` to the end of its line.
pub(super) fn line_len(rest: &str) -> usize {
    let line = rest.split('\n').next().unwrap_or_default();
    line.trim_end_matches('\r').len()
}

/// Bytes of an alias (`*name`) at the start of `rest`.
pub(super) fn alias_len(rest: &str) -> usize {
    rest.char_indices()
        .skip(1)
        .find(|(_, character)| character.is_whitespace() || ",[]{}".contains(*character))
        .map_or(rest.len(), |(index, _)| index)
}

/// Bytes the scalar `value` takes in the text starting at `rest`: exact for single-line plain
/// and quoted scalars, the rest of the first line otherwise.
pub(super) fn scalar_len(rest: &str, value: &str, style: TScalarStyle) -> usize {
    let line = &rest[..line_len(rest)];
    match style {
        TScalarStyle::Plain if line.starts_with(value) => value.len(),
        TScalarStyle::DoubleQuoted => {
            let mut escaped = false;
            for (index, character) in line.char_indices().skip(1) {
                match character {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => return index + 1,
                    _ => {}
                }
            }
            line.len()
        }
        TScalarStyle::SingleQuoted => {
            let bytes = line.as_bytes();
            let mut index = 1;
            while index < bytes.len() {
                if bytes[index] == b'\'' {
                    if bytes.get(index + 1) == Some(&b'\'') {
                        index += 2;
                        continue;
                    }
                    return index + 1;
                }
                index += 1;
            }
            line.len()
        }
        _ => line.trim_end().len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_index_finds_bytes_past_many_checkpoints() {
        let ascii = "key: value";
        let index = CharIndex::new(ascii);
        assert_eq!((index.byte(ascii, 5), index.byte(ascii, 99)), (5, 10));
        // 600 two-byte characters span three checkpoints; then one ASCII character.
        let text = format!("{}x", "é".repeat(600));
        let index = CharIndex::new(&text);
        assert_eq!(index.byte(&text, 0), 0);
        assert_eq!(index.byte(&text, 257), 514);
        assert_eq!(index.byte(&text, 600), 1200);
        assert_eq!(&text[index.byte(&text, 600)..], "x");
        assert_eq!(index.byte(&text, 601), text.len());
        assert_eq!(index.byte(&text, 10_000), text.len());
    }

    #[test]
    fn measures_scalars_aliases_and_lines() {
        assert_eq!(line_len("a: b\r\nc: d"), 4);
        assert_eq!(line_len("last"), 4);
        assert_eq!(alias_len("*base, *other]"), 5);
        assert_eq!(alias_len("*base"), 5);
        assert_eq!(
            scalar_len("plain # note\n", "plain", TScalarStyle::Plain),
            5
        );
        assert_eq!(
            scalar_len(r#""a\"b" # note"#, "a\"b", TScalarStyle::DoubleQuoted),
            6
        );
        assert_eq!(
            scalar_len("'it''s' # note", "it's", TScalarStyle::SingleQuoted),
            7
        );
        // Not closed on its line (a multi-line scalar): the rest of the line.
        assert_eq!(
            scalar_len("\"open\nmore\"", "open more", TScalarStyle::DoubleQuoted),
            5
        );
        assert_eq!(
            scalar_len("|  \n  text\n", "text\n", TScalarStyle::Literal),
            1
        );
    }
}
