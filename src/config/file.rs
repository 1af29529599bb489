//! `soarform.yaml` as written: the serde types the file is read into, and the one description of
//! its format. `schemas/project.schema.json` is generated from them (doc comments become the
//! schema's descriptions, so they speak to the person writing the file).

use std::collections::BTreeMap;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::dates::DisplayFormat;
use crate::dialect::{Dialect, FilterSyntax, UpdateBody, UpdateMethod, REGIONS};
use crate::kind::Kind;
use crate::manifest::schema::schema_type;
use crate::operations::Operation;

/// What plan and apply do with objects in `prune_scope` whose key is no longer declared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PruneMode {
    /// List them as no longer declared; change nothing.
    #[default]
    Keep,
    /// Close them: closed status and a closing note. Never delete.
    Close,
}

/// A field of each kind (API name or label), as `identity:` and `ownership:` name them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct IdentityConfig {
    /// Incident field (API name such as `opt_2`, or label).
    #[schemars(with = "String", length(min = 1))]
    pub incident: Option<String>,
    /// Triage field (API name or label).
    #[schemars(with = "String", length(min = 1))]
    pub triage: Option<String>,
}

/// Paging and request limits.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Limits {
    /// Search page size, 1 to 500.
    #[schemars(with = "u32", range(min = 1, max = 500))]
    pub page_size: Option<u32>,
    /// Most requests started per second.
    #[schemars(with = "f64", extend("exclusiveMinimum" = 0))]
    pub requests_per_second: Option<f64>,
    /// Most requests in flight at once.
    #[schemars(with = "u32", range(min = 1, max = u32::MAX))]
    pub max_concurrency: Option<u32>,
    /// How long one request may be retried (429, 502, 503, 504, connection failures) before soarform gives up on it. Default 120.
    #[schemars(with = "f64", range(min = 0))]
    pub retry_seconds: Option<f64>,
    /// The largest answer soarform reads, in MiB; a larger one stops the command with an error naming the endpoint. Default 64.
    #[schemars(with = "f64", extend("exclusiveMinimum" = 0))]
    pub max_response_mb: Option<f64>,
    /// The most objects one search may return before soarform takes the server for one whose pages never end. Default 1000000.
    #[schemars(with = "u64", range(min = 1))]
    pub max_search_objects: Option<u64>,
    /// How long a create whose answer was lost is searched for (the server may commit it late) before it is sent again. Default 15.
    #[schemars(with = "f64", range(min = 0))]
    pub create_settle_seconds: Option<f64>,
}

/// `tenant:` of soarform.yaml: how this tenant's API behaves where the public documentation
/// leaves it open. Every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct TenantConfig {
    /// Whether searches send `"all": true`, as Sumo Logic's scripts do, so that they cover every incident and not only those the caller takes part in. Default true.
    #[schemars(with = "bool")]
    pub search_all: Option<bool>,
    /// The time zone the tenant shows dates in: an offset (`"-06:00"`, `"+05:30"`), `UTC`, or an IANA name (`America/Chicago`, which follows daylight saving time). Reads without an offset are taken in it, and so are a document's dates written without one. An unset date reads as epoch 0 in this zone, so `12-31-1969 06:00 PM` means `-06:00`; `soarform doctor` reports it. Default UTC.
    #[schemars(with = "String", length(min = 1))]
    pub timezone: Option<String>,
    /// The tenant's "Date/Time Format" (Settings > General), in which reads show dates; several are tried in order. Default `MM-DD-YYYY hh:mm A`, as Sumo Logic's scripts show them (`09-08-2023 07:15 AM`). ISO 8601 and epoch numbers are always read too.
    #[schemars(with = "Vec<DateFormat>")]
    pub date_formats: Vec<String>,
    /// Search page size, 1 to 500; the same setting as `limits.page_size` (give one of them). Default 500; soarform finds a lower cap of the server by itself.
    #[schemars(with = "u32", range(min = 1, max = 500))]
    pub page_size: Option<u32>,
    /// How searches name the identity field: `api_names` (`incidentid:"KEY"`, the default) or `labels` (`Incident ID: KEY`, as third-party code calling Cloud SOAR sends). `soarform doctor` tries both.
    #[schemars(with = "FilterSyntax")]
    pub filter_syntax: Option<FilterSyntax>,
    /// The HTTP method of updates: `put` (default) or `patch`.
    #[schemars(with = "UpdateMethod")]
    pub update_method: Option<UpdateMethod>,
    /// The body of updates: `wrapped` (`{"fields": {...}}`, as creates send them; default) or `bare` (the fields alone, as Sumo Logic's scripts' PATCH bodies are).
    #[schemars(with = "UpdateBody")]
    pub update_body: Option<UpdateBody>,
    /// Whether an update replaces the object, clearing the fields it does not name (as PUT does in REST style). Then soarform reads the object first and sends every field it holds, with the changes over them, so nothing is lost. Default false: updates send only the changed fields. `soarform doctor --write-check KEY` tells which.
    #[schemars(with = "bool")]
    pub update_replaces: Option<bool>,
}

