//! `soarform doctor`: read-only probes of the configured tenant, each reported as ok, warning or
//! failure with what it saw, and the `tenant:` settings they point to.
//!
//! Every probe reads, except `--write-check KEY`, which writes the identity field of one named
//! object back unchanged and reads the object again: a field cleared by that write shows an
//! update that replaces the object (the cleared fields are then written back at once).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::rules;
use super::tenant::{Connected, Connection, ConnectionSettings};
use crate::catalog::{Catalog, Column, ColumnType, Columns, Template};
use crate::client::{Client, ClientError, Target};
use crate::config::ProjectConfig;
use crate::dates::{self, DateSettings, DisplayFormat, Zone};
use crate::dialect::{Dialect, FilterSyntax, UpdateBody, UpdateMethod};
use crate::kind::Kind;
use crate::plan_json::TargetInfo;
use crate::remote::{Page, RemoteObject};
use crate::resolve::Identity;

/// How a probe went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// As soarform needs it, with the settings suggested.
    Ok,
    /// Usable, but worth a look (or not checked).
    Warning,
    /// soarform cannot work with the tenant like this.
    Failure,
}

impl Status {
    /// The word the text report shows.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Failure => "failure",
        }
    }
}

/// One probe's result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Check {
    /// What was probed (`connection`, `dates`, `filters (incidents)`...).
    pub name: String,
    /// How it went.
    pub status: Status,
    /// One sentence: what was found and, when it matters, what to do.
    pub summary: String,
    /// What the probe saw: requests and answers, values read.
    pub evidence: Vec<String>,
}

impl Check {
    fn new(name: impl Into<String>, status: Status, summary: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status,
            // soarform's own words; server text in them comes scrubbed (client errors) or is
            // scrubbed where it is put in (`safe`).
            summary: crate::safe_text::one_line(&summary.into()).into_owned(),
            evidence: Vec::new(),
        }
    }

    fn saw(mut self, evidence: impl Into<String>) -> Check {
        self.evidence.push(safe(&evidence.into()));
        self
    }

    fn saw_all(mut self, evidence: impl IntoIterator<Item = String>) -> Check {
        self.evidence
            .extend(evidence.into_iter().map(|line| safe(&line)));
        self
    }
}

/// Server text made fit to print: credentials and sensitive values masked, on one line.
fn safe(text: &str) -> String {
    crate::safe_text::one_line(&crate::scrub::server_text(text)).into_owned()
}

/// The `tenant:` settings the probes inferred; `None` where a probe could not tell.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Suggested {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_formats: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_all: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_syntax: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_body: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_replaces: Option<bool>,
    /// A comment for a key of the block (why it holds what it holds).
    #[serde(skip)]
    pub comments: BTreeMap<&'static str, String>,
    /// The keys a probe of this run found; the others come from soarform.yaml as they were.
    #[serde(skip)]
    pub confirmed: BTreeSet<&'static str>,
}

impl Suggested {
    /// The block, ready to paste into soarform.yaml.
    pub(crate) fn yaml(&self) -> String {
        let mut lines = vec!["tenant:".to_string()];
        let mut entry = |key: &'static str, value: Option<String>| {
            if let Some(value) = value {
                lines.push(format!("  {key}: {value}"));
                if let Some(comment) = self.comments.get(key) {
                    lines.push(format!("  # {comment}"));
                } else if !self.confirmed.contains(key) {
                    lines.push("  # as soarform.yaml has it; not checked by this run".into());
                }
            }
        };
        let quoted = |text: &str| serde_json::to_string(text).unwrap_or_default();
        entry("timezone", self.timezone.as_deref().map(quoted));
        entry(
            "date_formats",
            self.date_formats.as_ref().map(|formats| {
                let items: Vec<String> = formats.iter().map(|format| quoted(format)).collect();
                format!("[{}]", items.join(", "))
            }),
        );
        entry("page_size", self.page_size.map(|size| size.to_string()));
        entry("search_all", self.search_all.map(|all| all.to_string()));
        entry("filter_syntax", self.filter_syntax.map(str::to_string));
        entry("update_method", self.update_method.map(str::to_string));
        entry("update_body", self.update_body.map(str::to_string));
        entry(
            "update_replaces",
            self.update_replaces.map(|replaces| replaces.to_string()),
        );
        if self.update_method.is_none() {
            lines.push(
                "  # update_method, update_body, update_replaces: not checked; `soarform doctor --write-check KEY` tells"
                    .to_string(),
            );
        }
        if lines
            .iter()
            .all(|line| line == "tenant:" || line.trim_start().starts_with('#'))
        {
            // Nothing to set: a `tenant:` of comments only would not even be a mapping.
            return String::new();
        }
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }
}

/// What `soarform doctor` found.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    /// Where it connected.
    pub target: TargetInfo,
    /// The credential, described without revealing it.
    pub credential: String,
    /// Every probe, in the order run.
    pub checks: Vec<Check>,
    /// The settings inferred.
    pub tenant: Suggested,
    /// The same, as the YAML block to paste.
    pub tenant_yaml: String,
    /// Whether soarform can work with the tenant with the suggested settings: no failure.
    pub usable: bool,
}

/// Options of `soarform doctor`.
#[derive(Debug, Clone, Default)]
pub(crate) struct DoctorOptions {
    /// `--write-check KEY`: the object whose identity field is written back unchanged.
    pub write_check: Option<String>,
}

/// The most keys a filter probe looks for.
const KEYS_PROBED: usize = 2;

/// Below this many objects a short page is taken for the last one (see `client::paging`).
const SMALLEST_TRUSTED_PAGE: usize = 10;

/// Runs every probe. Errors of the tenant are findings, not errors of the run.
pub(crate) async fn doctor(
    connected: &Connected,
    settings: &ConnectionSettings,
    config: &ProjectConfig,
    options: &DoctorOptions,
) -> Report {
    let client = &connected.client;
    let tenant = &config.tenant;
    let suggested = Suggested {
        timezone: tenant.timezone.clone(),
        date_formats: (!tenant.date_formats.is_empty()).then(|| tenant.date_formats.clone()),
        page_size: tenant.page_size,
        search_all: tenant.search_all,
        filter_syntax: tenant.filter_syntax.map(syntax_name),
        update_method: tenant.update_method.map(method_name),
        update_body: tenant.update_body.map(body_name),
        update_replaces: tenant.update_replaces,
        ..Suggested::default()
    };
    let mut probe = Probe {
        client,
        config,
        settings,
        checks: Vec::new(),
        suggested,
        reads: Vec::new(),
        wrote: false,
        dates_guessed: false,
        dates: settings.dates.clone(),
    };
    probe.run(options).await;
    let usable = probe
        .checks
        .iter()
        .all(|check| check.status != Status::Failure);
    // Without a catalog nothing was inferred: there is no block to paste.
    let probed = probe.checks.iter().any(|check| check.name == "catalog");
    let target = client.target();
    Report {
        target: TargetInfo {
            url: target.base_url().to_string(),
            dialect: target.dialect,
            sandbox: connected.sandbox.is_some(),
        },
        credential: client.credential_description(),
        checks: probe.checks,
        tenant_yaml: if probed {
            probe.suggested.yaml()
        } else {
            String::new()
        },
        tenant: probe.suggested,
        usable,
    }
}

struct Probe<'a> {
    client: &'a Client,
    config: &'a ProjectConfig,
    settings: &'a ConnectionSettings,
    checks: Vec<Check>,
    suggested: Suggested,
    /// What the credential was seen to do, and how each request went (`None`: done).
    reads: Vec<(String, Option<ClientError>)>,
    /// Whether `--write-check` wrote.
    wrote: bool,
    /// Whether the date format was guessed among several that read the dates differently: a
    /// write-back could then move dates by days.
    dates_guessed: bool,
    /// How the tenant shows dates, as the dates probe found (soarform.yaml's until then).
    dates: Arc<DateSettings>,
}

/// One kind's sample: a page of the objects carrying a key, as answered and as read.
struct Sample {
    kind: Kind,
    raw: Value,
    objects: Vec<RemoteObject>,
    asked: u32,
    syntax: FilterSyntax,
    search_all: bool,
}

