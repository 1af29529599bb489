//! Values made comparable: desired YAML values and observed API values both become [`Normalized`].
//!
//! Reads return display strings for select fields, datetimes with offsets and microseconds, text with
//! `\r\n`; documents hold names or ids, `Z` times and `\n`. Both sides are brought to one form here, so
//! a plan shows only real changes.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Number, Value};

use crate::catalog::{closest_names, Column, ColumnType};
use crate::dates::{self, Precision, Read};
use crate::manifest::diagnostic::escaped;
use crate::manifest::value;

/// A field value in comparable form.
#[derive(Debug, Clone)]
pub(crate) enum Normalized {
    /// No value.
    Absent,
    /// Text with `\n` line endings.
    Text(String),
    /// A number.
    Number(f64),
    /// A point in time, known to `precision`: a desired instant is exact; a read one is the start
    /// of the unit the tenant showed (a minute for `07:15 AM`).
    Instant {
        at: DateTime<Utc>,
        precision: Precision,
    },
    /// An option of a select field; `id` is `None` when the catalog does not know the display string.
    Choice { id: Option<u64>, name: String },
    /// A boolean (checkboxes, and column types soarform does not know).
    Bool(bool),
    /// The values of a multi-value field (choices or tags), compared as a set: order and
    /// repeats do not matter, and no values is the same as none set.
    Set(Vec<Normalized>),
}

impl PartialEq for Normalized {
    fn eq(&self, other: &Self) -> bool {
        use Normalized::*;
        match (self, other) {
            (Absent, Absent) => true,
            (Text(a), Text(b)) => a == b,
            (Number(a), Number(b)) => a == b,
            // The finer instant falls within the unit the coarser one shows: a desired
            // 09:00:30 is what a tenant showing minutes reads back as 09:00.
            (
                Instant {
                    at: a,
                    precision: pa,
                },
                Instant {
                    at: b,
                    precision: pb,
                },
            ) => {
                let (fine, coarse, coarse_precision) =
                    if pa >= pb { (a, b, pb) } else { (b, a, pa) };
                dates::same_at_precision(
                    *fine,
                    &Read::Instant {
                        at: *coarse,
                        precision: *coarse_precision,
                    },
                )
            }
            (Choice { id: Some(a), .. }, Choice { id: Some(b), .. }) => a == b,
            (Choice { name: a, .. }, Choice { name: b, .. }) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Set(a), Set(b)) => {
                a.iter().all(|value| b.contains(value)) && b.iter().all(|value| a.contains(value))
            }
            (Set(values), Absent) | (Absent, Set(values)) => values.is_empty(),
            _ => false,
        }
    }
}

impl Normalized {
    /// Whether the value is text of more than one line (shown as a unified diff).
    pub(crate) fn is_multiline(&self) -> bool {
        matches!(self, Normalized::Text(text) if text.trim_end_matches('\n').contains('\n'))
    }

    /// The value as JSON for machine-readable output.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Normalized::Absent => Value::Null,
            Normalized::Text(text) => json!(text),
            Normalized::Number(number) => json!(number),
            Normalized::Instant { at, .. } => json!(format_instant(at)),
            Normalized::Choice { name, .. } => json!(name),
            Normalized::Bool(flag) => json!(flag),
            Normalized::Set(values) => {
                Value::Array(values.iter().map(Normalized::to_json).collect())
            }
        }
    }
}

/// A value as a saved plan holds it ([`Normalized::to_json`]), read without its column: `null`
/// is none, a string in the form [`format_instant`] writes is an instant, any other string is
/// text (a choice's name shows the same), numbers, booleans and lists as they are. Only a text
/// value that is itself such a timestamp reads differently than the plan showed it (unquoted).
pub(crate) fn from_saved(value: &Value) -> Normalized {
    match value {
        Value::Null => Normalized::Absent,
        Value::Bool(flag) => Normalized::Bool(*flag),
        Value::Number(number) => number
            .as_f64()
            .map_or(Normalized::Absent, Normalized::Number),
        Value::String(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(at) if text.ends_with('Z') && format_instant(&at.with_timezone(&Utc)) == *text => {
                Normalized::Instant {
                    at: at.with_timezone(&Utc),
                    precision: Precision::Second,
                }
            }
            _ => Normalized::Text(text.clone()),
        },
        Value::Array(values) => Normalized::Set(values.iter().map(from_saved).collect()),
        Value::Object(_) => Normalized::Text(value.to_string()),
    }
}

