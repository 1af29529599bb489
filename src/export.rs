//! `soarform export`: the tenant's incidents and triage items as canonical desired-state YAML.
//!
//! Everything is computed first (searches, documents, file names); files are written only at the
//! end, and only when none of them exists yet or overwriting was asked for. Every exported value
//! is checked to read back as the live value, so a plan of the written files against the same
//! tenant shows no field changes.
//!
//! Every path is checked before the first write, so a refusal leaves the tree as it was: each
//! must stay inside `--out` once symbolic links are resolved (a linked folder or file leading
//! outside, or to nothing, is refused; one staying inside is followed), fit the file system
//! (names of at most 255 bytes, paths of at most [`crate::files::MAX_PATH_BYTES`]), find folders
//! where folders go and no folder where the file goes, and be a file of its own. Names that
//! would be too long are cut and end with a hash (of the key for files, of the type for
//! folders), so they depend only on what is exported.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::catalog::{closest_names, Catalog, Column, ColumnType, Columns, UnknownName};
use crate::client::{Client, RemoteObject};
use crate::error::{Error, Result};
use crate::filter::{self, FieldSyntax, Term};
use crate::kind::Kind;
use crate::manifest::emit::{self, CanonicalDocument};
use crate::manifest::{TemplateRef, MAX_KEY_LENGTH};
use crate::normalize::{self, Normalized};
use crate::resolve::{FieldNames, Identity};

/// Fields the server sets itself: never exported, even when the catalog lists them as columns.
const SERVER_MANAGED_FIELDS: &[&str] = &[
    "id",
    "template",
    "template_id",
    "created_by",
    "creation_date",
    "modified_by",
    "modified_date",
    "generated_by",
];

/// The folder of objects whose type field is empty.
pub const UNTYPED_FOLDER: &str = "untyped";

/// Hex digits of the key's SHA-256 appended to file names that collide; more are used only in the
/// (astronomically unlikely) case that a suffixed name collides again.
const COLLISION_SUFFIX_DIGITS: [usize; 3] = [8, 16, 64];

/// Hex digits of a SHA-256 that end a name cut to fit the file system's limit.
const SHORTENED_SUFFIX_DIGITS: usize = 8;

/// The longest file or folder name export writes.
const NAME_MAX: usize = crate::files::NAME_MAX;

/// How many names a warning lists before saying "and N more".
const LISTED_NAMES: usize = 10;

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportRequest {
    /// The kinds to read, in the order their files are listed.
    pub kinds: Vec<Kind>,
    /// A Cloud SOAR search query (`field:"value"`, `field:"prefix*"`, `OR` between terms), fields
    /// by API name or label.
    pub filter: Option<String>,
    /// API names per kind never to write (ownership markers, sensitive fields).
    pub omit: FieldNames,
    /// Where soarform records ownership, to count the exported objects it never wrote.
    pub ownership: crate::plan::Ownership,
    /// The apply lease object's kind and key: soarform's own bookkeeping, never exported.
    pub lease: Option<(Kind, String)>,
}

/// What export found: the files to write, and what was left out and why.
#[derive(Debug, Clone, Default)]
pub struct Export {
    /// One file per object, ordered by kind (as requested), then key.
    pub files: Vec<ExportedFile>,
    /// Objects and fields left out.
    pub warnings: Vec<Warning>,
    /// Things worth knowing that are not problems (a kind the filter cannot match).
    pub notes: Vec<String>,
    /// How many objects were read but not exported.
    pub skipped: usize,
    /// How many exported objects soarform never wrote: the next plan adopts them.
    pub unowned: usize,
}

impl Export {
    /// How many objects of `kind` are exported.
    pub fn count(&self, kind: Kind) -> usize {
        self.files.iter().filter(|file| file.kind == kind).count()
    }
}

/// One object as a desired-state file.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedFile {
    /// Incident or triage item.
    pub kind: Kind,
    /// The key (the identity field's value).
    pub key: String,
    /// The live object's id.
    pub remote_id: u64,
    /// Where to write it, relative to the output directory
    /// (`incidents/<type>/<key>.yaml`, `triage/<type>/<key>.yaml`).
    pub path: PathBuf,
    /// The canonical YAML.
    pub text: String,
}

/// Something left out of the export, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What was left out and why.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "warning: {}", self.message)?;
        if let Some(hint) = &self.hint {
            writeln!(f, "hint: {hint}")?;
        }
        Ok(())
    }
}

/// Reads the requested kinds and turns every manageable object into a file; nothing is written.
///
/// The filter is checked against the catalog before anything is searched.
pub async fn collect(
    client: &Client,
    catalog: &Catalog,
    identity: &Identity,
    request: &ExportRequest,
) -> Result<Export> {
    let filters = kind_filters(request.filter.as_deref(), &request.kinds, catalog)?;
    let mut export = Export::default();
    let mut searches = Vec::new();
    for (kind, filter) in filters {
        match filter {
            KindFilter::Search(filter) => searches.push((kind, filter)),
            KindFilter::Unmatchable { fields } => export.notes.push(format!(
                "no {} was exported: `--filter` tests only fields {}s do not have ({})",
                kind.noun(),
                kind.noun(),
                quoted_list(&fields)
            )),
        }
    }
    // Both kinds are read side by side; the client's limiter keeps them within the API's limits.
    let answers = futures_util::future::try_join_all(searches.iter().map(|(kind, filter)| {
        tracing::debug!("searching {}s with filter `{filter}`", kind.noun());
        client.search(*kind, filter, &[])
    }))
    .await?;
    let mut documents = Vec::new();
    let mut unowned = std::collections::HashSet::new();
    for ((kind, _), mut objects) in searches.iter().zip(answers) {
        if let Some((lease_kind, lease_key)) = &request.lease {
            let field = &identity.column(*kind).field;
            objects.retain(|object| {
                lease_kind != kind
                    || object.fields.get(field).and_then(Value::as_str) != Some(lease_key.as_str())
            });
        }
        unowned.extend(
            objects
                .iter()
                .filter(|object| !request.ownership.owns(*kind, object))
                .map(|object| (*kind, object.id)),
        );
        let built = build_documents(*kind, objects, catalog, identity, &request.omit);
        documents.extend(built.documents);
        export.warnings.extend(built.warnings);
        export.skipped += built.skipped;
    }
    export.files = assign_paths(documents)?;
    export.unowned = export
        .files
        .iter()
        .filter(|file| unowned.contains(&(file.kind, file.remote_id)))
        .count();
    Ok(export)
}

