//! `plan`: the desired state resolved against the catalog, the live objects read by key, and the
//! two compared, in named steps. Nothing is written.

use std::collections::BTreeSet;

use chrono::Timelike;

use super::rules::{self, Lifecycle};
use super::tenant::{ObserveRequest, Tenant};
use crate::config::{ProjectConfig, PruneMode};
use crate::dates::Precision;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::manifest::Manifest;
use crate::normalize::Normalized;
use crate::plan::{self, Conflict, ConflictReason, Plan, PlanOptions};
use crate::resolve::{Identity, ResolvedObject};
use crate::select::Selection;

/// Resolves the manifest against the catalog, reads the selected objects by key, and compares.
///
/// Every declared object is checked against the catalog, selected or not, as `validate` would.
pub(crate) async fn plan(
    tenant: &Tenant,
    mut manifest: Manifest,
    config: &ProjectConfig,
    lifecycle: &Lifecycle,
    selection: &Selection,
) -> Result<Planned> {
    // 1. soarform.yaml against the catalog, and the documents against both.
    let scope = rules::prune_scope(config, lifecycle)?;
    let identity = rules::identity(config, tenant.catalog())?;
    tenant.learn_identity(&identity);
    let mut options = rules::plan_options(config, lifecycle, tenant.catalog(), &identity)?;
    // The checks that read the documents' objects run first, and their errors are reported
    // after resolution's as before: resolving takes the objects, one by one.
    let ownership =
        rules::check_ownership_undeclared(&manifest, tenant.catalog(), &options.ownership);
    let lease = rules::check_lease_undeclared(config, &manifest);
    let moves = rules::resolve_moves(config, &manifest);
    let mut desired = rules::desired(
        &mut manifest,
        tenant.catalog(),
        &identity,
        &options.sensitive,
    )?;
    ownership?;
    lease?;
    options.moves = moves?;
    // The desired objects now hold all the plan needs: the documents' text and trees are freed
    // before the live objects arrive, so the two never sit in memory together (BENCHMARKS.md, 7).
    drop(manifest);
    // 2. The selection: the others stay declared, so pruning never closes them.
    let declared = desired.len();
    let declared_keys: BTreeSet<(Kind, String)> = desired
        .iter()
        .map(|object| (object.kind, object.key.clone()))
        .collect();
    desired.retain(|object| selection.matches(object.kind, &object.key));
    // 3. The live objects carrying the selected keys (and their old keys, for moves).
    let observed = tenant
        .observe(&observe_requests(&desired, &identity, &options))
        .await?;
    let finer_dates = dates_finer_than_minutes(&desired);
    // 4. The comparison, then what pruning retires.
    // `desired` is handed over: each resolved object is freed once it is planned.
    let mut plan = plan::compute(desired, &observed, &identity, tenant.catalog(), &options)
        .map_err(conflict_error)?;
    drop(observed);
    if !scope.is_empty() {
        let closing = rules::prune_closing(
            config,
            lifecycle,
            tenant.catalog(),
            &scope,
            &identity,
            &options,
        )?;
        let candidates = tenant
            .in_scope(
                &scope,
                &identity,
                &options.ownership,
                &closing,
                &config.lock,
            )
            .await?;
        let retirement = plan::retire(
            &candidates,
            &identity,
            &declared_keys,
            |kind, key| scope.matches(kind, key) && selection.matches(kind, key),
            &options,
            |kind| closing[usize::from(kind == Kind::TriageItem)].clone(),
            lifecycle.prune == PruneMode::Close,
        );
        plan.objects.extend(retirement.closes);
        plan.undeclared = retirement.undeclared;
    }
    let notes = minutes_note(&plan, finer_dates).into_iter().collect();
    Ok(Planned {
        plan,
        declared,
        identity,
        options,
        notes,
    })
}

/// How many declared dates have seconds or a fraction.
fn dates_finer_than_minutes(desired: &[ResolvedObject]) -> usize {
    desired
        .iter()
        .flat_map(|object| &object.fields)
        .filter(|field| match field.value.normalized {
            Normalized::Instant { at, .. } => at.second() != 0 || at.nanosecond() != 0,
            _ => false,
        })
        .count()
}

/// The one note of a run whose tenant shows dates to the minute while documents declare
/// seconds: those are compared to the minute, so they never show as changes they cannot make.
fn minutes_note(plan: &Plan, finer_dates: usize) -> Option<String> {
    let shows_minutes = plan
        .objects
        .iter()
        .flat_map(|object| &object.observed)
        .any(|field| {
            matches!(
                field.value,
                Normalized::Instant {
                    precision: Precision::Minute,
                    ..
                }
            )
        });
    (shows_minutes && finer_dates > 0).then(|| {
        format!(
            "this tenant shows dates to the minute: {finer_dates} declared {} with seconds {} compared to the minute",
            if finer_dates == 1 { "date" } else { "dates" },
            if finer_dates == 1 { "is" } else { "are" },
        )
    })
}

/// Per kind: the keys to look for (new and old ones) and every field the plan compares or
/// writes for its bookkeeping.
fn observe_requests(
    desired: &[ResolvedObject],
    identity: &Identity,
    options: &PlanOptions,
) -> Vec<ObserveRequest> {
    Kind::ALL
        .into_iter()
        .map(|kind| {
            let objects = desired.iter().filter(|object| object.kind == kind);
            ObserveRequest {
                kind,
                identity_field: identity.column(kind).field.clone(),
                keys: objects
                    .clone()
                    .flat_map(|object| {
                        let mut keys = options.moves.old_keys(kind, &object.key);
                        keys.push(object.key.clone());
                        keys
                    })
                    .collect(),
                columns: objects
                    .flat_map(|object| object.fields.iter().map(|field| field.column.field.clone()))
                    .chain(
                        options
                            .ownership
                            .column(kind)
                            .map(|column| column.field.clone()),
                    )
                    .chain(options.closing(kind).into_iter().flat_map(|closing| {
                        std::iter::once(closing.status.field.clone())
                            .chain(closing.note.as_ref().map(|(note, _)| note.field.clone()))
                    }))
                    .collect(),
            }
        })
        .collect()
}

/// A plan and how many objects the files declare (the plan holds only the selected ones).
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    /// The plan of the selected objects.
    pub plan: Plan,
    /// How many objects the files declare.
    pub declared: usize,
    /// The identity fields the plan used.
    pub identity: Identity,
    /// The options the plan was computed with.
    pub options: PlanOptions,
    /// What the run should say once, beside the plan (a tenant that shows dates to the minute).
    pub notes: Vec<String>,
}

/// The error for keys the plan cannot settle: carried by several objects, or by an object
/// soarform never wrote while adoption is off.
pub(crate) fn conflict_error(conflicts: Vec<Conflict>) -> Error {
    let refused =
        |conflict: &Conflict| matches!(conflict.reason, ConflictReason::NotAdopted { .. });
    let (message, hint) = if conflicts.iter().all(refused) {
        (
            "some keys match objects soarform never wrote, and adoption is off (`--no-adopt` or `adopt: false`)",
            "rename the keys, or clear the identity field of those objects in Cloud SOAR, or allow adoption",
        )
    } else {
        (
            "some keys match more than one live object",
            "soarform never guesses: clear the identity field of the duplicates you do not want managed, then plan again",
        )
    };
    let mut message = message.to_string();
    for conflict in &conflicts {
        message.push_str("\n  ");
        message.push_str(&conflict.to_string());
    }
    Error::with_hint(message, hint)
}
