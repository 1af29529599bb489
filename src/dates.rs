//! Dates as a Cloud SOAR tenant shows them, read as instants (issue 12, point 2).
//!
//! The API reads dates back as display strings at minute precision, in the format and time zone
//! the tenant chose ("Date/Time Format": `09-08-2023 07:15 AM`), shows an unset date as epoch 0
//! in that zone (`12-31-1969 06:00 PM` for UTC-6), and gives timelines in epoch seconds
//! (../shared/evidence/cloud-soar-api.md, rows "dates on read", "dates in the timeline"). This
//! module reads all of these, and ISO 8601, as a [`Read`]: unset, or an instant with the
//! precision it was shown at, so that [`same_at_precision`] compares a desired instant the way
//! the tenant can show it. It is pure: no I/O, no clock.

use std::fmt;

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use serde_json::Value;

/// The tenant's time zone: what a date without an offset is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// A fixed offset from UTC (`-06:00`, `+05:30`, `UTC`).
    Fixed(FixedOffset),
    /// An IANA zone (`America/Chicago`), whose offset follows daylight saving time.
    Named(Tz),
}

/// The largest offset from UTC a zone has (`+14:00`, Kiribati; the smallest is `-12:00`).
const MAX_OFFSET_SECONDS: i32 = 14 * 3600;

impl Zone {
    /// UTC.
    pub(crate) fn utc() -> Zone {
        Zone::Fixed(Utc.fix())
    }

    /// Reads `"Z"`, `"UTC"` or `"GMT"`; an offset `±HH:MM`, `±HHMM` or `±HH`, alone or after
    /// `UTC`/`GMT` (`UTC-06:00` is six hours behind, as people write it, and `GMT +0` is how an
    /// object's own `timezone` field reads); or an IANA name (`America/Chicago`; IANA's
    /// `Etc/GMT+6` keeps its POSIX meaning, six hours behind).
    pub(crate) fn parse(text: &str) -> Result<Zone, String> {
        let trimmed = text.trim();
        let upper = trimmed.to_ascii_uppercase();
        if matches!(upper.as_str(), "Z" | "UTC" | "GMT") {
            return Ok(Zone::utc());
        }
        let offset = upper
            .strip_prefix("UTC")
            .or_else(|| upper.strip_prefix("GMT"))
            .map(str::trim_start)
            .unwrap_or(&upper);
        if offset.starts_with(['+', '-']) {
            return parse_offset(offset).map(Zone::Fixed).ok_or_else(|| {
                format!(
                    "time zone {trimmed:?} is not an offset soarform can read: write ±HH:MM \
                     (\"-06:00\", \"+05:30\"), at most 14:00 from UTC"
                )
            });
        }
        if let Ok(zone) = trimmed.parse::<Tz>() {
            return Ok(Zone::Named(zone));
        }
        let mut message = format!(
            "unknown time zone {trimmed:?}: write an offset such as \"-06:00\" or \"+05:30\", \
             \"UTC\", or an IANA name such as \"America/Chicago\""
        );
        if let Some(zone) = chrono_tz::TZ_VARIANTS
            .iter()
            .find(|zone| zone.name().eq_ignore_ascii_case(trimmed))
        {
            message.push_str(&format!(" (did you mean {:?}?)", zone.name()));
        }
        Err(message)
    }

    /// The instant a local date and time of this zone names. An ambiguous local time (the hour
    /// repeated when daylight saving time ends) is the earlier instant; a nonexistent one (the
    /// hour skipped when it starts) is an error naming it.
    pub(crate) fn instant(&self, local: NaiveDateTime) -> Result<DateTime<Utc>, String> {
        let found = match self {
            Zone::Fixed(offset) => earliest(offset.from_local_datetime(&local)),
            Zone::Named(zone) => earliest(zone.from_local_datetime(&local)),
        };
        found.ok_or_else(|| {
            format!(
                "{} does not exist in time zone {self}: the clocks skip it (daylight saving time)",
                local.format("%Y-%m-%d %H:%M:%S")
            )
        })
    }

    /// The local date and time of an instant in this zone.
    pub(crate) fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Fixed(offset) => at.with_timezone(offset).naive_local(),
            Zone::Named(zone) => at.with_timezone(zone).naive_local(),
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::utc()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Fixed(offset) if offset.local_minus_utc() == 0 => f.write_str("UTC"),
            Zone::Fixed(offset) => write!(f, "{offset}"),
            Zone::Named(zone) => f.write_str(zone.name()),
        }
    }
}

/// The earlier instant of an ambiguous local time, none for a nonexistent one.
fn earliest<T: TimeZone>(found: LocalResult<DateTime<T>>) -> Option<DateTime<Utc>> {
    match found {
        LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => {
            Some(first.with_timezone(&Utc).min(second.with_timezone(&Utc)))
        }
        LocalResult::None => None,
    }
}

