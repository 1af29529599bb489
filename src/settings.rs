//! Flags, environment and `soarform.yaml` resolved into one value per concern, so the core never sees
//! clap or the process environment.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{ConnectionArgs, LifecycleArgs};
use crate::client::target;
use crate::client::{
    ClientOptions, Credential, Endpoints, RetryPolicy, Secret, DEFAULT_CREATE_SETTLE,
    DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_SEARCH_OBJECTS,
    DEFAULT_PAGE_SIZE, DEFAULT_REQUESTS_PER_SECOND, MAX_PAGE_SIZE,
};
use crate::config::{self, ProjectConfig};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::ops::apply_saved::target_of;
use crate::ops::rules::Lifecycle;
use crate::ops::tenant::{Connection, ConnectionSettings};
use crate::plan_json::{PlanDocument, TargetInfo};

/// The environment variables soarform reads, captured once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Environment {
    /// `SOARFORM_URL`.
    pub url: Option<String>,
    /// `SOARFORM_REGION`.
    pub region: Option<String>,
    /// `SOARFORM_TOKEN_FILE`.
    pub token_file: Option<PathBuf>,
    /// `SOARFORM_TOKEN`.
    pub token: Option<Secret>,
    /// `SUMO_ACCESS_ID`.
    pub access_id: Option<String>,
    /// `SUMO_ACCESS_KEY`.
    pub access_key: Option<Secret>,
}

impl Environment {
    /// Reads the process environment; empty variables count as unset.
    pub(crate) fn from_process() -> Self {
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        Environment {
            url: read("SOARFORM_URL"),
            region: read("SOARFORM_REGION").map(|region| region.trim().to_string()),
            token_file: read("SOARFORM_TOKEN_FILE").map(PathBuf::from),
            token: read("SOARFORM_TOKEN").map(|token| Secret::new(token.trim())),
            access_id: read("SUMO_ACCESS_ID").map(|id| id.trim().to_string()),
            access_key: read("SUMO_ACCESS_KEY").map(|key| Secret::new(key.trim())),
        }
    }
}

/// The project file in force, or defaults when there is none.
pub(crate) fn project_config(paths: &[PathBuf], explicit: Option<&Path>) -> Result<ProjectConfig> {
    let found = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => {
            let start = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
            config::discover(&start)
        }
    };
    match found {
        Some(path) => {
            tracing::debug!("project file {}", path.display());
            config::load(&path).map_err(Error::Diagnostics)
        }
        None => Ok(ProjectConfig::default()),
    }
}

/// The project file of an export into `out`: `--config`, else the one at or above `out`, else the
/// one at or above the working directory (exporting from inside a repository into a scratch
/// directory). The flag tells whether `out` is under a file of its own, so that a later `plan`
/// of `out` finds it too. A copy an earlier export wrote is not one: the project it came from
/// is read again, and copied anew.
pub(crate) fn export_project_config(
    out: &Path,
    explicit: Option<&Path>,
) -> Result<(ProjectConfig, bool)> {
    let discovered = config::discover(out);
    let copy = discovered
        .clone()
        .filter(|path| config::is_export_copy(path));
    let own = discovered.filter(|_| copy.is_none());
    let found = explicit
        .map(Path::to_path_buf)
        .or_else(|| own.clone())
        .or_else(|| config::discover(Path::new(".")))
        .or_else(|| copy.clone());
    // Only the copy itself to read (the project it came from is not found from here): it stays.
    let own_file = own.is_some() || (copy.is_some() && found == copy);
    let config = project_config(&[], found.as_deref())?;
    Ok((config, own_file))
}

/// `prune:` and `adopt:` of soarform.yaml with `--prune` and `--no-adopt` over them; the project
/// file's model stays what the file says.
pub(crate) fn lifecycle(args: &LifecycleArgs, config: &ProjectConfig) -> Lifecycle {
    Lifecycle::resolve(config, args.prune, args.no_adopt)
}

/// The sandbox's state file, relative to the working directory.
pub(crate) const SANDBOX_STATE_FILE: &str = ".soarform/sandbox.json";