/// A date display pattern: `MM` month, `DD` day, `YYYY` year, `hh` 12-hour or `HH` 24-hour, `mm` minutes, `ss` seconds, `A` AM/PM.
#[derive(JsonSchema)]
#[allow(dead_code)] // Only its schema is used: `date_formats` entries are read as strings.
struct DateFormat(#[schemars(extend("enum" = DisplayFormat::patterns()))] String);

/// `lock:` of soarform.yaml: where `apply` keeps its lease. Every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LockConfig {
    /// The kind of the lease object. Default `Incident`.
    #[schemars(with = "crate::kind::Kind")]
    pub kind: Option<crate::kind::Kind>,
    /// The key of the lease object, written into the identity field like any key. Default `soarform/lock`.
    #[schemars(with = "String", length(min = 1))]
    pub key: Option<String>,
    /// The text field (API name or label) holding the lease record: holder, start and expiry. Default `description` for incidents; required for triage items.
    #[schemars(with = "String", length(min = 1))]
    pub field: Option<String>,
    /// Incidents: the template (name or id) the lease object is created with. Default: the tenant's first template.
    #[schemars(with = "NameOrId")]
    pub template: Option<Value>,
    /// How long a lease lasts unless its holder renews it; a holder that died is overtaken once it expired. Default 300, at most 86400 (a record expiring further ahead is taken for a hand edit and holds nothing).
    #[schemars(with = "f64", range(min = 5, max = 86400))]
    pub ttl_seconds: Option<f64>,
    /// How long soarform waits after writing the lease before reading it back to see whether it won (at least 0.1: without a wait the read-back proves nothing). Default 2.
    #[schemars(with = "f64", range(min = 0.1))]
    pub settle_seconds: Option<f64>,
}

/// Optional project settings at the repository root. Never credentials: those come from `SOARFORM_TOKEN`, `SUMO_ACCESS_ID` + `SUMO_ACCESS_KEY`, or `--token-file`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(
    title = "soarform project file (soarform.yaml)",
    extend("$id" = "urn:soarform:schemas:project")
)]
pub(crate) struct ProjectFile {
    /// Base URL of the Cloud SOAR API host, e.g. `https://api.us2.sumologic.com` or `https://tenant.soar.sumologic.com`. Overridden by `--url` and `SOARFORM_URL`.
    #[schemars(with = "String", regex(pattern = r"^https?://[^\s]+$"))]
    pub url: Option<String>,
    /// Sumo Logic region; expands to its API host in Sumo Logic's endpoint table, `https://api.<region>.sumologic.com` (`us1`: `https://api.sumologic.com`), the `v3` API. Use either `url` or `region`.
    #[schemars(with = "String", extend("enum" = REGIONS))]
    pub region: Option<String>,
    /// API dialect, for hosts whose name does not tell (a proxy, the simulator).
    #[schemars(with = "Dialect")]
    pub api: Option<Dialect>,
    /// The fields that hold each object's `key` in the tenant. Default: `incidentid` for incidents, `opt_1` (`Source reference`) for triage items.
    pub identity: IdentityConfig,
    /// Overrides of the API profile's endpoint paths, relative to the dialect's base path; each ends with `/`, and contains `{id}` exactly for the operations on one object.
    pub paths: PathOverrides,
    /// Fields (API names or labels) the SOC owns after creation, such as `status` or `owner`: sent when an object is created, never compared or shown as drift afterwards. Documents can add their own with `ignore_changes:`.
    #[schemars(inner(length(min = 1)))]
    pub ignore_changes: Vec<String>,
    /// Fields (API names or labels) whose values never appear in any output: plans show `(sensitive)`, saved plans hold salted hashes.
    #[schemars(inner(length(min = 1)))]
    pub sensitive_fields: Vec<String>,
    /// Glob patterns of files and directories to skip while walking directories for `*.yaml` / `*.yml` (CI files, docs, fixtures: YAML that is not soarform's). Each is relative to the directory holding `soarform.yaml` and matched against the relative path of every file and directory met, with `/` separators: `*` matches within one path segment, `**` across segments, `?` one character, `[abc]` one of a set, `{a,b}` either. A matched directory is skipped with everything under it (`ci` skips the `ci/` folder; `**/fixtures` skips every `fixtures` folder). A leading `./` and a trailing `/` are ignored; absolute patterns and `..` are refused. A file named on the command line is always read, and so is a directory named there (the patterns still apply to what is under it); hidden entries and `soarform.yaml` are skipped anyway.
    #[schemars(
        inner(length(min = 1)),
        extend("examples" = [["ci", "docs/**/*.yml"], ["**/fixtures", "tools/*.yaml"]])
    )]
    pub exclude: Vec<String>,
    /// Whether a key may match an object soarform never wrote (made by hand or by another tool). `true` (default): the plan shows it as `~ adopt`, with its id and creator, and apply records soarform's ownership in it. `false`: such a match is an error (same as `--no-adopt`).
    #[schemars(with = "bool")]
    pub adopt: Option<bool>,
    /// What to do with objects in `prune_scope` whose key is no longer declared: `keep` (default) lists them as no longer declared and leaves them alone; `close` sets their status to the closed status with a closing note (same as `--prune`). Nothing is ever deleted.
    #[schemars(with = "PruneMode")]
    pub prune: Option<PruneMode>,
    /// Glob patterns of keys that retirement considers (`*` within one `/` segment, `**` across them; `incident:` or `triage:` in front limits a pattern to one kind). Objects outside every pattern, or not written by soarform, are never listed or closed.
    #[schemars(
        inner(length(min = 1)),
        extend("examples" = [["phishing/**", "triage:okta-*"]])
    )]
    pub prune_scope: Vec<String>,
    /// Renamed keys: for each entry, the object carrying the key `from` is given the key `to` (apply rewrites its identity field in place) instead of a new object being created. Keep entries as long as some tenant may still carry the old key.
    pub moved: Vec<MoveEntry>,
    /// The fields in which soarform records that it manages an object (the value `soarform`), written on create and on adoption. Default: the field labelled `Managed by` when the tenant has one; without such a field, objects soarform never wrote cannot be told apart and nothing is shown as adopted.
    pub ownership: IdentityConfig,
    /// How pruning closes an object: the status to set, the field that receives the closing note, and the note.
    pub closing: ClosingFile,
    /// Paging and request limits (Sumo documents 4 requests per second per user and 10 concurrent requests per access key).
    pub limits: Limits,
    /// Where `apply` keeps its lease, so that concurrent applies against one tenant take turns. soarform creates the object on first use and manages it; see the README.
    pub lock: LockConfig,
    /// How this tenant's API behaves where Cloud SOAR's public documentation leaves it open. Every part is optional; the defaults follow what Sumo Logic's own scripts send.
    pub tenant: TenantConfig,
}

