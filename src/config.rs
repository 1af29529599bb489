//! `soarform.yaml`, the project file: where the tenant is, which fields hold identities, API
//! path overrides, fields to ignore or mask, and request limits. Never credentials.
//!
//! Read by the positioned loader ([`crate::manifest::source`]) into the serde types of
//! [`file`], from which `schemas/project.schema.json` is generated; the rules a schema cannot
//! say (credential-looking keys, `url` against `region`, globs, path placeholders, `moved:`)
//! are the small functions below.

mod file;

pub(crate) use file::{IdentityConfig, Limits, LockConfig, PruneMode, TenantConfig};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::dates::{DateSettings, DisplayFormat, Zone};
use crate::dialect::Dialect;
use crate::manifest::diagnostic::one_of;
use crate::manifest::schema::{self, Problem, ProblemKind, SchemaName};
use crate::manifest::source::{self, MappingFile};
use crate::manifest::yaml::{Node, NodeValue};
use crate::manifest::{Diagnostic, Exclusions, LoadOptions, NamedField, Origin, Report, Sources};
use crate::operations::Operation;

pub(crate) use file::ProjectFile;

/// File names looked for, in this order.
pub(crate) const FILE_NAMES: [&str; 2] = ["soarform.yaml", "soarform.yml"];

/// How the project file is read and named in messages about its shape.
const PROJECT_FILE: MappingFile = MappingFile {
    schema: SchemaName::Project,
    max_bytes: 1024 * 1024,
    name: "`soarform.yaml`",
    second_document: "`soarform.yaml` holds more than one document",
    second_document_help: Some("keep every setting in one mapping"),
    expected_keys: "expected keys such as `url`, `identity`, `limits`",
};

/// Parts of key names that suggest a credential.
const CREDENTIAL_WORDS: [&str; 10] = [
    "token",
    "password",
    "passwd",
    "secret",
    "credential",
    "access_key",
    "accesskey",
    "access_id",
    "accessid",
    "api_key",
];

const CREDENTIAL_HELP: &str = "credentials never go in `soarform.yaml`: set `SOARFORM_TOKEN`, or `SUMO_ACCESS_ID` and `SUMO_ACCESS_KEY`, or pass `--token-file`";

/// The project file's settings; every part is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ProjectConfig {
    /// The file these settings came from (`None` for defaults).
    pub path: Option<PathBuf>,
    /// API host URL.
    pub url: Option<String>,
    /// Sumo Logic region (`us2`, `eu`, ...).
    pub region: Option<String>,
    /// API dialect.
    pub api: Option<Dialect>,
    /// Fields holding each object's key.
    pub identity: IdentityConfig,
    /// Operation name (`search_incidents`) -> endpoint path override (`incidents/search/`).
    pub paths: BTreeMap<String, String>,
    /// Fields (API names or labels) the SOC owns after creation: sent on create, never compared.
    pub ignore_changes: Vec<NamedField>,
    /// Fields (API names or labels) whose values never appear in output or saved plans.
    pub sensitive_fields: Vec<NamedField>,
    /// Glob patterns (as written) of files and directories skipped while walking directories,
    /// relative to the directory holding the project file; see [`ProjectConfig::load_options`].
    pub exclude: Vec<String>,
    /// The file's text, to quote in diagnostics about names it holds.
    pub sources: Sources,
    /// Paging and request limits.
    pub limits: Limits,
    /// Whether keys may match objects soarform never wrote (`adopt:`, default true).
    pub adopt: Option<bool>,
    /// What to do with objects in scope whose key is no longer declared (`prune:`).
    pub prune: Option<PruneMode>,
    /// Glob patterns of the keys retirement considers (`prune_scope:`), with their positions.
    pub prune_scope: Vec<NamedField>,
    /// Renamed keys (`moved:`).
    pub moved: Vec<Move>,
    /// Fields where soarform records that it manages an object (`ownership:`).
    pub ownership: IdentityConfig,
    /// How pruning closes objects (`closing:`).
    pub closing: ClosingConfig,
    /// Where the apply lease lives (`lock:`).
    pub lock: LockConfig,
    /// How this tenant's API behaves (`tenant:`).
    pub tenant: TenantConfig,
    /// How the tenant shows dates (`tenant.timezone`, `tenant.date_formats`), checked on load.
    pub dates: DateSettings,
    /// Where the field names and values that are checked against the tenant's catalog were
    /// written, by dotted path (`identity.triage`, `closing.incident.note_field`), so that a
    /// name the tenant does not know is reported at its position.
    pub origins: BTreeMap<String, Origin>,
}

impl ProjectConfig {
    /// How the desired state is loaded under this project: the default options plus its
    /// `exclude:` patterns, relative to the directory holding the project file (no exclusions
    /// without a project file). The patterns were checked when the project file was loaded; an
    /// invalid one is left out with a warning.
    pub(crate) fn load_options(&self) -> LoadOptions {
        let mut options = LoadOptions::default();
        if let Some(path) = &self.path {
            let base = match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if !self.exclude.is_empty() {
                options.exclude = Exclusions::lenient(base.clone(), &self.exclude);
            }
            options.project_root = Some(base);
        }
        options
    }

