//! The exported tree: a folder per kind and type, a file per key (`incidents/<type>/<key>.yaml`),
//! names made of safe characters only. Names that collide get a hash of their key; names too long
//! for the file system are cut and end with a hash (of the key for files, of the type for
//! folders), so every name depends only on what is exported.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::catalog::Columns;
use crate::client::RemoteObject;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::manifest::emit;
use crate::normalize::{self, Normalized};

use super::model::{Exportable, ExportedFile};

/// The folder of objects whose type field is empty.
pub(crate) const UNTYPED_FOLDER: &str = "untyped";

/// Hex digits of the key's SHA-256 appended to file names that collide; more are used only in the
/// (astronomically unlikely) case that a suffixed name collides again.
const COLLISION_SUFFIX_DIGITS: [usize; 3] = [8, 16, 64];

/// Hex digits of a SHA-256 that end a name cut to fit the file system's limit.
const SHORTENED_SUFFIX_DIGITS: usize = 8;

/// The longest file or folder name export writes.
const NAME_MAX: usize = crate::files::NAME_MAX;

/// The folder of an object: the slug of its incident kind (`incident_kind`) or triage type
/// (`type`), or [`UNTYPED_FOLDER`].
pub(super) fn type_folder(kind: Kind, object: &RemoteObject, columns: &Columns) -> String {
    let field = match kind {
        Kind::Incident => "incident_kind",
        Kind::TriageItem => "type",
    };
    let Some(column) = columns.all().iter().find(|column| column.field == field) else {
        return UNTYPED_FOLDER.to_string();
    };
    let name = match normalize::observed(column, object.fields.get(field)) {
        Normalized::Choice { name, .. } | Normalized::Text(name) => name,
        _ => String::new(),
    };
    folder_name(&name)
}

/// The folder for a type name: its slug, [`UNTYPED_FOLDER`] when that is empty, cut to the file
/// system's limit when too long.
fn folder_name(name: &str) -> String {
    let folder = slug(name);
    if folder.is_empty() {
        UNTYPED_FOLDER.to_string()
    } else if folder.len() > NAME_MAX {
        // Too long for a file system: cut, with a hash of the whole name to keep it apart from
        // other long names that start alike.
        let hash = hex::encode(Sha256::digest(name.as_bytes()));
        shortened(&folder, &hash[..SHORTENED_SUFFIX_DIGITS], "", NAME_MAX)
    } else {
        folder
    }
}

/// `stem` cut so that `stem-suffix` followed by `extension` fits in `limit` bytes, without a
/// `-` or `.` left at the cut.
fn shortened(stem: &str, suffix: &str, extension: &str, limit: usize) -> String {
    let room = limit.saturating_sub(1 + suffix.len() + extension.len());
    let cut = crate::files::truncated(stem, room).trim_end_matches(['-', '.']);
    format!("{cut}-{suffix}{extension}")
}

/// Whether `name` is one export makes: lowercase ASCII letters, digits, `.`, `_` and `-`, not
/// starting with `.` or `-`, at most [`NAME_MAX`] bytes.
fn is_exported_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && !name.starts_with(['.', '-'])
        && name.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'.' | b'_' | b'-')
        })
}

/// A file or folder name for `text`: lowercase ASCII letters, digits, `.`, `_` and `-` kept, every
/// other run of characters (`/` included) one `-`, no `-` or `.` at either end. May be empty.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for character in text.chars() {
        let kept = character.to_ascii_lowercase();
        if kept.is_ascii_lowercase() || kept.is_ascii_digit() || matches!(kept, '.' | '_' | '-') {
            out.push(kept);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
    }
    out.trim_matches(|character| character == '-' || character == '.')
        .to_string()
}

/// The folder of a kind under the output directory.
pub(crate) fn kind_folder(kind: Kind) -> &'static str {
    match kind {
        Kind::Incident => "incidents",
        Kind::TriageItem => "triage",
    }
}

