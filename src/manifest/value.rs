//! Whether a value is sent exactly as it was written: numbers that a JSON number (an IEEE 754
//! double on the server) holds exactly, text without control characters, and `:60` seconds only
//! on real leap seconds.
//!
//! Pure functions, used by [`super::document`] (no network: every field) and by
//! [`crate::normalize`] (with the catalog: each field by its type).

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use serde_json::{Number, Value};

/// The largest integer up to which every integer is an IEEE 754 double: 2^53. Number fields are
/// sent as doubles, so larger integers written there lose digits.
pub(crate) const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// The last day (UTC) of every month that ended with a leap second, `23:59:60`, from the IERS
/// list (Bulletin C); none was added after 2016-12-31.
pub(crate) const LEAP_SECOND_DATES: [(i32, u32, u32); 27] = [
    (1972, 6, 30),
    (1972, 12, 31),
    (1973, 12, 31),
    (1974, 12, 31),
    (1975, 12, 31),
    (1976, 12, 31),
    (1977, 12, 31),
    (1978, 12, 31),
    (1979, 12, 31),
    (1981, 6, 30),
    (1982, 6, 30),
    (1983, 6, 30),
    (1985, 6, 30),
    (1987, 12, 31),
    (1989, 12, 31),
    (1990, 12, 31),
    (1992, 6, 30),
    (1993, 6, 30),
    (1994, 6, 30),
    (1995, 12, 31),
    (1997, 6, 30),
    (1998, 12, 31),
    (2005, 12, 31),
    (2008, 12, 31),
    (2012, 6, 30),
    (2015, 6, 30),
    (2016, 12, 31),
];

/// A number's exact value: a sign, its significant digits (no leading or trailing zeros; none
/// for zero) and the power of ten of the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

/// The exact value of a number literal: decimal (`-1.50`, `1e3`, `.5`), or hexadecimal and
/// octal integers (`0x1F`, `0o17`). `None` for anything else.
fn decimal(text: &str) -> Option<Decimal> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    for (prefix, radix) in [("0x", 16), ("0o", 8)] {
        if let Some(digits) = unsigned.strip_prefix(prefix) {
            let value = u128::from_str_radix(digits, radix).ok()?;
            let mut value = decimal(&value.to_string())?;
            value.negative = negative && !value.digits.is_empty();
            return Some(value);
        }
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(index) => (&unsigned[..index], Some(&unsigned[index + 1..])),
        None => (unsigned, None),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if integer.len() + fraction.len() == 0 || !all_digits(integer) || !all_digits(fraction) {
        return None;
    }
    let mut exponent: i64 = match exponent {
        None => 0,
        Some(exponent) => {
            let digits = exponent.trim_start_matches(['-', '+']);
            if digits.is_empty() || !all_digits(digits) || exponent.len() - digits.len() > 1 {
                return None;
            }
            exponent.parse().ok()?
        }
    };
    exponent = exponent.checked_sub(i64::try_from(fraction.len()).ok()?)?;
    let mut digits: Vec<u8> = integer
        .bytes()
        .chain(fraction.bytes())
        .skip_while(|digit| *digit == b'0')
        .collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
        exponent = exponent.checked_add(1)?;
    }
    if digits.is_empty() {
        return Some(Decimal {
            negative: false,
            digits,
            exponent: 0,
        });
    }
    Some(Decimal {
        negative,
        digits,
        exponent,
    })
}

/// The exact value of a parsed number; for a double, that of its shortest representation (the
/// digits a JSON encoder writes for it).
fn number_decimal(number: &Number) -> Option<Decimal> {
    if let Some(integer) = number.as_i64() {
        decimal(&integer.to_string())
    } else if let Some(integer) = number.as_u64() {
        decimal(&integer.to_string())
    } else {
        // `{:e}` writes the shortest digits that read back as the same double.
        decimal(&format!("{:e}", number.as_f64()?))
    }
}

/// Whether `written` (a number literal as the file holds it) and the number it was read as have
/// the same value: `1.50` and `1.5`, `0x1F` and `31` do; `0.1000000000000000055511151231257827`
/// and `0.1`, or a 30-digit integer and the double nearest to it, do not.
pub(crate) fn is_exact(written: &str, number: &Number) -> bool {
    match (decimal(written.trim()), number_decimal(number)) {
        (Some(written), Some(parsed)) => written == parsed,
        _ => false,
    }
}

