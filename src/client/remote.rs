//! Objects as Cloud SOAR returns them, with the `{"name", "value"}` wrapping taken off.

use std::collections::BTreeMap;

use serde_json::Value;

/// An incident or triage item read from the tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteObject {
    /// The server's id.
    pub id: u64,
    /// The incident template's display name (incidents only).
    pub template: Option<String>,
    /// Who created it, as the server reports (`created_by`).
    pub created_by: Option<String>,
    /// Field values by API name, unwrapped; select fields hold display strings.
    pub fields: BTreeMap<String, Value>,
}

impl RemoteObject {
    /// Parses one object of a read answer.
    ///
    /// Tolerant of both layouts seen in the wild: fields under `"fields"`, or at the top level
    /// beside `id`; each value either wrapped as `{"name": label, "value": v}` or bare.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .ok_or_else(|| format!("expected an object, found {}", type_name(value)))?;
        let id = match object.get("id").map(unwrap) {
            Some(Value::Number(number)) => number.as_u64(),
            Some(Value::String(text)) => text.parse().ok(),
            _ => None,
        }
        .ok_or("an object has no numeric `id`")?;
        let text = |name: &str| {
            object.get(name).map(unwrap).and_then(|value| match value {
                Value::String(text) => Some(text.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            })
        };
        let mut fields = BTreeMap::new();
        match object.get("fields") {
            Some(Value::Object(inner)) => {
                for (name, value) in inner {
                    fields.insert(name.clone(), unwrap(value).clone());
                }
            }
            Some(other) => {
                return Err(format!(
                    "`fields` of object {id} is {}, expected an object",
                    type_name(other)
                ))
            }
            None => {
                for (name, value) in object {
                    if !matches!(name.as_str(), "id" | "template" | "template_id") {
                        fields.insert(name.clone(), unwrap(value).clone());
                    }
                }
            }
        }
        Ok(RemoteObject {
            id,
            template: text("template"),
            created_by: text("created_by").or_else(|| {
                fields
                    .get("created_by")
                    .and_then(|value| value.as_str().map(str::to_string))
            }),
            fields,
        })
    }
}

/// `{"name": "Status", "value": "Open"}` -> `"Open"`; anything else as it is.
fn unwrap(value: &Value) -> &Value {
    match value {
        Value::Object(map) if map.contains_key("value") && map.len() <= 2 => &map["value"],
        other => other,
    }
}

/// A short name of a JSON value's type, for messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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
    fn refuses_objects_without_id() {
        assert!(RemoteObject::from_json(&json!({"fields": {}})).is_err());
        assert!(RemoteObject::from_json(&json!([1])).is_err());
    }
}