impl Probe<'_> {
    fn push(&mut self, check: Check) {
        self.checks.push(check);
    }

    fn read<T>(&mut self, what: String, result: &Result<T, ClientError>) {
        self.reads.push((what, result.as_ref().err().cloned()));
    }

    async fn run(&mut self, options: &DoctorOptions) {
        self.probe(options).await;
        self.credential_check();
    }

    async fn probe(&mut self, options: &DoctorOptions) {
        let Some(templates) = self.connection().await else {
            return;
        };
        let Some(catalog) = self.catalog(templates).await else {
            return;
        };
        let Some(identity) = self.identity(&catalog) else {
            return;
        };
        let mut samples = Vec::new();
        for kind in Kind::ALL {
            if let Some(sample) = self.sample(kind, &catalog, &identity).await {
                samples.push(sample);
            }
        }
        for sample in &samples {
            self.layout(sample).await;
        }
        self.dates(&samples, &catalog);
        for sample in &samples {
            self.page_cap(sample, &identity).await;
        }
        for sample in &samples {
            self.filters(sample, &catalog, &identity).await;
        }
        match &options.write_check {
            Some(key) => self.write_check(key, &catalog, &identity).await,
            None => self.push(
                Check::new(
                    "updates",
                    Status::Failure,
                    "not checked, so whether an update keeps the fields it does not name is not known (a replacing update would clear them): run `soarform doctor --write-check KEY` with the key of an object you may change",
                )
                .saw(format!(
                    "soarform.yaml: update_method {}, update_body {}, update_replaces {}",
                    method_name(self.client.options().update_method),
                    body_name(self.client.options().update_body),
                    self.client.options().update_replaces
                )),
            ),
        }
    }

    /// The base path answers: `GET incident_templates/`. On a 404 the other dialect is tried,
    /// to say which one the host speaks.
    async fn connection(&mut self) -> Option<Vec<Template>> {
        let client = self.client;
        let target = client.target();
        let templates = client.templates().await;
        self.read("GET incident_templates/".into(), &templates);
        match templates {
            Ok(templates) => {
                self.push(
                    Check::new(
                        "connection",
                        Status::Ok,
                        format!("{} answers the {} API", target.base_url(), target.dialect),
                    )
                    .saw(format!(
                        "GET incident_templates/ answered {} template(s)",
                        templates.len()
                    )),
                );
                Some(templates)
            }
            Err(error @ ClientError::BasePathNotFound { .. }) => {
                let other = other_dialect(target.dialect);
                let mut check = Check::new("connection", Status::Failure, error.to_string());
                if let Some(answered) = self.other_dialect_answers(other).await {
                    check = Check::new(
                        "connection",
                        Status::Failure,
                        format!(
                            "this host serves the {other} API, not the {} one: add `api: {other}` to soarform.yaml (or pass `--api {other}`)",
                            target.dialect
                        ),
                    )
                    .saw(error.to_string())
                    .saw(answered);
                }
                self.push(check);
                None
            }
            Err(ClientError::Unauthorized { .. } | ClientError::Forbidden { .. }) => {
                // The host answers the API; the refusal is the credential's (its check says so).
                self.push(Check::new(
                    "connection",
                    Status::Ok,
                    format!(
                        "{} answers the {} API, and refused the credential (below)",
                        target.base_url(),
                        target.dialect
                    ),
                ));
                None
            }
            Err(error) => {
                self.push(Check::new("connection", Status::Failure, error.to_string()));
                None
            }
        }
    }

    async fn other_dialect_answers(&self, dialect: Dialect) -> Option<String> {
        let Connection::Remote { target, credential } = &self.settings.connection else {
            return None;
        };
        let target = Target {
            dialect,
            ..target.clone()
        };
        let client = Client::new(
            target,
            credential.clone(),
            self.settings.endpoints.clone(),
            self.settings.client.clone(),
        )
        .ok()?;
        let templates = client.templates().await.ok()?;
        Some(format!(
            "{} answered GET incident_templates/ with {} template(s)",
            client.target().base_url(),
            templates.len()
        ))
    }

    /// Both column lists, checked for types soarform reads as text.
    async fn catalog(&mut self, templates: Vec<Template>) -> Option<Catalog> {
        let client = self.client;
        let (incidents, triage) = tokio::join!(
            client.columns(Kind::Incident),
            client.columns(Kind::TriageItem)
        );
        self.read("GET incidents/columns/".into(), &incidents);
        self.read("GET triage/columns/".into(), &triage);
        let (incidents, triage) = match (incidents, triage) {
            (Ok(incidents), Ok(triage)) => (incidents, triage),
            (Err(error), _) | (_, Err(error)) => {
                self.push(Check::new("catalog", Status::Failure, error.to_string()));
                return None;
            }
        };
        let catalog = Catalog {
            templates,
            incident_columns: Columns::with_dates(incidents, &self.settings.dates),
            triage_columns: Columns::with_dates(triage, &self.settings.dates),
        };
        for kind in Kind::ALL {
            client.learn_columns(kind, catalog.columns(kind));
        }
        let mut unknown = Vec::new();
        let mut evidence = vec![format!(
            "{} template(s): {}",
            catalog.templates.len(),
            first_names(
                catalog
                    .templates
                    .iter()
                    .map(|template| template.name.as_str())
            )
        )];
        for kind in Kind::ALL {
            let columns = catalog.columns(kind).all();
            let mut types: BTreeMap<String, usize> = BTreeMap::new();
            for column in columns {
                *types.entry(type_name(&column.column_type)).or_default() += 1;
                if let ColumnType::Other(name) = &column.column_type {
                    unknown.push(format!("`{}` ({name})", column.label));
                }
            }
            let types: Vec<String> = types
                .iter()
                .map(|(name, count)| format!("{count} {name}"))
                .collect();
            evidence.push(format!(
                "{} {} column(s): {}",
                columns.len(),
                kind.noun(),
                types.join(", ")
            ));
        }
        let check = if unknown.is_empty() {
            Check::new(
                "catalog",
                Status::Ok,
                "templates and both column lists read; every field type is one soarform knows",
            )
        } else {
            Check::new(
                "catalog",
                Status::Warning,
                format!(
                    "types soarform does not know are compared as text: {}",
                    unknown.join(", ")
                ),
            )
        };
        self.push(check.saw_all(evidence));
        Some(catalog)
    }

    /// The identity and ownership fields of soarform.yaml, found in the catalog.
    fn identity(&mut self, catalog: &Catalog) -> Option<Identity> {
        let identity = match rules::identity(self.config, catalog) {
            Ok(identity) => identity,
            Err(error) => {
                self.push(setting_failure("identity", &error));
                return None;
            }
        };
        let mut check = Check::new(
            "identity",
            Status::Ok,
            format!(
                "incidents are found by `{}` ({}), triage items by `{}` ({})",
                identity.incident.label,
                identity.incident.field,
                identity.triage.label,
                identity.triage.field
            ),
        )
        .saw("a tenant that rewrites keys on create (\"Use suffix on non-duplicate\") cannot be seen without creating: the first apply stops at the first rewritten key");
        for kind in Kind::ALL {
            let column = identity.column(kind);
            if !rules::is_text(column) {
                check = Check::new(
                    "identity",
                    Status::Failure,
                    format!(
                        "`{}` holds {} keys but is not a text field",
                        column.label,
                        kind.noun()
                    ),
                );
            }
        }
        self.push(check);
        match rules::ownership(self.config, catalog, &identity) {
            Ok(ownership) => {
                let named: Vec<String> = Kind::ALL
                    .into_iter()
                    .filter_map(|kind| {
                        ownership
                            .column(kind)
                            .map(|column| format!("{}s: `{}`", kind.noun(), column.label))
                    })
                    .collect();
                let check = if named.len() == Kind::ALL.len() {
                    Check::new(
                        "ownership",
                        Status::Ok,
                        format!("soarform records what it made in {}", named.join(", ")),
                    )
                } else {
                    Check::new(
                        "ownership",
                        Status::Warning,
                        "no ownership field for every kind: soarform cannot tell its own objects from others (duplicates are reported, not retired); name a text field with `ownership:` in soarform.yaml",
                    )
                    .saw_all(named)
                };
                self.push(check);
            }
            Err(error) => {
                self.push(setting_failure("ownership", &error));
            }
        }
        Some(identity)
    }

    /// A page of the objects carrying a key, trying the configured filter syntax and search
    /// scope first, then the others.
    async fn sample(
        &mut self,
        kind: Kind,
        catalog: &Catalog,
        identity: &Identity,
    ) -> Option<Sample> {
        let client = self.client;
        let configured = client.options();
        let identity_column = identity.column(kind);
        let mut columns = vec![identity_column.field.clone()];
        columns.extend(
            catalog
                .columns(kind)
                .all()
                .iter()
                .filter(|column| column.column_type == ColumnType::Datetime)
                .map(|column| column.field.clone()),
        );
        let asked = client.page_size(kind);
        let other = other_syntax(configured.filter_syntax);
        let tries = [
            (configured.filter_syntax, configured.search_all),
            (other, configured.search_all),
            (configured.filter_syntax, !configured.search_all),
            (other, !configured.search_all),
        ];
        let mut failures = Vec::new();
        for (syntax, all) in tries {
            let filter = syntax.filter(&identity_column.field, &identity_column.label, &[""], true);
            let answer = client
                .search_page_raw(kind, &filter, &columns, (1, asked), all)
                .await;
            let what = format!("POST {}", search_path(kind));
            match answer {
                Ok(raw) => {
                    self.read(what, &Ok::<(), ClientError>(()));
                    let objects = match serde_json::from_value::<Page>(raw.clone()) {
                        Ok(Page(objects)) => objects,
                        Err(error) => {
                            self.push(Check::new(
                                format!("search ({}s)", kind.noun()),
                                Status::Failure,
                                format!("the search answer is not a list of objects: {error}"),
                            ));
                            return None;
                        }
                    };
                    let sent = format!(
                        "filter `{filter}`{}",
                        if all { " with \"all\": true" } else { "" }
                    );
                    let check = if (syntax, all) == tries[0] {
                        Check::new(
                            format!("search ({}s)", kind.noun()),
                            Status::Ok,
                            format!(
                                "a search of every {} carrying a key answered {} of a page of {asked}",
                                kind.noun(),
                                objects.len()
                            ),
                        )
                        .saw(sent)
                    } else {
                        Check::new(
                            format!("search ({}s)", kind.noun()),
                            Status::Failure,
                            format!(
                                "the tenant refuses searches as soarform.yaml has them, and takes {}: use the settings suggested below",
                                describe_search(syntax, all)
                            ),
                        )
                        .saw_all(failures)
                        .saw(format!("answered with {sent}"))
                    };
                    self.push(check);
                    self.suggested.search_all = Some(all);
                    self.suggested.confirmed.insert("search_all");
                    // The filters probe confirms it on known keys, where there are any.
                    self.suggested.filter_syntax = Some(syntax_name(syntax));
                    self.suggested.confirmed.insert("filter_syntax");
                    return Some(Sample {
                        kind,
                        raw,
                        objects,
                        asked,
                        syntax,
                        search_all: all,
                    });
                }
                Err(error) => {
                    let refused = matches!(
                        error,
                        ClientError::Status {
                            status: 400 | 422,
                            ..
                        }
                    );
                    failures.push(format!("{}: {error}", describe_search(syntax, all)));
                    if !refused {
                        self.read(what, &Err::<(), _>(error));
                        break;
                    }
                }
            }
        }
        self.push(
            Check::new(
                format!("search ({}s)", kind.noun()),
                Status::Failure,
                format!(
                    "no search of the {}s carrying a key was answered",
                    kind.noun()
                ),
            )
            .saw_all(failures),
        );
        None
    }

    /// What the credential did, in one check: a 401 or 403 is the credential's failure; other
    /// failures are the connection's, reported there.
    fn credential_check(&mut self) {
        let description = self.client.credential_description();
        let mut done: Vec<&str> = Vec::new();
        for (what, error) in &self.reads {
            if error.is_none() && !done.contains(&what.as_str()) {
                done.push(what.as_str());
            }
        }
        let refused: Vec<String> = self
            .reads
            .iter()
            .filter_map(|(what, error)| match error {
                Some(
                    error @ (ClientError::Unauthorized { .. } | ClientError::Forbidden { .. }),
                ) => Some(format!("{what}: {error}")),
                _ => None,
            })
            .collect();
        let check = if !refused.is_empty() {
            Check::new(
                "credential",
                Status::Failure,
                format!("{description} was refused a request soarform needs"),
            )
            .saw_all(refused)
        } else if done.is_empty() {
            Check::new(
                "credential",
                Status::Warning,
                format!("{description} was not tried: no request was answered"),
            )
        } else {
            Check::new(
                "credential",
                Status::Ok,
                format!("{description} was accepted for every request doctor made"),
            )
        };
        let mut check = check;
        if !done.is_empty() {
            check = check.saw(format!("answered: {}", done.join(", ")));
        }
        if !self.wrote {
            check = check.saw("writes were not tried (`--write-check KEY` tries one)");
        }
        // Shown right after the connection, where a reader looks for it.
        let at = self
            .checks
            .iter()
            .position(|check| check.name == "connection")
            .map_or(0, |index| index + 1);
        self.checks.insert(at, check);
    }

    /// How a read object holds its fields: at the top level or under `fields`, wrapped or bare.
    async fn layout(&mut self, sample: &Sample) {
        let kind = sample.kind;
        let name = format!("field layout ({}s)", kind.noun());
        let Some(first) = first_object(&sample.raw) else {
            self.push(Check::new(
                name,
                Status::Warning,
                format!(
                    "no {} carries a key yet: the layout of a read object was not seen",
                    kind.noun()
                ),
            ));
            return;
        };
        let searched = describe_layout(first);
        let id = sample.objects.first().map(|object| object.id);
        let mut check = Check::new(
            name.clone(),
            Status::Ok,
            format!("fields {searched}; soarform reads either layout"),
        )
        .saw(format!("a search answer holds fields {searched}"));
        if let Some(id) = id {
            let got = self.client.get_raw(kind, id).await;
            self.read(format!("GET {}{{id}}/", object_path(kind)), &got);
            match got {
                Ok(object) => {
                    check = check.saw(format!(
                        "GET {}{id}/ holds fields {}",
                        object_path(kind),
                        describe_layout(&object)
                    ));
                }
                Err(error) => {
                    check = Check::new(
                        name,
                        Status::Failure,
                        format!(
                            "a {} found by search cannot be read by id: {error}",
                            kind.noun()
                        ),
                    );
                }
            }
        }
        self.push(check);
    }

    /// The date display format and zone, from every date value of the samples; the zone from
    /// unset dates, which the tenant shows as epoch 0 in its zone.
    fn dates(&mut self, samples: &[Sample], catalog: &Catalog) {
        let mut values = Vec::new();
        for sample in samples {
            for column in catalog.columns(sample.kind).all() {
                if column.column_type != ColumnType::Datetime {
                    continue;
                }
                values.extend(
                    sample
                        .objects
                        .iter()
                        .filter_map(|object| object.fields.get(&column.field).cloned()),
                );
            }
        }
        let inferred = infer_dates(&values, &self.settings.dates.formats);
        self.dates_guessed = inferred.ambiguous && !inferred.configured;
        if inferred.ambiguous {
            self.suggested.comments.insert(
                "date_formats",
                "the dates seen fit several formats: check this against the tenant's Date/Time Format setting".into(),
            );
        }
        let (check, suggested) = date_check(&inferred, &self.settings.dates, self.config);
        if let Some((timezone, formats, comment)) = suggested {
            let zone = timezone
                .clone()
                .or_else(|| self.config.tenant.timezone.clone());
            let patterns = formats
                .clone()
                .unwrap_or_else(|| self.config.tenant.date_formats.clone());
            if let Ok(found) = DateSettings::new(zone.as_deref(), &patterns) {
                self.dates = Arc::new(found);
            }
            // ISO dates say nothing of the zone: what soarform.yaml says is kept.
            if timezone.is_some() {
                self.suggested.timezone = timezone;
                self.suggested.confirmed.insert("timezone");
            }
            if formats.is_some() {
                self.suggested.date_formats = formats;
                self.suggested.confirmed.insert("date_formats");
            }
            if let Some(comment) = comment {
                self.suggested.comments.insert("timezone", comment);
            }
        }
        self.push(check);
    }

    /// Whether the server answers fewer objects per page than asked: a short first page is
    /// read on in pages of its size; new objects there show a cap.
    async fn page_cap(&mut self, sample: &Sample, identity: &Identity) {
        let kind = sample.kind;
        let name = format!("page size ({}s)", kind.noun());
        let count = sample.objects.len();
        let asked = sample.asked;
        if count == 0 {
            self.push(Check::new(
                name,
                Status::Warning,
                format!(
                    "no {} carries a key yet: a page cap cannot be seen",
                    kind.noun()
                ),
            ));
            return;
        }
        if count >= asked as usize {
            if self.suggested.page_size.is_some() {
                self.suggested.confirmed.insert("page_size");
            }
            self.push(Check::new(
                name,
                Status::Ok,
                format!("the server filled a page of {asked}"),
            ));
            return;
        }
        let column = identity.column(kind);
        let filter = sample
            .syntax
            .filter(&column.field, &column.label, &[""], true);
        let size = u32::try_from(count).unwrap_or(u32::MAX);
        let next = self
            .client
            .search_page_raw(
                kind,
                &filter,
                std::slice::from_ref(&column.field),
                (2, size),
                sample.search_all,
            )
            .await;
        let seen: BTreeSet<u64> = sample.objects.iter().map(|object| object.id).collect();
        let (answered, fresh) = match next {
            Ok(raw) => match serde_json::from_value::<Page>(raw) {
                Ok(Page(objects)) => (
                    objects.len(),
                    objects
                        .iter()
                        .filter(|object| !seen.contains(&object.id))
                        .count(),
                ),
                Err(error) => {
                    self.push(Check::new(
                        name,
                        Status::Failure,
                        format!("page 2 is not a list of objects: {error}"),
                    ));
                    return;
                }
            },
            Err(error) => {
                self.push(Check::new(
                    name,
                    Status::Failure,
                    format!("page 2 failed: {error}"),
                ));
                return;
            }
        };
        let evidence = format!(
            "asked for {asked}, got {count}; page 2 in pages of {count} held {answered}, {fresh} of them new"
        );
        if answered > 0 && fresh == 0 {
            self.push(
                Check::new(
                    name,
                    Status::Failure,
                    "page 2 held only objects of page 1: the server seems to ignore `page_number`, and soarform stops such searches rather than miss objects",
                )
                .saw(evidence),
            );
            return;
        }
        if fresh == 0 {
            self.push(
                Check::new(
                    name,
                    Status::Ok,
                    format!(
                        "the tenant holds {count} {}(s) carrying a key, fewer than a page: a cap above {count} cannot be seen",
                        kind.noun()
                    ),
                )
                .saw(evidence),
            );
            return;
        }
        let smallest = self
            .suggested
            .page_size
            .map_or(size, |known| known.min(size));
        self.suggested.page_size = Some(smallest);
        self.suggested.confirmed.insert("page_size");
        let mut comment = format!("the server answers at most {smallest} objects per page");
        if let Some(limits) = self.config.limits.page_size {
            comment.push_str(&format!(
                "; remove `limits.page_size: {limits}` from soarform.yaml (give one of them)"
            ));
        }
        self.suggested.comments.insert("page_size", comment);
        let check = if count < SMALLEST_TRUSTED_PAGE && asked > size {
            Check::new(
                name,
                Status::Failure,
                format!(
                    "the server answers at most {count} objects per page; below {SMALLEST_TRUSTED_PAGE}, a short page is taken for the last one, so set `page_size: {count}`"
                ),
            )
        } else {
            Check::new(
                name,
                Status::Ok,
                format!(
                    "the server answers at most {count} objects per page; soarform finds the cap once per run, and `page_size: {count}` saves that search"
                ),
            )
        };
        self.push(check.saw(evidence));
    }

    /// Whether known keys are found by an exact OR filter and by a prefix, in either syntax.
    async fn filters(&mut self, sample: &Sample, catalog: &Catalog, identity: &Identity) {
        let kind = sample.kind;
        let name = format!("filters ({}s)", kind.noun());
        let column = identity.column(kind);
        let mut keys: Vec<String> = Vec::new();
        for object in &sample.objects {
            if let Some(Value::String(key)) = object.fields.get(&column.field) {
                if !key.is_empty()
                    && !rules::is_lease_key(&self.config.lock, kind, key)
                    && !key
                        .chars()
                        .any(|c| c.is_whitespace() || c == '"' || c == '*')
                    && !keys.contains(key)
                {
                    keys.push(key.clone());
                }
            }
            if keys.len() == KEYS_PROBED {
                break;
            }
        }
        if keys.is_empty() {
            let summary = if sample.objects.is_empty() {
                format!(
                    "no {} carries a key yet: filters were not tried on known keys",
                    kind.noun()
                )
            } else {
                format!(
                    "no key of the {} {}(s) seen fits a filter probe (keys with white space, quotes or `*` are left out): filters were not tried on known keys",
                    sample.objects.len(),
                    kind.noun()
                )
            };
            self.push(Check::new(name, Status::Warning, summary));
            return;
        }
        let label = catalog
            .columns(kind)
            .find(&column.field)
            .map_or(column.label.clone(), |column| column.label.clone());
        let configured = self.client.options().filter_syntax;
        let mut outcomes = Vec::new();
        for syntax in [configured, other_syntax(configured)] {
            let outcome = self
                .try_filters(
                    kind,
                    syntax,
                    &column.field,
                    &label,
                    &keys,
                    sample.search_all,
                )
                .await;
            outcomes.push((syntax, outcome));
        }
        let works = |syntax: FilterSyntax| {
            outcomes
                .iter()
                .any(|(tried, outcome)| *tried == syntax && outcome.is_ok())
        };
        let evidence: Vec<String> = outcomes
            .iter()
            .map(|(syntax, outcome)| match outcome {
                Ok(found) => format!("{}: {found}", syntax_name(*syntax)),
                Err(problem) => format!("{}: {problem}", syntax_name(*syntax)),
            })
            .collect();
        let or_note = if keys.len() < 2 {
            " (one key known: OR was not tried)"
        } else {
            ""
        };
        let check = if works(configured) {
            self.suggested.filter_syntax = Some(syntax_name(configured));
            self.suggested.confirmed.insert("filter_syntax");
            Check::new(
                name,
                Status::Ok,
                format!(
                    "filters in {} syntax find known keys exactly, joined by OR, and by prefix{or_note}",
                    syntax_name(configured)
                ),
            )
        } else if works(other_syntax(configured)) {
            let other = other_syntax(configured);
            self.suggested.filter_syntax = Some(syntax_name(other));
            self.suggested.confirmed.insert("filter_syntax");
            Check::new(
                name,
                Status::Failure,
                format!(
                    "filters in {} syntax do not find known keys, filters in {} syntax do: set `filter_syntax: {}`",
                    syntax_name(configured),
                    syntax_name(other),
                    syntax_name(other)
                ),
            )
        } else {
            Check::new(
                name,
                Status::Failure,
                "no filter syntax finds known keys exactly, joined by OR, and by prefix, as soarform searches",
            )
        };
        self.push(check.saw_all(evidence));
    }

    async fn try_filters(
        &self,
        kind: Kind,
        syntax: FilterSyntax,
        field: &str,
        label: &str,
        keys: &[String],
        search_all: bool,
    ) -> Result<String, String> {
        let wanted: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
        let terms: Vec<&str> = keys.iter().map(String::as_str).collect();
        let exact = syntax.filter(field, label, &terms, false);
        let found = self
            .keys_found(kind, &exact, field, search_all)
            .await
            .map_err(|error| format!("`{exact}` failed: {error}"))?;
        if found
            != wanted
                .iter()
                .map(|key| key.to_string())
                .collect::<BTreeSet<_>>()
        {
            return Err(format!(
                "`{exact}` found {}",
                if found.is_empty() {
                    "nothing".to_string()
                } else {
                    found.iter().cloned().collect::<Vec<_>>().join(", ")
                }
            ));
        }
        let first = &keys[0];
        let half = first.chars().count().div_ceil(2);
        let prefix_term: String = first.chars().take(half).collect();
        let prefix_term = prefix_term.as_str();
        let prefix = syntax.filter(field, label, &[prefix_term], true);
        let by_prefix = self
            .keys_found(kind, &prefix, field, search_all)
            .await
            .map_err(|error| format!("`{prefix}` failed: {error}"))?;
        if !by_prefix.contains(first) || by_prefix.iter().any(|key| !key.starts_with(prefix_term)) {
            return Err(format!("`{prefix}` did not find `{first}` (or found keys not starting with `{prefix_term}`)"));
        }
        Ok(format!(
            "`{exact}` found each key, `{prefix}` found `{first}`"
        ))
    }

    async fn keys_found(
        &self,
        kind: Kind,
        filter: &str,
        field: &str,
        search_all: bool,
    ) -> Result<BTreeSet<String>, ClientError> {
        let raw = self
            .client
            .search_page_raw(
                kind,
                filter,
                &[field.to_string()],
                (1, self.client.page_size(kind)),
                search_all,
            )
            .await?;
        let Page(objects) =
            serde_json::from_value(raw).map_err(|error| ClientError::InvalidResponse {
                operation: crate::client::Operation::search(kind),
                message: error.to_string(),
            })?;
        Ok(objects
            .iter()
            .filter_map(|object| object.fields.get(field)?.as_str().map(str::to_string))
            .collect())
    }

    /// `--write-check KEY`: writes the identity field of KEY back unchanged, by the configured
    /// update first and then the others the evidence knows, and reads the object again.
    async fn write_check(&mut self, key: &str, catalog: &Catalog, identity: &Identity) {
        let name = "updates";
        let syntax =
            self.suggested
                .filter_syntax
                .map_or(self.client.options().filter_syntax, |name| {
                    if name == "labels" {
                        FilterSyntax::Labels
                    } else {
                        FilterSyntax::ApiNames
                    }
                });
        let search_all = self.suggested.search_all.unwrap_or(true);
        if self.dates_guessed {
            self.push(Check::new(
                name,
                Status::Failure,
                "--write-check was not run: the dates seen fit several formats, and a tenant whose updates replace the object would get its dates back in the one guessed (days off, perhaps); set `tenant.date_formats` as the tenant's Date/Time Format setting shows it, then run it again",
            ));
            return;
        }
        if syntax == FilterSyntax::Labels
            && key
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '*')
        {
            self.push(Check::new(
                name,
                Status::Failure,
                format!("--write-check: `{key}` cannot be searched in label syntax, which takes one bare word: name a key without white space, quotes or `*`"),
            ));
            return;
        }
        let mut found = Vec::new();
        for kind in Kind::ALL {
            let column = identity.column(kind);
            let filter = syntax.filter(&column.field, &column.label, &[key], false);
            let raw = self
                .client
                .search_page_raw(
                    kind,
                    &filter,
                    std::slice::from_ref(&column.field),
                    (1, 10),
                    search_all,
                )
                .await;
            match raw.map(serde_json::from_value::<Page>) {
                Ok(Ok(Page(objects))) => found.extend(
                    objects
                        .into_iter()
                        .filter(|object| {
                            object.fields.get(&column.field).and_then(Value::as_str) == Some(key)
                        })
                        .map(|object| (kind, object.id)),
                ),
                Ok(Err(error)) => {
                    self.push(Check::new(name, Status::Failure, format!("--write-check: the search for `{key}` is not a list of objects: {error}")));
                    return;
                }
                Err(error) => {
                    self.push(Check::new(
                        name,
                        Status::Failure,
                        format!("--write-check: the search for `{key}` failed: {error}"),
                    ));
                    return;
                }
            }
        }
        let [(kind, id)] = found[..] else {
            self.push(Check::new(
                name,
                Status::Failure,
                format!(
                    "--write-check: {} object(s) carry the key `{key}`; name the key of exactly one object",
                    found.len()
                ),
            ));
            return;
        };
        let column = identity.column(kind).clone();
        let before = match self.client.get(kind, id).await {
            Ok(object) => object,
            Err(error) => {
                self.push(Check::new(
                    name,
                    Status::Failure,
                    format!("--write-check: {error}"),
                ));
                return;
            }
        };
        let configured = (
            self.client.options().update_method,
            self.client.options().update_body,
        );
        let mut ways = vec![configured];
        for way in [
            (UpdateMethod::Put, UpdateBody::Wrapped),
            (UpdateMethod::Patch, UpdateBody::Bare),
            (UpdateMethod::Patch, UpdateBody::Wrapped),
            (UpdateMethod::Put, UpdateBody::Bare),
        ] {
            if !ways.contains(&way) {
                ways.push(way);
            }
        }
        let mut fields = Map::new();
        fields.insert(column.field.clone(), Value::String(key.to_string()));
        let mut refused = Vec::new();
        let mut accepted = None;
        for way in ways {
            let result = self.client.update_as(kind, id, fields.clone(), way).await;
            self.wrote = true;
            self.read(
                format!(
                    "{} {}{{id}}/",
                    method_name(way.0).to_uppercase(),
                    object_path(kind)
                ),
                &result,
            );
            match result {
                Ok(()) => {
                    accepted = Some(way);
                    break;
                }
                Err(
                    error @ ClientError::Status {
                        status: 400 | 405 | 415 | 422,
                        ..
                    },
                ) => {
                    refused.push(format!("{}: {error}", describe_update(way)));
                }
                Err(error) => {
                    self.push(
                        Check::new(name, Status::Failure, format!("--write-check: {error}"))
                            .saw_all(refused),
                    );
                    return;
                }
            }
        }
        let Some(way) = accepted else {
            self.push(
                Check::new(
                    name,
                    Status::Failure,
                    format!(
                        "--write-check: no update of {} {id} was accepted",
                        kind.noun()
                    ),
                )
                .saw_all(refused),
            );
            return;
        };
        self.suggested.update_method = Some(method_name(way.0));
        self.suggested.confirmed.insert("update_method");
        self.suggested.update_body = Some(body_name(way.1));
        self.suggested.confirmed.insert("update_body");
        let after = match self.client.get(kind, id).await {
            Ok(object) => object,
            Err(error) => {
                self.push(Check::new(
                    name,
                    Status::Failure,
                    format!(
                        "--write-check: reading {} {id} again failed: {error}",
                        kind.noun()
                    ),
                ));
                return;
            }
        };
        // Read in the zone and format the dates probe found, so that what is written back is
        // what the tenant showed.
        let columns = &Columns::with_dates(
            catalog
                .columns(kind)
                .all()
                .iter()
                .map(|column| Column::clone(column))
                .collect(),
            &self.dates,
        );
        let cleared = cleared_fields(columns, &before, &after);
        let mut evidence = refused;
        evidence.push(format!(
            "{} of `{}` on {} {id}, with the value it held, was accepted",
            describe_update(way),
            column.label,
            kind.noun()
        ));
        let options = self.client.options();
        let mut settings_differ = Vec::new();
        if way != configured {
            settings_differ.push(format!(
                "set `update_method: {}` and `update_body: {}`",
                method_name(way.0),
                body_name(way.1)
            ));
        }
        if cleared.is_empty() {
            self.suggested.update_replaces = Some(false);
            self.suggested.confirmed.insert("update_replaces");
            evidence.push("every other field held its value (a server that accepted the write and ignored it would look the same)".into());
            let status = if settings_differ.is_empty() {
                Status::Ok
            } else {
                Status::Failure
            };
            let mut summary = format!(
                "updates are {}; an update changes only the fields it names (it merges)",
                describe_update(way)
            );
            if !settings_differ.is_empty() {
                summary.push_str(&format!(": {}", settings_differ.join(", ")));
            }
            self.push(Check::new(name, status, summary).saw_all(evidence));
            return;
        }
        if !options.update_replaces {
            settings_differ.push("set `update_replaces: true`".into());
        }
        self.suggested.update_replaces = Some(true);
        self.suggested.confirmed.insert("update_replaces");
        let labels: Vec<String> = cleared
            .iter()
            .map(|(column, _)| format!("`{}`", column.label))
            .collect();
        evidence.push(format!("cleared by it: {}", labels.join(", ")));
        // Put back what the check cleared, at once.
        let mut restore = Map::new();
        let mut lost = Vec::new();
        for (column, value) in &cleared {
            match crate::normalize::write_form(value) {
                Ok(Some(form)) => {
                    restore.insert(column.field.clone(), form);
                }
                Ok(None) | Err(_) => lost.push(format!("`{}`", column.label)),
            }
        }
        restore.insert(column.field.clone(), Value::String(key.to_string()));
        for name in before.fields.keys() {
            if let Some(column) = columns.find(name) {
                if restore.contains_key(&column.field) {
                    continue;
                }
                let value = crate::normalize::observed(column, before.fields.get(name));
                if let Ok(Some(form)) = crate::normalize::write_form(&value) {
                    restore.insert(column.field.clone(), form);
                }
            }
        }
        if cleared.iter().any(|(column, _)| {
            let shown = before.fields.get(&column.field).and_then(Value::as_str);
            column.column_type == ColumnType::Datetime
                && self.dates.formats.iter().any(|format| {
                    format.precision() == dates::Precision::Minute
                        && shown.is_some_and(|text| format.parse_local(text).is_some())
                })
        }) {
            evidence.push(
                "dates are written back to the minute the tenant shows: seconds they held are lost"
                    .into(),
            );
        }
        let restored = self.client.update_as(kind, id, restore.clone(), way).await;
        self.read(
            format!(
                "{} {}{{id}}/",
                method_name(way.0).to_uppercase(),
                object_path(kind)
            ),
            &restored,
        );
        // The write-back is checked against what the tenant showed before, value for value.
        let restored = match restored {
            Ok(()) => {
                self.verify_restore(kind, id, columns, &before, &restore, way, &mut evidence)
                    .await
            }
            Err(error) => Err(format!(
                "writing the cleared fields back failed: {error}; set {} again by hand",
                labels.join(", ")
            )),
        };
        let status = match (&restored, lost.is_empty()) {
            (Ok(()), true) if settings_differ.is_empty() => {
                evidence.push(format!(
                    "the cleared fields were written back to {} {id}",
                    kind.noun()
                ));
                Status::Ok
            }
            (Ok(()), true) => {
                evidence.push(format!(
                    "the cleared fields were written back to {} {id}",
                    kind.noun()
                ));
                Status::Failure
            }
            (Ok(()), false) => {
                evidence.push(format!(
                    "could not be written back: {}; set them again by hand",
                    lost.join(", ")
                ));
                Status::Failure
            }
            (Err(problem), _) => {
                evidence.push(problem.clone());
                Status::Failure
            }
        };
        self.push(
            Check::new(
                name,
                status,
                format!(
                    "updates are {} and replace the object (fields they do not name are cleared){}",
                    describe_update(way),
                    if settings_differ.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", settings_differ.join(", "))
                    }
                ),
            )
            .saw_all(evidence),
        );
    }

    /// Reads the object after a write-back and compares every field with what it showed before.
    /// A date shown shifted (the zone's offset today differs from the one doctor read dates in,
    /// daylight saving time) is written once more, moved back by the shift.
    #[allow(clippy::too_many_arguments)]
    async fn verify_restore(
        &mut self,
        kind: Kind,
        id: u64,
        columns: &Columns,
        before: &RemoteObject,
        restore: &Map<String, Value>,
        way: (UpdateMethod, UpdateBody),
        evidence: &mut Vec<String>,
    ) -> Result<(), String> {
        let format = self.dates.formats.first().copied();
        let mut corrected = false;
        loop {
            let now = self.client.get(kind, id).await.map_err(|error| {
                format!(
                    "reading {} {id} after the write-back failed: {error}",
                    kind.noun()
                )
            })?;
            let differ: Vec<&Column> = columns
                .all()
                .iter()
                .map(|column| column.as_ref())
                .filter(|column| before.fields.get(&column.field) != now.fields.get(&column.field))
                .collect();
            if differ.is_empty() {
                return Ok(());
            }
            // Shifted dates: written again once, moved back by the shift (with every other field
            // written back too, since the update may replace the object). Only a shift a zone can
            // make (within 14 hours) is one: more is a date read in the wrong format.
            let mut again = Map::new();
            let mut shifts = BTreeSet::new();
            let mut unexplained: Vec<&Column> = Vec::new();
            for column in &differ {
                let shift = (|| {
                    let format = format?;
                    let was = format.parse_local(before.fields.get(&column.field)?.as_str()?)?;
                    let is = format.parse_local(now.fields.get(&column.field)?.as_str()?)?;
                    let sent = restore.get(&column.field)?.as_str()?;
                    let sent = DateTime::parse_from_rfc3339(sent).ok()?.with_timezone(&Utc);
                    let shift = is - was;
                    (shift.num_minutes().abs() <= 14 * 60).then_some((sent - shift, shift))
                })();
                match (corrected, &column.column_type, shift) {
                    (false, ColumnType::Datetime, Some((at, shift))) => {
                        again.insert(
                            column.field.clone(),
                            Value::String(crate::normalize::format_instant(&at)),
                        );
                        shifts.insert(shift.num_minutes());
                    }
                    _ => unexplained.push(column),
                }
            }
            if again.is_empty() {
                let described: Vec<String> = unexplained
                    .iter()
                    .map(|column| {
                        if column.column_type == ColumnType::Datetime {
                            format!(
                                "`{}` showed {} and shows {}",
                                column.label,
                                shown(before.fields.get(&column.field)),
                                shown(now.fields.get(&column.field))
                            )
                        } else {
                            format!("`{}`", column.label)
                        }
                    })
                    .collect();
                return Err(format!(
                    "after the write-back, {} differ from before; set them back by hand",
                    described.join(", ")
                ));
            }
            let minutes: Vec<String> = shifts
                .iter()
                .map(|minutes| format!("{minutes} min"))
                .collect();
            evidence.push(format!(
                "dates came back shifted by {}; they were written again, moved back",
                minutes.join(", ")
            ));
            self.suggested.comments.insert(
                "timezone",
                format!(
                    "dates came back shifted by {}: not this zone today; write the tenant's IANA zone name (America/Chicago)",
                    minutes.join(", ")
                ),
            );
            self.push(Check::new(
                "zone",
                Status::Failure,
                format!(
                    "dates written back came back shifted by {}: the zone's offset today is not {}, which dates were read in (daylight saving time, or a zone that changed its offset since 1970): write the zone's IANA name under `timezone`",
                    minutes.join(", "),
                    self.dates.zone
                ),
            ));
            let mut all = restore.clone();
            all.extend(again);
            self.client
                .update_as(kind, id, all, way)
                .await
                .map_err(|error| {
                    format!(
                        "writing the shifted dates again failed: {error}; set them back by hand"
                    )
                })?;
            corrected = true;
        }
    }
}