/// Renders the documents and gives each a path; paths that collide (ignoring case) get the first
/// hex digits of their key's SHA-256, so every name depends only on the set of keys.
pub(super) fn assign_paths(mut documents: Vec<Exportable>) -> Result<Vec<ExportedFile>> {
    documents.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.key.cmp(&b.key)));
    let stems: Vec<(String, String)> = documents
        .iter()
        .map(|document| {
            let name = slug(&document.key);
            let name = if name.is_empty() {
                "object".to_string()
            } else {
                name
            };
            (
                format!("{}/{}", kind_folder(document.kind), document.folder),
                name,
            )
        })
        .collect();
    let hashes: Vec<String> = documents
        .iter()
        .map(|document| hex::encode(Sha256::digest(document.key.as_bytes())))
        .collect();
    let mut digits = vec![0usize; documents.len()];
    let name = |index: usize, digits: usize| {
        let (folder, stem) = &stems[index];
        let hash = &hashes[index];
        let file = match digits {
            0 => format!("{stem}.yaml"),
            digits => format!("{stem}-{}.yaml", &hash[..digits.min(hash.len())]),
        };
        // Too long for a file system: cut, and always with a hash of the key, so that keys
        // starting alike keep names of their own.
        let file = if file.len() > NAME_MAX {
            let digits = digits.max(SHORTENED_SUFFIX_DIGITS).min(hash.len());
            shortened(stem, &hash[..digits], ".yaml", NAME_MAX)
        } else {
            file
        };
        format!("{folder}/{file}")
    };
    for round in 0..=COLLISION_SUFFIX_DIGITS.len() {
        let names: Vec<String> = (0..documents.len())
            .map(|index| name(index, digits[index]))
            .collect();
        let mut counts: HashMap<String, usize> = HashMap::new();
        for name in &names {
            *counts.entry(name.to_lowercase()).or_default() += 1;
        }
        let colliding: Vec<usize> = (0..names.len())
            .filter(|index| {
                counts
                    .get(&names[*index].to_lowercase())
                    .is_some_and(|count| *count > 1)
            })
            .collect();
        if colliding.is_empty() {
            if let Some(name) = names
                .iter()
                .find(|name| !name.split('/').all(is_exported_name))
            {
                return Err(Error::message(format!(
                    "cannot export to the file name `{name}`: it has characters or a length that file systems refuse (a bug in soarform; please report it)"
                )));
            }
            return Ok(documents
                .into_iter()
                .zip(names)
                .map(|(document, name)| ExportedFile {
                    text: emit::document(&document.document),
                    kind: document.kind,
                    key: document.key,
                    remote_id: document.remote_id,
                    path: PathBuf::from(name),
                })
                .collect());
        }
        let Some(more) = COLLISION_SUFFIX_DIGITS.get(round) else {
            break;
        };
        for index in colliding {
            digits[index] = *more;
        }
    }
    Err(Error::message(
        "cannot give every exported object its own file name (two keys hash alike)",
    ))
}

