//! Command-line types. Only clap lives here; doc comments are the help text.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::dialect::Dialect;

/// What `--version` shows after the name: the package version, the git commit it was built from
/// and the target (build.rs).
pub(crate) const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SOARFORM_COMMIT"),
    ", ",
    env!("SOARFORM_TARGET"),
    ")"
);

/// Incident-as-code for Sumo Logic Cloud SOAR.
///
/// Describe incidents and triage items in YAML, review a field-by-field plan against the live tenant,
/// and apply exactly the changes it shows.
#[derive(Debug, Parser)]
#[command(
    name = "soarform",
    version = VERSION_LINE,
    propagate_version = true,
    max_term_width = 100,
    after_help = "Examples:
  soarform init --region us2 --ci github  # start a repository
  soarform plan --sandbox                 # try it on the embedded simulator
  soarform apply --region us2             # plan, confirm, apply

Exit codes (each command's --help has its own):
  0    success
  1    error; nothing was changed unless the output lists it
  2    plan --detailed-exitcode or --expect-no-changes: the plan has changes
  3    apply: some changes failed, the others were made: re-run to converge
  4    apply --plan: objects changed since the plan were refused
  130  stopped by SIGINT; 143 by SIGTERM

Environment without a flag (an empty SOARFORM_* variable counts as unset):
  SOARFORM_TOKEN, or SUMO_ACCESS_ID and SUMO_ACCESS_KEY   the credential
  SOARFORM_PROGRESS=false                                 no progress
  NO_COLOR, CLICOLOR_FORCE                                colour off, colour on"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Run as if soarform was started in DIR (as `git -C` and `make -C`): every relative path,
    /// `soarform.yaml` discovery and the sandbox's state are taken from there. Before the
    /// command, as git's; given more than once, each is taken relative to the one before
    /// (`-C a -C b` is `a/b`).
    #[arg(short = 'C', value_name = "DIR", action = clap::ArgAction::Append)]
    pub directory: Vec<PathBuf>,

    /// Log more: `-v` shows every HTTP request (never its credentials), `-vv` more detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to colour the output. `auto` colours only a terminal and honours `NO_COLOR`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl From<ColorChoice> for crate::printer::Color {
    fn from(choice: ColorChoice) -> Self {
        match choice {
            ColorChoice::Auto => crate::printer::Color::Auto,
            ColorChoice::Always => crate::printer::Color::Always,
            ColorChoice::Never => crate::printer::Color::Never,
        }
    }
}

/// The soarform commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check desired-state files without contacting Cloud SOAR: YAML, schema, keys, `extends`.
    ///
    /// Every problem in every file is reported in one run. Exit code 1 when anything is wrong.
    #[command(after_help = "Examples:
  soarform validate                       # every file under the current directory
  soarform validate incidents/ --format github

Exit codes:
  0  every file is valid
  1  problems were found (each with file, line and column)")]
    Validate(ValidateArgs),

    /// Show what `apply` would change, field by field, without changing anything.
    #[command(after_help = "Examples:
  soarform plan --sandbox                 # against the embedded simulator
  soarform plan --region us2 --out plan.json --format markdown
  soarform plan --expect-no-changes       # a drift check

Exit codes:
  0  success (with --detailed-exitcode: no changes)
  1  error; nothing was changed
  2  with --detailed-exitcode or --expect-no-changes: the plan has changes")]
    Plan(PlanArgs),

    /// Compute the plan, show it, ask for confirmation, then make exactly those changes.
    #[command(after_help = "Examples:
  soarform apply --sandbox --auto-approve
  soarform apply --plan plan.json         # exactly the reviewed plan
  soarform apply --target 'incident:phishing/**'

Exit codes:
  0    applied (or nothing to do)
  1    error before applying; nothing was changed
  3    some changes failed, the others were made: re-run to converge
  4    --plan: objects changed since the plan were refused: plan again
  130  stopped by SIGINT; 143 by SIGTERM: re-run to converge")]
    Apply(ApplyArgs),

    /// Write the tenant's incidents and triage items as desired-state YAML files.
    ///
    /// One file per object, in folders by kind and type; a plan of the written files against the
    /// same tenant shows no field changes (objects soarform never wrote show as `~ adopt` until
    /// one apply records its ownership). Existing files are never overwritten without `--force`.
    #[command(after_help = "Examples:
  soarform export --sandbox --out exported
  soarform export --kind incident --filter 'incidentid:\"phishing/*\"'

