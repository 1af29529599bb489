//! `apply`: plan, show, confirm, then make exactly the planned changes, retire the duplicates a
//! concurrent run or a late commit made, and report; all under the apply lease when there is one.
//!
//! What is shown, and how, is the caller's: operations hand plans and outcomes to an
//! [`ApplyView`] and return a typed result; the exit status is decided by the command.

use super::plan::{plan, Planned};
use super::rules::{self, Lifecycle};
use super::tenant::Tenant;
use crate::apply::{self as execute, ApplyReport, Failure, Outcome};
use crate::config::ProjectConfig;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::lease::{Holder, Lease, LeaseError};
use crate::manifest::Manifest;
use crate::plan::{Action, ObjectPlan, Plan, PlanOptions};
use crate::printer::Printer;
use crate::resolve::Identity;
use crate::select::Selection;
use crate::stop::Stop;

/// How the caller shows an apply as it goes.
pub(crate) trait ApplyView: Sync {
    /// The plan about to be applied, before any confirmation.
    fn planned(&self, plan: &Plan, declared: usize) -> Result<()>;
    /// Writes are about to start (after confirmation).
    fn starting(&self) -> Result<()>;
    /// One object's outcome, as it happens.
    fn outcome(&self, outcome: &Outcome);
    /// Duplicates of keys this run created, about to be retired.
    fn retiring(&self, plan: &Plan) -> Result<()>;
}

/// What asks "apply these changes?"; `None` means `--auto-approve`.
pub(crate) type Confirm = fn(&str) -> Result<bool>;

/// The apply lease as the command line asks for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LockOptions {
    /// Whether to take the lease (`--lock`).
    pub enabled: bool,
    /// How long to wait for another apply's lease (`--lock-timeout`).
    pub timeout: std::time::Duration,
    /// `--shard K/N`: each shard takes a lease of its own.
    pub shard: Option<crate::select::Shard>,
}

/// How an apply ended.
#[derive(Debug)]
pub(crate) enum Applied {
    /// The plan had no changes; nothing was written.
    NoChanges {
        /// The plan.
        plan: Plan,
        /// The report (unchanged objects only).
        report: ApplyReport,
    },
    /// Confirmation was refused (or a stop was asked for while waiting for it).
    Cancelled,
    /// The changes were applied (some may have failed or not started: see the report).
    Done {
        /// The plan, with the duplicates retired after the creates.
        plan: Plan,
        /// What happened.
        report: ApplyReport,
    },
    /// A stop was asked for while waiting for another apply's lease: nothing was done.
    StoppedWaiting,
}

/// Plans, shows, confirms and applies the desired state.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply(
    tenant: &Tenant,
    manifest: Manifest,
    config: &ProjectConfig,
    lifecycle: &Lifecycle,
    selection: &Selection,
    lock: LockOptions,
    confirm: Option<Confirm>,
    stop: &Stop,
    view: &dyn ApplyView,
    printer: Printer,
) -> Result<Applied> {
    let Some(lease) = take_lease(tenant, config, lock, stop, printer).await? else {
        return Ok(Applied::StoppedWaiting);
    };
    let work = async {
        let planned = plan(tenant, manifest, config, lifecycle, selection).await?;
        execute::register_sensitive_values(&planned.plan.objects);
        let Planned {
            plan,
            declared,
            identity,
            options,
            notes,
        } = planned;
        for note in &notes {
            printer.note(note);
        }
        view.planned(&plan, declared)?;
        let mut report = ApplyReport {
            unchanged: plan.summary().unchanged,
            ..ApplyReport::default()
        };
        if !plan.has_changes() {
            return Ok(Applied::NoChanges { plan, report });
        }
        if let Some(confirm) = confirm {
            if !confirm_unless_stopped(confirm, tenant.target().base_url().as_ref(), stop).await? {
                return Ok(Applied::Cancelled);
            }
        }
        view.starting()?;
        report = write_changes(tenant, &plan, stop, view, printer).await;
        let retired = retire_twins(
            tenant,
            &mut report,
            &identity,
            &options,
            stop,
            view,
            printer,
        )
        .await?;
        // The duplicates retired after the creates belong in the report as objects too.
        let mut applied = plan;
        applied.objects.extend(retired);
        Ok(Applied::Done {
            plan: applied,
            report,
        })
    };
    let result = hold(tenant, lease.as_ref(), stop, work).await;
    release(tenant, lease, printer).await;
    result
}