impl fmt::Display for Normalized {
    /// One-line display for plans: text quoted, choices and times bare.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Normalized::Absent => f.write_str("(none)"),
            Normalized::Text(text) => write!(f, "{text:?}"),
            Normalized::Number(number) => write!(f, "{number}"),
            Normalized::Instant { at, .. } => f.write_str(&format_instant(at)),
            Normalized::Choice { name, .. } => write!(f, "{name:?}"),
            Normalized::Bool(flag) => write!(f, "{flag}"),
            Normalized::Set(values) => {
                f.write_str("[")?;
                for (index, value) in values.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{value}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// An instant as RFC 3339 in UTC with a `Z`, seconds precision unless sub-seconds are set.
pub(crate) fn format_instant(instant: &DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `\r\n` and lone `\r` become `\n`.
pub(crate) fn normalize_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    }
}

/// A desired value in comparable form, and the JSON that writes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DesiredValue {
    /// For comparison and display.
    pub normalized: Normalized,
    /// For the request body (ids for selects, RFC 3339 for datetimes).
    pub write: Value,
}

/// Why a desired value cannot be sent as it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidValue {
    /// What is wrong; it may quote the value.
    pub message: String,
    /// What to do about it; it may quote the value.
    pub help: Option<String>,
    /// What to do about it without quoting the value, for fields whose values are never shown.
    pub help_without_value: Option<String>,
}

impl InvalidValue {
    fn new(message: String) -> Self {
        InvalidValue {
            message,
            help: None,
            help_without_value: None,
        }
    }

