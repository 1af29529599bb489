//! Values made comparable: desired YAML values and observed API values both become [`Normalized`].
//!
//! Reads return display strings for select fields, datetimes with offsets and microseconds, text with
//! `\r\n`; documents hold names or ids, `Z` times and `\n`. Both sides are brought to one form here, so
//! a plan shows only real changes.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::catalog::{closest_names, Column, ColumnType};

/// A field value in comparable form.
#[derive(Debug, Clone)]
pub enum Normalized {
    /// No value.
    Absent,
    /// Text with `\n` line endings.
    Text(String),
    /// A number.
    Number(f64),
    /// A point in time.
    Instant(DateTime<Utc>),
    /// An option of a select field; `id` is `None` when the catalog does not know the display string.
    Choice { id: Option<u64>, name: String },
    /// A boolean (for column types soarform does not know).
    Bool(bool),
}

impl PartialEq for Normalized {
    fn eq(&self, other: &Self) -> bool {
        use Normalized::*;
        match (self, other) {
            (Absent, Absent) => true,
            (Text(a), Text(b)) => a == b,
            (Number(a), Number(b)) => a == b,
            (Instant(a), Instant(b)) => a == b,
            (Choice { id: Some(a), .. }, Choice { id: Some(b), .. }) => a == b,
            (Choice { name: a, .. }, Choice { name: b, .. }) => a == b,
            (Bool(a), Bool(b)) => a == b,
            _ => false,
        }
    }
}

impl Normalized {
    /// Whether the value is text of more than one line (shown as a unified diff).
    pub fn is_multiline(&self) -> bool {
        matches!(self, Normalized::Text(text) if text.trim_end_matches('\n').contains('\n'))
    }

    /// The value as JSON for machine-readable output.
    pub fn to_json(&self) -> Value {
        match self {
            Normalized::Absent => Value::Null,
            Normalized::Text(text) => json!(text),
            Normalized::Number(number) => json!(number),
            Normalized::Instant(instant) => json!(format_instant(instant)),
            Normalized::Choice { name, .. } => json!(name),
            Normalized::Bool(flag) => json!(flag),
        }
    }
}

impl fmt::Display for Normalized {
    /// One-line display for plans: text quoted, choices and times bare.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Normalized::Absent => f.write_str("(none)"),
            Normalized::Text(text) => write!(f, "{text:?}"),
            Normalized::Number(number) => write!(f, "{number}"),
            Normalized::Instant(instant) => f.write_str(&format_instant(instant)),
            Normalized::Choice { name, .. } => write!(f, "{name:?}"),
            Normalized::Bool(flag) => write!(f, "{flag}"),
        }
    }
}

/// An instant as RFC 3339 in UTC with a `Z`, seconds precision unless sub-seconds are set.
pub fn format_instant(instant: &DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `\r\n` and lone `\r` become `\n`.
pub fn normalize_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    }
}

/// Parses RFC 3339, `YYYY-MM-DD HH:MM:SS[.f]` (taken as UTC) or a plain date (midnight UTC).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(instant.with_timezone(&Utc));
    }
    if let Ok(instant) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(instant.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
}

/// A desired value in comparable form, and the JSON that writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredValue {
    /// For comparison and display.
    pub normalized: Normalized,
    /// For the request body (ids for selects, RFC 3339 for datetimes).
    pub write: Value,
}

