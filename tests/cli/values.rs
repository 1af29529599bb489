//! Values exactly as written: a scalar YAML reads as another type than the field's, a number a
//! double cannot hold, a `:60` second that is no leap second, or a control character in text is
//! refused with its position and a hint, and nothing is written; `fmt` never changes a number's
//! digits nor a string's quotes.

use serde_json::json;

use crate::support::binary::{run_against, Output, Test};
use crate::support::state::is_write;
use crate::support::{simulator, TOKEN};

const FILE: &str = "incident.yaml";

/// An incident whose fields are `fields` (one `name: value` line each, indented by the caller).
fn incident(fields: &str) -> String {
    format!("kind: Incident\nkey: values/one\ntemplate: Phishing\nfields:\n{fields}")
}

/// Runs `validate` (no network) and `apply --auto-approve` against a simulator on `document`;
/// both must exit 1 with every fragment on stderr, and the simulator must receive no request at
/// all: the problem is found before the tenant is asked anything.
fn refused_without_the_tenant(document: &str, expected: &[&str]) -> Output {
    let server = simulator();
    let test = Test::new()
        .write(FILE, document)
        .env("SOARFORM_TOKEN", TOKEN);
    let validated = test.run_args(&["validate".into(), FILE.into()]);
    assert_eq!(validated.code, 1, "{}", validated.combined());
    let applied = run_against(&test, &server, &["apply", FILE, "--auto-approve"]);
    assert_eq!(applied.code, 1, "{}", applied.combined());
    for fragment in expected {
        assert!(
            validated.stderr.contains(fragment),
            "expected `{fragment}` from validate in:\n{}",
            validated.stderr
        );
        assert!(
            applied.stderr.contains(fragment),
            "expected `{fragment}` from apply in:\n{}",
            applied.stderr
        );
    }
    assert!(applied.stdout.is_empty(), "{}", applied.stdout);
    assert!(
        server.requests().is_empty(),
        "the simulator received {:?}",
        server.requests()
    );
    assert!(server.incidents().is_empty());
    applied
}

/// `validate` accepts `document` (the field's type is the tenant's to say); `apply
/// --auto-approve` reads the catalog, exits 1 with every fragment on stderr, and writes nothing.
fn refused_by_the_catalog(document: &str, expected: &[&str]) -> Output {
    let server = simulator();
    let test = Test::new()
        .write(FILE, document)
        .env("SOARFORM_TOKEN", TOKEN);
    let validated = test.run_args(&["validate".into(), FILE.into()]);
    assert_eq!(validated.code, 0, "{}", validated.combined());
    let applied = run_against(&test, &server, &["apply", FILE, "--auto-approve"]);
    assert_eq!(applied.code, 1, "{}", applied.combined());
    for fragment in expected {
        assert!(
            applied.stderr.contains(fragment),
            "expected `{fragment}` in:\n{}",
            applied.stderr
        );
    }
    assert!(
        applied.stderr.contains("nothing was changed in Cloud SOAR"),
        "{}",
        applied.stderr
    );
    let requests = server.requests();
    assert!(
        !requests.iter().any(is_write),
        "the simulator received a write: {requests:?}"
    );
    assert!(server.incidents().is_empty());
    applied
}

/// The unquoted scalars YAML reads as numbers or booleans, and what it reads them as.
const NOT_TEXT: [(&str, &str); 5] = [
    ("0042", "the number `42`"),
    ("0x1F", "the number `31`"),
    ("1.50", "the number `1.5`"),
    ("1e3", "the number `1000`"),
    ("true", "the boolean `true`"),
];

#[test]
fn numbers_and_booleans_in_the_built_in_description_are_refused_before_the_tenant_is_asked() {
    for (written, read_as) in NOT_TEXT {
        let document = incident(&format!("  status: Open\n  description: {written}\n"));
        let output = refused_without_the_tenant(
            &document,
            &[
                &format!(
                    "error: `description` is a text field, but YAML reads `{written}` as {read_as}"
                ),
                &format!("--> {FILE}:6:16"),
                &format!("= help: quote it to send the text exactly: `\"{written}\"`"),
            ],
        );
        assert!(
            output.stderr.contains("1 problem found"),
            "{}",
            output.stderr
        );
    }
}

#[test]
fn numbers_and_booleans_in_a_custom_text_field_are_refused_at_plan_time() {
    for (written, read_as) in NOT_TEXT {
        let document = incident(&format!("  status: Open\n  Business unit: {written}\n"));
        refused_by_the_catalog(
            &document,
            &[
                &format!("error: `Business unit` is a text field, but YAML reads `{written}` as {read_as}"),
                &format!("--> {FILE}:6:18"),
                &format!("= help: quote it to send the text exactly: `\"{written}\"`"),
            ],
        );
    }
}

