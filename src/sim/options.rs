//! Latency, limits and faults as `soarform sim` takes them: from a YAML file (`--faults FILE`)
//! and from flags, which override the file.
//!
//! ```yaml
//! latency_ms: 20
//! rate_limit: 4              # requests per second
//! max_concurrency: 10
//! retry_after: http-date     # seconds | http-date | none
//! error_rate: 0.1            # 500/502/503/504
//! throttle_rate: 0.05        # random 429s
//! drop_before_commit_rate: 0.0
//! drop_after_commit_rate: 0.03
//! seed: 7
//! page_cap: 150             # quirks: see `Quirks`
//! page_offset_by_requested: false
//! ignore_page_number: false
//! page_overlap: 0
//! pad_objects: 0
//! echo_errors: false
//! late_commits: 0
//! late_commit_ms: 0
//! identity_suffix: " (1)"
//! date_format: MM-DD-YYYY hh:mm A  # the read shape: see `Quirks`
//! date_zone: "-06:00"
//! iso_dates: false
//! nested_fields: false
//! label_filters: false
//! patch_updates: false
//! replacing_updates: false
//! ui_type_names: false
//! ```

use std::path::Path;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::config::{DateDisplay, RetryAfter, SimConfig};
use super::config::{MAX_FAULT_RATE, MIN_CONCURRENCY, MIN_FAULT_RATE};
use crate::manifest::diagnostic::did_you_mean;
use crate::manifest::diagnostic::{Diagnostic, Report};
use crate::manifest::schema::{self, Problem, ProblemKind, SchemaName};
use crate::manifest::source::{self, MappingFile};
use crate::manifest::yaml::{Node, NodeValue};

/// How a faults file is read and named in messages about its shape.
const FAULTS_FILE: MappingFile = MappingFile {
    schema: SchemaName::SimOptions,
    max_bytes: 1024 * 1024,
    name: "a faults file",
    second_document: "a faults file holds one YAML document",
    second_document_help: None,
    expected_keys: "expected keys such as `latency_ms`",
};

/// Latency, limits and faults, every one optional: what a faults file (`soarform sim --faults
/// FILE`) or the flags set. In the file, `null` leaves a setting unset.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(
    title = "soarform simulator faults file (soarform sim --faults FILE)",
    extend("$id" = "urn:soarform:schemas:sim-options")
)]
pub(crate) struct SimOptions {
    /// Milliseconds added before every answer.
    pub latency_ms: Option<u64>,
    /// Requests per second (positive).
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub rate_limit: Option<f64>,
    /// Requests in flight at once (at least 1).
    #[schemars(range(min = MIN_CONCURRENCY))]
    pub max_concurrency: Option<usize>,
    /// The form of `Retry-After`.
    pub retry_after: Option<RetryAfter>,
    /// Rate of injected 5xx answers (0 to 1).
    #[schemars(range(min = MIN_FAULT_RATE, max = MAX_FAULT_RATE))]
    pub error_rate: Option<f64>,
    /// Rate of injected 429 answers (0 to 1).
    #[schemars(range(min = MIN_FAULT_RATE, max = MAX_FAULT_RATE))]
    pub throttle_rate: Option<f64>,
    /// Rate of writes dropped before they are committed (0 to 1).
    #[schemars(range(min = MIN_FAULT_RATE, max = MAX_FAULT_RATE))]
    pub drop_before_commit_rate: Option<f64>,
    /// Rate of writes committed and then dropped (0 to 1).
    #[schemars(range(min = MIN_FAULT_RATE, max = MAX_FAULT_RATE))]
    pub drop_after_commit_rate: Option<f64>,
    /// The fault generator's seed.
    pub seed: Option<u64>,
    /// Search pages hold at most this many objects.
    #[schemars(range(min = 1))]
    pub page_cap: Option<u64>,
    /// With a page cap, pages start where the size asked puts them.
    pub page_offset_by_requested: Option<bool>,
    /// Every search answers its first page.
    pub ignore_page_number: Option<bool>,
    /// Pages after the first start this many objects early.
    pub page_overlap: Option<u64>,
    /// Bytes of padding added to every object of a search answer.
    pub pad_objects: Option<u64>,
    /// Error answers echo the request's credentials and body.
    pub echo_errors: Option<bool>,
    /// The first this-many creates are committed late, after their connection is dropped.
    pub late_commits: Option<u64>,
    /// How late, in milliseconds.
    pub late_commit_ms: Option<u64>,
    /// Appended to the `incidentid` of every incident created ("Use suffix on non-duplicate").
    #[schemars(length(min = 1))]
    pub identity_suffix: Option<String>,
    /// The display format dates are read back in (a pattern of `tenant.date_formats`). Default `MM-DD-YYYY hh:mm A`.
    #[schemars(extend("enum" = crate::dates::DisplayFormat::patterns()))]
    pub date_format: Option<String>,
    /// The zone dates are shown in (an offset, `UTC` or an IANA name). Default UTC.
    #[schemars(length(min = 1))]
    pub date_zone: Option<String>,
    /// Dates are read back in RFC 3339, unset ones absent (the API profile's reading).
    pub iso_dates: Option<bool>,
    /// Fields are read back nested under `fields` (the API profile's reading).
    pub nested_fields: Option<bool>,
    /// Filters are read in label syntax only (`Incident ID: KEY`).
    pub label_filters: Option<bool>,
    /// Updates are PATCH with a bare body only.
    pub patch_updates: Option<bool>,
    /// Updates replace the object, clearing the fields they do not name.
    pub replacing_updates: Option<bool>,
    /// Column lists name types as the UI does ("Text Area", "Date & Time", ...).
    pub ui_type_names: Option<bool>,
}