/// A setting of soarform.yaml that does not fit the catalog: the message, and where and what to
/// do as evidence (the diagnostic's location and help lines).
fn setting_failure(name: &str, error: &crate::error::Error) -> Check {
    let rendered = error.render(false);
    let mut lines = rendered
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty());
    let summary = lines
        .next()
        .map(|line| line.trim_start_matches("error: ").to_string())
        .unwrap_or_default();
    let evidence: Vec<String> = lines
        .filter(|line| {
            line.starts_with("-->") || line.starts_with("= ") || line.starts_with("hint:")
        })
        .map(|line| line.trim_start_matches("= ").to_string())
        .collect();
    Check::new(name, Status::Failure, summary).saw_all(evidence)
}

/// A read value for a message: its JSON, or `(none)`.
fn shown(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(text)) => format!("`{text}`"),
        Some(other) => other.to_string(),
    }
}

/// The fields of `before` that hold a value and are unset in `after`, with their value before.
fn cleared_fields<'c>(
    columns: &'c Columns,
    before: &RemoteObject,
    after: &RemoteObject,
) -> Vec<(&'c Column, crate::normalize::Normalized)> {
    use crate::normalize::{observed, Normalized};
    columns
        .all()
        .iter()
        .filter_map(|column| {
            let was = observed(column, before.fields.get(&column.field));
            let now = observed(column, after.fields.get(&column.field));
            (was != Normalized::Absent && now == Normalized::Absent)
                .then_some((column.as_ref(), was))
        })
        .collect()
}