/// Converts a document's value for a column; the error says what was expected.
pub fn desired(column: &Column, value: &Value) -> Result<DesiredValue, String> {
    if value.is_null() {
        return Ok(DesiredValue {
            normalized: Normalized::Absent,
            write: Value::Null,
        });
    }
    match &column.column_type {
        ColumnType::Select => desired_choice(column, value),
        ColumnType::Datetime => {
            let instant = value.as_str().and_then(parse_instant).ok_or_else(|| {
                format!(
                    "`{}` is a date and time field: expected an RFC 3339 timestamp such as `2026-11-20T09:00:00Z` or a date such as `2026-11-20`, found {}",
                    column.label,
                    shown(value)
                )
            })?;
            Ok(DesiredValue {
                write: json!(format_instant(&instant)),
                normalized: Normalized::Instant(instant),
            })
        }
        ColumnType::Number => {
            let number = match value {
                Value::Number(number) => number.as_f64(),
                Value::String(text) => text.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|number| number.is_finite())
            .ok_or_else(|| {
                format!(
                    "`{}` is a number field: expected a number, found {}",
                    column.label,
                    shown(value)
                )
            })?;
            Ok(DesiredValue {
                write: json!(number),
                normalized: Normalized::Number(number),
            })
        }
        ColumnType::Text | ColumnType::Textarea | ColumnType::Other(_) => {
            let text = match value {
                Value::String(text) => normalize_newlines(text),
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                other => {
                    return Err(format!(
                        "`{}` is a text field: expected a string, found {}",
                        column.label,
                        shown(other)
                    ))
                }
            };
            Ok(DesiredValue {
                write: json!(text),
                normalized: Normalized::Text(text),
            })
        }
    }
}

fn desired_choice(column: &Column, value: &Value) -> Result<DesiredValue, String> {
    let choice = match value {
        Value::Number(number) => {
            let id = number.as_u64().ok_or_else(|| {
                format!(
                    "`{}` takes an option name or a whole-number option id, found {number}",
                    column.label
                )
            })?;
            column.choice_by_id(id).ok_or_else(|| {
                format!(
                    "`{}` has no option with id {id}; valid options: {}",
                    column.label,
                    list_choices(column)
                )
            })?
        }
        Value::String(name) => column.choice_by_name(name).ok_or_else(|| {
            let closest = closest_names(
                name,
                column.options.iter().map(|choice| choice.value.as_str()),
            );
            let mut message = format!("`{}` has no option `{name}`", column.label);
            if !closest.is_empty() {
                let names: Vec<String> = closest.iter().map(|name| format!("`{name}`")).collect();
                message.push_str(&format!("; did you mean {}?", names.join(" or ")));
            }
            message.push_str(&format!(" (valid options: {})", list_choices(column)));
            message
        })?,
        other => {
            return Err(format!(
                "`{}` takes an option name or id, found {}",
                column.label,
                shown(other)
            ))
        }
    };
    Ok(DesiredValue {
        write: json!(choice.id),
        normalized: Normalized::Choice {
            id: Some(choice.id),
            name: choice.value.clone(),
        },
    })
}

