//! The JSON plan format (`schemas/plan.schema.json`, format version 1): what `--format json` prints
//! and what `plan --out FILE` saves for `apply --plan FILE`. One document type serves all three, so
//! the plan a reviewer reads is byte for byte the plan that is applied.
//!
//! Besides the changes, every object that a plan would create or update carries what a saved plan
//! needs to refuse stale objects: the live value of every compared field when the plan was made and
//! a fingerprint of them. Values of sensitive fields never appear: they are replaced by salted
//! SHA-256 hashes, enough to notice a change and useless to read the value back from.

use rand::RngCore;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::manifest::schema::schema_type;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::apply::{ApplyReport, Drift, Outcome};
use crate::dialect::Dialect;
use crate::kind::Kind;
use crate::normalize::Normalized;
use crate::plan::{Action, FieldChange, ObjectPlan, ObservedField, Plan};

/// The version of this format; readers refuse other versions.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// `plan`: a plan. `apply`: a plan plus each object's `outcome` and the `result` totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DocumentType {
    /// A plan (`soarform plan --format json`, `plan --out`).
    Plan,
    /// A plan and what applying it did (`soarform apply --format json`).
    Apply,
}

/// What `soarform plan --format json` prints, what `soarform plan --out FILE` saves for `soarform apply --plan FILE`, and (with `type: apply`) what `soarform apply --format json` prints. Values of sensitive fields never appear: only salted SHA-256 hashes. Credentials never appear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    title = "soarform plan (format version 1)",
    extend("$id" = "urn:soarform:schemas:plan"),
    transform = document_rules
)]
pub(crate) struct PlanDocument {
    /// The version of this format ([`FORMAT_VERSION`]). Readers refuse versions they do not know.
    #[schemars(with = "FormatVersion")]
    pub format_version: u32,
    /// Plan or apply.
    #[serde(rename = "type")]
    pub document_type: DocumentType,
    /// The soarform that wrote the document.
    pub soarform_version: String,
    /// Where the plan was computed. A saved plan is only applied to the same URL and dialect.
    pub target: TargetInfo,
    /// The desired-state paths given on the command line; `apply --plan` reads them again for the values of sensitive fields.
    pub paths: Vec<String>,
    /// The `--target` and `--exclude` patterns the plan was limited to.
    pub selection: SelectionInfo,
    /// Random per plan; mixed into every hash and fingerprint.
    #[schemars(regex(pattern = "^[0-9a-f]{32}$"))]
    pub salt: String,
    /// How many objects each action touches.
    pub summary: SummaryInfo,
    /// One entry per selected object, ordered by kind, then key; then the objects pruning closes (`close`).
    pub objects: Vec<ObjectEntry>,
    /// Objects in `prune_scope` whose key no document declares any more, left alone because pruning is off.
    #[serde(default)]
    pub undeclared: Vec<UndeclaredEntry>,
    /// `type: apply` only: totals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "ResultInfo")]
    pub result: Option<ResultInfo>,
}

schema_type!(
    /// The schema of `format_version`: exactly [`FORMAT_VERSION`].
    inline FormatVersion = { "const": FORMAT_VERSION }
);

/// An apply document carries `result` and an `outcome` on every object; a plan carries neither.
fn document_rules(schema: &mut Schema) {
    schema.insert(
        "if".to_string(),
        json!({ "properties": { "type": { "const": "apply" } } }),
    );
    schema.insert(
        "then".to_string(),
        json!({
            "required": ["result"],
            "properties": { "objects": { "items": { "required": ["outcome"] } } }
        }),
    );
    schema.insert(
        "else".to_string(),
        json!({
            "not": { "required": ["result"] },
            "properties": { "objects": { "items": { "not": { "required": ["outcome"] } } } }
        }),
    );
}

/// Where a plan was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct TargetInfo {
    /// The API base URL, ending in `/` (`https://api.us2.sumologic.com/api/csoar/v3/`).
    pub url: String,
    /// `v3` or `legacy`.
    pub dialect: Dialect,
    /// Computed against the embedded sandbox, whose port changes from run to run.
    pub sandbox: bool,
}