/// What the date values of a tenant show.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DateInference {
    /// How many values were looked at.
    pub values: usize,
    /// Display formats that read every display value: soarform.yaml's first, then in soarform's
    /// order of formats.
    pub formats: Vec<DisplayFormat>,
    /// Whether the first of `formats` is one soarform.yaml names.
    pub configured: bool,
    /// Whether some values were ISO 8601 or epoch numbers.
    pub iso_or_epoch: usize,
    /// Display values no format reads, nor ISO 8601.
    pub unreadable: Vec<String>,
    /// The offsets that unset dates (epoch 0 in the tenant's zone) reveal, with an example.
    pub offsets: BTreeMap<i64, String>,
    /// Whether the formats that fit read some value as different instants (`03-04` as March or
    /// April).
    pub ambiguous: bool,
}

/// Reads date values as a tenant shows them: which display formats read them all, and which
/// offset epoch 0 appears in (an unset date).
pub(crate) fn infer_dates(values: &[Value], preferred: &[DisplayFormat]) -> DateInference {
    let utc = Zone::utc();
    let mut display = Vec::new();
    let mut iso_or_epoch = 0;
    let mut unreadable = Vec::new();
    for value in values {
        match value {
            Value::Null => {}
            Value::String(text) if text.trim().is_empty() => {}
            Value::String(text)
                if DisplayFormat::all().any(|format| format.parse_local(text.trim()).is_some()) =>
            {
                display.push(text.trim().to_string());
            }
            other => {
                // ISO 8601 and epoch numbers need no format; a display form without one is not
                // read at all.
                let iso = DateSettings {
                    zone: utc,
                    formats: Vec::new(),
                };
                match dates::read(other, &iso) {
                    Ok(_) => iso_or_epoch += 1,
                    Err(_) => unreadable.push(
                        other
                            .as_str()
                            .map_or_else(|| other.to_string(), str::to_string),
                    ),
                }
            }
        }
    }
    let fits = |format: &DisplayFormat| {
        display
            .iter()
            .all(|text| format.parse_local(text).is_some())
    };
    // soarform.yaml's formats first, where they read every value: dates such as `03-04-2026`
    // fit several formats, and then the one configured is the one meant.
    let mut formats: Vec<DisplayFormat> = Vec::new();
    if !display.is_empty() {
        for format in preferred.iter().copied().chain(DisplayFormat::all()) {
            if fits(&format) && !formats.contains(&format) {
                formats.push(format);
            }
        }
    }
    let configured = formats
        .first()
        .is_some_and(|format| preferred.contains(format));
    let ambiguous = display.iter().any(|text| {
        let readings: BTreeSet<_> = formats
            .iter()
            .filter_map(|format| format.parse_local(text))
            .collect();
        readings.len() > 1
    });
    let mut offsets = BTreeMap::new();
    if let Some(format) = formats.first() {
        for text in &display {
            let Some(local) = format.parse_local(text) else {
                continue;
            };
            let seconds = (local.and_utc() - DateTime::UNIX_EPOCH).num_seconds();
            // Epoch 0 shows within a day of 1970-01-01T00:00 in any zone (offsets reach ±14 h).
            if seconds.abs() <= 14 * 3600 && seconds % 900 == 0 {
                offsets.entry(seconds).or_insert_with(|| text.clone());
            }
        }
    }
    DateInference {
        values: values.len(),
        configured,
        formats,
        iso_or_epoch,
        unreadable,
        offsets,
        ambiguous,
    }
}

