//! The endpoints of the API profile, on both base paths, and their handlers.

use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{Map, Value};

use super::auth::Caller;
use super::catalog::{self, INCIDENT_TEMPLATES};
use super::error::ApiError;
use super::filter::Filter;
use super::state::SimState;
use super::store::{describe, parse_field_changes, FieldValue};
use crate::kind::Kind;

/// The base paths served, with leading and trailing slash.
pub(crate) const BASE_PATHS: [&str; 2] = ["/api/csoar/v3/", "/incmansuite_ng/api/v3/"];

/// The largest request body read.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// `page_size` when a search does not give one.
const DEFAULT_PAGE_SIZE: u64 = 100;
/// The largest `page_size` accepted.
const MAX_PAGE_SIZE: u64 = 500;
/// Names that may appear in search `columns` although they are not fields: they always appear.
const ALWAYS_PRESENT: [&str; 5] = [
    "id",
    "template",
    "created_by",
    "creation_date",
    "modified_date",
];

type SimRouter = Router<Arc<SimState>>;

/// Every endpoint on both base paths; anything else is a 404, a known path with another method
/// a 405 with `Allow`.
pub(crate) fn router() -> SimRouter {
    let mut router = Router::new();
    for base in BASE_PATHS {
        router = router.route(
            &format!("{base}incident_templates/"),
            allow(get(templates), "GET, HEAD"),
        );
        for kind in Kind::ALL {
            router = kind_routes(router, base, kind);
        }
    }
    router.fallback(unknown_endpoint)
}

/// The collection path segment of `kind`.
fn collection(kind: Kind) -> &'static str {
    match kind {
        Kind::Incident => "incidents",
        Kind::TriageItem => "triage",
    }
}

fn kind_routes(router: SimRouter, base: &str, kind: Kind) -> SimRouter {
    let prefix = format!("{base}{}/", collection(kind));
    router
        .route(
            &format!("{prefix}columns/"),
            allow(
                get(move |State(state): State<Arc<SimState>>| columns(kind, state)),
                "GET, HEAD",
            ),
        )
        .route(
            &format!("{prefix}search/"),
            allow(
                post(move |state: State<Arc<SimState>>, request: Request| {
                    search(kind, state, request)
                }),
                "POST",
            ),
        )
        .route(
            &prefix,
            allow(
                post(move |state: State<Arc<SimState>>, request: Request| {
                    create(kind, state, request)
                }),
                "POST",
            ),
        )
        .route(
            &format!("{prefix}{{id}}/"),
            allow(
                get(move |state: State<Arc<SimState>>, id: Path<String>| read(kind, state, id))
                    .put(
                        move |state: State<Arc<SimState>>, id: Path<String>, request: Request| {
                            update(kind, state, id, request)
                        },
                    )
                    .patch(
                        move |state: State<Arc<SimState>>, id: Path<String>, request: Request| {
                            update(kind, state, id, request)
                        },
                    ),
                "GET, HEAD, PUT",
            ),
        )
}

/// Answers methods the endpoint does not serve with 405 and `Allow: allowed`.
fn allow(
    method_router: MethodRouter<Arc<SimState>>,
    allowed: &'static str,
) -> MethodRouter<Arc<SimState>> {
    method_router.fallback(move |method: Method, uri: Uri| async move {
        ApiError::method_not_allowed(method.as_str(), uri.path(), allowed)
    })
}

async fn unknown_endpoint(method: Method, uri: Uri) -> ApiError {
    let path = uri.path();
    let hint = if !BASE_PATHS.iter().any(|base| path.starts_with(base)) {
        format!(
            " (endpoints are under `{}` or `{}`)",
            BASE_PATHS[0], BASE_PATHS[1]
        )
    } else if !path.ends_with('/') {
        " (endpoint paths end with `/`)".to_string()
    } else {
        String::new()
    };
    ApiError::not_found(format!("no endpoint `{method} {path}`{hint}"))
}

async fn templates() -> Json<Value> {
    Json(
        INCIDENT_TEMPLATES
            .iter()
            .map(|(id, name)| serde_json::json!({"id": id, "name": name}))
            .collect(),
    )
}