Exit codes:
  0  exported
  1  error; nothing was written (files exist without --force, a path leaves --out)")]
    Export(ExportArgs),

    /// Rewrite desired-state files in the canonical form that `export` writes, keeping comments.
    ///
    /// Canonical form: keys in a fixed order, quotes only where needed, literal blocks for
    /// multi-line text. With `--check`, nothing is written: the files that differ are listed and the exit code is 1.
    #[command(after_help = "Examples:
  soarform fmt                            # rewrite in place
  soarform fmt --check --format github    # in CI

Exit codes:
  0  every file is in canonical form (or was rewritten)
  1  with --check: files are not in canonical form; or problems were found")]
    Fmt(FmtArgs),

    /// Start a repository: soarform.yaml, the schemas, a first document, a CI recipe.
    ///
    /// In a repository already started (a soarform.yaml in DIR), only the schemas and the CI
    /// recipe are written: soarform.yaml is kept as it is, and the first document is never
    /// written again. Nothing is overwritten without `--force`; the files written are listed on
    /// stdout.
    #[command(after_help = "Examples:
  soarform init --region us2 --ci github
  soarform init soar-incidents --ci gitlab

Exit codes:
  0  written
  1  a file would be overwritten (nothing was written), or one could not be written")]
    Init(InitArgs),

    /// Show a plan saved with `plan --out FILE`, as `plan` showed it, without contacting the tenant.
    #[command(after_help = "Examples:
  soarform show plan.json
  soarform show plan.json --format markdown > comment.md

Exit codes:
  0  shown
  1  the file is not a soarform plan")]
    Show(ShowArgs),

    /// Probe the tenant read-only and suggest the `tenant:` settings it needs.
    ///
    /// Each probe (connection and dialect, credential, catalog, identity and ownership fields,
    /// field layout, date format and zone, page cap, filter syntax) is reported as ok, warning or
    /// failure with what it saw; a `tenant:` block to paste follows. Exit code 0 when soarform can
    /// work with the tenant as soarform.yaml configures it, 1 when not (the block says what to
    /// change; until `--write-check KEY` has told how updates behave, that is a failure too).
    /// Nothing is written unless `--write-check KEY` is given.
    #[command(after_help = "Examples:
  soarform doctor --region us2
  soarform doctor --region us2 --write-check soarform/canary --format json

Exit codes:
  0  soarform can work with the tenant as soarform.yaml configures it
  1  a probe failed (updates are a failure until --write-check has checked them)")]
    Doctor(DoctorArgs),

    /// Print a JSON schema soarform checks files against.
    ///
    /// The schemas are embedded in the binary, byte for byte as in the repository's `schemas/`. For editors and CI in repositories that do not hold soarform's `schemas/`: e.g.
    /// `soarform schema document > schemas/soarform.schema.json`.
    #[command(after_help = "Examples:
  soarform schema document > schemas/soarform.schema.json
  soarform schema plan

Exit codes:
  0  printed
  1  no such schema, or standard output could not be written")]
    Schema(SchemaArgs),

    /// Print a shell completion script.
    ///
    /// bash: `soarform completions bash > /etc/bash_completion.d/soarform`; zsh: put the output in a file named `_soarform` on `$fpath`; fish: in
    /// `~/.config/fish/completions/soarform.fish`; PowerShell: dot-source it from `$PROFILE`.
    #[command(after_help = "Examples:
  soarform completions bash > ~/.local/share/bash-completion/completions/soarform
  soarform completions zsh > \"${fpath[1]}/_soarform\"

Exit codes:
  0  printed
  1  an unknown shell, or standard output could not be written")]
    Completions(CompletionsArgs),

    /// Print the man page of soarform or of one command, in roff.
    ///
    /// Read it with `soarform man plan | man -l -`.
    #[command(after_help = "Examples:
  soarform man | man -l -
  soarform man apply > soarform-apply.1

Exit codes:
  0  printed
  1  no such command, or standard output could not be written")]
    Man(ManArgs),

    /// Show the version, the git commit it was built from and the target.
    #[command(after_help = "Examples:
  soarform version --format json