/// The block's comment on a fixed offset, suggested or kept.
const FIXED_OFFSET_COMMENT: &str = "the offset of January 1970: where the zone keeps daylight saving time or has changed its offset since, write its IANA name (America/Chicago, Asia/Singapore)";

/// `-06:00` for -21600 seconds.
fn offset_text(seconds: i64) -> String {
    if seconds == 0 {
        return "UTC".into();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The offset of a zone at epoch 0, in seconds.
fn offset_at_epoch(zone: &Zone) -> i64 {
    (zone.local(DateTime::<Utc>::UNIX_EPOCH).and_utc() - DateTime::UNIX_EPOCH).num_seconds()
}

type DateSuggestion = (Option<String>, Option<Vec<String>>, Option<String>);

/// The dates check and the `timezone` and `date_formats` it suggests.
fn date_check(
    inferred: &DateInference,
    configured: &DateSettings,
    config: &ProjectConfig,
) -> (Check, Option<DateSuggestion>) {
    let name = "dates";
    if !inferred.unreadable.is_empty() {
        let check =
            Check::new(
                name,
                Status::Failure,
                format!(
                "dates shown in a form soarform does not read: {}; `tenant.date_formats` takes {}",
                inferred.unreadable.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                DisplayFormat::patterns().join(", ")
            ),
            );
        return (check, None);
    }
    let Some(format) = inferred.formats.first() else {
        if inferred.iso_or_epoch > 0 {
            let check = Check::new(
                name,
                Status::Ok,
                "dates are read as ISO 8601 or epoch numbers: no display format or zone is needed for them",
            )
            .saw(format!("{} date value(s) read", inferred.iso_or_epoch));
            return (check, Some((None, None, None)));
        }
        let check = Check::new(
            name,
            Status::Warning,
            "no date value was seen: the format and zone could not be inferred; set `tenant.timezone` and `tenant.date_formats` as the tenant's settings show them",
        );
        return (check, None);
    };
    let mut evidence = vec![format!(
        "{} date value(s) read; the display format(s) reading them all: {}",
        inferred.values,
        inferred
            .formats
            .iter()
            .map(DisplayFormat::pattern)
            .collect::<Vec<_>>()
            .join(", ")
    )];
    let mut status = Status::Ok;
    let mut problems = Vec::new();
    if inferred.ambiguous {
        status = Status::Warning;
        problems.push(if inferred.configured {
            format!(
                "the dates seen fit several formats that read them differently; soarform.yaml's `{}` is used: check it against the tenant's Date/Time Format setting",
                format.pattern()
            )
        } else {
            format!(
                "the dates seen fit several formats that read them differently; `{}` is a guess: check it against the tenant's Date/Time Format setting",
                format.pattern()
            )
        });
    }
    let formats = Some(vec![format.pattern()]);
    if !configured.formats.contains(format) {
        if !config.tenant.date_formats.is_empty() {
            status = Status::Failure;
            problems.push(format!(
                "soarform.yaml reads dates as {}, the tenant shows them as {}",
                configured
                    .formats
                    .iter()
                    .map(DisplayFormat::pattern)
                    .collect::<Vec<_>>()
                    .join(", "),
                format.pattern()
            ));
        } else {
            status = Status::Failure;
            problems.push(format!("set `date_formats: [\"{}\"]`", format.pattern()));
        }
    }
    let configured_offset = offset_at_epoch(&configured.zone);
    let timezone = match inferred.offsets.len() {
        0 => {
            if status == Status::Ok {
                status = Status::Warning;
            }
            problems.push(format!(
                "no unset date was seen, so the zone could not be read from epoch 0: soarform.yaml's {} is kept",
                configured.zone
            ));
            (config.tenant.timezone.clone(), None)
        }
        1 => {
            let (seconds, example) = inferred
                .offsets
                .iter()
                .next()
                .map(|(seconds, example)| (*seconds, example.clone()))
                .unwrap_or_default();
            evidence.push(format!(
                "an unset date shows as `{example}`: epoch 0 at {}",
                offset_text(seconds)
            ));
            if seconds == configured_offset {
                // Keep what the file says (an IANA name follows daylight saving time).
                let kept = config
                    .tenant
                    .timezone
                    .clone()
                    .unwrap_or_else(|| offset_text(seconds));
                if matches!(configured.zone, Zone::Fixed(_)) && seconds != 0 {
                    if status == Status::Ok {
                        status = Status::Warning;
                    }
                    problems.push(format!(
                        "{} is a fixed offset: where the tenant's zone keeps daylight saving time, or has changed its offset since 1970, write its IANA name (America/Chicago) instead",
                        offset_text(seconds)
                    ));
                    (Some(kept), Some(FIXED_OFFSET_COMMENT.to_string()))
                } else {
                    (Some(kept), None)
                }
            } else {
                status = Status::Failure;
                problems.push(format!(
                    "soarform.yaml reads dates in {}, the tenant shows them at {}: set `timezone: \"{}\"`",
                    configured.zone,
                    offset_text(seconds),
                    offset_text(seconds)
                ));
                (
                    Some(offset_text(seconds)),
                    Some(FIXED_OFFSET_COMMENT.to_string()),
                )
            }
        }
        _ => {
            status = Status::Failure;
            problems.push(format!(
                "unset dates show at several offsets ({}): the tenant's zone could not be told",
                inferred
                    .offsets
                    .keys()
                    .map(|seconds| offset_text(*seconds))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            (None, None)
        }
    };
    let precision = if format.precision() == dates::Precision::Minute {
        "to the minute"
    } else {
        "to the second"
    };
    let summary = if problems.is_empty() {
        format!(
            "dates show as `{}` {precision}, in soarform.yaml's zone",
            format.pattern()
        )
    } else {
        format!(
            "dates show as `{}` {precision}: {}",
            format.pattern(),
            problems.join("; ")
        )
    };
    let check = Check::new(name, status, summary).saw_all(evidence);
    (check, Some((timezone.0, formats, timezone.1)))
}

fn other_dialect(dialect: Dialect) -> Dialect {
    match dialect {
        Dialect::V3 => Dialect::Legacy,
        Dialect::Legacy => Dialect::V3,
    }
}

fn other_syntax(syntax: FilterSyntax) -> FilterSyntax {
    match syntax {
        FilterSyntax::ApiNames => FilterSyntax::Labels,
        FilterSyntax::Labels => FilterSyntax::ApiNames,
    }
}

fn syntax_name(syntax: FilterSyntax) -> &'static str {
    match syntax {
        FilterSyntax::ApiNames => "api_names",
        FilterSyntax::Labels => "labels",
    }
}

fn method_name(method: UpdateMethod) -> &'static str {
    match method {
        UpdateMethod::Put => "put",
        UpdateMethod::Patch => "patch",
    }
}

fn body_name(body: UpdateBody) -> &'static str {
    match body {
        UpdateBody::Wrapped => "wrapped",
        UpdateBody::Bare => "bare",
    }
}

fn describe_update((method, body): (UpdateMethod, UpdateBody)) -> String {
    format!(
        "{} with {}",
        method_name(method).to_uppercase(),
        match body {
            UpdateBody::Wrapped => "`{\"fields\": ...}`",
            UpdateBody::Bare => "the fields bare",
        }
    )
}

fn describe_search(syntax: FilterSyntax, all: bool) -> String {
    format!(
        "filters in {} syntax {} \"all\": true",
        syntax_name(syntax),
        if all { "with" } else { "without" }
    )
}

fn search_path(kind: Kind) -> &'static str {
    match kind {
        Kind::Incident => "incidents/search/",
        Kind::TriageItem => "triage/search/",
    }
}

