//! Desired-state documents: loading, validation, `extends`.
//!
//! [`load`] reads every file under the paths given, parses each with positions ([`yaml`]),
//! validates each document against the embedded schema ([`schema`]) and soarform's own rules
//! ([`document`]), resolves `extends` ([`extends`]) and returns the desired objects, or a
//! [`Report`] of every problem in every file.

pub(crate) mod diagnostic;
mod document;
mod document_file;
pub(crate) mod emit;
mod extends;
pub(crate) mod format;
mod model;
pub(crate) mod schema;
pub(crate) mod source;
pub(crate) mod value;
mod walk;
pub(crate) mod yaml;

use std::path::PathBuf;

pub(crate) use diagnostic::{Diagnostic, Origin, Report, Sources};
#[cfg(test)]
pub(crate) use document_file::DocumentFile;
pub(crate) use model::{
    is_valid_key, DesiredObject, LoadOptions, Manifest, NamedField, TemplateRef, KEY_PATTERN,
    MAX_KEY_LENGTH,
};
pub(crate) use walk::Exclusions;
pub(crate) use walk::{exclude_glob, find_files, shown_path};

/// Loads the desired state from `paths` (files or directories; none means the current
/// directory), reporting every problem in every file at once.
pub(crate) fn load(paths: &[PathBuf], options: &LoadOptions) -> Result<Manifest, Report> {
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
        match source::read_text(file, options.max_file_bytes) {
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
    // Files named one by one (a pre-commit hook's) and folders inside the project (`plan
    // incidents/`) may extend templates of files not read, and must not declare a key that
    // another file of the project declares.
    let mut elsewhere = Vec::new();
    if let Some(root) = &options.project_root {
        if !paths.iter().any(|path| same_directory(path, root)) {
            let (templates, objects) = project_declarations(root, &found.files, options);
            declarations.extend(templates);
            elsewhere = objects;
        }
    }
    let objects = extends::resolve(declarations, &mut diagnostics);
    diagnostics.extend(extends::declared_elsewhere(&objects, &elsewhere));
    if diagnostics.is_empty() {
        Ok(Manifest { objects, sources })
    } else {
        diagnostic::sort_by_position(&mut diagnostics, &found.files);
        Err(Report {
            diagnostics,
            sources,
        })
    }
}

/// The folders below a project's root that hold a project file of their own: the documents under
/// them are another project's.
struct NestedProjects<'a> {
    root: PathBuf,
    /// The project file's names (`soarform.yaml`, `soarform.yml`).
    names: &'a [String],
    seen: std::collections::HashMap<PathBuf, bool>,
}

impl<'a> NestedProjects<'a> {
    fn new(root: &std::path::Path, names: &'a [String]) -> Self {
        NestedProjects {
            root: root.to_path_buf(),
            names,
            seen: std::collections::HashMap::new(),
        }
    }

    /// Whether `file` lies under a folder, below the root, that holds a project file.
    fn holds(&mut self, file: &std::path::Path) -> bool {
        // Walked from the root, files are named from it (`sub/a.yaml` or `./sub/a.yaml` for a
        // root of `.`, absolute for an absolute one).
        let (base, relative) = match file.strip_prefix(&self.root) {
            Ok(relative) => (self.root.clone(), relative),
            Err(_) => (PathBuf::new(), file),
        };
        let mut directory = relative.parent();
        while let Some(folder) = directory {
            if folder.as_os_str().is_empty() || folder == std::path::Path::new(".") {
                return false;
            }
            let folder = base.join(folder);
            let names = self.names;
            let has = *self
                .seen
                .entry(folder.clone())
                .or_insert_with(|| names.iter().any(|name| folder.join(name).is_file()));
            if has {
                return true;
            }
            directory = directory.and_then(std::path::Path::parent);
        }
        false
    }
}

/// Whether `path` is the directory `root` (the whole project is being read).
fn same_directory(path: &std::path::Path, root: &std::path::Path) -> bool {
    match (path.canonicalize(), root.canonicalize()) {
        (Ok(path), Ok(root)) => path == root,
        _ => false,
    }
}

/// The templates and the objects declared anywhere under the project's directory but in `read`
/// (the files already loaded): templates for documents that extend them, objects to find keys
/// declared twice. Problems of those files are theirs, reported when they are validated
/// themselves: here a file that cannot be read or parsed only contributes nothing.
fn project_declarations(
    root: &std::path::Path,
    read: &[PathBuf],
    options: &LoadOptions,
) -> (Vec<document::Declaration>, Vec<document::Declaration>) {
    let loaded: std::collections::HashSet<PathBuf> = read
        .iter()
        .map(|file| file.canonicalize().unwrap_or_else(|_| file.clone()))
        .collect();
    let found = walk::find_files(
        &[root.to_path_buf()],
        &options.exclude_file_names,
        &options.exclude,
    );
    let mut templates = Vec::new();
    let mut objects = Vec::new();
    let mut nested = NestedProjects::new(root, &options.exclude_file_names);
    for file in found.files {
        let identity = file.canonicalize().unwrap_or_else(|_| file.clone());
        if loaded.contains(&identity) || nested.holds(&file) {
            continue;
        }
        let Ok(text) = source::read_text(&file, options.max_file_bytes) else {
            continue;
        };
        let parsed = yaml::parse(&file, &text);
        let mut ignored = Vec::new();
        for parsed_document in &parsed.documents {
            if let Some(declaration) = document::interpret(&file, parsed_document, &mut ignored) {
                if declaration.kind == document_file::DeclarationKind::Template {
                    templates.push(declaration);
                } else {
                    objects.push(declaration);
                }
            }
        }
    }
    (templates, objects)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::kind::Kind;
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
                "field `status` must be a string, a number, a boolean, a list or null, found a mapping"
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
