//! How a simulator is configured: credentials, state file, latency, read-only mode, the gateway's
//! limits and the injected faults.

use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use rand::distributions::Alphanumeric;
use rand::Rng;

use crate::dates::{DisplayFormat, Zone};

/// The credentials the simulator accepts: a bearer token, and/or a Sumo access id + key for
/// Basic auth (both needed). With none, every request is refused.
#[derive(Clone, Default)]
pub struct Credentials {
    /// Accepted as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// With `access_key`, accepted as `Authorization: Basic base64(id:key)`.
    pub access_id: Option<String>,
    /// With `access_id`, accepted as `Authorization: Basic base64(id:key)`.
    pub access_key: Option<String>,
}

impl fmt::Debug for Credentials {
    /// Shows which credentials are set, never their values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("Credentials")
            .field("token", &redacted(&self.token))
            .field("access_id", &redacted(&self.access_id))
            .field("access_key", &redacted(&self.access_key))
            .finish()
    }
}

/// A random token of 43 URL-safe characters, for a simulator started without credentials.
pub fn generate_token() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(43)
        .map(char::from)
        .collect()
}

/// How the simulator is run. `SimConfig::default()` accepts no credentials and has no state
/// file, latency, limits or faults; build on it with `..SimConfig::default()`.
#[derive(Debug, Clone, Default)]
pub struct SimConfig {
    /// The credentials accepted; nothing else is.
    pub credentials: Credentials,
    /// Loaded at start if it exists; every write is saved before it is answered, as a line
    /// appended to the file's journal, and the file is rewritten whole (temporary file, then
    /// rename) now and then and on a clean shutdown (see `journal.rs`); missing parent
    /// directories are created.
    pub state_file: Option<PathBuf>,
    /// Added before answering every request, 429s included. An admitted request counts as in
    /// flight while it waits.
    pub latency: Duration,
    /// Answer every create and update with 403 (searches and reads still work).
    pub read_only: bool,
    /// The gateway's request limits (none by default).
    pub limits: Limits,
    /// Faults injected into API requests (none by default).
    pub faults: Faults,
    /// Behaviours the evidence leaves open or that hostile servers show (none by default).
    pub quirks: Quirks,
    /// More users: Bearer tokens accepted besides `credentials`, each a user of its own (objects
    /// it creates are `created_by` `user-N`, from 1). For shards applying with one credential each.
    pub other_users: Vec<String>,
    /// The request limits apply to each credential on its own, as Sumo Logic's do (per user and
    /// per access key), instead of to all callers together.
    pub limits_per_user: bool,
}