Exit codes:
  0  printed
  1  standard output could not be written")]
    Version(VersionArgs),

    /// Run the bundled Cloud SOAR simulator as a standalone HTTP server.
    ///
    /// It serves both base paths (`/api/csoar/v3/` and `/incmansuite_ng/api/v3/`) and prints
    /// `listening on http://ADDR` once it accepts connections.
    #[command(after_help = "Examples:
  soarform sim --listen 127.0.0.1:8080 --token dev-token
  soarform sim --page-cap 10 --label-filters --date-zone=-06:00

Exit codes:
  0  stopped by Ctrl-C or SIGTERM
  1  bad options, or the address could not be bound")]
    Sim(SimArgs),
}

/// Arguments of `soarform validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Files or directories of desired-state YAML (directories are walked for `*.yaml` and `*.yml`).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// The project file to use instead of looking for `soarform.yaml` next to PATH and upwards.
    #[arg(long, value_name = "FILE", env = "SOARFORM_CONFIG")]
    pub config: Option<PathBuf>,

    /// How to report problems: `text` for people, `json`, `github` (workflow annotations on the
    /// lines of a pull request), `sarif` (SARIF 2.1.0, for code scanning).
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

/// What `validate --format` and `fmt --format` take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    /// Each problem with its source line, as a compiler shows it (stderr).
    Text,
    /// One JSON document on stdout: `findings` with file, line, column, message, help.
    Json,
    /// `::error file=F,line=L,col=C::message` lines on stdout, for GitHub Actions.
    Github,
    /// A SARIF 2.1.0 log on stdout.
    Sarif,
}

/// Arguments of `soarform export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The directory to write into (created if missing); files go under `incidents/` and
    /// `triage/` in it. soarform.yaml: `--config`, else the one at or above DIR, else the one of
    /// the current directory (then copied into DIR, without `prune_scope`, `prune`, `moved` and
    /// `exclude`).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,

    /// Export only this kind (default: both).
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Option<ExportKind>,

    /// Export only the objects matching QUERY, in Cloud SOAR's search syntax:
    /// `field:"value"`, `field:"prefix*"`, `OR` between terms. Fields by API name or label.
    #[arg(long, value_name = "QUERY")]
    pub filter: Option<String>,

    /// Overwrite files that already exist, and update in place the files under DIR that already
    /// declare an exported key (without it, export refuses either and writes nothing).
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Arguments of `soarform init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The directory to start (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// The CI recipe to add: `github` (`.github/workflows/soarform-ci.yml`), `gitlab`
    /// (`.gitlab-ci.yml`) or `none`.
    #[arg(long, value_enum, default_value_t = InitCi::None)]
    pub ci: InitCi,

    /// The Sumo Logic region soarform.yaml names (`us2`...).
    #[arg(long, value_name = "REGION", conflicts_with = "url")]
    pub region: Option<String>,

    /// The Cloud SOAR URL soarform.yaml names instead of a region.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Overwrite files that exist with other content (never the soarform.yaml or the first
    /// document of a repository already started, nor a `.gitignore`: lines are added to it).
    #[arg(long)]
    pub force: bool,
}

/// What `init --ci` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InitCi {
    /// GitHub Actions: plan on pull requests, apply on merge, a daily drift check.
    Github,
    /// GitLab CI/CD: the same flow.
    Gitlab,
    /// No pipeline.
    None,
}

/// Arguments of `soarform show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The plan file (`soarform plan --out FILE`).
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,

    /// `text` and `markdown` as `plan` prints them; `json` as saved.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// Arguments of `soarform completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `soarform man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// A command (`plan`, `apply`...); without one, the page of soarform itself.
    pub command: Option<String>,
}

/// Arguments of `soarform schema`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum, default_value_t = SchemaName::Document)]
    pub name: SchemaName,
}

/// The schemas `soarform schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SchemaName {
    /// Desired-state documents (`schemas/soarform.schema.json`).
    Document,
    /// `soarform.yaml` (`schemas/project.schema.json`).
    Project,
    /// Saved plans and `--format json` output (`schemas/plan.schema.json`).
    Plan,
    /// `soarform sim --faults FILE` (`schemas/sim-options.schema.json`).
    SimOptions,
}

/// Arguments of `soarform version`.
#[derive(Debug, Args)]
pub(crate) struct VersionArgs {
    /// `text` (as `--version`) or `json` (`version`, `commit`, `target`).
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

/// Arguments of `soarform doctor`.
#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// `text` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,

