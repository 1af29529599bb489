//! A desired-state document as written: the one description of its format, from which
//! `schemas/soarform.schema.json` is generated. Doc comments become the schema's descriptions,
//! so they speak to the person writing the document, and the types that read it:
//! [`super::document`] checks a parsed document against that schema, reads it as a
//! [`DocumentFile`] with `serde_json::from_value`, and adds the positions from the parsed tree.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde_json::{json, Map, Number, Value};

use super::model::{TemplateRef, KEY_PATTERN, MAX_KEY_LENGTH};
use super::schema::schema_type;
use crate::kind::Kind;

/// The `kind:` values a document may have.
pub(crate) const KINDS: [&str; 3] = ["Incident", "TriageItem", "Template"];

/// Built-in fields that always hold text (Cloud SOAR's documented create fields): a number or a
/// boolean there is refused without asking the tenant. The schema lists them too.
pub(crate) const TEXT_FIELDS: [&str; 2] = ["description", "additional_info"];

/// What a document declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeclarationKind {
    Object(Kind),
    Template,
}

impl DeclarationKind {
    pub(crate) fn document_name(self) -> &'static str {
        match self {
            DeclarationKind::Object(kind) => kind.document_name(),
            DeclarationKind::Template => "Template",
        }
    }

    /// `key` for objects, `name` for templates.
    pub(crate) fn name_key(self) -> &'static str {
        match self {
            DeclarationKind::Object(_) => "key",
            DeclarationKind::Template => "name",
        }
    }
}

/// One YAML document of a soarform repository: an `Incident` or a `TriageItem` that should exist
/// in Cloud SOAR, or a local `Template` that other documents `extends`. A file may hold several
/// documents separated by `---`. Its `kind` picks which of the three it is.
///
/// Read from a document that matches the schema (so a serde error here is a soarform bug): each
/// variant accepts only its own `kind` and no unknown key, so exactly one matches.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum DocumentFile {
    Incident(IncidentDocument),
    TriageItem(TriageItemDocument),
    Template(TemplateDocument),
}

impl JsonSchema for DocumentFile {
    fn schema_name() -> Cow<'static, str> {
        "DocumentFile".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let branches: Vec<Value> = [
            ("Incident", generator.subschema_for::<IncidentDocument>()),
            (
                "TriageItem",
                generator.subschema_for::<TriageItemDocument>(),
            ),
            ("Template", generator.subschema_for::<TemplateDocument>()),
        ]
        .into_iter()
        .map(|(kind, schema)| {
            json!({
            "if": { "properties": { "kind": { "const": kind } }, "required": ["kind"] },
            "then": schema,
            })
        })
        .collect();
        json_schema!({
        "$id": "urn:soarform:schemas:soarform",
        "title": "soarform desired-state document",
        "description": "One YAML document of a soarform repository: an `Incident` or a `TriageItem` that should exist in Cloud SOAR, or a local `Template` that other documents `extends`. A file may hold several documents separated by `---`.",
        "type": "object",
        "required": ["kind"],
        "properties": {
        "kind": { "description": "What this document describes.", "enum": KINDS }
        },
        "allOf": branches,
        })
    }
}

/// An incident that should exist in Cloud SOAR, identified by its `key`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Incident")]
pub(crate) struct IncidentDocument {
    /// An incident.
    #[schemars(with = "String", extend("const" = "Incident"))]
    kind: IncidentKind,
    key: Key,
    #[serde(default)]
    #[schemars(with = "TemplateReference")]
    template: Option<TemplateNameOrId>,
    #[serde(default)]
    #[schemars(with = "Extends")]
    extends: OneOrMany,
    #[serde(default)]
    #[schemars(with = "Fields")]
    fields: Map<String, Value>,
    #[serde(default)]
    #[schemars(with = "IgnoreChanges")]
    ignore_changes: Vec<String>,
}

/// A triage item that should exist in Cloud SOAR, identified by its `key`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "TriageItem")]
pub(crate) struct TriageItemDocument {
    /// A triage item.
    #[schemars(with = "String", extend("const" = "TriageItem"))]
    kind: TriageItemKind,
    key: Key,
    #[serde(default)]
    #[schemars(with = "Extends")]
    extends: OneOrMany,
    #[serde(default)]
    #[schemars(with = "Fields")]
    fields: Map<String, Value>,
    #[serde(default)]
    #[schemars(with = "IgnoreChanges")]
    ignore_changes: Vec<String>,
}

/// Local only, never sent to Cloud SOAR: fields, `ignore_changes` entries (and an incident `template`) that other documents inherit with `extends`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Template")]
pub(crate) struct TemplateDocument {
    /// A local template.
    #[schemars(with = "String", extend("const" = "Template"))]
    kind: TemplateKind,
    /// The name other documents use in `extends`; unique in the repository.
    #[schemars(length(min = 1, max = MAX_KEY_LENGTH), regex(pattern = KEY_PATTERN))]
    name: String,
    #[serde(default)]
    #[schemars(with = "TemplateReference")]
    template: Option<TemplateNameOrId>,
    #[serde(default)]
    #[schemars(with = "Extends")]
    extends: OneOrMany,
    #[serde(default)]
    #[schemars(with = "Fields")]
    fields: Map<String, Value>,
    #[serde(default)]
    #[schemars(with = "IgnoreChanges")]
    ignore_changes: Vec<String>,
}

