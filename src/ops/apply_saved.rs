//! `apply --plan FILE`: re-reads the objects a saved plan touches, applies those unchanged since
//! the plan, refuses the others; sensitive values come from the desired-state files, and only
//! when they are still the planned ones.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::apply::{
    hold, release, retire_twins, take_lease, write_changes, Applied, ApplyView, LockOptions,
};
use super::rules::{self, Lifecycle};
use super::tenant::{Connection, ConnectionSettings, ObserveRequest, Tenant};
use crate::apply::{self as execute, ApplyReport, Refusal};
use crate::config::ProjectConfig;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::manifest;
use crate::plan::{Action, ObjectPlan, Plan};
use crate::plan_json::{Hasher, PlanDocument, TargetInfo};
use crate::printer::Printer;
use crate::saved::{self, Verdict};
use crate::stop::Stop;

/// How the caller shows a saved plan's apply: as an apply, plus the objects refused.
pub(crate) trait SavedView: ApplyView {
    /// The objects left alone because they changed since the plan, before anything is written.
    fn checked(&self, refused: &[Refusal]) -> Result<()>;
}

/// Where the saved plan came from and what it covers.
pub(crate) struct SavedPlan<'a> {
    /// The plan file's document.
    pub document: &'a PlanDocument,
    /// The desired-state paths (for sensitive values).
    pub paths: &'a [PathBuf],
}

/// Applies the objects of a saved plan that are unchanged since it was made.
pub(crate) async fn apply_saved(
    tenant: &Tenant,
    saved_plan: SavedPlan<'_>,
    config: &ProjectConfig,
    lock: LockOptions,
    stop: &Stop,
    view: &dyn SavedView,
    printer: Printer,
) -> Result<Applied> {
    let SavedPlan { document, paths } = saved_plan;
    let lifecycle = Lifecycle::resolve(config, false, false);
    let Some(lease) = take_lease(tenant, config, lock, stop, printer).await? else {
        return Ok(Applied::StoppedWaiting);
    };
    let work = async {
        let identity = {
            let identity = rules::identity(config, tenant.catalog())?;
            tenant.learn_identity(&identity);
            identity
        };
        if let Some(entry) = document
            .objects
            .iter()
            .find(|entry| entry.identity_field != identity.column(entry.kind).field)
        {
            return Err(Error::with_hint(
                format!(
                    "the plan keeps the key of {} `{}` in `{}`, but the identity field of {}s is `{}` now; nothing was applied",
                    entry.kind.noun(),
                    entry.key,
                    entry.identity_field,
                    entry.kind.noun(),
                    identity.column(entry.kind).field
                ),
                "make a new plan with the current `identity:` of soarform.yaml",
            ));
        }
        let hasher = Hasher::with_salt(&document.salt);
        let observed = tenant.observe(&observe_requests(document)).await?;
        let mut report = ApplyReport {
            unchanged: document.summary.unchanged,
            ..ApplyReport::default()
        };
        let retired: BTreeSet<(Kind, u64)> = document
            .objects
            .iter()
            .filter(|entry| entry.action == Action::RetireDuplicate)
            .filter_map(|entry| Some((entry.kind, entry.remote_id?)))
            .collect();
        let mut fresh = Vec::new();
        for entry in &document.objects {
            if entry.action == Action::Unchanged {
                continue;
            }
            // A move is found under its old key, or under the new one once an earlier run made it.
            let mut live = observed.get(entry.kind, &entry.key).to_vec();
            if let Some(old) = &entry.moved_from {
                live.extend_from_slice(observed.get(entry.kind, old));
            }
            // A retired duplicate is one object by id; the object kept is checked without the
            // duplicates this plan retires.
            if entry.action == Action::RetireDuplicate {
                live.retain(|object| Some(object.id) == entry.remote_id);
                if live.is_empty() {
                    report.already_applied += 1;
                    continue;
                }
            } else {
                live.retain(|object| !retired.contains(&(entry.kind, object.id)));
            }
            match saved::check(entry, &live, tenant.catalog(), &hasher) {
                Verdict::Apply(object) => fresh.push(*object),
                Verdict::AlreadyApplied => report.already_applied += 1,
                Verdict::Refused(refusal) => report.refused.push(refusal),
            }
        }
        if fresh
            .iter()
            .any(|object| object.changes.iter().any(|change| change.sensitive))
        {
            fill_sensitive_writes(
                tenant,
                config,
                &lifecycle,
                paths,
                document,
                &mut fresh,
                &mut report,
            )
            .await?;
        }
        execute::register_sensitive_values(&fresh);
        view.checked(&report.refused)?;
        let plan = Plan {
            objects: fresh,
            undeclared: Vec::new(),
        };
        if plan.has_changes() {
            view.planned(&plan, plan.objects.len())?;
            view.starting()?;
            let applied = write_changes(tenant, &plan, stop, view, printer).await;
            report.outcomes = applied.outcomes;
            report.not_started = applied.not_started;
            report.abandoned = applied.abandoned;
            let options = rules::plan_options(config, &lifecycle, tenant.catalog(), &identity)?;
            // A saved plan's report lists the plan's own objects; retirements show as outcomes.
            retire_twins(
                tenant,
                &mut report,
                &identity,
                &options,
                stop,
                view,
                printer,
            )
            .await?;
        }
        Ok(Applied::Done {
            plan: saved::to_plan(document, tenant.catalog()),
            report,
        })
    };
    let result = hold(tenant, lease.as_ref(), stop, work).await;
    release(tenant, lease, printer).await;
    result
}