async fn columns(kind: Kind, state: Arc<SimState>) -> Json<Value> {
    Json(
        catalog::columns(kind)
            .iter()
            .map(|column| {
                if state.quirks.ui_type_names {
                    column.to_json_ui()
                } else {
                    column.to_json()
                }
            })
            .collect(),
    )
}

/// The id in a path; anything but a number names no object.
fn object_id(kind: Kind, id: &str) -> Result<u64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found(format!("no {} with id `{id}`", kind.noun())))
}

fn no_such_object(kind: Kind, id: u64) -> ApiError {
    ApiError::not_found(format!("no {} with id {id}", kind.noun()))
}

async fn read(
    kind: Kind,
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = object_id(kind, &id)?;
    state
        .read(|store| {
            store
                .get(kind, id)
                .map(|object| object.render(kind, None, &state.shape))
        })
        .map(Json)
        .ok_or_else(|| no_such_object(kind, id))
}

async fn create(
    kind: Kind,
    State(state): State<Arc<SimState>>,
    request: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_writable(&state, kind)?;
    let created_by = request
        .extensions()
        .get::<Caller>()
        .map_or_else(|| "api".to_string(), |caller| caller.created_by.clone());
    let body = read_json_object(request).await?;
    let template_id = match kind {
        Kind::Incident => {
            reject_unknown_keys(&body, &["template_id", "fields"])?;
            Some(template_id(&body)?)
        }
        Kind::TriageItem => {
            reject_unknown_keys(&body, &["fields"])?;
            None
        }
    };
    let mut changes = parse_field_changes(kind, fields(&body)?).map_err(ApiError::bad_request)?;
    if let (Kind::Incident, Some(suffix)) = (kind, &state.quirks.identity_suffix) {
        for (field, value) in &mut changes {
            if let (&"incidentid", Some(FieldValue::Text(text))) = (&*field, value) {
                text.push_str(suffix);
            }
        }
    }
    let object = state.write(|store| {
        let id = store.create(kind, template_id, changes, &created_by, Utc::now());
        store
            .get(kind, id)
            .map(|object| {
                if state.quirks.bare_create_answers {
                    serde_json::json!({ "id": id })
                } else {
                    object.render(kind, None, &state.shape)
                }
            })
            .ok_or_else(|| no_such_object(kind, id))
    })?;
    Ok((StatusCode::CREATED, Json(object)))
}

async fn update(
    kind: Kind,
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    // PUT with `{"fields"}` (the profile), or PATCH with the fields bare (`patch_updates`).
    let patch = state.quirks.patch_updates;
    if (request.method() == Method::PATCH) != patch {
        return Err(ApiError::method_not_allowed(
            request.method().as_str(),
            request.uri().path(),
            if patch {
                "GET, HEAD, PATCH"
            } else {
                "GET, HEAD, PUT"
            },
        ));
    }
    let id = object_id(kind, &id)?;
    if state.read(|store| store.get(kind, id).is_none()) {
        return Err(no_such_object(kind, id));
    }
    check_writable(&state, kind)?;
    let body = read_json_object(request).await?;
    let changes = if patch {
        parse_field_changes(kind, &body)
    } else {
        reject_unknown_keys(&body, &["fields"])?;
        parse_field_changes(kind, fields(&body)?)
    }
    .map_err(ApiError::bad_request)?;
    let mut changes = changes;
    if state.quirks.replacing_updates {
        // Every field the update does not name is cleared.
        let held: Vec<String> = state.read(|store| {
            store
                .get(kind, id)
                .map(|object| object.fields.keys().cloned().collect())
                .unwrap_or_default()
        });
        for column in catalog::columns(kind) {
            let named = changes.iter().any(|(field, _)| *field == column.field);
            if !named && held.iter().any(|field| field == column.field) {
                changes.push((column.field, None));
            }
        }
    }
    let object = state.write(|store| {
        if !store.update(kind, id, changes, Utc::now()) {
            return Err(no_such_object(kind, id));
        }
        store
            .get(kind, id)
            .map(|object| object.render(kind, None, &state.shape))
            .ok_or_else(|| no_such_object(kind, id))
    })?;
    Ok(Json(object))
}