/// Whether a number literal is an integer: decimal digits with an optional sign, or a
/// hexadecimal or octal literal (not `1e3`, not `2.0`).
pub(crate) fn is_integer_literal(written: &str) -> bool {
    let written = written.trim();
    if let Some(digits) = written.strip_prefix("0x") {
        return !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_hexdigit());
    }
    if let Some(digits) = written.strip_prefix("0o") {
        return !digits.is_empty() && digits.bytes().all(|byte| (b'0'..=b'7').contains(&byte));
    }
    let unsigned = written.strip_prefix(['-', '+']).unwrap_or(written);
    !unsigned.is_empty() && unsigned.bytes().all(|byte| byte.is_ascii_digit())
}

/// How a number is shown when it lost digits: the double it became, in plain digits
/// (`123456789012345680000000000000`, `0.1`).
pub(crate) fn shown_number(number: &Number) -> String {
    match (number.as_i64(), number.as_u64(), number.as_f64()) {
        (Some(integer), _, _) => integer.to_string(),
        (_, Some(integer), _) => integer.to_string(),
        (_, _, Some(double)) => double.to_string(),
        _ => number.to_string(),
    }
}

/// The first control character text values may not hold, and its position (in characters, from
/// 1): anything of Unicode category Cc (C0 controls, DEL, C1 controls) except tab, line feed, and
/// a carriage return directly before a line feed (a `\r\n` line ending, which is normalised).
pub(crate) fn control_character(text: &str) -> Option<(char, usize)> {
    let mut characters = text.chars().enumerate().peekable();
    while let Some((index, character)) = characters.next() {
        let allowed = match character {
            '\t' | '\n' => true,
            '\r' => characters.peek().is_some_and(|(_, next)| *next == '\n'),
            other => !other.is_control(),
        };
        if !allowed {
            return Some((character, index + 1));
        }
    }
    None
}

/// `Ok` unless the instant has a 60th second (`23:59:60`) that is not a real leap second: the
/// second after 23:59:59 UTC on one of the [`LEAP_SECOND_DATES`], in any offset
/// (`2017-01-01T00:59:60+01:00` is one). The error says why, for a `help:` line.
pub(crate) fn check_leap_second(instant: &DateTime<FixedOffset>) -> Result<(), String> {
    if instant.nanosecond() < 1_000_000_000 {
        return Ok(());
    }
    let utc = instant.naive_utc();
    let date = (utc.year(), utc.month(), utc.day());
    if (utc.hour(), utc.minute(), utc.second()) == (23, 59, 59) && LEAP_SECOND_DATES.contains(&date)
    {
        return Ok(());
    }
    let (first_year, first_month, first_day) = LEAP_SECOND_DATES[0];
    let (last_year, last_month, last_day) = LEAP_SECOND_DATES[LEAP_SECOND_DATES.len() - 1];
    Err(format!(
        "`:60` seconds exist only at real leap seconds, 23:59:60 UTC on the dates of the IERS list ({first_year}-{first_month:02}-{first_day:02} to {last_year}-{last_month:02}-{last_day:02}); write `:59` or the next minute's `:00`"
    ))
}

/// What YAML read a scalar as, for messages: `the number `42``, `the boolean `true``.
pub(crate) fn read_as(value: &Value) -> String {
    match value {
        Value::Number(number) => format!("the number `{}`", shown_number(number)),
        Value::Bool(flag) => format!("the boolean `{flag}`"),
        Value::Null => "null".to_string(),
        other => format!("`{other}`"),
    }
}