/// The search filter of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KindFilter {
    /// Search with this filter (fields by API name; empty: every object).
    Search(String),
    /// No term of the query names a field of this kind, so no object of it can match.
    Unmatchable {
        /// The fields the query tests, as written.
        fields: Vec<String>,
    },
}

/// Translates `--filter` for each kind: labels become API names, and terms on fields a kind does
/// not have are dropped for that kind (they could match none of its objects). A field unknown to
/// every requested kind is an error naming the closest valid names.
pub fn kind_filters(
    query: Option<&str>,
    kinds: &[Kind],
    catalog: &Catalog,
) -> Result<Vec<(Kind, KindFilter)>> {
    let terms = match query {
        Some(query) => filter::parse(query, FieldSyntax::Label).map_err(|problem| {
            Error::with_hint(format!("invalid `--filter`: {problem}"), FILTER_SYNTAX_HINT)
        })?,
        None => Vec::new(),
    };
    let mut unknown = Vec::new();
    for term in &terms {
        let known = kinds
            .iter()
            .any(|kind| catalog.columns(*kind).find(&term.field).is_some());
        if !known
            && !unknown
                .iter()
                .any(|name: &UnknownName| name.name == term.field)
        {
            unknown.push(unknown_field(&term.field, kinds, catalog));
        }
    }
    if !unknown.is_empty() {
        let message = match unknown.as_slice() {
            [one] => format!("`--filter`: {one}"),
            several => {
                let lines: Vec<String> = several.iter().map(|name| format!("  {name}")).collect();
                format!("`--filter` names unknown fields:\n{}", lines.join("\n"))
            }
        };
        return Err(Error::with_hint(
            message,
            "name fields by API name or label, as `GET incidents/columns/` and `GET triage/columns/` list them",
        ));
    }
    Ok(kinds
        .iter()
        .map(|kind| {
            let columns = catalog.columns(*kind);
            let translated: Vec<String> = terms
                .iter()
                .filter_map(|term| {
                    let column = columns.find(&term.field)?;
                    let translated = Term {
                        field: column.field.clone(),
                        pattern: term.pattern.clone(),
                    };
                    Some(translated.to_string())
                })
                .collect();
            let filter = if terms.is_empty() || !translated.is_empty() {
                KindFilter::Search(translated.join(" OR "))
            } else {
                let mut fields: Vec<String> = Vec::new();
                for term in &terms {
                    if !fields.contains(&term.field) {
                        fields.push(term.field.clone());
                    }
                }
                KindFilter::Unmatchable { fields }
            };
            (*kind, filter)
        })
        .collect())
}

const FILTER_SYNTAX_HINT: &str = "write terms as `field:\"value\"` or `field:\"prefix*\"` joined by ` OR `, fields by API name or label, e.g. `status:\"Open\" OR Business unit:\"Fin*\"`";

/// The error for a filter field no requested kind has, with the closest names of all of them.
fn unknown_field(name: &str, kinds: &[Kind], catalog: &Catalog) -> UnknownName {
    let what = kinds
        .iter()
        .map(|kind| kind.noun())
        .collect::<Vec<_>>()
        .join(" or ");
    let names = kinds.iter().flat_map(|kind| {
        catalog
            .columns(*kind)
            .all()
            .iter()
            .flat_map(|column| [column.label.as_str(), column.field.as_str()])
    });
    UnknownName {
        what: format!("{what} field"),
        name: name.to_string(),
        closest: closest_names(name, names),
        valid_count: kinds
            .iter()
            .map(|kind| catalog.columns(*kind).all().len())
            .sum(),
    }
}

/// An object ready to become a file.
#[derive(Debug, Clone, PartialEq)]
struct Exportable {
    kind: Kind,
    key: String,
    remote_id: u64,
    /// The slug of its type (or [`UNTYPED_FOLDER`]).
    folder: String,
    document: CanonicalDocument,
}

/// The documents of one kind, and what was left out.
#[derive(Debug, Default)]
struct BuiltDocuments {
    documents: Vec<Exportable>,
    warnings: Vec<Warning>,
    skipped: usize,
}

/// Why a field value is not exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum FieldProblem {
    /// A select value that is not one of the catalog's options.
    NotAnOption,
    /// A list or a mapping, which documents cannot declare.
    NotScalar,
    /// A value a plan would not read back as the live one.
    NoRoundTrip,
}

impl FieldProblem {
    fn reason(self) -> &'static str {
        match self {
            FieldProblem::NotAnOption => {
                "the value is not one of the field's options in the catalog"
            }
            FieldProblem::NotScalar => {
                "the value is a list or a mapping, which desired-state files cannot declare"
            }
            FieldProblem::NoRoundTrip => "the value would not read back as the live value",
        }
    }
}