fn object_path(kind: Kind) -> &'static str {
    match kind {
        Kind::Incident => "incidents/",
        Kind::TriageItem => "triage/",
    }
}

fn type_name(column_type: &ColumnType) -> String {
    match column_type {
        ColumnType::Text => "text".into(),
        ColumnType::Textarea => "text area".into(),
        ColumnType::Datetime => "date".into(),
        ColumnType::Select => "list".into(),
        ColumnType::Number => "number".into(),
        ColumnType::MultiSelect => "multi-select list".into(),
        ColumnType::Tags => "tags".into(),
        ColumnType::Checkbox => "checkbox".into(),
        ColumnType::Other(name) => format!("`{name}`"),
    }
}

/// Up to five names and how many more.
fn first_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    let mut shown: Vec<String> = names
        .iter()
        .take(5)
        .map(|name| format!("`{name}`"))
        .collect();
    if names.len() > 5 {
        shown.push(format!("and {} more", names.len() - 5));
    }
    shown.join(", ")
}

/// The first object of a search answer: the array itself or the first array member of an
/// enveloping object.
fn first_object(page: &Value) -> Option<&Value> {
    match page {
        Value::Array(objects) => objects.first(),
        Value::Object(envelope) => envelope
            .values()
            .find_map(|value| value.as_array().and_then(|objects| objects.first())),
        _ => None,
    }
}

