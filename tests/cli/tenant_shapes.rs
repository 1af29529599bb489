//! The shapes a real tenant answers with (../shared/evidence/cloud-soar-api.md), and the `tenant:`
//! settings of soarform.yaml that describe them: apply, an empty plan afterwards, and export.

use serde_json::json;
use soarform::sim::{DateDisplay, SimServer};

use crate::support::binary::{run_against, Output, Test};
use crate::support::http::{call, create_through_api};
use crate::support::{simulator_with, TOKEN};

const INCIDENTS: &str = "/api/csoar/v3/incidents/";

/// A simulator showing dates as Sumo Logic's `Get Incident` script reads them: `MM-DD-YYYY
/// hh:mm A` at minute precision, in UTC-6 (evidence file, "dates on read").
fn minutes_in_chicago_winter() -> SimServer {
    simulator_with(|config| config.quirks.date_display = Some(DateDisplay::evidence("-06:00")))
}

pub(crate) fn project(tenant: &str) -> Test {
    Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .write("soarform.yaml", tenant)
}

fn apply(test: &Test, server: &SimServer) -> Output {
    run_against(test, server, &["apply", ".", "--auto-approve"])
}

fn plan(test: &Test, server: &SimServer) -> Output {
    run_against(test, server, &["plan", ".", "--detailed-exitcode"])
}

const STARTS_WITH_SECONDS: &str = "kind: Incident\nkey: dates/seconds\ntemplate: Phishing\nfields:\n  starttime: 2026-11-20T09:00:30Z\n  Containment due: 2026-11-21T17:45:00-06:00\n";

#[test]
fn dates_shown_to_the_minute_in_the_tenants_zone_converge_with_one_note() {
    let server = minutes_in_chicago_winter();
    let test = project("tenant:\n  timezone: \"-06:00\"\n").write("a.yaml", STARTS_WITH_SECONDS);
    let applied = apply(&test, &server);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    // What the tenant now shows: 09:00:30Z is 03:00 AM in UTC-6.
    let (status, incident) = call(&server, "GET", &format!("{INCIDENTS}101/"), None);
    assert_eq!(status, 200);
    assert_eq!(incident["starttime"]["value"], json!("11-20-2026 03:00 AM"));
    assert_eq!(incident["opt_6"]["value"], json!("11-21-2026 05:45 PM"));
    let replanned = plan(&test, &server);
    assert_eq!(replanned.code, 0, "{}", replanned.combined());
    assert!(
        replanned.stdout.contains("No changes."),
        "{}",
        replanned.stdout
    );
    let note = "this tenant shows dates to the minute: 1 declared date with seconds is compared to the minute";
    assert_eq!(
        replanned.stderr.matches(note).count(),
        1,
        "{}",
        replanned.stderr
    );
    // A change within the minute shown cannot be made, so it is none; the next minute is one.
    let same_minute = test.write(
        "a.yaml",
        STARTS_WITH_SECONDS.replace("09:00:30", "09:00:59"),
    );
    assert_eq!(plan(&same_minute, &server).code, 0);
    let next_minute = same_minute.write(
        "a.yaml",
        STARTS_WITH_SECONDS.replace("09:00:30", "09:01:00"),
    );
    let changed = plan(&next_minute, &server);
    assert_eq!(changed.code, 2, "{}", changed.combined());
    assert!(
        changed
            .stdout
            .contains("2026-11-20T09:00:00Z -> 2026-11-20T09:01:00Z"),
        "{}",
        changed.stdout
    );
}

#[test]
fn the_wrong_time_zone_shows_every_date_as_changed() {
    // The tenant:-section is what makes the previous test converge: read in UTC, the same
    // display is six hours off.
    let server = minutes_in_chicago_winter();
    let right = project("tenant:\n  timezone: \"-06:00\"\n").write("a.yaml", STARTS_WITH_SECONDS);
    assert_eq!(apply(&right, &server).code, 0);
    let wrong = project("tenant:\n  timezone: UTC\n").write("a.yaml", STARTS_WITH_SECONDS);
    let replanned = plan(&wrong, &server);
    assert_eq!(replanned.code, 2, "{}", replanned.combined());
    assert!(
        replanned
            .stdout
            .contains("starttime: 2026-11-20T03:00:00Z -> 2026-11-20T09:00:30Z"),
        "{}",
        replanned.stdout
    );
}