/// Turns the objects of one kind into documents, leaving out those that cannot be managed without
/// creating a duplicate or failing a plan.
fn build_documents(
    kind: Kind,
    objects: Vec<RemoteObject>,
    catalog: &Catalog,
    identity: &Identity,
    omit: &FieldNames,
) -> BuiltDocuments {
    let columns = catalog.columns(kind);
    let identity_column = identity.column(kind);
    // Pages read while objects are created may repeat one; keep each id once, in id order.
    let objects: BTreeMap<u64, RemoteObject> = objects
        .into_iter()
        .map(|object| (object.id, object))
        .collect();
    let mut without_key = Vec::new();
    let mut invalid_keys = Vec::new();
    let mut by_key: BTreeMap<String, Vec<RemoteObject>> = BTreeMap::new();
    for object in objects.into_values() {
        match object.fields.get(&identity_column.field) {
            // A duplicate soarform retired (`KEY#duplicate-of-ID`): its own bookkeeping, closed.
            Some(Value::String(key)) if crate::plan::is_retired_identity(key) => {}
            None | Some(Value::Null) => without_key.push(object.id),
            Some(Value::String(key)) if key.is_empty() => without_key.push(object.id),
            Some(Value::String(key)) if crate::manifest::is_valid_key(key) => {
                by_key.entry(key.clone()).or_default().push(object)
            }
            Some(other) => invalid_keys.push(format!("id {} (`{}`)", object.id, shown(other))),
        }
    }
    let mut built = BuiltDocuments::default();
    let plural = plural_noun(kind);
    let identity_name = format!("`{}` ({})", identity_column.label, identity_column.field);
    if !without_key.is_empty() {
        built.skipped += without_key.len();
        built.warnings.push(key_warning(
            kind,
            without_key.len(),
            "no key",
            &identity_name,
            id_list(&without_key),
            format!("soarform finds {plural} by that field: set it in Cloud SOAR to a key (letters, digits, `.`, `_`, `/` and `-`), then export again"),
        ));
    }
    if !invalid_keys.is_empty() {
        built.skipped += invalid_keys.len();
        built.warnings.push(key_warning(
            kind,
            invalid_keys.len(),
            "an invalid key",
            &identity_name,
            capped_list(&invalid_keys),
            format!("keys are letters, digits, `.`, `_`, `/` and `-`, start with a letter or digit and are at most {MAX_KEY_LENGTH} characters long: change the field in Cloud SOAR, then export again"),
        ));
    }
    let mut duplicates = Vec::new();
    let mut without_template = Vec::new();
    let mut field_problems: BTreeMap<(FieldProblem, String), Vec<String>> = BTreeMap::new();
    for (key, mut objects) in by_key {
        if objects.len() > 1 {
            let ids: Vec<u64> = objects.iter().map(|object| object.id).collect();
            built.skipped += ids.len();
            duplicates.push(format!("`{key}` ({})", id_list(&ids)));
            continue;
        }
        let Some(object) = objects.pop() else {
            continue;
        };
        let template = match kind {
            Kind::TriageItem => None,
            Kind::Incident => {
                let found = object.template.as_deref().and_then(|name| {
                    catalog
                        .template(&TemplateRef::Name(name.to_string()))
                        .ok()
                        .map(|template| template.name.clone())
                });
                if found.is_none() {
                    built.skipped += 1;
                    let shown_template = object
                        .template
                        .as_deref()
                        .map_or_else(|| "none".to_string(), |name| format!("`{name}`"));
                    without_template.push(format!(
                        "`{key}` (id {}, template {shown_template})",
                        object.id
                    ));
                    continue;
                }
                found
            }
        };
        let mut fields = Vec::new();
        for column in columns.all() {
            if column.field == identity_column.field
                || omit.contains(kind, &column.field)
                || SERVER_MANAGED_FIELDS.contains(&column.field.as_str())
            {
                continue;
            }
            let Some(raw) = object.fields.get(&column.field) else {
                continue;
            };
            match exported_value(column, raw) {
                Ok(Some(value)) => fields.push((written_name(column, columns), value)),
                Ok(None) => {}
                Err(problem) => field_problems
                    .entry((problem, column.label.clone()))
                    .or_default()
                    .push(format!("`{key}`")),
            }
        }
        for name in object.fields.keys() {
            if columns.all().iter().all(|column| &column.field != name)
                && !SERVER_MANAGED_FIELDS.contains(&name.as_str())
            {
                tracing::debug!(
                    "{} `{key}`: field `{name}` is not in the catalog; not exported",
                    kind.noun()
                );
            }
        }
        built.documents.push(Exportable {
            kind,
            folder: type_folder(kind, &object, columns),
            remote_id: object.id,
            document: CanonicalDocument {
                kind: kind.document_name().to_string(),
                key: key.clone(),
                template: template.map(Value::String),
                extends: None,
                ignore_changes: Vec::new(),
                fields,
            },
            key,
        });
    }
    if !duplicates.is_empty() {
        built.warnings.push(Warning {
            message: format!(
                "keys carried by more than one {} were not exported: {}",
                kind.noun(),
                capped_list(&duplicates)
            ),
            hint: Some(format!(
                "plan refuses keys it cannot tell apart: clear {identity_name} of the duplicates you do not want managed, then export again"
            )),
        });
    }
    if !without_template.is_empty() {
        built.warnings.push(Warning {
            message: format!(
                "{} without a template of the catalog {} not exported: {}",
                count_noun(without_template.len(), kind),
                if without_template.len() == 1 { "was" } else { "were" },
                capped_list(&without_template)
            ),
            hint: Some(
                "documents of incidents need `template:`; check the incident templates of the tenant (`GET incident_templates/`)"
                    .into(),
            ),
        });
    }
    for ((problem, label), keys) in field_problems {
        built.warnings.push(Warning {
            message: format!(
                "left out `{label}` of {} {}: {}",
                plural_or_single(keys.len(), kind),
                capped_list(&keys),
                problem.reason()
            ),
            hint: Some(format!(
                "the {} {} exported without it; declare it by hand if soarform should manage it",
                plural_or_single(keys.len(), kind),
                if keys.len() == 1 { "was" } else { "were" }
            )),
        });
    }
    built
}

