//! Finding the desired-state files under the paths given, and reading them within limits.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use super::diagnostic::{line_column, Diagnostic, Origin};

/// The files to read, in a deterministic order, and the problems met finding them.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub files: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Expands `paths` into files: a file is taken whatever its extension; a directory is walked
/// recursively, sorted by name, for `*.yaml` / `*.yml`, skipping hidden entries and the
/// excluded file names. A file reached twice is listed once.
pub(crate) fn find_files(paths: &[PathBuf], exclude_file_names: &[String]) -> Found {
    let mut found = Found::default();
    let mut seen = HashSet::new();
    let mut add = |path: PathBuf, found: &mut Found| {
        let identity = path.canonicalize().unwrap_or_else(|_| path.clone());
        if seen.insert(identity) {
            found.files.push(path);
        }
    };

    for given in paths {
        let given = tidy(given);
        let metadata = match std::fs::metadata(&given) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                found.diagnostics.push(
                    Diagnostic::new(format!("path `{}` does not exist", given.display()))
                        .with_help("pass a desired-state file or a directory of them"),
                );
                continue;
            }
            Err(error) => {
                found.diagnostics.push(Diagnostic::new(format!(
                    "cannot read `{}`: {error}",
                    given.display()
                )));
                continue;
            }
        };
        if !metadata.is_dir() {
            add(given, &mut found);
            continue;
        }
        let walker = walkdir::WalkDir::new(&given)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let place = error
                        .path()
                        .map_or_else(|| given.display().to_string(), |p| p.display().to_string());
                    let reason = error
                        .io_error()
                        .map_or_else(|| error.to_string(), ToString::to_string);
                    found
                        .diagnostics
                        .push(Diagnostic::new(format!("cannot read `{place}`: {reason}")));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if exclude_file_names.iter().any(|excluded| *excluded == name) {
                continue;
            }
            if has_yaml_extension(entry.path()) {
                add(tidy(entry.path()), &mut found);
            }
        }
    }
    found
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn has_yaml_extension(path: &Path) -> bool {
    path.extension()
        .map(|extension| extension.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|extension| extension == "yaml" || extension == "yml")
}

/// `./a/b.yaml` -> `a/b.yaml`, so that messages show the path the way people type it.
fn tidy(path: &Path) -> PathBuf {
    let mut components = path.components().peekable();
    while components.peek() == Some(&Component::CurDir) {
        components.next();
    }
    let tidied: PathBuf = components.collect();
    if tidied.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        tidied
    }
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
        if bytes % unit == 0 {
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

    fn names(found: &Found, root: &Path) -> Vec<String> {
        found
            .files
            .iter()
            .map(|file| {
                file.strip_prefix(root)
                    .unwrap_or(file)
                    .display()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn walks_sorted_skipping_hidden_and_excluded() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for file in [
            "b.yaml",
            "a.yml",
            "z/c.YAML",
            "notes.txt",
            "soarform.yaml",
            ".hidden.yaml",
            ".git/x.yaml",
            ".github/workflows/ci.yml",
            "m/.soarform/plan.yaml",
        ] {
            let path = root.join(file);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, "kind: Template\n")?;
        }
        let found = find_files(
            &[root.to_path_buf()],
            &["soarform.yaml".to_string(), "soarform.yml".to_string()],
        );
        assert!(found.diagnostics.is_empty());
        assert_eq!(names(&found, root), ["a.yml", "b.yaml", "z/c.YAML"]);
        Ok(())
    }

    #[test]
    fn explicit_files_are_read_whatever_their_extension_and_listed_once() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("incident.txt");
        fs::write(&file, "kind: Template\n")?;
        let found = find_files(&[file.clone(), file.clone()], &[]);
        assert_eq!(found.files, [file]);
        Ok(())
    }

    #[test]
    fn missing_path_is_an_error() {
        let found = find_files(&[PathBuf::from("./does/not/exist")], &[]);
        assert!(found.files.is_empty());
        assert_eq!(found.diagnostics.len(), 1);
        assert_eq!(
            found.diagnostics[0].message,
            "path `does/not/exist` does not exist"
        );
    }

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