    /// Also write one field back: the identity field of the object carrying KEY, with the value it
    /// holds, then read the object again. A field cleared by that write shows that updates replace
    /// the object (doctor writes the cleared fields back at once); the update method and body the
    /// tenant takes are found the same way. Name an object you may change.
    #[arg(long, value_name = "KEY", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub write_check: Option<String>,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// What `doctor --format` and `version --format` take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TextOrJson {
    /// One line per probe with its evidence, then the block to paste.
    Text,
    /// One JSON document: `checks`, `tenant`, `tenant_yaml`, `usable`.
    Json,
}

/// What `export --kind` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportKind {
    /// Incidents only.
    Incident,
    /// Triage items only.
    Triage,
}

/// Arguments of `soarform fmt`.
#[derive(Debug, Args)]
pub(crate) struct FmtArgs {
    /// Files or directories of desired-state YAML (directories are walked for `*.yaml` and `*.yml`).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Write nothing; list the files that are not in canonical form and exit with 1 if any.
    #[arg(long)]
    pub check: bool,

    /// The project file to use instead of looking for `soarform.yaml` next to PATH and upwards.
    #[arg(long, value_name = "FILE", env = "SOARFORM_CONFIG")]
    pub config: Option<PathBuf>,

    /// How to report problems and, with `--check`, files not in canonical form: `text`, `json`,
    /// `github` (workflow annotations) or `sarif` (SARIF 2.1.0).
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

/// Arguments of `soarform plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Files or directories of desired-state YAML (directories are walked for `*.yaml` and `*.yml`).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// How to print the plan: `text` for people, `json` for programs (schemas/plan.schema.json),
    /// `markdown` for a pull-request comment.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Also save the plan to FILE (JSON), for `soarform apply --plan FILE`. It records the target
    /// and a fingerprint of every object's observed state; never credentials or sensitive values.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Exit with 2 when the plan has changes, 0 when it has none, 1 on errors.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Fail with exit code 2 and an error message when anything would change (drift checks).
    #[arg(long)]
    pub expect_no_changes: bool,

    #[command(flatten)]
    pub lifecycle: LifecycleArgs,

    #[command(flatten)]
    pub lock: LockArgs,

    #[command(flatten)]
    pub selection: SelectionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Arguments of `soarform apply`.
#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// Files or directories of desired-state YAML (directories are walked for `*.yaml` and `*.yml`).
    /// With `--plan`, only read for the values of sensitive fields, which a saved plan never holds
    /// (default: the paths the plan was made from).
    pub paths: Vec<PathBuf>,

    /// Apply a plan saved by `soarform plan --out FILE`, without asking: objects that changed since
    /// the plan are refused and shown field by field; the others are applied.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["target", "exclude", "shard", "prune", "no_adopt"])]
    pub plan: Option<PathBuf>,

    /// Apply without asking. Required when standard input is not a terminal.
    #[arg(long)]
    pub auto_approve: bool,

    /// How to print the plan and the outcome: `text`, `json` (schemas/plan.schema.json) or
    /// `markdown`. `json` and `markdown` need `--auto-approve` or `--plan`.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    #[command(flatten)]
    pub lifecycle: LifecycleArgs,

    #[command(flatten)]
    pub lock: LockArgs,

    #[command(flatten)]
    pub selection: SelectionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// The apply lease (`lock:` in soarform.yaml says where it lives).
#[derive(Debug, Args, Clone)]
pub(crate) struct LockArgs {
    /// Take the apply lease in the tenant before the first write, so that concurrent applies
    /// take turns; `--lock=false` skips it (as in Terraform). `plan` only waits for a lease held
    /// by a running apply. The sandbox has no lease.
    #[arg(
        long,
        env = "SOARFORM_LOCK",
        value_name = "BOOL",
        default_value_t = true,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub lock: bool,

    /// How long to wait for a lease another run holds before giving up: `0s` (the default: give
    /// up at once), `30s`, `5m`, `1h30m`.
    #[arg(
        long,
        env = "SOARFORM_LOCK_TIMEOUT",
        value_name = "DURATION",
        default_value = "0s",
        value_parser = parse_duration
    )]
    pub lock_timeout: std::time::Duration,
}

/// Retirement and adoption, overriding `prune:` and `adopt:` in soarform.yaml.
#[derive(Debug, Args, Default)]
pub(crate) struct LifecycleArgs {
    /// Close objects in `prune_scope` whose key is no longer declared (status set to the closed
    /// status, with a closing note; nothing is ever deleted). Same as `prune: close`.
    #[arg(long)]
    pub prune: bool,

