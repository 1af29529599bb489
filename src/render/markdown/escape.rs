//! Text made inert for a GitHub comment: control characters and bidirectional overrides shown
//! escaped ([`safe_text`]), HTML escaped inside HTML, code spans fenced longer than any backtick
//! run they hold, and Markdown syntax and mentions escaped in prose.

use crate::normalize::Normalized;
use crate::safe_text;

/// A value on one line, escaped (text is quoted with escapes already; a choice's name may not be).
pub(super) fn value(value: &Normalized) -> String {
    one_line(&value.to_string())
}

pub(super) fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for character in text.chars() {
        if character == '`' {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    longest
}

/// Text kept on its line: line breaks and tabs become spaces, other control characters and
/// bidirectional overrides are shown escaped (`\u{1b}`).
pub(super) fn one_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|character| match character {
            '\n' | '\t' => ' ',
            character => character,
        })
        .collect();
    safe_text::escaped(&spaced).into_owned()
}

/// Text for HTML content or attribute values, on one line.
pub(super) fn html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in one_line(text).chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A Markdown code span of `text` on one line, fenced longer than any backtick run inside.
pub(super) fn code_span(text: &str) -> String {
    let text = one_line(text);
    if text.is_empty() {
        return "` `".to_string();
    }
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    // A space on each side is stripped again; it keeps a backtick at either end off the fence,
    // and keeps text that starts and ends with a space as it is.
    let padded = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    if padded {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Text for a Markdown paragraph or list item, on one line: HTML and Markdown syntax are escaped,
/// and `@` cannot mention anyone.
pub(super) fn prose(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in one_line(text).chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            // A zero-width space after `@` keeps GitHub from notifying a user or team.
            '@' => escaped.push_str("@&#8203;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                escaped.push('\\');
                escaped.push(character);
            }
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_are_fenced_longer_than_their_backticks() {
        assert_eq!(code_span("plain"), "`plain`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x``"), "``` `x`` ```");
        assert_eq!(code_span("line\nbreak"), "`line break`");
        assert_eq!(code_span(""), "` `");
    }
}
