//! Desired-state documents: loading, validation, `extends`.
//!
//! [`load`] reads every file under the paths given, parses each with positions ([`yaml`]),
//! validates each document against the embedded schema ([`schema`]) and soarform's own rules
//! ([`document`]), resolves `extends` ([`extends`]) and returns the desired objects, or a
//! [`Report`] of every problem in every file.

pub mod diagnostic;
mod document;
mod document_file;
pub mod emit;
mod extends;
pub mod format;
pub(crate) mod schema;
pub(crate) mod source;
pub mod value;
mod walk;
pub(crate) mod yaml;

use std::fmt;
use std::path::PathBuf;

use serde_json::Value;

use crate::kind::Kind;

pub use diagnostic::{Diagnostic, Origin, Report, Sources};
#[cfg(test)]
pub(crate) use document_file::DocumentFile;
pub use schema::{DOCUMENT_SCHEMA, PROJECT_SCHEMA, SIM_OPTIONS_SCHEMA};
pub(crate) use walk::{exclude_glob, find_files};
pub use walk::{Exclusions, InvalidPattern};

/// Pattern every object key and template name matches (see the contract).
pub const KEY_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._/-]*$";
/// Longest key accepted, in characters.
pub const MAX_KEY_LENGTH: usize = 200;

/// Whether a key can be written in a document: what the `key` pattern of the document schema
/// ([`KEY_PATTERN`]) accepts, at most [`MAX_KEY_LENGTH`] characters.
pub fn is_valid_key(key: &str) -> bool {
    let mut characters = key.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphanumeric())
        && characters.all(|character| {
            character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '/' | '-')
        })
        && key.chars().count() <= MAX_KEY_LENGTH
}

/// The desired state: every object the files describe, and the files' texts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    /// Incidents and triage items in file order, then document order (never `Template`s).
    pub objects: Vec<DesiredObject>,
    /// The text of every file read, to quote in later diagnostics.
    pub sources: Sources,
}

/// One incident or triage item the repository wants to exist.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredObject {
    pub kind: Kind,
    /// Identity inside the repository, unique per kind.
    pub key: String,
    /// Where `key:`'s value was written.
    pub key_origin: Origin,
    /// The incident template (incidents only; always present for them), possibly inherited
    /// through `extends`; the origin is where it was written.
    pub template: Option<(TemplateRef, Origin)>,
    /// Fields after `extends`: inherited ones first (in the base's order), then this document's
    /// own; a field set again keeps its first place; `null` removed a field and never appears.
    pub fields: Vec<DesiredField>,
    /// Fields the SOC owns after creation (`ignore_changes:`): sent on create, never compared
    /// afterwards. Inherited ones first (in `extends` order), then this document's own; a name
    /// listed again keeps its first entry. Names are as written, not yet resolved against the
    /// catalog; `soarform.yaml`'s own `ignore_changes` are not included.
    pub ignore_changes: Vec<NamedField>,
}

/// A field name written somewhere (in a document or in `soarform.yaml`), with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedField {
    /// An API name (`status`, `opt_3`) or a label (`Business unit`), as written.
    pub name: String,
    /// Where it was written.
    pub origin: Origin,
}

/// An incident template, as the YAML names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TemplateRef {
    /// `template: Phishing`
    Name(String),
    /// `template: 1`
    Id(u64),
}

impl fmt::Display for TemplateRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateRef::Name(name) => f.write_str(name),
            TemplateRef::Id(id) => write!(f, "{id}"),
        }
    }
}

/// One field value of a desired object.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredField {
    /// The name as written: an API name (`status`, `opt_3`) or a label (`Business unit`).
    pub name: String,
    /// A string, number or boolean (never null, never a list or mapping).
    pub value: Value,
    /// The value's text as written when YAML read it as a number or a boolean (`0042`, `0x1F`,
    /// `1.50`, `True`): what a refusal quotes, and what a number is checked against to be sent
    /// exactly. `None` for strings.
    pub written: Option<String>,
    /// Where the value was written (in the `Template` document when inherited).
    pub origin: Origin,
    /// Where the field's name was written.
    pub name_origin: Origin,
}

