//! YAML text -> a tree of nodes that remember where they were written.
//!
//! Built from yaml-rust2's marked event stream, pulled one event at a time with an explicit
//! stack, so that nesting, alias expansion and memory are bounded before any tree is built:
//! the tree is never deeper than [`MAX_DEPTH`], and aliases never add more than
//! [`MAX_ALIAS_NODES`] nodes or [`MAX_ALIAS_BYTES`] bytes of text to a file.
//! Scalars are resolved with the YAML 1.2 core schema (no `yes`/`no` booleans, no timestamps).

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::diagnostic::{Diagnostic, Origin};

/// Deepest nesting of mappings and sequences accepted (desired-state documents need 2).
pub(crate) const MAX_DEPTH: usize = 64;
/// Most nodes that alias expansion may add to one file.
pub(crate) const MAX_ALIAS_NODES: usize = 100_000;
/// Most bytes of scalar text that alias expansion may add to one file.
pub(crate) const MAX_ALIAS_BYTES: usize = 32 * 1024 * 1024;

const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// A span in a file's text, with its line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub offset: usize,
    pub len: usize,
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub fn origin(&self, file: &Path) -> Origin {
        Origin {
            file: file.to_path_buf(),
            line: self.line,
            column: self.column,
            offset: self.offset,
            len: self.len,
        }
    }
}

/// A YAML node and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub pos: Pos,
    pub value: NodeValue,
    /// The text of a scalar that YAML read as something other than a string (`0042`, `0x1F`,
    /// `1.50`, `True`, `~`), as written: what messages quote and what `fmt` keeps. `None` for
    /// strings and collections.
    pub written: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeValue {
    /// A resolved scalar: null, bool, number or string.
    Scalar(Value),
    Sequence(Vec<Node>),
    Mapping(Vec<Entry>),
}

/// One `key: value` pair of a mapping; keys are unique within a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Node {
    /// The entry for `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            NodeValue::Mapping(entries) => entries.iter().find(|entry| entry.key == key),
            _ => None,
        }
    }

    /// The scalar string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar(Value::String(text)) => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, NodeValue::Scalar(Value::Null))
    }

    /// `a mapping`, `a list`, `a string`, ...: what this node is, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            NodeValue::Mapping(_) => "a mapping",
            NodeValue::Sequence(_) => "a list",
            NodeValue::Scalar(value) => json_type_name(value),
        }
    }

    /// The same data as JSON, for schema validation.
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Scalar(value) => value.clone(),
            NodeValue::Sequence(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Mapping(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for entry in entries {
                    map.insert(entry.key.clone(), entry.value.to_json());
                }
                Value::Object(map)
            }
        }
    }

    /// The node at a JSON-pointer-like path (property names and indices), with the position of
    /// the key that holds it when its parent is a mapping.
    pub fn find<'a>(&'a self, path: &[String]) -> Option<(&'a Node, Option<Pos>)> {
        let mut node = self;
        let mut key_pos = None;
        for segment in path {
            match &node.value {
                NodeValue::Mapping(entries) => {
                    let entry = entries.iter().find(|entry| entry.key == *segment)?;
                    key_pos = Some(entry.key_pos);
                    node = &entry.value;
                }
                NodeValue::Sequence(items) => {
                    node = items.get(segment.parse::<usize>().ok()?)?;
                    key_pos = None;
                }
                NodeValue::Scalar(_) => return None,
            }
        }
        Some((node, key_pos))
    }
}

/// `a string`, `a number`, ... for a JSON value.
pub(crate) fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// One YAML document of a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    /// Where the document starts (the `---` when there is one).
    pub start: Pos,
    pub root: Node,
}

/// The documents of a file that parsed completely, and every problem met.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses every document of `text`. A syntax error ends the file (the documents before it are
/// kept); so do the nesting and alias limits. Never panics on any input.
pub(crate) fn parse(file: &Path, text: &str) -> Parsed {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut builder = Builder::new(file, text);
        builder.run();
        builder.parsed
    }));
    outcome.unwrap_or_else(|_| Parsed {
        documents: Vec::new(),
        diagnostics: vec![Diagnostic::new(format!(
            "cannot parse `{}`: the YAML parser failed on this file",
            file.display()
        ))
        .with_help("this is a bug in soarform; please report it with the file")],
    })
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

