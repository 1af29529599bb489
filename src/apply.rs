//! Executes a plan through the client: `POST` for creates, `PUT` with only the changed fields for updates.
//!
//! Every step may be re-run: the plan was computed from a search by key, so a second apply after a
//! partial failure finds the objects already created and only sends what still differs. One object's
//! failure does not stop the others.

use futures_util::StreamExt as _;
use serde_json::Value;

use crate::client::{Client, ClientError};
use crate::kind::Kind;
use crate::normalize::Normalized;
use crate::plan::{Action, Conflict, ConflictReason, ObjectPlan, Plan, PlanOptions};
use crate::remote::{Observed, RemoteObject};
use crate::resolve::Identity;
use crate::scrub::{self, Scrubber};
use crate::stop::{Stop, StopReason};

/// What happened to one object.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Incident or triage item.
    pub kind: Kind,
    /// The repository key.
    pub key: String,
    /// What the plan said to do.
    pub action: Action,
    /// The live object's id, for updates.
    pub remote_id: Option<u64>,
    /// How many fields were sent.
    pub field_count: usize,
    /// The object's id on success, why it failed otherwise.
    pub result: Result<u64, Failure>,
}

/// Why one object's change failed, with the object's sensitive values masked (a server may echo
/// what it was sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The error.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Failure {
    /// The failure of `error`; if the server's part of it mentions a sensitive value (one of
    /// `secrets`, or one registered with [`scrub::register_sensitive`]) in any form, that part is
    /// withheld whole (replacing only the value would still reveal it, say a short number, by
    /// where it was missing). Credentials are masked wherever they appear.
    fn new(mut error: ClientError, secrets: &[String]) -> Failure {
        let mut scrubber = Scrubber::new();
        for secret in secrets {
            scrubber.add_sensitive(secret);
        }
        if let Some(message) = error.server_message_mut() {
            if scrubber.mentions_sensitive(message) || scrub::mentions_sensitive(message) {
                *message = WITHHELD.to_string();
            }
        }
        Failure {
            message: scrub::credentials_in(&error.to_string()),
            hint: error.hint().map(|hint| scrub::credentials_in(&hint)),
        }
    }
}

pub(crate) use crate::scrub::WITHHELD;

/// Registers every sensitive value of `objects` with the scrubber, desired and observed
/// (`before`, `after`, `write`), so that no later output, log line or error can show it.
pub(crate) fn register_sensitive_values<'a>(objects: impl IntoIterator<Item = &'a ObjectPlan>) {
    for value in objects.into_iter().flat_map(secrets_of) {
        scrub::register_sensitive(&value);
    }
}

/// The sensitive values an object's change carries or its live fields hold, as text; the scrubber
/// looks for their escaped, encoded and case-folded forms itself.
fn secrets_of(object: &ObjectPlan) -> Vec<String> {
    let text_of = |value: &Normalized| {
        let json = value.to_json();
        match json.as_str() {
            Some(text) => Some(text.to_string()),
            None => (!json.is_null()).then(|| json.to_string()),
        }
    };
    let mut secrets = Vec::new();
    for change in object.changes.iter().filter(|change| change.sensitive) {
        secrets.extend(text_of(&change.before));
        secrets.extend(text_of(&change.after));
        secrets.extend(change.write.as_str().map(str::to_string));
    }
    for observed in object.observed.iter().filter(|observed| observed.sensitive) {
        secrets.extend(text_of(&observed.value));
    }
    secrets.retain(|secret| !secret.trim().is_empty());
    // Longest first, so that a secret containing another is masked whole.
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    secrets.dedup();
    secrets
}

/// An object of a saved plan left alone because it changed since the plan was made.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    /// Incident or triage item.
    pub kind: Kind,
    /// The repository key.
    pub key: String,
    /// What the plan said to do.
    pub action: Action,
    /// The live object's id now, if one carries the key.
    pub remote_id: Option<u64>,
    /// Why, in one line ("changed since the plan", "created since the plan (id 7)", ...).
    pub reason: String,
    /// The fields whose live value differs from the one the plan was computed from.
    pub drift: Vec<Drift>,
}

/// A field that changed between plan and apply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Drift {
    /// The field's label.
    pub label: String,
    /// The live value the plan was computed from (`Absent` when unknown or for sensitive fields).
    pub planned: Normalized,
    /// The live value now (`Absent` for sensitive fields).
    pub now: Normalized,
    /// Listed in `sensitive_fields`: only the fact that it changed may be shown.
    pub sensitive: bool,
}