/// Resolves where and how to connect: flags, then environment, then the project file.
pub(crate) fn connection(
    args: &ConnectionArgs,
    config: &ProjectConfig,
    environment: &Environment,
) -> Result<ConnectionSettings> {
    let endpoints = Endpoints::with_overrides(&config.paths).map_err(|message| {
        Error::with_hint(message, format!("fix `paths:` in {}", config_name(config)))
    })?;
    if let (Some(limits), Some(tenant)) = (config.limits.page_size, config.tenant.page_size) {
        if limits != tenant {
            return Err(Error::message(format!(
                "`limits.page_size` is {limits} and `tenant.page_size` is {tenant} in {}: give one of them",
                config_name(config)
            )));
        }
    }
    let (setting, page_size) = match (config.tenant.page_size, config.limits.page_size) {
        (Some(size), _) => ("tenant.page_size", size),
        (None, size) => ("limits.page_size", size.unwrap_or(DEFAULT_PAGE_SIZE)),
    };
    if page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(Error::message(format!(
            "`{setting}` is {page_size} in {}: expected 1 to {MAX_PAGE_SIZE}",
            config_name(config)
        )));
    }
    let dialect = args.api.or(config.api);
    let connection = if args.sandbox {
        Connection::Sandbox {
            state_file: PathBuf::from(SANDBOX_STATE_FILE),
            dialect: dialect.unwrap_or(Dialect::V3),
        }
    } else {
        let target = remote_target(args, config, environment)?;
        let credential = credential(args.token_file.as_deref(), environment)?;
        Connection::Remote { target, credential }
    };
    // Sumo Logic's documented limits apply to Sumo Logic hosts; the sandbox, `soarform sim` and
    // proxies get no rate limit unless soarform.yaml sets one.
    let sumo_host = match &connection {
        Connection::Remote { target, .. } => target
            .root
            .host_str()
            .is_some_and(|host| target::detect(host).is_some()),
        Connection::Sandbox { .. } => false,
    };
    let client = ClientOptions {
        page_size,
        requests_per_second: args
            .requests_per_second
            .or(config.limits.requests_per_second)
            .or(sumo_host.then_some(DEFAULT_REQUESTS_PER_SECOND)),
        max_concurrency: args
            .max_concurrency
            .or(config.limits.max_concurrency)
            .and_then(|limit| usize::try_from(limit).ok())
            .unwrap_or(DEFAULT_MAX_CONCURRENCY),
        retry: RetryPolicy {
            max_elapsed: config
                .limits
                .retry_seconds
                .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                .map_or(RetryPolicy::default().max_elapsed, Duration::from_secs_f64),
            ..RetryPolicy::default()
        },
        max_response_bytes: config
            .limits
            .max_response_mb
            .filter(|megabytes| megabytes.is_finite() && *megabytes > 0.0)
            .map_or(DEFAULT_MAX_RESPONSE_BYTES, |megabytes| {
                (megabytes * 1024.0 * 1024.0) as u64
            }),
        max_search_objects: config
            .limits
            .max_search_objects
            .unwrap_or(DEFAULT_MAX_SEARCH_OBJECTS),
        create_settle: config
            .limits
            .create_settle_seconds
            .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
            .map_or(DEFAULT_CREATE_SETTLE, Duration::from_secs_f64),
        search_all: config.tenant.search_all.unwrap_or(true),
        filter_syntax: config.tenant.filter_syntax.unwrap_or_default(),
        update_method: config.tenant.update_method.unwrap_or_default(),
        update_body: config.tenant.update_body.unwrap_or_default(),
        update_replaces: config.tenant.update_replaces.unwrap_or(false),
        ..ClientOptions::default()
    };
    Ok(ConnectionSettings {
        connection,
        endpoints,
        client,
        dates: Arc::new(config.dates.clone()),
    })
}