/// Where a file goes: `relative` under `out`, shown as the user wrote `out` (no `./` for `.`).
pub(crate) fn output_path(out: &Path, relative: &Path) -> PathBuf {
    if out == Path::new(".") || out.as_os_str().is_empty() {
        relative.to_path_buf()
    } else {
        out.join(relative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::emit::CanonicalDocument;
    use crate::manifest::MAX_KEY_LENGTH;

    #[test]
    fn slugs_keep_safe_characters_and_fold_the_rest() {
        assert_eq!(slug("phishing/ceo-wire-fraud"), "phishing-ceo-wire-fraud");
        assert_eq!(slug("Suspicious login"), "suspicious-login");
        assert_eq!(slug("A/B__c.d"), "a-b__c.d");
        assert_eq!(slug("  Data  (exfil) / USB  "), "data-exfil-usb");
        assert_eq!(slug("ünïcödé"), "n-c-d");
        assert_eq!(slug("-./x/.-"), "x");
        assert_eq!(slug("..."), "");
        assert_eq!(slug("a--b"), "a--b");
    }

    fn exportable(kind: Kind, key: &str, folder: &str) -> Exportable {
        Exportable {
            kind,
            key: key.into(),
            remote_id: 1,
            folder: folder.into(),
            document: CanonicalDocument {
                kind: kind.document_name().into(),
                key: key.into(),
                template: None,
                extends: None,
                ignore_changes: Vec::new(),
                fields: Vec::new(),
            },
        }
    }

    fn paths(documents: Vec<Exportable>) -> Vec<String> {
        assign_paths(documents)
            .unwrap()
            .into_iter()
            .map(|file| file.path.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn colliding_names_all_get_a_hash_of_their_key() {
        let hash = |key: &str| hex::encode(Sha256::digest(key.as_bytes()))[..8].to_string();
        let found = paths(vec![
            exportable(Kind::TriageItem, "a/b", "untyped"),
            exportable(Kind::Incident, "a-b", "phishing"),
            exportable(Kind::Incident, "A/b", "phishing"),
            exportable(Kind::Incident, "c", "phishing"),
            exportable(Kind::Incident, "a/b", "malware"),
        ]);
        assert_eq!(
            found,
            vec![
                format!("incidents/phishing/a-b-{}.yaml", hash("A/b")),
                format!("incidents/phishing/a-b-{}.yaml", hash("a-b")),
                "incidents/malware/a-b.yaml".to_string(),
                "incidents/phishing/c.yaml".to_string(),
                "triage/untyped/a-b.yaml".to_string(),
            ]
        );
        // The order the objects come in does not matter.
        let reversed = paths(vec![
            exportable(Kind::Incident, "a/b", "malware"),
            exportable(Kind::Incident, "c", "phishing"),
            exportable(Kind::Incident, "A/b", "phishing"),
            exportable(Kind::Incident, "a-b", "phishing"),
            exportable(Kind::TriageItem, "a/b", "untyped"),
        ]);
        assert_eq!(found, reversed);
    }

    #[test]
    fn a_suffixed_name_colliding_again_gets_a_longer_suffix() {
        let hash = |key: &str| hex::encode(Sha256::digest(key.as_bytes()));
        let natural = format!("x-y-{}", &hash("x/y")[..8]);
        let found = paths(vec![
            exportable(Kind::Incident, "x/y", "t"),
            exportable(Kind::Incident, "x-y", "t"),
            exportable(Kind::Incident, &natural, "t"),
        ]);
        let unique: std::collections::BTreeSet<&String> = found.iter().collect();
        assert_eq!(unique.len(), 3, "{found:?}");
        assert!(found.contains(&format!("incidents/t/x-y-{}.yaml", &hash("x/y")[..16])));
    }

    #[test]
    fn names_too_long_for_a_file_system_are_cut_with_a_hash() {
        let hash = |text: &str| hex::encode(Sha256::digest(text.as_bytes()));
        assert_eq!(folder_name("Suspicious login"), "suspicious-login");
        assert_eq!(folder_name("???"), UNTYPED_FOLDER);
        let long = format!("{} type", "Very long ".repeat(40));
        let folder = folder_name(&long);
        assert_eq!(folder.len(), NAME_MAX, "{folder}");
        assert!(folder.starts_with("very-long-very-long"), "{folder}");
        assert!(
            folder.ends_with(&format!("-{}", &hash(&long)[..8])),
            "{folder}"
        );
        assert!(is_exported_name(&folder));
        // Another long name starting alike gets a folder of its own; the same name, the same one.
        assert_ne!(folder_name(&format!("{long}!")), folder);
        assert_eq!(folder_name(&long), folder);
        // No `-` or `.` is left at the cut.
        assert_eq!(shortened("ab-.cd", "f00d", ".yaml", 13), "ab-f00d.yaml");
        assert_eq!(shortened("abcdef", "f00d", ".yaml", 12), "ab-f00d.yaml");
    }

    #[test]
    fn file_names_stay_within_the_file_system_limit() {
        // The longest keys, colliding: suffixed, and still short enough.
        let upper = "A".repeat(MAX_KEY_LENGTH);
        let lower = "a".repeat(MAX_KEY_LENGTH);
        let found = paths(vec![
            exportable(Kind::Incident, &upper, "t"),
            exportable(Kind::Incident, &lower, "t"),
        ]);
        for path in &found {
            let name = Path::new(path).file_name().unwrap().to_string_lossy();
            assert!(name.len() <= NAME_MAX, "{name}");
            assert!(is_exported_name(&name), "{name}");
        }
        assert_ne!(found[0], found[1]);
        // What the last collision round would make of them: cut, with the whole hash.
        let hash = hex::encode(Sha256::digest(upper.as_bytes()));
        let name = shortened(&lower, &hash, ".yaml", NAME_MAX);
        assert_eq!(name.len(), NAME_MAX);
        assert!(name.ends_with(&format!("-{hash}.yaml")));
    }

    #[test]
    fn only_plain_names_are_written() {
        for name in ["a.yaml", "phishing", "a_b-c.d"] {
            assert!(is_exported_name(name), "{name}");
        }
        let long = "a".repeat(NAME_MAX + 1);
        for name in [
            "", ".", "..", ".hidden", "-x", "A.yaml", "a b", "a\\b", &long,
        ] {
            assert!(!is_exported_name(name), "{name}");
        }
    }

    #[test]
    fn output_paths_keep_the_directory_as_given() {
        assert_eq!(
            output_path(Path::new("."), Path::new("incidents/x/a.yaml")),
            PathBuf::from("incidents/x/a.yaml")
        );
        assert_eq!(
            output_path(Path::new("out"), Path::new("incidents/x/a.yaml")),
            PathBuf::from("out/incidents/x/a.yaml")
        );
    }
}