/// Applies `plan` with a progress bar, handing each outcome to the view as it happens.
pub(crate) async fn write_changes(
    tenant: &Tenant,
    plan: &Plan,
    stop: &Stop,
    view: &dyn ApplyView,
    printer: Printer,
) -> ApplyReport {
    let bar = printer.progress("objects applied", plan.summary().changes() as u64);
    let report = execute::apply(tenant.client(), plan, stop, |outcome| {
        bar.step();
        bar.suspend(|| view.outcome(outcome));
    })
    .await;
    bar.finish();
    report
}

/// After the creates: searches the keys this run created and retires the duplicates soarform
/// made of them (another run at the same time, a create committed late); a key also carried by
/// an object soarform never wrote is reported as a failure and left alone. Returns the
/// retirements it applied.
pub(crate) async fn retire_twins(
    tenant: &Tenant,
    report: &mut ApplyReport,
    identity: &Identity,
    options: &PlanOptions,
    stop: &Stop,
    view: &dyn ApplyView,
    printer: Printer,
) -> Result<Vec<ObjectPlan>> {
    let created: Vec<&Outcome> = report
        .outcomes
        .iter()
        .filter(|outcome| outcome.action == Action::Create && outcome.result.is_ok())
        .collect();
    if created.is_empty() || stop.reason().is_some() {
        return Ok(Vec::new());
    }
    let twins = match execute::find_twins(tenant.client(), &created, identity, options).await {
        Ok(twins) => twins,
        // The creates are made; not knowing about duplicates must not lose their report. The
        // next plan shows any duplicate, and apply retires it then.
        Err(error) => {
            let failure = retire_failure(
                created[0].kind,
                created[0].key.clone(),
                format!(
                    "the search for duplicates of the {} created key(s) failed: {}",
                    created.len(),
                    crate::scrub::server_text(&error.to_string())
                ),
                "run `soarform plan`: it shows any duplicate to retire",
            );
            view.outcome(&failure);
            report.outcomes.push(failure);
            return Ok(Vec::new());
        }
    };
    let mut failures: Vec<Outcome> = twins
        .conflicts
        .iter()
        .map(|conflict| {
            retire_failure(
                conflict.kind,
                conflict.key.clone(),
                format!("left alone: {conflict}"),
                "soarform never guesses: clear the identity field of the objects you do not want managed, then plan again",
            )
        })
        .collect();
    for failure in &failures {
        view.outcome(failure);
    }
    let mut retired = Vec::new();
    if !twins.retire.is_empty() {
        let plan = Plan {
            objects: twins.retire,
            undeclared: Vec::new(),
        };
        view.retiring(&plan)?;
        let written = write_changes(tenant, &plan, stop, view, printer).await;
        report.outcomes.extend(written.outcomes);
        report.not_started.extend(written.not_started);
        report.abandoned.extend(written.abandoned);
        retired = plan.objects;
    }
    report.outcomes.append(&mut failures);
    Ok(retired)
}

/// A retirement that could not be made, as an outcome.
fn retire_failure(kind: Kind, key: String, message: String, hint: &str) -> Outcome {
    Outcome {
        kind,
        key,
        action: Action::RetireDuplicate,
        remote_id: None,
        field_count: 0,
        result: Err(Failure {
            message,
            hint: Some(hint.into()),
        }),
    }
}

