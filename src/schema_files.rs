//! The JSON Schemas in `schemas/` are generated from the serde types that read and write each
//! format, so that a type and its schema cannot drift apart. The files are checked in (editors
//! and `yaml-language-server` read them; the binary embeds them for validation), and
//! [`tests::checked_in_schemas_are_generated`] fails when one is stale. To regenerate:
//!
//! ```text
//! SOARFORM_UPDATE_SCHEMAS=1 cargo test --lib schema_files
//! ```

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value};

/// One generated file: its name under `schemas/` and its text.
struct SchemaFile {
    name: &'static str,
    text: String,
}

/// Every generated schema file.
fn generated() -> Vec<SchemaFile> {
    vec![
        file::<crate::config::ProjectFile>("project.schema.json", Contract::Read),
        file::<crate::manifest::DocumentFile>("soarform.schema.json", Contract::Read),
        file::<crate::plan_json::PlanDocument>("plan.schema.json", Contract::Written),
        file::<crate::sim::SimOptions>("sim-options.schema.json", Contract::Read),
    ]
}

/// How a format is described: by what soarform reads (files people write) or by what it writes
/// (the plan, whose every field soarform always writes, though it reads older plans leniently).
#[derive(Clone, Copy)]
enum Contract {
    Read,
    Written,
}

fn file<T: JsonSchema>(name: &'static str, contract: Contract) -> SchemaFile {
    let settings = SchemaSettings::draft2020_12();
    let settings = match contract {
        Contract::Read => settings.for_deserialize(),
        Contract::Written => settings.for_serialize(),
    };
    let generator = settings.into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    tidy(&mut schema);
    let mut value = schema.to_value();
    lead_with_identity(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    SchemaFile { name, text }
}

/// Rewrites what schemars says one way into the way the hand-written schemas said it, which is
/// what [`crate::manifest::schema`] phrases messages from:
/// - a `oneOf` of documented constants (an enum whose variants have doc comments) becomes one
///   `enum`, reported as "must be `a` or `b`";
/// - `"type": "string"` beside an `enum` of strings goes, so that a number where a name belongs
///   is also reported with the allowed names;
/// - descriptions read as one paragraph (doc comments wrap at 100 columns);
/// - the Rust-only annotations go: numeric `format`s (`uint32`, `double`) no validator checks,
///   and `default`s that only repeat serde's (the descriptions say each real default).
fn tidy(schema: &mut Schema) {
    if let Some(object) = schema.as_object_mut() {
        tidy_object(object);
    }
    schemars::transform::transform_subschemas(&mut tidy, schema);
}

fn tidy_object(object: &mut Map<String, Value>) {
    object.remove("default");
    let numeric_format = object
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|format| {
            format.starts_with("int")
                || format.starts_with("uint")
                || format == "double"
                || format == "float"
        });
    if numeric_format {
        object.remove("format");
    }
    if let Some(Value::String(description)) = object.get_mut("description") {
        *description = unwrapped(description);
    }
    let constants: Option<Vec<Value>> =
        object
            .get("oneOf")
            .and_then(Value::as_array)
            .and_then(|branches| {
                let names: Option<Vec<Vec<Value>>> =
                    branches.iter().map(string_constants).collect();
                names.map(|names| names.concat())
            });
    if let Some(constants) = constants {
        object.remove("oneOf");
        object.insert("enum".to_string(), Value::Array(constants));
        object.insert("type".to_string(), Value::String("string".to_string()));
    }
    let enum_of_strings = object
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| values.iter().all(Value::is_string));
    if enum_of_strings && object.get("type") == Some(&Value::String("string".to_string())) {
        object.remove("type");
    }
}

/// The strings a `oneOf` branch stands for: its `const`, or its `enum` (the variants of an
/// enum that have no doc comment), when they are strings.
fn string_constants(branch: &Value) -> Option<Vec<Value>> {
    let values = match (branch.get("const"), branch.get("enum")) {
        (Some(constant), None) => vec![constant.clone()],
        (None, Some(Value::Array(values))) => values.clone(),
        _ => return None,
    };
    values.iter().all(Value::is_string).then_some(values)
}

/// `text` with its single line breaks turned into spaces; paragraphs stay apart.
fn unwrapped(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .split('\n')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// `$schema`, `$id`, `title` and `description` first and `$defs` last, as a reader expects them.
fn lead_with_identity(value: &mut Value) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    let mut ordered = Map::new();
    for key in ["$schema", "$id", "title", "description"] {
        if let Some(entry) = object.remove(key) {
            ordered.insert(key.to_string(), entry);
        }
    }
    let definitions = object.remove("$defs");
    ordered.append(object);
    if let Some(definitions) = definitions {
        ordered.insert("$defs".to_string(), definitions);
    }
    *object = ordered;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn checked_in_schemas_are_generated() {
        let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let update = std::env::var_os("SOARFORM_UPDATE_SCHEMAS").is_some_and(|value| value == "1");
        let mut stale = Vec::new();
        for schema in generated() {
            let path = directory.join(schema.name);
            let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
            if checked_in == schema.text {
                continue;
            }
            if update {
                std::fs::write(&path, &schema.text)
                    .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
            } else {
                stale.push(schema.name);
            }
        }
        assert!(
            stale.is_empty(),
            "schemas/{} differ from the types they are generated from; run \
             `SOARFORM_UPDATE_SCHEMAS=1 cargo test --lib schema_files` and commit the result",
            stale.join(", schemas/")
        );
    }

    #[test]
    fn generated_schemas_are_valid_json_schemas() {
        for schema in generated() {
            let value: Value = serde_json::from_str(&schema.text)
                .unwrap_or_else(|error| panic!("{}: {error}", schema.name));
            if let Err(error) = jsonschema::meta::validate(&value) {
                panic!("{}: {error}", schema.name);
            }
        }
    }
}