/// Where a connection would go, as plan files record it.
pub(crate) fn target_of(connection: &ConnectionSettings) -> TargetInfo {
    match &connection.connection {
        Connection::Remote { target, .. } => TargetInfo {
            url: target.base_url().to_string(),
            dialect: target.dialect,
            sandbox: false,
        },
        Connection::Sandbox { dialect, .. } => TargetInfo {
            url: String::new(),
            dialect: *dialect,
            sandbox: true,
        },
    }
}

/// One search per kind and identity field for the keys the plan creates or updates, reading only
/// the fields it compared or changes.
fn observe_requests(document: &PlanDocument) -> Vec<ObserveRequest> {
    let mut requests: BTreeMap<(Kind, String), ObserveRequest> = BTreeMap::new();
    for entry in &document.objects {
        if entry.action == Action::Unchanged {
            continue;
        }
        let request = requests
            .entry((entry.kind, entry.identity_field.clone()))
            .or_insert_with(|| ObserveRequest {
                kind: entry.kind,
                identity_field: entry.identity_field.clone(),
                keys: BTreeSet::new(),
                columns: BTreeSet::new(),
            });
        request.keys.insert(entry.key.clone());
        request.keys.extend(entry.moved_from.clone());
        request
            .columns
            .extend(entry.changes.iter().map(|change| change.field.clone()));
        request.columns.extend(
            entry
                .observed
                .iter()
                .flat_map(|observed| observed.fields.iter().map(|field| field.field.clone())),
        );
    }
    requests.into_values().collect()
}

/// A saved plan holds only hashes of sensitive values: the values to send come from the
/// desired-state files, and only if they are still the ones that were planned.
async fn fill_sensitive_writes(
    tenant: &Tenant,
    config: &ProjectConfig,
    lifecycle: &Lifecycle,
    paths: &[PathBuf],
    document: &PlanDocument,
    fresh: &mut Vec<ObjectPlan>,
    report: &mut ApplyReport,
) -> Result<()> {
    let mut manifest = manifest::load(paths, &config.load_options()).map_err(Error::Diagnostics)?;
    let identity = rules::identity(config, tenant.catalog())?;
    let options = rules::plan_options(config, lifecycle, tenant.catalog(), &identity)?;
    let desired = rules::desired(
        &mut manifest,
        tenant.catalog(),
        &identity,
        &options.sensitive,
    )?;
    let hasher = Hasher::with_salt(&document.salt);
    let declared: BTreeMap<(Kind, &str), _> = desired
        .iter()
        .map(|object| ((object.kind, object.key.as_str()), object))
        .collect();
    let planned_hashes: BTreeMap<(Kind, &str, &str), &str> = document
        .objects
        .iter()
        .flat_map(|entry| {
            entry.changes.iter().filter_map(move |change| {
                let hash = change.after_hash.as_deref()?;
                Some((
                    (entry.kind, entry.key.as_str(), change.field.as_str()),
                    hash,
                ))
            })
        })
        .collect();
    let mut kept = Vec::with_capacity(fresh.len());
    for mut object in fresh.drain(..) {
        // What soarform writes for its own bookkeeping comes from soarform.yaml, not the files.
        let closing = match object.action {
            Action::Close => Some(rules::closing(
                config,
                tenant.catalog(),
                object.kind,
                true,
                &identity,
                &options.ownership,
            )?),
            _ => None,
        };
        let ownership = options.ownership.column(object.kind);
        let mut problem = None;
        for change in object.changes.iter_mut().filter(|change| change.sensitive) {
            let declared_value = declared
                .get(&(object.kind, object.key.as_str()))
                .and_then(|declared| {
                    declared
                        .fields
                        .iter()
                        .find(|field| field.column.field == change.field)
                })
                .map(|field| (field.value.normalized.clone(), field.value.write.clone()));
            let value = declared_value.or_else(|| {
                crate::plan::bookkeeping_value(&change.field, closing.as_ref(), ownership)
            });
            let Some((normalized, write)) = value else {
                problem = Some(format!(
                    "the desired-state files no longer declare its sensitive field `{}`",
                    change.label
                ));
                break;
            };
            let planned =
                planned_hashes.get(&(object.kind, object.key.as_str(), change.field.as_str()));
            if planned != Some(&hasher.value(&change.field, &normalized).as_str()) {
                problem = Some(format!(
                    "the desired value of its sensitive field `{}` differs from the planned one",
                    change.label
                ));
                break;
            }
            change.after = normalized;
            change.write = write;
        }
        match problem {
            None => kept.push(object),
            Some(reason) => report.refused.push(Refusal {
                kind: object.kind,
                key: object.key.clone(),
                action: object.action,
                remote_id: object.remote_id,
                reason,
                drift: Vec::new(),
            }),
        }
    }
    *fresh = kept;
    Ok(())
}