impl TargetInfo {
    /// The URL without the dialect's base path, as `--url` and `url:` take it
    /// (`https://api.us2.sumologic.com/`).
    pub(crate) fn root_url(&self) -> &str {
        self.url
            .strip_suffix(self.dialect.base_path().trim_start_matches('/'))
            .unwrap_or(&self.url)
    }

    /// Whether a plan made against `self` may be applied to `other`.
    pub(crate) fn same_as(&self, other: &TargetInfo) -> bool {
        self.dialect == other.dialect
            && self.sandbox == other.sandbox
            && (self.sandbox || self.url == other.url)
    }
}

impl std::fmt::Display for TargetInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.sandbox {
            write!(f, "the sandbox ({} API)", self.dialect)
        } else {
            write!(f, "`{}` ({} API)", self.url, self.dialect)
        }
    }
}

/// The key patterns a plan was limited to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct SelectionInfo {
    /// `--target` patterns.
    pub target: Vec<String>,
    /// `--exclude` patterns.
    pub exclude: Vec<String>,
    /// `--shard K/N`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// Counts per action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct SummaryInfo {
    pub create: usize,
    pub update: usize,
    #[serde(rename = "move", default)]
    pub moved: usize,
    #[serde(default)]
    pub adopt: usize,
    #[serde(default)]
    pub close: usize,
    /// Duplicates soarform made of one key, retired; present only when there are some.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retire_duplicate: usize,
    pub unchanged: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// An object in `prune_scope` that no document declares any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct UndeclaredEntry {
    pub kind: Kind,
    #[schemars(length(min = 1))]
    pub key: String,
    #[schemars(range(min = 1))]
    pub remote_id: u64,
}

/// Set when soarform never wrote the object (made by hand or by another tool).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct AdoptionInfo {
    /// Who created it, as the server reports; null when it does not say.
    pub created_by: Option<String>,
}

/// One object of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, transform = object_rules)]
pub(crate) struct ObjectEntry {
    /// `Incident` or `TriageItem`.
    pub kind: Kind,
    /// The repository key, held by the identity field in the tenant.
    #[schemars(length(min = 1))]
    pub key: String,
    /// `create` (POST), `update` (PUT of changed fields), `move` (PUT of the new key into the identity field, from `moved_from`), `adopt` (PUT of the ownership marker into an object soarform never wrote), `close` (PUT of the closed status and a closing note: pruning), `retire_duplicate` (PUT of a rewritten identity, the closed status and a note naming the object kept: a second object soarform made under one key), `unchanged`.
    pub action: Action,
    /// The live object's id; null for creates.
    #[schemars(range(min = 1))]
    pub remote_id: Option<u64>,
    /// The incident template; null for triage items.
    #[schemars(schema_with = "nullable_template")]
    pub template: Option<TemplateInfo>,
    /// The API name of the field the key is written to.
    pub identity_field: String,
    /// Declared fields that differ; every declared field for creates.
    pub changes: Vec<ChangeEntry>,
    /// Creates and updates: the live state the plan was computed from, checked again by `apply --plan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "ObservedInfo")]
    pub observed: Option<ObservedInfo>,
    /// Things a reviewer should know that are not changes.
    pub warnings: Vec<String>,
    /// `move` only: the key the object carries before apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = 1))]
    pub moved_from: Option<String>,
    /// Set when soarform never wrote the object (made by hand or by another tool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "AdoptionInfo")]
    pub adopted: Option<AdoptionInfo>,
    /// The API name of the field where soarform records that it manages the object (the value `soarform`), when the tenant has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub ownership_field: Option<String>,
    /// `type: apply` only: what happened to the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "OutcomeInfo")]
    pub outcome: Option<OutcomeInfo>,
}

/// The names of [`Action`], as plans write them.
fn action_names() -> Vec<Value> {
    // The match makes a new action fail to compile until it is listed here.
    let every = |action: Action| match action {
        Action::Create
        | Action::Update
        | Action::Move
        | Action::Adopt
        | Action::Close
        | Action::RetireDuplicate
        | Action::Unchanged => action,
    };
    [
        Action::Create,
        Action::Update,
        Action::Move,
        Action::Adopt,
        Action::Close,
        Action::RetireDuplicate,
        Action::Unchanged,
    ]
    .into_iter()
    .map(every)
    .filter_map(|action| serde_json::to_value(action).ok())
    .collect()
}

