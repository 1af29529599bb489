//! Lexing for `fmt`: the comments of a YAML text ([`find_comments`]) and where its quoted and
//! block scalars are, which the YAML scanner finds (a `#` inside them is no comment).

use std::ops::Range;

use yaml_rust2::scanner::{Scanner, TScalarStyle, TokenType};

use super::line_starts::LineStarts;

/// A comment found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Comment {
    /// Byte offset of its `#`.
    pub offset: usize,
    /// 0-based line.
    pub line: usize,
    /// 0-based column of its `#`, in characters.
    pub column: usize,
    /// Characters of content before it on its line (without the blanks before the `#`).
    pub content_width: usize,
    /// From `#` to the end of the line, without trailing blanks.
    pub text: String,
    /// Whether only blanks come before it on its line.
    pub full_line: bool,
}

/// The comments of a YAML text with LF line breaks, in text order: every `#` at the start of a
/// line or after a blank, outside quoted scalars and the content of block scalars (which the
/// YAML scanner finds; a plain scalar cannot hold ` #`).
pub(crate) fn find_comments(text: &str) -> Result<Vec<Comment>, String> {
    scan(text).map(|scan| scan.comments)
}

/// A text's comments, and where its quoted and block scalars are.
pub(super) struct Scan {
    pub(super) lines: LineStarts,
    pub(super) comments: Vec<Comment>,
    /// Byte ranges of quoted scalars and of the content lines of block scalars, sorted.
    pub(super) scalars: Vec<Range<usize>>,
}

pub(super) fn scan(text: &str) -> Result<Scan, String> {
    let lines = LineStarts::new(text);
    let scalars = scalar_spans(text, &lines)?;
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut spans = scalars.iter().peekable();
    let mut index = 0;
    while index < bytes.len() {
        while spans.next_if(|span| span.end <= index).is_some() {}
        if let Some(span) = spans.peek() {
            if span.contains(&index) {
                index = span.end;
                continue;
            }
        }
        // `#` is one byte and never part of another character: bytes are enough.
        let after_blank = index == 0 || matches!(bytes[index - 1], b' ' | b'\t' | b'\n');
        if bytes[index] != b'#' || !after_blank {
            index += 1;
            continue;
        }
        let line = lines.line_of(index);
        let line_end = lines.end(text, line);
        let before = &text[lines.start(line)..index];
        comments.push(Comment {
            offset: index,
            line,
            column: before.chars().count(),
            content_width: before.trim_end().chars().count(),
            text: text[index..line_end].trim_end().to_string(),
            full_line: before.trim().is_empty(),
        });
        index = line_end;
    }
    Ok(Scan {
        lines,
        comments,
        scalars,
    })
}

/// Byte ranges of quoted scalars and of the content lines of block scalars, sorted.
fn scalar_spans(text: &str, lines: &LineStarts) -> Result<Vec<Range<usize>>, String> {
    struct Token {
        character: usize,
        byte: usize,
        scalar: Option<(TScalarStyle, String)>,
    }
    let mut tokens = Vec::new();
    let mut scanner = Scanner::new(text.chars());
    loop {
        match scanner.next_token() {
            Ok(Some(token)) => tokens.push(Token {
                character: token.0.index(),
                byte: 0,
                scalar: match token.1 {
                    TokenType::Scalar(style, value) => Some((style, value)),
                    _ => None,
                },
            }),
            Ok(None) => break,
            Err(error) => return Err(format!("cannot find its comments: {error}")),
        }
    }
    // Markers count characters: map them to bytes in one pass.
    let mut order: Vec<usize> = (0..tokens.len()).collect();
    order.sort_by_key(|&index| tokens[index].character);
    let mut characters = text
        .char_indices()
        .map(|(byte, _)| byte)
        .chain([text.len()])
        .enumerate()
        .peekable();
    for index in order {
        let wanted = tokens[index].character;
        while characters
            .next_if(|&(character, _)| character < wanted)
            .is_some()
        {}
        tokens[index].byte = characters.peek().map_or(text.len(), |&(_, byte)| byte);
    }

    let mut spans = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        let Some((style, value)) = &token.scalar else {
            continue;
        };
        let start = token.byte;
        match style {
            TScalarStyle::DoubleQuoted | TScalarStyle::SingleQuoted => {
                spans.push(start..quoted_end(text, start, *style));
            }
            TScalarStyle::Literal | TScalarStyle::Folded if !value.trim().is_empty() => {
                let next = tokens
                    .get(index + 1)
                    .map_or(text.len(), |next| next.byte.max(start));
                let keeps_trailing_lines = value.ends_with("\n\n");
                spans.push(block_content(
                    text,
                    lines,
                    start,
                    next,
                    keeps_trailing_lines,
                ));
            }
            _ => {}
        }
    }
    spans.sort_by_key(|span| span.start);
    Ok(spans)
}