    /// Make it an error when a key matches an object soarform never wrote (made by hand or by
    /// another tool), instead of adopting it. Same as `adopt: false`.
    #[arg(long)]
    pub no_adopt: bool,
}

/// Which declared objects a plan or apply considers.
#[derive(Debug, Args, Default)]
pub(crate) struct SelectionArgs {
    /// Only objects whose key matches PATTERN (a glob: `*` within one `/` segment, `**` across
    /// them; `incident:` or `triage:` in front limits it to one kind). Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub target: Vec<String>,

    /// Leave out objects whose key matches PATTERN (same syntax as `--target`). Repeatable; wins
    /// over `--target`.
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,

    /// Only the objects whose key falls in shard K of N (a stable hash of kind and key), so that
    /// N CI jobs with N credentials apply disjoint parts; each shard takes a lease of its own.
    #[arg(long, value_name = "K/N", value_parser = crate::select::Shard::parse)]
    pub shard: Option<crate::select::Shard>,
}

/// Output formats of `plan` and `apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// For people: a header per object, a line per field, a summary line.
    Text,
    /// For programs: one JSON document on standard output (schemas/plan.schema.json).
    Json,
    /// For pull-request comments: collapsible sections, under GitHub's 65,536-character limit.
    Markdown,
}

/// Where the tenant is and how to reach it. Credentials never come from a flag: use `SOARFORM_TOKEN`,
/// `SUMO_ACCESS_ID` + `SUMO_ACCESS_KEY`, or `--token-file`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ConnectionArgs {
    /// The Cloud SOAR URL, e.g. `https://api.us2.sumologic.com` or `https://acme.soar.sumologic.com`.
    /// [env: SOARFORM_URL, used when neither `--url` nor `--region` is given]
    #[arg(long, value_name = "URL", conflicts_with_all = ["region", "sandbox"])]
    pub url: Option<String>,

    /// A Sumo Logic deployment region; expands to `https://api.<REGION>.sumologic.com` (v3 API), `us1` to `https://api.sumologic.com`.
    /// [env: SOARFORM_REGION, used when no URL is given by `--url` or `SOARFORM_URL`]
    #[arg(long, value_name = "REGION", conflicts_with = "sandbox")]
    pub region: Option<String>,

    /// The API dialect: `v3` (`/api/csoar/v3/`) or `legacy` (`/incmansuite_ng/api/v3/`).
    /// Detected from the host when it is a Sumo Logic one.
    #[arg(long, value_name = "DIALECT", env = "SOARFORM_API")]
    pub api: Option<Dialect>,

    /// Run against the embedded simulator (state in `.soarform/sandbox.json`); needs no tenant and no
    /// credentials.
    #[arg(long)]
    pub sandbox: bool,

    /// Read a Bearer token from this file instead of `SOARFORM_TOKEN`. Credentials never come
    /// from a flag: `SOARFORM_TOKEN`, or `SUMO_ACCESS_ID` and `SUMO_ACCESS_KEY`.
    /// [env: SOARFORM_TOKEN_FILE]
    #[arg(long, value_name = "FILE", conflicts_with = "sandbox")]
    pub token_file: Option<PathBuf>,

    /// The project file to use instead of looking for `soarform.yaml` next to PATH and upwards.
    #[arg(long, value_name = "FILE", env = "SOARFORM_CONFIG")]
    pub config: Option<PathBuf>,

    /// Start at most N requests per second (default: 4 on Sumo Logic hosts, Sumo's documented
    /// limit; none elsewhere). Overrides `limits.requests_per_second` in soarform.yaml.
    #[arg(long, value_name = "N", value_parser = positive_rate, env = "SOARFORM_REQUESTS_PER_SECOND")]
    pub requests_per_second: Option<f64>,

    /// Keep at most N requests in flight (default 10, Sumo's documented limit per access key).
    /// Overrides `limits.max_concurrency` in soarform.yaml.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000), env = "SOARFORM_MAX_CONCURRENCY")]
    pub max_concurrency: Option<u32>,
}

fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err("must be a number above 0, e.g. 4 or 0.5".to_string()),
    }
}