impl SimOptions {
    /// These options with every setting that `overrides` has replaced by its value.
    pub(crate) fn overridden_by(self, overrides: SimOptions) -> SimOptions {
        SimOptions {
            latency_ms: overrides.latency_ms.or(self.latency_ms),
            rate_limit: overrides.rate_limit.or(self.rate_limit),
            max_concurrency: overrides.max_concurrency.or(self.max_concurrency),
            retry_after: overrides.retry_after.or(self.retry_after),
            error_rate: overrides.error_rate.or(self.error_rate),
            throttle_rate: overrides.throttle_rate.or(self.throttle_rate),
            drop_before_commit_rate: overrides
                .drop_before_commit_rate
                .or(self.drop_before_commit_rate),
            drop_after_commit_rate: overrides
                .drop_after_commit_rate
                .or(self.drop_after_commit_rate),
            seed: overrides.seed.or(self.seed),
            page_cap: overrides.page_cap.or(self.page_cap),
            page_offset_by_requested: overrides
                .page_offset_by_requested
                .or(self.page_offset_by_requested),
            ignore_page_number: overrides.ignore_page_number.or(self.ignore_page_number),
            page_overlap: overrides.page_overlap.or(self.page_overlap),
            pad_objects: overrides.pad_objects.or(self.pad_objects),
            echo_errors: overrides.echo_errors.or(self.echo_errors),
            late_commits: overrides.late_commits.or(self.late_commits),
            late_commit_ms: overrides.late_commit_ms.or(self.late_commit_ms),
            identity_suffix: overrides.identity_suffix.or(self.identity_suffix),
            date_format: overrides.date_format.or(self.date_format),
            date_zone: overrides.date_zone.or(self.date_zone),
            iso_dates: overrides.iso_dates.or(self.iso_dates),
            nested_fields: overrides.nested_fields.or(self.nested_fields),
            label_filters: overrides.label_filters.or(self.label_filters),
            patch_updates: overrides.patch_updates.or(self.patch_updates),
            replacing_updates: overrides.replacing_updates.or(self.replacing_updates),
            ui_type_names: overrides.ui_type_names.or(self.ui_type_names),
        }
    }