/// Behaviours a real server or a proxy in front of it may show, which the API profile leaves
/// open: capped search pages, paging that ignores `page_number`, huge answers, error bodies that
/// echo what was sent, creates committed late. Each is off by default, except the read shape,
/// which follows the evidence (fields at the top level, dates as display strings in UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct Quirks {
    /// Search pages hold at most this many objects, whatever `page_size` asks.
    pub page_cap: Option<u64>,
    /// With `page_cap`: page `n` starts at `(n - 1) * page_size` as asked, not as capped (so a
    /// client that asks for page 2 with the size it asked for page 1 skips objects).
    pub page_offset_by_requested: bool,
    /// Every search answers its first page, whatever `page_number` says.
    pub ignore_page_number: bool,
    /// Every page after the first starts this many objects early, so that they show on two
    /// pages (as when objects are created while a client pages through a search).
    pub page_overlap: u64,
    /// Bytes of padding added to every object of a search answer (`"padding": "xxx..."`).
    pub pad_objects: usize,
    /// Error answers (4xx and 5xx) echo the request's `Authorization` header and body in their
    /// `description`: as sent, JSON-escaped (`\uXXXX` for every non-ASCII character),
    /// URL-encoded and lower-cased, as misconfigured gateways and debug pages do.
    pub echo_errors: bool,
    /// The first this-many creates lose their connection at once and are committed only
    /// `late_commit_delay` later, as by a server that commits after the client gave up.
    pub late_commits: u64,
    /// How long after its dropped connection a late create is committed.
    pub late_commit_delay: Duration,
    /// Appended to the `incidentid` of every incident created, as a tenant with "Use suffix on
    /// non-duplicate" does (Cloud SOAR's settings; evidence file, "tenant settings that touch
    /// identity").
    pub identity_suffix: Option<String>,
    /// Dates are read back as display strings in this format and zone, and an unset date as
    /// epoch 0 shown the same way (`12-31-1969 06:00 PM` in `-06:00`), as Cloud SOAR answers
    /// (evidence file, "dates on read"). Default `MM-DD-YYYY hh:mm A` in UTC. `None`: RFC 3339
    /// in UTC with microseconds, unset dates absent (the API profile's reading).
    pub date_display: Option<DateDisplay>,
    /// Read objects nest their fields under `"fields"` (the API profile's reading) instead of
    /// putting them at the top level beside `id`, as Sumo Logic's `Get Incident` script reads
    /// them (evidence file, "get incident").
    pub nested_fields: bool,
    /// Search filters are read in label syntax only: `Incident ID: KEY` (OR-joined; a trailing
    /// `*` makes a prefix), as third-party code calling Cloud SOAR sends them (evidence file,
    /// "search"); the profile's `incidentid:"KEY"` is refused with 400.
    pub label_filters: bool,
    /// Updates are `PATCH` with the fields as a bare body, as Sumo Logic's scripts change
    /// sibling resources (evidence file, "other writes"); `PUT` answers 405.
    pub patch_updates: bool,
    /// An update replaces the object: every field it does not name is cleared, as PUT does in
    /// REST style (whether Cloud SOAR's does is not public: evidence file, "not public").
    pub replacing_updates: bool,
    /// A create is answered with the new object's id alone (`{"id": N}`), as some APIs do.
    pub bare_create_answers: bool,
    /// Column lists name types as Cloud SOAR's settings page does ("Text Area", "Date & Time",
    /// "List", "Multi Select List", "Numeric Textbox", "Tags") instead of `textarea`, `datetime`...
    pub ui_type_names: bool,
}

/// How objects are shown on read, from the quirks.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadShape {
    /// Dates as display strings in this format and zone, unset ones as epoch 0.
    pub(crate) dates: Option<(DisplayFormat, Zone)>,
    /// Fields under `"fields"` rather than at the top level.
    pub(crate) nested: bool,
}

impl ReadShape {
    /// The shape of [`SimServer::incidents`](super::SimServer::incidents) and the state
    /// file's readers: fields nested, dates in RFC 3339, whatever the wire shows, so that tests
    /// check what is stored.
    pub(crate) fn stored() -> ReadShape {
        ReadShape {
            dates: None,
            nested: true,
        }
    }

    /// The shape the quirks ask for; quirks that fail [`SimConfig::check`] fall back to the
    /// default.
    pub(crate) fn of(quirks: &Quirks) -> ReadShape {
        ReadShape {
            dates: quirks
                .date_display
                .as_ref()
                .and_then(|display| display.parse().ok()),
            nested: quirks.nested_fields,
        }
    }
}

/// How dates are shown on read: a pattern of soarform's `tenant.date_formats`
/// (`MM-DD-YYYY hh:mm A`) and a zone of `tenant.timezone` (`-06:00`, `America/Chicago`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateDisplay {
    /// The display pattern.
    pub format: String,
    /// The zone dates are shown in.
    pub zone: String,
}

impl DateDisplay {
    /// The evidence's display: `09-08-2023 07:15 AM`, in `zone`.
    pub fn evidence(zone: &str) -> DateDisplay {
        DateDisplay {
            format: DisplayFormat::default().pattern(),
            zone: zone.to_string(),
        }
    }