/// `paths:`: operation name -> endpoint path. Its properties come from the one table of
/// operations ([`Operation`]), each with its default path as the example.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(crate) struct PathOverrides(pub BTreeMap<String, String>);

impl JsonSchema for PathOverrides {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PathOverrides".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let path = generator.subschema_for::<EndpointPath>();
        let properties: serde_json::Map<String, Value> = Operation::ALL
            .into_iter()
            .map(|operation| {
                let mut property = path.clone();
                property.insert("examples".to_string(), json!([operation.default_path()]));
                (operation.name().to_string(), property.to_value())
            })
            .collect();
        json_schema!({
            "type": "object",
            "additionalProperties": false,
            "properties": properties,
        })
    }
}

/// An endpoint path relative to the base path, ending with `/`; `{id}` stands for the object id.
#[derive(JsonSchema)]
#[allow(dead_code)] // Only its schema is used: `paths:` values are read as strings.
struct EndpointPath(
    #[schemars(regex(pattern = r"^/?[A-Za-z0-9._~{}-]+(/[A-Za-z0-9._~{}-]+)*/$"))] String,
);

/// One renamed key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoveEntry {
    /// The old key.
    #[schemars(length(min = 1))]
    pub from: String,
    /// The new key, declared by a document.
    #[schemars(length(min = 1))]
    pub to: String,
    /// The kind of the object; needed only when both an incident and a triage item declare `to`.
    #[serde(default)]
    #[schemars(with = "Kind")]
    pub kind: Option<Kind>,
}

/// How pruning closes objects: per kind, and the note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ClosingFile {
    pub incident: ClosingKind,
    pub triage: ClosingKind,
    /// The closing note. Default: `Closed by soarform: the key is no longer declared in the repository.`
    #[schemars(with = "String", length(min = 1))]
    pub note: Option<String>,
}

/// How objects of one kind are closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ClosingKind {
    /// The status (display name or id) of a closed object. Default `Closed` for incidents, `Dismissed` for triage items.
    #[schemars(with = "NameOrId")]
    pub status: Option<Value>,
    /// The field (API name or label) that receives the closing note. Default `Closing note`.
    #[schemars(with = "String", length(min = 1))]
    pub note_field: Option<String>,
}

schema_type!(
    /// A display name or a numeric id, as written (`Closed`, `4`).
    pub(crate) inline NameOrId = { "type": ["string", "integer"] }
);