/// The outcome of every object the plan changes (unchanged objects are only counted).
#[derive(Debug, Default)]
pub(crate) struct ApplyReport {
    /// One entry per created or updated object, in plan order.
    pub outcomes: Vec<Outcome>,
    /// Objects that needed nothing.
    pub unchanged: usize,
    /// Saved plans only: objects refused because they changed since the plan.
    pub refused: Vec<Refusal>,
    /// Saved plans only: objects whose planned changes were already live (an earlier apply of the
    /// same plan made them), so nothing was sent.
    pub already_applied: usize,
    /// Changes never started because the run was asked to stop ([`Stop`]).
    pub not_started: Vec<(Kind, String)>,
    /// Writes still in flight when the wait for them after a stop ran out: their outcome is
    /// unknown (a re-run settles them).
    pub abandoned: Vec<(Kind, String)>,
}

impl ApplyReport {
    /// Whether any object failed.
    pub(crate) fn has_failures(&self) -> bool {
        self.outcomes.iter().any(|outcome| outcome.result.is_err())
    }

    /// ` (1 moved, 2 closed)`: which of the successful updates were moves, adoptions or closes;
    /// empty when none were.
    pub(crate) fn update_kinds(&self) -> String {
        let parts: Vec<String> = [
            Action::Move,
            Action::Adopt,
            Action::Close,
            Action::RetireDuplicate,
        ]
        .into_iter()
        .filter_map(|action| {
            let count = self
                .outcomes
                .iter()
                .filter(|outcome| outcome.action == action && outcome.result.is_ok())
                .count();
            (count > 0).then(|| format!("{count} {}", action.done()))
        })
        .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }

    /// How many changes a stop left undone (never started, or in flight when it ended).
    pub(crate) fn stopped_early(&self) -> Option<usize> {
        let left = self.not_started.len() + self.abandoned.len();
        (left > 0).then_some(left)
    }

    /// Successful creates and updates.
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let mut created = 0;
        let mut updated = 0;
        let mut failed = 0;
        for outcome in &self.outcomes {
            match (&outcome.result, outcome.action) {
                (Err(_), _) => failed += 1,
                (Ok(_), Action::Create) => created += 1,
                (Ok(_), _) => updated += 1,
            }
        }
        (created, updated, failed)
    }
}

/// How many times one create is sent at most when its outcome keeps being unknown.
const MAX_CREATE_ATTEMPTS: u32 = 5;

/// How long writes in flight are waited for once the run was asked to stop.
pub(crate) const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// Applies every change of the plan, up to the client's concurrency limit at once, reporting each
/// outcome through `progress` as it happens; the report lists them in plan order.
///
/// Once `stop` is set, no new write starts; the writes in flight are waited for up to
/// [`STOP_GRACE`], and counted as abandoned if they take longer.
pub(crate) async fn apply(
    client: &Client,
    plan: &Plan,
    stop: &Stop,
    mut progress: impl FnMut(&Outcome),
) -> ApplyReport {
    let mut report = ApplyReport::default();
    let (requests_before, retries_before) = (client.request_count(), client.retry_count());
    let changes = plan.objects.iter().enumerate().filter(|(_, object)| {
        if object.action == Action::Unchanged {
            report.unchanged += 1;
            false
        } else {
            true
        }
    });
    let changes: Vec<(usize, &ObjectPlan)> = changes.collect();
    let wanted: Vec<usize> = changes.iter().map(|(index, _)| *index).collect();
    let started = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let started = &started;
    let mut running = futures_util::stream::iter(changes)
        .map(|(index, object)| async move {
            if stop.reason().is_some() {
                return (index, None);
            }
            if let Ok(mut started) = started.lock() {
                started.insert(index);
            }
            (index, Some(apply_one(client, object, stop).await))
        })
        .buffer_unordered(client.options().max_concurrency.max(1));
    let mut done = Vec::new();
    let mut deadline = None;
    loop {
        let next = if stop.reason().is_some() {
            let until = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + STOP_GRACE);
            match tokio::time::timeout_at(until, running.next()).await {
                Ok(next) => next,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                next = running.next() => next,
                () = stop.stopped() => continue,
            }
        };
        let Some((index, outcome)) = next else {
            break;
        };
        if let Some(outcome) = outcome {
            progress(&outcome);
            done.push((index, outcome));
        }
    }
    drop(running);
    done.sort_by_key(|(index, _)| *index);
    // What a stop left undone: never started, or started and not waited for to the end.
    let started = started.lock().map(|set| set.clone()).unwrap_or_default();
    let finished: std::collections::BTreeSet<usize> =
        done.iter().map(|(index, _)| *index).collect();
    for index in wanted.into_iter().filter(|index| !finished.contains(index)) {
        let object = &plan.objects[index];
        let entry = (object.kind, object.key.clone());
        if started.contains(&index) {
            report.abandoned.push(entry);
        } else {
            report.not_started.push(entry);
        }
    }
    tracing::debug!(
        "applied {} objects in {} requests ({} of them retries)",
        done.len(),
        client.request_count() - requests_before,
        client.retry_count() - retries_before
    );
    report.outcomes = done.into_iter().map(|(_, outcome)| outcome).collect();
    report
}