    /// Sets every setting given in `config`, leaving the others as they are.
    pub(crate) fn apply_to(&self, config: &mut SimConfig) {
        if let Some(milliseconds) = self.latency_ms {
            config.latency = Duration::from_millis(milliseconds);
        }
        if let Some(rate) = self.rate_limit {
            config.limits.requests_per_second = Some(rate);
        }
        if let Some(concurrency) = self.max_concurrency {
            config.limits.max_concurrency = Some(concurrency);
        }
        if let Some(form) = self.retry_after {
            config.limits.retry_after = form;
        }
        let faults = &mut config.faults;
        let rates = [
            (self.error_rate, &mut faults.server_error_rate),
            (self.throttle_rate, &mut faults.throttle_rate),
            (
                self.drop_before_commit_rate,
                &mut faults.drop_before_commit_rate,
            ),
            (
                self.drop_after_commit_rate,
                &mut faults.drop_after_commit_rate,
            ),
        ];
        for (given, rate) in rates {
            if let Some(given) = given {
                *rate = given;
            }
        }
        if let Some(seed) = self.seed {
            faults.seed = seed;
        }
        let quirks = &mut config.quirks;
        if let Some(cap) = self.page_cap {
            quirks.page_cap = Some(cap);
        }
        if let Some(by_requested) = self.page_offset_by_requested {
            quirks.page_offset_by_requested = by_requested;
        }
        if let Some(ignore) = self.ignore_page_number {
            quirks.ignore_page_number = ignore;
        }
        if let Some(overlap) = self.page_overlap {
            quirks.page_overlap = overlap;
        }
        if let Some(bytes) = self.pad_objects {
            quirks.pad_objects = usize::try_from(bytes).unwrap_or(usize::MAX);
        }
        if let Some(echo) = self.echo_errors {
            quirks.echo_errors = echo;
        }
        if let Some(count) = self.late_commits {
            quirks.late_commits = count;
        }
        if let Some(milliseconds) = self.late_commit_ms {
            quirks.late_commit_delay = Duration::from_millis(milliseconds);
        }
        if let Some(suffix) = &self.identity_suffix {
            quirks.identity_suffix = Some(suffix.clone());
        }
        if self.iso_dates == Some(true) {
            quirks.date_display = None;
        } else if self.date_format.is_some() || self.date_zone.is_some() {
            let default = DateDisplay::evidence("UTC");
            quirks.date_display = Some(DateDisplay {
                format: self.date_format.clone().unwrap_or(default.format),
                zone: self.date_zone.clone().unwrap_or(default.zone),
            });
        }
        for (given, quirk) in [
            (self.nested_fields, &mut quirks.nested_fields),
            (self.label_filters, &mut quirks.label_filters),
            (self.patch_updates, &mut quirks.patch_updates),
            (self.replacing_updates, &mut quirks.replacing_updates),
            (self.ui_type_names, &mut quirks.ui_type_names),
        ] {
            if let Some(given) = given {
                *quirk = given;
            }
        }
    }
}

/// Reads a faults file: one YAML mapping whose keys are the names of the [`SimOptions`] fields
/// (an empty file sets nothing; a `null` value leaves its setting unset). Unknown keys and bad
/// values are reported at their position, all at once.
pub(crate) fn load_options_file(path: &Path) -> Result<SimOptions, Report> {
    let phrase = |root: &Node, problem: &Problem| options_diagnostic(path, root, problem);
    source::load_mapping::<SimOptions>(path, &FAULTS_FILE, &phrase, &|_, _| {})
        .map(|loaded| loaded.value)
}

