//! The simulator's objects: incidents and triage items with typed field values, id allocation,
//! the read shape, searching (through the search index of `index.rs` where a filter allows), and
//! the state file's snapshot (its journal is `journal.rs`).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::catalog::{self, Column, ColumnType};
use super::config::ReadShape;
use super::filter::Filter;
use super::index::Index;
use crate::kind::Kind;

/// The first id given to an incident in an empty store.
const FIRST_INCIDENT_ID: u64 = 101;
/// The first id given to a triage item in an empty store; far from incident ids so that a client
/// mixing up the two kinds gets a 404 rather than the wrong object.
const FIRST_TRIAGE_ID: u64 = 5001;
/// The version written into state files.
const STATE_FILE_VERSION: u32 = 1;

/// A stored field value, already validated against its column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FieldValue {
    /// A text value; textarea values are kept with `\r\n` line endings.
    Text(String),
    /// A select value, by option id.
    #[serde(rename = "option")]
    SelectOption(u64),
    /// A datetime value, truncated to microseconds.
    Instant(DateTime<Utc>),
    /// A number value.
    Number(f64),
    /// The values of a multi-value field: option ids or tags, in the order written.
    List(Vec<FieldValue>),
}

impl FieldValue {
    /// Validates a value written to `column` (`null` is handled by the caller).
    pub(crate) fn parse(column: &Column, value: &Value) -> Result<FieldValue, String> {
        match column.column_type {
            ColumnType::Text => match value {
                Value::String(text) => Ok(FieldValue::Text(text.clone())),
                other => Err(format!("expected a string, got {}", describe(other))),
            },
            ColumnType::Textarea => match value {
                Value::String(text) => Ok(FieldValue::Text(crlf_line_endings(text))),
                other => Err(format!("expected a string, got {}", describe(other))),
            },
            ColumnType::Datetime => {
                let Value::String(text) = value else {
                    return Err(format!(
                        "expected an RFC 3339 date-time string such as `2026-11-20T09:00:00Z`, got {}",
                        describe(value)
                    ));
                };
                DateTime::parse_from_rfc3339(text)
                    .map(|instant| FieldValue::Instant(truncate_to_micros(instant.to_utc())))
                    .map_err(|error| {
                        format!(
                            "`{text}` is not an RFC 3339 date-time such as `2026-11-20T09:00:00Z` ({error})"
                        )
                    })
            }
            ColumnType::Select => {
                let Some(id) = value.as_u64() else {
                    return Err(format!(
                        "expected an option id (a JSON integer), got {} (options: {})",
                        describe(value),
                        column.describe_options()
                    ));
                };
                if column.option_value(id).is_none() {
                    return Err(format!(
                        "no option with id {id} (options: {})",
                        column.describe_options()
                    ));
                }
                Ok(FieldValue::SelectOption(id))
            }
            ColumnType::Number => match value.as_f64() {
                Some(number) => Ok(FieldValue::Number(number)),
                None => Err(format!("expected a JSON number, got {}", describe(value))),
            },
            ColumnType::MultiSelect | ColumnType::Tags => {
                let Value::Array(items) = value else {
                    return Err(format!(
                        "expected a list of {}, got {}",
                        if column.column_type == ColumnType::Tags {
                            "strings"
                        } else {
                            "option ids"
                        },
                        describe(value)
                    ));
                };
                items
                    .iter()
                    .map(|item| match (column.column_type, item) {
                        (ColumnType::Tags, Value::String(text)) => {
                            Ok(FieldValue::Text(text.clone()))
                        }
                        (ColumnType::Tags, other) => Err(format!(
                            "expected a list of strings, got {} in it",
                            describe(other)
                        )),
                        (_, item) => match item.as_u64() {
                            Some(id) if column.option_value(id).is_some() => {
                                Ok(FieldValue::SelectOption(id))
                            }
                            _ => Err(format!(
                                "expected a list of option ids, got {} in it (options: {})",
                                describe(item),
                                column.describe_options()
                            )),
                        },
                    })
                    .collect::<Result<Vec<_>, String>>()
                    .map(FieldValue::List)
            }
        }
    }

    /// Whether a stored value fits `column` (used when loading a state file).
    fn check(&self, column: &Column) -> Result<(), String> {
        let fits = match (self, column.column_type) {
            (FieldValue::Text(_), ColumnType::Text | ColumnType::Textarea) => true,
            (FieldValue::Instant(_), ColumnType::Datetime) => true,
            (FieldValue::Number(number), ColumnType::Number) => number.is_finite(),
            (FieldValue::SelectOption(id), ColumnType::Select) => {
                column.option_value(*id).is_some()
            }
            (FieldValue::List(items), ColumnType::Tags) => items
                .iter()
                .all(|item| matches!(item, FieldValue::Text(_))),
            (FieldValue::List(items), ColumnType::MultiSelect) => items.iter().all(|item| {
                matches!(item, FieldValue::SelectOption(id) if column.option_value(*id).is_some())
            }),
            _ => false,
        };
        if fits {
            Ok(())
        } else {
            Err(format!(
                "value {self:?} does not fit a {} column",
                column.column_type.as_str()
            ))
        }
    }