    /// The parsed format and zone (checked by [`SimConfig::check`]).
    pub(crate) fn parse(&self) -> Result<(DisplayFormat, Zone), String> {
        Ok((
            DisplayFormat::parse(&self.format)?,
            Zone::parse(&self.zone)?,
        ))
    }
}

impl Default for Quirks {
    /// No quirk; the read shape of the evidence.
    fn default() -> Self {
        Quirks {
            page_cap: None,
            page_offset_by_requested: false,
            ignore_page_number: false,
            page_overlap: 0,
            pad_objects: 0,
            echo_errors: false,
            late_commits: 0,
            late_commit_delay: Duration::ZERO,
            identity_suffix: None,
            date_display: Some(DateDisplay::evidence("UTC")),
            nested_fields: false,
            label_filters: false,
            patch_updates: false,
            replacing_updates: false,
            bare_create_answers: false,
            ui_type_names: false,
        }
    }
}

impl Quirks {
    /// Each active quirk in a few words.
    fn describe(&self) -> Vec<String> {
        let mut parts = Vec::new();
        if let Some(cap) = self.page_cap {
            parts.push(format!(
                "pages of at most {cap} (offset by the size {})",
                if self.page_offset_by_requested {
                    "asked"
                } else {
                    "answered"
                }
            ));
        }
        if self.ignore_page_number {
            parts.push("page_number ignored".to_string());
        }
        if self.page_overlap > 0 {
            parts.push(format!("pages overlap by {}", self.page_overlap));
        }
        if self.pad_objects > 0 {
            parts.push(format!("{} bytes of padding per object", self.pad_objects));
        }
        if self.echo_errors {
            parts.push("errors echo the request".to_string());
        }
        if self.late_commits > 0 {
            parts.push(format!(
                "first {} creates committed {} ms late",
                self.late_commits,
                self.late_commit_delay.as_millis()
            ));
        }
        if let Some(suffix) = &self.identity_suffix {
            parts.push(format!("incident ids suffixed with `{suffix}`"));
        }
        if self.label_filters {
            parts.push("filters in label syntax only".to_string());
        }
        if self.patch_updates {
            parts.push("updates by PATCH with a bare body only".to_string());
        }
        if self.replacing_updates {
            parts.push("updates replace the object".to_string());
        }
        if self.ui_type_names {
            parts.push("column types as the UI names them".to_string());
        }
        if self.bare_create_answers {
            parts.push("creates answered with the id alone".to_string());
        }
        match &self.date_display {
            Some(display) if *display != DateDisplay::evidence("UTC") => parts.push(format!(
                "dates shown as `{}` in {}",
                display.format, display.zone
            )),
            Some(_) => {}
            None => parts.push("dates in RFC 3339".to_string()),
        }
        if self.nested_fields {
            parts.push("fields nested under `fields`".to_string());
        }
        parts
    }
}

impl SimConfig {
    /// A config accepting `credentials`, without state file, latency, read-only mode, limits or
    /// faults.
    pub fn new(credentials: Credentials) -> SimConfig {
        SimConfig {
            credentials,
            ..SimConfig::default()
        }
    }

    /// Checks the limits and faults: a positive finite rate limit, a concurrency limit of at
    /// least 1, fault rates from 0 to 1. The message names the setting and its value.
    pub fn check(&self) -> Result<(), String> {
        if let Some(rate) = self.limits.requests_per_second {
            if !is_rate_limit(rate) {
                return Err(format!(
                    "the rate limit must be a positive number of requests per second, got `{rate}`"
                ));
            }
        }
        if let Some(display) = &self.quirks.date_display {
            display.parse()?;
        }
        if self.quirks.page_cap == Some(0) {
            return Err("the page cap must be at least 1, got `0`".to_string());
        }
        if self
            .limits
            .max_concurrency
            .is_some_and(|count| !is_concurrency_limit(count))
        {
            return Err("the concurrency limit must be at least 1, got `0`".to_string());
        }
        for (name, rate) in self.faults.rates() {
            check_rate(name, rate)?;
        }
        Ok(())
    }