/// `±HH:MM`, `±HHMM` or `±HH` (the hours may have one digit), at most 14:00 from UTC.
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let sign = match text.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits = &text[1..];
    let (hours, minutes) = match (digits.len(), digits.split_once(':')) {
        (_, Some((hours, minutes))) if (1..=2).contains(&hours.len()) && minutes.len() == 2 => {
            (hours, minutes)
        }
        (4, None) => digits.split_at(2),
        (1 | 2, None) => (digits, "00"),
        _ => return None,
    };
    if !(hours.bytes().chain(minutes.bytes())).all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    let seconds = hours * 3600 + minutes * 60;
    if minutes >= 60 || seconds > MAX_OFFSET_SECONDS {
        return None;
    }
    FixedOffset::east_opt(sign * seconds)
}

/// The order of a display format's date part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateOrder {
    MonthDayYear,
    DayMonthYear,
    YearMonthDay,
}

/// The tenant's "Date/Time Format" setting: how the API shows a date, named by a pattern users
/// write in soarform.yaml (`MM-DD-YYYY hh:mm A`). See [`DisplayFormat::patterns`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DisplayFormat {
    order: DateOrder,
    /// `-` or `/`.
    separator: char,
    /// `hh:mm A` (12-hour with AM/PM) rather than `HH:mm`.
    twelve_hour: bool,
    /// `:ss` shown.
    seconds: bool,
}

/// The date parts a settings page offers, as (pattern, order, separator).
const DATE_PARTS: [(&str, DateOrder, char); 6] = [
    ("MM-DD-YYYY", DateOrder::MonthDayYear, '-'),
    ("DD-MM-YYYY", DateOrder::DayMonthYear, '-'),
    ("YYYY-MM-DD", DateOrder::YearMonthDay, '-'),
    ("MM/DD/YYYY", DateOrder::MonthDayYear, '/'),
    ("DD/MM/YYYY", DateOrder::DayMonthYear, '/'),
    ("YYYY/MM/DD", DateOrder::YearMonthDay, '/'),
];

/// The time parts, as (pattern, twelve_hour, seconds).
const TIME_PARTS: [(&str, bool, bool); 4] = [
    ("hh:mm A", true, false),
    ("hh:mm:ss A", true, true),
    ("HH:mm", false, false),
    ("HH:mm:ss", false, true),
];

impl DisplayFormat {
    /// Every accepted format, date part first (`MM-DD-YYYY hh:mm A`, `MM-DD-YYYY hh:mm:ss A`, ...).
    pub(crate) fn all() -> impl Iterator<Item = DisplayFormat> {
        DATE_PARTS.iter().flat_map(|&(_, order, separator)| {
            TIME_PARTS
                .iter()
                .map(move |&(_, twelve_hour, seconds)| DisplayFormat {
                    order,
                    separator,
                    twelve_hour,
                    seconds,
                })
        })
    }

    /// The accepted patterns, in the order of [`DisplayFormat::all`].
    pub(crate) fn patterns() -> Vec<String> {
        DisplayFormat::all()
            .map(|format| format.pattern())
            .collect()
    }

    /// Reads a pattern such as `MM-DD-YYYY hh:mm A` (exactly, case included: `MM` is the month,
    /// `mm` the minutes, `hh` 12-hour and `HH` 24-hour).
    pub(crate) fn parse(text: &str) -> Result<DisplayFormat, String> {
        let wanted = text.split_whitespace().collect::<Vec<_>>().join(" ");
        DisplayFormat::all()
            .find(|format| format.pattern() == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown date display format {:?}: the accepted patterns are {}",
                    text.trim(),
                    DisplayFormat::patterns().join(", ")
                )
            })
    }

    /// The pattern that names this format.
    pub(crate) fn pattern(&self) -> String {
        let date = DATE_PARTS
            .iter()
            .find(|(_, order, separator)| *order == self.order && *separator == self.separator)
            .map_or("", |(pattern, _, _)| pattern);
        let time = TIME_PARTS
            .iter()
            .find(|(_, twelve_hour, seconds)| {
                *twelve_hour == self.twelve_hour && *seconds == self.seconds
            })
            .map_or("", |(pattern, _, _)| pattern);
        format!("{date} {time}")
    }

    /// The chrono format string of this display format.
    fn chrono_format(&self) -> String {
        let s = self.separator;
        let date = match self.order {
            DateOrder::MonthDayYear => format!("%m{s}%d{s}%Y"),
            DateOrder::DayMonthYear => format!("%d{s}%m{s}%Y"),
            DateOrder::YearMonthDay => format!("%Y{s}%m{s}%d"),
        };
        let time = match (self.twelve_hour, self.seconds) {
            (true, false) => "%I:%M %p",
            (true, true) => "%I:%M:%S %p",
            (false, false) => "%H:%M",
            (false, true) => "%H:%M:%S",
        };
        format!("{date} {time}")
    }

    /// The precision this format shows.
    pub(crate) fn precision(&self) -> Precision {
        if self.seconds {
            Precision::Second
        } else {
            Precision::Minute
        }
    }

    /// The local date and time a text in this format shows, if it is in this format.
    pub(crate) fn parse_local(&self, text: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(text, &self.chrono_format()).ok()
    }

    /// How the tenant shows an instant in `zone` (`09-08-2023 07:15 AM`): what the simulator
    /// answers, and what tests read back.
    pub(crate) fn show(&self, at: DateTime<Utc>, zone: &Zone) -> String {
        zone.local(at).format(&self.chrono_format()).to_string()
    }
}

