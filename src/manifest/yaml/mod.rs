//! YAML text -> a tree of nodes that remember where they were written.
//!
//! Built from yaml-rust2's marked event stream, pulled one event at a time with an explicit
//! stack, so that nesting, alias expansion and memory are bounded before any tree is built:
//! the tree is never deeper than [`MAX_DEPTH`], and aliases never add more than
//! [`MAX_ALIAS_NODES`] nodes or [`MAX_ALIAS_BYTES`] bytes of text to a file.
//! Scalars are resolved with the YAML 1.2 core schema (no `yes`/`no` booleans, no timestamps).
//!
//! The parts: `node` is the tree, `text` turns markers into byte spans of the file, `scalar`
//! resolves scalars and tags, `builder` turns the event stream into documents; this module is
//! the entry point ([`parse`]), which keeps any panic of the parser inside.

mod builder;
mod node;
mod scalar;
mod text;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use super::diagnostic::Diagnostic;

pub(crate) use builder::Parsed;
pub(crate) use node::{Document, Node, NodeValue};
// The rest of what this module offered when it was one file: no other module names these today,
// but their paths (and the links above) keep working.
#[allow(unused_imports)]
pub(crate) use builder::{MAX_ALIAS_BYTES, MAX_ALIAS_NODES, MAX_DEPTH};
#[allow(unused_imports)]
pub(crate) use node::{json_type_name, Entry, Pos};