    /// One line saying which latency, limits and faults are active, for `soarform sim` to print
    /// at start.
    pub fn describe_limits_and_faults(&self) -> String {
        let mut out = String::new();
        if self.latency.is_zero() {
            out.push_str("latency: none");
        } else {
            let _ = write!(out, "latency: {} ms", self.latency.as_millis());
        }
        let limits = &self.limits;
        let mut parts = Vec::new();
        if let Some(rate) = limits.requests_per_second {
            parts.push(format!(
                "{rate} requests per second (bursts of {})",
                rate.ceil().max(1.0)
            ));
        }
        if let Some(concurrency) = limits.max_concurrency {
            parts.push(format!("{concurrency} in flight"));
        }
        if parts.is_empty() {
            out.push_str("; limits: none");
        } else {
            let _ = write!(out, "; limits: {}", parts.join(", "));
        }
        let rates: Vec<String> = self
            .faults
            .rates()
            .iter()
            .filter(|(_, rate)| *rate > 0.0)
            // Rounded so that 0.03 shows as `3%`, not `3.0000000000000004%`.
            .map(|(name, rate)| format!("{name} {}%", (rate * 100_000.0).round() / 1000.0))
            .collect();
        if rates.is_empty() {
            out.push_str("; faults: none");
        } else {
            let _ = write!(
                out,
                "; faults: {} (seed {})",
                rates.join(", "),
                self.faults.seed
            );
        }
        let _ = write!(out, "; Retry-After: {}", limits.retry_after.as_str());
        let quirks = self.quirks.describe();
        if !quirks.is_empty() {
            let _ = write!(out, "; quirks: {}", quirks.join(", "));
        }
        out
    }
}

/// The smallest fault rate (a probability per request).
pub(super) const MIN_FAULT_RATE: f64 = 0.0;
/// The largest fault rate.
pub(super) const MAX_FAULT_RATE: f64 = 1.0;
/// The smallest concurrency limit.
pub(super) const MIN_CONCURRENCY: usize = 1;

/// Whether `rate` is a fault rate: a number from 0 to 1. The one rule for the flags, the faults
/// file (whose schema takes the same bounds) and [`SimConfig::check`].
pub(crate) fn is_fault_rate(rate: f64) -> bool {
    (MIN_FAULT_RATE..=MAX_FAULT_RATE).contains(&rate)
}

/// Whether `rate` is a rate limit: a positive finite number of requests per second.
pub(crate) fn is_rate_limit(rate: f64) -> bool {
    rate.is_finite() && rate > 0.0
}

/// Whether `count` is a concurrency limit: at least [`MIN_CONCURRENCY`].
pub(crate) fn is_concurrency_limit(count: usize) -> bool {
    count >= MIN_CONCURRENCY
}

/// A fault rate must be a number from 0 to 1.
fn check_rate(name: &str, rate: f64) -> Result<(), String> {
    if is_fault_rate(rate) {
        Ok(())
    } else {
        Err(format!(
            "the {name} rate must be a number from 0 to 1, got `{rate}`"
        ))
    }
}

/// The gateway's limits. A request beyond either is answered 429 (gateway shape, code
/// `rate.limit.exceeded`) without touching state, and never counts as in flight.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    /// Requests admitted per second: a token bucket holding `ceil(rps)` tokens (the largest
    /// burst), starting full and refilled continuously at `rps` tokens per second.
    pub requests_per_second: Option<f64>,
    /// Requests in flight at once (from admission until the answer is ready, latency included).
    pub max_concurrency: Option<usize>,
    /// The `Retry-After` header on 429s from these limits, and on injected 429s and 503s that
    /// draw one.
    pub retry_after: RetryAfter,
}

/// How `Retry-After` is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RetryAfter {
    /// Whole seconds, at least 1 (`Retry-After: 2`).
    #[default]
    Seconds,
    /// An HTTP date (`Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`), rounded up to the second.
    HttpDate,
    /// Never sent.
    None,
}