/// Arguments of `soarform sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    /// The address to listen on. Port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Keep objects in this file across restarts (read at start; every change appended to it as a
    /// JSON line after a JSON snapshot, compacted now and then: not one JSON document).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Accept this Bearer token. With no credential option at all, a token is generated and printed.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,

    /// Accept HTTP Basic auth with this access ID (together with `--access-key`).
    #[arg(long, value_name = "ID", requires = "access_key")]
    pub access_id: Option<String>,

    /// The access key that goes with `--access-id`.
    #[arg(long, value_name = "KEY", requires = "access_id")]
    pub access_key: Option<String>,

    /// Wait this many milliseconds before answering each request [default: 0].
    #[arg(long, value_name = "N")]
    pub latency_ms: Option<u64>,

    /// Answer every write with 403, as for a credential without the `Manage incidents` capability.
    #[arg(long)]
    pub read_only: bool,

    /// Read latency, limits and faults from this YAML file (keys `latency_ms`, `rate_limit`,
    /// `max_concurrency`, `retry_after`, `error_rate`, `throttle_rate`, `drop_before_commit_rate`,
    /// `drop_after_commit_rate`, `seed`, and the quirks `page_cap`, `page_offset_by_requested`,
    /// `ignore_page_number`, `page_overlap`, `pad_objects`, `echo_errors`, `late_commits`,
    /// `late_commit_ms`, `identity_suffix`, and the read shape `date_format`, `date_zone`,
    /// `iso_dates`, `nested_fields`, `label_filters`, `patch_updates`, `replacing_updates`,
    /// `ui_type_names`).
    /// Flags override it.
    #[arg(long, value_name = "FILE")]
    pub faults: Option<PathBuf>,

    /// Admit at most RPS API requests per second (a token bucket with bursts of `ceil(RPS)`);
    /// answer 429 beyond that.
    #[arg(long, value_name = "RPS", value_parser = parse_rate_limit)]
    pub rate_limit: Option<f64>,

    /// Admit at most N API requests in flight at once; answer 429 beyond that.
    #[arg(long, value_name = "N", value_parser = parse_max_concurrency)]
    pub max_concurrency: Option<usize>,

    /// How 429s (and injected 503s) say when to retry [default: seconds].
    #[arg(long, value_name = "FORM", value_enum)]
    pub retry_after: Option<RetryAfterForm>,

    /// Answer this fraction of API requests (0 to 1) with 500, 502, 503 or 504, without handling
    /// them.
    #[arg(long, value_name = "R", value_parser = parse_rate)]
    pub error_rate: Option<f64>,

    /// Answer this fraction of API requests (0 to 1) with 429, with or without `Retry-After`.
    #[arg(long, value_name = "R", value_parser = parse_rate)]
    pub throttle_rate: Option<f64>,

    /// Drop the connection of this fraction of creates and updates (0 to 1) without committing
    /// them.
    #[arg(long, value_name = "R", value_parser = parse_rate)]
    pub drop_before_commit_rate: Option<f64>,

    /// Commit this fraction of creates and updates (0 to 1), then drop the connection instead of
    /// answering.
    #[arg(long, value_name = "R", value_parser = parse_rate)]
    pub drop_after_commit_rate: Option<f64>,

    /// Seed of the fault generator: the same seed and the same requests give the same faults
    /// [default: 0].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Answer at most N objects per search page, whatever `page_size` asks (Sumo's own scripts
    /// use pages of 150 and 50).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub page_cap: Option<u64>,

    /// With `--page-cap`: start page N at `(N - 1) * page_size` as asked, not as answered.
    #[arg(long)]
    pub page_offset_by_requested: bool,

    /// Answer the first page of every search, whatever `page_number` says.
    #[arg(long)]
    pub ignore_page_number: bool,

    /// Start every search page after the first N objects early, so they show on two pages.
    #[arg(long, value_name = "N")]
    pub page_overlap: Option<u64>,

    /// Add BYTES of padding to every object of a search answer.
    #[arg(long, value_name = "BYTES")]
    pub pad_objects: Option<u64>,

    /// Echo the request's `Authorization` header and body in every error answer (as sent,
    /// JSON-escaped, URL-encoded and lower-cased), as misconfigured gateways do.
    #[arg(long)]
    pub echo_errors: bool,

    /// Drop the connection of the first N creates at once and commit them `--late-commit-ms`
    /// later.
    #[arg(long, value_name = "N")]
    pub late_commits: Option<u64>,

    /// How late `--late-commits` commits, in milliseconds [default: 0].
    #[arg(long, value_name = "MS")]
    pub late_commit_ms: Option<u64>,

    /// Append TEXT to the Incident ID of every incident created, as a tenant with "Use suffix on
    /// non-duplicate" does.
    #[arg(long, value_name = "TEXT")]
    pub identity_suffix: Option<String>,

    /// Show dates in this display format (a `tenant.date_formats` pattern) [default: MM-DD-YYYY
    /// hh:mm A].
    #[arg(long, value_name = "PATTERN")]
    pub date_format: Option<String>,

    /// Show dates in this zone (`-06:00`, `UTC`, `America/Chicago`) [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub date_zone: Option<String>,

    /// Show dates in RFC 3339 and leave unset ones out (the API profile's reading), instead of
    /// display strings with unset dates as epoch 0.
    #[arg(long, conflicts_with_all = ["date_format", "date_zone"])]
    pub iso_dates: bool,

    /// Nest the fields of read objects under `fields` (the API profile's reading) instead of
    /// putting them at the top level.
    #[arg(long)]
    pub nested_fields: bool,

    /// Read search filters in label syntax only (`Incident ID: KEY`); refuse `incidentid:"KEY"`.
    #[arg(long)]
    pub label_filters: bool,

    /// Take updates only as PATCH with the fields as a bare body; answer PUT with 405.
    #[arg(long)]
    pub patch_updates: bool,

    /// Let an update replace the object: clear every field it does not name.
    #[arg(long)]
    pub replacing_updates: bool,

    /// Name column types as Cloud SOAR's settings page does ("Text Area", "Date & Time", "List",
    /// "Multi Select List", "Numeric Textbox", "Tags").
    #[arg(long)]
    pub ui_type_names: bool,
}