/// Limits and exclusions for [`load`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Files larger than this are refused without being read (default 8 MiB).
    pub max_file_bytes: u64,
    /// File names skipped while walking directories (default `soarform.yaml`, `soarform.yml`).
    pub exclude_file_names: Vec<String>,
    /// Files and directories skipped while walking directories (`exclude:` in `soarform.yaml`;
    /// default none). Paths given to [`load`] are read whether they match or not.
    pub exclude: Exclusions,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_file_bytes: 8 * 1024 * 1024,
            exclude_file_names: vec!["soarform.yaml".to_string(), "soarform.yml".to_string()],
            exclude: Exclusions::none(),
        }
    }
}

/// Loads the desired state from `paths` (files or directories; none means the current
/// directory), reporting every problem in every file at once.
pub fn load(paths: &[PathBuf], options: &LoadOptions) -> Result<Manifest, Report> {
    let default_paths = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default_paths[..]
    } else {
        paths
    };
    let found = walk::find_files(paths, &options.exclude_file_names, &options.exclude);
    let mut diagnostics = found.diagnostics;
    let mut sources = Sources::default();
    let mut declarations = Vec::new();
    for file in &found.files {
        match walk::read_text(file, options.max_file_bytes) {
            Ok(text) => {
                let parsed = yaml::parse(file, &text);
                diagnostics.extend(parsed.diagnostics);
                for parsed_document in &parsed.documents {
                    if let Some(declaration) =
                        document::interpret(file, parsed_document, &mut diagnostics)
                    {
                        declarations.push(declaration);
                    }
                }
                sources.insert(file.clone(), text);
            }
            Err(failure) => {
                diagnostics.push(*failure.diagnostic);
                if let Some(text) = failure.text {
                    sources.insert(file.clone(), text);
                }
            }
        }
    }
    let objects = extends::resolve(declarations, &mut diagnostics);
    if diagnostics.is_empty() {
        Ok(Manifest { objects, sources })
    } else {
        sort_by_position(&mut diagnostics, &found.files);
        Err(Report {
            diagnostics,
            sources,
        })
    }
}