/// A schema problem phrased for the faults file: every bad value says what its setting takes.
fn options_diagnostic(path: &Path, root: &Node, problem: &Problem) -> Diagnostic {
    match (problem.path.as_slice(), &problem.kind) {
        ([], ProblemKind::UnknownKey { key, allowed }) => {
            let origin = root.get(key).map_or(root.pos, |entry| entry.key_pos);
            let help = match did_you_mean(key, allowed.iter().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("keys: {}", allowed.join(", ")),
            };
            Diagnostic::at(
                origin.origin(path),
                format!("unknown key `{key}` in the faults file"),
            )
            .with_label("unknown key")
            .with_help(help)
        }
        ([key], _) => match root.get(key) {
            Some(entry) => {
                let expected = expected(key);
                let value = &entry.value;
                let found = match &value.value {
                    NodeValue::Scalar(Value::Number(number)) => format!("`{number}`"),
                    NodeValue::Scalar(Value::String(text)) => format!("the string `{text}`"),
                    _ => value.type_name().to_string(),
                };
                Diagnostic::at(
                    value.pos.origin(path),
                    format!("`{key}` must be {expected}, found {found}"),
                )
                .with_label(format!("expected {expected}"))
            }
            None => schema::diagnostic(path, root, problem),
        },
        _ => schema::diagnostic(path, root, problem),
    }
}

