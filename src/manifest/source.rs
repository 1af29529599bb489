//! The positioned loader of the files that hold one mapping (`soarform.yaml`, the simulator's
//! faults file): read the file, parse it with positions ([`super::yaml`]), validate the tree
//! against the file's embedded schema ([`super::schema`], whose instance paths map back to
//! lines and columns), check the rules a schema cannot say, and only then read the typed value
//! with `serde_json::from_value`. Every problem is reported at once, with its position.
//!
//! It knows nothing of what the files mean: the caller phrases schema problems and states its
//! own rules.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::diagnostic::{line_column, sort_by_position, Diagnostic, Origin, Report, Sources};
use super::schema::{self, Problem, SchemaName};
use super::yaml::{self, Node, NodeValue};

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
    read_text(path, max_bytes).map_err(|failure| Report {
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

/// Why a file could not be used as text.
#[derive(Debug)]
pub(crate) struct ReadFailure {
    pub diagnostic: Box<Diagnostic>,
    /// The text to quote for the diagnostic (for a file that is not UTF-8: the valid prefix and
    /// the rest decoded lossily, so that offsets up to the error are exact).
    pub text: Option<String>,
}

/// Reads `path` as UTF-8 text, refusing files over `max_bytes` before reading them (the size is
/// checked from the metadata, then the read itself is bounded, for files that lie about their
/// size such as devices and files still growing).
pub(crate) fn read_text(path: &Path, max_bytes: u64) -> Result<String, ReadFailure> {
    let failure = |diagnostic: Diagnostic| ReadFailure {
        diagnostic: Box::new(diagnostic),
        text: None,
    };
    let cannot_read = |error: io::Error| {
        failure(Diagnostic::new(format!(
            "cannot read `{}`: {error}",
            path.display()
        )))
    };
    let too_large = |size: Option<u64>| {
        let size = size.map_or_else(String::new, |size| format!(" {},", human_size(size)));
        failure(
            Diagnostic::new(format!(
                "`{}` is{size} over the {} limit",
                path.display(),
                human_size(max_bytes)
            ))
            .with_help("soarform files are small: check the path, or split the file"),
        )
    };

    let file = File::open(path).map_err(cannot_read)?;
    let metadata = file.metadata().map_err(cannot_read)?;
    if metadata.is_dir() {
        return Err(failure(Diagnostic::new(format!(
            "`{}` is a directory",
            path.display()
        ))));
    }
    if metadata.len() > max_bytes {
        return Err(too_large(Some(metadata.len())));
    }
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(None));
    }
    String::from_utf8(bytes).map_err(|error| {
        let valid_up_to = error.utf8_error().valid_up_to();
        let bytes = error.into_bytes();
        let bad_byte = bytes.get(valid_up_to).copied().unwrap_or_default();
        // The prefix is valid, so offsets into it are exact; the rest is only for display.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (line, column) = line_column(&text, valid_up_to);
        let origin = Origin {
            file: path.to_path_buf(),
            line,
            column,
            offset: valid_up_to,
            len: 1,
        };
        ReadFailure {
            diagnostic: Box::new(Diagnostic::at(
                origin,
                format!(
                    "`{}` is not valid UTF-8: invalid byte `0x{bad_byte:02x}` at byte offset {valid_up_to}",
                    path.display()
                ),
            )
            .with_label("not UTF-8")
            .with_help("save the file as UTF-8")),
            text: Some(text),
        }
    })
}

/// `8 MiB`, `2.0 GiB`, `512 bytes`.
pub(crate) fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    let whole_or_tenths = |unit: u64, name: &str| {
        if bytes.is_multiple_of(unit) {
            format!("{} {name}", bytes / unit)
        } else {
            format!("{:.1} {name}", bytes as f64 / unit as f64)
        }
    };
    if bytes >= GIB {
        whole_or_tenths(GIB, "GiB")
    } else if bytes >= MIB {
        whole_or_tenths(MIB, "MiB")
    } else if bytes >= KIB {
        whole_or_tenths(KIB, "KiB")
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn refuses_files_over_the_limit_without_reading_them() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("big.yaml");
        let file = File::create(&path)?;
        // Sparse: 2 GiB that take no space and would take a long time to read.
        file.set_len(2 * 1024 * 1024 * 1024)?;
        let Err(failure) = read_text(&path, 8 * 1024 * 1024) else {
            panic!("a 2 GiB file was read");
        };
        let message = &failure.diagnostic.message;
        assert!(
            message.contains("is 2 GiB, over the 8 MiB limit"),
            "{message}"
        );
        Ok(())
    }

    #[test]
    fn reports_the_byte_offset_of_invalid_utf8() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("latin1.yaml");
        fs::write(&path, b"kind: Incident\nkey: caf\xe9\n")?;
        let Err(failure) = read_text(&path, 1024) else {
            panic!("invalid UTF-8 was accepted");
        };
        let diagnostic = failure.diagnostic;
        assert!(
            diagnostic
                .message
                .ends_with("is not valid UTF-8: invalid byte `0xe9` at byte offset 23"),
            "{}",
            diagnostic.message
        );
        let origin = diagnostic
            .origin
            .as_ref()
            .map(|origin| (origin.line, origin.column));
        assert_eq!(origin, Some((2, 9)));
        Ok(())
    }

    #[test]
    fn formats_sizes() {
        assert_eq!(human_size(8 * 1024 * 1024), "8 MiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(12), "12 bytes");
    }
}