impl Default for DisplayFormat {
    /// `MM-DD-YYYY hh:mm A`, the format the evidence shows.
    fn default() -> Self {
        DisplayFormat {
            order: DateOrder::MonthDayYear,
            separator: '-',
            twelve_hour: true,
            seconds: false,
        }
    }
}

impl fmt::Display for DisplayFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern())
    }
}

/// How a tenant shows dates: its zone and the display format(s) its answers use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateSettings {
    pub zone: Zone,
    /// Tried in order; never empty when built by [`DateSettings::new`].
    pub formats: Vec<DisplayFormat>,
}

impl Default for DateSettings {
    /// UTC and `MM-DD-YYYY hh:mm A`.
    fn default() -> Self {
        DateSettings {
            zone: Zone::utc(),
            formats: vec![DisplayFormat::default()],
        }
    }
}

impl DateSettings {
    /// The settings of a `tenant:` section: no time zone is UTC, no formats is the default
    /// format.
    pub(crate) fn new(timezone: Option<&str>, formats: &[String]) -> Result<Self, String> {
        let zone = timezone.map_or(Ok(Zone::utc()), Zone::parse)?;
        let mut parsed: Vec<DisplayFormat> = Vec::new();
        for text in formats {
            let format = DisplayFormat::parse(text)?;
            if !parsed.contains(&format) {
                parsed.push(format);
            }
        }
        if parsed.is_empty() {
            parsed.push(DisplayFormat::default());
        }
        Ok(DateSettings {
            zone,
            formats: parsed,
        })
    }
}

/// The finest unit a read date shows, coarsest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Precision {
    /// A display without seconds (`07:15 AM`).
    Minute,
    /// A display with seconds, ISO 8601 without a fraction, epoch seconds, a plain date.
    Second,
    /// Epoch milliseconds.
    Millisecond,
    /// ISO 8601 with a fraction: compared exactly.
    Nanosecond,
}

impl Precision {
    /// The length of one unit.
    fn unit(self) -> TimeDelta {
        match self {
            Precision::Minute => TimeDelta::minutes(1),
            Precision::Second => TimeDelta::seconds(1),
            Precision::Millisecond => TimeDelta::milliseconds(1),
            Precision::Nanosecond => TimeDelta::nanoseconds(1),
        }
    }
}

/// A date as read from the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// No date: `null`, `""`, or epoch 0 in any form.
    Unset,
    /// An instant, shown at `precision`: `at` is the start of the unit shown, in the tenant's
    /// zone (`07:15 AM` is 07:15:00 there).
    Instant {
        at: DateTime<Utc>,
        precision: Precision,
    },
}

/// Epoch numbers of at least this size (in absolute value) are milliseconds, smaller ones are
/// seconds. 10^11 seconds is the year 5138, far past any date a tenant holds; 10^11
/// milliseconds is 1973-03-03T09:46:40Z, before Cloud SOAR existed. So a real date is read right
/// either way; only milliseconds before March 1973 would be misread (as seconds), and epoch 0,
/// the one such value tenants send, is unset in both units.
const MILLISECONDS_FROM: i64 = 100_000_000_000;

/// Reads a date as the tenant answers it. Accepted, in this order:
/// - `null` and `""`: unset;
/// - a JSON number, or text of digits with an optional `-`: epoch seconds or milliseconds, told
///   apart by size ([`MILLISECONDS_FROM`]);
/// - ISO 8601 / RFC 3339 with an offset (`2023-09-08T07:15:00Z`, `...+05:30`): that offset;
///   without one (`2023-09-08T07:15:00`, `2023-09-08 07:15`): the tenant's zone; seconds and a
///   fraction optional;
/// - a plain date (`2023-09-08`): midnight in the tenant's zone;
/// - the tenant's display formats, in order, in the tenant's zone.
///
/// Whatever the form, epoch 0 is unset: that is how the tenant shows an unset date
/// (`12-31-1969 06:00 PM` in UTC-6).
pub(crate) fn read(value: &Value, settings: &DateSettings) -> Result<Read, String> {
    let read = match value {
        Value::Null => return Ok(Read::Unset),
        Value::Number(number) => read_epoch_number(number)?,
        Value::String(text) => read_text(text.trim(), settings)?,
        Value::Bool(_) => return Err(not_a_date("true or false")),
        Value::Array(_) => return Err(not_a_date("a list")),
        Value::Object(_) => return Err(not_a_date("an object")),
    };
    Ok(match read {
        Read::Instant { at, .. } if at == DateTime::UNIX_EPOCH => Read::Unset,
        read => read,
    })
}

fn not_a_date(what: &str) -> String {
    format!("a date must be text or a number, not {what}")
}

/// A JSON number as epoch seconds or milliseconds; a float only when it is whole (`1.6e9`).
fn read_epoch_number(number: &serde_json::Number) -> Result<Read, String> {
    if let Some(whole) = number.as_i64() {
        return read_epoch(whole);
    }
    match number.as_f64() {
        Some(float) if float.fract() == 0.0 && float.abs() < 9.0e18 => read_epoch(float as i64),
        _ => Err(format!(
            "{number} is not a date: epoch dates are whole seconds or milliseconds"
        )),
    }
}

