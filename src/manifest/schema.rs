//! The embedded JSON Schemas, and their errors turned into positioned diagnostics.
//!
//! A schema error only carries an instance path (`/fields/status`); the node tree from
//! [`super::yaml`] maps that path back to the line and column it was written at.

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError, Validator};
use serde_json::Value;

use super::diagnostic::{did_you_mean, one_of, Diagnostic};
use super::yaml::Node;

/// The schema of desired-state documents (`schemas/soarform.schema.json`).
pub(crate) const DOCUMENT_SCHEMA: &str = include_str!("../../schemas/soarform.schema.json");
/// The schema of the project file `soarform.yaml` (`schemas/project.schema.json`).
pub(crate) const PROJECT_SCHEMA: &str = include_str!("../../schemas/project.schema.json");
/// The schema of the simulator's faults file (`schemas/sim-options.schema.json`).
pub(crate) const SIM_OPTIONS_SCHEMA: &str = include_str!("../../schemas/sim-options.schema.json");

/// Declares a unit struct that stands for its JSON Schema, written out as JSON: for the parts of
/// a format serde attributes cannot describe (a choice of types, a constant, properties from a
/// table). `inline` puts the schema where it is used instead of under `$defs`.
///
/// ```ignore
/// schema_type!(
///     /// A display name or a numeric id.
///     pub(crate) inline NameOrId = { "type": ["string", "integer"] }
/// );
/// ```
macro_rules! schema_type {
    ($(#[$meta:meta])* $visibility:vis inline $name:ident = $schema:tt) => {
        $crate::manifest::schema::schema_type!(@define $(#[$meta])* $visibility $name, true, $schema);
    };
    ($(#[$meta:meta])* $visibility:vis $name:ident = $schema:tt) => {
        $crate::manifest::schema::schema_type!(@define $(#[$meta])* $visibility $name, false, $schema);
    };
    (@define $(#[$meta:meta])* $visibility:vis $name:ident, $inline:expr, $schema:tt) => {
        $(#[$meta])*
        #[derive(Default)]
        $visibility struct $name;

        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                $inline
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }
    };
}
pub(crate) use schema_type;

/// Which embedded schema to validate against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemaName {
    Document,
    Project,
    SimOptions,
}

struct Compiled {
    schema: Value,
    validator: Validator,
}

fn compiled(name: SchemaName) -> Result<&'static Compiled, &'static str> {
    static DOCUMENT: OnceLock<Result<Compiled, String>> = OnceLock::new();
    static PROJECT: OnceLock<Result<Compiled, String>> = OnceLock::new();
    static SIM_OPTIONS: OnceLock<Result<Compiled, String>> = OnceLock::new();
    let (cell, text) = match name {
        SchemaName::Document => (&DOCUMENT, DOCUMENT_SCHEMA),
        SchemaName::Project => (&PROJECT, PROJECT_SCHEMA),
        SchemaName::SimOptions => (&SIM_OPTIONS, SIM_OPTIONS_SCHEMA),
    };
    let compiled = cell.get_or_init(|| {
        let schema: Value = serde_json::from_str(text).map_err(|error| error.to_string())?;
        let validator = jsonschema::validator_for(&schema).map_err(|error| error.to_string())?;
        Ok(Compiled { schema, validator })
    });
    compiled.as_ref().map_err(String::as_str)
}

/// One schema violation, located by the path of the offending value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// Property names and indices from the document root.
    pub path: Vec<String>,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ProblemKind {
    /// A key the mapping at `path` does not take; `allowed` are the keys it does.
    UnknownKey { key: String, allowed: Vec<String> },
    /// The mapping at `path` lacks `key`.
    Missing { key: String },
    /// The value has the wrong type; `expected` as in `a string`, `an integer`.
    WrongType { expected: Vec<&'static str> },
    /// The value is not one of these.
    NotOneOf { allowed: Vec<Value> },
    /// The string does not match this regular expression.
    Pattern { pattern: String },
    /// Any other constraint, phrased to follow the value's name (`must be at least 1`).
    Constraint { phrase: String },
}

/// Validates `instance`, one problem per offending value (the first the schema reports), one
/// per missing or unknown key.
pub(crate) fn validate(name: SchemaName, instance: &Value) -> Vec<Problem> {
    let compiled = match compiled(name) {
        Ok(compiled) => compiled,
        Err(error) => {
            return vec![Problem {
                path: Vec::new(),
                kind: ProblemKind::Constraint {
                    phrase: format!("cannot be checked: the embedded schema is broken: {error}"),
                },
            }]
        }
    };
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for error in compiled.validator.iter_errors(instance) {
        collect(&error, compiled, &mut seen, &mut problems);
    }
    problems
}

type Seen = HashSet<(Vec<String>, String)>;

fn collect(
    error: &ValidationError<'_>,
    compiled: &Compiled,
    seen: &mut Seen,
    problems: &mut Vec<Problem>,
) {
    let path = split_pointer(error.instance_path().as_str());
    let kind = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_keys(&compiled.schema, error.schema_path().as_str());
            for key in unexpected {
                if seen.insert((path.clone(), format!("unknown:{key}"))) {
                    problems.push(Problem {
                        path: path.clone(),
                        kind: ProblemKind::UnknownKey {
                            key: key.clone(),
                            allowed: allowed.clone(),
                        },
                    });
                }
            }
            return;
        }
        ValidationErrorKind::Required { property } => {
            let key = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            if seen.insert((path.clone(), format!("missing:{key}"))) {
                problems.push(Problem {
                    path,
                    kind: ProblemKind::Missing { key },
                });
            }
            return;
        }
        ValidationErrorKind::AnyOf { context } => {
            // `extends`: a string or a list of strings. When the value has the type of one
            // branch (a list), that branch's own errors say more (`extends[1]` is empty).
            let own_path = error.instance_path().as_str();
            let fitting = context.iter().find(|branch| {
                !branch.iter().any(|inner| {
                    inner.instance_path().as_str() == own_path
                        && matches!(inner.kind(), ValidationErrorKind::Type { .. })
                })
            });
            if let Some(branch) = fitting.filter(|branch| !branch.is_empty()) {
                for inner in branch {
                    collect(inner, compiled, seen, problems);
                }
                return;
            }
            ProblemKind::Constraint {
                phrase: format!(
                    "must be {}",
                    any_of_phrase(&compiled.schema, error.schema_path().as_str())
                ),
            }
        }
        ValidationErrorKind::Type { kind } => ProblemKind::WrongType {
            expected: expected_types(kind),
        },
        ValidationErrorKind::Enum { options } => ProblemKind::NotOneOf {
            allowed: options.as_array().cloned().unwrap_or_default(),
        },
        ValidationErrorKind::Constant { expected_value } => ProblemKind::NotOneOf {
            allowed: vec![(**expected_value).clone()],
        },
        ValidationErrorKind::Pattern { pattern } => ProblemKind::Pattern {
            pattern: pattern.clone(),
        },
        other => ProblemKind::Constraint {
            phrase: constraint_phrase(other).unwrap_or_else(|| error.to_string()),
        },
    };
    // One problem per value: `""` breaks both `minLength` and `pattern`, say it once.
    if seen.insert((path.clone(), "value".to_string())) {
        problems.push(Problem { path, kind });
    }
}

/// `/fields/a~1b` -> `["fields", "a/b"]`.
fn split_pointer(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The `properties` of the schema object whose `additionalProperties` refused a key.
fn allowed_keys(schema: &Value, schema_path: &str) -> Vec<String> {
    let parent = schema_path
        .strip_suffix("/additionalProperties")
        .unwrap_or(schema_path);
    resolve(schema, parent)
        .and_then(|object| object.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// The subschema a validator's schema path leads to. The path passes through `$ref`s
/// (`/properties/limits/$ref/additionalProperties`), which a plain JSON pointer cannot follow.
fn resolve<'a>(schema: &'a Value, schema_path: &str) -> Option<&'a Value> {
    split_pointer(schema_path)
        .iter()
        .try_fold(schema, |current, segment| {
            if segment == "$ref" {
                let reference = current.get("$ref")?.as_str()?;
                schema.pointer(reference.strip_prefix('#')?)
            } else {
                match current {
                    Value::Array(items) => items.get(segment.parse::<usize>().ok()?),
                    _ => current.get(segment),
                }
            }
        })
}

/// `a string or a list of strings` for an `anyOf` of typed branches.
fn any_of_phrase(schema: &Value, schema_path: &str) -> String {
    let branches = resolve(schema, schema_path)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let phrases: Vec<String> = branches
        .iter()
        .filter_map(|branch| {
            let kind = branch.get("type")?.as_str()?;
            Some(match kind {
                "array" => {
                    let items = branch
                        .pointer("/items/type")
                        .and_then(Value::as_str)
                        .map_or("values".to_string(), |item| format!("{item}s"));
                    format!("a non-empty list of {items}")
                }
                other => type_phrase(other).to_string(),
            })
        })
        .collect();
    if phrases.is_empty() {
        "one of the allowed forms".to_string()
    } else {
        phrases.join(" or ")
    }
}

fn type_phrase(name: &str) -> &'static str {
    match name {
        "null" => "null",
        "boolean" => "a boolean",
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "array" => "a list",
        "object" => "a mapping",
        _ => "a value",
    }
}

fn expected_types(kind: &TypeKind) -> Vec<&'static str> {
    let types: Vec<JsonType> = match kind {
        TypeKind::Single(single) => vec![*single],
        TypeKind::Multiple(set) => set.iter().collect(),
    };
    let has_number = types.contains(&JsonType::Number);
    // Readers expect strings first and null last.
    let order = [
        JsonType::String,
        JsonType::Integer,
        JsonType::Number,
        JsonType::Boolean,
        JsonType::Object,
        JsonType::Array,
        JsonType::Null,
    ];
    order
        .into_iter()
        .filter(|candidate| types.contains(candidate))
        .filter(|candidate| !(has_number && *candidate == JsonType::Integer))
        .map(|candidate| type_phrase(candidate.as_str()))
        .collect()
}

fn constraint_phrase(kind: &ValidationErrorKind) -> Option<String> {
    Some(match kind {
        ValidationErrorKind::MinLength { limit: 1 } => "must not be empty".to_string(),
        ValidationErrorKind::MinLength { limit } => {
            format!("must be at least {limit} characters long")
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("must be at most {limit} characters long")
        }
        ValidationErrorKind::Minimum { limit } => format!("must be at least {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("must be at most {limit}"),
        ValidationErrorKind::ExclusiveMinimum { limit } => format!("must be greater than {limit}"),
        ValidationErrorKind::ExclusiveMaximum { limit } => format!("must be less than {limit}"),
        ValidationErrorKind::MinItems { limit: 1 } => "must not be empty".to_string(),
        ValidationErrorKind::MinItems { limit } => format!("must have at least {limit} items"),
        ValidationErrorKind::MaxItems { limit } => format!("must have at most {limit} items"),
        ValidationErrorKind::UniqueItems => "must not repeat items".to_string(),
        _ => return None,
    })
}

/// `` `limits.page_size` ``, `` `extends[1]` ``, or `the document` for the root.
pub(crate) fn describe_path(path: &[String]) -> String {
    if path.is_empty() {
        return "the document".to_string();
    }
    let mut out = String::new();
    for segment in path {
        if segment.parse::<usize>().is_ok() && !out.is_empty() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    format!("`{out}`")
}

/// `` `x` `` for a scalar, `a mapping` / `a list` otherwise: how a found value is shown.
pub(crate) fn show_value(node: &Node) -> String {
    match &node.value {
        super::yaml::NodeValue::Scalar(Value::String(text)) => {
            format!("`{}`", super::diagnostic::escaped(text))
        }
        super::yaml::NodeValue::Scalar(Value::Null) => "null".to_string(),
        // As written: `0042`, not the `42` YAML reads it as.
        super::yaml::NodeValue::Scalar(value) => match &node.written {
            Some(written) => format!("`{written}`"),
            None => format!("`{value}`"),
        },
        _ => node.type_name().to_string(),
    }
}

fn show_json(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The generic diagnostic for a problem; callers that know better phrase their own first.
pub(crate) fn diagnostic(file: &Path, root: &Node, problem: &Problem) -> Diagnostic {
    let located = root.find(&problem.path);
    let what = describe_path(&problem.path);
    let (origin, found) = match located {
        Some((node, _)) => (Some(node.pos.origin(file)), show_value(node)),
        None => (Some(root.pos.origin(file)), "nothing".to_string()),
    };
    let at = |message: String| match &origin {
        Some(origin) => Diagnostic::at(origin.clone(), message),
        None => Diagnostic::new(message),
    };
    match &problem.kind {
        ProblemKind::UnknownKey { key, allowed } => {
            let key_origin = located
                .and_then(|(node, _)| node.get(key))
                .map(|entry| entry.key_pos.origin(file));
            let message = if problem.path.is_empty() {
                format!("unknown key `{key}`")
            } else {
                format!("unknown key `{key}` in {what}")
            };
            let mut diagnostic = match key_origin {
                Some(origin) => Diagnostic::at(origin, message),
                None => at(message),
            }
            .with_label("unknown key");
            if !allowed.is_empty() {
                diagnostic =
                    diagnostic.with_note(format!("expected one of {}", one_of(allowed, "or")));
            }
            if let Some(suggestion) = did_you_mean(key, allowed.iter().map(String::as_str)) {
                diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
            }
            diagnostic
        }
        ProblemKind::Missing { key } => {
            let message = if problem.path.is_empty() {
                format!("missing `{key}`")
            } else {
                format!("missing `{key}` in {what}")
            };
            at(message).with_label(format!("expected `{key}` here"))
        }
        ProblemKind::WrongType { expected } => at(format!(
            "{what} must be {}, found {found}",
            join_or(expected)
        ))
        .with_label(format!("expected {}", join_or(expected))),
        ProblemKind::NotOneOf { allowed } => {
            let allowed: Vec<String> = allowed.iter().map(show_json).collect();
            let mut diagnostic = at(format!(
                "{what} must be {}, found {found}",
                one_of(&allowed, "or")
            ))
            .with_label("not an allowed value");
            if let Some((node, _)) = located {
                if let Some(text) = node.as_str() {
                    if let Some(suggestion) = did_you_mean(text, allowed.iter().map(String::as_str))
                    {
                        diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
                    }
                }
            }
            diagnostic
        }
        ProblemKind::Pattern { pattern } => {
            at(format!("{what} must match `{pattern}`, found {found}")).with_label("does not match")
        }
        ProblemKind::Constraint { phrase } => {
            at(format!("{what} {phrase}, found {found}")).with_label(phrase.clone())
        }
    }
}

/// `a string, a number or null`.
pub(crate) fn join_or(items: &[&str]) -> String {
    match items {
        [] => "a value".to_string(),
        [only] => (*only).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn embedded_schemas_compile() {
        assert!(compiled(SchemaName::Document).is_ok());
        assert!(compiled(SchemaName::Project).is_ok());
        assert!(compiled(SchemaName::SimOptions).is_ok());
    }

    #[test]
    fn reports_one_problem_per_value_and_unknown_keys_with_allowed_list() {
        let problems = validate(
            SchemaName::Document,
            &json!({"kind": "Incident", "key": "", "tmplate": 1, "fields": {"a": {"b": 1}}}),
        );
        assert_eq!(
            problems,
            [
                Problem {
                    path: vec!["key".to_string()],
                    kind: ProblemKind::Constraint {
                        phrase: "must not be empty".to_string()
                    }
                },
                Problem {
                    path: vec!["fields".to_string(), "a".to_string()],
                    kind: ProblemKind::WrongType {
                        expected: vec!["a string", "a number", "a boolean", "a list", "null"]
                    }
                },
                Problem {
                    path: Vec::new(),
                    kind: ProblemKind::UnknownKey {
                        key: "tmplate".to_string(),
                        allowed: [
                            "kind",
                            "key",
                            "template",
                            "extends",
                            "fields",
                            "ignore_changes"
                        ]
                        .map(String::from)
                        .to_vec()
                    }
                },
            ]
        );
    }

    #[test]
    fn phrases_extends_alternatives() {
        let problems = validate(
            SchemaName::Document,
            &json!({"kind": "Template", "name": "t", "extends": {"a": 1}}),
        );
        assert_eq!(
            problems,
            [Problem {
                path: vec!["extends".to_string()],
                kind: ProblemKind::Constraint {
                    phrase: "must be a string or a non-empty list of strings".to_string()
                }
            }]
        );
    }

    #[test]
    fn reports_the_fitting_branch_of_extends() {
        let problems = validate(
            SchemaName::Document,
            &json!({"kind": "Template", "name": "t", "extends": ["a", ""]}),
        );
        assert_eq!(
            problems,
            [Problem {
                path: vec!["extends".to_string(), "1".to_string()],
                kind: ProblemKind::Constraint {
                    phrase: "must not be empty".to_string()
                }
            }]
        );
        let problems = validate(
            SchemaName::Document,
            &json!({"kind": "Template", "name": "t", "extends": []}),
        );
        assert_eq!(problems[0].path, ["extends"]);
        assert_eq!(
            problems[0].kind,
            ProblemKind::Constraint {
                phrase: "must not be empty".to_string()
            }
        );
    }

    #[test]
    fn describes_paths() {
        assert_eq!(
            describe_path(&["extends".to_string(), "1".to_string()]),
            "`extends[1]`"
        );
        assert_eq!(
            describe_path(&["limits".to_string(), "page_size".to_string()]),
            "`limits.page_size`"
        );
        assert_eq!(split_pointer("/fields/a~1b~0c"), ["fields", "a/b~c"]);
    }
}