impl RetryAfter {
    /// `seconds`, `http-date` or `none`, as the flag and the faults file spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            RetryAfter::Seconds => "seconds",
            RetryAfter::HttpDate => "http-date",
            RetryAfter::None => "none",
        }
    }

    /// Parses [`RetryAfter::as_str`]'s spelling.
    pub fn parse(text: &str) -> Option<RetryAfter> {
        [RetryAfter::Seconds, RetryAfter::HttpDate, RetryAfter::None]
            .into_iter()
            .find(|choice| choice.as_str() == text)
    }
}

/// Faults injected into API requests, drawn from a generator seeded with `seed`: the same seed
/// and the same sequence of requests give the same faults. Rates are probabilities from 0 to 1
/// per request; each is drawn independently, and when several hit one request the first of
/// these fields wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Seeds the generator.
    pub seed: u64,
    /// Answer 500, 502, 503 or 504 (picked by the generator) without touching state; a 503 sometimes
    /// carries `Retry-After`.
    pub server_error_rate: f64,
    /// Answer 429 without touching state, with or without `Retry-After` (picked by the generator).
    pub throttle_rate: f64,
    /// Writes only (create and update, never searches): drop the connection without committing.
    pub drop_before_commit_rate: f64,
    /// Writes only: commit the write (and save the state file), then drop the connection instead
    /// of answering. A write that fails anyway (400, 404, ...) is answered normally.
    pub drop_after_commit_rate: f64,
}

impl Faults {
    /// Each rate with the name messages use for it.
    fn rates(&self) -> [(&'static str, f64); 4] {
        [
            ("server error", self.server_error_rate),
            ("throttle", self.throttle_rate),
            ("drop-before-commit", self.drop_before_commit_rate),
            ("drop-after-commit", self.drop_after_commit_rate),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_refuses_out_of_range_settings() {
        assert_eq!(SimConfig::default().check(), Ok(()));
        let with_limits = |limits: Limits| SimConfig {
            limits,
            ..SimConfig::default()
        };
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let error = with_limits(Limits {
                requests_per_second: Some(rate),
                ..Limits::default()
            })
            .check()
            .expect_err("refused");
            assert!(error.contains("rate limit"), "{error}");
        }
        assert!(with_limits(Limits {
            max_concurrency: Some(0),
            ..Limits::default()
        })
        .check()
        .is_err());
        for rate in [1.5, -0.1, f64::NAN] {
            let error = SimConfig {
                faults: Faults {
                    throttle_rate: rate,
                    ..Faults::default()
                },
                ..SimConfig::default()
            }
            .check()
            .expect_err("refused");
            assert!(error.contains("throttle rate"), "{error}");
        }
    }

    #[test]
    fn describes_what_is_active() {
        assert_eq!(
            SimConfig::default().describe_limits_and_faults(),
            "latency: none; limits: none; faults: none; Retry-After: seconds"
        );
        let config = SimConfig {
            latency: Duration::from_millis(20),
            limits: Limits {
                requests_per_second: Some(4.0),
                max_concurrency: Some(10),
                retry_after: RetryAfter::HttpDate,
            },
            faults: Faults {
                seed: 3,
                server_error_rate: 0.1,
                drop_after_commit_rate: 0.03,
                ..Faults::default()
            },
            ..SimConfig::default()
        };
        assert_eq!(
            config.describe_limits_and_faults(),
            "latency: 20 ms; limits: 4 requests per second (bursts of 4), 10 in flight; \
             faults: server error 10%, drop-after-commit 3% (seed 3); Retry-After: http-date"
        );
    }

    #[test]
    fn retry_after_spellings_round_trip() {
        for choice in [RetryAfter::Seconds, RetryAfter::HttpDate, RetryAfter::None] {
            assert_eq!(RetryAfter::parse(choice.as_str()), Some(choice));
        }
        assert_eq!(RetryAfter::parse("date"), None);
    }
}
