//! Text from the server or from files made safe to print on a terminal or in a Markdown comment.
//!
//! Anyone who can edit an incident, a catalog name or a file can put escape sequences in it: a
//! clear-screen (`\u{1b}[2J`), a window title (`\u{1b}]0;...\u{7}`), a carriage return that
//! overwrites the start of a line, or a bidirectional override that makes a line read differently
//! from what it holds (Trojan-source style). Every text and Markdown rendering passes such text
//! through this module, which shows those characters escaped, Rust-style (`\u{1b}`), instead of
//! writing them raw. JSON output needs none of it: serde escapes control characters itself.
//!
//! This is a foundation module: it imports nothing from the rest of soarform.

use std::borrow::Cow;

/// Whether `character` is shown escaped: every C0 control but line feed and tab (so a lone
/// carriage return too), DEL, the C1 controls U+0080–U+009F, and the bidirectional embeddings,
/// overrides and isolates U+202A–U+202E and U+2066–U+2069.
pub(crate) fn is_unsafe(character: char) -> bool {
    match character {
        '\n' | '\t' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// `text` with every [unsafe](is_unsafe) character escaped (`\u{1b}`, `\r`, `\0`); line feeds
/// and tabs are kept, so multi-line text stays multi-line. Borrowed when nothing needed escaping.
pub(crate) fn escaped(text: &str) -> Cow<'_, str> {
    escape_where(text, is_unsafe)
}

/// As [`escaped`], and line feeds shown as `\n` too: for text that must stay on its line (a
/// name in a header, a key, a warning).
pub(crate) fn one_line(text: &str) -> Cow<'_, str> {
    escape_where(text, |character| character == '\n' || is_unsafe(character))
}

/// Text from the server as it may be shown inside a line: as is when it is printable, quoted with
/// escapes (`"x\u{1b}[31m\nwarning: fake"`) when it holds a control character or a bidirectional
/// override, so that nothing can fake output lines or colours.
pub(crate) fn quoted(text: &str) -> String {
    if !text
        .chars()
        .any(|character| character.is_control() || is_unsafe(character))
    {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            character if character.is_control() || is_unsafe(character) => {
                out.extend(character.escape_debug());
            }
            character => out.push(character),
        }
    }
    out.push('"');
    out
}

fn escape_where(text: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = text.find(&escape) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for character in text[first..].chars() {
        if escape(character) {
            // `escape_debug` writes `\r`, `\n`, `\t`, `\0` and `\u{..}` for the rest of these.
            out.extend(character.escape_debug());
        } else {
            out.push(character);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_escaped() {
        assert_eq!(escaped("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escaped("\u{1b}]0;title\u{7}"), "\\u{1b}]0;title\\u{7}");
        assert_eq!(escaped("done\rforged"), "done\\rforged");
        assert_eq!(escaped("nul\0"), "nul\\0");
        assert_eq!(escaped("del\u{7f} csi\u{9b}2J"), "del\\u{7f} csi\\u{9b}2J");
        assert_eq!(escaped("next\u{85}line"), "next\\u{85}line");
    }

    #[test]
    fn bidirectional_overrides_and_isolates_are_shown_escaped() {
        for character in ('\u{202a}'..='\u{202e}').chain('\u{2066}'..='\u{2069}') {
            let text = format!("a{character}b");
            let shown = escaped(&text);
            assert_eq!(shown, format!("a\\u{{{:x}}}b", character as u32));
            assert!(!shown.contains(character));
        }
        // Neighbours that change no order stay as they are.
        assert_eq!(
            escaped("\u{2029}\u{2065}\u{206a}"),
            "\u{2029}\u{2065}\u{206a}"
        );
    }

    #[test]
    fn line_feeds_tabs_and_printable_text_stay() {
        let text = "line one\n\tline two: é, 名前, 🎉, \\u{1b} as written";
        assert!(matches!(escaped(text), Cow::Borrowed(_)));
        assert_eq!(escaped(text), text);
    }

    #[test]
    fn one_line_text_shows_line_feeds_escaped_too() {
        assert_eq!(
            one_line("key\n+ create Incident forged"),
            "key\\n+ create Incident forged"
        );
        assert_eq!(one_line("a\tb"), "a\tb");
        assert_eq!(one_line("a\u{1b}b"), "a\\u{1b}b");
        assert!(matches!(one_line("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn quoted_text_is_as_is_when_printable() {
        assert_eq!(quoted("alice"), "alice");
        assert_eq!(quoted("Bob \"the admin\""), "Bob \"the admin\"");
        assert_eq!(
            quoted("x\u{1b}[31m\nwarning: fake"),
            "\"x\\u{1b}[31m\\nwarning: fake\""
        );
        assert_eq!(quoted("a\"\\\u{202e}"), "\"a\\\"\\\\\\u{202e}\"");
        // The same escapes as Rust's `Debug` for strings.
        let text = "tab\there\r\u{85}\u{2066}";
        assert_eq!(quoted(text), format!("{text:?}"));
    }

    #[test]
    fn every_unsafe_character_is_escaped_and_nothing_else() {
        for code in 0..=0x2200u32 {
            let Some(character) = char::from_u32(code) else {
                continue;
            };
            let text = character.to_string();
            let shown = escaped(&text);
            let expected = (code < 0x20 && code != 0x0a && code != 0x09)
                || (0x7f..=0x9f).contains(&code)
                || (0x202a..=0x202e).contains(&code)
                || (0x2066..=0x2069).contains(&code);
            assert_eq!(shown != text, expected, "U+{code:04X}");
            assert!(!shown.chars().any(is_unsafe), "U+{code:04X}");
        }
    }
}