/// The end (after the closing quote) of the quoted scalar starting at `start`.
fn quoted_end(text: &str, start: usize, style: TScalarStyle) -> usize {
    let bytes = text.as_bytes();
    let mut index = start + 1;
    while index < bytes.len() {
        match (style, bytes[index]) {
            (TScalarStyle::DoubleQuoted, b'\\') => index += 2,
            (TScalarStyle::DoubleQuoted, b'"') => return index + 1,
            (TScalarStyle::SingleQuoted, b'\'') if bytes.get(index + 1) == Some(&b'\'') => {
                index += 2;
            }
            (TScalarStyle::SingleQuoted, b'\'') => return index + 1,
            _ => index += 1,
        }
    }
    text.len()
}

/// The content lines of the block scalar whose first content character is at `start` (the
/// scanner's marker; its column is the content's indentation), up to `next` (the next token):
/// the lines that are blank or indented at least as much, up to the last that is not blank
/// (through the blank ones after it when the scalar keeps them, `|+`).
fn block_content(
    text: &str,
    lines: &LineStarts,
    start: usize,
    next: usize,
    keeps_trailing_lines: bool,
) -> Range<usize> {
    let first = lines.line_of(start);
    let indent = start - lines.start(first);
    // The line of the next token holds no content of this scalar.
    let bound = if next >= text.len() {
        lines.count()
    } else {
        lines.line_of(next).max(first + 1)
    };
    let mut last = first;
    for line in first..bound.min(lines.count()) {
        let content = lines.text(text, line);
        if content.trim().is_empty() {
            if keeps_trailing_lines {
                last = line;
            }
            continue;
        }
        if content.len() - content.trim_start_matches(' ').len() < indent {
            break;
        }
        last = line;
    }
    lines.start(first)..lines.end(text, last)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn comments(text: &str) -> Vec<(usize, String, bool)> {
        find_comments(text)
            .unwrap_or_else(|reason| panic!("{reason}"))
            .into_iter()
            .map(|comment| (comment.line + 1, comment.text, comment.full_line))
            .collect()
    }

    /// The texts of the comments `find_comments` finds, in order (also used by the pipeline's tests).
    pub(in crate::manifest::format) fn texts(text: &str) -> Vec<String> {
        comments(text)
            .into_iter()
            .map(|(_, text, _)| text)
            .collect()
    }

    #[test]
    fn finds_end_of_line_and_full_line_comments() {
        assert_eq!(
            comments("# header\nkind: Incident # the kind\n  # indented\nkey: a\t# after a tab\n"),
            [
                (1, "# header".to_string(), true),
                (2, "# the kind".to_string(), false),
                (3, "# indented".to_string(), true),
                (4, "# after a tab".to_string(), false),
            ]
        );
    }

    #[test]
    fn a_hash_inside_a_value_is_no_comment() {
        assert_eq!(
            texts("url: http://x.example/#frag\nchannel: '#soc'  # quoted\nissue: a#1\n"),
            ["# quoted"]
        );
    }

    #[test]
    fn quoted_scalars_hide_their_hashes() {
        let text = concat!(
            "a: \"x # y\" # one\n",
            "b: 'it''s # not' # two\n",
            "c: \"escaped \\\" # quote\" # three\n",
            "d: \"spans\n  # lines\" # four\n",
            "\"e # key\": 1 # five\n",
        );
        assert_eq!(
            texts(text),
            ["# one", "# two", "# three", "# four", "# five"]
        );
    }

    #[test]
    fn block_scalars_hide_their_hashes() {
        let text = concat!(
            "fields:\n",
            "  a: |  # header comment\n",
            "    # content\n",
            "    more # content\n",
            "\n",
            "      # still content\n",
            "  # after the block\n",
            "  b: >-\n",
            "    # folded content\n",
            "# at the end\n",
            "  c: |+\n",
            "    kept\n",
            "\n",
            "  # after kept lines\n",
            "  d: |2\n",
            "     # indented content\n",
            "  # after d\n",
        );
        assert_eq!(
            texts(text),
            [
                "# header comment",
                "# after the block",
                "# at the end",
                "# after kept lines",
                "# after d"
            ]
        );
    }

    #[test]
    fn empty_block_scalars_end_at_their_header() {
        assert_eq!(texts("a: |\n# comment\nb: 1\n"), ["# comment"]);
    }
}