/// Problems without a file first, then by file (in load order) and offset.
pub(crate) fn sort_by_position(diagnostics: &mut [Diagnostic], files: &[PathBuf]) {
    diagnostics.sort_by_key(|diagnostic| match &diagnostic.origin {
        None => (0, 0, 0),
        Some(origin) => (
            1,
            files
                .iter()
                .position(|file| *file == origin.file)
                .unwrap_or(usize::MAX),
            origin.offset,
        ),
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::fs;
    use std::path::Path;

    /// Writes `text` to `name` under `dir`, creating directories; the path written.
    pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create directories");
        }
        fs::write(&path, text).expect("write a test file");
        path
    }

    fn load_dir(dir: &Path) -> Result<Manifest, Report> {
        load(&[dir.to_path_buf()], &LoadOptions::default())
    }

    fn rendered_errors(dir: &Path) -> String {
        match load_dir(dir) {
            Ok(manifest) => panic!("expected errors, loaded {:?}", manifest.objects),
            Err(report) => report.render(false),
        }
    }

    #[test]
    fn loads_the_design_example() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "incidents/phishing.yaml",
            r#"# yaml-language-server: $schema=../schemas/soarform.schema.json
kind: Incident
key: phishing/ceo-wire-fraud       # stable identity inside the repo, unique per kind
template: Phishing                 # Cloud SOAR incident template, by name or numeric id
extends: phishing-defaults         # optional: a local Template document to inherit fields from
fields:
  description: |
    Wire-fraud attempt impersonating the CEO.
  starttime: 2026-11-20T09:00:00Z
  incident_kind: Phishing          # lookup fields take the display name or the numeric id
  status: Open
  restriction: Low
  Business unit: Finance           # custom field by its label, or by its API name (opt_3)
---
kind: TriageItem
key: triage/suspicious-login-7731
fields:
  type: Suspicious login
  status: New
  Source reference: okta-7731
---
kind: Template                     # local only, never sent; documents `extends` it
name: phishing-defaults
fields: { restriction: Low, incident_category: Email }
"#,
        );
        let manifest =
            load_dir(dir.path()).unwrap_or_else(|report| panic!("{}", report.render(false)));
        assert_eq!(manifest.objects.len(), 2);
        let incident = &manifest.objects[0];
        assert_eq!(incident.kind, Kind::Incident);
        assert_eq!(incident.key, "phishing/ceo-wire-fraud");
        assert_eq!(
            incident
                .template
                .as_ref()
                .map(|(template, _)| template.clone()),
            Some(TemplateRef::Name("Phishing".to_string()))
        );
        let names: Vec<&str> = incident
            .fields
            .iter()
            .map(|field| field.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "restriction",
                "incident_category",
                "description",
                "starttime",
                "incident_kind",
                "status",
                "Business unit"
            ]
        );
        assert_eq!(
            incident.fields[2].value,
            "Wire-fraud attempt impersonating the CEO.\n"
        );
        // `restriction` was set again by the incident: its origin is the incident's line.
        assert_eq!(incident.fields[0].origin.line, 12);
        assert_eq!(incident.fields[1].origin.line, 24);
        assert_eq!(incident.key_origin.line, 3);
        assert_eq!(incident.key_origin.column, 6);
        let triage = &manifest.objects[1];
        assert_eq!(triage.kind, Kind::TriageItem);
        assert!(triage.template.is_none());
        assert!(manifest
            .sources
            .get(&dir.path().join("incidents/phishing.yaml"))
            .is_some());
    }

    #[test]
    fn reports_every_problem_in_every_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "a.yaml",
            "kind: Incident\nkey: a\ntemplate: 1\ntmplate: x\n",
        );
        write(dir.path(), "b.yaml", "kind: Incident\nkey: [oops\n");
        write(
            dir.path(),
            "c.yaml",
            "kind: TriageItem\nkey: ok\nfields: {status: {a: 1}}\n",
        );
        let rendered = rendered_errors(dir.path());
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        let c = dir.path().join("c.yaml");
        assert!(
            rendered.contains(&format!("{}:4:1", a.display())),
            "{rendered}"
        );
        assert!(rendered.contains("unknown key `tmplate`"), "{rendered}");
        assert!(rendered.contains("did you mean `template`?"), "{rendered}");
        assert!(
            rendered.contains(&format!("{}:2:11", b.display())),
            "{rendered}"
        );
        assert!(
            rendered.contains("invalid YAML: while parsing a flow sequence"),
            "{rendered}"
        );
        assert!(
            rendered.contains(&format!("{}:3:18", c.display())),
            "{rendered}"
        );
        assert!(
            rendered.contains(
                "field `status` must be a string, a number, a boolean or null, found a mapping"
            ),
            "{rendered}"
        );
        // In file order.
        let first = rendered.find("a.yaml").unwrap_or(usize::MAX);
        let last = rendered.find("c.yaml").unwrap_or(0);
        assert!(first < last, "{rendered}");
    }

    #[test]
    fn reports_missing_paths_and_keeps_going() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = write(
            dir.path(),
            "a.yaml",
            "kind: Incident\nkey: a\ntemplate: 1\n",
        );
        let missing = dir.path().join("missing.yaml");
        let Err(report) = load(&[missing.clone(), good], &LoadOptions::default()) else {
            panic!("a missing path was accepted");
        };
        assert_eq!(report.diagnostics.len(), 1);
        assert_eq!(
            report.diagnostics[0].message,
            format!("path `{}` does not exist", missing.display())
        );
    }

    #[test]
    fn empty_directory_and_comment_only_files_load_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "empty.yaml", "");
        write(dir.path(), "comments.yaml", "# nothing yet\n");
        let manifest =
            load_dir(dir.path()).unwrap_or_else(|report| panic!("{}", report.render(false)));
        assert!(manifest.objects.is_empty());
    }

    #[test]
    fn skips_the_project_file_while_walking() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "soarform.yaml",
            "url: https://api.us2.sumologic.com\n",
        );
        write(dir.path(), "a.yaml", "kind: TriageItem\nkey: a\n");
        let manifest =
            load_dir(dir.path()).unwrap_or_else(|report| panic!("{}", report.render(false)));
        assert_eq!(manifest.objects.len(), 1);
    }

    #[test]
    fn ignore_changes_come_through_load_with_positions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = write(
            dir.path(),
            "a.yaml",
            "kind: Template\nname: t\nignore_changes: [status]\n---\nkind: Incident\nkey: a\ntemplate: 1\nextends: t\nignore_changes:\n  - owner\n  - status\n",
        );
        let manifest =
            load_dir(dir.path()).unwrap_or_else(|report| panic!("{}", report.render(false)));
        let ignored: Vec<(&str, usize, usize)> = manifest.objects[0]
            .ignore_changes
            .iter()
            .map(|named| (named.name.as_str(), named.origin.line, named.origin.column))
            .collect();
        assert_eq!(ignored, [("status", 3, 18), ("owner", 10, 5)]);
        assert_eq!(manifest.objects[0].ignore_changes[1].origin.file, file);

        write(
            dir.path(),
            "a.yaml",
            "kind: Incident\nkey: a\ntemplate: 1\nignore_changes: status\n",
        );
        let rendered = rendered_errors(dir.path());
        assert!(
            rendered.contains(&format!("{}:4:17", file.display())),
            "{rendered}"
        );
        assert!(
            rendered.contains("`ignore_changes` must be a list of field names"),
            "{rendered}"
        );
    }

    #[test]
    fn reports_files_over_the_size_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "big.yaml", &"# padding\n".repeat(200));
        let options = LoadOptions {
            max_file_bytes: 1024,
            ..LoadOptions::default()
        };
        let Err(report) = load(&[dir.path().to_path_buf()], &options) else {
            panic!("an oversized file was accepted");
        };
        let rendered = report.render(false);
        assert!(
            rendered.contains("is 2.0 KiB, over the 1 KiB limit"),
            "{rendered}"
        );
    }

    #[test]
    fn reports_non_utf8_files_with_their_position() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("latin1.yaml");
        fs::write(&path, b"kind: Incident\nkey: caf\xe9\n").expect("write");
        let rendered = rendered_errors(dir.path());
        assert!(
            rendered.contains(&format!("{}:2:9", path.display())),
            "{rendered}"
        );
        assert!(
            rendered.contains("invalid byte `0xe9` at byte offset 23"),
            "{rendered}"
        );
    }

    #[test]
    fn never_panics_on_truncated_or_mangled_input() {
        let sample = "\u{feff}kind: Incident\nkey: \"a/b\" # c\ntemplate: &t 'Phish''ing'\nextends: [x, *t]\nfields:\n  é: |\n    text\n  ? [k]\n  : v\n  d: !!str 2026-01-01\n---\n- [{a: b}]\n...\n";
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.yaml");
        let mut cases = Vec::new();
        for (index, _) in sample.char_indices() {
            cases.push(sample[..index].to_string());
            for insert in [
                "[", "{", "\"", "'", ":", "*t", "&", "!", "\t", "\r", "- ", "? ", "|", "%",
            ] {
                cases.push(format!("{}{insert}{}", &sample[..index], &sample[index..]));
            }
        }
        for case in cases {
            fs::write(&path, &case).expect("write");
            if let Err(report) = load(std::slice::from_ref(&path), &LoadOptions::default()) {
                let _ = report.render(false);
                let _ = report.render(true);
            }
        }
    }
}