impl JsonSchema for Action {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Action".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "enum": action_names() })
    }
}

/// `template`: null, or the template.
fn nullable_template(generator: &mut SchemaGenerator) -> Schema {
    let template = generator.subschema_for::<TemplateInfo>();
    json_schema!({ "oneOf": [{ "type": "null" }, template] })
}

/// Unchanged objects change nothing and the others carry what they were planned from; creates
/// have no id yet, the others do; moves say where from.
fn object_rules(schema: &mut Schema) {
    schema.insert(
        "allOf".to_string(),
        json!([
            {
                "if": { "properties": { "action": { "const": "unchanged" } } },
                "then": { "properties": { "changes": { "maxItems": 0 } } },
                "else": { "required": ["observed"] }
            },
            {
                "if": { "properties": { "action": { "const": "create" } } },
                "then": { "properties": { "remote_id": { "type": "null" } } },
                "else": { "properties": { "remote_id": { "type": "integer" } } }
            },
            {
                "if": { "properties": { "action": { "const": "move" } } },
                "then": { "required": ["moved_from"] }
            }
        ]),
    );
}

/// An incident template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct TemplateInfo {
    pub id: u64,
    pub name: String,
}

/// One changed field. Sensitive fields carry no `before`, `after` or `write`, only `after_hash`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, transform = change_rules)]
pub(crate) struct ChangeEntry {
    /// API name (`opt_3`).
    pub field: String,
    /// Catalog label (`Business unit`).
    pub label: String,
    /// The name as the document wrote it.
    pub name: String,
    /// Listed in `sensitive_fields`: values replaced by `after_hash`.
    pub sensitive: bool,
    /// The live value (updates only); display strings for lookups, null when absent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[schemars(with = "FieldValue")]
    pub before: Option<Value>,
    /// The desired value; display strings for lookups.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[schemars(with = "FieldValue")]
    pub after: Option<Value>,
    /// What the request body carries (ids for lookup fields).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[schemars(with = "Value")]
    pub write: Option<Value>,
    /// Sensitive fields only: salted hash of the desired value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "SaltedHash")]
    pub after_hash: Option<String>,
}

schema_type!(
    /// A field value: display strings for lookup fields, RFC 3339 UTC for datetimes, a list for
    /// multi-value fields, null when absent.
    FieldValue = {
        "description": "A field value: display strings for lookup fields, RFC 3339 UTC for datetimes, a list for multi-value fields, null when absent.",
        "type": ["string", "number", "boolean", "null", "array"],
        "items": { "type": ["string", "number", "boolean"] }
    }
);

/// A salted SHA-256 hash (`sha256:` and 64 hexadecimal digits).
#[derive(JsonSchema)]
#[allow(dead_code)] // Only its schema is used: hashes are read as strings.
struct SaltedHash(#[schemars(regex(pattern = "^sha256:[0-9a-f]{64}$"))] String);

/// A sensitive change carries only the hash of its value; any other carries the value.
fn change_rules(schema: &mut Schema) {
    if_sensitive(
        schema,
        json!({
            "required": ["after_hash"],
            "not": { "anyOf": [
                { "required": ["before"] },
                { "required": ["after"] },
                { "required": ["write"] }
            ] }
        }),
        json!({ "required": ["after", "write"], "not": { "required": ["after_hash"] } }),
    );
}

/// Adds to `schema`: when `sensitive` is true, `then`; otherwise `otherwise`.
fn if_sensitive(schema: &mut Schema, then: Value, otherwise: Value) {
    schema.insert(
        "if".to_string(),
        json!({ "properties": { "sensitive": { "const": true } } }),
    );
    schema.insert("then".to_string(), then);
    schema.insert("else".to_string(), otherwise);
}

/// The live state an object's plan was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct ObservedInfo {
    /// Salted SHA-256 over the remote id and every compared field's live value.
    #[schemars(with = "SaltedHash")]
    pub fingerprint: String,
    /// Every compared field's live value; empty for creates (no object carried the key).
    pub fields: Vec<ObservedFieldEntry>,
}