    fn with_help(mut self, help: String, help_without_value: &str) -> Self {
        self.help = Some(help);
        self.help_without_value = Some(help_without_value.to_string());
        self
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Converts a document's value for a column; the error says what was expected. Without the
/// text as written, a number is checked as the value it was read as.
pub(crate) fn desired(column: &Column, value: &Value) -> Result<DesiredValue, InvalidValue> {
    desired_as_written(column, value, None)
}

/// Converts a document's value for a column, checking that what is sent is exactly what was
/// written (`written`: the scalar's text when YAML read it as a number or a boolean): text fields
/// take strings only, without control characters but tab and line break; number fields take
/// numbers that a double holds exactly; select fields take option names or ids written in
/// decimal; datetimes have `:60` seconds only at real leap seconds.
pub(crate) fn desired_as_written(
    column: &Column,
    value: &Value,
    written: Option<&str>,
) -> Result<DesiredValue, InvalidValue> {
    if value.is_null() {
        return Ok(DesiredValue {
            // An unchecked checkbox reads as unset or as `false`: both are what `null` asks for.
            normalized: if column.column_type == ColumnType::Checkbox {
                Normalized::Bool(false)
            } else {
                Normalized::Absent
            },
            write: Value::Null,
        });
    }
    let written_text = written.map_or_else(|| shown_bare(value), str::to_string);
    match &column.column_type {
        ColumnType::Select => desired_choice(column, value, &written_text),
        ColumnType::MultiSelect | ColumnType::Tags => desired_list(column, value, written),
        ColumnType::Checkbox => match value {
            Value::Bool(flag) => Ok(DesiredValue {
                write: json!(flag),
                normalized: Normalized::Bool(*flag),
            }),
            other => Err(InvalidValue::new(format!(
                "`{}` is a checkbox: expected `true` or `false`, found {}",
                column.label,
                shown(other, written)
            ))),
        },
        ColumnType::Datetime => {
            let read = match value.as_str() {
                Some(text) => dates::read_written(text, &column.dates).map_err(|problem| {
                    InvalidValue::new(format!(
                        "`{}` is a date and time field: {problem}",
                        column.label
                    ))
                })?,
                None => None,
            };
            let instant = read.ok_or_else(|| {
                InvalidValue::new(format!(
                    "`{}` is a date and time field: expected an RFC 3339 timestamp such as `2026-11-20T09:00:00Z` or a date such as `2026-11-20`, found {}",
                    column.label,
                    shown(value, written)
                ))
            })?;
            value::check_leap_second(&instant.fixed_offset()).map_err(|help| {
                InvalidValue::new(format!(
                    "`{}` is a date and time field: {} is not a real leap second",
                    column.label,
                    shown(value, written)
                ))
                .with_help(help.clone(), &help)
            })?;
            Ok(DesiredValue {
                write: json!(format_instant(&instant)),
                normalized: Normalized::Instant {
                    at: instant,
                    precision: Precision::Nanosecond,
                },
            })
        }
        ColumnType::Number => {
            let number = match value {
                Value::Number(number) => Some(number.clone()),
                // Quoted digits in a number field are that number, if they are one exactly.
                Value::String(text) => text.trim().parse::<f64>().ok().and_then(Number::from_f64),
                _ => None,
            }
            .ok_or_else(|| {
                InvalidValue::new(format!(
                    "`{}` is a number field: expected a number, found {}",
                    column.label,
                    shown(value, written)
                ))
            })?;
            let literal = match value {
                Value::String(text) => text.trim().to_string(),
                _ => written_text.clone(),
            };
            let double = exact_double(column, &number, &literal)?;
            Ok(DesiredValue {
                write: json!(double),
                normalized: Normalized::Number(double),
            })
        }
        ColumnType::Text | ColumnType::Textarea => match value {
            Value::String(text) => desired_text(column, text),
            Value::Number(_) | Value::Bool(_) => Err(not_text(column, value, &written_text)),
            other => Err(InvalidValue::new(format!(
                "`{}` is a text field: expected a string, found {}",
                column.label,
                shown(other, written)
            ))),
        },
        // A type soarform does not know: the value is sent as the type YAML read it as (a
        // checkbox takes `true`), never turned into text.
        ColumnType::Other(_) => match value {
            Value::String(text) => desired_text(column, text),
            Value::Bool(flag) => Ok(DesiredValue {
                write: json!(flag),
                normalized: Normalized::Bool(*flag),
            }),
            Value::Number(number) => {
                if written.is_some_and(|written| !value::is_exact(written, number)) {
                    return Err(inexact(column, number, &written_text));
                }
                let double = number
                    .as_f64()
                    .ok_or_else(|| inexact(column, number, &written_text))?;
                Ok(DesiredValue {
                    write: Value::Number(number.clone()),
                    normalized: Normalized::Number(double),
                })
            }
            other => Err(InvalidValue::new(format!(
                "`{}` takes a string, a number or a boolean, found {}",
                column.label,
                shown(other, written)
            ))),
        },
    }
}

/// Text for a text field: line endings normalised; control characters refused.
fn desired_text(column: &Column, text: &str) -> Result<DesiredValue, InvalidValue> {
    if let Some((character, position)) = value::control_character(text) {
        return Err(InvalidValue::new(format!(
            "`{}` cannot hold the control character `{}` (character {position} of the value)",
            column.label,
            escaped(&character.to_string())
        ))
        .with_help(CONTROL_CHARACTER_HELP.to_string(), CONTROL_CHARACTER_HELP));
    }
    let text = normalize_newlines(text);
    Ok(DesiredValue {
        write: json!(text),
        normalized: Normalized::Text(text),
    })
}

const CONTROL_CHARACTER_HELP: &str =
    "remove it: text may hold tabs and line breaks, but no other control characters";

/// A number or a boolean for a text field: the text YAML would give back (`42` for `0042`) is
/// not what was written.
fn not_text(column: &Column, value: &Value, written: &str) -> InvalidValue {
    InvalidValue::new(format!(
        "`{}` is a text field, but YAML reads `{written}` as {}",
        column.label,
        value::read_as(value)
    ))
    .with_help(
        value::quote_help(written),
        "quote the value to send the text exactly",
    )
}

/// A number written with more digits than a double holds.
fn inexact(column: &Column, number: &Number, written: &str) -> InvalidValue {
    InvalidValue::new(format!(
        "the number `{written}` in field `{}` cannot be sent exactly: it would be `{}`",
        column.label,
        value::shown_number(number)
    ))
    .with_help(
        "write a number that a double holds exactly (about 15 significant digits)".to_string(),
        "write a number that a double holds exactly (about 15 significant digits)",
    )
}

/// The double a number field sends, when it is the number written: the written value survives
/// the round trip through a double, and an integer is at most 2^53 (beyond it, integers are
/// rounded to even ones, and more).
fn exact_double(column: &Column, number: &Number, literal: &str) -> Result<f64, InvalidValue> {
    let double = number
        .as_f64()
        .filter(|double| double.is_finite())
        .ok_or_else(|| inexact(column, number, literal))?;
    let double_number = Number::from_f64(double).ok_or_else(|| inexact(column, number, literal))?;
    if !value::is_exact(literal, &double_number) {
        return Err(inexact(column, &double_number, literal));
    }
    let integer = value::is_integer_literal(literal) || !number.is_f64();
    if integer && double.abs() > value::MAX_EXACT_INTEGER as f64 {
        return Err(InvalidValue::new(format!(
            "`{}` is a number field: `{literal}` is beyond {}, the largest integer a double holds with all its digits",
            column.label,
            value::MAX_EXACT_INTEGER
        ))
        .with_help(
            "keep identifiers this long in a text field (quoted), or round the number".to_string(),
            "keep identifiers this long in a text field (quoted), or round the number",
        ));
    }
    Ok(double)
}

fn desired_choice(
    column: &Column,
    value: &Value,
    written: &str,
) -> Result<DesiredValue, InvalidValue> {
    let choice = match value {
        Value::Number(number) => {
            let id = number.as_u64().ok_or_else(|| {
                InvalidValue::new(format!(
                    "`{}` takes an option name or a whole-number option id, found `{written}`",
                    column.label
                ))
            })?;
            // An id is sent as the number it is; `0042` or `0x2A` may have meant an option
            // named so.
            if written.trim() != id.to_string() {
                return Err(InvalidValue::new(format!(
                    "`{}` takes an option name or an id written in decimal, found `{written}` (read as the id {id})",
                    column.label
                ))
                .with_help(
                    format!(
                        "write the id as `{id}`, or quote the option's name: `{}`",
                        Value::String(written.to_string())
                    ),
                    "write the id in decimal, or quote the option's name",
                ));
            }
            column.choice_by_id(id).ok_or_else(|| {
                InvalidValue::new(format!(
                    "`{}` has no option with id {id}; valid options: {}",
                    column.label,
                    list_choices(column)
                ))
            })?
        }
        Value::String(name) => column.choice_by_name(name).ok_or_else(|| {
            let closest = closest_names(
                name,
                column.options.iter().map(|choice| choice.value.as_str()),
            );
            let mut message = format!("`{}` has no option `{}`", column.label, escaped(name));
            if !closest.is_empty() {
                let names: Vec<String> = closest.iter().map(|name| format!("`{name}`")).collect();
                message.push_str(&format!("; did you mean {}?", names.join(" or ")));
            }
            message.push_str(&format!(" (valid options: {})", list_choices(column)));
            InvalidValue::new(message)
        })?,
        Value::Bool(_) => {
            return Err(InvalidValue::new(format!(
                "`{}` takes an option name or id, found {}",
                column.label,
                value::read_as(value)
            ))
            .with_help(
                value::quote_help(written),
                "quote the value to name an option",
            ))
        }
        other => {
            return Err(InvalidValue::new(format!(
                "`{}` takes an option name or id, found {}",
                column.label,
                shown(other, Some(written))
            )))
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

/// A list for a multi-value field: option names or ids (written as ids) for a multi-select
/// list, strings for tags. Repeats are sent as written; the comparison ignores them.
fn desired_list(
    column: &Column,
    value: &Value,
    written: Option<&str>,
) -> Result<DesiredValue, InvalidValue> {
    let Value::Array(items) = value else {
        let what = if column.column_type == ColumnType::Tags {
            "tags"
        } else {
            "options"
        };
        return Err(InvalidValue::new(format!(
            "`{}` holds several values: expected a list of {what}, found {} (write `[{}]` for one)",
            column.label,
            shown(value, written),
            written.map_or_else(|| shown_bare(value), str::to_string)
        )));
    };
    let mut writes = Vec::with_capacity(items.len());
    let mut normalized = Vec::with_capacity(items.len());
    for item in items {
        let one = if column.column_type == ColumnType::Tags {
            match item {
                Value::String(text) => desired_text(column, text),
                other => Err(InvalidValue::new(format!(
                    "`{}` takes a list of tags (strings), found {} in it",
                    column.label,
                    shown(other, None)
                ))),
            }
        } else {
            desired_choice(column, item, &shown_bare(item))
        }?;
        writes.push(one.write);
        normalized.push(one.normalized);
    }
    Ok(DesiredValue {
        write: Value::Array(writes),
        normalized: Normalized::Set(normalized),
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

/// `` `text` `` for a string, `number `0042`` otherwise: the value as written, escaped.
fn shown(value: &Value, written: Option<&str>) -> String {
    match value {
        Value::String(text) => format!("`{}`", escaped(text)),
        other => format!(
            "{} `{}`",
            crate::remote::type_name(other),
            written.map_or_else(|| other.to_string(), str::to_string)
        ),
    }
}

/// A scalar's text for messages when its written form is not known.
fn shown_bare(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The request form of a value read from the tenant, to write it back unchanged (a tenant whose
/// updates replace the object is sent every field it holds): ids for options, RFC 3339 for
/// dates, lists for multi-value fields. `None` for no value; an error names a value that cannot
/// be written back (an option the catalog does not list).
pub(crate) fn write_form(value: &Normalized) -> Result<Option<Value>, String> {
    Ok(Some(match value {
        Normalized::Absent => return Ok(None),
        Normalized::Text(text) => json!(text),
        Normalized::Number(number) => json!(number),
        Normalized::Instant { at, .. } => json!(format_instant(at)),
        Normalized::Choice { id: Some(id), .. } => json!(id),
        Normalized::Choice { id: None, name } => {
            return Err(format!(
                "the option `{}` is not in the tenant's catalog",
                escaped(name)
            ))
        }
        Normalized::Bool(flag) => json!(flag),
        Normalized::Set(values) => Value::Array(
            values
                .iter()
                .filter_map(|value| write_form(value).transpose())
                .collect::<Result<_, _>>()?,
        ),
    }))
}

/// Converts a value read from the tenant for a column. Never fails: what cannot be understood is
/// kept as text, so it shows as a change rather than hiding one.
pub(crate) fn observed(column: &Column, value: Option<&Value>) -> Normalized {
    let Some(value) = value.filter(|value| !value.is_null()) else {
        return if column.column_type == ColumnType::Checkbox {
            Normalized::Bool(false)
        } else {
            Normalized::Absent
        };
    };
    let as_text = || match value {
        Value::String(text) => Normalized::Text(normalize_newlines(text)),
        other => Normalized::Text(other.to_string()),
    };
    match &column.column_type {
        // A list read back (a single value is a list of one).
        ColumnType::MultiSelect | ColumnType::Tags => {
            let items = match value {
                Value::Array(items) => items.as_slice(),
                single => std::slice::from_ref(single),
            };
            let mut one = column.clone();
            one.column_type = if column.column_type == ColumnType::Tags {
                ColumnType::Text
            } else {
                ColumnType::Select
            };
            Normalized::Set(
                items
                    .iter()
                    .map(|item| observed(&one, Some(item)))
                    .filter(|item| *item != Normalized::Absent)
                    .collect(),
            )
        }
        ColumnType::Checkbox => match value {
            Value::Bool(flag) => Normalized::Bool(*flag),
            Value::Number(number) if number.as_f64() == Some(0.0) => Normalized::Bool(false),
            Value::Number(number) if number.as_f64() == Some(1.0) => Normalized::Bool(true),
            Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "on" | "checked" => Normalized::Bool(true),
                "false" | "no" | "0" | "off" | "" | "unchecked" => Normalized::Bool(false),
                _ => as_text(),
            },
            _ => as_text(),
        },
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
        // Display strings in the tenant's format and zone, ISO 8601 or epoch numbers; epoch 0 is
        // how the tenant shows an unset date.
        ColumnType::Datetime => match dates::read(value, &column.dates) {
            Ok(Read::Unset) => Normalized::Absent,
            Ok(Read::Instant { at, precision }) => Normalized::Instant { at, precision },
            Err(_) => as_text(),
        },
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
        // Desired numbers of unknown types are numbers too (never turned into text).
        ColumnType::Other(_) if value.is_number() => value
            .as_f64()
            .map(Normalized::Number)
            .unwrap_or_else(as_text),
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
            dates: Default::default(),
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

    #[test]
    fn display_dates_compare_at_the_minute_shown_in_the_tenants_zone() {
        // Sumo Logic's `Get Incident` script reads `09-08-2023 07:15 AM` and an unset date as
        // `12-31-1969 06:00 PM` (CONTENT `Incident_Tools/Get Incident.yaml`), here in UTC-6.
        let mut column = column(ColumnType::Datetime);
        column.dates = std::sync::Arc::new(
            crate::dates::DateSettings::new(Some("-06:00"), &[]).expect("settings"),
        );
        let shown = observed_value(&column, "09-08-2023 07:15 AM");
        for within in [
            "2023-09-08T13:15:00Z",
            "2023-09-08T13:15:59.999Z",
            "2023-09-08T07:15:30-06:00",
        ] {
            let desired = desired(&column, &json!(within)).expect("a date");
            assert_eq!(desired.normalized, shown, "{within}");
            assert_eq!(shown, desired.normalized, "{within}");
        }
        for outside in [
            "2023-09-08T13:14:59Z",
            "2023-09-08T13:16:00Z",
            "2023-09-08T07:15:00Z",
        ] {
            let desired = desired(&column, &json!(outside)).expect("a date");
            assert_ne!(desired.normalized, shown, "{outside}");
        }
        assert_eq!(
            observed_value(&column, "12-31-1969 06:00 PM"),
            Normalized::Absent
        );
        assert_eq!(observed(&column, Some(&json!(0))), Normalized::Absent);
        assert_eq!(observed_value(&column, ""), Normalized::Absent);
        // Epoch seconds (timelines, CONTENT `Get War Room Timeline.yaml`) are exact to the second.
        assert_eq!(
            observed(&column, Some(&json!(1_694_178_900))),
            desired(&column, &json!("2023-09-08T13:15:00Z"))
                .expect("a date")
                .normalized
        );
        // What cannot be read stays text, so it shows as a change.
        assert_eq!(
            observed_value(&column, "sometime"),
            Normalized::Text("sometime".into())
        );
        // A plain date is midnight in the tenant's zone.
        assert_eq!(
            desired(&column, &json!("2023-09-08"))
                .expect("a date")
                .normalized,
            observed_value(&column, "09-08-2023 12:00 AM")
        );
    }

    #[test]
    fn multi_value_fields_compare_as_sets_and_write_lists() {
        // `type` and `tags` read back as lists (CONTENT `Incident_Tools/Get Incident.yaml`).
        let column = column(ColumnType::MultiSelect);
        let options = desired(&column, &json!(["Closed", 1])).expect("a list of options");
        assert_eq!(options.write, json!([4, 1]));
        assert_eq!(
            options.normalized,
            observed(&column, Some(&json!(["Open", "Closed"])))
        );
        assert_eq!(
            options.normalized,
            observed(&column, Some(&json!(["Closed", "Open", "Open"])))
        );
        assert_ne!(
            options.normalized,
            observed(&column, Some(&json!(["Open"])))
        );
        assert_eq!(
            observed(&column, Some(&json!("Open"))),
            desired(&column, &json!(["Open"]))
                .expect("one option")
                .normalized
        );
        let none = desired(&column, &json!([])).expect("no options");
        assert_eq!(none.write, json!([]));
        assert_eq!(none.normalized, observed(&column, None));
        assert_eq!(none.normalized, observed(&column, Some(&json!([]))));
        let error = desired(&column, &json!("Open")).expect_err("not a list");
        assert_eq!(
            error.message,
            "`Field` holds several values: expected a list of options, found `Open` (write `[Open]` for one)"
        );
        assert!(desired(&column, &json!(["Nope"]))
            .expect_err("unknown option")
            .message
            .contains("has no option `Nope`"));
        assert_eq!(
            observed(&column, Some(&json!(["Open", "Closed"]))).to_string(),
            r#"["Open", "Closed"]"#
        );

        let tags = self::column(ColumnType::Tags);
        let written = desired(&tags, &json!(["phishing", "ceo"])).expect("tags");
        assert_eq!(written.write, json!(["phishing", "ceo"]));
        assert_eq!(
            written.normalized,
            observed(&tags, Some(&json!(["ceo", "phishing"])))
        );
        assert_ne!(
            written.normalized,
            observed(&tags, Some(&json!(["Phishing", "ceo"])))
        );
        assert!(desired(&tags, &json!([1])).is_err());
    }

    #[test]
    fn checkboxes_compare_as_booleans_and_unset_is_unchecked() {
        let column = column(ColumnType::Checkbox);
        let checked = desired(&column, &json!(true)).expect("a boolean");
        assert_eq!(checked.write, json!(true));
        for shown in [json!(true), json!("true"), json!("Yes"), json!(1)] {
            assert_eq!(
                checked.normalized,
                observed(&column, Some(&shown)),
                "{shown}"
            );
        }
        let unchecked = desired(&column, &json!(false)).expect("a boolean");
        for shown in [
            json!(false),
            json!("false"),
            json!(0),
            json!(""),
            Value::Null,
        ] {
            assert_eq!(
                unchecked.normalized,
                observed(&column, Some(&shown)),
                "{shown}"
            );
        }
        assert_eq!(unchecked.normalized, observed(&column, None));
        let cleared = desired(&column, &Value::Null).expect("null");
        assert_eq!(cleared.write, Value::Null);
        assert_eq!(cleared.normalized, observed(&column, None));
        assert!(desired(&column, &json!("true")).is_err());
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
        assert!(
            unknown.message.contains("did you mean `Closed`"),
            "{unknown}"
        );
        assert!(desired(&column, &json!(9))
            .unwrap_err()
            .message
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
    fn text_fields_refuse_numbers_and_booleans_with_the_text_as_written() {
        for column_type in [ColumnType::Text, ColumnType::Textarea] {
            let column = column(column_type);
            for (value, written, read_as) in [
                (json!(42), "0042", "the number `42`"),
                (json!(31), "0x1F", "the number `31`"),
                (json!(1.5), "1.50", "the number `1.5`"),
                (json!(1000.0), "1e3", "the number `1000`"),
                (json!(true), "true", "the boolean `true`"),
                (json!(false), "False", "the boolean `false`"),
            ] {
                let invalid = desired_as_written(&column, &value, Some(written)).unwrap_err();
                assert_eq!(
                    invalid.message,
                    format!("`Field` is a text field, but YAML reads `{written}` as {read_as}")
                );
                assert_eq!(
                    invalid.help,
                    Some(format!(
                        "quote it to send the text exactly: `\"{written}\"`"
                    ))
                );
                assert_eq!(
                    invalid.help_without_value.as_deref(),
                    Some("quote the value to send the text exactly")
                );
            }
            // Without the written text, the value read is quoted.
            let invalid = desired(&column, &json!(7731)).unwrap_err();
            assert_eq!(
                invalid.help.as_deref(),
                Some("quote it to send the text exactly: `\"7731\"`")
            );
            // Quoted, it is text, sent as written.
            let desired = desired(&column, &json!("0042")).unwrap();
            assert_eq!(desired.write, json!("0042"));
            assert_eq!(desired.normalized, observed_value(&column, "0042"));
        }
    }

    #[test]
    fn text_refuses_control_characters_but_tabs_and_line_breaks() {
        let column = column(ColumnType::Textarea);
        for (text, shown, position) in [
            ("a\0b", "\\u{0}", 2),
            ("\u{1b}[2J", "\\u{1b}", 1),
            ("ding\u{7}", "\\u{7}", 5),
            ("del\u{7f}", "\\u{7f}", 4),
            ("c1\u{9b}", "\\u{9b}", 3),
            ("lone\rcr", "\\r", 5),
        ] {
            let invalid = desired(&column, &json!(text)).unwrap_err();
            assert_eq!(
                invalid.message,
                format!(
                    "`Field` cannot hold the control character `{shown}` (character {position} of the value)"
                ),
                "{text:?}"
            );
            assert!(!invalid.message.chars().any(char::is_control), "{text:?}");
        }
        let desired = desired(&column, &json!("a\tb\r\nc\n")).unwrap();
        assert_eq!(desired.write, json!("a\tb\nc\n"));
    }

    #[test]
    fn numbers_must_be_sent_exactly() {
        let column = column(ColumnType::Number);
        let sent = |value: Value, written: Option<&str>| {
            desired_as_written(&column, &value, written).map(|desired| desired.write)
        };
        assert_eq!(sent(json!(1.5), Some("1.50")), Ok(json!(1.5)));
        assert_eq!(sent(json!(31), Some("0x1F")), Ok(json!(31.0)));
        assert_eq!(sent(json!(1000.0), Some("1e3")), Ok(json!(1000.0)));
        assert_eq!(
            sent(json!(9007199254740992u64), None),
            Ok(json!(9007199254740992.0))
        );
        assert_eq!(sent(json!("12.50"), None), Ok(json!(12.5)));
        let refused = |value: Value, written: Option<&str>| {
            desired_as_written(&column, &value, written)
                .unwrap_err()
                .message
        };
        assert_eq!(
            refused(json!(1.2345678901234568e29), Some("123456789012345678901234567890")),
            "the number `123456789012345678901234567890` in field `Field` cannot be sent exactly: it would be `123456789012345680000000000000`"
        );
        assert!(
            refused(json!(0.1), Some("0.1000000000000000055511151231257827"))
                .contains("cannot be sent exactly: it would be `0.1`")
        );
        assert!(
            refused(json!(9007199254740993u64), Some("9007199254740993"))
                .contains("cannot be sent exactly: it would be `9007199254740992`")
        );
        // A double holds 2^53 + 2, but not the integers around it: refused as well.
        assert!(
            refused(json!(9007199254740994u64), Some("9007199254740994"))
                .contains("is beyond 9007199254740992")
        );
        assert!(refused(json!(9007199254740994u64), None).contains("is beyond 9007199254740992"));
        // 10^29 survives the round trip as `1e29`, but as an integer it lost digits.
        assert!(refused(json!(1e29), Some("100000000000000000000000000000")).contains("is beyond"));
        assert!(refused(json!("123456789012345678901234567890"), None)
            .contains("cannot be sent exactly"));
        assert!(refused(json!("1e400"), None).contains("expected a number"));
        assert!(refused(json!(true), Some("true"))
            .contains("expected a number, found a boolean `true`"));
    }

    #[test]
    fn choice_ids_are_written_in_decimal() {
        let column = column(ColumnType::Select);
        assert_eq!(
            desired_as_written(&column, &json!(4), Some("4")).map(|desired| desired.write),
            Ok(json!(4))
        );
        for written in ["0004", "0x4", "+4", "0o4"] {
            let invalid = desired_as_written(&column, &json!(4), Some(written)).unwrap_err();
            assert_eq!(
                invalid.message,
                format!("`Field` takes an option name or an id written in decimal, found `{written}` (read as the id 4)")
            );
            assert_eq!(
                invalid.help,
                Some(format!(
                    "write the id as `4`, or quote the option's name: `\"{written}\"`"
                ))
            );
        }
        let invalid = desired_as_written(&column, &json!(true), Some("true")).unwrap_err();
        assert!(
            invalid.message.contains("found the boolean `true`"),
            "{invalid}"
        );
        assert!(desired_as_written(&column, &json!(4.0), Some("4.0")).is_err());
    }

    #[test]
    fn datetimes_take_sixtieth_seconds_only_at_leap_seconds() {
        let column = column(ColumnType::Datetime);
        let leap = desired(&column, &json!("2016-12-31T23:59:60Z")).unwrap();
        assert_eq!(leap.write, json!("2016-12-31T23:59:60Z"));
        let leap = desired(&column, &json!("2017-01-01T00:59:60+01:00")).unwrap();
        assert_eq!(leap.write, json!("2016-12-31T23:59:60Z"));
        let invalid = desired(&column, &json!("2026-11-20T23:59:60Z")).unwrap_err();
        assert_eq!(
            invalid.message,
            "`Field` is a date and time field: `2026-11-20T23:59:60Z` is not a real leap second"
        );
        assert!(invalid.help.is_some_and(|help| help.contains("IERS")));
        assert!(desired(&column, &json!("2026-02-30T09:00:00Z")).is_err());
    }

    #[test]
    fn unknown_types_take_values_as_yaml_read_them() {
        let column = column(ColumnType::Other("checkbox".into()));
        let flag = desired_as_written(&column, &json!(true), Some("true")).unwrap();
        assert_eq!(flag.write, json!(true));
        assert_eq!(flag.normalized, observed(&column, Some(&json!(true))));
        let number = desired_as_written(&column, &json!(1.5), Some("1.50")).unwrap();
        assert_eq!(number.write, json!(1.5));
        assert_eq!(number.normalized, observed(&column, Some(&json!(1.5))));
        assert!(desired_as_written(
            &column,
            &json!(0.1),
            Some("0.1000000000000000055511151231257827")
        )
        .is_err());
        assert!(desired(&column, &json!("bell\u{7}")).is_err());
        assert_eq!(
            desired(&column, &json!("text")).unwrap().write,
            json!("text")
        );
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
