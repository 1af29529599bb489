//! The one HTTP client soarform talks to Cloud SOAR through: dialect, auth, paging, typed errors.

pub(crate) mod credential;
pub(crate) mod endpoints;
pub(crate) mod error;
pub(crate) mod limiter;
pub(crate) mod paging;
pub(crate) mod retry;
pub(crate) mod target;
pub(crate) mod transport;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::catalog::{Column, Columns, Template};
use crate::dialect::{FilterSyntax, UpdateBody, UpdateMethod};
use crate::kind::Kind;

pub(crate) use crate::remote::RemoteObject;
pub(crate) use credential::{Credential, Secret};
pub(crate) use endpoints::{Endpoints, Operation};
pub(crate) use error::ClientError;
pub(crate) use limiter::{Limiter, DEFAULT_MAX_CONCURRENCY, DEFAULT_REQUESTS_PER_SECOND};
pub(crate) use retry::RetryPolicy;
pub(crate) use target::Target;

use paging::{PageKnowledge, PageVerdict};

/// After this many 500 answers to one request, it is not sent again.
const MAX_500_ATTEMPTS: u32 = 3;

/// The largest answer read, unless `limits.max_response_mb` says otherwise.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// The most objects one search may return before it is taken for a server that never ends its
/// pages, unless `limits.max_search_objects` says otherwise.
pub(crate) const DEFAULT_MAX_SEARCH_OBJECTS: u64 = 1_000_000;
/// How long a create whose answer was lost is searched for before it is sent again, unless
/// `limits.create_settle_seconds` says otherwise.
pub(crate) const DEFAULT_CREATE_SETTLE: Duration = Duration::from_secs(15);
/// How much of an error answer is read: enough for any message, never a flood.
const MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;

/// The largest page the search endpoints accept.
pub(crate) const MAX_PAGE_SIZE: u32 = 500;
/// The page size used when `soarform.yaml` sets none: as large as the API allows, so reading N
/// objects takes about N / 500 searches.
pub(crate) const DEFAULT_PAGE_SIZE: u32 = MAX_PAGE_SIZE;

/// Tunables of the client.
#[derive(Debug, Clone)]
pub(crate) struct ClientOptions {
    /// Objects per search page, 1..=500.
    pub page_size: u32,
    /// How long one request may take.
    pub timeout: Duration,
    /// Most requests started per second (`None`: no rate limit).
    pub requests_per_second: Option<f64>,
    /// Most requests in flight at once.
    pub max_concurrency: usize,
    /// How failed requests are retried.
    pub retry: RetryPolicy,
    /// The largest answer read; a larger one is an error naming the endpoint.
    pub max_response_bytes: u64,
    /// The most objects one search may return.
    pub max_search_objects: u64,
    /// How long a create whose answer was lost is searched for (a server may commit it late)
    /// before it is sent again.
    pub create_settle: Duration,
    /// Whether searches send `"all": true` (`tenant.search_all`).
    pub search_all: bool,
    /// How filters name fields (`tenant.filter_syntax`).
    pub filter_syntax: FilterSyntax,
    /// The method of updates (`tenant.update_method`).
    pub update_method: UpdateMethod,
    /// The body of updates (`tenant.update_body`).
    pub update_body: UpdateBody,
    /// Whether updates replace the object (`tenant.update_replaces`): then every update sends
    /// all the fields the object holds, read just before, with the changes over them.
    pub update_replaces: bool,
}

impl Default for ClientOptions {
    /// Sumo Logic's documented limits, the default page size, two minutes of retries.
    fn default() -> Self {
        ClientOptions {
            page_size: DEFAULT_PAGE_SIZE,
            timeout: Duration::from_secs(60),
            requests_per_second: Some(DEFAULT_REQUESTS_PER_SECOND),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_search_objects: DEFAULT_MAX_SEARCH_OBJECTS,
            create_settle: DEFAULT_CREATE_SETTLE,
            search_all: true,
            filter_syntax: FilterSyntax::default(),
            update_method: UpdateMethod::default(),
            update_body: UpdateBody::default(),
            update_replaces: false,
        }
    }
}

