//! Objects as Cloud SOAR returns them, with the `{"name", "value"}` wrapping taken off.
//!
//! Answers are deserialized straight from the body's bytes into [`RemoteObject`]s: a search page
//! of hundreds of objects never exists as one `serde_json::Value` tree besides the objects made
//! from it, only each field's value does, for as long as its wrapping takes to come off.
//!
//! This is the observed-object model the pure plan compares against ([`Observed`]); the client
//! (`crate::client`) fills it from the network, the plan (`crate::plan`) never needs the network.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::kind::Kind;

/// An incident or triage item read from the tenant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RemoteObject {
    /// The server's id.
    pub id: u64,
    /// The incident template's display name (incidents only).
    pub template: Option<String>,
    /// Who created it, as the server reports (`created_by`).
    pub created_by: Option<String>,
    /// Field values by API name, unwrapped; select fields hold display strings.
    pub fields: Fields,
}

/// The field values of a [`RemoteObject`] by API name, each name once.
///
/// Held as a vector sorted by name, as long as its entries and no longer: a plan keeps one per
/// live object, and a tree map's nodes would hold room for more entries than most objects have.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Fields {
    entries: Vec<(String, Value)>,
}

impl Fields {
    /// The value of the field with this API name.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).ok().map(|index| &self.entries[index].1)
    }

    /// Sets a field, replacing an earlier value of the same name (as a later duplicate key of a
    /// JSON object does).
    pub(crate) fn insert(&mut self, name: String, value: Value) {
        match self.position(&name) {
            Ok(index) => self.entries[index].1 = value,
            Err(index) => self.entries.insert(index, (name, value)),
        }
    }

    /// The API names, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(name, _)| name)
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(entry, _)| entry.as_str().cmp(name))
    }

    /// Gives back the room a growing vector kept for more entries.
    fn shrink(mut self) -> Self {
        self.entries.shrink_to_fit();
        self
    }
}

impl std::ops::Index<&str> for Fields {
    type Output = Value;

    /// The value of a field that must be present.
    fn index(&self, name: &str) -> &Value {
        match self.get(name) {
            Some(value) => value,
            None => panic!("no field `{name}`"),
        }
    }
}

impl FromIterator<(String, Value)> for Fields {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(entries: I) -> Self {
        let mut fields = Fields::default();
        for (name, value) in entries {
            fields.insert(name, value);
        }
        fields.shrink()
    }
}

impl From<BTreeMap<String, Value>> for Fields {
    fn from(map: BTreeMap<String, Value>) -> Self {
        // Already sorted and unique.
        Fields {
            entries: map.into_iter().collect(),
        }
    }
}

impl RemoteObject {
    #[cfg(test)]
    /// Parses one object of a read answer held as JSON.
    ///
    /// Tolerant of both layouts seen in the wild: fields under `"fields"`, or at the top level
    /// beside `id`; each value either wrapped as `{"name": label, "value": v}` or bare.
    pub(crate) fn from_json(value: &Value) -> Result<Self, String> {
        RemoteObject::deserialize(value).map_err(|error| error.to_string())
    }
}

impl<'de> Deserialize<'de> for RemoteObject {
    /// Reads one object of a read answer, as [`RemoteObject::from_json`] describes.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjectVisitor)
    }
}

/// The objects of one search page, read from a JSON array.
#[derive(Debug, Default)]
pub(crate) struct Page(pub Vec<RemoteObject>);

impl<'de> Deserialize<'de> for Page {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PageVisitor)
    }
}

/// How many elements a JSON array holds, read without keeping any of them (`None`: not an
/// array).
#[derive(Debug, Default)]
pub(crate) struct Count(pub Option<usize>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CountVisitor)
    }
}

/// The visitor methods of every JSON type but arrays and objects: `$found` names the type found
/// (`a number`) in `$result`.
macro_rules! scalars {
    ($found:ident => $result:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            let $found = "a boolean";
            $result
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            let $found = "a number";
            $result
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            let $found = "a number";
            $result
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            let $found = "a number";
            $result
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            let $found = "a string";
            $result
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            let $found = "null";
            $result
        }
    };
}

struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = Count;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Count, A::Error> {
        let mut count = 0;
        while sequence.next_element::<IgnoredAny>()?.is_some() {
            count += 1;
        }
        Ok(Count(Some(count)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Count, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Count(None))
    }

    scalars!(_found => Ok(Count(None)));
}

struct PageVisitor;

