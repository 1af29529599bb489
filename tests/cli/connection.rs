//! Reaching the API: dialects, credentials, and the errors a user sees when something is wrong.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;

use crate::snapshot;
use crate::support::binary::Test;
use crate::support::{simulator, simulator_with, ACCESS_ID, ACCESS_KEY, ONE_INCIDENT, TOKEN};

fn incident_file(test: Test) -> Test {
    test.write("incident.yaml", ONE_INCIDENT)
}

fn assert_no_secret(text: &str) {
    for secret in [
        TOKEN,
        ACCESS_KEY,
        "wrong-token-value-123",
        "wrong-key-value-456",
    ] {
        assert!(
            !text.contains(secret),
            "a secret leaked into the output:\n{text}"
        );
    }
    // Nor the Basic header built from them.
    assert!(!text.contains("Basic "), "{text}");
}

#[test]
fn a_refused_bearer_token_says_which_credential_and_never_shows_it() {
    let server = simulator();
    let output = incident_file(Test::new())
        .env("SOARFORM_TOKEN", "wrong-token-value-123")
        .args(["plan", ".", "--url", &server.url(), "--api", "v3", "-vv"])
        .run();
    assert_eq!(output.code, 1);
    assert!(output.stderr.contains("401"), "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("the Bearer token from `SOARFORM_TOKEN`"),
        "{}",
        output.stderr
    );
    assert_no_secret(&output.combined());
}

#[test]
fn a_refused_access_key_names_the_access_id_only() {
    let server = simulator();
    let output = incident_file(Test::new())
        .env("SUMO_ACCESS_ID", ACCESS_ID)
        .env("SUMO_ACCESS_KEY", "wrong-key-value-456")
        .args(["plan", ".", "--url", &server.url(), "--api", "legacy"])
        .run();
    assert_eq!(output.code, 1);
    // Named by its first characters only: servers echo the access ID beside the key, so the
    // whole ID is masked like the key in every output.
    assert!(
        output
            .stderr
            .contains(&format!("access ID `{}…`", &ACCESS_ID[..4])),
        "{}",
        output.stderr
    );
    assert!(
        !output.combined().contains(ACCESS_ID),
        "{}",
        output.combined()
    );
    assert_no_secret(&output.combined());
    // The three catalog reads go out together: whichever refusal comes back first is named.
    snapshot!(
        output,
        filters = [(
            r"on `(incident_columns|triage_columns|incident_templates)`",
            "on `[CATALOG]`"
        )]
    );
}

#[test]
fn verbose_logs_show_requests_but_no_credentials() {
    let server = simulator();
    let output = incident_file(Test::new())
        .env("SUMO_ACCESS_ID", ACCESS_ID)
        .env("SUMO_ACCESS_KEY", ACCESS_KEY)
        .args([
            "apply",
            ".",
            "--url",
            &server.url(),
            "--api",
            "v3",
            "--auto-approve",
            "-vv",
        ])
        .run();
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(
        output
            .stderr
            .contains("POST /api/csoar/v3/incidents/ -> 201"),
        "{}",
        output.stderr
    );
    assert_no_secret(&output.combined());
}

#[test]
fn a_missing_capability_is_named_on_403() {
    let server = simulator_with(|config| config.read_only = true);
    let output = incident_file(Test::new())
        .env("SOARFORM_TOKEN", TOKEN)
        .args([
            "apply",
            ".",
            "--url",
            &server.url(),
            "--api",
            "v3",
            "--auto-approve",
        ])
        .run();
    assert_eq!(output.code, 3, "{}", output.combined());
    assert!(output.stdout.contains("403"), "{}", output.combined());
    assert!(
        output.stdout.contains("Manage incidents"),
        "{}",
        output.combined()
    );
    assert!(
        output
            .stdout
            .contains("Apply incomplete: 0 created, 0 updated, 0 unchanged, 1 failed."),
        "{}",
        output.stdout
    );
    snapshot!(output);
}

#[test]
fn a_wrong_base_path_suggests_the_other_dialect() {
    let server = simulator();
    let url = format!("{}/not-the-api/", server.url());
    let output = incident_file(Test::new())
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["plan", ".", "--url", &url, "--api", "v3"])
        .run();
    assert_eq!(output.code, 1);
    assert!(output.stderr.contains("404"), "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("the API dialect is probably wrong: try `--api legacy`"),
        "{}",
        output.stderr
    );
    // The three catalog reads go out together: whichever 404 comes back first is named.
    snapshot!(
        output,
        filters = [(
            r"v3/(incidents/columns|triage/columns|incident_templates)/",
            "v3/[CATALOG]/"
        )]
    );
}