struct Builder<'t> {
    file: &'t Path,
    /// The text given to the parser (without a byte-order mark).
    text: &'t str,
    /// Length of the byte-order mark removed from the start, added back to every offset.
    bom: usize,
    chars: CharIndex,
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
        let (text, bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest, '\u{feff}'.len_utf8()),
            None => (text, 0),
        };
        Builder {
            file,
            text,
            bom,
            chars: CharIndex::new(text),
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
        let mut parser = Parser::new_from_str(self.text);
        while !self.stopped {
            match parser.next_token() {
                Ok((Event::StreamEnd, _)) => break,
                Ok((event, marker)) => self.on_event(event, marker),
                Err(error) => {
                    let pos = self.content_pos(self.pos(*error.marker(), 1));
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

    /// Byte offset of a marker in the original text.
    fn offset(&self, marker: Marker) -> usize {
        self.chars.byte(self.text, marker.index())
    }

    fn pos(&self, marker: Marker, len: usize) -> Pos {
        let offset = self.offset(marker);
        let len = len.min(self.text.len().saturating_sub(offset));
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
    fn content_pos(&self, pos: Pos) -> Pos {
        let relative = pos.offset - self.bom;
        if self
            .text
            .get(relative..)
            .is_some_and(|rest| !rest.trim().is_empty())
        {
            return pos;
        }
        let content = self.text.get(..relative).unwrap_or(self.text).trim_end();
        if content.is_empty() {
            return pos;
        }
        let (line, column) = super::diagnostic::line_column(self.text, content.len());
        Pos {
            offset: self.bom + content.len(),
            len: 0,
            line,
            column: column + usize::from(self.bom > 0 && line == 1),
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
                let offset = self.offset(marker);
                let explicit = self.text[offset..].starts_with("---");
                self.document_start = Some(self.pos(marker, if explicit { 3 } else { 0 }));
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
        let offset = self.offset(marker);
        let len = scalar_len(&self.text[offset..], &text, style);
        let pos = self.pos(marker, len);
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
        let (value, written) = match self.resolve_scalar(&text, style, tag) {
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

    fn resolve_scalar(
        &self,
        text: &str,
        style: TScalarStyle,
        tag: Option<&Tag>,
    ) -> Result<Value, (String, String)> {
        let unsupported = |tag: &Tag| {
            (
                format!("unsupported tag `{}`", tag_name(tag)),
                "remove the tag (quote the value to make it a string)".to_string(),
            )
        };
        let Some(tag) = tag else {
            return if style == TScalarStyle::Plain {
                resolve_plain(text)
            } else {
                Ok(Value::String(text.to_string()))
            };
        };
        if tag.handle == "!" && tag.suffix.is_empty() {
            return Ok(Value::String(text.to_string()));
        }
        if tag.handle != CORE_TAG_PREFIX {
            return Err(unsupported(tag));
        }
        let resolved = resolve_plain(text);
        let wrong = |expected: &str| {
            (
                format!("`{text}` is not {expected} (tagged `{}`)", tag_name(tag)),
                "fix the value or remove the tag".to_string(),
            )
        };
        match tag.suffix.as_str() {
            "str" => Ok(Value::String(text.to_string())),
            "null" => match resolved {
                Ok(Value::Null) => Ok(Value::Null),
                _ => Err(wrong("null")),
            },
            "bool" => match resolved {
                Ok(Value::Bool(flag)) => Ok(Value::Bool(flag)),
                _ => Err(wrong("a boolean")),
            },
            "int" => match resolved {
                Ok(Value::Number(number)) if !number.is_f64() => Ok(Value::Number(number)),
                _ => Err(wrong("an integer")),
            },
            "float" => match resolved {
                Ok(Value::Number(number)) => Ok(Value::Number(number)),
                Err(error) => Err(error),
                _ => Err(wrong("a number")),
            },
            _ => Err(unsupported(tag)),
        }
    }

    fn on_alias(&mut self, anchor: usize, marker: Marker) {
        let offset = self.offset(marker);
        let len = alias_len(&self.text[offset..]);
        let pos = self.pos(marker, len);
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
        let offset = self.offset(marker);
        let pos = self.pos(marker, line_len(&self.text[offset..]));
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

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

fn tag_name(tag: &Tag) -> String {
    if tag.handle == CORE_TAG_PREFIX {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

/// Bytes from `rest` to the end of its line.
fn line_len(rest: &str) -> usize {
    let line = rest.split('\n').next().unwrap_or_default();
    line.trim_end_matches('\r').len()
}

/// Bytes of an alias (`*name`) at the start of `rest`.
fn alias_len(rest: &str) -> usize {
    rest.char_indices()
        .skip(1)
        .find(|(_, character)| character.is_whitespace() || ",[]{}".contains(*character))
        .map_or(rest.len(), |(index, _)| index)
}

/// Bytes the scalar `value` takes in the text starting at `rest`: exact for single-line plain
/// and quoted scalars, the rest of the first line otherwise.
fn scalar_len(rest: &str, value: &str, style: TScalarStyle) -> usize {
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

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(text: &str) -> Result<Value, (String, String)> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let unsigned = text.trim_start_matches(['-', '+']);
    if unsigned.len() + 1 >= text.len()
        && matches!(
            unsigned,
            ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
        )
    {
        return Err((
            format!("`{text}` is not a finite number"),
            "quote it to make it a string".to_string(),
        ));
    }
    // A number too large for a double (or, in hexadecimal or octal, for 64 bits) is refused like
    // `.inf` rather than read as the string it looks like.
    let out_of_range = || {
        Err((
            format!("`{text}` is out of range for a number"),
            "quote it to make it a string".to_string(),
        ))
    };
    if let Some(digits) = text.strip_prefix("0o") {
        if !digits.is_empty() && digits.bytes().all(|byte| (b'0'..=b'7').contains(&byte)) {
            return match u64::from_str_radix(digits, 8) {
                Ok(number) => Ok(Value::Number(number.into())),
                Err(_) => out_of_range(),
            };
        }
    }
    if let Some(digits) = text.strip_prefix("0x") {
        if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return match u64::from_str_radix(digits, 16) {
                Ok(number) => Ok(Value::Number(number.into())),
                Err(_) => out_of_range(),
            };
        }
    }
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-' | b'+') => (&text[..1], &text[1..]),
        _ => ("", text),
    };
    if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
        if let Ok(number) = text.parse::<i64>() {
            return Ok(Value::Number(number.into()));
        }
        if sign != "-" {
            if let Ok(number) = digits.parse::<u64>() {
                return Ok(Value::Number(number.into()));
            }
        }
    }
    if is_core_float(digits) {
        return match text.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(number) => Ok(Value::Number(number)),
            None => out_of_range(),
        };
    }
    Ok(Value::String(text.to_string()))
}

/// `( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`, without the sign.
fn is_core_float(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits_from = |mut index: usize| {
        let start = index;
        while index < bytes.len() && bytes[index].is_ascii_digit() {
            index += 1;
        }
        (index, index - start)
    };
    let (mut index, integer_digits) = digits_from(0);
    let mut fraction_digits = 0;
    if bytes.get(index) == Some(&b'.') {
        (index, fraction_digits) = digits_from(index + 1);
    }
    if integer_digits == 0 && fraction_digits == 0 {
        return false;
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'-' | b'+')) {
            index += 1;
        }
        let exponent_digits;
        (index, exponent_digits) = digits_from(index);
        if exponent_digits == 0 {
            return false;
        }
    }
    index == bytes.len()
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
    fn resolves_core_schema_scalars() {
        let cases = [
            ("12", json!(12)),
            ("-7", json!(-7)),
            ("0x1f", json!(31)),
            ("0o17", json!(15)),
            ("1e3", json!(1000.0)),
            (".5", json!(0.5)),
            ("yes", json!("yes")),
            ("1_000", json!("1_000")),
            ("2026-11-20", json!("2026-11-20")),
            ("18446744073709551615", json!(18446744073709551615u64)),
            ("Null", json!(null)),
        ];
        for (text, expected) in cases {
            assert_eq!(resolve_plain(text).ok(), Some(expected), "{text}");
        }
        assert!(resolve_plain(".inf").is_err());
        for out_of_range in [
            "1e400",
            "-1e400",
            "0x10000000000000000",
            "0o2000000000000000000000",
        ] {
            let (message, _) = resolve_plain(out_of_range).expect_err(out_of_range);
            assert_eq!(
                message,
                format!("`{out_of_range}` is out of range for a number")
            );
        }
        // Integers beyond 64 bits are doubles here; documents refuse the digits they lose.
        assert_eq!(
            resolve_plain("123456789012345678901234567890").ok(),
            Some(json!(1.2345678901234568e29))
        );
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