impl<'de> Visitor<'de> for PageVisitor {
    type Value = Page;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Page, A::Error> {
        let mut objects = Vec::with_capacity(sequence.size_hint().unwrap_or(0).min(4096));
        while let Some(object) = sequence.next_element::<RemoteObject>()? {
            objects.push(object);
        }
        Ok(Page(objects))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Page, A::Error> {
        Err(de::Error::custom("expected a JSON array, found an object"))
    }

    scalars!(found => Err(de::Error::custom(format!("expected a JSON array, found {found}"))));
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = RemoteObject;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RemoteObject, A::Error> {
        let mut id = None;
        let mut template = None;
        let mut created_by = None;
        // Fields under `fields`, when the object has that key; else the top level's.
        let mut nested: Option<Result<Fields, &'static str>> = None;
        let mut top_level = Fields::default();
        while let Some(name) = map.next_key::<String>()? {
            if name == "fields" {
                nested = Some(map.next_value::<NestedFields>()?.0);
                continue;
            }
            let value = map.next_value_seed(Unwrapped)?;
            match name.as_str() {
                "id" => id = Some(value),
                "template" => template = Some(value),
                "template_id" => {}
                "created_by" => {
                    created_by = Some(value.clone());
                    top_level.insert(name, value);
                }
                _ => top_level.insert(name, value),
            }
        }
        let id = match id {
            Some(Value::Number(number)) => number.as_u64(),
            Some(Value::String(text)) => text.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| de::Error::custom("an object has no numeric `id`"))?;
        let fields = match nested {
            Some(Ok(fields)) => fields,
            Some(Err(found)) => {
                return Err(de::Error::custom(format!(
                    "`fields` of object {id} is {found}, expected an object"
                )))
            }
            None => top_level,
        }
        .shrink();
        let created_by = created_by.and_then(text).or_else(|| {
            fields
                .get("created_by")
                .and_then(|value| value.as_str().map(str::to_string))
        });
        Ok(RemoteObject {
            id,
            template: template.and_then(text),
            created_by,
            fields,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<RemoteObject, A::Error> {
        Err(de::Error::custom("expected an object, found an array"))
    }

    scalars!(found => Err(de::Error::custom(format!("expected an object, found {found}"))));
}

/// The `fields` of an object: its unwrapped values, or the name of the type found instead of an
/// object (an error once the object's id is known).
struct NestedFields(Result<Fields, &'static str>);

impl<'de> Deserialize<'de> for NestedFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NestedFieldsVisitor)
    }
}

struct NestedFieldsVisitor;

impl<'de> Visitor<'de> for NestedFieldsVisitor {
    type Value = NestedFields;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object of fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NestedFields, A::Error> {
        let mut fields = Fields::default();
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value_seed(Unwrapped)?;
            fields.insert(name, value);
        }
        Ok(NestedFields(Ok(fields)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<NestedFields, A::Error> {
        while sequence.next_element::<IgnoredAny>()?.is_some() {}
        Ok(NestedFields(Err("an array")))
    }

    scalars!(found => Ok(NestedFields(Err(found))));
}

/// One field's value with its `{"name": label, "value": v}` wrapping taken off.
struct Unwrapped;

impl<'de> DeserializeSeed<'de> for Unwrapped {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Ok(unwrap(Value::deserialize(deserializer)?))
    }
}

/// `{"name": "Status", "value": "Open"}` -> `"Open"`; anything else as it is.
fn unwrap(value: Value) -> Value {
    match value {
        Value::Object(mut map) if map.contains_key("value") && map.len() <= 2 => {
            map.swap_remove("value").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// A value read as text: strings as they are, `null` as none, anything else as its JSON.
fn text(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A short name of a JSON value's type, for messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Live objects by kind and key; more than one object under a key is a conflict the plan reports.
#[derive(Debug, Default, Clone)]
pub(crate) struct Observed {
    by_key: HashMap<(Kind, String), Vec<RemoteObject>>,
}

impl Observed {
    /// Records an object found under a key (objects under one key are kept ordered by id).
    pub(crate) fn insert(&mut self, kind: Kind, key: &str, object: RemoteObject) {
        // Room for one: a key is usually carried by one object, and a plan keeps a vector a key.
        let objects = self
            .by_key
            .entry((kind, key.to_string()))
            .or_insert_with(|| Vec::with_capacity(1));
        let at = objects.partition_point(|existing| existing.id < object.id);
        objects.insert(at, object);
    }

    /// The objects carrying a key (usually none or one).
    pub(crate) fn get(&self, kind: Kind, key: &str) -> &[RemoteObject] {
        self.by_key
            .get(&(kind, key.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unwraps_name_value_pairs() {
        let object = RemoteObject::from_json(&json!({
            "id": 7,
            "template": {"name": "Template", "value": "Phishing"},
            "created_by": {"name": "Created by", "value": "api"},
            "fields": {
                "status": {"name": "Status", "value": "Open"},
                "opt_5": {"name": "Estimated loss (USD)", "value": 12.5}
            }
        }))
        .unwrap();
        assert_eq!(object.id, 7);
        assert_eq!(object.template.as_deref(), Some("Phishing"));
        assert_eq!(object.created_by.as_deref(), Some("api"));
        assert_eq!(object.fields["status"], json!("Open"));
        assert_eq!(object.fields["opt_5"], json!(12.5));
    }

    #[test]
    fn accepts_flat_objects_and_bare_values() {
        let object = RemoteObject::from_json(
            &json!({"id": "9", "status": "Closed", "opt_1": {"name": "x", "value": "y"}}),
        )
        .unwrap();
        assert_eq!(object.id, 9);
        assert_eq!(object.fields["status"], json!("Closed"));
        assert_eq!(object.fields["opt_1"], json!("y"));
    }

    #[test]
    fn reads_an_incident_shaped_as_sumo_logics_get_incident_script_shows_it() {
        // The shape SumoLogic/sumologic-content `CloudSOAR/Integrations/.../Incident_Tools/Get
        // Incident.yaml` reads (evidence file, "get incident", "dates on read", "lookup values
        // on read", "multi-value fields", "server-set fields"): every field at the top level,
        // wrapped, `id` bare, dates as display strings, lookups as display strings, `type` and
        // `tags` as lists.
        let object = RemoteObject::from_json(&json!({
            "id": 1234,
            "incidentid": {"name": "Incident ID", "value": "phishing/ceo-wire-fraud"},
            "starttime": {"name": "Start Time", "value": "09-08-2023 07:15 AM"},
            "closed_at": {"name": "Closed At", "value": "12-31-1969 06:00 PM"},
            "status": {"name": "Status", "value": "Identification"},
            "restriction": {"name": "Restriction", "value": "LOW"},
            "incident_kind": {"name": "Kind", "value": "Incident response"},
            "owner": {"name": "Owner", "value": "Admins (group)"},
            "folder": {"name": "Folder", "value": "CSE-Pending"},
            "type": {"name": "Type", "value": ["Phishing", "Malware"]},
            "tags": {"name": "Tags", "value": ["ceo", "wire"]},
            "created_by": {"name": "Created By", "value": "AUTOMATION ENGINE"},
            "timezone": {"name": "Timezone", "value": "GMT +0"},
            "is_deleted": {"name": "Is Deleted", "value": false},
            "closing_note": {"name": "Closing Note", "value": ""}
        }))
        .unwrap();
        assert_eq!(object.id, 1234);
        assert_eq!(
            object.fields["incidentid"],
            json!("phishing/ceo-wire-fraud")
        );
        assert_eq!(object.fields["starttime"], json!("09-08-2023 07:15 AM"));
        assert_eq!(object.fields["owner"], json!("Admins (group)"));
        assert_eq!(object.fields["type"], json!(["Phishing", "Malware"]));
        assert_eq!(object.fields["tags"], json!(["ceo", "wire"]));
        assert_eq!(object.created_by.as_deref(), Some("AUTOMATION ENGINE"));
    }

    #[test]
    fn refuses_objects_without_id() {
        assert!(RemoteObject::from_json(&json!({"fields": {}})).is_err());
        assert!(RemoteObject::from_json(&json!([1])).is_err());
    }

    #[test]
    fn pages_are_read_from_bytes_as_the_json_layouts_are() {
        let body = br#"[
            {"id": 1, "template": {"name": "Template", "value": "Phishing"},
             "created_by": {"name": "Created by", "value": "api"},
             "fields": {"status": {"name": "Status", "value": "Open"}, "opt_3": null}},
            {"id": "2", "status": "Closed", "created_by": "someone", "template_id": 4},
            {"id": 3, "fields": {"created_by": "nested", "opt_1": {"name": "x", "value": [1, 2]}}}
        ]"#;
        let Page(objects) = serde_json::from_slice(body).unwrap();
        let ids: Vec<u64> = objects.iter().map(|object| object.id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(objects[0].fields.get("status"), Some(&json!("Open")));
        assert_eq!(objects[0].fields.get("opt_3"), Some(&Value::Null));
        assert_eq!(objects[0].fields.get("created_by"), None);
        // Flat: every top-level field but the id and the template is a field.
        let keys: Vec<&String> = objects[1].fields.keys().collect();
        assert_eq!(keys, ["created_by", "status"]);
        assert_eq!(objects[1].created_by.as_deref(), Some("someone"));
        assert_eq!(objects[2].created_by.as_deref(), Some("nested"));
        assert_eq!(objects[2].fields["opt_1"], json!([1, 2]));
        // The same objects as parsed from JSON values one by one.
        let from_values: Vec<RemoteObject> = serde_json::from_slice::<Vec<Value>>(body)
            .unwrap()
            .iter()
            .map(|value| RemoteObject::from_json(value).unwrap())
            .collect();
        assert_eq!(from_values, objects);
    }

    #[test]
    fn misshapen_answers_say_what_was_found() {
        let error = |body: &str| match serde_json::from_str::<Page>(body) {
            Ok(_) => String::new(),
            Err(error) => error.to_string(),
        };
        assert!(error(r#"{"id": 1}"#).starts_with("expected a JSON array, found an object"));
        assert!(error("[1]").starts_with("expected an object, found a number"));
        assert!(error(r#"[{"fields": {}}]"#).starts_with("an object has no numeric `id`"));
        assert!(error(r#"[{"id": 5, "fields": [1]}]"#)
            .starts_with("`fields` of object 5 is an array, expected an object"));
        assert_eq!(
            serde_json::from_str::<Count>(r#"[{"id": 1}, 2, "x"]"#)
                .unwrap()
                .0,
            Some(3)
        );
        assert_eq!(serde_json::from_str::<Count>("{}").unwrap().0, None);
    }
}