/// The warning for `count` objects left out because of what their identity field holds.
fn key_warning(
    kind: Kind,
    count: usize,
    problem: &str,
    identity_name: &str,
    listed: String,
    hint: String,
) -> Warning {
    let one = count == 1;
    Warning {
        message: format!(
            "{} {} {problem} in {identity_name} and {} not exported: {listed}",
            count_noun(count, kind),
            if one { "has" } else { "have" },
            if one { "was" } else { "were" },
        ),
        hint: Some(hint),
    }
}

/// The value to write for a live field value, `None` when empty; only values that a plan reads
/// back as the live value are written.
fn exported_value(
    column: &Column,
    raw: &Value,
) -> std::result::Result<Option<Value>, FieldProblem> {
    let value = match (&column.column_type, raw) {
        (_, Value::Null) => return Ok(None),
        (_, Value::String(text)) if text.is_empty() => return Ok(None),
        (_, Value::Array(_) | Value::Object(_)) => return Err(FieldProblem::NotScalar),
        // Reads return display strings; an id (some deployments) is mapped to its name.
        (ColumnType::Select, _) => match normalize::observed(column, Some(raw)) {
            Normalized::Choice { id: Some(_), name } => Value::String(name),
            _ => return Err(FieldProblem::NotAnOption),
        },
        (ColumnType::Number, Value::Number(number)) => number_value(number.as_f64(), raw),
        (ColumnType::Number, Value::String(text)) => number_value(text.trim().parse().ok(), raw),
        // The server may answer with `\r\n`; files hold `\n`, which plans compare equal.
        (_, Value::String(text)) if column.column_type != ColumnType::Datetime => {
            Value::String(normalize::normalize_newlines(text))
        }
        (ColumnType::Text | ColumnType::Textarea, other) => Value::String(other.to_string()),
        // In UTC with a `Z`, as people write them (`2026-11-20T09:00:00Z`), whatever offset and
        // precision the server answers with: the same instant, so plans compare it equal.
        (ColumnType::Datetime, Value::String(text)) => match normalize::parse_instant(text) {
            Some(instant) => Value::String(normalize::format_instant(&instant)),
            None => raw.clone(),
        },
        _ => raw.clone(),
    };
    let reads_back = normalize::desired(column, &value)
        .is_ok_and(|desired| desired.normalized == normalize::observed(column, Some(raw)));
    if reads_back {
        Ok(Some(value))
    } else {
        Err(FieldProblem::NoRoundTrip)
    }
}

/// A whole number as an integer (`250000`, not `250000.0`); other numbers as they are.
fn number_value(number: Option<f64>, raw: &Value) -> Value {
    const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0; // 2^53
    match number {
        Some(number) if number.fract() == 0.0 && number.abs() < EXACT_INTEGERS => {
            // Exact: the number is whole and within the range f64 holds exactly.
            Value::from(number as i64)
        }
        Some(number) => {
            serde_json::Number::from_f64(number).map_or_else(|| raw.clone(), Value::Number)
        }
        None => raw.clone(),
    }
}

/// The name a document uses for a column: custom fields (`opt_N`) by label, standard fields by API
/// name; the API name also when the label could name another column.
fn written_name(column: &Column, columns: &Columns) -> String {
    let label = column.label.as_str();
    let is_custom = column.field.strip_prefix("opt_").is_some_and(|number| {
        !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit())
    });
    if !is_custom || label.trim().is_empty() {
        return column.field.clone();
    }
    let ambiguous = columns.all().iter().any(|other| {
        other.field != column.field
            && (other.label.eq_ignore_ascii_case(label) || other.field.eq_ignore_ascii_case(label))
    });
    let resolves_here = columns
        .find(label)
        .is_some_and(|found| found.field == column.field);
    if ambiguous || !resolves_here {
        column.field.clone()
    } else {
        label.to_string()
    }
}