// `kind:` as each document type reads it: the one value it accepts (the schema says `const`).
#[derive(Debug, Deserialize)]
enum IncidentKind {
    Incident,
}

#[derive(Debug, Deserialize)]
enum TriageItemKind {
    TriageItem,
}

#[derive(Debug, Deserialize)]
enum TemplateKind {
    Template,
}

/// Stable identity of the object inside the repository, unique per kind; written into the tenant's identity field when the object is created. Letters, digits, `.`, `_`, `/` and `-`, starting with a letter or digit; at most 200 characters.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(extend("examples" = ["phishing/ceo-wire-fraud"]))]
struct Key(#[schemars(length(min = 1, max = MAX_KEY_LENGTH), regex(pattern = KEY_PATTERN))] String);

/// `template:` as written (its schema is [`TemplateReference`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum TemplateNameOrId {
    Name(String),
    /// Any number the schema's `integer` accepts, `1.0` and `2^64` included: only
    /// [`TemplateNameOrId::reference`] decides which ones name a template.
    Id(Number),
}

impl TemplateNameOrId {
    /// The template named, or `None` for a number that is no id (`1.0`, or beyond `u64`): such
    /// a document has no template, which `extends` reports.
    pub(crate) fn reference(&self) -> Option<TemplateRef> {
        match self {
            TemplateNameOrId::Name(name) => Some(TemplateRef::Name(name.clone())),
            TemplateNameOrId::Id(number) => number.as_u64().map(TemplateRef::Id),
        }
    }
}

/// `extends:` as written (its schema is [`Extends`]): one name, or a list of names.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl Default for OneOrMany {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl OneOrMany {
    /// The names, in order.
    pub(crate) fn names(&self) -> &[String] {
        match self {
            OneOrMany::One(name) => std::slice::from_ref(name),
            OneOrMany::Many(names) => names,
        }
    }
}

/// What any document declares, whatever its kind: [`super::document`] reads from a
/// document that matches the schema, before adding the positions from the parsed tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Envelope {
    pub kind: DeclarationKind,
    /// The key (objects) or name (templates).
    pub name: String,
    /// Incidents and templates only.
    pub template: Option<TemplateNameOrId>,
    pub extends: OneOrMany,
    /// In the order written (field names are unique: the YAML parser refuses duplicate keys).
    pub fields: Map<String, Value>,
    pub ignore_changes: Vec<String>,
}

impl DocumentFile {
    /// What the document declares.
    pub(crate) fn into_envelope(self) -> Envelope {
        match self {
            DocumentFile::Incident(document) => Envelope {
                kind: match document.kind {
                    IncidentKind::Incident => DeclarationKind::Object(Kind::Incident),
                },
                name: document.key.0,
                template: document.template,
                extends: document.extends,
                fields: document.fields,
                ignore_changes: document.ignore_changes,
            },
            DocumentFile::TriageItem(document) => Envelope {
                kind: match document.kind {
                    TriageItemKind::TriageItem => DeclarationKind::Object(Kind::TriageItem),
                },
                name: document.key.0,
                template: None,
                extends: document.extends,
                fields: document.fields,
                ignore_changes: document.ignore_changes,
            },
            DocumentFile::Template(document) => Envelope {
                kind: match document.kind {
                    TemplateKind::Template => DeclarationKind::Template,
                },
                name: document.name,
                template: document.template,
                extends: document.extends,
                fields: document.fields,
                ignore_changes: document.ignore_changes,
            },
        }
    }
}

schema_type!(
    /// The Cloud SOAR incident template, by name or by numeric id.
    TemplateReference = {
        "description": "The Cloud SOAR incident template, by name or by numeric id. Inherited through `extends` when absent.",
        "type": ["string", "integer"],
        "minLength": 1,
        "minimum": 1,
        "examples": ["Phishing", 1]
    }
);

// The branches stay inline: messages name the forms from their types ("a string or a non-empty
// list of strings").
schema_type!(
    /// The `Template` document(s) to inherit from: one name, or a non-empty list of names.
    Extends = {
        "description": "The `Template` document(s) to inherit `fields`, `template` and `ignore_changes` from; with several names, later ones override earlier ones, and this document overrides them all (`ignore_changes` entries add up instead).",
        "anyOf": [
            { "type": "string", "minLength": 1 },
            { "type": "array", "minItems": 1, "items": { "type": "string", "minLength": 1 } }
        ]
    }
);