/// One compared field's live value at plan time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, transform = observed_field_rules)]
pub(crate) struct ObservedFieldEntry {
    /// The API name.
    pub field: String,
    /// The catalog label.
    pub label: String,
    /// Listed in `sensitive_fields`.
    pub sensitive: bool,
    /// The value (null when absent); absent for sensitive fields.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[schemars(with = "FieldValue")]
    pub value: Option<Value>,
    /// Sensitive fields only: salted hash of the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "SaltedHash")]
    pub hash: Option<String>,
}

/// A sensitive field carries only the hash of its value; any other carries the value.
fn observed_field_rules(schema: &mut Schema) {
    if_sensitive(
        schema,
        json!({ "required": ["hash"], "not": { "required": ["value"] } }),
        json!({ "required": ["value"], "not": { "required": ["hash"] } }),
    );
}

/// `type: apply` only: what happened to the object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, transform = outcome_rules)]
pub(crate) struct OutcomeInfo {
    /// What happened.
    pub status: OutcomeStatus,
    /// The object's id, when one is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64")]
    pub id: Option<u64>,
    /// Failures: the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub error: Option<String>,
    /// Refusals: why the object was left alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub reason: Option<String>,
    /// Refusals: fields whose live value changed since the plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftEntry>,
}

/// Failures say why, refusals say why, and what was created or updated has its id.
fn outcome_rules(schema: &mut Schema) {
    schema.insert(
        "allOf".to_string(),
        json!([
            {
                "if": { "properties": { "status": { "const": "failed" } } },
                "then": { "required": ["error"] }
            },
            {
                "if": { "properties": { "status": { "const": "refused" } } },
                "then": { "required": ["reason"] }
            },
            {
                "if": { "properties": { "status": { "enum": ["created", "updated"] } } },
                "then": { "required": ["id"] }
            }
        ]),
    );
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OutcomeStatus {
    Created,
    Updated,
    Unchanged,
    Failed,
    /// A saved plan's object that changed since the plan: left alone.
    Refused,
    /// A saved plan's object whose changes were already live.
    AlreadyApplied,
    /// Never started: the run was stopped (a signal, a lost lease) before it.
    NotStarted,
    /// Still in flight when the stopped run ended: its outcome is unknown (a re-run settles it).
    Unknown,
}

/// A field that changed between plan and apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct DriftEntry {
    pub label: String,
    pub sensitive: bool,
    /// The value the plan was computed from (absent for sensitive fields).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[schemars(with = "FieldValue")]
    pub planned: Option<Value>,
    /// The value now (absent for sensitive fields).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[schemars(with = "FieldValue")]
    pub now: Option<Value>,
}

/// Totals of an apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct ResultInfo {
    /// Every planned change was made.
    pub complete: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub refused: usize,
    pub already_applied: usize,
}

/// A key that is present reads as `Some`, even when its value is `null` (an absent field); only a
/// missing key is `None`. Without this a saved plan would lose its nulls on the way back out.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// Salted hashes of values and observed states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hasher {
    salt: String,
}

impl Hasher {
    /// A fresh random salt, for a new plan.
    pub(crate) fn random() -> Hasher {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        Hasher {
            salt: hex::encode(bytes),
        }
    }

    /// The hasher of a saved plan.
    pub(crate) fn with_salt(salt: &str) -> Hasher {
        Hasher {
            salt: salt.to_string(),
        }
    }

    /// The salt, as saved.
    pub(crate) fn salt(&self) -> &str {
        &self.salt
    }

    fn digest(&self, parts: &[&[u8]]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.salt.as_bytes());
        for part in parts {
            // Length-prefixed, so that no two different sequences of parts hash alike.
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        format!("sha256:{}", hex::encode(hasher.finalize()))
    }

    /// The hash of one field's value.
    pub(crate) fn value(&self, field: &str, value: &Normalized) -> String {
        let canonical = value.to_json().to_string();
        self.digest(&[b"value", field.as_bytes(), canonical.as_bytes()])
    }

