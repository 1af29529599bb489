//! The desired state as loaded: the objects the documents describe, their keys' rule, and the
//! options of a load. Everything else in `manifest` produces or reads these types.

use std::fmt;

use serde_json::Value;

use super::diagnostic::{Origin, Sources};
use super::walk::Exclusions;
use crate::kind::Kind;

/// Pattern every object key and template name matches (see the contract).
pub(crate) const KEY_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._/-]*$";
/// Longest key accepted, in characters.
pub(crate) const MAX_KEY_LENGTH: usize = 200;

/// Whether a key can be written in a document: what the `key` pattern of the document schema
/// ([`KEY_PATTERN`]) accepts, at most [`MAX_KEY_LENGTH`] characters.
pub(crate) fn is_valid_key(key: &str) -> bool {
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
pub(crate) struct Manifest {
    /// Incidents and triage items in file order, then document order (never `Template`s).
    pub objects: Vec<DesiredObject>,
    /// The text of every file read, to quote in later diagnostics.
    pub sources: Sources,
}

/// One incident or triage item the repository wants to exist.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DesiredObject {
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
pub(crate) struct NamedField {
    /// An API name (`status`, `opt_3`) or a label (`Business unit`), as written.
    pub name: String,
    /// Where it was written.
    pub origin: Origin,
}

/// An incident template, as the YAML names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TemplateRef {
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
pub(crate) struct DesiredField {
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
pub(crate) struct LoadOptions {
    /// Files larger than this are refused without being read (default 8 MiB).
    pub max_file_bytes: u64,
    /// File names skipped while walking directories (default `soarform.yaml`, `soarform.yml`).
    pub exclude_file_names: Vec<String>,
    /// Files and directories skipped (`exclude:` in `soarform.yaml`; default none), whether
    /// walked or named: a hook that passes every changed YAML file still skips what the project
    /// excludes.
    pub exclude: Exclusions,
    /// The project's directory (where `soarform.yaml` is). When files are named rather than
    /// directories, the templates they extend are looked for in the whole project too.
    pub project_root: Option<std::path::PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_file_bytes: 8 * 1024 * 1024,
            exclude_file_names: vec!["soarform.yaml".to_string(), "soarform.yml".to_string()],
            exclude: Exclusions::none(),
            project_root: None,
        }
    }
}
