//! The event-stream builder: yaml-rust2's marked events, pulled one at a time onto an explicit
//! stack of open collections, become [`Document`]s of [`Node`]s. It keeps the anchors, checks
//! duplicate keys, and bounds nesting ([`MAX_DEPTH`]) and alias expansion ([`MAX_ALIAS_NODES`],
//! [`MAX_ALIAS_BYTES`]) before any tree is built.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::node::{Document, Entry, Node, NodeValue, Pos};
use super::scalar::{resolve_scalar, scalar_text, tag_name, CORE_TAG_PREFIX};
use super::text::{alias_len, line_len, scalar_len, Text};
use crate::manifest::diagnostic::Diagnostic;

/// Deepest nesting of mappings and sequences accepted (desired-state documents need 2).
pub(crate) const MAX_DEPTH: usize = 64;
/// Most nodes that alias expansion may add to one file.
pub(crate) const MAX_ALIAS_NODES: usize = 100_000;
/// Most bytes of scalar text that alias expansion may add to one file.
pub(crate) const MAX_ALIAS_BYTES: usize = 32 * 1024 * 1024;

/// The documents of a file that parsed completely, and every problem met.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

struct Anchored {
    node: Node,
    nodes: usize,
    bytes: usize,
    height: usize,
}

enum Pending {
    /// The next node is a key.
    Key,
    /// The next node is the value of this key; `None` when the key was rejected (the value is
    /// dropped).
    Value(Option<(String, Pos)>),
}

enum Frame {
    Sequence {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Mapping {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        pending: Pending,
        seen: HashMap<String, Pos>,
    },
}

/// Builds the documents of `text`. Panics where yaml-rust2 does; `parse` catches that.
pub(super) fn build(file: &Path, text: &str) -> Parsed {
    let mut builder = Builder::new(file, text);
    builder.run();
    builder.parsed
}

struct Builder<'t> {
    file: &'t Path,
    text: Text<'t>,
    frames: Vec<Frame>,
    root: Option<Node>,
    document_start: Option<Pos>,
    anchors: HashMap<usize, Anchored>,
    open_anchors: HashSet<usize>,
    alias_nodes: usize,
    alias_bytes: usize,
    stopped: bool,
    parsed: Parsed,
}

impl<'t> Builder<'t> {
    fn new(file: &'t Path, text: &'t str) -> Self {
        Builder {
            file,
            text: Text::new(text),
            frames: Vec::new(),
            root: None,
            document_start: None,
            anchors: HashMap::new(),
            open_anchors: HashSet::new(),
            alias_nodes: 0,
            alias_bytes: 0,
            stopped: false,
            parsed: Parsed::default(),
        }
    }

    fn run(&mut self) {
        let mut parser = Parser::new_from_str(self.text.body);
        while !self.stopped {
            match parser.next_token() {
                Ok((Event::StreamEnd, _)) => break,
                Ok((event, marker)) => self.on_event(event, marker),
                Err(error) => {
                    let pos = self.text.content_pos(self.text.pos(*error.marker(), 1));
                    let diagnostic = if error.info().contains("recursion limit") {
                        self.too_deep(pos)
                    } else {
                        Diagnostic::at(
                            pos.origin(self.file),
                            format!("invalid YAML: {}", error.info()),
                        )
                    };
                    self.parsed.diagnostics.push(diagnostic);
                    break;
                }
            }
        }
    }

    fn at(&self, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(pos.origin(self.file), message)
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.parsed.diagnostics.push(diagnostic);
    }

    fn too_deep(&self, pos: Pos) -> Diagnostic {
        Diagnostic::at(
            pos.origin(self.file),
            format!("nesting is deeper than {MAX_DEPTH} levels"),
        )
        .with_label("too deep")
        .with_help("desired-state documents are a mapping of keys to scalar fields")
    }

