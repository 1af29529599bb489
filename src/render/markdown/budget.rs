//! The byte budget of a comment: GitHub's limit and the caps under it, text and lines cut to fit,
//! `<details>` sections and fenced diff blocks that take only what fits, and the notes that count
//! what was left out.
//!
//! UTF-8 bytes are never fewer than the UTF-16 units GitHub counts, so a budget in bytes keeps a
//! comment under GitHub's limit.

use std::fmt::Write as _;

use super::escape::longest_backtick_run;

/// GitHub's limit on a comment body, in characters.
pub(crate) const COMMENT_LIMIT: usize = 65_536;

/// Bytes kept free for the closing note that says what was left out.
pub(super) const FOOTER_RESERVE: usize = 1_024;

/// The most bytes one object's section may take, so one huge object cannot crowd out the rest.
pub(super) const SECTION_LIMIT: usize = 16_384;

/// The most bytes one line of a diff block may take before it is cut.
pub(super) const LINE_LIMIT: usize = 1_000;

/// The most characters of a key, template name, field name, target or dialect shown.
pub(super) const NAME_LIMIT: usize = 200;

/// The most characters of a warning, error or refusal reason shown.
pub(super) const MESSAGE_LIMIT: usize = 500;

/// The share of a section that warnings may take.
pub(super) const WARNING_SHARE: usize = 4;

/// Bytes kept free in a section for the note that says how many diff lines were cut.
pub(super) const NOTE_RESERVE: usize = 256;

/// The most bytes the body may take before the closing note.
pub(super) fn body_limit() -> usize {
    COMMENT_LIMIT - FOOTER_RESERVE - 1
}

/// Ends a `<details>` section: as many diff lines as fit in `limit`, a note on the rest, the tag.
pub(super) fn close_section(
    head: String,
    lines: &[String],
    limit: usize,
    elsewhere: &str,
) -> String {
    let tail = "</details>\n\n";
    let room = limit.saturating_sub(head.len() + tail.len() + NOTE_RESERVE);
    let (block, lines_left_out) = diff_block(lines, room);
    let mut section = head;
    section.push_str(&block);
    if lines_left_out > 0 {
        let _ = writeln!(
            section,
            "_… {lines_left_out} more {} not shown; {elsewhere}._\n",
            plural_noun(lines_left_out, "line")
        );
    }
    section.push_str(tail);
    section
}

/// A fenced `diff` block of as many leading `lines` as fit in `room` bytes, and how many did not.
///
/// The fence is one backtick longer than the longest run of backticks in the lines it holds, so
/// no line can close it.
pub(super) fn diff_block(lines: &[String], room: usize) -> (String, usize) {
    const INFO: &str = "diff";
    let mut fence_length = 3;
    let mut content = String::new();
    let mut taken = 0;
    for line in lines {
        let needed_fence = fence_length.max(longest_backtick_run(line) + 1);
        // Opening fence, info string, closing fence, the blank line after, and newlines.
        let cost = 2 * needed_fence + INFO.len() + 3 + content.len() + line.len() + 1;
        if cost > room {
            break;
        }
        fence_length = needed_fence;
        content.push_str(line);
        content.push('\n');
        taken += 1;
    }
    if taken == 0 {
        return (String::new(), lines.len());
    }
    let fence = "`".repeat(fence_length);
    (
        format!("{fence}{INFO}\n{content}{fence}\n\n"),
        lines.len() - taken,
    )
}

/// A line cut to at most [`LINE_LIMIT`] bytes, saying how much was cut.
pub(super) fn cap_line(line: String) -> String {
    if line.len() <= LINE_LIMIT {
        return line;
    }
    // Room for the note, which is at most 40 bytes.
    let mut end = LINE_LIMIT - 40;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let rest = line[end..].chars().count();
    format!("{} … [{rest} more characters]", &line[..end])
}

pub(super) fn plural_noun(count: usize, noun: &str) -> String {
    if count == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

/// At most `limit` characters, ending with `…` when cut.
pub(super) fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut short: String = text.chars().take(limit.saturating_sub(1)).collect();
    short.push('…');
    short
}