    /// A diagnostic about the setting at `path` (`ownership.incident`) at its position in the
    /// file, when it was written there (`None` for a default).
    pub(crate) fn report_at(&self, path: &str, message: String, help: &str) -> Option<Report> {
        let origin = self.origins.get(path)?;
        Some(Report {
            diagnostics: vec![Diagnostic::at(origin.clone(), message)
                .with_label(format!("`{path}`"))
                .with_help(help)],
            sources: self.sources.clone(),
        })
    }
}

/// One `moved:` entry: the object carrying `from` now has the key `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Move {
    /// The old key.
    pub from: String,
    /// The new key.
    pub to: String,
    /// The kind, when the entry names one.
    pub kind: Option<crate::kind::Kind>,
    /// Where the entry was written.
    pub origin: crate::manifest::Origin,
}

/// `closing:` of soarform.yaml; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClosingConfig {
    /// Closed status of incidents (display name or id; default `Closed`).
    pub incident_status: Option<Value>,
    /// Closed status of triage items (default `Dismissed`).
    pub triage_status: Option<Value>,
    /// Field receiving the closing note on incidents (default `Closing note`).
    pub incident_note_field: Option<String>,
    /// Field receiving the closing note on triage items (default `Closing note`).
    pub triage_note_field: Option<String>,
    /// The note (default [`DEFAULT_CLOSING_NOTE`]).
    pub note: Option<String>,
}

/// The closing note pruning writes unless `closing.note` says otherwise.
pub(crate) const DEFAULT_CLOSING_NOTE: &str =
    "Closed by soarform: the key is no longer declared in the repository.";

/// The key of the lease object unless `lock.key` says otherwise.
pub(crate) const DEFAULT_LOCK_KEY: &str = "soarform/lock";

/// The project file for `start` (a directory, or a file whose directory is used): the first
/// `soarform.yaml` (or `.yml`) in it or its ancestors, stopping after the first directory that
/// holds `.git` (the repository root).
pub(crate) fn discover(start: &Path) -> Option<PathBuf> {
    let start_dir = if start.is_file() {
        match start.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    } else {
        start.to_path_buf()
    };
    // A directory not made yet (`export --out ../scratch`): `..` taken lexically, so that its
    // ancestors are the real ones and not the folder it was named from.
    let absolute = start_dir
        .canonicalize()
        .or_else(|_| {
            std::path::absolute(&start_dir).map(|path| crate::files::lexically_normal(&path))
        })
        .unwrap_or_else(|_| start_dir.clone());
    for directory in absolute.ancestors() {
        for name in FILE_NAMES {
            let candidate = directory.join(name);
            if candidate.is_file() {
                // Keep the path as the user wrote it when the file is where they pointed.
                return Some(if directory == absolute {
                    tidy(&start_dir.join(name))
                } else {
                    candidate
                });
            }
        }
        if directory.join(".git").exists() {
            return None;
        }
    }
    None
}

/// How the second line of a project file that `export` copied starts: a later export into the
/// same directory reads the project again and copies it anew (the copy is the export's).
pub(crate) const COPY_MARKER: &str = "# Copied by `soarform export` from ";

/// Whether the project file at `path` is a copy `export` wrote.
pub(crate) fn is_export_copy(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines()
            .take(2)
            .any(|line| line.starts_with(COPY_MARKER))
    })
}

/// The settings of a project file that belong to the whole project rather than to how the tenant
/// is read: a copy of the file beside a partial export leaves them out (`prune_scope`/`prune`
/// would close what the export does not hold, `moved:` names keys it may not hold, `exclude:`
/// would hide exported files).
pub(crate) const PROJECT_SCOPE_KEYS: [&str; 4] = ["prune_scope", "prune", "moved", "exclude"];

/// `text` (a project file that loaded) without its [`PROJECT_SCOPE_KEYS`], parsed and written
/// again (comments are not kept), and the keys left out; `None` when it is not one mapping.
pub(crate) fn without_project_scope(text: &str) -> Option<(String, Vec<&'static str>)> {
    let mut documents = yaml_rust2::YamlLoader::load_from_str(text).ok()?;
    let mut document = match documents.len() {
        0 => yaml_rust2::Yaml::Hash(Default::default()),
        1 => documents.remove(0),
        _ => return None,
    };
    let mapping = match &mut document {
        yaml_rust2::Yaml::Hash(mapping) => mapping,
        yaml_rust2::Yaml::Null => return Some((String::new(), Vec::new())),
        _ => return None,
    };
    let mut dropped = Vec::new();
    for key in PROJECT_SCOPE_KEYS {
        if mapping
            .remove(&yaml_rust2::Yaml::String(key.to_string()))
            .is_some()
        {
            dropped.push(key);
        }
    }
    if mapping.is_empty() {
        return Some((String::new(), dropped));
    }
    let mut emitted = String::new();
    yaml_rust2::YamlEmitter::new(&mut emitted)
        .dump(&document)
        .ok()?;
    let body = emitted.strip_prefix("---\n").unwrap_or(&emitted);
    Some((format!("{body}\n"), dropped))
}