/// The duplicates soarform made of the keys this run created, found by searching them again
/// (batched) after the creates: another run may have created the same keys at the same time, or
/// a create may have been committed after its answer was lost. For each key carried by several
/// objects that soarform all made, every one but the oldest (lowest id) is to be retired; a key
/// also carried by an object soarform never wrote is a conflict left alone.
pub(crate) async fn find_twins(
    client: &Client,
    created: &[&Outcome],
    identity: &Identity,
    options: &PlanOptions,
) -> Result<Twins, ClientError> {
    let mut twins = Twins::default();
    for kind in Kind::ALL {
        let keys: Vec<&str> = created
            .iter()
            .filter(|outcome| outcome.kind == kind)
            .map(|outcome| outcome.key.as_str())
            .collect();
        if keys.is_empty() {
            continue;
        }
        let column = identity.column(kind);
        let mut columns = vec![column.field.clone()];
        columns.extend(
            options
                .ownership
                .column(kind)
                .map(|column| column.field.clone()),
        );
        if let Some(closing) = options.closing(kind) {
            columns.push(closing.status.field.clone());
            columns.extend(closing.note.as_ref().map(|(note, _)| note.field.clone()));
        }
        let mut observed = Observed::default();
        crate::observe::observe(
            client,
            kind,
            &column.field,
            &keys,
            &columns,
            &mut observed,
            &crate::printer::Progress::new("searches", 0),
        )
        .await?;
        for key in keys {
            match observed.get(kind, key) {
                [] | [_] => {}
                [kept, rest @ ..] if options.ownership.made_all(kind, rest, kept) => {
                    twins.retire.extend(rest.iter().map(|twin| {
                        crate::plan::retire_duplicate(kind, key, twin, kept.id, column, options)
                    }));
                }
                all => twins.conflicts.push(Conflict {
                    kind,
                    key: key.to_string(),
                    ids: all.iter().map(|live| live.id).collect(),
                    reason: ConflictReason::Duplicates,
                }),
            }
        }
    }
    Ok(twins)
}

/// What [`find_twins`] found.
#[derive(Debug, Default)]
pub(crate) struct Twins {
    /// Retirements of the duplicates soarform made.
    pub retire: Vec<ObjectPlan>,
    /// Keys also carried by objects soarform never wrote: left alone, reported.
    pub conflicts: Vec<Conflict>,
}

async fn apply_one(client: &Client, object: &ObjectPlan, stop: &Stop) -> Outcome {
    let result = match object.action {
        Action::Create => match create(client, object).await {
            Ok((id, answer)) => {
                match rewritten_key(object, read_back(client, object, id, answer).await.as_ref()) {
                    None => Ok(id),
                    Some(stored) => {
                        // Every later create would be stored altered too, and never found again.
                        stop.request(StopReason::IdentityRewritten);
                        Err(identity_rewritten(object, id, &stored))
                    }
                }
            }
            Err(error) => Err(Failure::new(error, &secrets_of(object))),
        },
        _ => update(client, object)
            .await
            .map_err(|error| Failure::new(error, &secrets_of(object))),
    };
    Outcome {
        kind: object.kind,
        key: object.key.clone(),
        action: object.action,
        remote_id: object.remote_id,
        field_count: object.changes.len(),
        result,
    }
}

/// The key as the tenant stored it, when the create's answer shows the identity field holding
/// something else than the key sent (`None` when it holds the key, or the answer does not show
/// the field).
fn rewritten_key(object: &ObjectPlan, answer: Option<&RemoteObject>) -> Option<String> {
    let stored = answer?.fields.get(&object.identity_field)?;
    let stored = match stored {
        Value::String(text) => text.clone(),
        Value::Null => return None,
        other => other.to_string(),
    };
    (stored != object.key).then_some(stored)
}