/// The folder of an object: the slug of its incident kind (`incident_kind`) or triage type
/// (`type`), or [`UNTYPED_FOLDER`].
fn type_folder(kind: Kind, object: &RemoteObject, columns: &Columns) -> String {
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
pub fn slug(text: &str) -> String {
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
pub fn kind_folder(kind: Kind) -> &'static str {
    match kind {
        Kind::Incident => "incidents",
        Kind::TriageItem => "triage",
    }
}

/// Renders the documents and gives each a path; paths that collide (ignoring case) get the first
/// hex digits of their key's SHA-256, so every name depends only on the set of keys.
fn assign_paths(mut documents: Vec<Exportable>) -> Result<Vec<ExportedFile>> {
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
pub fn output_path(out: &Path, relative: &Path) -> PathBuf {
    if out == Path::new(".") || out.as_os_str().is_empty() {
        relative.to_path_buf()
    } else {
        out.join(relative)
    }
}

/// Where documents under `out` already declare keys: (kind, key) -> (file, how many documents the
/// file holds). Hidden entries and project files are skipped; a file that does not parse declares
/// nothing here (plan and validate report it).
fn declared_under(
    out: &Path,
    options: &crate::manifest::LoadOptions,
) -> HashMap<(Kind, String), (PathBuf, usize)> {
    let mut declared = HashMap::new();
    // The files `plan` would read there; a missing `out` simply declares nothing yet.
    let found = crate::manifest::find_files(
        &[out.to_path_buf()],
        &options.exclude_file_names,
        &options.exclude,
    );
    for file in &found.files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let parsed = crate::manifest::yaml::parse(file, &text);
        let count = parsed.documents.len();
        for document in &parsed.documents {
            let text_of = |key: &str| {
                document
                    .root
                    .get(key)
                    .and_then(|entry| entry.value.as_str())
            };
            let kind = match text_of("kind") {
                Some("Incident") => Kind::Incident,
                Some("TriageItem") => Kind::TriageItem,
                _ => continue,
            };
            if let Some(key) = text_of("key") {
                declared
                    .entry((kind, key.to_string()))
                    .or_insert_with(|| (file.clone(), count));
            }
        }
    }
    declared
}

/// The path each file is written to: its own, or with `force` the existing one-document file
/// that already declares its key (so a re-export updates files wherever the repository keeps
/// them). A key already declared elsewhere is an error without `force`, and with it when that
/// file holds other documents too: writing both would declare the key twice.
fn targets(
    out: &Path,
    files: &[ExportedFile],
    force: bool,
    options: &crate::manifest::LoadOptions,
) -> Result<Vec<PathBuf>> {
    let declared = declared_under(out, options);
    let mut targets = Vec::with_capacity(files.len());
    let mut problems = Vec::new();
    for file in files {
        let own = output_path(out, &file.path);
        let target = match declared.get(&(file.kind, file.key.clone())) {
            Some((existing, _)) if same_file(existing, &own) => own,
            Some((existing, 1)) if force => existing.clone(),
            Some((existing, _)) => {
                problems.push(format!(
                    "  {} `{}` is declared in {} (export would write {})",
                    file.kind,
                    file.key,
                    existing.display(),
                    own.display()
                ));
                own
            }
            None => own,
        };
        targets.push(target);
    }
    if problems.is_empty() {
        return Ok(targets);
    }
    let count = problems.len();
    problems.truncate(LISTED_NAMES);
    let mut message = format!(
        "{count} exported {} already declared elsewhere under `{}`; nothing was written\n{}",
        if count == 1 { "key is" } else { "keys are" },
        out.display(),
        problems.join("\n")
    );
    if count > LISTED_NAMES {
        message.push_str(&format!("\n  and {} more", count - LISTED_NAMES));
    }
    Err(Error::with_hint(
        message,
        if force {
            "those files hold other documents too: move the documents of these keys into files of their own, or export to another directory with `--out DIR`"
        } else {
            "pass `--force` to update those files where they are, or export to another directory with `--out DIR`"
        },
    ))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Writes every file under `out`, each atomically (a temporary file renamed into place), calling
/// `on_written` after each. Nothing is written when any path would leave `out` through a symbolic
/// link, is too long for the file system, or meets something in the way (every path is checked
/// first); without `force`, nor when any of them exists, or when a document under `out` already
/// declares one of the keys in another file.
pub fn write(
    out: &Path,
    files: &[ExportedFile],
    force: bool,
    options: &crate::manifest::LoadOptions,
    mut on_written: impl FnMut(&Path),
) -> Result<()> {
    let targets = targets(out, files, force, options)?;
    check_targets(out, &targets)?;
    if !force {
        let existing: Vec<&PathBuf> = targets
            .iter()
            .filter(|path| path.symlink_metadata().is_ok())
            .collect();
        if !existing.is_empty() {
            let shown: Vec<String> = existing
                .iter()
                .take(LISTED_NAMES)
                .map(|path| format!("  {}", path.display()))
                .collect();
            let verb = if existing.len() == 1 {
                "exists"
            } else {
                "exist"
            };
            let counted = match (existing.len(), files.len()) {
                (1, 1) => "the file to export".to_string(),
                (count, total) if count == total => format!("all {total} files to export"),
                (count, total) => format!("{count} of the {total} files to export"),
            };
            let mut message = format!(
                "{counted} already {verb}; nothing was written\n{}",
                shown.join("\n")
            );
            if existing.len() > LISTED_NAMES {
                message.push_str(&format!("\n  and {} more", existing.len() - LISTED_NAMES));
            }
            return Err(Error::with_hint(
                message,
                "pass `--force` to overwrite them, or export to another directory with `--out DIR`",
            ));
        }
    }
    for (file, path) in files.iter().zip(&targets) {
        // Checked again just before the write: a link put on the way since is still refused.
        let real = crate::files::confined(out, path).map_err(|problem| {
            Error::with_hint(
                format!(
                    "refusing to write `{}`: {problem}; the files listed before it were written",
                    path.display()
                ),
                unsafe_hint(&problem),
            )
        })?;
        write_atomically(&real, path, &file.text)?;
        on_written(path);
    }
    Ok(())
}

/// Refuses, before anything is written, a target that would land outside `out` (through a
/// symbolic link, or a link to nothing), whose name or path is too long for the file system,
/// that has a file where a folder must be (or a folder where the file goes), or that is the same
/// file as another target.
fn check_targets(out: &Path, targets: &[PathBuf]) -> Result<()> {
    let mut problems: Vec<String> = Vec::new();
    let mut hint = None;
    let mut seen: HashMap<PathBuf, &PathBuf> = HashMap::new();
    for target in targets {
        match crate::files::confined(out, target) {
            Ok(real) => match seen.entry(real) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    problems.push(format!(
                        "`{}` and `{}` are the same file",
                        first.get().display(),
                        target.display()
                    ));
                    hint.get_or_insert("two exported objects would share one file: give the documents of these keys files of their own, or export to another directory with `--out DIR`");
                }
                std::collections::hash_map::Entry::Vacant(entry) => {
                    entry.insert(target);
                }
            },
            Err(problem) => {
                // Every file under a folder that leads outside has the same problem: say it once.
                let text = problem.to_string();
                if !problems.contains(&text) {
                    problems.push(text);
                }
                hint.get_or_insert(unsafe_hint(&problem));
            }
        }
    }
    let Some(hint) = hint else {
        return Ok(());
    };
    let count = problems.len();
    problems.truncate(LISTED_NAMES);
    let listed: Vec<String> = problems
        .iter()
        .map(|problem| format!("  {problem}"))
        .collect();
    let mut message = format!(
        "cannot write the export under `{}`; nothing was written\n{}",
        out.display(),
        listed.join("\n")
    );
    if count > LISTED_NAMES {
        message.push_str(&format!("\n  and {} more", count - LISTED_NAMES));
    }
    Err(Error::with_hint(message, hint))
}

