//! `--format json` and `--format markdown` of plan and apply: snapshots, the JSON checked against
//! `schemas/plan.schema.json`, and the Markdown size budget on a large plan.

use serde_json::{json, Value};

use crate::snapshot;
use crate::support::binary::{run_against, Test};
use crate::support::http::call;
use crate::support::{simulator, TOKEN};

/// A create, an update with a multi-line description and a lookup change, an unchanged incident,
/// and a triage item to create.
const DOCUMENTS: &str = r#"kind: Incident
key: phishing/ceo-wire-fraud
template: Phishing
fields:
  status: Open
  priority: High
  description: |
    Wire-fraud attempt impersonating the CEO.
    Finance called the CEO back and stopped the transfer.
---
kind: Incident
key: malware/emotet
template: Malware
fields:
  status: In progress
  description: Emotet loader on FIN-LT-0042.
---
kind: Incident
key: identity/impossible-travel
template: Suspicious login
fields:
  status: Open
---
kind: TriageItem
key: okta-7731
fields:
  status: New
  type: Suspicious login
"#;

fn seeded() -> soarform::sim::SimServer {
    let server = simulator();
    for (key, template_id, fields) in [
        (
            "phishing/ceo-wire-fraud",
            1,
            json!({"status": 1, "priority": 2, "description": "Wire-fraud attempt impersonating the CEO.\nTransfer pending.\n"}),
        ),
        ("identity/impossible-travel", 3, json!({"status": 1})),
    ] {
        let mut fields = fields;
        fields["incidentid"] = json!(key);
        // Written by soarform earlier: its ownership marker is set.
        fields["opt_7"] = json!("soarform");
        let (status, body) = call(
            &server,
            "POST",
            "/api/csoar/v3/incidents/",
            Some(&json!({"template_id": template_id, "fields": fields})),
        );
        assert_eq!(status, 201, "{body}");
    }
    server
}

fn documents() -> Test {
    Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("objects.yaml", DOCUMENTS)
}

/// Every violation of `schemas/plan.schema.json`, checked with the schema file itself.
pub fn schema_violations(document: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/plan.schema.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(document)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

fn json_filters() -> Vec<(&'static str, &'static str)> {
    let mut filters = crate::support::snapshot::filters();
    filters.extend([
        (r#""salt": "[0-9a-f]{32}""#, r#""salt": "[SALT]""#),
        (r"sha256:[0-9a-f]{64}", "sha256:[HASH]"),
        (
            r#""soarform_version": "[^"]+""#,
            r#""soarform_version": "[VERSION]""#,
        ),
    ]);
    filters
}

#[test]
fn json_plans_follow_the_schema_and_carry_what_apply_needs() {
    let server = seeded();
    let test = documents();
    let output = run_against(
        &test,
        &server,
        &["plan", ".", "--format", "json", "--out", "saved.json"],
    );
    assert_eq!(output.code, 0, "{}", output.combined());
    let document: Value =
        serde_json::from_str(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(schema_violations(&document), Vec::<String>::new());
    assert_eq!(document["format_version"], 1);
    assert_eq!(document["target"]["dialect"], "v3");
    assert_eq!(
        document["summary"],
        json!({"create": 2, "update": 1, "move": 0, "adopt": 0, "close": 0, "unchanged": 1})
    );
    // Messages go to stderr; stdout holds nothing but the document.
    assert!(output.stderr.contains("Saved the plan to `saved.json`"));

    // The saved file is the same document (same salt, so the same fingerprints).
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(test.path().join("saved.json")).unwrap())
            .unwrap();
    assert_eq!(saved, document);
    insta::with_settings!({ filters => json_filters() }, {
        insta::assert_snapshot!("json_plan", output.stdout);
    });
}

#[test]
fn markdown_plans_snapshot() {
    let server = seeded();
    let test = documents();
    let output = run_against(&test, &server, &["plan", ".", "--format", "markdown"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(output.stdout.starts_with("<!-- soarform:plan -->\n"));
    assert!(
        !output.stdout.contains("impossible-travel"),
        "unchanged objects are left out"
    );
    snapshot!("markdown_plan", output);
}

#[test]
fn json_applies_report_every_outcome_and_follow_the_schema() {
    let server = seeded();
    let test = documents();
    let refused = run_against(&test, &server, &["apply", ".", "--format", "json"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused.stderr.contains("need `--auto-approve`"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty());

    let output = run_against(
        &test,
        &server,
        &["apply", ".", "--format", "json", "--auto-approve"],
    );
    assert_eq!(output.code, 0, "{}", output.combined());
    let document: Value =
        serde_json::from_str(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(schema_violations(&document), Vec::<String>::new());
    assert_eq!(document["type"], "apply");
    let statuses: Vec<(&str, &str)> = document["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|object| {
            (
                object["key"].as_str().unwrap(),
                object["outcome"]["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("identity/impossible-travel", "unchanged"),
            ("malware/emotet", "created"),
            ("phishing/ceo-wire-fraud", "updated"),
            ("okta-7731", "created"),
        ]
    );
    assert_eq!(
        document["result"],
        json!({"complete": true, "created": 2, "updated": 1, "unchanged": 1, "failed": 0, "refused": 0, "already_applied": 0})
    );
    // Progress went to stderr.
    assert!(
        output
            .stderr
            .contains("+ Incident malware/emotet: created (id 103)"),
        "{}",
        output.stderr
    );

    let markdown = run_against(
        &test,
        &server,
        &["apply", ".", "--format", "markdown", "--auto-approve"],
    );
    assert_eq!(markdown.code, 0, "{}", markdown.combined());
    assert!(
        markdown.stdout.starts_with("<!-- soarform:apply -->\n"),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown
            .stdout
            .contains("**Apply complete:** 0 created, 0 updated, 4 unchanged."),
        "{}",
        markdown.stdout
    );
}

#[test]
fn a_markdown_plan_of_3000_changes_fits_one_comment_and_says_what_it_left_out() {
    let server = simulator();
    let mut documents = String::new();
    for number in 0..3000 {
        documents.push_str(&format!(
            "---\nkind: Incident\nkey: bulk/incident-{number:04}\ntemplate: Generic\nfields:\n  status: Open\n  priority: Medium\n  description: |\n    Bulk incident {number} imported from the legacy tracker.\n    Owner to be assigned.\n"
        ));
    }
    let test = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("bulk.yaml", documents);
    let output = run_against(&test, &server, &["plan", ".", "--format", "markdown"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let comment = &output.stdout;
    assert!(comment.len() < 65_536, "{} bytes", comment.len());
    assert!(comment.encode_utf16().count() < 65_536);
    assert!(comment.contains("**Plan:** 3000 to create, 0 to update, 0 unchanged."));
    let shown = comment.matches("<details>").count();
    assert!(shown > 10, "only {shown} objects shown");
    let left_out = 3000 - shown;
    assert!(
        comment.contains(&format!(
            "**{left_out} more objects not shown** ({left_out} to create, 0 to update)"
        )),
        "{}",
        &comment[comment.len().saturating_sub(600)..]
    );
}