/// Where `apply --plan FILE` connects: as any apply, except that with no target on the command
/// line or in the environment, a plan made on the sandbox goes to the sandbox (whatever
/// `soarform.yaml` names). A
/// remote URL is never taken from the plan file (a tampered file must not be able to send the
/// credential to a host of its choosing), and a connection to another tenant than the plan's is
/// refused before anything, credentials included, is sent.
pub(crate) fn saved_plan_connection(
    args: &ConnectionArgs,
    config: &ProjectConfig,
    environment: &Environment,
    plan_file: &Path,
    document: &PlanDocument,
) -> Result<ConnectionSettings> {
    let mut args = args.clone();
    // soarform.yaml's `url:` or `region:` is where plans of real tenants go; a plan made on the
    // sandbox can only be applied to the sandbox (any other target is refused below), so only a
    // target named for this run, by a flag or the environment, overrides it.
    let unset = args.url.is_none()
        && args.region.is_none()
        && !args.sandbox
        && environment.url.is_none()
        && environment.region.is_none();
    if unset && document.target.sandbox {
        args.sandbox = true;
        args.api = args.api.or(Some(document.target.dialect));
    }
    // Another tenant than the plan's is refused before the credential is even looked for.
    if !args.sandbox {
        if let Ok(target) = remote_target(&args, config, environment) {
            let here = TargetInfo {
                url: target.base_url().to_string(),
                dialect: target.dialect,
                sandbox: false,
            };
            if !document.target.same_as(&here) {
                return Err(other_tenant(plan_file, document, &here));
            }
        }
    }
    let connection = connection(&args, config, environment)?;
    if let Connection::Sandbox { state_file, .. } = &connection.connection {
        // The sandbox lives in the directory it was started in: elsewhere this apply would open
        // an empty one, and refuse every object the plan read as "no longer there".
        let read = document
            .objects
            .iter()
            .filter(|entry| entry.remote_id.is_some())
            .count();
        if document.target.sandbox && read > 0 && !state_file.exists() {
            return Err(Error::with_hint(
                format!(
                    "the plan `{}` was made on a sandbox holding {read} of its objects, and there is no sandbox in this directory (`{}`); nothing was applied",
                    plan_file.display(),
                    state_file.display()
                ),
                "run `soarform apply --plan` in the directory the plan was made in (the sandbox's state is `.soarform/` there), or make a new plan here",
            ));
        }
    }
    let here = target_of(&connection);
    if !document.target.same_as(&here) {
        return Err(other_tenant(plan_file, document, &here));
    }
    Ok(connection)
}

fn other_tenant(plan_file: &Path, document: &PlanDocument, here: &TargetInfo) -> Error {
    Error::with_hint(
        format!(
            "the plan `{}` was made against {}, and this apply would go to {}; nothing was sent",
            plan_file.display(),
            document.target,
            here
        ),
        "apply a plan to the tenant it was made against, or make a new plan for this one",
    )
}

/// The remote tenant flags, environment and project file name (no credential is read).
fn remote_target(
    args: &ConnectionArgs,
    config: &ProjectConfig,
    environment: &Environment,
) -> Result<target::Target> {
    let (url, from_region) = remote_url(args, config, environment)?;
    // A region is a v3 host: `api:` of soarform.yaml, which goes with its `url:`, does not
    // apply to it (only `--api` / `SOARFORM_API` of this run would).
    let dialect = if from_region {
        args.api
    } else {
        args.api.or(config.api)
    };
    target::resolve(&url, dialect).map_err(|error| match error.hint() {
        Some(hint) => Error::with_hint(error.to_string(), hint),
        None => Error::message(error.to_string()),
    })
}

/// The `-C` directories of this run, in order: repeated in the commands soarform suggests, which
/// name paths relative to them.
static WORKING_DIRECTORIES: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();

/// Records the `-C` directories of this run (once, before any command).
pub(crate) fn set_working_directories(directories: &[PathBuf]) {
    let _ = WORKING_DIRECTORIES.set(directories.to_vec());
}