/// Epoch seconds or milliseconds ([`MILLISECONDS_FROM`]).
fn read_epoch(number: i64) -> Result<Read, String> {
    let (at, precision) = if number.unsigned_abs() >= MILLISECONDS_FROM.unsigned_abs() {
        (
            DateTime::from_timestamp_millis(number),
            Precision::Millisecond,
        )
    } else {
        (DateTime::from_timestamp(number, 0), Precision::Second)
    };
    at.map(|at| Read::Instant { at, precision })
        .ok_or_else(|| format!("{number} is not a date: it is out of range as epoch time"))
}

/// Text of digits with an optional leading `-`.
fn is_epoch_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit())
}

/// ISO 8601 forms with an offset (after a `Z` became `+00:00`), as chrono formats.
const ISO_WITH_OFFSET: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M%:z",
    "%Y-%m-%d %H:%M%:z",
];

/// ISO 8601 forms without an offset, read in the tenant's zone.
const ISO_LOCAL: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
];

fn read_text(text: &str, settings: &DateSettings) -> Result<Read, String> {
    if text.is_empty() {
        return Ok(Read::Unset);
    }
    if is_epoch_text(text) {
        let number: i64 = text
            .parse()
            .map_err(|_| format!("{text:?} is not a date: it is out of range as epoch time"))?;
        return read_epoch(number);
    }
    if let Some(read) = read_iso(text, settings)? {
        return Ok(read);
    }
    for format in &settings.formats {
        if let Some(local) = format.parse_local(text) {
            return Ok(Read::Instant {
                at: settings.zone.instant(local)?,
                precision: format.precision(),
            });
        }
    }
    let formats = settings
        .formats
        .iter()
        .map(DisplayFormat::pattern)
        .collect::<Vec<_>>()
        .join(", ");
    Err(format!(
        "{text:?} is not a date soarform can read: expected ISO 8601 (2023-09-08T07:15:00Z), \
         epoch seconds or milliseconds, or the tenant's display format ({formats})"
    ))
}

/// ISO 8601 / RFC 3339, if the text is in one of its forms.
fn read_iso(text: &str, settings: &DateSettings) -> Result<Option<Read>, String> {
    // The precision shown: a time with a fraction, with seconds, or hours and minutes only
    // (`2023-09-08T07:15`). The time starts after the date's ten characters.
    let time = text.get(11..).unwrap_or("");
    let time = time
        .split(['Z', 'z', '+', '-'])
        .next()
        .unwrap_or(time)
        .trim();
    let precision = if time.contains(['.', ',']) {
        Precision::Nanosecond
    } else if time.matches(':').count() >= 2 {
        Precision::Second
    } else {
        Precision::Minute
    };
    let with_offset = match text.strip_suffix(['Z', 'z']) {
        Some(rest) => format!("{rest}+00:00"),
        None => text.to_string(),
    };
    // RFC 3339 first: it also takes a lower-case `t` and `z`.
    let with_offset_parsed = DateTime::parse_from_rfc3339(text).ok().or_else(|| {
        ISO_WITH_OFFSET
            .iter()
            .find_map(|format| DateTime::parse_from_str(&with_offset, format).ok())
    });
    if let Some(at) = with_offset_parsed {
        let at = at.with_timezone(&Utc);
        return Ok(Some(Read::Instant { at, precision }));
    }
    for format in ISO_LOCAL {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            let at = settings.zone.instant(local)?;
            return Ok(Some(Read::Instant { at, precision }));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let at = settings.zone.instant(date.and_time(NaiveTime::MIN))?;
        return Ok(Some(Read::Instant {
            at,
            precision: Precision::Second,
        }));
    }
    Ok(None)
}

/// A date as a document writes it: ISO 8601 with or without an offset, or a plain date; without
/// an offset it is a local time of the tenant's zone, as the tenant's own screens show it.
/// `None` when the text is not in one of these forms (display formats and epoch numbers are
/// how the tenant answers, not how documents are written).
pub(crate) fn read_written(
    text: &str,
    settings: &DateSettings,
) -> Result<Option<DateTime<Utc>>, String> {
    Ok(match read_iso(text.trim(), settings)? {
        Some(Read::Instant { at, .. }) => Some(at),
        // read_iso never answers unset: only `read` turns epoch 0 into it.
        Some(Read::Unset) | None => None,
    })
}