fn tidy(path: &Path) -> PathBuf {
    path.strip_prefix(".")
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

/// Reads and validates the project file at `path`; every problem is reported at once.
pub(crate) fn load(path: &Path) -> Result<ProjectConfig, Report> {
    let phrase = |root: &Node, problem: &Problem| project_diagnostic(path, root, problem);
    let rules = |root: &Node, diagnostics: &mut Vec<Diagnostic>| {
        check_url(path, root, diagnostics);
        check_paths(path, root, diagnostics);
        check_exclude(path, root, diagnostics);
        check_prune_scope(path, root, diagnostics);
        check_moved(path, root, diagnostics);
        check_tenant(path, root, diagnostics);
    };
    let loaded = source::load_mapping::<ProjectFile>(path, &PROJECT_FILE, &phrase, &rules)?;
    let mut config = match &loaded.root {
        Some(root) => from_file(path, root, loaded.value),
        None => ProjectConfig::default(),
    };
    config.path = Some(path.to_path_buf());
    config.sources.insert(path.to_path_buf(), loaded.text);
    Ok(config)
}

/// A schema problem as the project file reports it: the generic phrasing, with a pointer to the
/// environment for a key that looks like a credential.
fn project_diagnostic(path: &Path, root: &Node, problem: &Problem) -> Diagnostic {
    let mut diagnostic = schema::diagnostic(path, root, problem);
    if let ProblemKind::UnknownKey { key, .. } = &problem.kind {
        if looks_like_credential(key) {
            diagnostic.help = Some(CREDENTIAL_HELP.to_string());
        }
    }
    diagnostic
}

/// The settings of a valid file, with the positions of what later phases report on.
fn from_file(path: &Path, root: &Node, file: ProjectFile) -> ProjectConfig {
    let named = |key: &str, names: Vec<String>| -> Vec<NamedField> {
        let items = match root.get(key).map(|entry| &entry.value.value) {
            Some(NodeValue::Sequence(items)) => items.as_slice(),
            _ => &[],
        };
        names
            .into_iter()
            .zip(items)
            .map(|(name, item)| NamedField {
                name,
                origin: item.pos.origin(path),
            })
            .collect()
    };
    let moved = match root.get("moved").map(|entry| &entry.value.value) {
        Some(NodeValue::Sequence(items)) => file
            .moved
            .into_iter()
            .zip(items)
            .map(|(entry, item)| Move {
                from: entry.from,
                to: entry.to,
                kind: entry.kind,
                origin: item.pos.origin(path),
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut origins = BTreeMap::new();
    for setting in ORIGIN_SETTINGS {
        let found = setting
            .split('.')
            .try_fold(root, |node, key| node.get(key).map(|entry| &entry.value));
        if let Some(node) = found {
            origins.insert(setting.to_string(), node.pos.origin(path));
        }
    }
    ProjectConfig {
        path: None,
        url: file.url,
        region: file.region,
        api: file.api,
        identity: file.identity,
        paths: file.paths.0,
        ignore_changes: named("ignore_changes", file.ignore_changes),
        sensitive_fields: named("sensitive_fields", file.sensitive_fields),
        exclude: file.exclude,
        sources: Sources::default(),
        limits: file.limits,
        adopt: file.adopt,
        prune: file.prune,
        prune_scope: named("prune_scope", file.prune_scope),
        moved,
        ownership: file.ownership,
        closing: ClosingConfig {
            incident_status: file.closing.incident.status,
            triage_status: file.closing.triage.status,
            incident_note_field: file.closing.incident.note_field,
            triage_note_field: file.closing.triage.note_field,
            note: file.closing.note,
        },
        lock: file.lock,
        dates: date_settings(&file.tenant).unwrap_or_default(),
        tenant: file.tenant,
        origins,
    }
}

/// The settings whose names and values are checked against the tenant's catalog later, so
/// whose positions [`ProjectConfig::origins`] keeps.
const ORIGIN_SETTINGS: [&str; 11] = [
    "identity.incident",
    "identity.triage",
    "ownership.incident",
    "ownership.triage",
    "closing.incident.status",
    "closing.incident.note_field",
    "closing.triage.status",
    "closing.triage.note_field",
    "lock.key",
    "lock.field",
    "lock.template",
];

fn looks_like_credential(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace('-', "_");
    CREDENTIAL_WORDS.iter().any(|word| key.contains(word))
        || key == "auth"
        || key == "authorization"
}

/// `url` and `region` both say where the tenant is; a URL must not embed credentials.
fn check_url(path: &Path, root: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let Some(url_entry) = root.get("url") else {
        return;
    };
    if let Some(region) = root.get("region") {
        diagnostics.push(
            Diagnostic::at(
                region.key_pos.origin(path),
                "set either `url` or `region`, not both",
            )
            .with_label("`region` conflicts with `url`")
            .with_note(format!(
                "`url` is set at {}",
                url_entry.key_pos.origin(path)
            )),
        );
    }
    let Some(text) = url_entry.value.as_str() else {
        return;
    };
    match url::Url::parse(text) {
        Ok(url) if !url.username().is_empty() || url.password().is_some() => diagnostics.push(
            Diagnostic::at(
                url_entry.value.pos.origin(path),
                "`url` must not hold credentials",
            )
            .with_label("user information in the URL")
            .with_help(CREDENTIAL_HELP),
        ),
        Ok(url) if url.host_str().is_none() => diagnostics.push(
            Diagnostic::at(
                url_entry.value.pos.origin(path),
                format!("`url` has no host: `{text}`"),
            )
            .with_label("expected `https://host`"),
        ),
        Ok(_) => {}
        Err(error) => {
            // The schema already said what a URL looks like when the scheme is wrong.
            if text.starts_with("http://") || text.starts_with("https://") {
                diagnostics.push(
                    Diagnostic::at(
                        url_entry.value.pos.origin(path),
                        format!("invalid `url` `{text}`: {error}"),
                    )
                    .with_label("not a URL"),
                );
            }
        }
    }
}

/// Every `exclude` pattern compiles as a glob (types and emptiness are the schema's).
fn check_exclude(path: &Path, root: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let Some(NodeValue::Sequence(items)) = root.get("exclude").map(|entry| &entry.value.value)
    else {
        return;
    };
    for item in items {
        let Some(pattern) = item.as_str().filter(|pattern| !pattern.is_empty()) else {
            continue;
        };
        if let Err(reason) = crate::manifest::exclude_glob(pattern) {
            diagnostics.push(
                Diagnostic::at(
                    item.pos.origin(path),
                    format!("invalid `exclude` pattern `{pattern}`: {reason}"),
                )
                .with_label("not a usable glob pattern")
                .with_note("patterns are relative to the directory holding `soarform.yaml`: `*` matches within one path segment, `**` across segments, `?` one character, `[abc]` one of a set, `{a,b}` either"),
            );
        }
    }
}

/// The date settings of `tenant:`.
fn date_settings(tenant: &TenantConfig) -> Result<DateSettings, String> {
    DateSettings::new(tenant.timezone.as_deref(), &tenant.date_formats)
}

/// `tenant.timezone` is a zone and every `tenant.date_formats` entry a known pattern.
fn check_tenant(path: &Path, root: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let Some(tenant) = root.get("tenant").map(|entry| &entry.value) else {
        return;
    };
    if let Some(node) = tenant.get("timezone").map(|entry| &entry.value) {
        if let Some(Err(problem)) = node.as_str().map(Zone::parse) {
            diagnostics.push(
                Diagnostic::at(
                    node.pos.origin(path),
                    format!("invalid `tenant.timezone`: {problem}"),
                )
                .with_label("not a time zone soarform knows")
                .with_note(
                    "`soarform doctor` reads the tenant's offset from how it shows an unset date",
                ),
            );
        }
    }
    if let Some(NodeValue::Sequence(items)) =
        tenant.get("date_formats").map(|entry| &entry.value.value)
    {
        for item in items {
            if let Some(Err(problem)) = item.as_str().map(DisplayFormat::parse) {
                diagnostics.push(
                    Diagnostic::at(
                        item.pos.origin(path),
                        format!("invalid `tenant.date_formats` entry: {problem}"),
                    )
                    .with_label("not a known date display format"),
                );
            }
        }
    }
}

/// Every `prune_scope` pattern compiles, with the syntax of `--target`.
fn check_prune_scope(path: &Path, root: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let Some(NodeValue::Sequence(items)) = root.get("prune_scope").map(|entry| &entry.value.value)
    else {
        return;
    };
    for item in items {
        let Some(pattern) = item.as_str().filter(|pattern| !pattern.is_empty()) else {
            continue;
        };
        if let Err(reason) = crate::select::Scope::new(&[pattern.to_string()]) {
            diagnostics.push(
                Diagnostic::at(item.pos.origin(path), format!("invalid `prune_scope`: {reason}"))
                    .with_label("not a usable key pattern")
                    .with_note("`*` matches within one `/` segment of a key, `**` across segments; `incident:` or `triage:` in front limits a pattern to one kind"),
            );
        }
    }
}

/// A `moved:` entry renames a key to another key, and no old key is renamed twice.
fn check_moved(path: &Path, root: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let Some(NodeValue::Sequence(items)) = root.get("moved").map(|entry| &entry.value.value) else {
        return;
    };
    let mut seen: BTreeMap<(String, Option<String>), Origin> = BTreeMap::new();
    for item in items {
        let text = |key: &str| item.get(key).and_then(|entry| entry.value.as_str());
        let (Some(from), Some(to)) = (text("from"), text("to")) else {
            continue;
        };
        let origin = item.pos.origin(path);
        if from == to {
            diagnostics.push(
                Diagnostic::at(origin, format!("`moved` renames `{from}` to itself"))
                    .with_label("`from` and `to` are the same key")
                    .with_help("remove the entry"),
            );
            continue;
        }
        let kind = text("kind").map(str::to_string);
        if let Some(first) = seen.get(&(from.to_string(), kind.clone())) {
            diagnostics.push(
                Diagnostic::at(origin, format!("`moved` renames `{from}` twice"))
                    .with_label("second entry for this old key")
                    .with_note(format!("the first is at {first}")),
            );
        } else {
            seen.insert((from.to_string(), kind), origin);
        }
    }
}

/// `{id}` appears exactly in the paths of operations on one object, and nothing else in braces.
fn check_paths(path: &Path, root: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let Some(NodeValue::Mapping(entries)) = root.get("paths").map(|entry| &entry.value.value)
    else {
        return;
    };
    for entry in entries {
        let Some(text) = entry.value.as_str() else {
            continue;
        };
        let Some(operation) = Operation::from_name(&entry.key) else {
            continue; // reported by the schema
        };
        if !text.ends_with('/') {
            continue; // reported by the schema
        }
        let origin = entry.value.pos.origin(path);
        let without_id = text.replace("{id}", "");
        if without_id.contains(['{', '}']) {
            diagnostics.push(
                Diagnostic::at(
                    origin,
                    format!(
                        "the path of `{}` holds an unknown placeholder: `{text}`",
                        entry.key
                    ),
                )
                .with_label("only `{id}` is replaced")
                .with_note(format!(
                    "operations on one object: {}",
                    one_of(&one_object_operations(), "and")
                )),
            );
            continue;
        }
        let needs_id = operation.addresses_one_object();
        let count = text.matches("{id}").count();
        if needs_id && count != 1 {
            diagnostics.push(
                Diagnostic::at(
                    origin,
                    format!(
                        "the path of `{}` must contain `{{id}}` once, found `{text}`",
                        entry.key
                    ),
                )
                .with_label("expected `{id}` where the object id goes")
                .with_help(format!("for example `{}`", operation.default_path())),
            );
        } else if !needs_id && count > 0 {
            diagnostics.push(
                Diagnostic::at(
                    origin,
                    format!(
                        "the path of `{}` must not contain `{{id}}`, found `{text}`",
                        entry.key
                    ),
                )
                .with_label("this operation addresses no single object")
                .with_help(format!("for example `{}`", operation.default_path())),
            );
        }
    }
}

/// The names of the operations on one object, whose path holds `{id}`.
fn one_object_operations() -> Vec<&'static str> {
    Operation::ALL
        .into_iter()
        .filter(|operation| operation.addresses_one_object())
        .map(Operation::name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("soarform.yaml");
        fs::write(&path, text).expect("write soarform.yaml");
        path
    }

    fn errors(text: &str) -> (String, PathBuf, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), text);
        match load(&path) {
            Ok(config) => panic!("expected errors, loaded {config:?}"),
            Err(report) => (report.render(false), path, dir),
        }
    }

    fn assert_has(rendered: &str, expected: &[&str]) {
        for part in expected {
            assert!(rendered.contains(part), "missing {part:?} in:\n{rendered}");
        }
    }

    #[test]
    fn loads_every_setting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "# yaml-language-server: $schema=schemas/project.schema.json\nurl: https://acme.soar.sumologic.com\napi: legacy\nidentity:\n  incident: External ticket\n  triage: opt_1\npaths:\n  search_incidents: incidents/query/\n  get_incident: incidents/{id}/\nignore_changes: [Status]\nsensitive_fields: [opt_2, Reporter]\nexclude: [ci, \"docs/**/*.yml\"]\nlimits:\n  page_size: 200\n  requests_per_second: 2.5\n  max_concurrency: 4\n",
        );
        let config = load(&path).unwrap_or_else(|report| panic!("{}", report.render(false)));
        let names = |fields: &[NamedField]| -> Vec<(String, usize, usize)> {
            fields
                .iter()
                .map(|field| (field.name.clone(), field.origin.line, field.origin.column))
                .collect()
        };
        assert_eq!(names(&config.ignore_changes), [("Status".into(), 10, 18)]);
        assert_eq!(
            names(&config.sensitive_fields),
            [("opt_2".into(), 11, 20), ("Reporter".into(), 11, 27)]
        );
        assert!(config
            .sources
            .get(&path)
            .is_some_and(|text| text.contains("Reporter")));
        assert_eq!(
            config,
            ProjectConfig {
                path: Some(path),
                url: Some("https://acme.soar.sumologic.com".to_string()),
                region: None,
                api: Some(Dialect::Legacy),
                identity: IdentityConfig {
                    incident: Some("External ticket".to_string()),
                    triage: Some("opt_1".to_string()),
                },
                paths: [
                    (
                        "search_incidents".to_string(),
                        "incidents/query/".to_string()
                    ),
                    ("get_incident".to_string(), "incidents/{id}/".to_string()),
                ]
                .into(),
                ignore_changes: config.ignore_changes.clone(),
                sensitive_fields: config.sensitive_fields.clone(),
                exclude: vec!["ci".to_string(), "docs/**/*.yml".to_string()],
                sources: config.sources.clone(),
                limits: Limits {
                    page_size: Some(200),
                    requests_per_second: Some(2.5),
                    max_concurrency: Some(4),
                    retry_seconds: None,
                    ..Limits::default()
                },
                origins: config.origins.clone(),
                ..ProjectConfig::default()
            }
        );
        // Names checked against the tenant later are reported where they were written.
        let origins: Vec<(&str, usize)> = config
            .origins
            .iter()
            .map(|(setting, origin)| (setting.as_str(), origin.line))
            .collect();
        assert_eq!(origins.len(), 2, "{origins:?}");
        assert!(origins
            .iter()
            .all(|(setting, line)| setting.starts_with("identity.") && *line > 0));
    }

    #[test]
    fn lifecycle_settings_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("soarform.yaml");
        std::fs::write(
            &path,
            "adopt: false\nprune: close\nprune_scope: [\"phishing/**\"]\nmoved:\n  - from: a\n    to: b\n  - {from: c, to: d, kind: TriageItem}\nownership: {incident: opt_2}\nclosing:\n  incident: {status: 4, note_field: opt_1}\n  note: Retired\n",
        )
        .unwrap();
        let config = load(&path).unwrap();
        assert_eq!(config.adopt, Some(false));
        assert_eq!(config.prune, Some(PruneMode::Close));
        assert_eq!(config.prune_scope[0].name, "phishing/**");
        let moves: Vec<_> = config
            .moved
            .iter()
            .map(|entry| {
                (
                    entry.from.as_str(),
                    entry.to.as_str(),
                    entry.kind,
                    entry.origin.line,
                )
            })
            .collect();
        assert_eq!(
            moves,
            [
                ("a", "b", None, 5),
                ("c", "d", Some(crate::kind::Kind::TriageItem), 7)
            ]
        );
        assert_eq!(config.ownership.incident.as_deref(), Some("opt_2"));
        assert_eq!(config.closing.incident_status, Some(serde_json::json!(4)));
        assert_eq!(config.closing.incident_note_field.as_deref(), Some("opt_1"));
        assert_eq!(config.closing.note.as_deref(), Some("Retired"));

        std::fs::write(&path, "prune: delete\nmoved: [{from: a}]\n").unwrap();
        let report = load(&path).unwrap_err();
        assert_eq!(report.diagnostics.len(), 2, "{:?}", report.diagnostics);
    }

    #[test]
    fn empty_file_is_the_default_configuration() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "# nothing to configure\n");
        let config = load(&path).unwrap_or_else(|report| panic!("{}", report.render(false)));
        assert_eq!(config.path.as_deref(), Some(path.as_path()));
        assert_eq!(config.url, None);
    }

    #[test]
    fn unknown_keys_suggest_the_closest() {
        let (rendered, path, _dir) = errors("regoin: us2\nlimits:\n  page_sise: 10\n");
        assert_has(
            &rendered,
            &[
                "error: unknown key `regoin`",
                &format!("--> {}:1:1", path.display()),
                "= help: did you mean `region`?",
                "error: unknown key `page_sise` in `limits`",
                &format!("--> {}:3:3", path.display()),
                "= help: did you mean `page_size`?",
            ],
        );
    }

    #[test]
    fn credential_keys_point_to_the_environment() {
        let (rendered, path, _dir) =
            errors("url: https://api.us2.sumologic.com\ntoken: abc\naccess_key: x\n");
        assert_has(&rendered, &[
            "error: unknown key `token`",
            &format!("--> {}:2:1", path.display()),
            "= help: credentials never go in `soarform.yaml`: set `SOARFORM_TOKEN`, or `SUMO_ACCESS_ID` and `SUMO_ACCESS_KEY`, or pass `--token-file`",
            "error: unknown key `access_key`",
        ]);
    }

    #[test]
    fn wrong_types_and_values() {
        let (rendered, path, _dir) = errors("api: v4\nregion: uss2\nlimits:\n  page_size: 0\n  requests_per_second: fast\nignore_changes: Status\n");
        let file = path.display();
        assert_has(
            &rendered,
            &[
                "error: `api` must be `v3` or `legacy`, found `v4`",
                &format!("--> {file}:1:6"),
                "error: `region` must be `us1`, `us2`",
                "= help: did you mean `us2`?",
                "error: `limits.page_size` must be at least 1, found `0`",
                &format!("--> {file}:4:14"),
                "error: `limits.requests_per_second` must be a number, found `fast`",
                "error: `ignore_changes` must be a list, found `Status`",
            ],
        );
    }

    #[test]
    fn exclude_patterns_are_checked_at_their_position() {
        let (rendered, path, _dir) = errors(
            "exclude:\n  - ci\n  - \"docs/[a\"\n  - /abs\n  - \"\"\nurl: https://a.example\n",
        );
        let file = path.display();
        assert_has(
            &rendered,
            &[
                "error: invalid `exclude` pattern `docs/[a`: unclosed character class",
                &format!("--> {file}:3:5"),
                "`**` across segments",
                "error: invalid `exclude` pattern `/abs`",
                &format!("--> {file}:4:5"),
                "error: `exclude[3]` must not be empty",
                &format!("--> {file}:5:5"),
            ],
        );
        assert_eq!(rendered.matches("error:").count(), 3, "{rendered}");
        let (rendered, path, _dir) = errors("exclude: ci\n");
        assert_has(
            &rendered,
            &[
                "error: `exclude` must be a list, found `ci`",
                &format!("--> {}:1:10", path.display()),
            ],
        );
    }

    #[test]
    fn url_and_region_conflict_and_urls_hold_no_credentials() {
        let (rendered, path, _dir) =
            errors("url: https://me:pw@api.us2.sumologic.com\nregion: us2\n");
        assert_has(
            &rendered,
            &[
                "error: set either `url` or `region`, not both",
                &format!("--> {}:2:1", path.display()),
                "error: `url` must not hold credentials",
                "SOARFORM_TOKEN",
            ],
        );
        let (rendered, _, _dir) = errors("url: ftp://x\n");
        assert_has(&rendered, &["error: `url` must match"]);
    }

    #[test]
    fn path_overrides_are_checked() {
        let (rendered, path, _dir) = errors(
            "paths:\n  serch_incidents: x/\n  get_incident: incidents/\n  search_triage: triage/{id}/\n  create_triage: triage\n  update_triage: triage/{key}/\n",
        );
        let file = path.display();
        assert_has(
            &rendered,
            &[
                "error: unknown key `serch_incidents` in `paths`",
                "did you mean `search_incidents`?",
                "error: the path of `get_incident` must contain `{id}` once, found `incidents/`",
                &format!("--> {file}:3:17"),
                "error: the path of `search_triage` must not contain `{id}`",
                "error: `paths.create_triage` must match",
                "error: the path of `update_triage` holds an unknown placeholder",
            ],
        );
    }

    #[test]
    fn yaml_errors_and_non_mappings() {
        let (rendered, path, _dir) = errors("url: [\n");
        assert_has(
            &rendered,
            &["invalid YAML", &format!("--> {}:", path.display())],
        );
        let (rendered, _, _dir) = errors("- url\n");
        assert_has(
            &rendered,
            &["`soarform.yaml` must be a mapping, found a list"],
        );
        let (rendered, _, _dir) = errors("url: https://a.example\n---\napi: v3\n");
        assert_has(&rendered, &["holds more than one document"]);
    }

    fn manifest_errors(dir: &Path) -> String {
        match crate::manifest::load(&[dir.to_path_buf()], &LoadOptions::default()) {
            Ok(manifest) => panic!("expected errors, loaded {:?}", manifest.objects),
            Err(report) => report.render(false),
        }
    }

    #[test]
    fn project_options_exclude_relative_to_the_project_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let project = crate::manifest::tests::write(
            dir.path(),
            "repo/soarform.yaml",
            "exclude: [ci, \"docs/**/*.yml\"]\n",
        );
        crate::manifest::tests::write(dir.path(), "repo/ci/build.yml", "stages: [test]\n");
        crate::manifest::tests::write(dir.path(), "repo/docs/site/nav.yml", "- home\n");
        crate::manifest::tests::write(
            dir.path(),
            "repo/incidents/a.yaml",
            "kind: TriageItem\nkey: a\n",
        );
        let config = load(&project).unwrap_or_else(|report| panic!("{}", report.render(false)));
        let options = config.load_options();
        assert_eq!(options.exclude.base(), dir.path().join("repo"));
        assert_eq!(options.exclude.patterns(), ["ci", "docs/**/*.yml"]);
        assert_eq!(
            options.max_file_bytes,
            LoadOptions::default().max_file_bytes
        );
        let manifest = crate::manifest::load(&[dir.path().join("repo")], &options)
            .unwrap_or_else(|report| panic!("{}", report.render(false)));
        assert_eq!(manifest.sources.len(), 1);
        assert_eq!(manifest.objects[0].key, "a");
        // Without the patterns, the other YAML is read (and is no soarform document).
        let rendered = manifest_errors(&dir.path().join("repo"));
        assert!(rendered.contains("build.yml"), "{rendered}");
        assert!(rendered.contains("nav.yml"), "{rendered}");
        // A file named explicitly is skipped too when it matches (a pre-commit hook names them).
        let explicit = [dir.path().join("repo/ci/build.yml")];
        let manifest = crate::manifest::load(&explicit, &options)
            .unwrap_or_else(|report| panic!("{}", report.render(false)));
        assert!(manifest.objects.is_empty() && manifest.sources.len() == 0);
    }

    #[test]
    fn project_options_without_a_project_file_exclude_nothing() {
        let config = ProjectConfig {
            exclude: vec!["ci".to_string()],
            ..ProjectConfig::default()
        };
        assert_eq!(config.load_options(), LoadOptions::default());
        let config = ProjectConfig {
            path: Some(PathBuf::from("soarform.yaml")),
            exclude: vec!["ci".to_string()],
            ..ProjectConfig::default()
        };
        let options = config.load_options();
        assert_eq!(options.exclude.base(), Path::new("."));
        assert!(options.exclude.matches("ci"));
        assert!(!options.exclude.matches("incidents/ci"));
    }

    #[test]
    fn discovers_in_ancestors_up_to_the_repository_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("repo");
        let nested = root.join("incidents/phishing");
        fs::create_dir_all(&nested).expect("create directories");
        fs::create_dir_all(root.join(".git")).expect("create .git");
        assert_eq!(discover(&nested), None);

        // Above the repository root: not found.
        fs::write(dir.path().join("soarform.yaml"), "").expect("write");
        assert_eq!(discover(&nested), None);

        fs::write(root.join("soarform.yml"), "").expect("write");
        let found = discover(&nested).expect("found in the repository root");
        assert!(found.ends_with("repo/soarform.yml"), "{}", found.display());

        // A file as the start: its directory; and `.yaml` wins over `.yml`.
        let file = nested.join("a.yaml");
        fs::write(&file, "").expect("write");
        fs::write(nested.join("soarform.yaml"), "").expect("write");
        assert_eq!(discover(&file), Some(nested.join("soarform.yaml")));
    }

    #[test]
    fn the_scope_of_a_project_is_left_out_of_its_copy_in_any_style() {
        for text in [
            "url: https://x/\nprune: close\nprune_scope:\n- incident:a/**\nmoved: [{from: a, to: b}]\nexclude: [ci]\ntenant:\n  timezone: UTC\n",
            "{url: 'https://x/', 'prune': close, \"prune_scope\": [incident:a/**], exclude: [ci], tenant: {timezone: UTC}}\n",
            "? url\n: https://x/\n? prune\n: close\n'prune_scope': ['incident:a/**']\ntenant:\n  # the zone\n  timezone: UTC\n",
        ] {
            let (copy, dropped) = without_project_scope(text).expect(text);
            assert!(dropped.contains(&"prune") && dropped.contains(&"prune_scope"), "{text}");
            let loaded = yaml_rust2::YamlLoader::load_from_str(&copy).expect(&copy);
            let mapping = loaded[0].as_hash().expect(&copy);
            let keys: Vec<&str> = mapping.keys().filter_map(|key| key.as_str()).collect();
            assert_eq!(keys, ["url", "tenant"], "{copy}");
            assert_eq!(loaded[0]["url"].as_str(), Some("https://x/"), "{copy}");
            assert_eq!(loaded[0]["tenant"]["timezone"].as_str(), Some("UTC"), "{copy}");
        }
        // A value that looks like another type keeps its own.
        let (copy, _) =
            without_project_scope("identity:\n  incident: \"0042\"\n  triage: 'yes'\n").unwrap();
        let loaded = yaml_rust2::YamlLoader::load_from_str(&copy).unwrap();
        assert_eq!(
            loaded[0]["identity"]["incident"].as_str(),
            Some("0042"),
            "{copy}"
        );
        assert_eq!(
            loaded[0]["identity"]["triage"].as_str(),
            Some("yes"),
            "{copy}"
        );
        assert_eq!(without_project_scope("prune: keep\n").unwrap().0, "");
        assert!(without_project_scope("[a, b]\n").is_none());
    }

    #[test]
    fn a_directory_not_made_yet_is_looked_up_from_where_it_will_be() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        fs::create_dir_all(&repo).expect("create directories");
        fs::write(repo.join("soarform.yaml"), "").expect("write");
        // `repo/../scratch` is beside `repo`, not in it.
        assert_eq!(discover(&repo.join("../scratch")), None);
        assert_eq!(
            discover(&repo.join("./new/../deeper")),
            Some(repo.join("soarform.yaml"))
        );
        assert_eq!(
            crate::files::lexically_normal(Path::new("/a/./b/../c")),
            PathBuf::from("/a/c")
        );
    }
}