/// Takes the apply lease unless `--lock=false` or the sandbox: `Ok(Some(None))` when no lease is
/// needed, `Ok(None)` when a stop came while waiting for another apply's lease.
pub(crate) async fn take_lease(
    tenant: &Tenant,
    config: &ProjectConfig,
    lock: LockOptions,
    stop: &Stop,
    printer: Printer,
) -> Result<Option<Option<Lease>>> {
    if !lock.enabled || tenant.is_sandbox() {
        return Ok(Some(None));
    }
    let spec = lease_spec(tenant, config, lock.shard)?;
    let holder = Holder::this_process();
    let started = std::time::Instant::now();
    loop {
        let lease = match Lease::take(tenant.client(), &spec, &holder, lock.timeout, stop).await {
            Ok(lease) => lease,
            Err(LeaseError::Stopped) => {
                printer.message(&format!("{}\n", LeaseError::Stopped));
                return Ok(None);
            }
            Err(error) => {
                return Err(match error.hint() {
                    Some(hint) => Error::with_hint(error.to_string(), hint),
                    None => Error::message(error.to_string()),
                })
            }
        };
        // Shards of one N exclude nobody but themselves; an apply of everything, or shards of
        // another N, overlap with this one. Holding its own lease, each looks for the others':
        // one held means this run lets its own go, waits for the other to end and starts over,
        // after a random pause (two runs that saw each other do not meet again in step).
        let client = tenant.client();
        let mut held = None;
        for other in overlapping_leases(tenant, &spec, lock.shard).await? {
            if let Some(record) =
                Lease::wait_free(client, &other, std::time::Duration::ZERO).await?
            {
                held = Some((other, record));
                break;
            }
        }
        let Some((other, record)) = held else {
            return Ok(Some(Some(lease)));
        };
        let _ = lease.release(client).await;
        let left = lock.timeout.saturating_sub(started.elapsed());
        if Lease::wait_free(client, &other, left).await?.is_some()
            || started.elapsed() >= lock.timeout
        {
            return Err(Error::with_hint(
                format!(
                    "another apply of overlapping objects holds `{}` ({}, since {}); nothing was changed",
                    other.key,
                    crate::safe_text::one_line(&crate::scrub::server_text(&record.holder)),
                    record.started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                "shards of one --shard K/N run at once; an apply of everything, or of shards of another N, waits for them (`--lock-timeout`): re-run when it has finished",
            ));
        }
        let pause = std::time::Duration::from_millis(rand::random::<u64>() % 1_000);
        tokio::time::sleep(pause).await;
    }
}

/// The leases of applies whose objects may overlap with this one's: with a shard K/N, the
/// lease of an apply of everything and those of shards of another N; without one, every
/// shard's. Found by a search of the lease key's shard prefix.
async fn overlapping_leases(
    tenant: &Tenant,
    own: &crate::lease::LeaseSpec,
    shard: Option<crate::select::Shard>,
) -> Result<Vec<crate::lease::LeaseSpec>> {
    let whole = own
        .key
        .split_once("/shard-")
        .map_or(own.key.clone(), |(whole, _)| whole.to_string());
    let prefix = format!("{whole}/shard-");
    let client = tenant.client();
    let filter = client.filter(own.kind, &own.identity_field, &[prefix.as_str()], true);
    let found = client
        .search(own.kind, &filter, std::slice::from_ref(&own.identity_field))
        .await?;
    let mut keys: Vec<String> = found
        .iter()
        .filter_map(|object| {
            object
                .fields
                .get(&own.identity_field)?
                .as_str()
                .map(str::to_string)
        })
        .filter(|key| {
            let count = key
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split_once("-of-"))
                .and_then(|(_, count)| count.parse::<u32>().ok());
            match (shard, count) {
                (_, None) => false,
                (Some(shard), Some(count)) => count != shard.count,
                (None, Some(_)) => true,
            }
        })
        .collect();
    keys.sort();
    keys.dedup();
    if shard.is_some() {
        keys.insert(0, whole);
    }
    Ok(keys
        .into_iter()
        .map(|key| crate::lease::LeaseSpec { key, ..own.clone() })
        .collect())
}

/// Where the lease lives, with the client told the identity fields (its searches use them).
pub(crate) fn lease_spec(
    tenant: &Tenant,
    config: &ProjectConfig,
    shard: Option<crate::select::Shard>,
) -> Result<crate::lease::LeaseSpec> {
    tenant.learn_identity(&rules::identity(config, tenant.catalog())?);
    let mut spec = rules::lease_spec(config, tenant.catalog())?;
    if let Some(shard) = shard {
        spec.key = rules::shard_lease_key(&spec.key, shard);
    }
    Ok(spec)
}

/// Runs `work`, renewing the lease meanwhile when there is one.
pub(crate) async fn hold<T>(
    tenant: &Tenant,
    lease: Option<&Lease>,
    stop: &Stop,
    work: impl std::future::Future<Output = T>,
) -> T {
    match lease {
        Some(lease) => lease.hold_while(tenant.client(), stop, work).await,
        None => work.await,
    }
}

/// Releases the lease; a failure only means it expires by itself.
pub(crate) async fn release(tenant: &Tenant, lease: Option<Lease>, printer: Printer) {
    if let Some(lease) = lease {
        if let Err(error) = lease.release(tenant.client()).await {
            printer.warn(&format!(
                "could not release the apply lease (it expires by itself): {error}"
            ));
        }
    }
}

/// Asks for confirmation; a stop asked for meanwhile answers no.
async fn confirm_unless_stopped(confirm: Confirm, target: &str, stop: &Stop) -> Result<bool> {
    let target = target.to_string();
    let answer = tokio::task::spawn_blocking(move || confirm(&target));
    tokio::select! {
        answer = answer => answer.map_err(|error| Error::caused_by("cannot ask for confirmation", &error))?,
        () = stop.stopped() => Ok(false),
    }
}