schema_type!(
    /// Fields (API names or labels) the SOC owns after creation.
    IgnoreChanges = {
        "description": "Fields (API names such as `status`, or labels such as `Business unit`) the SOC owns after creation: sent when the object is created, never compared or shown as drift afterwards. Added to the project-wide `ignore_changes` of `soarform.yaml`. Inherited through `extends`: the entries of the `Template`(s) extended come first, then this document's own; a name listed twice counts once. An inherited entry cannot be removed.",
        "type": "array",
        "items": { "description": "A field's API name or label.", "type": "string", "minLength": 1 },
        "examples": [["status", "owner"]]
    }
);

schema_type!(
    /// Field values by API name or label; the built-in text fields ([`TEXT_FIELDS`]) take
    /// strings.
    Fields = {
        "description": "Field values by API name (`status`, `opt_3`) or label (`Business unit`). Values are sent exactly as written: text fields take strings only (quote `0042`, `1.50` or `true` to send that text), numbers must be exact as doubles, text holds no control characters but tab and line break. Lookup fields take the display name or the numeric option id; dates are RFC 3339 timestamps or `YYYY-MM-DD`. `null` removes a field inherited through `extends`.",
        "type": "object",
        "properties": text_field_schemas(),
        "additionalProperties": {
            "description": "A scalar: string, number or boolean; a list of option names or ids, or of tags, for a multi-value field (`[Email, Endpoint]`); `null` removes an inherited field.",
            "type": ["string", "number", "boolean", "null", "array"],
            "items": { "type": ["string", "number"] }
        }
    }
);

/// The built-in text fields, which take strings only.
fn text_field_schemas() -> serde_json::Map<String, Value> {
    TEXT_FIELDS
        .into_iter()
        .map(|name| {
            let description = match name {
                "description" => "The built-in description (text): a string; quote numbers and booleans to send them as text.",
                _ => "The built-in additional information (text): a string; quote numbers and booleans to send them as text.",
            };
            (
                name.to_string(),
                json!({ "description": description, "type": ["string", "null"] }),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: Value) -> Result<Envelope, serde_json::Error> {
        serde_json::from_value::<DocumentFile>(value).map(DocumentFile::into_envelope)
    }

    #[test]
    fn each_kind_reads_its_own_keys() {
        let incident = read(json!({
            "kind": "Incident", "key": "a", "template": 3, "extends": "base",
            "fields": {"status": "New", "opt_1": 2, "gone": null},
            "ignore_changes": ["status"],
        }))
        .expect("an incident");
        assert_eq!(incident.kind, DeclarationKind::Object(Kind::Incident));
        assert_eq!(incident.name, "a");
        assert_eq!(
            incident
                .template
                .as_ref()
                .and_then(TemplateNameOrId::reference),
            Some(TemplateRef::Id(3))
        );
        assert_eq!(incident.extends.names(), ["base"]);
        let fields: Vec<&str> = incident.fields.keys().map(String::as_str).collect();
        assert_eq!(fields, ["status", "opt_1", "gone"]);
        assert_eq!(incident.ignore_changes, ["status"]);

        let triage = read(json!({"kind": "TriageItem", "key": "t", "extends": ["x", "y"]}))
            .expect("a triage item");
        assert_eq!(triage.kind, DeclarationKind::Object(Kind::TriageItem));
        assert_eq!(triage.name, "t");
        assert_eq!(triage.extends.names(), ["x", "y"]);
        assert!(triage.template.is_none() && triage.fields.is_empty());

        let template = read(json!({"kind": "Template", "name": "base", "template": "Phishing"}))
            .expect("a template");
        assert_eq!(template.kind, DeclarationKind::Template);
        assert_eq!(template.name, "base");
        assert_eq!(
            template
                .template
                .as_ref()
                .and_then(TemplateNameOrId::reference),
            Some(TemplateRef::Name("Phishing".to_string()))
        );
        assert!(template.extends.names().is_empty());
    }

    #[test]
    fn a_kind_does_not_read_another_kinds_keys() {
        for value in [
            json!({"kind": "TriageItem", "name": "t"}),
            json!({"kind": "TriageItem", "key": "t", "template": 1}),
            json!({"kind": "Template", "key": "t"}),
            json!({"kind": "Incident", "name": "t"}),
            json!({"kind": "Incident", "key": "t", "feilds": {}}),
            json!({"kind": "Widget", "key": "t"}),
            json!({"key": "t"}),
        ] {
            assert!(read(value.clone()).is_err(), "{value}");
        }
    }

    #[test]
    fn template_numbers_that_are_no_id_name_no_template() {
        for (value, expected) in [
            (json!(1), Some(TemplateRef::Id(1))),
            (json!(u64::MAX), Some(TemplateRef::Id(u64::MAX))),
            (json!(1.0), None),
            (json!(1.8e19), None),
            (json!("1"), Some(TemplateRef::Name("1".to_string()))),
        ] {
            let written: TemplateNameOrId =
                serde_json::from_value(value.clone()).expect("a name or a number");
            assert_eq!(written.reference(), expected, "{value}");
        }
    }
}