/// What the tenant holds for a created object: the create's answer when it shows the identity
/// field, else the object read again (a tenant may answer a create with the id alone). `None`
/// when the answer was lost (the search that found the object matched the key) or the read
/// fails (then the duplicate check after the creates and the next plan still see the object).
async fn read_back(
    client: &Client,
    object: &ObjectPlan,
    id: u64,
    answer: Option<RemoteObject>,
) -> Option<RemoteObject> {
    let answer = answer?;
    if answer.fields.get(&object.identity_field).is_some() {
        return Some(answer);
    }
    match client.get(object.kind, id).await {
        Ok(read) => Some(read),
        Err(error) => {
            tracing::debug!(
                "{} {}: reading created id {id} back failed: {error}",
                object.kind,
                object.key
            );
            None
        }
    }
}

/// The failure of a create whose key the tenant rewrote, naming the settings that do it.
fn identity_rewritten(object: &ObjectPlan, id: u64, stored: &str) -> Failure {
    let noun = object.kind.noun();
    Failure {
        message: format!(
            "the tenant stored {noun} {id} with `{}` = {} instead of the key `{}`: it rewrites identities, so soarform could never find this {noun} again and would create a new one on every apply",
            object.identity_field,
            crate::safe_text::quoted(&crate::scrub::server_text(stored)),
            object.key
        ),
        hint: Some(format!(
            "in Cloud SOAR's settings, turn off \"Use suffix on non-duplicate\" (and check \"Prohibit duplicate naming\" and \"Default suffix for duplicated incident name\"), or name a field the tenant stores as written under `identity:` in soarform.yaml; then close {noun} {id}"
        )),
    }
}

/// Creates the object. When the answer is lost (the create may or may not have been committed,
/// and a server may commit it late), the key is searched for over a bounded window
/// ([`crate::client::ClientOptions::create_settle`]) first, and the create is sent again only if
/// nothing carries it by then: a retried create never makes a duplicate of one that committed
/// within the window. One that commits later still is found by the search after the creates
/// ([`crate::apply`]'s duplicate check) and retired.
///
/// Returns the new id, and the create's answer when there was one.
async fn create(
    client: &Client,
    object: &ObjectPlan,
) -> Result<(u64, Option<RemoteObject>), ClientError> {
    let template_id = object.template.as_ref().map(|template| template.id);
    let policy = &client.options().retry;
    let first = std::time::Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let error = match client
            .create(object.kind, template_id, object.write_fields())
            .await
        {
            Ok(created) => return Ok((created.id, Some(created))),
            Err(error @ ClientError::OutcomeUnknown { .. }) => error,
            Err(error) => return Err(error),
        };
        let ids = settle(client, object).await?;
        if let Some(id) = ids.first() {
            tracing::debug!(
                "{} {}: the create's answer was lost, but it was committed as id {id}",
                object.kind,
                object.key
            );
            return Ok((*id, None));
        }
        if attempt < MAX_CREATE_ATTEMPTS && first.elapsed() < policy.max_elapsed {
            tracing::debug!(
                "{} {}: the create's answer was lost and nothing carries the key; sending it again",
                object.kind,
                object.key
            );
            continue;
        }
        tracing::debug!("{} {}: giving up after {error}", object.kind, object.key);
        return Err(ClientError::NotCreated {
            operation: crate::client::Operation::create(object.kind),
            attempts: attempt,
            last: Box::new(error),
        });
    }
}

/// The ids of the objects carrying the key of `object`, searched for until one shows or the
/// settle window has passed (waits of 0.5 s, 1 s, 2 s, ... within the window).
async fn settle(client: &Client, object: &ObjectPlan) -> Result<Vec<u64>, ClientError> {
    // At most a quarter of the retry budget (`limits.retry_seconds`), so that a create that was
    // really lost can still be sent again within it.
    let options = client.options();
    let window = options.create_settle.min(options.retry.max_elapsed / 4);
    let started = std::time::Instant::now();
    let mut wait = std::time::Duration::from_millis(500);
    loop {
        tokio::time::sleep(wait.min(window.saturating_sub(started.elapsed()))).await;
        let ids = carrying_key(client, object).await?;
        if !ids.is_empty() || started.elapsed() >= window {
            return Ok(ids);
        }
        wait = wait.saturating_mul(2);
    }
}

/// The ids of the objects whose identity field holds the key of `object`, lowest first.
async fn carrying_key(client: &Client, object: &ObjectPlan) -> Result<Vec<u64>, ClientError> {
    let found = crate::observe::carrying(
        client,
        object.kind,
        &object.identity_field,
        &object.key,
        &[],
    )
    .await?;
    Ok(found.iter().map(|live| live.id).collect())
}