#[test]
fn export_writes_shown_dates_as_instants_and_never_the_epoch_zero_of_unset_ones() {
    let server = minutes_in_chicago_winter();
    create_through_api(
        &server,
        INCIDENTS,
        &json!({"template_id": 1, "fields": {"incidentid": "dates/set", "starttime": "2026-11-20T09:00:30Z"}}),
    );
    create_through_api(
        &server,
        INCIDENTS,
        &json!({"template_id": 1, "fields": {"incidentid": "dates/unset"}}),
    );
    // The tenant shows the unset dates as epoch 0 in its zone.
    let (status, unset) = call(&server, "GET", &format!("{INCIDENTS}102/"), None);
    assert_eq!(status, 200);
    assert_eq!(unset["starttime"]["value"], json!("12-31-1969 06:00 PM"));
    let test = project("tenant:\n  timezone: \"-06:00\"\n");
    let exported = run_against(&test, &server, &["export", "--out", "repo"]);
    assert_eq!(exported.code, 0, "{}", exported.combined());
    assert_eq!(
        exported.stdout,
        "repo/incidents/untyped/dates-set.yaml\nrepo/incidents/untyped/dates-unset.yaml\n"
    );
    let set = std::fs::read_to_string(test.path().join("repo/incidents/untyped/dates-set.yaml"))
        .expect("exported file");
    assert!(set.contains("starttime: 2026-11-20T09:00:00Z\n"), "{set}");
    assert!(!set.contains("Containment due"), "{set}");
    let unset =
        std::fs::read_to_string(test.path().join("repo/incidents/untyped/dates-unset.yaml"))
            .expect("exported file");
    assert!(
        !unset.contains("1969") && !unset.contains("1970") && !unset.contains("starttime"),
        "{unset}"
    );
    let replanned = run_against(&test, &server, &["plan", "repo", "--detailed-exitcode"]);
    // Objects made through the API are adopted (the ownership marker); no field changes.
    assert!(
        replanned
            .stdout
            .contains("Plan: 0 to create, 0 to update, 2 to adopt, 0 unchanged."),
        "{}",
        replanned.stdout
    );
    assert!(
        !replanned.stdout.contains("starttime"),
        "{}",
        replanned.stdout
    );
}