#[test]
fn null_spelled_otherwise_than_null_is_refused() {
    refused_without_the_tenant(
        &incident("  status: Open\n  Business unit: NULL\n"),
        &[
            "error: field `Business unit` is `NULL`, which YAML reads as null",
            &format!("--> {FILE}:6:18"),
            "= help: write `null` to remove an inherited field, or quote it to send the text exactly: `\"NULL\"`",
        ],
    );
}

#[test]
fn quoted_they_are_sent_as_the_text_written() {
    let server = simulator();
    let test = Test::new()
        .write(
            FILE,
            incident(concat!(
                "  description: \"1e3\"\n",
                "  Business unit: \"0042\"\n",
                "  External ticket: '0x1F'\n",
                "  Affected asset: \"true\"\n",
                "  Estimated loss (USD): 1.50\n",
            )),
        )
        .env("SOARFORM_TOKEN", TOKEN);
    let applied = run_against(&test, &server, &["apply", FILE, "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let create = server
        .requests()
        .into_iter()
        .find(|request| request.method == "POST" && request.path == "/api/csoar/v3/incidents/")
        .expect("the create request");
    let fields = &create.body.expect("a body")["fields"];
    assert_eq!(fields["description"], json!("1e3"));
    assert_eq!(fields["opt_3"], json!("0042"));
    assert_eq!(fields["opt_2"], json!("0x1F"));
    assert_eq!(fields["opt_1"], json!("true"));
    // A number field takes the number, which is exactly the one written.
    assert_eq!(fields["opt_5"], json!(1.5));
}

#[test]
fn a_thirty_digit_number_in_a_number_field_is_refused() {
    let document = incident("  Estimated loss (USD): 123456789012345678901234567890\n");
    refused_without_the_tenant(
        &document,
        &[
            "error: the number `123456789012345678901234567890` in field `Estimated loss (USD)` cannot be sent exactly: it would be `123456789012345680000000000000`",
            &format!("--> {FILE}:5:25"),
            "= help: quote it to send the text exactly: `\"123456789012345678901234567890\"`, or round it",
        ],
    );
}

#[test]
fn numbers_that_a_double_does_not_hold_are_refused() {
    refused_without_the_tenant(
        &incident("  Estimated loss (USD): 0.1000000000000000055511151231257827\n"),
        &[
            "cannot be sent exactly: it would be `0.1`",
            &format!("--> {FILE}:5:25"),
        ],
    );
    refused_without_the_tenant(
        &incident("  Estimated loss (USD): 1e400\n"),
        &[
            "error: `1e400` is out of range for a number",
            &format!("--> {FILE}:5:25"),
            "= help: quote it to make it a string",
        ],
    );
    // Exact as a double, but an integer beyond 2^53: only the catalog says it is a number field.
    refused_by_the_catalog(
        &incident("  Estimated loss (USD): 9007199254740994\n"),
        &[
            "error: `Estimated loss (USD)` is a number field: `9007199254740994` is beyond 9007199254740992",
            &format!("--> {FILE}:5:25"),
        ],
    );
}

#[test]
fn option_ids_must_be_written_as_the_id_sent() {
    refused_by_the_catalog(
        &incident("  status: 0004\n"),
        &[
            "error: `Status` takes an option name or an id written in decimal, found `0004` (read as the id 4)",
            &format!("--> {FILE}:5:11"),
            "= help: write the id as `4`, or quote the option's name: `\"0004\"`",
        ],
    );
}

#[test]
fn a_sixtieth_second_on_an_ordinary_day_is_refused() {
    refused_without_the_tenant(
        &incident("  starttime: 2026-11-20T23:59:60Z\n"),
        &[
            "error: invalid date `2026-11-20T23:59:60Z` in field `starttime`",
            &format!("--> {FILE}:5:14"),
            "= help: `:60` seconds exist only at real leap seconds, 23:59:60 UTC on the dates of the IERS list (1972-06-30 to 2016-12-31)",
        ],
    );
    // 23:59:60 one hour east of UTC is 22:59:60 UTC, no leap second either.
    refused_without_the_tenant(
        &incident("  Containment due: 2016-12-31T23:59:60+01:00\n"),
        &[
            "error: invalid date `2016-12-31T23:59:60+01:00` in field `Containment due`",
            &format!("--> {FILE}:5:20"),
        ],
    );
}

#[test]
fn the_leap_second_of_2016_is_sent_as_written() {
    let server = simulator();
    let test = Test::new()
        .write(
            FILE,
            incident(concat!(
                "  starttime: 2016-12-31T23:59:60Z\n",
                // The same instant, written one hour east of UTC.
                "  Containment due: 2017-01-01T00:59:60+01:00\n",
            )),
        )
        .env("SOARFORM_TOKEN", TOKEN);
    let applied = run_against(&test, &server, &["apply", FILE, "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let create = server
        .requests()
        .into_iter()
        .find(|request| request.method == "POST" && request.path == "/api/csoar/v3/incidents/")
        .expect("the create request");
    let fields = &create.body.expect("a body")["fields"];
    assert_eq!(fields["starttime"], json!("2016-12-31T23:59:60Z"));
    assert_eq!(fields["opt_6"], json!("2016-12-31T23:59:60Z"));
    // And it reads back as the same instant: nothing left to change.
    let planned = run_against(&test, &server, &["plan", FILE]);
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(
        planned.stdout.contains("No changes."),
        "{}",
        planned.combined()
    );
}

#[test]
fn control_characters_in_text_are_refused_and_shown_escaped() {
    for (written, shown) in [
        ("\"before\\0after\"", "\\u{0}"),
        ("\"\\e[2J cleared\"", "\\u{1b}"),
        ("\"ding\\a\"", "\\u{7}"),
    ] {
        let output = refused_without_the_tenant(
            &incident(&format!("  description: {written}\n")),
            &[
                &format!("error: field `description` holds the control character `{shown}`"),
                &format!("--> {FILE}:5:16"),
                "= help: remove it: text may hold tabs and line breaks, but no other control characters",
            ],
        );
        // Escaped in the message, and nothing raw anywhere in the output.
        let raw: Vec<char> = output
            .stderr
            .chars()
            .filter(|character| character.is_control() && *character != '\n')
            .collect();
        assert!(raw.is_empty(), "raw {raw:?} in:\n{}", output.stderr);
    }
    // In a custom field too, and written raw in the file: the message shows it escaped.
    refused_without_the_tenant(
        &incident("  Business unit: Fin\u{1b}[8mance\n"),
        &[
            "error: field `Business unit` holds the control character `\\u{1b}`",
            &format!("--> {FILE}:5:18"),
            "= note: at character 4 of the value",
        ],
    );
}

#[test]
fn fmt_keeps_numbers_as_written_and_quoted_strings_quoted() {
    let messy = concat!(
        "key: values/one # out of order\n",
        "fields:\n",
        "    Estimated loss (USD): 1.50\n",
        "    Business unit: 0042\n",
        "    External ticket: 0x1F\n",
        "    Affected asset: '0042'\n",
        "    Reporter: \"0x1F\"\n",
        "    Closing note: \"1.50\"\n",
        "kind: Incident\n",
        "template: Phishing\n",
    );
    let canonical = concat!(
        "kind: Incident\n",
        "key: values/one # out of order\n",
        "template: Phishing\n",
        "fields:\n",
        "  Estimated loss (USD): 1.50\n",
        "  Business unit: 0042\n",
        "  External ticket: 0x1F\n",
        "  Affected asset: \"0042\"\n",
        "  Reporter: \"0x1F\"\n",
        "  Closing note: \"1.50\"\n",
    );
    let test = Test::new().write(FILE, messy);
    let formatted = test.run_args(&["fmt".into(), FILE.into()]);
    assert_eq!(formatted.code, 0, "{}", formatted.combined());
    assert_eq!(formatted.stdout, format!("{FILE}\n"));
    let text = std::fs::read_to_string(test.path().join(FILE)).expect("read the file");
    assert_eq!(text, canonical);
    // In canonical form: `--check` passes and a second run leaves it alone.
    let check = test.run_args(&["fmt".into(), "--check".into(), FILE.into()]);
    assert_eq!(check.code, 0, "{}", check.combined());
    assert_eq!(check.stdout, "");
}

#[test]
fn fmt_refuses_values_that_cannot_be_sent_as_written() {
    let document = incident("  description: 0042\n");
    let test = Test::new().write(FILE, &document);
    let formatted = test.run_args(&["fmt".into(), FILE.into()]);
    assert_eq!(formatted.code, 1, "{}", formatted.combined());
    assert!(
        formatted
            .stderr
            .contains("`description` is a text field, but YAML reads `0042` as the number `42`"),
        "{}",
        formatted.stderr
    );
    let text = std::fs::read_to_string(test.path().join(FILE)).expect("read the file");
    assert_eq!(text, document, "the file was changed");
}