    /// The value as reads return it: display strings, UTC datetimes, floats.
    fn to_json(&self, column: &Column) -> Value {
        match self {
            FieldValue::Text(text) => Value::String(text.clone()),
            FieldValue::SelectOption(id) => match column.option_value(*id) {
                Some(display) => Value::String(display.to_string()),
                None => Value::Null,
            },
            FieldValue::Instant(instant) => Value::String(format_instant(*instant)),
            FieldValue::Number(number) => {
                serde_json::Number::from_f64(*number).map_or(Value::Null, Value::Number)
            }
            FieldValue::List(items) => {
                Value::Array(items.iter().map(|item| item.to_json(column)).collect())
            }
        }
    }

    /// The string filters compare against: the read value as text (a list's values joined
    /// by `, `).
    fn display(&self, column: &Column) -> String {
        match self.to_json(column) {
            Value::String(text) => text,
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_string)
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    }
}

/// One incident or triage item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredObject {
    pub(crate) id: u64,
    /// Incidents only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) template_id: Option<u64>,
    pub(crate) created_by: String,
    pub(crate) creation_date: DateTime<Utc>,
    pub(crate) modified_date: DateTime<Utc>,
    /// Set fields by API name; unset fields are absent.
    pub(crate) fields: BTreeMap<String, FieldValue>,
}

impl StoredObject {
    /// The read shape: fields wrapped (`{"name", "value"}`), at the top level or under `fields`
    /// as `shape` says; with `columns`, only those fields appear.
    pub(crate) fn render(
        &self,
        kind: Kind,
        columns: Option<&[String]>,
        shape: &ReadShape,
    ) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        if let Some(template_id) = self.template_id {
            let name = catalog::template_name(template_id).unwrap_or_default();
            object.insert("template".into(), wrap("Template", json!(name)));
        }
        object.insert(
            "created_by".into(),
            wrap("Created by", json!(self.created_by)),
        );
        object.insert(
            "creation_date".into(),
            wrap("Creation date", json!(format_instant(self.creation_date))),
        );
        object.insert(
            "modified_date".into(),
            wrap("Modified date", json!(format_instant(self.modified_date))),
        );
        let mut fields = Map::new();
        for column in catalog::columns(kind) {
            if columns.is_some_and(|wanted| !wanted.iter().any(|name| name == column.field)) {
                continue;
            }
            let shown = match (self.fields.get(column.field), &shape.dates) {
                // A tenant shows dates in its format and zone, and an unset one as epoch 0.
                (Some(FieldValue::Instant(at)), Some((format, zone))) => {
                    Some(json!(format.show(*at, zone)))
                }
                (None, Some((format, zone))) if column.column_type == ColumnType::Datetime => {
                    Some(json!(format.show(DateTime::UNIX_EPOCH, zone)))
                }
                (Some(value), _) => Some(value.to_json(column)),
                (None, _) => None,
            };
            if let Some(shown) = shown {
                fields.insert(column.field.into(), wrap(column.label, shown));
            }
        }
        if shape.nested {
            object.insert("fields".into(), Value::Object(fields));
        } else {
            object.extend(fields);
        }
        Value::Object(object)
    }

    /// The display value of field `field`, or `None` when it is unset or unknown.
    fn display_value(&self, kind: Kind, field: &str) -> Option<String> {
        let column = catalog::column_named(kind, field)?;
        self.fields.get(field).map(|value| value.display(column))
    }
}