/// What the setting `key` takes, as its messages say it.
fn expected(key: &str) -> &'static str {
    match key {
        "latency_ms" | "late_commit_ms" => "a whole number of milliseconds",
        "rate_limit" => "a positive number of requests per second",
        "max_concurrency" | "page_cap" => "a whole number of at least 1",
        "retry_after" => "one of `seconds`, `http-date`, `none`",
        "error_rate" | "throttle_rate" | "drop_before_commit_rate" | "drop_after_commit_rate" => {
            "a number from 0 to 1"
        }
        "pad_objects" => "a whole number of bytes",
        "page_offset_by_requested"
        | "ignore_page_number"
        | "echo_errors"
        | "iso_dates"
        | "nested_fields"
        | "label_filters"
        | "patch_updates" => "`true` or `false`",
        "date_format" => "a date display pattern such as `MM-DD-YYYY hh:mm A`",
        "date_zone" => "a time zone such as `-06:00`, `UTC` or `America/Chicago`",
        "identity_suffix" => "the text appended to incident ids",
        _ => "a whole number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> (Result<SimOptions, Report>, tempfile::TempDir) {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("faults.yaml");
        std::fs::write(&path, text).expect("write");
        (load_options_file(&path), directory)
    }

    #[test]
    fn reads_every_setting() {
        let (options, _directory) = load(
            "latency_ms: 20\nrate_limit: 4.5\nmax_concurrency: 10\nretry_after: http-date\n\
             error_rate: 0.1\nthrottle_rate: 0.05\ndrop_before_commit_rate: 0\n\
             drop_after_commit_rate: 1\nseed: 7\npage_cap: 150\npage_offset_by_requested: true\n\
             ignore_page_number: false\npad_objects: 10\necho_errors: true\nlate_commits: 2\n\
             late_commit_ms: 300\n",
        );
        assert_eq!(
            options.expect("valid"),
            SimOptions {
                latency_ms: Some(20),
                rate_limit: Some(4.5),
                max_concurrency: Some(10),
                retry_after: Some(RetryAfter::HttpDate),
                error_rate: Some(0.1),
                throttle_rate: Some(0.05),
                drop_before_commit_rate: Some(0.0),
                drop_after_commit_rate: Some(1.0),
                seed: Some(7),
                page_cap: Some(150),
                page_offset_by_requested: Some(true),
                ignore_page_number: Some(false),
                page_overlap: None,
                pad_objects: Some(10),
                echo_errors: Some(true),
                late_commits: Some(2),
                late_commit_ms: Some(300),
                ..SimOptions::default()
            }
        );
        let (empty, _directory) = load("# nothing\n");
        assert_eq!(empty.expect("valid"), SimOptions::default());
        let (nulls, _directory) = load("rate_limit:\nseed: ~\n");
        assert_eq!(nulls.expect("valid"), SimOptions::default());
    }

    #[test]
    fn the_read_shape_keys_set_the_quirks() {
        let (options, _directory) = load(
            "identity_suffix: \" (1)\"\ndate_format: DD/MM/YYYY HH:mm\ndate_zone: \"-06:00\"\n\
             nested_fields: true\nlabel_filters: true\npatch_updates: true\n",
        );
        let mut config = SimConfig::default();
        options.expect("valid").apply_to(&mut config);
        let quirks = &config.quirks;
        assert_eq!(quirks.identity_suffix.as_deref(), Some(" (1)"));
        assert_eq!(
            quirks.date_display,
            Some(DateDisplay {
                format: "DD/MM/YYYY HH:mm".into(),
                zone: "-06:00".into()
            })
        );
        assert!(quirks.nested_fields && quirks.label_filters && quirks.patch_updates);
        assert_eq!(config.check(), Ok(()));
        let (iso, _directory) = load("iso_dates: true\n");
        let mut config = SimConfig::default();
        iso.expect("valid").apply_to(&mut config);
        assert_eq!(config.quirks.date_display, None);
        let (bad, _directory) = load("date_format: MM.DD.YYYY\n");
        let report = bad.expect_err("an unknown pattern");
        assert_eq!(
            report.diagnostics[0].message,
            "`date_format` must be a date display pattern such as `MM-DD-YYYY hh:mm A`, found the string `MM.DD.YYYY`"
        );
        // A zone is checked when the simulator starts.
        let (zone, _directory) = load("date_zone: Mars/Olympus\n");
        let mut config = SimConfig::default();
        zone.expect("valid").apply_to(&mut config);
        assert!(config
            .check()
            .is_err_and(|message| message.contains("unknown time zone \"Mars/Olympus\"")));
    }

    #[test]
    fn reports_every_unknown_key_and_bad_value_with_the_file() {
        let (options, _directory) = load(
            "error_rat: 0.1\nthrottle_rate: 1.5\nrate_limit: 0\nmax_concurrency: 0\n\
             retry_after: later\nseed: -1\nlatency_ms: fast\n",
        );
        let report = options.expect_err("invalid");
        assert_eq!(report.diagnostics.len(), 7, "{report}");
        let rendered = report.to_string();
        for expected in [
            "unknown key `error_rat` in the faults file",
            "did you mean `error_rate`?",
            "`throttle_rate` must be a number from 0 to 1, found `1.5`",
            "`rate_limit` must be a positive number of requests per second, found `0`",
            "`max_concurrency` must be a whole number of at least 1, found `0`",
            "`retry_after` must be one of `seconds`, `http-date`, `none`, found the string `later`",
            "`seed` must be a whole number, found `-1`",
            "`latency_ms` must be a whole number of milliseconds, found the string `fast`",
            "faults.yaml:2:16",
        ] {
            assert!(
                rendered.contains(expected),
                "missing {expected:?} in\n{rendered}"
            );
        }
    }

    #[test]
    fn a_file_that_is_not_a_mapping_or_missing_is_an_error() {
        let (options, _directory) = load("- error_rate: 0.1\n");
        let rendered = options.expect_err("invalid").to_string();
        assert!(
            rendered.contains("must be a mapping, found a list"),
            "{rendered}"
        );
        let missing = load_options_file(Path::new("/nonexistent/faults.yaml"))
            .expect_err("missing")
            .to_string();
        assert!(missing.contains("faults.yaml"), "{missing}");
    }

    #[test]
    fn flags_override_the_file_and_apply_sets_only_what_is_given() {
        let file = SimOptions {
            latency_ms: Some(5),
            error_rate: Some(0.2),
            seed: Some(1),
            ..SimOptions::default()
        };
        let flags = SimOptions {
            error_rate: Some(0.5),
            max_concurrency: Some(3),
            ..SimOptions::default()
        };
        let merged = file.overridden_by(flags);
        let mut config = SimConfig::default();
        config.faults.throttle_rate = 0.25;
        merged.apply_to(&mut config);
        assert_eq!(config.latency, Duration::from_millis(5));
        assert_eq!(config.faults.server_error_rate, 0.5);
        assert_eq!(config.faults.throttle_rate, 0.25);
        assert_eq!(config.faults.seed, 1);
        assert_eq!(config.limits.max_concurrency, Some(3));
        assert_eq!(config.limits.requests_per_second, None);
    }
}