    fn on_event(&mut self, event: Event, marker: Marker) {
        match event {
            Event::StreamStart | Event::Nothing | Event::StreamEnd => {}
            Event::DocumentStart => {
                let explicit = self.text.rest(marker).starts_with("---");
                self.document_start = Some(self.text.pos(marker, if explicit { 3 } else { 0 }));
                self.frames.clear();
                self.root = None;
                self.anchors.clear();
                self.open_anchors.clear();
            }
            Event::DocumentEnd => {
                if let Some(root) = self.root.take() {
                    let start = self.document_start.take().unwrap_or(root.pos);
                    self.parsed.documents.push(Document { start, root });
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.on_scalar(text, style, anchor, tag.as_ref(), marker);
            }
            Event::Alias(anchor) => self.on_alias(anchor, marker),
            Event::SequenceStart(anchor, tag) => {
                self.on_collection_start(marker, anchor, tag.as_ref(), false);
            }
            Event::MappingStart(anchor, tag) => {
                self.on_collection_start(marker, anchor, tag.as_ref(), true);
            }
            Event::SequenceEnd | Event::MappingEnd => self.on_collection_end(),
        }
    }

    fn expects_key(&self) -> bool {
        matches!(
            self.frames.last(),
            Some(Frame::Mapping {
                pending: Pending::Key,
                ..
            })
        )
    }

    fn on_scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        marker: Marker,
    ) {
        let len = scalar_len(self.text.rest(marker), &text, style);
        let pos = self.text.pos(marker, len);
        if self.expects_key() {
            // Keys stay text as written: `1:` is the key `1`, `null:` the key `null`.
            if anchor > 0 {
                self.remember(
                    anchor,
                    &Node {
                        pos,
                        value: NodeValue::Scalar(Value::String(text.clone())),
                        written: None,
                    },
                );
            }
            self.set_key(text, pos);
            return;
        }
        let (value, written) = match resolve_scalar(&text, style, tag) {
            Ok(Value::String(resolved)) => (Value::String(resolved), None),
            Ok(value) => (value, Some(text)),
            Err((message, help)) => {
                self.push(self.at(pos, message).with_help(help));
                (Value::String(text), None)
            }
        };
        let node = Node {
            pos,
            value: NodeValue::Scalar(value),
            written,
        };
        if anchor > 0 {
            self.remember(anchor, &node);
        }
        self.deliver(node);
    }

