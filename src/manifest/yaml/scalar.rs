//! YAML 1.2 core schema resolution of scalars: plain scalars ([`resolve_plain`]) and the tags
//! (`!!str`, `!!int`, ...) that choose how a scalar reads ([`resolve_scalar`]).

use serde_json::{Number, Value};
use yaml_rust2::parser::Tag;
use yaml_rust2::scanner::TScalarStyle;

pub(super) const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// The value of a scalar written `text` in `style` with `tag`, or the message and help that
/// refuse it.
pub(super) fn resolve_scalar(
    text: &str,
    style: TScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value, (String, String)> {
    let unsupported = |tag: &Tag| {
        (
            format!("unsupported tag `{}`", tag_name(tag)),
            "remove the tag (quote the value to make it a string)".to_string(),
        )
    };
    let Some(tag) = tag else {
        return if style == TScalarStyle::Plain {
            resolve_plain(text)
        } else {
            Ok(Value::String(text.to_string()))
        };
    };
    if tag.handle == "!" && tag.suffix.is_empty() {
        return Ok(Value::String(text.to_string()));
    }
    if tag.handle != CORE_TAG_PREFIX {
        return Err(unsupported(tag));
    }
    let resolved = resolve_plain(text);
    let wrong = |expected: &str| {
        (
            format!("`{text}` is not {expected} (tagged `{}`)", tag_name(tag)),
            "fix the value or remove the tag".to_string(),
        )
    };
    match tag.suffix.as_str() {
        "str" => Ok(Value::String(text.to_string())),
        "null" => match resolved {
            Ok(Value::Null) => Ok(Value::Null),
            _ => Err(wrong("null")),
        },
        "bool" => match resolved {
            Ok(Value::Bool(flag)) => Ok(Value::Bool(flag)),
            _ => Err(wrong("a boolean")),
        },
        "int" => match resolved {
            Ok(Value::Number(number)) if !number.is_f64() => Ok(Value::Number(number)),
            _ => Err(wrong("an integer")),
        },
        "float" => match resolved {
            Ok(Value::Number(number)) => Ok(Value::Number(number)),
            Err(error) => Err(error),
            _ => Err(wrong("a number")),
        },
        _ => Err(unsupported(tag)),
    }
}

/// The text of a scalar used as a mapping key (through an alias).
pub(super) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

/// `!!int` for a core tag, the tag as written otherwise: for messages.
pub(super) fn tag_name(tag: &Tag) -> String {
    if tag.handle == CORE_TAG_PREFIX {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(text: &str) -> Result<Value, (String, String)> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let unsigned = text.trim_start_matches(['-', '+']);
    if unsigned.len() + 1 >= text.len()
        && matches!(
            unsigned,
            ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
        )
    {
        return Err((
            format!("`{text}` is not a finite number"),
            "quote it to make it a string".to_string(),
        ));
    }
    // A number too large for a double (or, in hexadecimal or octal, for 64 bits) is refused like
    // `.inf` rather than read as the string it looks like.
    let out_of_range = || {
        Err((
            format!("`{text}` is out of range for a number"),
            "quote it to make it a string".to_string(),
        ))
    };
    if let Some(digits) = text.strip_prefix("0o") {
        if !digits.is_empty() && digits.bytes().all(|byte| (b'0'..=b'7').contains(&byte)) {
            return match u64::from_str_radix(digits, 8) {
                Ok(number) => Ok(Value::Number(number.into())),
                Err(_) => out_of_range(),
            };
        }
    }
    if let Some(digits) = text.strip_prefix("0x") {
        if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return match u64::from_str_radix(digits, 16) {
                Ok(number) => Ok(Value::Number(number.into())),
                Err(_) => out_of_range(),
            };
        }
    }
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-' | b'+') => (&text[..1], &text[1..]),
        _ => ("", text),
    };
    if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
        if let Ok(number) = text.parse::<i64>() {
            return Ok(Value::Number(number.into()));
        }
        if sign != "-" {
            if let Ok(number) = digits.parse::<u64>() {
                return Ok(Value::Number(number.into()));
            }
        }
    }
    if is_core_float(digits) {
        return match text.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(number) => Ok(Value::Number(number)),
            None => out_of_range(),
        };
    }
    Ok(Value::String(text.to_string()))
}

/// `( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`, without the sign.
fn is_core_float(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits_from = |mut index: usize| {
        let start = index;
        while index < bytes.len() && bytes[index].is_ascii_digit() {
            index += 1;
        }
        (index, index - start)
    };
    let (mut index, integer_digits) = digits_from(0);
    let mut fraction_digits = 0;
    if bytes.get(index) == Some(&b'.') {
        (index, fraction_digits) = digits_from(index + 1);
    }
    if integer_digits == 0 && fraction_digits == 0 {
        return false;
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'-' | b'+')) {
            index += 1;
        }
        let exponent_digits;
        (index, exponent_digits) = digits_from(index);
        if exponent_digits == 0 {
            return false;
        }
    }
    index == bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_core_schema_scalars() {
        let cases = [
            ("12", json!(12)),
            ("-7", json!(-7)),
            ("0x1f", json!(31)),
            ("0o17", json!(15)),
            ("1e3", json!(1000.0)),
            (".5", json!(0.5)),
            ("yes", json!("yes")),
            ("1_000", json!("1_000")),
            ("2026-11-20", json!("2026-11-20")),
            ("18446744073709551615", json!(18446744073709551615u64)),
            ("Null", json!(null)),
        ];
        for (text, expected) in cases {
            assert_eq!(resolve_plain(text).ok(), Some(expected), "{text}");
        }
        assert!(resolve_plain(".inf").is_err());
        for out_of_range in [
            "1e400",
            "-1e400",
            "0x10000000000000000",
            "0o2000000000000000000000",
        ] {
            let (message, _) = resolve_plain(out_of_range).expect_err(out_of_range);
            assert_eq!(
                message,
                format!("`{out_of_range}` is out of range for a number")
            );
        }
        // Integers beyond 64 bits are doubles here; documents refuse the digits they lose.
        assert_eq!(
            resolve_plain("123456789012345678901234567890").ok(),
            Some(json!(1.2345678901234568e29))
        );
    }
}