    /// The fingerprint of an object's observed state: its id and every compared field's value.
    pub(crate) fn fingerprint<'a>(
        &self,
        remote_id: Option<u64>,
        fields: impl Iterator<Item = (&'a str, &'a Normalized)>,
    ) -> String {
        let id = remote_id.map_or_else(|| "absent".to_string(), |id| id.to_string());
        let mut parts: Vec<Vec<u8>> = vec![b"object".to_vec(), id.into_bytes()];
        for (field, value) in fields {
            parts.push(field.as_bytes().to_vec());
            parts.push(value.to_json().to_string().into_bytes());
        }
        let borrowed: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        self.digest(&borrowed)
    }
}

/// Everything a document records besides the plan itself.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub target: TargetInfo,
    pub paths: Vec<String>,
    pub selection: SelectionInfo,
    pub hasher: Hasher,
}

/// The JSON document of a plan.
pub(crate) fn plan_document(plan: &Plan, context: &Context) -> PlanDocument {
    let summary = plan.summary();
    PlanDocument {
        format_version: FORMAT_VERSION,
        document_type: DocumentType::Plan,
        soarform_version: env!("CARGO_PKG_VERSION").to_string(),
        target: context.target.clone(),
        paths: context.paths.clone(),
        selection: context.selection.clone(),
        salt: context.hasher.salt().to_string(),
        summary: SummaryInfo {
            create: summary.create,
            update: summary.update,
            moved: summary.moved,
            adopt: summary.adopt,
            close: summary.close,
            retire_duplicate: summary.retire,
            unchanged: summary.unchanged,
        },
        objects: plan
            .objects
            .iter()
            .map(|object| object_entry(object, &context.hasher))
            .collect(),
        undeclared: plan
            .undeclared
            .iter()
            .map(|object| UndeclaredEntry {
                kind: object.kind,
                key: object.key.clone(),
                remote_id: object.remote_id,
            })
            .collect(),
        result: None,
    }
}

/// A plan document (a saved one, say) turned into the apply document for `report`.
pub(crate) fn with_outcomes(mut document: PlanDocument, report: &ApplyReport) -> PlanDocument {
    document.document_type = DocumentType::Apply;
    for entry in &mut document.objects {
        let same = |kind: Kind, key: &str| kind == entry.kind && key == entry.key;
        let outcome = if let Some(outcome) = report.outcomes.iter().find(|outcome| {
            same(outcome.kind, &outcome.key)
                && (outcome.action == Action::RetireDuplicate)
                    == (entry.action == Action::RetireDuplicate)
                && (entry.action != Action::RetireDuplicate || outcome.remote_id == entry.remote_id)
        }) {
            outcome_info(outcome)
        } else if let Some(refusal) = report
            .refused
            .iter()
            .find(|refusal| same(refusal.kind, &refusal.key))
        {
            OutcomeInfo {
                status: OutcomeStatus::Refused,
                id: refusal.remote_id,
                error: None,
                reason: Some(refusal.reason.clone()),
                drift: refusal.drift.iter().map(drift_entry).collect(),
            }
        } else {
            let left = |list: &[(Kind, String)]| list.iter().any(|(kind, key)| same(*kind, key));
            let status = if entry.action == Action::Unchanged {
                OutcomeStatus::Unchanged
            } else if left(&report.not_started) {
                OutcomeStatus::NotStarted
            } else if left(&report.abandoned) {
                OutcomeStatus::Unknown
            } else {
                OutcomeStatus::AlreadyApplied
            };
            OutcomeInfo {
                status,
                id: entry.remote_id,
                error: None,
                reason: None,
                drift: Vec::new(),
            }
        };
        entry.outcome = Some(outcome);
    }
    let (created, updated, failed) = report.counts();
    document.result = Some(ResultInfo {
        complete: failed == 0 && report.refused.is_empty() && report.stopped_early().is_none(),
        created,
        updated,
        unchanged: report.unchanged,
        failed,
        refused: report.refused.len(),
        already_applied: report.already_applied,
    });
    document
}

fn outcome_info(outcome: &Outcome) -> OutcomeInfo {
    match &outcome.result {
        Ok(id) => OutcomeInfo {
            status: if outcome.action == Action::Create {
                OutcomeStatus::Created
            } else {
                OutcomeStatus::Updated
            },
            id: Some(*id),
            error: None,
            reason: None,
            drift: Vec::new(),
        },
        Err(error) => OutcomeInfo {
            status: OutcomeStatus::Failed,
            id: outcome.remote_id,
            error: Some(error.to_string()),
            reason: None,
            drift: Vec::new(),
        },
    }
}