#[test]
fn tenant_date_settings_are_checked_where_they_are_written() {
    let test = project(
        "tenant:\n  timezone: America/Chicagoo\n  date_formats:\n    - MM-DD-YYYY hh:mm A\n    - DD.MM.YYYY HH:mm\n",
    )
    .write("a.yaml", STARTS_WITH_SECONDS);
    let output = test.args(["validate", "."]).run();
    assert_eq!(output.code, 1, "{}", output.combined());
    assert!(
        output
            .stderr
            .contains("invalid `tenant.timezone`: unknown time zone \"America/Chicagoo\"")
            && output.stderr.contains("soarform.yaml:2:13"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains(
            "invalid `tenant.date_formats` entry: unknown date display format \"DD.MM.YYYY HH:mm\""
        ) && output.stderr.contains("soarform.yaml:5:7"),
        "{}",
        output.stderr
    );
}

/// Three incidents, one of them with a date, and the same with one field changed.
fn documents(status: &str) -> String {
    format!(
        "kind: Incident\nkey: shapes/one\ntemplate: Phishing\nfields:\n  status: {status}\n  starttime: 2026-11-20T09:00:00Z\n---\nkind: Incident\nkey: shapes/two\ntemplate: Malware\nfields:\n  Business unit: Finance\n---\nkind: Incident\nkey: shapes/three\ntemplate: Phishing\n"
    )
}

/// The main flows against a tenant shaped by `quirks`, with the `tenant:` settings it needs:
/// apply, an empty plan, one update, an empty plan again, never a duplicate.
fn converges(server: &SimServer, tenant: &str) {
    converges_beside(server, tenant, 0);
}

/// [`converges`] on a tenant already holding `held` incidents soarform owns.
pub(crate) fn converges_beside(server: &SimServer, tenant: &str, held: usize) {
    let test = project(tenant).write("objects.yaml", documents("Open"));
    let applied = apply(&test, server);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let replanned = plan(&test, server);
    assert_eq!(replanned.code, 0, "{}", replanned.combined());
    let changed = test.write("objects.yaml", documents("Closed"));
    let updated = apply(&changed, server);
    assert_eq!(updated.code, 0, "{}", updated.combined());
    assert!(
        updated
            .stdout
            .contains("Apply complete: 0 created, 1 updated, 2 unchanged."),
        "{}",
        updated.stdout
    );
    let replanned = plan(&changed, server);
    assert_eq!(replanned.code, 0, "{}", replanned.combined());
    assert_eq!(
        server.incidents().len(),
        held + 3,
        "{:?}",
        server.incidents()
    );
    // Export, then a plan of what it wrote: nothing to do. Outside the project (inside it, the
    // exported keys would be declared twice): the export copies soarform.yaml, `tenant:` and all.
    let outside = tempfile::tempdir().expect("temporary directory");
    let out = outside.path().join("exported").display().to_string();
    let exported = run_against(&changed, server, &["export", "--out", &out]);
    assert_eq!(exported.code, 0, "{}", exported.combined());
    let replanned = run_against(&changed, server, &["plan", &out, "--detailed-exitcode"]);
    assert_eq!(replanned.code, 0, "{}", replanned.combined());
    assert!(
        replanned.stdout.contains(&format!(
            "Plan: 0 to create, 0 to update, {} unchanged.",
            held + 3
        )),
        "{}",
        replanned.stdout
    );
    assert_eq!(
        server.incidents().len(),
        held + 3,
        "{:?}",
        server.incidents()
    );
}

#[test]
fn the_main_flows_converge_across_the_shapes_the_evidence_leaves_open() {
    type Adjust = fn(&mut soarform::sim::SimConfig);
    let cases: [(&str, Adjust, &str); 6] = [
        (
            "the API profile's shape",
            |config| {
                config.quirks.nested_fields = true;
                config.quirks.date_display = None;
            },
            "",
        ),
        ("pages capped at 10", |config| config.quirks.page_cap = Some(10), ""),
        // Below 10 objects a short page is taken for the last one (README, "Paging cannot miss
        // objects"), so a tenant capping lower needs its cap as the page size.
        (
            "pages capped at 2, with that page size",
            |config| config.quirks.page_cap = Some(2),
            "tenant:\n  page_size: 2\n",
        ),
        (
            "day-first 24-hour dates in +05:30",
            |config| {
                config.quirks.date_display = Some(DateDisplay {
                    format: "DD/MM/YYYY HH:mm".into(),
                    zone: "+05:30".into(),
                })
            },
            "tenant:\n  timezone: \"+05:30\"\n  date_formats: [\"DD/MM/YYYY HH:mm\"]\n",
        ),
        (
            "replacing updates",
            |config| config.quirks.replacing_updates = true,
            "tenant:\n  update_replaces: true\n",
        ),
        (
            "labels, PATCH, replacing, UI type names, Chicago",
            |config| {
                config.quirks.label_filters = true;
                config.quirks.patch_updates = true;
                config.quirks.replacing_updates = true;
                config.quirks.ui_type_names = true;
                config.quirks.date_display = Some(DateDisplay::evidence("America/Chicago"));
            },
            "tenant:\n  timezone: America/Chicago\n  filter_syntax: labels\n  update_method: patch\n  update_body: bare\n  update_replaces: true\n",
        ),
    ];
    for (name, adjust, tenant) in cases {
        eprintln!("case: {name}");
        let server = simulator_with(adjust);
        converges(&server, tenant);
    }
}

#[test]
fn a_tenant_that_reads_only_label_filters_converges_with_filter_syntax_labels() {
    let server = simulator_with(|config| config.quirks.label_filters = true);
    converges(&server, "tenant:\n  filter_syntax: labels\n");
    let searches: Vec<String> = server
        .requests()
        .iter()
        .filter(|request| request.path.ends_with("/search/"))
        .filter_map(|request| {
            request.body.as_ref()?["filter"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert!(
        searches
            .iter()
            .any(|filter| filter.contains("Incident ID: shapes/one")),
        "{searches:?}"
    );
    // Without the setting, the tenant refuses the profile's syntax, and nothing is written.
    let test = project("").write("objects.yaml", documents("Open"));
    let refused = plan(&test, &server);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused.stderr.contains("invalid `filter`"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_tenant_that_updates_by_patch_with_a_bare_body_converges_with_those_settings() {
    let server = simulator_with(|config| config.quirks.patch_updates = true);
    converges(
        &server,
        "tenant:\n  update_method: patch\n  update_body: bare\n",
    );
    let patches: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|request| request.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 1, "{patches:?}");
    assert_eq!(patches[0].body, Some(json!({"status": 4})));
    // With the profile's PUT, the update is refused (405) and apply says so.
    let test = project("").write("objects.yaml", documents("Open"));
    let refused = apply(&test, &server);
    assert_eq!(refused.code, 3, "{}", refused.combined());
    assert!(refused.combined().contains("405"), "{}", refused.combined());
}

#[test]
fn a_tenant_with_every_shape_of_the_evidence_converges_with_its_settings() {
    let server = simulator_with(|config| {
        config.quirks.label_filters = true;
        config.quirks.patch_updates = true;
        config.quirks.date_display = Some(DateDisplay::evidence("America/Chicago"));
    });
    converges(
        &server,
        "tenant:\n  timezone: America/Chicago\n  filter_syntax: labels\n  update_method: patch\n  update_body: bare\n",
    );
}

#[test]
fn the_page_size_is_given_once_under_tenant_or_limits() {
    let server = simulator_with(|_| {});
    let test = project("limits:\n  page_size: 100\ntenant:\n  page_size: 50\n")
        .write("objects.yaml", documents("Open"));
    let refused = plan(&test, &server);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused.stderr.contains(
            "`limits.page_size` is 100 and `tenant.page_size` is 50 in `soarform.yaml`: give one of them"
        ),
        "{}",
        refused.stderr
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    let tenant_only =
        project("tenant:\n  page_size: 50\n").write("objects.yaml", documents("Open"));
    assert_eq!(apply(&tenant_only, &server).code, 0);
    let sizes: Vec<_> = server
        .requests()
        .iter()
        .filter(|request| request.path.ends_with("/search/"))
        .filter_map(|request| request.body.as_ref()?["page_size"].as_u64())
        .collect();
    assert!(
        !sizes.is_empty() && sizes.iter().all(|size| *size == 50),
        "{sizes:?}"
    );
}

const MULTI: &str = "kind: Incident\nkey: multi/one\ntemplate: Phishing\nfields:\n  Tags: [phishing, ceo]\n  Affected teams: [Finance, IT]\n  additional_info: Reported by the CFO.\n  owner: Admins (group)\n";

#[test]
fn multi_value_fields_are_written_as_lists_compared_as_sets_and_exported_as_lists() {
    let server = simulator_with(|_| {});
    let test = project("").write("a.yaml", MULTI);
    let applied = apply(&test, &server);
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let creates: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|request| request.method == "POST" && request.path.ends_with("/incidents/"))
        .filter_map(|request| request.body)
        .collect();
    let fields = &creates[0]["fields"];
    assert_eq!(fields["tags"], json!(["phishing", "ceo"]));
    assert_eq!(fields["opt_9"], json!([1, 3]));
    assert_eq!(fields["owner"], json!(1));
    assert_eq!(plan(&test, &server).code, 0);
    // Order and repeats do not matter: the same set.
    let reordered = test.write(
        "a.yaml",
        MULTI
            .replace("[Finance, IT]", "[IT, Finance, IT]")
            .replace("[phishing, ceo]", "[ceo, phishing]"),
    );
    let same = plan(&reordered, &server);
    assert_eq!(same.code, 0, "{}", same.combined());
    // Another set is a change, shown as lists and written as ids.
    let changed = reordered.write("a.yaml", MULTI.replace("[Finance, IT]", "[Legal]"));
    let planned = plan(&changed, &server);
    assert_eq!(planned.code, 2, "{}", planned.combined());
    assert!(
        planned
            .stdout
            .contains(r#"~ Affected teams: ["Finance", "IT"] -> ["Legal"]"#),
        "{}",
        planned.stdout
    );
    let json_plan = run_against(&changed, &server, &["plan", ".", "--format", "json"]);
    let document: serde_json::Value = serde_json::from_str(&json_plan.stdout).expect("plan JSON");
    assert_eq!(
        crate::formats::schema_violations(&document),
        Vec::<String>::new()
    );
    assert_eq!(
        document["objects"][0]["changes"][0]["after"],
        json!(["Legal"]),
        "{document:#}"
    );
    assert_eq!(apply(&changed, &server).code, 0);
    let update = server
        .requests()
        .into_iter()
        .rfind(|request| request.method == "PUT")
        .and_then(|request| request.body);
    assert_eq!(update, Some(json!({"fields": {"opt_9": [4]}})));
    // Export writes lists that plan back to no change (outside the project, whose documents
    // declare the same keys; the export copies soarform.yaml).
    let outside = tempfile::tempdir().expect("temporary directory");
    let out = outside.path().join("repo");
    let exported = run_against(
        &changed,
        &server,
        &["export", "--out", &out.display().to_string()],
    );
    assert_eq!(exported.code, 0, "{}", exported.combined());
    let written = std::fs::read_to_string(out.join("incidents/untyped/multi-one.yaml"))
        .expect("exported file");
    assert!(written.contains("  tags: [phishing, ceo]\n"), "{written}");
    assert!(written.contains("  Affected teams: [Legal]\n"), "{written}");
    let replanned = run_against(
        &changed,
        &server,
        &["plan", &out.display().to_string(), "--detailed-exitcode"],
    );
    assert_eq!(replanned.code, 0, "{}", replanned.combined());
}

#[test]
fn a_tenant_whose_updates_replace_the_object_loses_nothing_with_update_replaces() {
    let server = simulator_with(|config| config.quirks.replacing_updates = true);
    // Fields the repository does not declare: set in Cloud SOAR by hand.
    converges(&server, "tenant:\n  update_replaces: true\n");
    let one = crate::support::state::incident_id(&server, "shapes/one");
    let (status, _) = call(
        &server,
        "PUT",
        &format!("{INCIDENTS}{one}/"),
        Some(&json!({"fields": {
            "incidentid": "shapes/one", "status": 4, "starttime": "2026-11-20T09:00:00Z",
            "opt_7": "soarform", "opt_3": "Set by hand", "opt_9": [1, 2], "owner": 2,
        }})),
    );
    assert_eq!(status, 200);
    let test =
        project("tenant:\n  update_replaces: true\n").write("objects.yaml", documents("Open"));
    let updated = apply(&test, &server);
    assert_eq!(updated.code, 0, "{}", updated.combined());
    let incident = server
        .incidents()
        .into_iter()
        .find(|incident| incident["id"] == json!(one))
        .expect("the incident");
    let fields = &incident["fields"];
    assert_eq!(fields["status"]["value"], json!("Open"));
    assert_eq!(fields["opt_3"]["value"], json!("Set by hand"));
    assert_eq!(fields["opt_9"]["value"], json!(["Finance", "HR"]));
    assert_eq!(fields["owner"]["value"], json!("Analysts (group)"));
    assert_eq!(fields["incidentid"]["value"], json!("shapes/one"));
    assert_eq!(
        fields["starttime"]["value"],
        json!("2026-11-20T09:00:00.000000+00:00")
    );
    assert_eq!(plan(&test, &server).code, 0);
    // Without the setting, the same update clears what it does not name.
    call(
        &server,
        "PUT",
        &format!("{INCIDENTS}{one}/"),
        Some(&json!({"fields": {
            "incidentid": "shapes/one", "status": 4, "starttime": "2026-11-20T09:00:00Z",
            "opt_7": "soarform", "opt_3": "Set by hand",
        }})),
    );
    let merging = project("").write("objects.yaml", documents("Open"));
    assert_eq!(apply(&merging, &server).code, 0);
    let incident = server
        .incidents()
        .into_iter()
        .find(|incident| incident["id"] == json!(one))
        .expect("the incident");
    assert!(incident["fields"].get("opt_3").is_none(), "{incident:#}");
}