async fn search(
    kind: Kind,
    State(state): State<Arc<SimState>>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    let body = read_json_object(request).await?;
    reject_unknown_keys(
        &body,
        &["page_number", "page_size", "filter", "columns", "all"],
    )?;
    let page_number = match present(&body, "page_number") {
        None => 1,
        Some(value) => value
            .as_u64()
            .filter(|number| *number >= 1)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`page_number` must be an integer of at least 1 (pages are 1-based), got {}",
                    describe(value)
                ))
            })?,
    };
    let page_size = match present(&body, "page_size") {
        None => DEFAULT_PAGE_SIZE,
        Some(value) => value
            .as_u64()
            .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`page_size` must be an integer from 1 to {MAX_PAGE_SIZE}, got {}",
                    describe(value)
                ))
            })?,
    };
    let filter = match present(&body, "filter") {
        None => Filter::parse("").map_err(|error| ApiError::bad_request(error.to_string()))?,
        Some(Value::String(text)) if state.quirks.label_filters => {
            parse_filter(kind, &from_label_syntax(kind, text)?)?
        }
        Some(Value::String(text)) => parse_filter(kind, text)?,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "`filter` must be a string, got {}",
                describe(other)
            )))
        }
    };
    let columns = match present(&body, "columns") {
        None => None,
        Some(value) => Some(search_columns(kind, value)?),
    };
    // Sumo Logic's scripts send `"all": true`; the simulator has no per-user involvement, so a
    // search covers every object either way, but the flag must be a boolean.
    if let Some(value) = present(&body, "all") {
        if !value.is_boolean() {
            return Err(ApiError::bad_request(format!(
                "`all` must be a boolean, got {}",
                describe(value)
            )));
        }
    }
    let quirks = &state.quirks;
    let page_number = if quirks.ignore_page_number {
        1
    } else {
        page_number
    };
    // A capped server answers fewer objects than asked; where its pages start is its own choice.
    let answered = quirks.page_cap.map_or(page_size, |cap| page_size.min(cap));
    let skip = page_number
        .saturating_sub(1)
        .saturating_mul(if quirks.page_offset_by_requested {
            page_size
        } else {
            answered
        })
        .saturating_sub(if page_number > 1 {
            quirks.page_overlap
        } else {
            0
        });
    let padding = "x".repeat(quirks.pad_objects);
    let page = state.read(|store| {
        store
            .search(kind, &filter, skip, answered)
            .into_iter()
            .map(|object| {
                let mut rendered = object.render(kind, columns.as_deref(), &state.shape);
                if !padding.is_empty() {
                    rendered["padding"] = Value::String(padding.clone());
                }
                rendered
            })
            .collect::<Vec<_>>()
    });
    Ok(Json(Value::Array(page)))
}

/// A filter in label syntax (`Incident ID: a OR Incident ID: b*`) as the profile's
/// (`incidentid:"a" OR incidentid:"b*"`); anything else, the profile's syntax included, is a 400.
fn from_label_syntax(kind: Kind, text: &str) -> Result<String, ApiError> {
    let invalid = |why: String| ApiError::bad_request(format!("invalid `filter`: {why}"));
    if text.trim().is_empty() {
        return Ok(String::new());
    }
    let mut terms = Vec::new();
    for term in text.split(" OR ") {
        let Some((label, value)) = term.split_once(':') else {
            return Err(invalid(format!("`{term}` is not `Label: value`")));
        };
        let (label, value) = (label.trim(), value.trim());
        if value.is_empty() || value.contains(char::is_whitespace) || value.contains('"') {
            return Err(invalid(format!(
                "`{term}`: the value must be one bare word, without quotes"
            )));
        }
        let column = catalog::columns(kind)
            .iter()
            .find(|column| column.label == label)
            .ok_or_else(|| {
                invalid(format!(
                    "unknown {} field label `{label}` (labels are matched exactly)",
                    kind.noun()
                ))
            })?;
        terms.push(format!(
            "{}:\"{}\"",
            column.field,
            value.replace('\\', "\\\\")
        ));
    }
    Ok(terms.join(" OR "))
}