fn drift_entry(drift: &Drift) -> DriftEntry {
    let shown = |value: &Normalized| (!drift.sensitive).then(|| value.to_json());
    DriftEntry {
        label: drift.label.clone(),
        sensitive: drift.sensitive,
        planned: shown(&drift.planned),
        now: shown(&drift.now),
    }
}

fn object_entry(object: &ObjectPlan, hasher: &Hasher) -> ObjectEntry {
    let observed = (object.action != Action::Unchanged).then(|| ObservedInfo {
        fingerprint: hasher.fingerprint(
            object.remote_id,
            object
                .observed
                .iter()
                .map(|field| (field.field.as_str(), &field.value)),
        ),
        fields: object
            .observed
            .iter()
            .map(|field| observed_field_entry(field, hasher))
            .collect(),
    });
    ObjectEntry {
        kind: object.kind,
        key: object.key.clone(),
        action: object.action,
        remote_id: object.remote_id,
        template: object.template.as_ref().map(|template| TemplateInfo {
            id: template.id,
            name: template.name.clone(),
        }),
        identity_field: object.identity_field.clone(),
        changes: object
            .changes
            .iter()
            .map(|change| change_entry(change, object.action, hasher))
            .collect(),
        observed,
        warnings: object.warnings.clone(),
        moved_from: object.moved_from.clone(),
        adopted: object.adopted.as_ref().map(|adoption| AdoptionInfo {
            created_by: adoption.created_by.clone(),
        }),
        ownership_field: object.ownership_field.clone(),
        outcome: None,
    }
}

fn change_entry(change: &FieldChange, action: Action, hasher: &Hasher) -> ChangeEntry {
    let mut entry = ChangeEntry {
        field: change.field.clone(),
        label: change.label.clone(),
        name: change.declared_name.clone(),
        sensitive: change.sensitive,
        before: None,
        after: None,
        write: None,
        after_hash: None,
    };
    if change.sensitive {
        entry.after_hash = Some(hasher.value(&change.field, &change.after));
    } else {
        entry.before = (action != Action::Create).then(|| change.before.to_json());
        entry.after = Some(change.after.to_json());
        entry.write = Some(change.write.clone());
    }
    entry
}

fn observed_field_entry(field: &ObservedField, hasher: &Hasher) -> ObservedFieldEntry {
    ObservedFieldEntry {
        field: field.field.clone(),
        label: field.label.clone(),
        sensitive: field.sensitive,
        value: (!field.sensitive).then(|| field.value.to_json()),
        hash: field
            .sensitive
            .then(|| hasher.value(&field.field, &field.value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_depend_on_salt_field_and_value() {
        let one = Hasher::with_salt("a");
        let value = Normalized::Text("secret".into());
        let hash = one.value("opt_2", &value);
        assert!(
            hash.starts_with("sha256:") && hash.len() == 7 + 64,
            "{hash}"
        );
        assert!(!hash.contains("secret"));
        assert_eq!(hash, Hasher::with_salt("a").value("opt_2", &value));
        assert_ne!(hash, Hasher::with_salt("b").value("opt_2", &value));
        assert_ne!(hash, one.value("opt_3", &value));
        assert_ne!(
            hash,
            one.value("opt_2", &Normalized::Text("secret2".into()))
        );
    }

    #[test]
    fn fingerprints_change_with_id_and_any_value() {
        let hasher = Hasher::with_salt("s");
        let open = Normalized::Text("Open".into());
        let closed = Normalized::Text("Closed".into());
        let base = hasher.fingerprint(Some(1), [("status", &open)].into_iter());
        assert_eq!(
            base,
            hasher.fingerprint(Some(1), [("status", &open)].into_iter())
        );
        assert_ne!(
            base,
            hasher.fingerprint(Some(2), [("status", &open)].into_iter())
        );
        assert_ne!(
            base,
            hasher.fingerprint(Some(1), [("status", &closed)].into_iter())
        );
        assert_ne!(base, hasher.fingerprint(None, std::iter::empty()));
    }

    #[test]
    fn random_salts_differ() {
        assert_ne!(Hasher::random().salt(), Hasher::random().salt());
    }
}