    fn on_alias(&mut self, anchor: usize, marker: Marker) {
        let len = alias_len(self.text.rest(marker));
        let pos = self.text.pos(marker, len);
        let Some(anchored) = self.anchors.get(&anchor) else {
            let message = if self.open_anchors.contains(&anchor) {
                "alias refers to a node that contains it"
            } else {
                "alias refers to an unknown anchor"
            };
            self.push(
                self.at(pos, message)
                    .with_label("not an anchor that is complete here"),
            );
            self.deliver(Node {
                pos,
                value: NodeValue::Scalar(Value::Null),
                written: None,
            });
            return;
        };
        self.alias_nodes = self.alias_nodes.saturating_add(anchored.nodes);
        self.alias_bytes = self.alias_bytes.saturating_add(anchored.bytes);
        if self.alias_nodes > MAX_ALIAS_NODES || self.alias_bytes > MAX_ALIAS_BYTES {
            let diagnostic = Diagnostic::at(
                pos.origin(self.file),
                format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} nodes or {} MiB of text",
                    MAX_ALIAS_BYTES / (1024 * 1024)
                ),
            )
            .with_label("expansion crosses the limit here")
            .with_note("every alias (`*name`) copies the node its anchor (`&name`) marks")
            .with_help("write the data out without aliases; this file looks like an alias bomb");
            self.parsed.diagnostics.push(diagnostic);
            self.stopped = true;
            return;
        }
        if self.frames.len() + anchored.height > MAX_DEPTH {
            let diagnostic = self.too_deep(pos);
            self.parsed.diagnostics.push(diagnostic);
            self.stopped = true;
            return;
        }
        let mut node = anchored.node.clone();
        node.pos = pos;
        if self.expects_key() {
            match node.value {
                NodeValue::Scalar(value) => self.set_key(scalar_text(&value), pos),
                _ => self.reject_key(pos),
            }
            return;
        }
        self.deliver(node);
    }

    fn on_collection_start(
        &mut self,
        marker: Marker,
        anchor: usize,
        tag: Option<&Tag>,
        is_mapping: bool,
    ) {
        let pos = self.text.pos(marker, line_len(self.text.rest(marker)));
        if self.frames.len() >= MAX_DEPTH {
            let diagnostic = self.too_deep(pos);
            self.parsed.diagnostics.push(diagnostic);
            self.stopped = true;
            return;
        }
        if let Some(tag) = tag {
            let expected = if is_mapping { "map" } else { "seq" };
            if tag.handle != CORE_TAG_PREFIX || tag.suffix != expected {
                self.push(
                    self.at(pos, format!("unsupported tag `{}`", tag_name(tag)))
                        .with_help("remove the tag"),
                );
            }
        }
        if anchor > 0 {
            self.open_anchors.insert(anchor);
        }
        self.frames.push(if is_mapping {
            Frame::Mapping {
                pos,
                anchor,
                entries: Vec::new(),
                pending: Pending::Key,
                seen: HashMap::new(),
            }
        } else {
            Frame::Sequence {
                pos,
                anchor,
                items: Vec::new(),
            }
        });
    }

    fn on_collection_end(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let (node, anchor) = match frame {
            Frame::Sequence { pos, anchor, items } => (
                Node {
                    pos,
                    value: NodeValue::Sequence(items),
                    written: None,
                },
                anchor,
            ),
            Frame::Mapping {
                pos,
                anchor,
                entries,
                ..
            } => {
                // Block mappings are marked where the parser noticed them; the first key is
                // where people see them start.
                let pos = entries.first().map_or(pos, |entry| {
                    if entry.key_pos.offset < pos.offset {
                        entry.key_pos
                    } else {
                        pos
                    }
                });
                (
                    Node {
                        pos,
                        value: NodeValue::Mapping(entries),
                        written: None,
                    },
                    anchor,
                )
            }
        };
        if anchor > 0 {
            self.open_anchors.remove(&anchor);
            self.remember(anchor, &node);
        }
        if self.expects_key() {
            self.reject_key(node.pos);
            return;
        }
        self.deliver(node);
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        let (nodes, bytes, height) = measure(node);
        self.anchors.insert(
            anchor,
            Anchored {
                node: node.clone(),
                nodes,
                bytes,
                height,
            },
        );
    }

    fn set_key(&mut self, key: String, pos: Pos) {
        let file = self.file;
        let Some(Frame::Mapping { pending, seen, .. }) = self.frames.last_mut() else {
            return;
        };
        if let Some(first) = seen.get(&key) {
            let first = first.origin(file);
            *pending = Pending::Value(None);
            let diagnostic = self
                .at(pos, format!("duplicate key `{key}`"))
                .with_label("duplicate key")
                .with_note(format!("`{key}` is first defined at {first}"));
            self.push(diagnostic);
            return;
        }
        seen.insert(key.clone(), pos);
        *pending = Pending::Value(Some((key, pos)));
    }

    fn reject_key(&mut self, pos: Pos) {
        if let Some(Frame::Mapping { pending, .. }) = self.frames.last_mut() {
            *pending = Pending::Value(None);
        }
        self.push(
            self.at(pos, "mapping keys must be strings")
                .with_help("write the key as plain text"),
        );
    }

    /// Hands a completed node to the collection being built, or makes it the document root.
    fn deliver(&mut self, mut node: Node) {
        match self.frames.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping {
                entries, pending, ..
            }) => {
                if let Pending::Value(Some((key, key_pos))) =
                    std::mem::replace(pending, Pending::Key)
                {
                    // `key:` with nothing after it: point at the key, not at the next line.
                    if node.pos.len == 0 && node.is_null() {
                        node.pos = key_pos;
                    }
                    entries.push(Entry {
                        key,
                        key_pos,
                        value: node,
                    });
                }
            }
        }
    }
}

/// (nodes, bytes of scalar text, height) of a subtree; height counts collections.
fn measure(node: &Node) -> (usize, usize, usize) {
    match &node.value {
        NodeValue::Scalar(value) => (1, scalar_bytes(value), 0),
        NodeValue::Sequence(items) => items.iter().fold((1, 0, 1), |(n, b, h), item| {
            let (nodes, bytes, height) = measure(item);
            (n + nodes, b + bytes, h.max(height + 1))
        }),
        NodeValue::Mapping(entries) => entries.iter().fold((1, 0, 1), |(n, b, h), entry| {
            let (nodes, bytes, height) = measure(&entry.value);
            (
                n + nodes + 1,
                b + bytes + entry.key.len(),
                h.max(height + 1),
            )
        }),
    }
}

fn scalar_bytes(value: &Value) -> usize {
    match value {
        Value::String(text) => text.len(),
        _ => 8,
    }
}