/// Validated field changes of a write: `None` clears the field.
pub(crate) type FieldChanges = Vec<(&'static str, Option<FieldValue>)>;

/// Validates the `fields` object of a write against the columns of `kind`; the error names every
/// bad field and why.
pub(crate) fn parse_field_changes(
    kind: Kind,
    fields: &Map<String, Value>,
) -> Result<FieldChanges, String> {
    let mut changes = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in fields {
        let Some(column) = catalog::column_named(kind, name) else {
            problems.push(format!(
                "unknown field `{name}` (field keys are API names: {})",
                catalog::describe_fields(kind)
            ));
            continue;
        };
        if value.is_null() {
            changes.push((column.field, None));
            continue;
        }
        match FieldValue::parse(column, value) {
            Ok(parsed) => changes.push((column.field, Some(parsed))),
            Err(problem) => problems.push(format!(
                "field `{name}` ({}): {problem}",
                column.column_type.as_str()
            )),
        }
    }
    if problems.is_empty() {
        Ok(changes)
    } else {
        Err(problems.join("; "))
    }
}

/// The objects of one kind, the next id to give out, and the search index over them.
#[derive(Debug, Clone)]
struct Collection {
    objects: BTreeMap<u64, StoredObject>,
    next_id: u64,
    /// Always what [`Collection::objects`] show: every insertion and removal goes through
    /// [`Collection::put`] and [`Collection::take`].
    index: Index,
}

impl Collection {
    fn new(next_id: u64) -> Collection {
        Collection {
            objects: BTreeMap::new(),
            next_id,
            index: Index::default(),
        }
    }

    /// Stores `object` (indexed), replacing and unindexing the one with its id, and returns it.
    fn put(&mut self, kind: Kind, object: StoredObject) -> Option<StoredObject> {
        let previous = self.take(kind, object.id);
        for (field, value) in &object.fields {
            if let Some(column) = catalog::column_named(kind, field) {
                self.index.insert(field, value.display(column), object.id);
            }
        }
        self.objects.insert(object.id, object);
        previous
    }

    /// Removes object `id` and its index entries.
    fn take(&mut self, kind: Kind, id: u64) -> Option<StoredObject> {
        let object = self.objects.remove(&id)?;
        for (field, value) in &object.fields {
            if let Some(column) = catalog::column_named(kind, field) {
                self.index.remove(field, &value.display(column), id);
            }
        }
        Some(object)
    }
}

/// Every object the simulator holds, and what the write in progress changed.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    incidents: Collection,
    triage_items: Collection,
    /// The objects changed since [`Store::take_changes`] was last called, oldest first.
    changes: Vec<Change>,
}

/// One object a write created or updated, with what is needed to undo it.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub(crate) kind: Kind,
    pub(crate) id: u64,
    /// The object before the change; `None` for a create.
    before: Option<StoredObject>,
    /// The collection's next id before the change.
    next_id_before: u64,
}

/// Two stores are equal when they hold the same objects and would give out the same ids (the
/// index follows from the objects; pending changes are not content).
impl PartialEq for Store {
    fn eq(&self, other: &Store) -> bool {
        [Kind::Incident, Kind::TriageItem].into_iter().all(|kind| {
            let (mine, theirs) = (self.collection(kind), other.collection(kind));
            mine.objects == theirs.objects && mine.next_id == theirs.next_id
        })
    }
}

/// The state file's JSON, as read.
#[derive(Deserialize)]
struct StateFile {
    version: u32,
    next_incident_id: u64,
    next_triage_id: u64,
    incidents: Vec<StoredObject>,
    triage_items: Vec<StoredObject>,
}

/// The state file's JSON, as written: [`StateFile`] borrowing the objects instead of copying them.
#[derive(Serialize)]
struct StateFileOut<'store> {
    version: u32,
    next_incident_id: u64,
    next_triage_id: u64,
    incidents: Vec<&'store StoredObject>,
    triage_items: Vec<&'store StoredObject>,
}

impl Default for Store {
    fn default() -> Store {
        Store::new()
    }
}

impl Store {
    /// An empty store.
    pub(crate) fn new() -> Store {
        Store {
            incidents: Collection::new(FIRST_INCIDENT_ID),
            triage_items: Collection::new(FIRST_TRIAGE_ID),
            changes: Vec::new(),
        }
    }

    fn collection(&self, kind: Kind) -> &Collection {
        match kind {
            Kind::Incident => &self.incidents,
            Kind::TriageItem => &self.triage_items,
        }
    }

    fn collection_mut(&mut self, kind: Kind) -> &mut Collection {
        match kind {
            Kind::Incident => &mut self.incidents,
            Kind::TriageItem => &mut self.triage_items,
        }
    }