/// Parses every document of `text`. A syntax error ends the file (the documents before it are
/// kept); so do the nesting and alias limits. Never panics on any input.
pub(crate) fn parse(file: &Path, text: &str) -> Parsed {
    let outcome = catch_unwind(AssertUnwindSafe(|| builder::build(file, text)));
    outcome.unwrap_or_else(|_| Parsed {
        documents: Vec::new(),
        diagnostics: vec![Diagnostic::new(format!(
            "cannot parse `{}`: the YAML parser failed on this file",
            file.display()
        ))
        .with_help("this is a bug in soarform; please report it with the file")],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_text(text: &str) -> Parsed {
        parse(Path::new("test.yaml"), text)
    }

    fn messages(parsed: &Parsed) -> Vec<String> {
        parsed
            .diagnostics
            .iter()
            .map(|diagnostic| {
                let place = diagnostic
                    .origin
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                format!("{place}: {}", diagnostic.message)
            })
            .collect()
    }

    #[test]
    fn builds_positioned_tree() {
        let parsed = parse_text(
            "kind: Incident\nkey: \"a/b\"\nfields:\n  n: 3\n  f: 1.5\n  b: true\n  z: ~\n",
        );
        assert!(parsed.diagnostics.is_empty(), "{:?}", messages(&parsed));
        let root = &parsed.documents[0].root;
        assert_eq!(
            root.to_json(),
            json!({"kind": "Incident", "key": "a/b", "fields": {"n": 3, "f": 1.5, "b": true, "z": null}})
        );
        let (node, key_pos) = root
            .find(&["fields".to_string(), "f".to_string()])
            .expect("fields.f exists");
        assert_eq!((node.pos.line, node.pos.column, node.pos.len), (5, 6, 3));
        let key_pos = key_pos.expect("a key position");
        assert_eq!((key_pos.line, key_pos.column, key_pos.offset), (5, 3, 43));
        let (key, _) = root.find(&["key".to_string()]).expect("key exists");
        assert_eq!((key.pos.column, key.pos.len), (6, 5));
        assert_eq!((root.pos.line, root.pos.column), (1, 1));
    }

    #[test]
    fn tags_choose_how_scalars_resolve() {
        let parsed = parse_text("a: !!str 12\nb: '12'\nc: !!int 12\n");
        assert_eq!(
            parsed.documents[0].root.to_json(),
            json!({"a": "12", "b": "12", "c": 12})
        );
    }

    #[test]
    fn scalars_read_as_other_than_strings_keep_their_written_text() {
        let parsed = parse_text(
            "a: 0042\nb: 0x1F\nc: 1.50\nd: True\ne: ~\nf: \"0042\"\ng: text\nh: !!int \"0x1F\"\ni: &n 1e3\nj: *n\n",
        );
        assert!(parsed.diagnostics.is_empty(), "{:?}", messages(&parsed));
        let root = &parsed.documents[0].root;
        let written = |key: &str| root.get(key).and_then(|entry| entry.value.written.clone());
        assert_eq!(written("a").as_deref(), Some("0042"));
        assert_eq!(written("b").as_deref(), Some("0x1F"));
        assert_eq!(written("c").as_deref(), Some("1.50"));
        assert_eq!(written("d").as_deref(), Some("True"));
        assert_eq!(written("e").as_deref(), Some("~"));
        assert_eq!(written("f"), None);
        assert_eq!(written("g"), None);
        assert_eq!(written("h").as_deref(), Some("0x1F"));
        assert_eq!(written("j").as_deref(), Some("1e3"));
    }

    #[test]
    fn reports_syntax_errors_with_position() {
        let parsed = parse_text("kind: Incident\nkey: [unclosed\nfields: {}\n");
        let all = messages(&parsed);
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(
            all[0].starts_with("test.yaml:3:7: invalid YAML:"),
            "{all:?}"
        );
        assert!(all[0].contains("invalid YAML:"), "{all:?}");
    }

    #[test]
    fn keeps_documents_before_a_syntax_error() {
        let parsed = parse_text("kind: Template\nname: a\n---\nkind: : :\n");
        assert_eq!(parsed.documents.len(), 1);
        assert_eq!(messages(&parsed).len(), 1);
    }

    #[test]
    fn reports_duplicate_keys_with_both_positions() {
        let parsed = parse_text("kind: Incident\nkey: a\nkey: b\n");
        let diagnostic = &parsed.diagnostics[0];
        let rendered = diagnostic.render(&Default::default(), false);
        assert!(rendered.contains("duplicate key `key`"), "{rendered}");
        assert!(rendered.contains("test.yaml:3:1"), "{rendered}");
        assert!(
            rendered.contains("`key` is first defined at test.yaml:2:1"),
            "{rendered}"
        );
        // The first value is kept.
        assert_eq!(
            parsed.documents[0].root.to_json(),
            json!({"kind": "Incident", "key": "a"})
        );
    }

    #[test]
    fn refuses_alias_bombs() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for level in 1..10u8 {
            let name = char::from(b'a' + level);
            let previous = char::from(b'a' + level - 1);
            let items = vec![format!("*{previous}"); 9].join(",");
            text.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        let parsed = parse_text(&text);
        let all = messages(&parsed);
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(
            all[0].contains("aliases expand to more than 100000 nodes"),
            "{all:?}"
        );
        assert!(all[0].starts_with("test.yaml:"), "{all:?}");
        assert!(parsed.documents.is_empty());
    }

    #[test]
    fn expands_small_aliases() {
        let parsed = parse_text("base: &base {a: 1}\ncopy: *base\n");
        assert!(parsed.diagnostics.is_empty());
        assert_eq!(
            parsed.documents[0].root.to_json(),
            json!({"base": {"a": 1}, "copy": {"a": 1}})
        );
    }

    #[test]
    fn refuses_recursive_aliases() {
        let parsed = parse_text("a: &x [1, *x]\n");
        let all = messages(&parsed);
        assert_eq!(
            all,
            ["test.yaml:1:11: alias refers to a node that contains it"]
        );
    }

    #[test]
    fn refuses_deep_flow_nesting_without_overflow() {
        let parsed = parse_text(&"[".repeat(100_000));
        let all = messages(&parsed);
        assert_eq!(all.len(), 1);
        assert!(
            all[0].contains("nesting is deeper than 64 levels"),
            "{all:?}"
        );
    }

    #[test]
    fn refuses_deep_block_nesting_without_overflow() {
        let parsed = parse_text(&"- ".repeat(100_000));
        let all = messages(&parsed);
        assert_eq!(all.len(), 1);
        assert!(all[0].starts_with("test.yaml:1:"), "{all:?}");
        assert!(
            all[0].contains("nesting is deeper than 64 levels"),
            "{all:?}"
        );
        let mut text = String::new();
        for level in 0..200 {
            text.push_str(&" ".repeat(level));
            text.push_str("a:\n");
        }
        let all = messages(&parse_text(&text));
        assert!(all[0].starts_with("test.yaml:65:"), "{all:?}");
    }

    #[test]
    fn refuses_deep_nesting_built_from_aliases() {
        let mut text = String::from("a: &a ");
        text.push_str(&"[".repeat(40));
        text.push_str(&"]".repeat(40));
        text.push_str("\nb: ");
        text.push_str(&"[".repeat(40));
        text.push_str("*a");
        text.push_str(&"]".repeat(40));
        text.push('\n');
        let all = messages(&parse_text(&text));
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(
            all[0].contains("nesting is deeper than 64 levels"),
            "{all:?}"
        );
    }

    #[test]
    fn comment_only_text_has_no_documents() {
        let parsed = parse_text("# yaml-language-server: $schema=x.json\n# nothing\n");
        assert!(parsed.documents.is_empty());
        assert!(parsed.diagnostics.is_empty());
    }

    #[test]
    fn explicit_empty_document_is_a_null_root() {
        let parsed = parse_text("---\n");
        assert_eq!(parsed.documents.len(), 1);
        assert!(parsed.documents[0].root.is_null());
        assert_eq!(parsed.documents[0].start.len, 3);
    }

    #[test]
    fn positions_count_characters_and_skip_the_byte_order_mark() {
        let parsed = parse_text("\u{feff}label: café\nkey: x\n");
        let root = &parsed.documents[0].root;
        let (node, _) = root.find(&["key".to_string()]).expect("key exists");
        // "\u{feff}label: café\n" is 3 + 13 bytes.
        assert_eq!(
            (node.pos.line, node.pos.column, node.pos.offset),
            (2, 6, 21)
        );
        let (label, _) = root.find(&["label".to_string()]).expect("label exists");
        assert_eq!((label.pos.offset, label.pos.len), (10, 5));
    }

    #[test]
    fn reports_unsupported_tags_and_infinite_numbers() {
        let all = messages(&parse_text("a: !secret x\nb: .inf\n"));
        assert_eq!(
            all,
            [
                "test.yaml:1:12: unsupported tag `!secret`",
                "test.yaml:2:4: `.inf` is not a finite number"
            ]
        );
    }

    #[test]
    fn empty_value_points_at_its_key() {
        let parsed = parse_text("a:\nb: 1\n");
        let (node, _) = parsed.documents[0]
            .root
            .find(&["a".to_string()])
            .expect("a exists");
        assert_eq!((node.pos.line, node.pos.column), (1, 1));
    }
}