/// A one-shot server that answers every request with a 301, as a wrong regional host does.
fn redirecting_server() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        // The catalog is fetched with three concurrent requests; answer each of them.
        for _ in 0..3 {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(
                b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://api.eu.sumologic.com/api/csoar/v3/incident_templates/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (format!("http://{address}"), handle)
}

#[test]
fn a_redirect_means_the_region_or_host_is_wrong() {
    let (url, _server) = redirecting_server();
    let output = incident_file(Test::new())
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["plan", ".", "--url", &url, "--api", "v3"])
        .run();
    assert_eq!(output.code, 1);
    assert!(
        output.stderr.contains("301 Moved Permanently"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("region or host is probably wrong"),
        "{}",
        output.stderr
    );
}

#[test]
fn plain_http_is_refused_for_remote_hosts() {
    let output = incident_file(Test::new())
        .env("SOARFORM_TOKEN", TOKEN)
        .args([
            "plan",
            ".",
            "--url",
            "http://soar.example.com",
            "--api",
            "v3",
        ])
        .run();
    assert_eq!(output.code, 1);
    assert!(
        output
            .stderr
            .contains("refusing plain `http://` for `soar.example.com`"),
        "{}",
        output.stderr
    );
}

#[test]
fn unknown_hosts_need_an_api_dialect() {
    let output = incident_file(Test::new())
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["plan", ".", "--url", "https://soar-proxy.example.com"])
        .run();
    assert_eq!(output.code, 1);
    assert!(output.stderr.contains("--api v3"), "{}", output.stderr);
    snapshot!(output);
}

#[test]
fn no_credentials_is_a_clear_error() {
    let server = simulator();
    let output = incident_file(Test::new())
        .args(["plan", ".", "--url", &server.url(), "--api", "v3"])
        .run();
    assert_eq!(output.code, 1);
    assert!(
        output.stderr.contains("no credentials"),
        "{}",
        output.stderr
    );
    assert!(server.requests().is_empty());
    snapshot!(output);
}

#[test]
fn the_project_file_can_hold_the_url_and_dialect() {
    let server = simulator();
    let output = incident_file(Test::new())
        .write(
            "soarform.yaml",
            format!("url: {}\napi: legacy\n", server.url()),
        )
        .env("SOARFORM_TOKEN", TOKEN)
        .args(["plan", "."])
        .run();
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(server
        .requests()
        .iter()
        .all(|request| request.path.starts_with("/incmansuite_ng/api/v3/")));
}

#[test]
fn credentials_in_the_project_file_are_refused() {
    let output = incident_file(Test::new())
        .write("soarform.yaml", "region: us2\ntoken: abc\n")
        .args(["validate", "."])
        .run();
    assert_eq!(output.code, 1);
    assert!(
        output.stderr.contains("soarform.yaml:2:1"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("SOARFORM_TOKEN"),
        "{}",
        output.stderr
    );
    snapshot!(output);
}

/// Every connection option can come from the environment, as CI systems pass settings.
#[test]
fn connection_options_come_from_the_environment() {
    let server = simulator();
    // The token file and the project file live outside the documents' directory.
    let elsewhere = Test::new()
        .write("token", TOKEN)
        .write("project.yaml", "tenant:\n  page_size: 7\n");
    let token_file = elsewhere.path().join("token").display().to_string();
    let config = elsewhere.path().join("project.yaml").display().to_string();
    let test = incident_file(Test::new());
    let planned = test
        .env("SOARFORM_URL", &server.url())
        .env("SOARFORM_API", "v3")
        .env("SOARFORM_TOKEN_FILE", &token_file)
        .env("SOARFORM_CONFIG", &config)
        .env("SOARFORM_REQUESTS_PER_SECOND", "1000")
        .env("SOARFORM_MAX_CONCURRENCY", "2")
        // Below SOARFORM_URL: never used here.
        .env("SOARFORM_REGION", "nowhere")
        .args(["plan", "."])
        .run();
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(
        planned.stdout.contains("Plan: 1 to create"),
        "{}",
        planned.stdout
    );
    // The project file of SOARFORM_CONFIG was read: its page size is what the searches asked.
    let searches: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|request| request.path.ends_with("/search/"))
        .collect();
    assert!(
        searches
            .iter()
            .all(|request| request.body.as_ref().unwrap()["page_size"] == 7),
        "{searches:?}"
    );
    // SOARFORM_REGION is read when no URL is given, and an unknown region is named.
    let region = Test::new()
        .env("SOARFORM_TOKEN", TOKEN)
        .env("SOARFORM_REGION", "nowhere")
        .args(["plan", "."])
        .run();
    assert_eq!(region.code, 1, "{}", region.combined());
    assert!(region.stderr.contains("nowhere"), "{}", region.stderr);
    // A flag beats its variable.
    let flag = incident_file(Test::new())
        .env("SOARFORM_TOKEN", TOKEN)
        .env("SOARFORM_API", "legacy")
        .args(["plan", ".", "--url", &server.url(), "--api", "v3"])
        .run();
    assert_eq!(flag.code, 0, "{}", flag.combined());
}

#[test]
fn dash_c_runs_in_another_directory() {
    let server = simulator();
    let test = incident_file(Test::new()).env("SOARFORM_TOKEN", TOKEN);
    let directory = test.path().display().to_string();
    let elsewhere = Test::new().env("SOARFORM_TOKEN", TOKEN);
    let planned = elsewhere
        .args([
            "-C",
            &directory,
            "plan",
            ".",
            "--url",
            &server.url(),
            "--api",
            "v3",
        ])
        .run();
    assert_eq!(planned.code, 0, "{}", planned.combined());
    assert!(
        planned.stdout.contains("+ create Incident x/one"),
        "{}",
        planned.stdout
    );
    let missing = Test::new().args(["-C", "no/such/dir", "validate"]).run();
    assert_eq!(missing.code, 1, "{}", missing.combined());
    assert!(
        missing.stderr.contains("cannot run in `no/such/dir` (-C)"),
        "{}",
        missing.stderr
    );
}