/// The form of the simulator's `Retry-After` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RetryAfterForm {
    /// Whole seconds (`Retry-After: 1`).
    Seconds,
    /// An HTTP date (`Retry-After: Fri, 20 Nov 2026 09:00:01 GMT`).
    HttpDate,
    /// No `Retry-After` header.
    None,
}

/// A duration as Terraform writes them: a number with a unit (`ms`, `s`, `m`, `h`), several of
/// them in a row (`1h30m`), or `0`.
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let invalid = || {
        format!(
            "`{text}` is not a duration: write a number with a unit, e.g. `30s`, `5m` or `1h30m`"
        )
    };
    if text == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    let mut total = std::time::Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|character: char| !(character.is_ascii_digit() || character == '.'))
            .ok_or_else(invalid)?;
        let number: f64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_length = rest
            .find(|character: char| character.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_length] {
            "ms" => number / 1000.0,
            "s" => number,
            "m" => number * 60.0,
            "h" => number * 3600.0,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_length..];
        total += std::time::Duration::try_from_secs_f64(seconds).map_err(|_| invalid())?;
    }
    Ok(total)
}

/// A fault rate: a number from 0 to 1.
fn parse_rate(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| crate::sim::is_fault_rate(*rate))
        .ok_or_else(|| "must be a number from 0 to 1 (a fraction of requests)".to_string())
}

/// A rate limit: a positive number of requests per second.
fn parse_rate_limit(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| crate::sim::is_rate_limit(*rate))
        .ok_or_else(|| "must be a positive number of requests per second".to_string())
}

/// A concurrency limit: at least 1.
fn parse_max_concurrency(text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|count| crate::sim::is_concurrency_limit(*count))
        .ok_or_else(|| "must be a whole number of at least 1".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_as_terraform_writes_them() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "30", "5x", "m", "1h-2m", "ten"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lock_takes_terraform_spelling() {
        let parse = |args: &[&str]| Cli::try_parse_from(args.iter().copied());
        let Ok(cli) = parse(&["soarform", "apply", "--lock=false", "--lock-timeout", "2m"]) else {
            panic!("`--lock=false` parses");
        };
        let Command::Apply(apply) = cli.command else {
            panic!("apply");
        };
        assert!(!apply.lock.lock);
        assert_eq!(apply.lock.lock_timeout, Duration::from_secs(120));
        let Ok(cli) = parse(&["soarform", "plan"]) else {
            panic!("plan parses");
        };
        let Command::Plan(plan) = cli.command else {
            panic!("plan");
        };
        assert!(plan.lock.lock);
        assert_eq!(plan.lock.lock_timeout, Duration::ZERO);
    }
}