/// What to do about a path export may not write.
fn unsafe_hint(problem: &crate::files::UnsafePath) -> &'static str {
    if problem.is_link() {
        "export writes only inside `--out` (links are followed only where they stay inside): remove the link, or export to another directory with `--out DIR`"
    } else if problem.is_length() {
        "export to a directory with a shorter path (`--out DIR`)"
    } else {
        "move what is in the way, or export to another directory with `--out DIR`"
    }
}

/// Writes `text` to `real` (where `path` leads) through a temporary file renamed into place, so
/// that a failure never leaves half a file behind; errors name `path`.
fn write_atomically(real: &Path, path: &Path, text: &str) -> Result<()> {
    crate::files::write_atomically(real, text)
        .map_err(|error| Error::caused_by(format!("cannot write `{}`", path.display()), &error))
}

/// `3 incidents`, `1 triage item`.
pub fn count_noun(count: usize, kind: Kind) -> String {
    format!("{count} {}", plural_or_single(count, kind))
}

fn plural_or_single(count: usize, kind: Kind) -> String {
    if count == 1 {
        kind.noun().to_string()
    } else {
        plural_noun(kind)
    }
}

fn plural_noun(kind: Kind) -> String {
    format!("{}s", kind.noun())
}

/// `id 4`, `ids 4 and 5`.
fn id_list(ids: &[u64]) -> String {
    let listed: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!(
        "{} {}",
        if ids.len() == 1 { "id" } else { "ids" },
        capped_list(&listed)
    )
}

/// `a, b and c`, or the first [`LISTED_NAMES`] and `and N more`.
fn capped_list(items: &[String]) -> String {
    let shown = &items[..items.len().min(LISTED_NAMES)];
    let rest = items.len() - shown.len();
    match (shown, rest) {
        ([], _) => String::new(),
        ([one], 0) => one.clone(),
        (_, 0) => format!(
            "{} and {}",
            shown[..shown.len() - 1].join(", "),
            shown[shown.len() - 1]
        ),
        (_, rest) => format!("{} and {rest} more", shown.join(", ")),
    }
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    quoted.join(", ")
}