    /// Creates an object from validated fields and returns its id. `template_id` must be a
    /// template of the catalog for incidents and `None` for triage items.
    pub(crate) fn create(
        &mut self,
        kind: Kind,
        template_id: Option<u64>,
        changes: FieldChanges,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> u64 {
        let now = truncate_to_micros(now);
        let collection = self.collection_mut(kind);
        let id = collection.next_id;
        let next_id_before = collection.next_id;
        collection.next_id += 1;
        let fields = changes
            .into_iter()
            .filter_map(|(field, value)| Some((field.to_string(), value?)))
            .collect();
        let before = collection.put(
            kind,
            StoredObject {
                id,
                template_id,
                created_by: created_by.to_string(),
                creation_date: now,
                modified_date: now,
                fields,
            },
        );
        self.changes.push(Change {
            kind,
            id,
            before,
            next_id_before,
        });
        id
    }

    /// Applies validated changes to object `id`; only the given fields change. Returns `false`
    /// when there is no such object.
    pub(crate) fn update(
        &mut self,
        kind: Kind,
        id: u64,
        changes: FieldChanges,
        now: DateTime<Utc>,
    ) -> bool {
        let collection = self.collection_mut(kind);
        let next_id_before = collection.next_id;
        let Some(mut object) = collection.take(kind, id) else {
            return false;
        };
        let before = object.clone();
        for (field, value) in changes {
            match value {
                Some(value) => object.fields.insert(field.to_string(), value),
                None => object.fields.remove(field),
            };
        }
        object.modified_date = truncate_to_micros(now);
        collection.put(kind, object);
        self.changes.push(Change {
            kind,
            id,
            before: Some(before),
            next_id_before,
        });
        true
    }

    /// Stores `object` as it is, replacing the one with its id (the journal's replay). The
    /// object is checked against the catalog first, and its id is never given out again.
    pub(crate) fn replace(&mut self, kind: Kind, object: StoredObject) -> Result<(), String> {
        check_object(kind, &object)
            .map_err(|problem| format!("{} {}: {problem}", kind.noun(), object.id))?;
        let collection = self.collection_mut(kind);
        collection.next_id = collection.next_id.max(object.id.saturating_add(1));
        collection.put(kind, object);
        Ok(())
    }

    /// The objects changed since the last call, oldest first; they are no longer tracked.
    pub(crate) fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// Undoes `changes` (from [`Store::take_changes`]), newest first: every changed object is
    /// back as it was, and so are the id counters.
    pub(crate) fn undo(&mut self, changes: Vec<Change>) {
        for change in changes.into_iter().rev() {
            let collection = self.collection_mut(change.kind);
            collection.take(change.kind, change.id);
            if let Some(before) = change.before {
                collection.put(change.kind, before);
            }
            collection.next_id = change.next_id_before;
        }
    }

    /// Object `id` of `kind`.
    pub(crate) fn get(&self, kind: Kind, id: u64) -> Option<&StoredObject> {
        self.collection(kind).objects.get(&id)
    }

    /// Every object of `kind`, by id.
    pub(crate) fn all(&self, kind: Kind) -> impl Iterator<Item = &StoredObject> {
        self.collection(kind).objects.values()
    }

    /// At most `take` of the objects matching `filter`, by id ascending, after the first `skip`.
    /// A filter of exact terms only is looked up in the index; any other is a scan.
    pub(crate) fn search(
        &self,
        kind: Kind,
        filter: &Filter,
        skip: u64,
        take: u64,
    ) -> Vec<&StoredObject> {
        let collection = self.collection(kind);
        let Some(candidates) = collection.index.candidates(filter) else {
            return self.scan(kind, filter, skip, take);
        };
        candidates
            .into_iter()
            .filter_map(|id| collection.objects.get(&id))
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(usize::try_from(take).unwrap_or(usize::MAX))
            .collect()
    }

    /// [`Store::search`] by evaluating `filter` against every object.
    fn scan(&self, kind: Kind, filter: &Filter, skip: u64, take: u64) -> Vec<&StoredObject> {
        self.all(kind)
            .filter(|object| filter.matches(|field| object.display_value(kind, field)))
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(usize::try_from(take).unwrap_or(usize::MAX))
            .collect()
    }

    /// Reads a state file, its journal replayed; a file that does not exist is an empty store.
    #[cfg(test)]
    pub(crate) fn load(path: &Path) -> io::Result<Store> {
        super::journal::Journal::open(path).map(|(store, _)| store)
    }

    /// Writes the state file atomically (a temporary file renamed over it), creating missing
    /// parent directories; returns how many bytes it holds.
    pub(crate) fn save(&self, path: &Path) -> io::Result<u64> {
        let text = self.to_json()?;
        crate::files::write_atomically(path, &text)?;
        Ok(text.len() as u64)
    }

    /// The state file's text.
    pub(crate) fn to_json(&self) -> io::Result<String> {
        let file = StateFileOut {
            version: STATE_FILE_VERSION,
            next_incident_id: self.incidents.next_id,
            next_triage_id: self.triage_items.next_id,
            incidents: self.incidents.objects.values().collect(),
            triage_items: self.triage_items.objects.values().collect(),
        };
        let mut text = serde_json::to_string_pretty(&file).map_err(io::Error::other)?;
        text.push('\n');
        Ok(text)
    }

    /// Parses and checks a state file's text (a snapshot, nothing after it) against the catalog.
    pub(crate) fn from_json(text: &str) -> Result<Store, String> {
        let file: StateFile = serde_json::from_str(text).map_err(|error| error.to_string())?;
        Store::from_state_file(file)
    }

    /// Parses and checks the snapshot a state file's text starts with, and returns the store and
    /// where the snapshot ends (in bytes); what follows is the journal's.
    pub(crate) fn from_snapshot(text: &str) -> Result<(Store, usize), String> {
        let mut values = serde_json::Deserializer::from_str(text).into_iter::<StateFile>();
        let file = match values.next() {
            Some(file) => file.map_err(|error| error.to_string())?,
            // Only white space: what `serde_json::from_str` says about it.
            None => return Store::from_json(text).map(|store| (store, text.len())),
        };
        let end = values.byte_offset();
        Ok((Store::from_state_file(file)?, end))
    }

    fn from_state_file(file: StateFile) -> Result<Store, String> {
        if file.version != STATE_FILE_VERSION {
            return Err(format!(
                "unsupported version {} (expected {STATE_FILE_VERSION})",
                file.version
            ));
        }
        let mut store = Store::new();
        store.incidents.next_id = file.next_incident_id;
        store.triage_items.next_id = file.next_triage_id;
        for (kind, objects) in [
            (Kind::Incident, file.incidents),
            (Kind::TriageItem, file.triage_items),
        ] {
            for object in objects {
                check_object(kind, &object)
                    .map_err(|problem| format!("{} {}: {problem}", kind.noun(), object.id))?;
                let collection = store.collection_mut(kind);
                // Never hand out an id again, even if the file's counter is behind.
                collection.next_id = collection.next_id.max(object.id.saturating_add(1));
                if collection.put(kind, object).is_some() {
                    return Err(format!("{} ids are not unique", kind.noun()));
                }
            }
        }
        Ok(store)
    }
}

fn check_object(kind: Kind, object: &StoredObject) -> Result<(), String> {
    match (kind, object.template_id) {
        (Kind::Incident, Some(id)) if catalog::template_name(id).is_none() => {
            return Err(format!("no incident template with id {id}"));
        }
        (Kind::Incident, None) => return Err("missing `template_id`".into()),
        (Kind::TriageItem, Some(_)) => return Err("triage items have no template".into()),
        _ => {}
    }
    for (name, value) in &object.fields {
        let column =
            catalog::column_named(kind, name).ok_or_else(|| format!("unknown field `{name}`"))?;
        value
            .check(column)
            .map_err(|problem| format!("field `{name}`: {problem}"))?;
    }
    Ok(())
}

/// `{"name": label, "value": value}`, the way every read value is wrapped.
fn wrap(label: &str, value: Value) -> Value {
    json!({"name": label, "value": value})
}

/// `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`.
pub(crate) fn format_instant(instant: DateTime<Utc>) -> String {
    // `use_z = false` writes the UTC offset as `+00:00`.
    instant.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// Drops sub-microsecond precision, which the read shape cannot show.
pub(crate) fn truncate_to_micros(instant: DateTime<Utc>) -> DateTime<Utc> {
    let nanoseconds = instant.nanosecond() / 1_000 * 1_000;
    instant.with_nanosecond(nanoseconds).unwrap_or(instant)
}

/// Converts every line ending (`\n`, `\r\n`, lone `\r`) to `\r\n`.
fn crlf_line_endings(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

/// A JSON value's type and value, for error messages.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => format!("the boolean {flag}"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) => format!("the string {}", Value::String(text.clone())),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn instant(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("valid test date")
            .to_utc()
    }

    fn changes(kind: Kind, fields: Value) -> FieldChanges {
        let Value::Object(fields) = fields else {
            panic!("test fields must be an object")
        };
        match parse_field_changes(kind, &fields) {
            Ok(changes) => changes,
            Err(problem) => panic!("invalid test fields: {problem}"),
        }
    }

    fn change_error(kind: Kind, fields: Value) -> String {
        let Value::Object(fields) = fields else {
            panic!("test fields must be an object")
        };
        match parse_field_changes(kind, &fields) {
            Ok(changes) => panic!("accepted {changes:?}"),
            Err(problem) => problem,
        }
    }

    #[test]
    fn create_renders_the_read_shape() {
        let mut store = Store::new();
        let fields = changes(
            Kind::Incident,
            json!({
                "incidentid": "phishing/ceo-wire-fraud",
                "status": 1,
                "starttime": "2026-11-20T10:00:00.1234567+01:00",
                "description": "line one\nline two\r\nline three\r",
                "opt_5": 250000,
                "opt_3": null,
            }),
        );
        let now = instant("2026-11-21T08:00:00Z");
        let id = store.create(Kind::Incident, Some(1), fields, "api", now);
        assert_eq!(id, FIRST_INCIDENT_ID);
        let object = store.get(Kind::Incident, id).expect("created");
        assert_eq!(
            object.render(Kind::Incident, None, &ReadShape::stored()),
            json!({
                "id": 101,
                "template": {"name": "Template", "value": "Phishing"},
                "created_by": {"name": "Created by", "value": "api"},
                "creation_date": {"name": "Creation date", "value": "2026-11-21T08:00:00.000000+00:00"},
                "modified_date": {"name": "Modified date", "value": "2026-11-21T08:00:00.000000+00:00"},
                "fields": {
                    "incidentid": {"name": "Incident ID", "value": "phishing/ceo-wire-fraud"},
                    "description": {"name": "Description", "value": "line one\r\nline two\r\nline three\r\n"},
                    "starttime": {"name": "Start time", "value": "2026-11-20T09:00:00.123456+00:00"},
                    "status": {"name": "Status", "value": "Open"},
                    "opt_5": {"name": "Estimated loss (USD)", "value": 250000.0},
                }
            })
        );
        let rendered =
            serde_json::to_string(&object.render(Kind::Incident, None, &ReadShape::stored()))
                .expect("serializes");
        assert!(rendered.contains("250000.0"), "{rendered}");
    }

    #[test]
    fn update_changes_only_the_given_fields_and_null_clears() {
        let mut store = Store::new();
        let created = instant("2026-11-21T08:00:00Z");
        let id = store.create(
            Kind::TriageItem,
            None,
            changes(
                Kind::TriageItem,
                json!({"opt_1": "okta-1", "status": 1, "opt_2": "alice"}),
            ),
            "ACCESSID",
            created,
        );
        assert_eq!(id, FIRST_TRIAGE_ID);
        let modified = instant("2026-11-22T08:00:00Z");
        let changed = store.update(
            Kind::TriageItem,
            id,
            changes(Kind::TriageItem, json!({"status": 3, "opt_2": null})),
            modified,
        );
        assert!(changed);
        let object = store.get(Kind::TriageItem, id).expect("exists");
        assert_eq!(
            object.fields,
            BTreeMap::from([
                ("opt_1".to_string(), FieldValue::Text("okta-1".into())),
                ("status".to_string(), FieldValue::SelectOption(3)),
            ])
        );
        assert_eq!(object.creation_date, created);
        assert_eq!(object.modified_date, modified);
        assert!(!store.update(Kind::TriageItem, 1, Vec::new(), modified));
        assert!(!store.update(Kind::Incident, id, Vec::new(), modified));
    }

    #[test]
    fn writes_are_validated_strictly() {
        let problem = change_error(
            Kind::Incident,
            json!({
                "Status": 1,
                "status": "Open",
                "priority": 9,
                "starttime": "yesterday",
                "opt_5": "12",
                "incidentid": 7,
                "opt_6": 1700000000,
            }),
        );
        let problems: Vec<&str> = problem.split("; ").collect();
        assert!(
            problems[0].starts_with(
                "unknown field `Status` (field keys are API names: incidentid, description,"
            ),
            "{problem}"
        );
        assert_eq!(problems[1], "field `status` (select): expected an option id (a JSON integer), got the string \"Open\" (options: 1 Open, 2 In progress, 3 Pending, 4 Closed)");
        assert_eq!(
            problems[2],
            "field `priority` (select): no option with id 9 (options: 1 Low, 2 Medium, 3 High, 4 Critical)"
        );
        assert!(
            problems[3].starts_with(
                "field `starttime` (datetime): `yesterday` is not an RFC 3339 date-time"
            ),
            "{problem}"
        );
        assert_eq!(
            problems[4],
            "field `opt_5` (number): expected a JSON number, got the string \"12\""
        );
        assert_eq!(
            problems[5],
            "field `incidentid` (text): expected a string, got the number 7"
        );
        assert!(
            problems[6]
                .starts_with("field `opt_6` (datetime): expected an RFC 3339 date-time string"),
            "{problem}"
        );
        assert!(change_error(Kind::TriageItem, json!({"incidentid": "x"}))
            .starts_with("unknown field `incidentid`"));
        assert!(change_error(Kind::Incident, json!({"status": 1.0})).contains("the number 1.0"));
    }

    #[test]
    fn search_filters_on_display_values_and_pages_by_id() {
        let mut store = Store::new();
        let now = instant("2026-11-21T08:00:00Z");
        for (key, status) in [("a/1", 1), ("a/2", 4), ("b/1", 1), ("a/3", 2), ("c", 1)] {
            store.create(
                Kind::Incident,
                Some(6),
                changes(Kind::Incident, json!({"incidentid": key, "status": status})),
                "api",
                now,
            );
        }
        let keys = |filter: &str, page_number: u64, page_size: u64| -> Vec<u64> {
            let filter = Filter::parse(filter).expect("valid filter");
            store
                .search(
                    Kind::Incident,
                    &filter,
                    page_number.saturating_sub(1).saturating_mul(page_size),
                    page_size,
                )
                .iter()
                .map(|object| object.id)
                .collect()
        };
        assert_eq!(keys("", 1, 100), vec![101, 102, 103, 104, 105]);
        assert_eq!(keys(r#"incidentid:"a*""#, 1, 2), vec![101, 102]);
        assert_eq!(keys(r#"incidentid:"a*""#, 2, 2), vec![104]);
        assert_eq!(keys(r#"incidentid:"a*""#, 3, 2), Vec::<u64>::new());
        assert_eq!(
            keys(r#"incidentid:"c" OR status:"Closed""#, 1, 10),
            vec![102, 105]
        );
        assert_eq!(keys(r#"status:"closed""#, 1, 10), Vec::<u64>::new());
        assert_eq!(keys(r#"opt_3:"*""#, 1, 10), Vec::<u64>::new());
        assert_eq!(keys("", u64::MAX, 500), Vec::<u64>::new());
    }

    /// The index answers exactly what the scan answers, page by page, on a store of incidents
    /// and triage items whose indexed values change, are cleared and come back.
    #[test]
    fn index_and_scan_find_the_same_objects() {
        let mut store = Store::new();
        let now = instant("2026-11-21T08:00:00Z");
        let units = ["Finance", "finance", "Legal", "", "Fin"];
        for number in 0..60_u64 {
            let mut fields = json!({
                "incidentid": format!("key/{}", number % 25),
                "status": 1 + number % 4,
                "opt_3": units[(number % 5) as usize],
                "opt_5": (number % 3) as f64 * 1.5,
                "starttime": format!("2026-11-20T09:00:{:02}.5Z", number % 7),
                "description": "two\nlines",
            });
            if number % 6 == 0 {
                fields["opt_3"] = Value::Null;
            }
            store.create(
                Kind::Incident,
                Some(1 + number % 3),
                changes(Kind::Incident, fields),
                "api",
                now,
            );
            store.create(
                Kind::TriageItem,
                None,
                changes(
                    Kind::TriageItem,
                    json!({"opt_1": format!("key/{}", number % 25), "status": 1 + number % 3}),
                ),
                "api",
                now,
            );
        }
        // Updates that change an indexed value, clear one, and set one back.
        for id in [101, 110, 125, 150] {
            let fields = json!({"incidentid": "moved", "status": 4, "opt_3": null});
            assert!(store.update(Kind::Incident, id, changes(Kind::Incident, fields), now));
        }
        let fields = json!({"incidentid": "key/0", "opt_3": "Legal"});
        assert!(store.update(Kind::Incident, 110, changes(Kind::Incident, fields), now));
        assert!(store.update(
            Kind::TriageItem,
            FIRST_TRIAGE_ID + 3,
            changes(Kind::TriageItem, json!({"opt_1": null})),
            now
        ));
        assert!(store.take_changes().len() > 100, "writes are tracked");

        let exact_filters = [
            r#"incidentid:"key/0""#,
            r#"incidentid:"moved""#,
            r#"incidentid:"key/0" OR incidentid:"key/3" OR incidentid:"nothing""#,
            r#"incidentid:"key/3" OR incidentid:"key/3""#,
            r#"incidentid:"key/4" OR status:"Closed""#,
            r#"status:"Closed""#,
            r#"status:"closed""#,
            r#"status:"4""#,
            r#"opt_3:"Finance""#,
            r#"opt_3:"""#,
            r#"opt_3:"Legal" OR opt_5:"1.5""#,
            r#"opt_5:"3.0""#,
            r#"opt_5:"3""#,
            r#"starttime:"2026-11-20T09:00:03.500000+00:00""#,
            "description:\"two\r\nlines\"",
            r#"unknown:"x" OR incidentid:"key/7""#,
            r#"opt_1:"key/3""#,
        ];
        let scanned_filters = [
            "",
            r#"incidentid:"key/1*""#,
            r#"opt_3:"Fin*" OR incidentid:"key/2""#,
        ];
        for (text, indexed) in exact_filters
            .iter()
            .map(|text| (text, true))
            .chain(scanned_filters.iter().map(|text| (text, false)))
        {
            let filter = Filter::parse(text).expect("valid filter");
            for kind in [Kind::Incident, Kind::TriageItem] {
                assert_eq!(
                    store.collection(kind).index.candidates(&filter).is_some(),
                    indexed,
                    "{text}"
                );
                for (skip, take) in [(0, 500), (0, 1), (1, 2), (3, 5), (7, 100), (200, 10)] {
                    let ids = |found: Vec<&StoredObject>| -> Vec<u64> {
                        found.iter().map(|object| object.id).collect()
                    };
                    assert_eq!(
                        ids(store.search(kind, &filter, skip, take)),
                        ids(store.scan(kind, &filter, skip, take)),
                        "{kind:?} {text} skip {skip} take {take}"
                    );
                }
            }
        }
        let all = |text: &str| -> Vec<u64> {
            let filter = Filter::parse(text).expect("valid filter");
            store
                .search(Kind::Incident, &filter, 0, 500)
                .iter()
                .map(|object| object.id)
                .collect()
        };
        // The comparison is not between two empty answers.
        assert_eq!(all(r#"incidentid:"key/0""#), vec![110, 126, 151]);
        assert_eq!(all(r#"incidentid:"moved""#), vec![101, 125, 150]);
        assert_eq!(all(r#"opt_5:"3.0""#).len(), 20);
        assert_eq!(all("description:\"two\r\nlines\"").len(), 60);
        assert_eq!(
            all(r#"starttime:"2026-11-20T09:00:03.500000+00:00""#).len(),
            9
        );
        assert!(all(r#"status:"Closed""#).contains(&101));
        assert!(all(r#"opt_3:"Legal""#).contains(&110));
        assert!(!all(r#"opt_3:"Finance""#).contains(&101));
    }

    #[test]
    fn undo_restores_objects_counters_and_the_index() {
        let mut store = Store::new();
        let now = instant("2026-11-21T08:00:00Z");
        store.create(
            Kind::Incident,
            Some(1),
            changes(Kind::Incident, json!({"incidentid": "a", "status": 1})),
            "api",
            now,
        );
        store.take_changes();
        let before = store.clone();
        let later = instant("2026-11-22T08:00:00Z");
        store.update(
            Kind::Incident,
            101,
            changes(Kind::Incident, json!({"incidentid": "b", "status": null})),
            later,
        );
        store.create(
            Kind::Incident,
            Some(1),
            changes(Kind::Incident, json!({"incidentid": "c"})),
            "api",
            later,
        );
        let undone = store.take_changes();
        assert_eq!(undone.len(), 2);
        store.undo(undone);
        assert_eq!(store, before);
        let keys = |text: &str| -> Vec<u64> {
            let filter = Filter::parse(text).expect("valid filter");
            store
                .search(Kind::Incident, &filter, 0, 10)
                .iter()
                .map(|object| object.id)
                .collect()
        };
        assert_eq!(keys(r#"incidentid:"a" OR status:"Open""#), vec![101]);
        assert_eq!(
            keys(r#"incidentid:"b" OR incidentid:"c""#),
            Vec::<u64>::new()
        );
        assert_eq!(
            store.create(Kind::Incident, Some(1), Vec::new(), "api", later),
            102
        );
    }

    #[test]
    fn state_round_trips_and_ids_are_never_reused() {
        let mut store = Store::new();
        let now = instant("2026-11-21T08:00:00.123456Z");
        store.create(
            Kind::Incident,
            Some(2),
            changes(
                Kind::Incident,
                json!({"incidentid": "x", "opt_5": 1.5, "opt_6": "2026-01-01T00:00:00Z", "opt_4": 2}),
            ),
            "api",
            now,
        );
        store.create(
            Kind::TriageItem,
            None,
            changes(Kind::TriageItem, json!({"opt_1": "y"})),
            "api",
            now,
        );
        let reloaded = Store::from_json(&store.to_json().expect("serializes")).expect("loads");
        assert_eq!(reloaded, store);

        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("nested/deeper/state.json");
        store.save(&path).expect("saves");
        assert_eq!(Store::load(&path).expect("loads"), store);
        let leftovers: Vec<_> = fs::read_dir(path.parent().expect("parent"))
            .expect("lists")
            .collect();
        assert_eq!(leftovers.len(), 1, "temporary files are renamed away");

        // A counter behind the ids in the file is moved past them.
        let text = store
            .to_json()
            .expect("serializes")
            .replace("\"next_incident_id\": 102", "\"next_incident_id\": 1");
        let mut behind = Store::from_json(&text).expect("loads");
        let id = behind.create(Kind::Incident, Some(1), Vec::new(), "api", now);
        assert_eq!(id, 102);
    }

    #[test]
    fn missing_state_file_is_an_empty_store_and_invalid_ones_are_refused() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let missing = directory.path().join("missing.json");
        assert_eq!(Store::load(&missing).expect("loads"), Store::new());

        let invalid = directory.path().join("invalid.json");
        let text = r#"{"version": 1, "next_incident_id": 101, "next_triage_id": 5001,
            "incidents": [{"id": 101, "template_id": 1, "created_by": "api",
              "creation_date": "2026-11-20T09:00:00Z", "modified_date": "2026-11-20T09:00:00Z",
              "fields": {"status": {"option": 9}}}], "triage_items": []}"#;
        fs::write(&invalid, text).expect("writes");
        let error = Store::load(&invalid).expect_err("refused");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(
            error
                .to_string()
                .contains("incident 101: field `status`: value SelectOption(9) does not fit"),
            "{error}"
        );
        fs::write(&invalid, "not json").expect("writes");
        assert!(Store::load(&invalid).is_err());
    }

    #[test]
    fn instants_are_formatted_in_utc_with_microseconds() {
        assert_eq!(
            format_instant(instant("2026-11-20T09:00:00+02:00")),
            "2026-11-20T07:00:00.000000+00:00"
        );
        assert_eq!(
            format_instant(truncate_to_micros(instant("2026-11-20T09:00:00.9999999Z"))),
            "2026-11-20T09:00:00.999999+00:00"
        );
    }
}