/// A connection to one Cloud SOAR tenant.
pub(crate) struct Client {
    http: reqwest::Client,
    target: Target,
    credential: Credential,
    endpoints: Endpoints,
    options: ClientOptions,
    limiter: Limiter,
    requests: AtomicU64,
    retries: AtomicU64,
    /// What each search endpoint's pages were found to hold (incidents, triage items).
    paging: [PageKnowledge; 2],
    /// Operations whose first retry was already reported without `-v`.
    retry_reported: Mutex<HashSet<Operation>>,
    /// The identity field of each kind, for the discovery search of [`paging`].
    identity_fields: Mutex<[Option<String>; 2]>,
    /// The label of each field, per kind, from the column lists read.
    labels: Mutex<[BTreeMap<String, String>; 2]>,
    /// The session's columns, per kind, to write back what a replacing update would clear.
    catalog: Mutex<[Columns; 2]>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("target", &self.target)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client; nothing is sent until the first request.
    pub(crate) fn new(
        target: Target,
        credential: Credential,
        endpoints: Endpoints,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .user_agent(concat!("soarform/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            // A 301 means the region or host is wrong; following it would turn a POST into a GET.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .build()
            .map_err(|error| ClientError::Transport {
                operation: Operation::IncidentTemplates,
                url: target.base_url().to_string(),
                message: error.to_string(),
            })?;
        let limiter = Limiter::new(options.requests_per_second, options.max_concurrency);
        // From here on, no output can show the credential, whatever a server echoes.
        for secret in credential.secrets() {
            crate::scrub::register_credential(&secret);
        }
        Ok(Client {
            http,
            target,
            credential,
            endpoints,
            options,
            limiter,
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            paging: Default::default(),
            retry_reported: Mutex::new(HashSet::new()),
            identity_fields: Mutex::new([None, None]),
            labels: Mutex::new([BTreeMap::new(), BTreeMap::new()]),
            catalog: Mutex::new([Columns::default(), Columns::default()]),
        })
    }

    /// Where this client sends requests.
    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    /// How many HTTP requests this client has sent (retries included).
    pub(crate) fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// How many of those were retries.
    pub(crate) fn retry_count(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// The client's tunables.
    pub(crate) fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// `GET incident_templates/`.
    pub(crate) async fn templates(&self) -> Result<Vec<Template>, ClientError> {
        let body = self
            .send(Operation::IncidentTemplates, Method::GET, None, None)
            .await?;
        decode(Operation::IncidentTemplates, &body)
    }

    /// `GET incidents/columns/` or `GET triage/columns/`. The labels are kept, for filters in
    /// label syntax.
    pub(crate) async fn columns(&self, kind: Kind) -> Result<Vec<Column>, ClientError> {
        let operation = Operation::columns(kind);
        let body = self.send(operation, Method::GET, None, None).await?;
        let columns: Vec<Column> = decode(operation, &body)?;
        if let Ok(mut labels) = self.labels.lock() {
            labels[usize::from(kind == Kind::TriageItem)] = columns
                .iter()
                .map(|column| (column.field.clone(), column.label.clone()))
                .collect();
        }
        Ok(columns)
    }

    /// Tells the client the session's columns (with how the tenant shows dates), for updates
    /// that replace the object.
    pub(crate) fn learn_columns(&self, kind: Kind, columns: &Columns) {
        if let Ok(mut catalog) = self.catalog.lock() {
            catalog[usize::from(kind == Kind::TriageItem)] = columns.clone();
        }
    }

    /// `fields` over every field object `id` holds now, in request form, for a tenant whose
    /// updates replace the object. A field soarform cannot write back as read (an option the
    /// catalog does not list) stops the update rather than being lost.
    async fn with_current_fields(
        &self,
        kind: Kind,
        id: u64,
        changes: Map<String, Value>,
    ) -> Result<Map<String, Value>, ClientError> {
        let current = self.get(kind, id).await?;
        let columns = self
            .catalog
            .lock()
            .map(|catalog| catalog[usize::from(kind == Kind::TriageItem)].clone())
            .unwrap_or_default();
        let mut fields = Map::new();
        for name in current.fields.keys() {
            let Some(column) = columns.all().iter().find(|column| column.field == *name) else {
                continue; // server-set: not a column, never written
            };
            if changes.contains_key(name) {
                continue;
            }
            let value = crate::normalize::observed(column, current.fields.get(name));
            let form = crate::normalize::write_form(&value).map_err(|problem| {
                ClientError::InvalidResponse {
                    operation: Operation::update(kind),
                    message: format!(
                        "cannot send `{}` back unchanged to an update that replaces the object: {problem}",
                        column.label
                    ),
                }
            })?;
            if let Some(form) = form {
                fields.insert(name.clone(), form);
            }
        }
        fields.extend(changes);
        Ok(fields)
    }

    /// A filter matching objects of `kind` whose `field` (an API name) holds one of `values`
    /// exactly or, with `prefix`, starts with one, in the tenant's filter syntax.
    pub(crate) fn filter(&self, kind: Kind, field: &str, values: &[&str], prefix: bool) -> String {
        let label = self
            .labels
            .lock()
            .ok()
            .and_then(|labels| {
                labels[usize::from(kind == Kind::TriageItem)]
                    .get(field)
                    .cloned()
            })
            .unwrap_or_else(|| field.to_string());
        self.options
            .filter_syntax
            .filter(field, &label, values, prefix)
    }

    /// The page size searches of `kind` use: the configured one, or the server's cap once found.
    pub(crate) fn page_size(&self, kind: Kind) -> u32 {
        self.paging_of(kind)
            .page_size(self.options.page_size.clamp(1, MAX_PAGE_SIZE))
    }

    fn paging_of(&self, kind: Kind) -> &PageKnowledge {
        &self.paging[usize::from(kind == Kind::TriageItem)]
    }

    /// Runs a search and reads every page, each object once.
    ///
    /// A short page ends the search only when the server has shown it would have filled it (see
    /// [`paging`]); an object seen on an earlier page is not counted twice (pages shift when
    /// objects are created meanwhile). A page that repeats the previous one, a full page with no
    /// new object, or more objects than `max_search_objects` is an error: such a server would
    /// otherwise be read forever.
    pub(crate) async fn search(
        &self,
        kind: Kind,
        filter: &str,
        columns: &[String],
    ) -> Result<Vec<RemoteObject>, ClientError> {
        let operation = Operation::search(kind);
        let paging = self.paging_of(kind);
        let mut page_size = self.page_size(kind);
        let mut found = Vec::new();
        let mut seen: HashSet<u64> = HashSet::new();
        let mut previous: Vec<u64> = Vec::new();
        let mut received: u64 = 0;
        // Set while reading on in pages of the size a possibly capping server answered.
        let mut probing = false;
        let mut probe_turn = None;
        let mut page_number: u64 = 1;
        loop {
            let mut request = json!({
                "page_number": page_number,
                "page_size": page_size,
                "filter": filter,
            });
            if !columns.is_empty() {
                request["columns"] = json!(columns);
            }
            if self.options.search_all {
                // Sumo Logic's scripts send it: without it a search may cover only the incidents
                // the caller takes part in.
                request["all"] = json!(true);
            }
            let body = self
                .send(operation, Method::POST, None, Some(&request))
                .await?;
            // Straight from the bytes into objects, the body dropped as soon as they are made.
            let crate::remote::Page(objects) = decode(operation, &body)?;
            drop(body);
            let ids: Vec<u64> = objects.iter().map(|object| object.id).collect();
            let count = objects.len();
            received += count as u64;
            if count > 0 && ids == previous {
                return Err(ClientError::EndlessSearch {
                    operation,
                    message: format!("page {page_number} repeats page {} object for object; the server may ignore `page_number`", page_number - 1),
                });
            }
            let mut fresh = 0;
            for object in objects {
                if seen.insert(object.id) {
                    found.push(object);
                    fresh += 1;
                }
            }
            if count >= page_size as usize && fresh == 0 {
                return Err(ClientError::EndlessSearch {
                    operation,
                    message: format!(
                        "every object of the full page {page_number} was on an earlier page"
                    ),
                });
            }
            if received > self.options.max_search_objects {
                return Err(ClientError::EndlessSearch {
                    operation,
                    message: format!(
                        "it returned more than {} objects (`limits.max_search_objects`)",
                        self.options.max_search_objects
                    ),
                });
            }
            if probing {
                // The page after the ambiguous one is read: let the next search have its turn.
                drop(probe_turn.take());
            }
            if probing && fresh > 0 {
                // The page after a short one held new objects: the server caps pages at this
                // size. (Nothing new, or nothing at all: this answer was complete.)
                paging.set_cap(page_size);
                tracing::info!(
                    "{operation}: the server answers at most {page_size} objects per page; searches use pages of {page_size}"
                );
                probing = false;
            }
            match paging.record(page_size, count) {
                PageVerdict::Full => {}
                PageVerdict::Last => break,
                PageVerdict::MaybeCapped if page_number == 1 => {
                    let turn = paging.probe_turn().await;
                    if paging.discovering() {
                        self.discover_page_size(kind, page_size).await;
                    }
                    match paging.reconsider(count) {
                        PageVerdict::Last => break,
                        PageVerdict::Full => {
                            // Another search found the cap to be this page's size.
                            page_size = u32::try_from(count).unwrap_or(u32::MAX);
                        }
                        PageVerdict::MaybeCapped => {
                            // Page 2 in pages of `count` starts right after this one, whether
                            // the server offsets pages by the size asked or by the size answered.
                            tracing::debug!(
                                "{operation}: asked for {page_size} objects, got {count}: reading on in pages of {count} in case the server caps pages"
                            );
                            page_size = u32::try_from(count).unwrap_or(u32::MAX);
                            probing = true;
                            probe_turn = Some(turn);
                        }
                    }
                }
                // After full pages of this size, the server has shown it honours it.
                PageVerdict::MaybeCapped => break,
            }
            previous = ids;
            page_number += 1;
        }
        Ok(found)
    }

    /// Tells the client which field holds keys for `kind`, for the discovery search of
    /// [`paging`] (`field:"*"`: every object that carries a key).
    pub(crate) fn set_identity_field(&self, kind: Kind, field: &str) {
        if let Ok(mut fields) = self.identity_fields.lock() {
            fields[usize::from(kind == Kind::TriageItem)] = Some(field.to_string());
        }
    }

    /// The discovery search, made once per run at the first ambiguous page: one page of
    /// `page_size` of every object carrying a key, reading only the identity field. On a tenant
    /// holding more objects than the ambiguous page, it shows that the server puts more than that
    /// in a page, which settles every tie of the run; otherwise the caller reads on as usual. A
    /// failure (a tenant whose filter syntax differs, say) only means no discovery.
    async fn discover_page_size(&self, kind: Kind, page_size: u32) {
        let field = self
            .identity_fields
            .lock()
            .ok()
            .and_then(|fields| fields[usize::from(kind == Kind::TriageItem)].clone());
        let Some(field) = field else {
            return;
        };
        let operation = Operation::search(kind);
        let mut request = json!({
            "page_number": 1,
            "page_size": page_size,
            "filter": self.filter(kind, &field, &[""], true),
            "columns": [field],
        });
        if self.options.search_all {
            request["all"] = json!(true);
        }
        match self
            .send(operation, Method::POST, None, Some(&request))
            .await
        {
            Ok(body) => match decode::<crate::remote::Count>(operation, &body) {
                Ok(crate::remote::Count(Some(count))) => {
                    self.paging_of(kind).record(page_size, count);
                    tracing::debug!(
                        "{operation}: a page of every object carrying a key held {count} of {page_size}"
                    );
                }
                Ok(crate::remote::Count(None)) => {}
                Err(error) => tracing::debug!("{operation}: the discovery search failed: {error}"),
            },
            Err(error) => tracing::debug!("{operation}: the discovery search failed: {error}"),
        }
    }

    /// One search page as the server answered it, for `soarform doctor` to see its shape:
    /// `filter` as given, `all` only when `search_all`, no retries beyond [`send`](Self::send)'s.
    pub(crate) async fn search_page_raw(
        &self,
        kind: Kind,
        filter: &str,
        columns: &[String],
        (page_number, page_size): (u64, u32),
        search_all: bool,
    ) -> Result<Value, ClientError> {
        let operation = Operation::search(kind);
        let mut request = json!({
            "page_number": page_number,
            "page_size": page_size,
            "filter": filter,
        });
        if !columns.is_empty() {
            request["columns"] = json!(columns);
        }
        if search_all {
            request["all"] = json!(true);
        }
        let body = self
            .send(operation, Method::POST, None, Some(&request))
            .await?;
        decode(operation, &body)
    }

    /// `GET incidents/{id}/` or `GET triage/{id}/` as the server answered it.
    pub(crate) async fn get_raw(&self, kind: Kind, id: u64) -> Result<Value, ClientError> {
        self.read_one(kind, id).await
    }

    /// An update with exactly `fields`, by `method` with `body`, whatever the options say (for
    /// `soarform doctor --write-check`, which finds out which the tenant takes).
    pub(crate) async fn update_as(
        &self,
        kind: Kind,
        id: u64,
        fields: Map<String, Value>,
        (method, body): (UpdateMethod, UpdateBody),
    ) -> Result<(), ClientError> {
        let (method, request) = update_request(fields, (method, body));
        self.send(Operation::update(kind), method, Some(id), Some(&request))
            .await
            .map(drop)
    }

    /// The credential, described without revealing it.
    pub(crate) fn credential_description(&self) -> String {
        self.credential.describe()
    }

    /// `GET incidents/{id}/` or `GET triage/{id}/`.
    pub(crate) async fn get(&self, kind: Kind, id: u64) -> Result<RemoteObject, ClientError> {
        self.read_one(kind, id).await
    }

    async fn read_one<T: serde::de::DeserializeOwned>(
        &self,
        kind: Kind,
        id: u64,
    ) -> Result<T, ClientError> {
        let operation = Operation::get(kind);
        let body = self.send(operation, Method::GET, Some(id), None).await?;
        decode(operation, &body)
    }

    /// `POST incidents/` (with a template) or `POST triage/`.
    pub(crate) async fn create(
        &self,
        kind: Kind,
        template_id: Option<u64>,
        fields: Map<String, Value>,
    ) -> Result<RemoteObject, ClientError> {
        let operation = Operation::create(kind);
        let mut request = Map::new();
        if let Some(template_id) = template_id {
            request.insert("template_id".into(), json!(template_id));
        }
        request.insert("fields".into(), Value::Object(fields));
        let body = self
            .send(operation, Method::POST, None, Some(&Value::Object(request)))
            .await?;
        decode(operation, &body)
    }

    /// `PUT incidents/{id}/` or `PUT triage/{id}/` with only the given fields, as `{"fields"}`;
    /// `tenant.update_method` and `tenant.update_body` may make it a PATCH or the body bare.
    pub(crate) async fn update(
        &self,
        kind: Kind,
        id: u64,
        fields: Map<String, Value>,
    ) -> Result<RemoteObject, ClientError> {
        self.write_existing(Operation::update(kind), kind, id, fields)
            .await
    }

    /// A close (`- close`, `- retire duplicate`): the update of its fields (status, closing
    /// note...), sent to `paths.close_incident` / `paths.close_triage` when soarform.yaml names
    /// one, else to the update's path.
    pub(crate) async fn close(
        &self,
        kind: Kind,
        id: u64,
        fields: Map<String, Value>,
    ) -> Result<RemoteObject, ClientError> {
        self.write_existing(Operation::close(kind), kind, id, fields)
            .await
    }

    async fn write_existing(
        &self,
        operation: Operation,
        kind: Kind,
        id: u64,
        fields: Map<String, Value>,
    ) -> Result<RemoteObject, ClientError> {
        let fields = if self.options.update_replaces {
            self.with_current_fields(kind, id, fields).await?
        } else {
            fields
        };
        let (method, request) = update_request(
            fields,
            (self.options.update_method, self.options.update_body),
        );
        let body = self
            .send(operation, method, Some(id), Some(&request))
            .await?;
        decode(operation, &body)
    }

    /// Sends a request, retrying what may be retried (see [`retry`]), and turns every non-2xx
    /// answer into a typed error; a 2xx answer's body is returned as read (at most
    /// `max_response_bytes`), for [`decode`]. The first retry of each operation is reported on
    /// stderr without `-v`, so that a slow or failing tenant never leaves a run silent.
    async fn send(
        &self,
        operation: Operation,
        method: Method,
        id: Option<u64>,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, ClientError> {
        let first = Instant::now();
        let policy = &self.options.retry;
        let mut attempt = 0u32;
        let mut answered_500 = 0u32;
        // Throttled attempts were refused before any work: they count against time, not attempts.
        let mut failed_attempts = 0u32;
        loop {
            attempt += 1;
            let failure = match self.send_once(operation, &method, id, body).await {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            let Failed {
                error,
                retryable,
                retry_after,
                throttled,
            } = failure;
            if !retryable {
                return Err(error);
            }
            let status = error.status();
            // A 500 is usually passing, but may be a bug that no retry fixes: try it a few times only.
            let limit = if status == Some(500) {
                answered_500 += 1;
                MAX_500_ATTEMPTS
            } else {
                policy.max_attempts
            };
            if !throttled {
                failed_attempts += 1;
            }
            let count = if status == Some(500) {
                answered_500
            } else {
                failed_attempts
            };
            let gave_up = |error: ClientError| ClientError::GaveUp {
                operation,
                attempts: attempt,
                seconds: first.elapsed().as_secs(),
                last: Box::new(error),
            };
            if count >= limit {
                return Err(gave_up(error));
            }
            let delay = policy.delay(attempt, retry_after);
            if !policy.allows(first.elapsed(), delay) {
                return Err(if attempt == 1 { error } else { gave_up(error) });
            }
            if throttled {
                // The server asked this client to slow down: every request waits, not just this one.
                self.limiter.pause(delay).await;
            }
            let what = error.short_reason();
            let of = if throttled {
                format!("attempt {}; the server asks to slow down", attempt + 1)
            } else {
                format!("attempt {} of {limit}", count + 1)
            };
            let first_time = self
                .retry_reported
                .lock()
                .map(|mut reported| reported.insert(operation))
                .unwrap_or(false);
            if first_time {
                eprintln!(
                    "warning: retrying {operation}: {} ({of})",
                    crate::safe_text::one_line(&crate::scrub::server_text(&what))
                );
            }
            tracing::debug!(
                "{method} {operation}: {error}; retrying in {} ms (attempt {})",
                delay.as_millis(),
                attempt + 1
            );
            self.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt, within the limiter.
    async fn send_once(
        &self,
        operation: Operation,
        method: &Method,
        id: Option<u64>,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, Failed> {
        let final_error = |error| Failed {
            error,
            retryable: false,
            retry_after: None,
            throttled: false,
        };
        let path = self.endpoints.path(operation, id);
        let url = self.target.base_url().join(&path).map_err(|error| {
            final_error(ClientError::InvalidResponse {
                operation,
                message: format!("cannot build a URL from path `{path}`: {error}"),
            })
        })?;
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, self.credential.header_value());
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let _slot = self.limiter.acquire().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        // A failure before anything was sent may be retried (unless waiting cannot fix it); after,
        // a create's outcome is unknown and must be settled by the caller, never by sending it
        // again.
        let lost = |error: &reqwest::Error, sent: bool| {
            let cause = transport::classify(error);
            let message = transport::describe(error);
            if let Some(reason) = cause.permanent(&url) {
                return final_error(ClientError::Unreachable {
                    operation,
                    url: url.to_string(),
                    reason,
                    message,
                });
            }
            if sent && operation.is_create() {
                final_error(ClientError::OutcomeUnknown { operation, message })
            } else {
                Failed {
                    error: ClientError::Transport {
                        operation,
                        url: url.to_string(),
                        message,
                    },
                    retryable: true,
                    retry_after: None,
                    throttled: false,
                }
            }
        };
        let mut response = request
            .send()
            .await
            .map_err(|error| lost(&error, !error.is_connect()))?;
        let status = response.status();
        tracing::debug!(
            "{method} {} -> {} in {} ms",
            url.path(),
            status.as_u16(),
            started.elapsed().as_millis()
        );
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| retry::parse_retry_after(value, chrono::Utc::now()));
        if status.is_success() {
            let limit = self.options.max_response_bytes;
            let bytes = match read_body(&mut response, limit).await {
                Ok(Body::Complete(bytes)) => bytes,
                Ok(Body::TooLarge) => {
                    let error = ClientError::TooLarge {
                        operation,
                        url: url.to_string(),
                        limit,
                    };
                    // The write was made; only its answer is unreadable.
                    return Err(final_error(if operation.is_create() {
                        ClientError::OutcomeUnknown {
                            operation,
                            message: error.to_string(),
                        }
                    } else {
                        error
                    }));
                }
                Err(error) => return Err(lost(&error, true)),
            };
            return Ok(bytes);
        }
        // An error answer only needs its message: read the start of it, never a flood.
        let text = match read_body(&mut response, MAX_ERROR_BODY_BYTES).await {
            Ok(Body::Complete(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(Body::TooLarge) => String::new(),
            Err(error) => return Err(lost(&error, true)),
        };
        let error = self.error_for(operation, status, id, &url, location, &text);
        Err(match status.as_u16() {
            // Rejected before processing: safe to send again, creates included.
            429 => Failed {
                error,
                retryable: true,
                retry_after,
                throttled: true,
            },
            // A server or gateway error may come after the write was committed.
            500 | 502..=504 if operation.is_create() => final_error(ClientError::OutcomeUnknown {
                operation,
                message: error.to_string(),
            }),
            500 | 502..=504 => Failed {
                error,
                retryable: true,
                retry_after,
                throttled: false,
            },
            _ => final_error(error),
        })
    }

    fn error_for(
        &self,
        operation: Operation,
        status: StatusCode,
        id: Option<u64>,
        url: &url::Url,
        location: Option<String>,
        body: &str,
    ) -> ClientError {
        let message = server_message(status, body);
        match status.as_u16() {
            301 | 302 | 303 | 307 | 308 => ClientError::Moved {
                status: status.as_u16(),
                url: url.to_string(),
                location,
            },
            401 => ClientError::Unauthorized {
                operation,
                credential: self.credential.describe(),
                message,
            },
            403 => ClientError::Forbidden {
                operation,
                credential: self.credential.describe(),
                message,
            },
            404 => match id {
                Some(id) if operation.addresses_one_object() => ClientError::ObjectNotFound {
                    operation,
                    noun: match operation {
                        Operation::GetTriage | Operation::UpdateTriage | Operation::CloseTriage => {
                            "triage item"
                        }
                        _ => "incident",
                    },
                    id,
                },
                _ => ClientError::BasePathNotFound {
                    url: url.to_string(),
                    dialect: self.target.dialect,
                    base_path: self.target.dialect.base_path(),
                },
            },
            code => ClientError::Status {
                operation,
                status: code,
                message,
            },
        }
    }
}

/// A failed attempt and whether it may be repeated.
struct Failed {
    error: ClientError,
    retryable: bool,
    retry_after: Option<Duration>,
    throttled: bool,
}

/// The method and body of an update of `fields`: PUT or PATCH, `{"fields": ...}` or bare.
fn update_request(
    fields: Map<String, Value>,
    (method, body): (UpdateMethod, UpdateBody),
) -> (Method, Value) {
    let request = match body {
        UpdateBody::Wrapped => json!({ "fields": fields }),
        UpdateBody::Bare => Value::Object(fields),
    };
    let method = match method {
        UpdateMethod::Put => Method::PUT,
        UpdateMethod::Patch => Method::PATCH,
    };
    (method, request)
}

/// A 2xx answer's body as `T`, read straight from its bytes; an empty body reads as `null`.
fn decode<T: serde::de::DeserializeOwned>(
    operation: Operation,
    body: &[u8],
) -> Result<T, ClientError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|error| ClientError::InvalidResponse {
        operation,
        message: if error.is_data() {
            error.to_string()
        } else {
            format!("the body is not JSON ({error})")
        },
    })
}

/// The most characters of a server's message kept, after scrubbing.
const MAX_MESSAGE_CHARS: usize = 2000;

/// The server's own words from either error shape of the profile, else the status text;
/// scrubbed of every registered secret before anything is cut, so that no part of one is kept.
fn server_message(status: StatusCode, body: &str) -> String {
    let message = unscrubbed_message(status, body);
    let scrubbed = crate::scrub::server_text(&message);
    match scrubbed.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &scrubbed[..end]),
        None => scrubbed,
    }
}

fn unscrubbed_message(status: StatusCode, body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|value| value.get(name))
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    };
    // Application errors: {"error", "description"}; gateway errors: {"status", "id", "code", "message"}.
    if let Some(description) = field("description") {
        return match field("error") {
            Some(error) if error != description => format!("{error}: {description}"),
            _ => description,
        };
    }
    if let Some(message) = field("message") {
        return match field("code") {
            Some(code) => format!("{message} ({code})"),
            None => message,
        };
    }
    if let Some(error) = field("error") {
        return error;
    }
    let reason = status.canonical_reason().unwrap_or("error").to_string();
    // Scrubbed whole first: a cut could keep half a secret, which no scrubber recognises.
    let scrubbed = crate::scrub::server_text(body.trim());
    let snippet: String = scrubbed.chars().take(200).collect();
    if snippet.is_empty() || snippet.starts_with('<') {
        reason
    } else {
        format!("{reason}: {snippet}")
    }
}

/// An answer's body, read up to a limit.
enum Body {
    /// The whole body.
    Complete(Vec<u8>),
    /// The body is larger than the limit; reading stopped there.
    TooLarge,
}

/// Reads the body chunk by chunk, stopping as soon as it would pass `limit` bytes, so that memory
/// is bounded by the limit and not by what the server sends.
async fn read_body(response: &mut reqwest::Response, limit: u64) -> Result<Body, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        return Ok(Body::TooLarge);
    }
    let capacity = response.content_length().unwrap_or(0).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() as u64 + chunk.len() as u64 > limit {
            return Ok(Body::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body::Complete(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_from_both_error_shapes() {
        assert_eq!(
            server_message(
                StatusCode::BAD_REQUEST,
                r#"{"error": "Bad Request", "description": "field `status` expects an option id"}"#
            ),
            "Bad Request: field `status` expects an option id"
        );
        assert_eq!(
            server_message(
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"status": 429, "id": "X1", "code": "rate.limit.exceeded", "message": "Rate limit exceeded"}"#
            ),
            "Rate limit exceeded (rate.limit.exceeded)"
        );
        assert_eq!(
            server_message(StatusCode::BAD_GATEWAY, "<html>oops</html>"),
            "Bad Gateway"
        );
    }
}