/// A value from the server as a warning may quote it (control characters escaped).
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => crate::plan::shown(text),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog() -> Catalog {
        let incident = json!([
            {"field": "incidentid", "label": "Incident ID", "type": "text"},
            {"field": "description", "label": "Description", "type": "textarea"},
            {"field": "starttime", "label": "Start time", "type": "datetime"},
            {"field": "incident_kind", "label": "Kind", "type": "select",
             "options": [{"id": 1, "value": "Phishing"}, {"id": 3, "value": "Suspicious login"}]},
            {"field": "status", "label": "Status", "type": "select",
             "options": [{"id": 1, "value": "Open"}, {"id": 2, "value": "In progress"}]},
            {"field": "opt_3", "label": "Business unit", "type": "text"},
            {"field": "opt_5", "label": "Estimated loss (USD)", "type": "number"},
            {"field": "opt_7", "label": "status", "type": "text"},
            {"field": "opt_8", "label": "Twin", "type": "text"},
            {"field": "opt_9", "label": "twin", "type": "text"},
            {"field": "created_by", "label": "Created by", "type": "text"}
        ]);
        let triage = json!([
            {"field": "type", "label": "Type", "type": "select",
             "options": [{"id": 1, "value": "Suspicious login"}]},
            {"field": "status", "label": "Status", "type": "select",
             "options": [{"id": 1, "value": "New"}, {"id": 2, "value": "In progress"}]},
            {"field": "opt_1", "label": "Source reference", "type": "text"},
            {"field": "opt_2", "label": "Reporter", "type": "text"},
            {"field": "opt_3", "label": "Business unit", "type": "text"}
        ]);
        Catalog {
            templates: vec![crate::catalog::Template {
                id: 1,
                name: "Phishing".into(),
            }],
            incident_columns: Columns::new(serde_json::from_value(incident).unwrap()),
            triage_columns: Columns::new(serde_json::from_value(triage).unwrap()),
        }
    }

    fn identity(catalog: &Catalog) -> Identity {
        Identity::resolve(catalog, None, None).unwrap()
    }

    fn incident(id: u64, fields: Value) -> RemoteObject {
        RemoteObject::from_json(&json!({
            "id": id,
            "template": {"name": "Template", "value": "Phishing"},
            "created_by": "api",
            "fields": fields
        }))
        .unwrap()
    }

    fn filters(query: &str, kinds: &[Kind]) -> Result<Vec<(Kind, KindFilter)>> {
        kind_filters(Some(query), kinds, &catalog())
    }

    fn message(error: Error) -> String {
        error.render(false)
    }

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

    #[test]
    fn keys_follow_the_document_pattern() {
        assert!(crate::manifest::is_valid_key("phishing/ceo-wire-fraud"));
        assert!(crate::manifest::is_valid_key("INC-0042"));
        assert!(!crate::manifest::is_valid_key("has space"));
        assert!(!crate::manifest::is_valid_key("/leading"));
        assert!(!crate::manifest::is_valid_key("a*"));
        assert!(!crate::manifest::is_valid_key(""));
        assert!(!crate::manifest::is_valid_key(
            &"a".repeat(MAX_KEY_LENGTH + 1)
        ));
        assert!(crate::manifest::is_valid_key(&"a".repeat(MAX_KEY_LENGTH)));
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
    fn filter_labels_become_api_names_per_kind() {
        let both = [Kind::Incident, Kind::TriageItem];
        assert_eq!(
            filters(r#"Business unit:"Fin*" OR status:"Open""#, &both).unwrap(),
            vec![
                (
                    Kind::Incident,
                    KindFilter::Search(r#"opt_3:"Fin*" OR status:"Open""#.into())
                ),
                (
                    Kind::TriageItem,
                    KindFilter::Search(r#"opt_3:"Fin*" OR status:"Open""#.into())
                ),
            ]
        );
        // A term on a field one kind lacks can match none of its objects.
        assert_eq!(
            filters(r#"Kind:"Phishing" OR Reporter:"a\"b\\""#, &both).unwrap(),
            vec![
                (
                    Kind::Incident,
                    KindFilter::Search(r#"incident_kind:"Phishing""#.into())
                ),
                (
                    Kind::TriageItem,
                    KindFilter::Search(r#"opt_2:"a\"b\\""#.into())
                ),
            ]
        );
        assert_eq!(
            filters(r#"incident_kind : "Phishing""#, &both).unwrap()[1],
            (
                Kind::TriageItem,
                KindFilter::Unmatchable {
                    fields: vec!["incident_kind".into()]
                }
            )
        );
        assert_eq!(
            filters("  ", &both).unwrap()[0],
            (Kind::Incident, KindFilter::Search(String::new()))
        );
        assert_eq!(
            kind_filters(None, &[Kind::TriageItem], &catalog()).unwrap(),
            vec![(Kind::TriageItem, KindFilter::Search(String::new()))]
        );
    }

    #[test]
    fn unknown_filter_fields_name_the_closest() {
        let error = message(filters(r#"Busines unit:"Finance""#, &[Kind::TriageItem]).unwrap_err());
        assert!(
            error.starts_with(
                "error: `--filter`: unknown triage item field `Busines unit`; did you mean `Business unit`?"
            ),
            "{error}"
        );
        // Known to incidents only, but only triage items are exported.
        let error =
            message(filters(r#"incident_kind:"Phishing""#, &[Kind::TriageItem]).unwrap_err());
        assert!(
            error.contains("unknown triage item field `incident_kind`"),
            "{error}"
        );
        let error = message(
            filters(
                r#"nope:"x" OR Reporterr:"y""#,
                &[Kind::Incident, Kind::TriageItem],
            )
            .unwrap_err(),
        );
        assert!(error.contains("`--filter` names unknown fields:\n  unknown incident or triage item field `nope`\n  unknown incident or triage item field `Reporterr`; did you mean `Reporter`?"), "{error}");
    }

    #[test]
    fn malformed_filters_say_where() {
        let invalid = |query: &str| match filters(query, &[Kind::Incident]) {
            Ok(found) => panic!("`{query}` parsed as {found:?}"),
            Err(error) => message(error)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        let problems = [
            ("status", "expected `:` after field `status` at character 7"),
            (
                r#"status:Open"#,
                "expected a quoted value after `status:` at character 8",
            ),
            (
                r#"status:"Open"#,
                "unterminated quoted value for `status` at character 8",
            ),
            (
                r#"status:"Open" AND x:"y""#,
                "expected `OR` between terms, found `AND` at character 15",
            ),
            (
                r#"status:"Open" OR"#,
                "expected whitespace after `OR` at character 17",
            ),
            (
                r#"status:"Open" OR "#,
                "expected a field name, found the end of the filter at character 18",
            ),
            (r#":"x""#, "expected a field name, found `:` at character 1"),
            (
                r#"a:"\n""#,
                r#"unsupported escape `\n` (only `\"` and `\\` are allowed) at character 4"#,
            ),
        ];
        for (query, problem) in problems {
            assert_eq!(
                invalid(query),
                format!("error: invalid `--filter`: {problem}"),
                "{query}"
            );
        }
    }

    #[test]
    fn custom_fields_by_label_unless_ambiguous() {
        let catalog = catalog();
        let columns = catalog.columns(Kind::Incident);
        let name = |field: &str| {
            let column = columns
                .all()
                .iter()
                .find(|column| column.field == field)
                .unwrap();
            written_name(column, columns)
        };
        assert_eq!(name("opt_3"), "Business unit");
        assert_eq!(name("status"), "status");
        // `status` is another column's API name; `Twin` and `twin` name each other.
        assert_eq!(name("opt_7"), "opt_7");
        assert_eq!(name("opt_8"), "opt_8");
        assert_eq!(name("opt_9"), "opt_9");
    }

    #[test]
    fn values_are_written_as_plans_read_them_back() {
        let catalog = catalog();
        let columns = catalog.columns(Kind::Incident);
        let column = |field: &str| {
            columns
                .all()
                .iter()
                .find(|column| column.field == field)
                .unwrap()
        };
        let value = |field: &str, raw: Value| exported_value(column(field), &raw);
        assert_eq!(value("status", json!("Open")), Ok(Some(json!("Open"))));
        assert_eq!(value("status", json!(2)), Ok(Some(json!("In progress"))));
        assert_eq!(
            value("status", json!("Weird")),
            Err(FieldProblem::NotAnOption)
        );
        assert_eq!(value("opt_3", json!("0042")), Ok(Some(json!("0042"))));
        assert_eq!(value("opt_3", json!(42)), Ok(Some(json!("42"))));
        assert_eq!(value("opt_3", json!("")), Ok(None));
        assert_eq!(value("opt_3", Value::Null), Ok(None));
        assert_eq!(value("opt_3", json!(["a"])), Err(FieldProblem::NotScalar));
        assert_eq!(
            value("description", json!("one\r\ntwo\r\n")),
            Ok(Some(json!("one\ntwo\n")))
        );
        assert_eq!(value("opt_5", json!(250000.0)), Ok(Some(json!(250000))));
        assert_eq!(value("opt_5", json!(12.5)), Ok(Some(json!(12.5))));
        assert_eq!(
            value("opt_5", json!("lots")),
            Err(FieldProblem::NoRoundTrip)
        );
        assert_eq!(
            value("starttime", json!("2026-11-20T10:00:00.000000+01:00")),
            Ok(Some(json!("2026-11-20T09:00:00Z")))
        );
        assert_eq!(
            value("starttime", json!("2026-11-20 09:00:00")),
            Ok(Some(json!("2026-11-20T09:00:00Z")))
        );
        assert_eq!(
            value("starttime", json!("soon")),
            Err(FieldProblem::NoRoundTrip)
        );
    }

    #[test]
    fn documents_leave_out_what_cannot_be_managed() {
        let catalog = catalog();
        let identity = identity(&catalog);
        let mut omit = FieldNames::default();
        omit.insert(Kind::Incident, "opt_5".into());
        let objects = vec![
            incident(
                3,
                json!({"incidentid": "b/two", "status": {"name": "Status", "value": "Open"},
                       "opt_3": "Finance", "opt_5": 3.0, "created_by": "api", "mystery": 1}),
            ),
            incident(1, json!({"incidentid": "", "status": "Open"})),
            incident(2, json!({"status": "Open"})),
            incident(4, json!({"incidentid": "dup", "status": "Open"})),
            incident(5, json!({"incidentid": "dup", "status": "Open"})),
            incident(6, json!({"incidentid": "has space"})),
            incident(
                7,
                json!({"incidentid": "a/one", "status": "Weird", "incident_kind": "Suspicious login"}),
            ),
            incident(3, json!({"incidentid": "b/two", "status": "Open"})),
        ];
        let built = build_documents(Kind::Incident, objects, &catalog, &identity, &omit);
        let keys: Vec<(&str, &str)> = built
            .documents
            .iter()
            .map(|document| (document.key.as_str(), document.folder.as_str()))
            .collect();
        assert_eq!(
            keys,
            vec![("a/one", "suspicious-login"), ("b/two", "untyped")]
        );
        assert_eq!(built.skipped, 5);
        let two = &built.documents[1].document;
        assert_eq!(two.template, Some(json!("Phishing")));
        // The later copy of id 3 (a repeated page) is the one kept.
        assert_eq!(two.fields, vec![("status".to_string(), json!("Open"))]);
        let warnings: Vec<String> = built.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            vec![
                "warning: 2 incidents have no key in `Incident ID` (incidentid) and were not exported: ids 1 and 2\nhint: soarform finds incidents by that field: set it in Cloud SOAR to a key (letters, digits, `.`, `_`, `/` and `-`), then export again\n".to_string(),
                "warning: 1 incident has an invalid key in `Incident ID` (incidentid) and was not exported: id 6 (`has space`)\nhint: keys are letters, digits, `.`, `_`, `/` and `-`, start with a letter or digit and are at most 200 characters long: change the field in Cloud SOAR, then export again\n".to_string(),
                "warning: keys carried by more than one incident were not exported: `dup` (ids 4 and 5)\nhint: plan refuses keys it cannot tell apart: clear `Incident ID` (incidentid) of the duplicates you do not want managed, then export again\n".to_string(),
                "warning: left out `Status` of incident `a/one`: the value is not one of the field's options in the catalog\nhint: the incident was exported without it; declare it by hand if soarform should manage it\n".to_string(),
            ]
        );
    }

    #[test]
    fn incidents_need_a_known_template() {
        let catalog = catalog();
        let identity = identity(&catalog);
        let mut unknown = incident(1, json!({"incidentid": "a"}));
        unknown.template = Some("Gone".into());
        let mut none = incident(2, json!({"incidentid": "b"}));
        none.template = None;
        let built = build_documents(
            Kind::Incident,
            vec![unknown, none],
            &catalog,
            &identity,
            &FieldNames::default(),
        );
        assert!(built.documents.is_empty());
        assert_eq!(built.skipped, 2);
        assert_eq!(
            built.warnings[0].message,
            "2 incidents without a template of the catalog were not exported: `a` (id 1, template `Gone`) and `b` (id 2, template none)"
        );
    }

    #[test]
    fn lists_are_capped() {
        let items: Vec<String> = (1..=12).map(|number| number.to_string()).collect();
        assert_eq!(capped_list(&items[..1]), "1");
        assert_eq!(capped_list(&items[..3]), "1, 2 and 3");
        assert_eq!(
            capped_list(&items),
            "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"
        );
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
