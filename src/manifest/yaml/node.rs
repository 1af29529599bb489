//! The tree a YAML text becomes: nodes ([`Node`], [`NodeValue`], [`Entry`]) that remember where
//! they were written ([`Pos`]), and the [`Document`]s of a file.

use std::path::Path;

use serde_json::{Map, Value};

use crate::manifest::diagnostic::Origin;

/// A span in a file's text, with its line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub offset: usize,
    pub len: usize,
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub(crate) fn origin(&self, file: &Path) -> Origin {
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
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            NodeValue::Mapping(entries) => entries.iter().find(|entry| entry.key == key),
            _ => None,
        }
    }

    /// The scalar string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar(Value::String(text)) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.value, NodeValue::Scalar(Value::Null))
    }

    /// `a mapping`, `a list`, `a string`, ...: what this node is, for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match &self.value {
            NodeValue::Mapping(_) => "a mapping",
            NodeValue::Sequence(_) => "a list",
            NodeValue::Scalar(value) => json_type_name(value),
        }
    }

    /// The same data as JSON, for schema validation.
    pub(crate) fn to_json(&self) -> Value {
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
    pub(crate) fn find<'a>(&'a self, path: &[String]) -> Option<(&'a Node, Option<Pos>)> {
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