async fn update(client: &Client, object: &ObjectPlan) -> Result<u64, ClientError> {
    let Some(id) = object.remote_id else {
        // A plan always records the id of an object it updates; this guards hand-built plans.
        return Err(ClientError::InvalidResponse {
            operation: crate::client::Operation::update(object.kind),
            message: format!("the plan has no remote id for `{}`", object.key),
        });
    };
    let fields = object.write_fields();
    match object.action {
        Action::Close | Action::RetireDuplicate => client.close(object.kind, id, fields).await?,
        _ => client.update(object.kind, id, fields).await?,
    };
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::FieldChange;
    use serde_json::json;

    #[test]
    fn failures_mask_the_sensitive_values_of_their_object() {
        let object = ObjectPlan {
            kind: Kind::Incident,
            key: "k".into(),
            action: Action::Update,
            remote_id: Some(1),
            template: None,
            identity_field: "incidentid".into(),
            changes: vec![FieldChange {
                field: "opt_2".into(),
                label: "External ticket".into(),
                declared_name: "External ticket".into(),
                before: Normalized::Text("OLD-1".into()),
                after: Normalized::Text("line \"one\"\nTOP-SECRET".into()),
                write: json!("line \"one\"\nTOP-SECRET"),
                sensitive: true,
            }],
            observed: vec![],
            warnings: vec![],
            moved_from: None,
            adopted: None,
            ownership_field: None,
        };
        let error = ClientError::InvalidResponse {
            operation: crate::client::Operation::update(Kind::Incident),
            message: r#"bad value "line \"one\"\nTOP-SECRET" (was OLD-1)"#.into(),
        };
        let failure = Failure::new(error, &secrets_of(&object));
        assert!(!failure.message.contains("TOP-SECRET"), "{failure}");
        assert!(!failure.message.contains("OLD-1"), "{failure}");
        assert!(failure.message.contains(WITHHELD), "{failure}");
        assert!(
            failure.message.starts_with("`update_incident` returned"),
            "{failure}"
        );

        // A one-character secret withholds the server's message, never soarform's own wording.
        let mut short = object.clone();
        short.changes[0].after = Normalized::Text("3".into());
        short.changes[0].write = json!("3");
        let error = ClientError::Status {
            operation: crate::client::Operation::update(Kind::Incident),
            status: 403,
            message: "value 3 is not allowed".into(),
        };
        let failure = Failure::new(error, &secrets_of(&short));
        assert_eq!(
            failure.message,
            format!("`update_incident` failed with 403: {WITHHELD}")
        );
    }

    #[test]
    fn failures_withhold_escaped_and_case_folded_echoes_and_mask_credentials() {
        let object = ObjectPlan {
            kind: Kind::Incident,
            key: "k".into(),
            action: Action::Update,
            remote_id: Some(1),
            template: None,
            identity_field: "incidentid".into(),
            changes: vec![FieldChange {
                field: "opt_2".into(),
                label: "External ticket".into(),
                declared_name: "External ticket".into(),
                before: Normalized::Absent,
                after: Normalized::Text("Élan-Secret".into()),
                write: json!("Élan-Secret"),
                sensitive: true,
            }],
            observed: vec![crate::plan::ObservedField {
                field: "opt_2".into(),
                label: "External ticket".into(),
                value: Normalized::Text("Live-Value-Ω".into()),
                sensitive: true,
            }],
            warnings: vec![],
            moved_from: None,
            adopted: None,
            ownership_field: None,
        };
        let mut secrets = secrets_of(&object);
        secrets.sort();
        secrets.dedup();
        assert_eq!(secrets, ["Live-Value-Ω", "Élan-Secret"]);
        for echo in [
            r#"bad "\u00c9lan-Secret""#,
            "bad élan-secret",
            "bad %C3%89lan-Secret",
            r#"was "live-value-\u03c9""#,
        ] {
            let error = ClientError::Status {
                operation: crate::client::Operation::update(Kind::Incident),
                status: 400,
                message: echo.into(),
            };
            let failure = Failure::new(error, &secrets_of(&object));
            assert_eq!(
                failure.message,
                format!("`update_incident` failed with 400: {WITHHELD}"),
                "{echo}"
            );
        }
        crate::scrub::register_credential("apply-test-token-91c2");
        let error = ClientError::Status {
            operation: crate::client::Operation::update(Kind::Incident),
            status: 401,
            message: "bad header Bearer APPLY-TEST-TOKEN-91C2".into(),
        };
        let failure = Failure::new(error, &secrets_of(&object));
        assert_eq!(
            failure.message,
            "`update_incident` failed with 401: bad header Bearer ***"
        );
    }
}