/// The command that applies the plan saved at `plan_file`: `soarform apply --plan FILE`, plus
/// the flags that reach the plan's tenant where the project file and environment of this
/// directory would not (a plan made with `--url` or `--region`: `apply --plan` never takes its
/// tenant from the file), and `extra` (a `--config` given to `plan`).
pub(crate) fn apply_plan_command(
    plan_file: &Path,
    document: &PlanDocument,
    config: &ProjectConfig,
    environment: &Environment,
    extra: &[String],
) -> String {
    let mut command = "soarform".to_string();
    for directory in WORKING_DIRECTORIES.get().into_iter().flatten() {
        command.push_str(&format!(" -C {}", directory.display()));
    }
    command.push_str(&format!(" apply --plan {}", plan_file.display()));
    let plan = &document.target;
    let reach = if plan.sandbox {
        (environment.url.is_some() || environment.region.is_some()).then(|| "--sandbox".to_string())
    } else {
        let here = remote_target(&ConnectionArgs::default(), config, environment);
        let same = here
            .is_ok_and(|here| here.dialect == plan.dialect && here.base_url().as_str() == plan.url);
        (!same).then(|| format!("--url {} --api {}", plan.root_url(), plan.dialect))
    };
    for flag in reach.iter().chain(extra) {
        command.push(' ');
        command.push_str(flag);
    }
    command
}

fn config_name(config: &ProjectConfig) -> String {
    config
        .path
        .as_ref()
        .map(|path| format!("`{}`", path.display()))
        .unwrap_or_else(|| "soarform.yaml".into())
}

/// The URL to use, and whether it came from a region.
fn remote_url(
    args: &ConnectionArgs,
    config: &ProjectConfig,
    environment: &Environment,
) -> Result<(String, bool)> {
    let region_url = |region: &str| {
        target::region_url(region).map_err(|error| Error::message(error.to_string()))
    };
    if let Some(url) = &args.url {
        return Ok((url.clone(), false));
    }
    if let Some(region) = &args.region {
        return Ok((region_url(region)?, true));
    }
    if let Some(url) = &environment.url {
        return Ok((url.clone(), false));
    }
    if let Some(region) = &environment.region {
        return Ok((region_url(region)?, true));
    }
    if let Some(url) = &config.url {
        return Ok((url.clone(), false));
    }
    if let Some(region) = &config.region {
        return Ok((region_url(region)?, true));
    }
    Err(Error::with_hint(
        "no Cloud SOAR to talk to",
        "pass `--url URL` or `--region REGION`, set `SOARFORM_URL` or `SOARFORM_REGION`, set `url:` or `region:` in soarform.yaml, or try `--sandbox` for the embedded simulator",
    ))
}