fn list_choices(column: &Column) -> String {
    let names: Vec<String> = column
        .options
        .iter()
        .map(|choice| format!("`{}` ({})", choice.value, choice.id))
        .collect();
    names.join(", ")
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{text}`"),
        other => format!("{} `{other}`", crate::client::remote::type_name(other)),
    }
}

/// Converts a value read from the tenant for a column. Never fails: what cannot be understood is
/// kept as text, so it shows as a change rather than hiding one.
pub fn observed(column: &Column, value: Option<&Value>) -> Normalized {
    let Some(value) = value.filter(|value| !value.is_null()) else {
        return Normalized::Absent;
    };
    let as_text = || match value {
        Value::String(text) => Normalized::Text(normalize_newlines(text)),
        other => Normalized::Text(other.to_string()),
    };
    match &column.column_type {
        ColumnType::Select => match value {
            Value::String(name) => Normalized::Choice {
                id: column.choice_by_name(name).map(|choice| choice.id),
                name: name.clone(),
            },
            Value::Number(number) => match number.as_u64().and_then(|id| column.choice_by_id(id)) {
                Some(choice) => Normalized::Choice {
                    id: Some(choice.id),
                    name: choice.value.clone(),
                },
                None => Normalized::Choice {
                    id: None,
                    name: number.to_string(),
                },
            },
            _ => as_text(),
        },
        ColumnType::Datetime => value
            .as_str()
            .and_then(parse_instant)
            .map(Normalized::Instant)
            .unwrap_or_else(as_text),
        ColumnType::Number => match value {
            Value::Number(number) => number
                .as_f64()
                .map(Normalized::Number)
                .unwrap_or_else(as_text),
            Value::String(text) => text
                .trim()
                .parse::<f64>()
                .map(Normalized::Number)
                .unwrap_or_else(|_| as_text()),
            _ => as_text(),
        },
        ColumnType::Other(_) if value.is_boolean() => {
            Normalized::Bool(value.as_bool().unwrap_or_default())
        }
        ColumnType::Text | ColumnType::Textarea | ColumnType::Other(_) => match value {
            Value::Number(number) => Normalized::Text(number.to_string()),
            _ => as_text(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Choice;

    fn column(column_type: ColumnType) -> Column {
        Column {
            field: "f".into(),
            label: "Field".into(),
            column_type,
            options: vec![
                Choice {
                    id: 1,
                    value: "Open".into(),
                },
                Choice {
                    id: 4,
                    value: "Closed".into(),
                },
            ],
        }
    }

    #[test]
    fn dates_compare_as_instants() {
        let column = column(ColumnType::Datetime);
        let desired = desired(&column, &json!("2026-11-20T10:00:00+01:00")).unwrap();
        let observed = observed(&column, Some(&json!("2026-11-20T09:00:00.000000+00:00")));
        assert_eq!(desired.normalized, observed);
        assert_eq!(desired.write, json!("2026-11-20T09:00:00Z"));
        let later = observed_value(&column, "2026-11-20T09:00:01.000000+00:00");
        assert_ne!(desired.normalized, later);
    }

    fn observed_value(column: &Column, text: &str) -> Normalized {
        observed(column, Some(&json!(text)))
    }

    #[test]
    fn plain_dates_are_midnight_utc() {
        let column = column(ColumnType::Datetime);
        let desired = desired(&column, &json!("2026-11-20")).unwrap();
        assert_eq!(
            desired.normalized,
            observed_value(&column, "2026-11-20T00:00:00Z")
        );
        assert!(super::desired(&column, &json!("2026-13-40")).is_err());
        assert!(super::desired(&column, &json!(5)).is_err());
    }

    #[test]
    fn text_compares_after_line_ending_normalization() {
        let column = column(ColumnType::Textarea);
        let desired = desired(&column, &json!("one\ntwo\n")).unwrap();
        assert_eq!(
            desired.normalized,
            observed_value(&column, "one\r\ntwo\r\n")
        );
        assert_ne!(desired.normalized, observed_value(&column, "one\r\ntwo"));
        assert!(desired.normalized.is_multiline());
    }

    #[test]
    fn choices_by_name_or_id_write_ids_and_compare_with_display_strings() {
        let column = column(ColumnType::Select);
        let by_name = desired(&column, &json!("Closed")).unwrap();
        let by_id = desired(&column, &json!(4)).unwrap();
        assert_eq!(by_name, by_id);
        assert_eq!(by_name.write, json!(4));
        assert_eq!(by_name.normalized, observed_value(&column, "Closed"));
        assert_ne!(by_name.normalized, observed_value(&column, "Open"));
        let unknown = desired(&column, &json!("Closd")).unwrap_err();
        assert!(unknown.contains("did you mean `Closed`"), "{unknown}");
        assert!(desired(&column, &json!(9))
            .unwrap_err()
            .contains("no option with id 9"));
    }

    #[test]
    fn numbers_compare_numerically() {
        let column = column(ColumnType::Number);
        let desired = desired(&column, &json!(250000)).unwrap();
        assert_eq!(
            desired.normalized,
            observed(&column, Some(&json!(250000.0)))
        );
        assert!(super::desired(&column, &json!("lots")).is_err());
    }

    #[test]
    fn text_fields_accept_numbers_as_text() {
        let column = column(ColumnType::Text);
        let desired = desired(&column, &json!(7731)).unwrap();
        assert_eq!(desired.write, json!("7731"));
        assert_eq!(desired.normalized, observed_value(&column, "7731"));
    }

    #[test]
    fn absent_values() {
        let column = column(ColumnType::Text);
        assert_eq!(observed(&column, None), Normalized::Absent);
        assert_eq!(observed(&column, Some(&Value::Null)), Normalized::Absent);
        assert_eq!(
            desired(&column, &Value::Null).unwrap().normalized,
            Normalized::Absent
        );
    }
}