fn parse_filter(kind: Kind, text: &str) -> Result<Filter, ApiError> {
    let filter = Filter::parse(text)
        .map_err(|error| ApiError::bad_request(format!("invalid `filter`: {error}")))?;
    for term in filter.terms() {
        if catalog::column_named(kind, &term.field).is_none() {
            return Err(ApiError::bad_request(format!(
                "invalid `filter`: unknown {} field `{}` (fields: {})",
                kind.noun(),
                term.field,
                catalog::describe_fields(kind)
            )));
        }
    }
    Ok(filter)
}

fn search_columns(kind: Kind, value: &Value) -> Result<Vec<String>, ApiError> {
    let not_a_list = || {
        ApiError::bad_request(format!(
            "`columns` must be an array of field names, got {}",
            describe(value)
        ))
    };
    let names = value.as_array().ok_or_else(not_a_list)?;
    names
        .iter()
        .map(|name| {
            let name = name.as_str().ok_or_else(not_a_list)?;
            if catalog::column_named(kind, name).is_none() && !ALWAYS_PRESENT.contains(&name) {
                return Err(ApiError::bad_request(format!(
                    "`columns`: unknown {} field `{name}` (fields: {})",
                    kind.noun(),
                    catalog::describe_fields(kind)
                )));
            }
            Ok(name.to_string())
        })
        .collect()
}

/// 403 in read-only mode, naming the capability a real credential would lack.
fn check_writable(state: &SimState, kind: Kind) -> Result<(), ApiError> {
    if !state.read_only {
        return Ok(());
    }
    let capability = match kind {
        Kind::Incident => "Manage incidents",
        Kind::TriageItem => "Manage triage",
    };
    Err(ApiError::forbidden(format!(
        "the credential lacks the capability `{capability}`"
    )))
}

/// 415 unless the request declares `Content-Type: application/json` (parameters allowed).
fn require_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return Err(ApiError::unsupported_media_type(
            "the request body must be sent with `Content-Type: application/json`, got no `Content-Type`",
        ));
    };
    let text = content_type.to_str().unwrap_or_default();
    let media_type = text.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type(format!(
            "the request body must be sent with `Content-Type: application/json`, got `{text}`"
        )))
    }
}

/// The request body as a JSON object: 415 without a JSON content type, 400 otherwise.
async fn read_json_object(request: Request) -> Result<Map<String, Value>, ApiError> {
    require_json_content_type(request.headers())?;
    let bytes = to_bytes(request.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|error| {
            ApiError::bad_request(format!("could not read the request body: {error}"))
        })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|error| {
        ApiError::bad_request(format!("malformed JSON in the request body: {error}"))
    })?;
    match value {
        Value::Object(object) => Ok(object),
        other => Err(ApiError::bad_request(format!(
            "the request body must be a JSON object, got {}",
            describe(&other)
        ))),
    }
}

fn reject_unknown_keys(body: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
    match body.keys().find(|key| !allowed.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(ApiError::bad_request(format!(
            "unknown key `{key}` in the request body (expected: {})",
            allowed.join(", ")
        ))),
    }
}

/// A body key's value, treating `null` as absent.
fn present<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|value| !value.is_null())
}

fn fields(body: &Map<String, Value>) -> Result<&Map<String, Value>, ApiError> {
    match body.get("fields") {
        Some(Value::Object(fields)) => Ok(fields),
        None => Err(ApiError::bad_request(
            "missing `fields` (an object of field values by API name)",
        )),
        Some(other) => Err(ApiError::bad_request(format!(
            "`fields` must be a JSON object, got {}",
            describe(other)
        ))),
    }
}

fn template_id(body: &Map<String, Value>) -> Result<u64, ApiError> {
    let templates = || {
        INCIDENT_TEMPLATES
            .iter()
            .map(|(id, name)| format!("{id} {name}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(value) = present(body, "template_id") else {
        return Err(ApiError::bad_request(format!(
            "missing `template_id` (templates: {})",
            templates()
        )));
    };
    let Some(id) = value.as_u64() else {
        return Err(ApiError::bad_request(format!(
            "`template_id` must be an incident template id (a JSON integer), got {} (templates: {})",
            describe(value),
            templates()
        )));
    };
    if catalog::template_name(id).is_none() {
        return Err(ApiError::bad_request(format!(
            "`template_id`: no incident template with id {id} (templates: {})",
            templates()
        )));
    }
    Ok(id)
}
