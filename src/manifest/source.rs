//! The positioned loader of the files that hold one mapping (`soarform.yaml`, the simulator's
//! faults file): read the file, parse it with positions ([`super::yaml`]), validate the tree
//! against the file's embedded schema ([`super::schema`], whose instance paths map back to
//! lines and columns), check the rules a schema cannot say, and only then read the typed value
//! with `serde_json::from_value`. Every problem is reported at once, with its position.
//!
//! It knows nothing of what the files mean: the caller phrases schema problems and states its
//! own rules.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::diagnostic::{Diagnostic, Report, Sources};
use super::schema::{self, Problem, SchemaName};
use super::yaml::{self, Node, NodeValue};
use super::{sort_by_position, walk};

/// What a one-mapping file is and how messages about its shape read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MappingFile {
    /// The embedded schema its mapping must match.
    pub schema: SchemaName,
    /// Larger files are refused without being read.
    pub max_bytes: u64,
    /// How the file is named at the start of a sentence (`` `soarform.yaml` ``, `a faults file`).
    pub name: &'static str,
    /// The message when a second YAML document follows the first.
    pub second_document: &'static str,
    /// The help under that message, if any.
    pub second_document_help: Option<&'static str>,
    /// The label under a root that is not a mapping (`expected keys such as ...`).
    pub expected_keys: &'static str,
}

/// A file read with positions, and its typed value.
#[derive(Debug)]
pub(crate) struct Loaded<T> {
    /// The typed value (its `Default` for an empty file).
    pub value: T,
    /// The mapping as parsed, for the positions of what it holds (`None` for an empty file).
    pub root: Option<Node>,
    /// The file's text, to quote in later diagnostics.
    pub text: String,
}

/// Reads the file at `path` as one mapping of type `T`. `phrase` turns a schema problem into the
/// diagnostic the user sees; `rules` adds the problems a schema cannot express (it sees the
/// mapping even when the schema found problems, so that every problem is reported at once).
pub(crate) fn load_mapping<T: DeserializeOwned + Default>(
    path: &Path,
    file: &MappingFile,
    phrase: &dyn Fn(&Node, &Problem) -> Diagnostic,
    rules: &dyn Fn(&Node, &mut Vec<Diagnostic>),
) -> Result<Loaded<T>, Report> {
    let text = read(path, file.max_bytes)?;
    let parsed = yaml::parse(path, &text);
    let mut diagnostics = parsed.diagnostics;
    if let Some(extra) = parsed.documents.get(1) {
        let mut diagnostic = Diagnostic::at(extra.start.origin(path), file.second_document)
            .with_label("second document");
        if let Some(help) = file.second_document_help {
            diagnostic = diagnostic.with_help(help);
        }
        diagnostics.push(diagnostic);
    }
    let root = parsed
        .documents
        .into_iter()
        .next()
        .map(|document| document.root);
    let mut value = None;
    match root.as_ref().map(|root| (root, &root.value)) {
        Some((root, NodeValue::Mapping(_))) => {
            let before = diagnostics.len();
            let instance = root.to_json();
            for problem in schema::validate(file.schema, &instance) {
                diagnostics.push(phrase(root, &problem));
            }
            rules(root, &mut diagnostics);
            if diagnostics.len() == before {
                match serde_json::from_value::<T>(instance) {
                    Ok(typed) => value = Some(typed),
                    // The schema is generated from `T`, so this is a value it cannot tell
                    // (a number beyond the type's range, say).
                    Err(error) => diagnostics.push(
                        Diagnostic::at(
                            root.pos.origin(path),
                            format!("{} cannot be read: {error}", file.name),
                        )
                        .with_label("in this mapping"),
                    ),
                }
            }
        }
        // An empty document sets nothing.
        Some((_, NodeValue::Scalar(Value::Null))) | None => {}
        Some((root, _)) => diagnostics.push(
            Diagnostic::at(
                root.pos.origin(path),
                format!(
                    "{} must be a mapping, found {}",
                    file.name,
                    root.type_name()
                ),
            )
            .with_label(file.expected_keys),
        ),
    }
    if diagnostics.is_empty() {
        return Ok(Loaded {
            value: value.unwrap_or_default(),
            root,
            text,
        });
    }
    sort_by_position(&mut diagnostics, &[path.to_path_buf()]);
    Err(Report {
        diagnostics,
        sources: sources(path, text),
    })
}

/// Reads a file as UTF-8 within `max_bytes`, or reports why not.
pub(crate) fn read(path: &Path, max_bytes: u64) -> Result<String, Report> {
    walk::read_text(path, max_bytes).map_err(|failure| Report {
        diagnostics: vec![*failure.diagnostic],
        sources: failure
            .text
            .map(|text| sources(path, text))
            .unwrap_or_default(),
    })
}

/// The sources of one file.
fn sources(path: &Path, text: String) -> Sources {
    let mut sources = Sources::default();
    sources.insert(PathBuf::from(path), text);
    sources
}