/// Whether a desired instant is what the tenant shows as `observed`: a desired `09:00:30`
/// equals an observed `09:00` shown at minute precision. Unset never equals an instant.
///
/// The desired instant is truncated to the observed precision in the tenant's zone, not
/// rounded: a display shows the minute an instant falls in (09:00:59 is shown as 09:00, never as
/// 09:01), so truncating is what makes a desired value equal to what the tenant will show after
/// it is written. `observed.at` is the start of the shown unit in the tenant's zone, so the
/// truncated desired instant equals it exactly when the desired instant lies in
/// `[at, at + one unit)`; comparing with that interval needs no zone, and stays right for zones
/// whose offset is not a whole number of minutes.
pub(crate) fn same_at_precision(desired: DateTime<Utc>, observed: &Read) -> bool {
    match observed {
        Read::Unset => false,
        Read::Instant { at, precision } => *at <= desired && desired < *at + precision.unit(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a test instant")
            .with_timezone(&Utc)
    }

    fn settings(zone: &str, formats: &[&str]) -> DateSettings {
        let formats: Vec<String> = formats.iter().map(|format| format.to_string()).collect();
        DateSettings::new(Some(zone), &formats).expect("test settings")
    }

    fn instant(at: &str, precision: Precision) -> Read {
        Read::Instant {
            at: utc(at),
            precision,
        }
    }

    fn read_text_value(text: &str, settings: &DateSettings) -> Result<Read, String> {
        read(&json!(text), settings)
    }

    // Fixtures shaped exactly as Sumo's own script shows an incident read back: SumoLogic/
    // sumologic-content CloudSOAR/Integrations/.../Incident_Tools/Get Incident.yaml (cited in
    // ../shared/evidence/cloud-soar-api.md, row "dates on read"): a set date at minute precision
    // in the default format, and an unset one as epoch 0 shown in the tenant's offset, UTC-6.
    #[test]
    fn evidence_fixtures_read_as_the_tenant_shows_them() {
        let tenant = settings("-06:00", &[]);
        assert_eq!(
            read_text_value("09-08-2023 07:15 AM", &tenant),
            Ok(instant("2023-09-08T13:15:00Z", Precision::Minute))
        );
        assert_eq!(
            read_text_value("12-31-1969 06:00 PM", &tenant),
            Ok(Read::Unset)
        );
        // The same sentinel in a tenant read in UTC is a real (if odd) instant, not unset.
        assert_eq!(
            read_text_value("12-31-1969 06:00 PM", &DateSettings::default()),
            Ok(instant("1969-12-31T18:00:00Z", Precision::Minute))
        );
    }

    // Timelines give epoch seconds: the same repository's Incident_Tools/Get War Room
    // Timeline.yaml reads them with `datetime.fromtimestamp(...)` (evidence row "dates in the
    // timeline").
    #[test]
    fn epoch_seconds_and_milliseconds_are_told_apart_by_size() {
        let tenant = DateSettings::default();
        let seconds = instant("2023-09-08T13:15:00Z", Precision::Second);
        let millis = instant("2023-09-08T13:15:00.123Z", Precision::Millisecond);
        assert_eq!(read(&json!(1_694_178_900), &tenant), Ok(seconds));
        assert_eq!(read(&json!("1694178900"), &tenant), Ok(seconds));
        assert_eq!(read(&json!(1_694_178_900.0), &tenant), Ok(seconds));
        assert_eq!(read(&json!(1_694_178_900_123_i64), &tenant), Ok(millis));
        assert_eq!(read(&json!("1694178900123"), &tenant), Ok(millis));
        // Either side of the rule: 10^11 - 1 seconds (year 5138), 10^11 milliseconds (1973).
        assert_eq!(
            read(&json!(99_999_999_999_i64), &tenant),
            Ok(instant("5138-11-16T09:46:39Z", Precision::Second))
        );
        assert_eq!(
            read(&json!(100_000_000_000_i64), &tenant),
            Ok(instant("1973-03-03T09:46:40Z", Precision::Millisecond))
        );
        assert_eq!(
            read(&json!(-86_400), &tenant),
            Ok(instant("1969-12-31T00:00:00Z", Precision::Second))
        );
        assert!(read(&json!(1.5), &tenant)
            .expect_err("a fraction")
            .contains("whole seconds or milliseconds"));
        assert!(read(&json!("99999999999999999999"), &tenant)
            .expect_err("too large")
            .contains("out of range"));
    }

    #[test]
    fn empty_values_and_epoch_zero_in_every_form_are_unset() {
        let chicago = settings("America/Chicago", &["DD/MM/YYYY HH:mm"]);
        for value in [
            json!(null),
            json!(""),
            json!("  "),
            json!(0),
            json!(0.0),
            json!("0"),
            json!("1970-01-01T00:00:00Z"),
            json!("1970-01-01T00:00:00.000+00:00"),
            json!("1969-12-31T18:00:00-06:00"),
            // Chicago was on CST (UTC-6) in January 1970.
            json!("1969-12-31 18:00"),
            json!("31/12/1969 18:00"),
        ] {
            assert_eq!(read(&value, &chicago), Ok(Read::Unset), "{value}");
        }
        // A plain date is midnight in the tenant's zone: 1970-01-01 is epoch 0 only in UTC.
        assert_eq!(
            read_text_value("1970-01-01", &DateSettings::default()),
            Ok(Read::Unset)
        );
        assert_eq!(
            read_text_value("1970-01-01", &chicago),
            Ok(instant("1970-01-01T06:00:00Z", Precision::Second))
        );
    }

    #[test]
    fn iso_dates_take_their_offset_or_the_tenant_zone() {
        let tenant = settings("+05:30", &[]);
        let cases = [
            (
                "2023-09-08T07:15:00Z",
                "2023-09-08T07:15:00Z",
                Precision::Second,
            ),
            (
                "2023-09-08t07:15:00z",
                "2023-09-08T07:15:00Z",
                Precision::Second,
            ),
            (
                "2023-09-08T07:15:00-06:00",
                "2023-09-08T13:15:00Z",
                Precision::Second,
            ),
            (
                "2023-09-08 07:15:00+02:00",
                "2023-09-08T05:15:00Z",
                Precision::Second,
            ),
            (
                "2023-09-08T07:15:00+0200",
                "2023-09-08T05:15:00Z",
                Precision::Second,
            ),
            (
                "2023-09-08T07:15Z",
                "2023-09-08T07:15:00Z",
                Precision::Minute,
            ),
            (
                "2023-09-08T07:15:00.250Z",
                "2023-09-08T07:15:00.250Z",
                Precision::Nanosecond,
            ),
            (
                "2023-09-08T07:15:00",
                "2023-09-08T01:45:00Z",
                Precision::Second,
            ),
            (
                "2023-09-08 07:15:00.5",
                "2023-09-08T01:45:00.5Z",
                Precision::Nanosecond,
            ),
            (
                "2023-09-08 07:15",
                "2023-09-08T01:45:00Z",
                Precision::Minute,
            ),
            ("2023-09-08", "2023-09-07T18:30:00Z", Precision::Second),
            (
                " 2023-09-08T07:15:00Z ",
                "2023-09-08T07:15:00Z",
                Precision::Second,
            ),
        ];
        for (text, at, precision) in cases {
            assert_eq!(
                read_text_value(text, &tenant),
                Ok(instant(at, precision)),
                "{text}"
            );
        }
    }

    #[test]
    fn display_forms_are_read_in_the_tenant_zone() {
        let cases = [
            (
                "MM-DD-YYYY hh:mm A",
                "09-08-2023 07:15 PM",
                Precision::Minute,
            ),
            (
                "DD-MM-YYYY hh:mm A",
                "08-09-2023 07:15 PM",
                Precision::Minute,
            ),
            (
                "YYYY-MM-DD hh:mm A",
                "2023-09-08 07:15 PM",
                Precision::Minute,
            ),
            (
                "MM/DD/YYYY hh:mm A",
                "09/08/2023 07:15 PM",
                Precision::Minute,
            ),
            (
                "DD/MM/YYYY hh:mm A",
                "08/09/2023 07:15 PM",
                Precision::Minute,
            ),
            (
                "YYYY/MM/DD hh:mm A",
                "2023/09/08 07:15 PM",
                Precision::Minute,
            ),
            ("MM-DD-YYYY HH:mm", "09-08-2023 19:15", Precision::Minute),
            ("DD/MM/YYYY HH:mm", "08/09/2023 19:15", Precision::Minute),
            (
                "MM-DD-YYYY hh:mm:ss A",
                "09-08-2023 07:15:00 PM",
                Precision::Second,
            ),
            (
                "DD-MM-YYYY HH:mm:ss",
                "08-09-2023 19:15:00",
                Precision::Second,
            ),
            (
                "MM-DD-YYYY hh:mm A",
                "09-08-2023 07:15 pm",
                Precision::Minute,
            ),
        ];
        for (pattern, text, precision) in cases {
            let tenant = settings("-06:00", &[pattern]);
            assert_eq!(
                read_text_value(text, &tenant),
                Ok(instant("2023-09-09T01:15:00Z", precision)),
                "{pattern}: {text}"
            );
        }
        // 12 AM is midnight, 12 PM noon.
        let tenant = DateSettings::default();
        assert_eq!(
            read_text_value("09-08-2023 12:05 AM", &tenant),
            Ok(instant("2023-09-08T00:05:00Z", Precision::Minute))
        );
        assert_eq!(
            read_text_value("09-08-2023 12:05 PM", &tenant),
            Ok(instant("2023-09-08T12:05:00Z", Precision::Minute))
        );
    }

    #[test]
    fn several_formats_are_tried_in_order() {
        let tenant = settings("UTC", &["DD-MM-YYYY hh:mm A", "MM-DD-YYYY HH:mm"]);
        assert_eq!(
            read_text_value("08-09-2023 07:15 AM", &tenant),
            Ok(instant("2023-09-08T07:15:00Z", Precision::Minute))
        );
        assert_eq!(
            read_text_value("09-08-2023 19:15", &tenant),
            Ok(instant("2023-09-08T19:15:00Z", Precision::Minute))
        );
        let error = read_text_value("09-08-2023 19:15:00", &tenant).expect_err("not configured");
        assert_eq!(
            error,
            "\"09-08-2023 19:15:00\" is not a date soarform can read: expected ISO 8601 \
             (2023-09-08T07:15:00Z), epoch seconds or milliseconds, or the tenant's display \
             format (DD-MM-YYYY hh:mm A, MM-DD-YYYY HH:mm)"
        );
        // A format not configured is not read: a 24-hour time in a 12-hour tenant.
        assert!(read_text_value("09-08-2023 19:15", &DateSettings::default()).is_err());
        assert!(read_text_value("13-45-2023 07:15 AM", &DateSettings::default()).is_err());
    }

    #[test]
    fn other_json_is_not_a_date() {
        let tenant = DateSettings::default();
        assert_eq!(
            read(&json!(true), &tenant),
            Err("a date must be text or a number, not true or false".to_string())
        );
        assert!(read(&json!(["09-08-2023 07:15 AM"]), &tenant).is_err());
        assert!(read(&json!({"value": 0}), &tenant).is_err());
        assert!(read_text_value("yesterday", &tenant).is_err());
    }

    #[test]
    fn daylight_saving_folds_take_the_earlier_instant_and_gaps_are_errors() {
        let chicago = settings("America/Chicago", &["MM-DD-YYYY hh:mm A"]);
        // 2023-11-05 01:30 happens twice in Chicago: first in CDT (UTC-5), then in CST (UTC-6).
        assert_eq!(
            read_text_value("11-05-2023 01:30 AM", &chicago),
            Ok(instant("2023-11-05T06:30:00Z", Precision::Minute))
        );
        assert_eq!(
            read_text_value("2023-11-05T01:30:00", &chicago),
            Ok(instant("2023-11-05T06:30:00Z", Precision::Second))
        );
        // 2023-03-12 02:30 does not happen: the clocks go from 02:00 to 03:00.
        assert_eq!(
            read_text_value("03-12-2023 02:30 AM", &chicago),
            Err(
                "2023-03-12 02:30:00 does not exist in time zone America/Chicago: the clocks \
                 skip it (daylight saving time)"
                    .to_string()
            )
        );
        // Summer and winter offsets both follow the zone.
        assert_eq!(
            read_text_value("07-01-2023 07:15 AM", &chicago),
            Ok(instant("2023-07-01T12:15:00Z", Precision::Minute))
        );
        assert_eq!(
            read_text_value("01-01-2023 07:15 AM", &chicago),
            Ok(instant("2023-01-01T13:15:00Z", Precision::Minute))
        );
    }

    #[test]
    fn zones_parse_offsets_utc_and_iana_names() {
        let offset = |seconds| Zone::Fixed(FixedOffset::east_opt(seconds).expect("an offset"));
        assert_eq!(Zone::parse("-06:00"), Ok(offset(-6 * 3600)));
        assert_eq!(Zone::parse("+05:30"), Ok(offset(5 * 3600 + 1800)));
        assert_eq!(Zone::parse("+0530"), Ok(offset(5 * 3600 + 1800)));
        assert_eq!(Zone::parse("-06"), Ok(offset(-6 * 3600)));
        assert_eq!(Zone::parse("UTC-06:00"), Ok(offset(-6 * 3600)));
        // The object's own `timezone` field reads "GMT +0" in Get Incident.yaml.
        assert_eq!(Zone::parse("GMT +0"), Ok(Zone::utc()));
        assert_eq!(Zone::parse("+5:30"), Ok(offset(5 * 3600 + 1800)));
        assert_eq!(Zone::parse("+14:00"), Ok(offset(14 * 3600)));
        for utc in ["Z", "UTC", "utc", " GMT ", "+00:00", "-00:00"] {
            assert_eq!(Zone::parse(utc), Ok(Zone::utc()), "{utc}");
        }
        assert_eq!(
            Zone::parse("America/Chicago"),
            Ok(Zone::Named(chrono_tz::America::Chicago))
        );
        let etc = Zone::parse("Etc/GMT+6").expect("an IANA name");
        assert_eq!(etc, Zone::Named(chrono_tz::Etc::GMTPlus6));
        assert_eq!(
            etc.instant(
                NaiveDate::from_ymd_opt(2023, 9, 8)
                    .and_then(|date| date.and_hms_opt(7, 15, 0))
                    .expect("a local time")
            ),
            Ok(utc("2023-09-08T13:15:00Z"))
        );
        assert_eq!(
            Zone::parse("Asia/Kolkata"),
            Ok(Zone::Named(chrono_tz::Asia::Kolkata))
        );
        for bad in ["+15:00", "+05:60", "+123", "-06:00:00", "+ab:cd", "+"] {
            assert_eq!(
                Zone::parse(bad),
                Err(format!(
                    "time zone {bad:?} is not an offset soarform can read: write ±HH:MM \
                     (\"-06:00\", \"+05:30\"), at most 14:00 from UTC"
                )),
                "{bad}"
            );
        }
        assert_eq!(
            Zone::parse("Mars/Olympus"),
            Err(
                "unknown time zone \"Mars/Olympus\": write an offset such as \"-06:00\" or \
                 \"+05:30\", \"UTC\", or an IANA name such as \"America/Chicago\""
                    .to_string()
            )
        );
        assert!(Zone::parse("america/chicago")
            .expect_err("names are exact")
            .ends_with("(did you mean \"America/Chicago\"?)"));
        assert!(Zone::parse("").is_err());
    }

    #[test]
    fn zones_are_shown_as_written() {
        assert_eq!(Zone::utc().to_string(), "UTC");
        assert_eq!(
            Zone::parse("-06:00").map(|zone| zone.to_string()),
            Ok("-06:00".to_string())
        );
        assert_eq!(
            Zone::parse("America/Chicago").map(|zone| zone.to_string()),
            Ok("America/Chicago".to_string())
        );
    }

    #[test]
    fn display_formats_parse_their_patterns_and_list_them_on_error() {
        let patterns = DisplayFormat::patterns();
        assert_eq!(patterns.len(), 24);
        assert_eq!(patterns[0], "MM-DD-YYYY hh:mm A");
        for pattern in &patterns {
            let format = DisplayFormat::parse(pattern).expect("an accepted pattern");
            assert_eq!(&format.pattern(), pattern);
        }
        assert_eq!(
            DisplayFormat::parse("  MM-DD-YYYY   hh:mm A "),
            Ok(DisplayFormat::default())
        );
        let error = DisplayFormat::parse("mm-dd-yyyy hh:mm a").expect_err("case matters");
        assert!(error.starts_with(
            "unknown date display format \"mm-dd-yyyy hh:mm a\": the accepted patterns are \
             MM-DD-YYYY hh:mm A, MM-DD-YYYY hh:mm:ss A, MM-DD-YYYY HH:mm, MM-DD-YYYY HH:mm:ss, \
             DD-MM-YYYY hh:mm A, "
        ));
        assert!(error.ends_with("YYYY/MM/DD HH:mm:ss"));
    }

    #[test]
    fn every_display_format_reads_back_what_it_shows() {
        let at = utc("2023-09-08T19:15:42Z");
        for zone in ["UTC", "-06:00", "+05:30", "America/Chicago", "Asia/Kolkata"] {
            let zone = Zone::parse(zone).expect("a zone");
            for format in DisplayFormat::all() {
                let tenant = DateSettings {
                    zone,
                    formats: vec![format],
                };
                let shown = format.show(at, &zone);
                let observed = read(&json!(shown), &tenant).expect("its own display");
                assert!(
                    same_at_precision(at, &observed),
                    "{format} in {zone}: {shown}"
                );
            }
        }
        assert_eq!(
            DisplayFormat::default().show(
                utc("2023-09-08T13:15:00Z"),
                &Zone::parse("-06:00").expect("a zone")
            ),
            "09-08-2023 07:15 AM"
        );
        assert_eq!(
            DisplayFormat::default().show(
                DateTime::UNIX_EPOCH,
                &Zone::parse("-06:00").expect("a zone")
            ),
            "12-31-1969 06:00 PM"
        );
    }

    #[test]
    fn settings_default_to_utc_and_the_evidence_format() {
        let default = DateSettings::default();
        assert_eq!(default.zone, Zone::utc());
        assert_eq!(default.formats, vec![DisplayFormat::default()]);
        assert_eq!(DateSettings::new(None, &[]), Ok(default));
        let tenant = DateSettings::new(
            Some("America/Chicago"),
            &[
                "DD/MM/YYYY HH:mm".to_string(),
                "DD/MM/YYYY HH:mm".to_string(),
            ],
        )
        .expect("settings");
        assert_eq!(tenant.zone, Zone::Named(chrono_tz::America::Chicago));
        assert_eq!(tenant.formats.len(), 1);
        assert!(DateSettings::new(Some("Nowhere"), &[]).is_err());
        assert!(DateSettings::new(None, &["DD.MM.YYYY".to_string()]).is_err());
    }

    #[test]
    fn desired_instants_compare_at_the_precision_shown() {
        let minute = instant("2023-09-08T09:00:00Z", Precision::Minute);
        assert!(same_at_precision(utc("2023-09-08T09:00:00Z"), &minute));
        assert!(same_at_precision(utc("2023-09-08T09:00:30Z"), &minute));
        // Truncation, not rounding: 09:00:59.9 is still shown as 09:00.
        assert!(same_at_precision(utc("2023-09-08T09:00:59.9Z"), &minute));
        assert!(!same_at_precision(utc("2023-09-08T09:01:00Z"), &minute));
        assert!(!same_at_precision(utc("2023-09-08T08:59:59Z"), &minute));

        let second = instant("2023-09-08T09:00:30Z", Precision::Second);
        assert!(same_at_precision(utc("2023-09-08T09:00:30.999Z"), &second));
        assert!(!same_at_precision(utc("2023-09-08T09:00:31Z"), &second));

        let millis = instant("2023-09-08T09:00:30.123Z", Precision::Millisecond);
        assert!(same_at_precision(utc("2023-09-08T09:00:30.1234Z"), &millis));
        assert!(!same_at_precision(utc("2023-09-08T09:00:30.124Z"), &millis));

        let exact = instant("2023-09-08T09:00:30.5Z", Precision::Nanosecond);
        assert!(same_at_precision(utc("2023-09-08T09:00:30.5Z"), &exact));
        assert!(!same_at_precision(
            utc("2023-09-08T09:00:30.500000001Z"),
            &exact
        ));

        assert!(!same_at_precision(DateTime::UNIX_EPOCH, &Read::Unset));
        assert!(!same_at_precision(
            utc("2023-09-08T09:00:00Z"),
            &Read::Unset
        ));
    }

    #[test]
    fn a_desired_value_matches_the_evidence_display_in_its_zone() {
        // Written as 07:15:30 local time in UTC-6, shown back as "09-08-2023 07:15 AM".
        let tenant = settings("-06:00", &[]);
        let observed = read_text_value("09-08-2023 07:15 AM", &tenant).expect("a date");
        assert!(same_at_precision(
            utc("2023-09-08T07:15:30-06:00"),
            &observed
        ));
        assert!(!same_at_precision(utc("2023-09-08T07:15:30Z"), &observed));
    }
}