/// `quote it to send the text exactly: `"0042"``: the help for a number or boolean written
/// where text is meant.
pub(crate) fn quote_help(written: &str) -> String {
    format!(
        "quote it to send the text exactly: `{}`",
        Value::String(written.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn number(text: &str) -> Number {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Number(number)) => number,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn numbers_are_exact_when_their_value_survives() {
        for (written, parsed) in [
            ("1.50", "1.5"),
            ("1e3", "1000.0"),
            ("1E+3", "1000.0"),
            ("0042", "42"),
            ("+7", "7"),
            ("-0.0", "-0.0"),
            ("0", "0"),
            ("0x1F", "31"),
            ("0o17", "15"),
            (".5", "0.5"),
            ("5.", "5.0"),
            ("0.1", "0.1"),
            ("18446744073709551615", "18446744073709551615"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("100000000000000000000000000000", "1e29"),
        ] {
            assert!(is_exact(written, &number(parsed)), "{written} as {parsed}");
        }
        for (written, parsed) in [
            ("123456789012345678901234567890", "1.2345678901234568e29"),
            ("0.1000000000000000055511151231257827", "0.1"),
            ("1e-400", "0.0"),
            ("9007199254740993", "9007199254740992.0"),
            ("1.5", "1.25"),
            ("-1", "1"),
            ("abc", "1"),
            ("1e", "1"),
            ("1e+-3", "1"),
        ] {
            assert!(!is_exact(written, &number(parsed)), "{written} as {parsed}");
        }
    }

    #[test]
    fn integer_literals() {
        for text in ["42", "-7", "+0042", "0x1F", "0o17", "9007199254740993"] {
            assert!(is_integer_literal(text), "{text}");
        }
        for text in ["1e3", "2.0", ".5", "", "-", "0x", "12a"] {
            assert!(!is_integer_literal(text), "{text}");
        }
    }

    #[test]
    fn lost_digits_are_shown_in_plain_digits() {
        assert_eq!(
            shown_number(&number("1.2345678901234568e29")),
            "123456789012345680000000000000"
        );
        assert_eq!(shown_number(&number("42")), "42");
        assert_eq!(shown_number(&number("0.1")), "0.1");
    }

    #[test]
    fn control_characters_but_tab_newline_and_crlf() {
        assert_eq!(control_character("tab\there\nnext\r\nline"), None);
        assert_eq!(control_character("ünïcödé and emoji 🦀"), None);
        assert_eq!(control_character("a\u{1b}[2J"), Some(('\u{1b}', 2)));
        assert_eq!(control_character("\0"), Some(('\0', 1)));
        assert_eq!(control_character("bell\u{7}"), Some(('\u{7}', 5)));
        assert_eq!(control_character("del\u{7f}"), Some(('\u{7f}', 4)));
        assert_eq!(control_character("c1 \u{85}"), Some(('\u{85}', 4)));
        assert_eq!(control_character("c1 \u{9b}"), Some(('\u{9b}', 4)));
        assert_eq!(control_character("lone\rcr"), Some(('\r', 5)));
        assert_eq!(control_character("end\r"), Some(('\r', 4)));
    }

    #[test]
    fn sixtieth_seconds_only_at_real_leap_seconds() {
        let check = |text: &str| {
            let instant =
                DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            check_leap_second(&instant)
        };
        assert!(check("2016-12-31T23:59:60Z").is_ok());
        assert!(check("2016-12-31T23:59:60.5Z").is_ok());
        assert!(check("1972-06-30T23:59:60Z").is_ok());
        assert!(check("2015-06-30T23:59:60+00:00").is_ok());
        // The same instant in another offset.
        assert!(check("2017-01-01T00:59:60+01:00").is_ok());
        assert!(check("2016-12-31T18:59:60-05:00").is_ok());
        // Not leap seconds.
        assert!(check("2026-11-20T23:59:60Z").is_err());
        assert!(check("2016-12-31T23:59:60+01:00").is_err());
        assert!(check("2016-12-31T12:59:60Z").is_err());
        assert!(check("2016-06-30T23:59:60Z").is_err());
        assert!(check("2017-12-31T23:59:60Z").is_err());
        // Ordinary seconds.
        assert!(check("2026-11-20T23:59:59Z").is_ok());
        let help = check("2026-11-20T23:59:60Z").unwrap_err();
        assert!(help.contains("1972-06-30 to 2016-12-31"), "{help}");
    }

    #[test]
    fn quoting_help_shows_the_text_as_written() {
        assert_eq!(
            quote_help("0042"),
            "quote it to send the text exactly: `\"0042\"`"
        );
        assert_eq!(read_as(&Value::Number(number("42"))), "the number `42`");
        assert_eq!(read_as(&Value::Bool(true)), "the boolean `true`");
    }
}