/// "at the top level beside `id`, each wrapped as {name, value}" and the like.
fn describe_layout(object: &Value) -> String {
    let Some(map) = object.as_object() else {
        return "in an answer that is not an object".into();
    };
    let (place, fields) = match map.get("fields").and_then(Value::as_object) {
        Some(fields) => ("nested under `fields`", fields),
        None => ("at the top level beside `id`", map),
    };
    let wrapped = fields.values().any(|value| {
        value
            .as_object()
            .is_some_and(|inner| inner.contains_key("value"))
    });
    format!(
        "{place}, {}",
        if wrapped {
            "each wrapped as {\"name\", \"value\"}"
        } else {
            "bare"
        }
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_epoch_zero_of_an_unset_date_reveals_the_offset() {
        // Sumo Logic's `Get Incident` answers, as the evidence file shows them.
        let inferred = infer_dates(
            &[
                json!("09-08-2023 07:15 AM"),
                json!("12-31-1969 06:00 PM"),
                json!(""),
                Value::Null,
            ],
            &[],
        );
        assert_eq!(
            inferred
                .formats
                .first()
                .map(DisplayFormat::pattern)
                .as_deref(),
            Some("MM-DD-YYYY hh:mm A")
        );
        assert!(!inferred.ambiguous);
        assert_eq!(
            inferred.offsets.keys().copied().collect::<Vec<_>>(),
            [-6 * 3600]
        );
        assert_eq!(offset_text(-6 * 3600), "-06:00");
        assert_eq!(offset_text(19800), "+05:30");
        assert_eq!(offset_text(0), "UTC");
    }

    #[test]
    fn day_first_dates_are_told_from_month_first_by_a_day_above_twelve() {
        let clear = infer_dates(&[json!("20/11/2026 09:00"), json!("01/01/1970 05:30")], &[]);
        assert_eq!(
            clear
                .formats
                .iter()
                .map(DisplayFormat::pattern)
                .collect::<Vec<_>>(),
            ["DD/MM/YYYY HH:mm"]
        );
        assert_eq!(clear.offsets.keys().copied().collect::<Vec<_>>(), [19800]);
        let unclear = infer_dates(&[json!("03/04/2026 09:00")], &[]);
        assert!(unclear.ambiguous, "{unclear:?}");
        assert!(unclear.offsets.is_empty());
    }

    #[test]
    fn iso_dates_and_epoch_numbers_need_no_format() {
        let inferred = infer_dates(
            &[json!("2026-11-20T09:00:00.000000Z"), json!(1_700_000_000)],
            &[],
        );
        assert!(inferred.formats.is_empty());
        assert_eq!(inferred.iso_or_epoch, 2);
        let (check, suggested) = date_check(
            &inferred,
            &DateSettings::default(),
            &ProjectConfig::default(),
        );
        assert_eq!(check.status, Status::Ok, "{check:?}");
        assert_eq!(suggested, Some((None, None, None)));
        let unreadable = infer_dates(&[json!("Nov 20, 2026")], &[]);
        let (check, _) = date_check(
            &unreadable,
            &DateSettings::default(),
            &ProjectConfig::default(),
        );
        assert_eq!(check.status, Status::Failure);
        assert!(check.summary.contains("Nov 20, 2026"), "{}", check.summary);
    }

    #[test]
    fn a_configured_zone_with_the_same_offset_is_kept_and_another_is_a_failure() {
        let inferred = infer_dates(
            &[json!("12-31-1969 06:00 PM"), json!("11-20-2026 03:00 AM")],
            &[],
        );
        let mut config = ProjectConfig::default();
        config.tenant.timezone = Some("America/Chicago".into());
        let chicago = DateSettings::new(Some("America/Chicago"), &[]).unwrap();
        let (check, suggested) = date_check(&inferred, &chicago, &config);
        assert_eq!(check.status, Status::Ok, "{check:?}");
        assert_eq!(suggested.unwrap().0.as_deref(), Some("America/Chicago"));
        let (check, suggested) = date_check(
            &inferred,
            &DateSettings::default(),
            &ProjectConfig::default(),
        );
        assert_eq!(check.status, Status::Failure, "{check:?}");
        assert!(
            check.summary.contains("timezone: \"-06:00\""),
            "{}",
            check.summary
        );
        assert_eq!(suggested.unwrap().0.as_deref(), Some("-06:00"));
    }

    #[test]
    fn the_block_is_yaml_the_project_file_reads() {
        let suggested = Suggested {
            timezone: Some("-06:00".into()),
            date_formats: Some(vec!["DD/MM/YYYY HH:mm".into()]),
            page_size: Some(2),
            search_all: Some(true),
            filter_syntax: Some("labels"),
            confirmed: ["timezone", "date_formats", "page_size", "search_all"].into(),
            ..Suggested::default()
        };
        let text = suggested.yaml();
        assert_eq!(
            text,
            "tenant:\n  timezone: \"-06:00\"\n  date_formats: [\"DD/MM/YYYY HH:mm\"]\n  page_size: 2\n  search_all: true\n  filter_syntax: labels\n  # as soarform.yaml has it; not checked by this run\n  # update_method, update_body, update_replaces: not checked; `soarform doctor --write-check KEY` tells\n"
        );
        let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
        assert_eq!(docs[0]["tenant"]["timezone"].as_str(), Some("-06:00"));
        assert_eq!(docs[0]["tenant"]["page_size"].as_i64(), Some(2));
    }

    #[test]
    fn a_block_with_nothing_to_set_is_empty() {
        // `tenant:` with comments only would be null, not a mapping: soarform.yaml would break.
        assert_eq!(Suggested::default().yaml(), "");
    }

    #[test]
    fn layouts_are_described_as_seen() {
        assert_eq!(
            describe_layout(&json!({"id": 1, "status": {"name": "Status", "value": "Open"}})),
            "at the top level beside `id`, each wrapped as {\"name\", \"value\"}"
        );
        assert_eq!(
            describe_layout(&json!({"id": 1, "fields": {"status": "Open"}})),
            "nested under `fields`, bare"
        );
        assert_eq!(
            first_object(&json!({"data": [{"id": 3}]})),
            Some(&json!({"id": 3}))
        );
    }
}