/// The credential: `--token-file` (or `SOARFORM_TOKEN_FILE`), then `SOARFORM_TOKEN`, then
/// `SUMO_ACCESS_ID` + `SUMO_ACCESS_KEY`.
///
/// A credential that cannot be valid (a byte-order mark, a control character, a space inside, a
/// character outside ASCII) is refused here, before any request: a server would answer 401 to
/// every retry, or the request could not even be built.
pub(crate) fn credential(
    token_file: Option<&Path>,
    environment: &Environment,
) -> Result<Credential> {
    let token_file = match token_file {
        Some(path) => Some((path, format!("`--token-file {}`", path.display()))),
        None => environment.token_file.as_deref().map(|path| {
            (
                path,
                format!("`SOARFORM_TOKEN_FILE` (`{}`)", path.display()),
            )
        }),
    };
    if let Some((path, source)) = token_file {
        let text = std::fs::read_to_string(path).map_err(|error| {
            Error::caused_by(
                format!("cannot read the token file `{}`", path.display()),
                &error,
            )
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(Error::message(format!(
                "the token file `{}` is empty",
                path.display()
            )));
        }
        if token.contains(char::is_whitespace) {
            return Err(Error::message(format!(
                "the token file `{}` holds more than one word; it must hold only the token",
                path.display()
            )));
        }
        check_secret(&format!("the token in {source}"), token)?;
        return Ok(Credential::Bearer {
            token: Secret::new(token),
            source,
        });
    }
    if let Some(token) = &environment.token {
        check_secret("`SOARFORM_TOKEN`", token.expose())?;
        return Ok(Credential::Bearer {
            token: token.clone(),
            source: "`SOARFORM_TOKEN`".into(),
        });
    }
    match (&environment.access_id, &environment.access_key) {
        (Some(access_id), Some(access_key)) => {
            check_secret("`SUMO_ACCESS_ID`", access_id)?;
            check_secret("`SUMO_ACCESS_KEY`", access_key.expose())?;
            Ok(Credential::Basic {
                access_id: access_id.clone(),
                access_key: access_key.clone(),
            })
        }
        (Some(_), None) => Err(Error::message("`SUMO_ACCESS_ID` is set but `SUMO_ACCESS_KEY` is not")),
        (None, Some(_)) => Err(Error::message("`SUMO_ACCESS_KEY` is set but `SUMO_ACCESS_ID` is not")),
        (None, None) => Err(Error::with_hint(
            "no credentials",
            "set `SOARFORM_TOKEN` (or pass `--token-file FILE`) for a Bearer token, or `SUMO_ACCESS_ID` and `SUMO_ACCESS_KEY` for an access key; `--sandbox` needs none",
        )),
    }
}

/// Refuses a credential that no server can accept, naming where it came from and the position
/// of the offending character, never the credential itself.
fn check_secret(what: &str, value: &str) -> Result<()> {
    let refuse =
        |problem: String, hint: &str| Err(Error::with_hint(format!("{what} {problem}"), hint));
    if value.is_empty() {
        return refuse("is empty".into(), "set it to the credential, or unset it");
    }
    for (index, character) in value.chars().enumerate() {
        let position = index + 1;
        if character == '\u{feff}' {
            return refuse(
                format!("holds a byte-order mark (U+FEFF) at character {position}"),
                "the file or variable was probably saved by an editor that adds one: save it as UTF-8 without BOM, or copy the credential again",
            );
        }
        if character.is_control() {
            return refuse(
                format!(
                    "holds a control character (U+{:04X}) at character {position}",
                    u32::from(character)
                ),
                "copy the credential again: it must hold only the characters Sumo Logic showed",
            );
        }
        if character.is_whitespace() {
            return refuse(
                format!("holds a space at character {position}"),
                "copy the credential again: it must hold only the characters Sumo Logic showed",
            );
        }
        if !character.is_ascii() {
            return refuse(
                format!(
                    "holds a character outside ASCII (U+{:04X}) at character {position}",
                    u32::from(character)
                ),
                "copy the credential again: it must hold only the characters Sumo Logic showed",
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ConnectionArgs {
        ConnectionArgs {
            url: None,
            region: None,
            api: None,
            sandbox: false,
            token_file: None,
            config: None,
            requests_per_second: None,
            max_concurrency: None,
        }
    }

    #[test]
    fn sumo_limits_apply_to_sumo_hosts_and_flags_win_over_the_config() -> Result<()> {
        let options =
            |url: &str, flag: Option<f64>, configured: Option<f64>| -> Result<ClientOptions> {
                let mut arguments = args();
                arguments.url = Some(url.to_string());
                arguments.api = Some(Dialect::V3);
                arguments.requests_per_second = flag;
                let mut config = ProjectConfig::default();
                config.limits.requests_per_second = configured;
                config.limits.max_concurrency = Some(3);
                Ok(connection(&arguments, &config, &with_token())?.client)
            };
        let sumo = options("https://api.us2.sumologic.com", None, None)?;
        assert_eq!(sumo.requests_per_second, Some(4.0));
        assert_eq!(sumo.max_concurrency, 3);
        assert_eq!(sumo.page_size, 500);
        assert_eq!(
            options("http://127.0.0.1:9", None, None)?.requests_per_second,
            None
        );
        assert_eq!(
            options("https://api.us2.sumologic.com", Some(2.0), Some(1.0))?.requests_per_second,
            Some(2.0)
        );
        assert_eq!(
            options("https://proxy.example", None, Some(1.5))?.requests_per_second,
            Some(1.5)
        );
        Ok(())
    }

    fn with_token() -> Environment {
        Environment {
            token: Some(Secret::new("t0ken")),
            ..Environment::default()
        }
    }

    #[test]
    fn flags_win_over_environment_and_config() {
        let config = ProjectConfig {
            url: Some("https://acme.soar.sumologic.com".into()),
            ..ProjectConfig::default()
        };
        let environment = Environment {
            url: Some("https://api.eu.sumologic.com".into()),
            ..with_token()
        };
        let mut flags = args();
        flags.region = Some("us2".into());
        let settings = connection(&flags, &config, &environment).unwrap();
        let Connection::Remote { target, .. } = settings.connection else {
            panic!("remote expected")
        };
        assert_eq!(
            target.base_url().as_str(),
            "https://api.us2.sumologic.com/api/csoar/v3/"
        );

        let settings = connection(&args(), &config, &environment).unwrap();
        let Connection::Remote { target, .. } = settings.connection else {
            panic!("remote expected")
        };
        assert_eq!(target.root.host_str(), Some("api.eu.sumologic.com"));

        let settings = connection(&args(), &config, &with_token()).unwrap();
        let Connection::Remote { target, .. } = settings.connection else {
            panic!("remote expected")
        };
        assert_eq!(target.dialect, Dialect::Legacy);
    }

    #[test]
    fn a_region_of_this_run_is_v3_whatever_api_soarform_yaml_gives_its_url() {
        let config = ProjectConfig {
            url: Some("https://acme.soar.sumologic.com".into()),
            api: Some(Dialect::Legacy),
            ..ProjectConfig::default()
        };
        let environment = Environment {
            region: Some("us2".into()),
            ..with_token()
        };
        let settings = connection(&args(), &config, &environment).unwrap();
        let Connection::Remote { target, .. } = settings.connection else {
            panic!("remote expected");
        };
        assert_eq!(
            target.base_url().as_str(),
            "https://api.us2.sumologic.com/api/csoar/v3/"
        );
        // The file's own URL keeps its `api:`.
        let settings = connection(&args(), &config, &with_token()).unwrap();
        let Connection::Remote { target, .. } = settings.connection else {
            panic!("remote expected");
        };
        assert_eq!(target.dialect, Dialect::Legacy);
    }

    #[test]
    fn no_url_is_a_clear_error() {
        let error = connection(&args(), &ProjectConfig::default(), &with_token()).unwrap_err();
        assert!(error.render(false).contains("--sandbox"));
    }

    #[test]
    fn credentials_in_order_of_precedence() {
        let basic = Environment {
            access_id: Some("suID".into()),
            access_key: Some(Secret::new("k3y")),
            ..Environment::default()
        };
        assert!(matches!(
            credential(None, &basic).unwrap(),
            Credential::Basic { .. }
        ));
        let both = Environment {
            token: Some(Secret::new("t")),
            ..basic
        };
        assert!(matches!(
            credential(None, &both).unwrap(),
            Credential::Bearer { .. }
        ));
        let half = Environment {
            access_id: Some("suID".into()),
            ..Environment::default()
        };
        assert!(credential(None, &half)
            .unwrap_err()
            .render(false)
            .contains("SUMO_ACCESS_KEY"));
        assert!(credential(None, &Environment::default()).is_err());
    }

    #[test]
    fn token_files_are_trimmed_and_never_echoed() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("token");
        std::fs::write(&path, "s3cr3t-token\n").unwrap();
        let found = credential(Some(&path), &Environment::default()).unwrap();
        assert_eq!(found.header_value(), "Bearer s3cr3t-token");
        std::fs::write(&path, "two words").unwrap();
        let error = credential(Some(&path), &Environment::default())
            .unwrap_err()
            .render(false);
        assert!(!error.contains("words"), "{error}");
    }

    #[test]
    fn sandbox_defaults_to_v3_and_the_state_file() {
        let mut flags = args();
        flags.sandbox = true;
        let settings =
            connection(&flags, &ProjectConfig::default(), &Environment::default()).unwrap();
        let Connection::Sandbox {
            state_file,
            dialect,
        } = settings.connection
        else {
            panic!("sandbox expected")
        };
        assert_eq!(state_file, PathBuf::from(SANDBOX_STATE_FILE));
        assert_eq!(dialect, Dialect::V3);
    }
}
