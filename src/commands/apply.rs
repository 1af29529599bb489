//! `soarform apply`: plan, show, confirm, then make exactly the planned changes; or apply a saved
//! plan, refusing the objects that changed since it was made.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use super::{runtime, write_stdout, ExitStatus, Printer};
use crate::apply::{self, ApplyReport, Outcome, Refusal};
use crate::cli::{ApplyArgs, LockArgs, OutputFormat};
use crate::config::ProjectConfig;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::lease::{Holder, Lease, LeaseError};
use crate::manifest;
use crate::plan::{Action, ObjectPlan, Plan};
use crate::plan_json::{self, Context, Hasher, PlanDocument, TargetInfo};
use crate::progress::Progress;
use crate::render::{markdown, text};
use crate::saved::{self, Verdict};
use crate::session::{ObserveRequest, Session};
use crate::settings::{self, Connection, ConnectionSettings, Environment};
use crate::stop::{Stop, StopReason};

/// Applies the desired state (after confirmation) or a saved plan.
pub fn apply(args: ApplyArgs, printer: Printer) -> Result<ExitStatus> {
    if let Some(plan_file) = args.plan.clone() {
        return apply_saved(args, plan_file, printer);
    }
    let interactive = std::io::stdin().is_terminal();
    // Refuse before any network traffic: an unattended apply must say so explicitly.
    if !args.auto_approve && args.format != OutputFormat::Text {
        return Err(Error::with_hint(
            "`--format json` and `--format markdown` print the result only, so they need `--auto-approve`",
            "review the plan with `soarform plan`, then run `soarform apply --auto-approve --format ...`, or save it with `plan --out FILE` and run `apply --plan FILE`",
        ));
    }
    if !args.auto_approve && !interactive {
        return Err(Error::with_hint(
            "apply needs confirmation, but standard input is not a terminal",
            "review the plan with `soarform plan`, then run `soarform apply --auto-approve`",
        ));
    }
    let selection = super::selection(&args.selection)?;
    let mut config = settings::project_config(&args.paths, args.connection.config.as_deref())?;
    super::apply_lifecycle(&mut config, &args.lifecycle);
    let manifest =
        manifest::load(&args.paths, &config.load_options()).map_err(Error::Diagnostics)?;
    let _ = super::warn_unused_patterns(&selection, &manifest);
    let connection = settings::connection(&args.connection, &config, &Environment::from_process())?;
    runtime()?.block_on(async {
        let session = Session::open(connection).await?;
        let stop = Arc::new(Stop::default());
        listen_for_signals(Arc::clone(&stop));
        let lease = take_lease(&session, &config, &args.lock, &stop).await?;
        let work = async {
            let planned = session.plan(&manifest, &config, &selection).await?;
            apply::register_sensitive_values(&planned.plan.objects);
            let plan = &planned.plan;
            let context = Context {
                target: session.target_info(),
                paths: super::path_strings(&args.paths),
                selection: super::selection_info(&args.selection),
                hasher: Hasher::random(),
            };
            if args.format == OutputFormat::Text {
                write_stdout(&text::render_plan(plan, printer.stdout_color))?;
            }
            super::note_selection(&selection, plan, planned.declared);
            let mut report = ApplyReport {
                unchanged: plan.summary().unchanged,
                ..ApplyReport::default()
            };
            let mut retired = Vec::new();
            if plan.has_changes() {
                if !args.auto_approve
                    && !confirm_unless_stopped(session.target().base_url().as_ref(), &stop).await?
                {
                    eprintln!("Apply cancelled; nothing was changed.");
                    return Ok(stopped_status(&stop).unwrap_or(ExitStatus::Failure));
                }
                if args.format == OutputFormat::Text {
                    write_stdout("\n")?;
                }
                report = write_changes(&session, plan, &stop, args.format, printer).await;
                retired = retire_twins(
                    &session,
                    &mut report,
                    &planned.identity,
                    &planned.options,
                    &stop,
                    args.format,
                    printer,
                )
                .await?;
            } else if args.format == OutputFormat::Text {
                return Ok(stopped_status(&stop).unwrap_or(ExitStatus::Success));
            }
            // The duplicates retired after the creates belong in the report as objects too.
            let mut applied = plan.clone();
            applied.objects.extend(retired);
            let document = plan_json::plan_document(&applied, &context);
            let status = finish(&applied, &report, document, args.format, printer)?;
            Ok(interrupted(&report, &stop).unwrap_or(status))
        };
        let result = hold(&session, lease.as_ref(), &stop, work).await;
        release(&session, lease).await;
        result
    })
}

/// Applies `plan` with a progress bar, printing each outcome as it happens.
async fn write_changes(
    session: &Session,
    plan: &Plan,
    stop: &Stop,
    format: OutputFormat,
    printer: Printer,
) -> ApplyReport {
    let bar = Progress::new("objects applied", changes(plan));
    let report = apply::apply(session.client(), plan, stop, |outcome| {
        bar.step();
        bar.suspend(|| progress(outcome, format, printer));
    })
    .await;
    bar.finish();
    report
}

/// After the creates: searches the keys this run created and retires the duplicates soarform
/// made of them (another run at the same time, a create committed late); a key also carried by
/// an object soarform never wrote is reported as a failure and left alone. Returns the
/// retirements it applied.
async fn retire_twins(
    session: &Session,
    report: &mut ApplyReport,
    identity: &crate::resolve::Identity,
    options: &crate::plan::PlanOptions,
    stop: &Stop,
    format: OutputFormat,
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
    let twins = match apply::find_twins(session.client(), &created, identity, options).await {
        Ok(twins) => twins,
        // The creates are made; not knowing about duplicates must not lose their report. The
        // next plan shows any duplicate, and apply retires it then.
        Err(error) => {
            let failure = Outcome {
                kind: created[0].kind,
                key: created[0].key.clone(),
                action: Action::RetireDuplicate,
                remote_id: None,
                field_count: 0,
                result: Err(apply::Failure {
                    message: format!(
                        "the search for duplicates of the {} created key(s) failed: {}",
                        created.len(),
                        crate::scrub::server_text(&error.to_string())
                    ),
                    hint: Some("run `soarform plan`: it shows any duplicate to retire".into()),
                }),
            };
            progress(&failure, format, printer);
            report.outcomes.push(failure);
            return Ok(Vec::new());
        }
    };
    let mut failures: Vec<Outcome> = twins
        .conflicts
        .iter()
        .map(|conflict| Outcome {
            kind: conflict.kind,
            key: conflict.key.clone(),
            action: Action::RetireDuplicate,
            remote_id: None,
            field_count: 0,
            result: Err(apply::Failure {
                message: format!("left alone: {conflict}"),
                hint: Some("soarform never guesses: clear the identity field of the objects you do not want managed, then plan again".into()),
            }),
        })
        .collect();
    for failure in &failures {
        progress(failure, format, printer);
    }
    if !twins.retire.is_empty() {
        let plan = Plan {
            objects: twins.retire,
            undeclared: Vec::new(),
        };
        if format == OutputFormat::Text {
            write_stdout(&format!(
                "\nAnother run or a late commit made {} duplicate(s) of keys this run created; retiring them:\n\n",
                plan.objects.len()
            ))?;
            write_stdout(&text::render_plan(&plan, printer.stdout_color))?;
            write_stdout("\n")?;
        }
        let retired = write_changes(session, &plan, stop, format, printer).await;
        report.outcomes.extend(retired.outcomes);
        report.not_started.extend(retired.not_started);
        report.abandoned.extend(retired.abandoned);
        report.outcomes.append(&mut failures);
        return Ok(plan.objects);
    }
    report.outcomes.append(&mut failures);
    Ok(Vec::new())
}

/// Listens for SIGINT and SIGTERM while the command runs: the first asks every later write not
/// to start (those in flight finish), the second ends the process at once.
fn listen_for_signals(stop: Arc<Stop>) {
    tokio::spawn(async move {
        let Some(first) = next_signal().await else {
            return;
        };
        stop.request(first);
        eprintln!(
            "\n{}: no new write starts; waiting up to {} s for those in flight (press Ctrl-C again to stop at once)",
            first.describe(),
            apply::STOP_GRACE.as_secs()
        );
        if let Some(second) = next_signal().await {
            eprintln!(
                "{}: stopping at once; the lease this run holds expires by itself (`lock.ttl_seconds`): run `soarform apply --lock-timeout 10m` again to converge",
                second.describe()
            );
            std::process::exit(exit_status(second).into());
        }
    });
}

/// The next SIGINT or SIGTERM; `None` if signals cannot be listened for.
async fn next_signal() -> Option<StopReason> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok()?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.ok().map(|()| StopReason::Interrupted),
            _ = terminate.recv() => Some(StopReason::Terminated),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .ok()
            .map(|()| StopReason::Interrupted)
    }
}

/// The exit status of a stop, if one was asked for.
fn stopped_status(stop: &Stop) -> Option<ExitStatus> {
    stop.reason().map(exit_status)
}

/// The exit status that reports a stop: 128 + the signal's number for signals.
fn exit_status(reason: StopReason) -> ExitStatus {
    match reason {
        StopReason::Interrupted => ExitStatus::Interrupted,
        StopReason::Terminated => ExitStatus::Terminated,
        StopReason::LeaseLost => ExitStatus::Failure,
    }
}

/// After a stop: what was done and what was not, on stderr, and the status to exit with.
fn interrupted(report: &ApplyReport, stop: &Stop) -> Option<ExitStatus> {
    let reason = stop.reason()?;
    let (created, updated, failed) = report.counts();
    let mut text = format!(
        "soarform was {}: {created} created, {updated} updated, {failed} failed before it stopped; {} change(s) not started",
        reason.describe(),
        report.not_started.len()
    );
    text.push_str(&listed(&report.not_started));
    if !report.abandoned.is_empty() {
        text.push_str(&format!(
            ";\n{} write(s) were still in flight when the wait ended, their outcome is unknown",
            report.abandoned.len()
        ));
        text.push_str(&listed(&report.abandoned));
    }
    eprintln!("{text}.\nRun `soarform apply` again: it converges, with no duplicate.");
    stopped_status(stop)
}

/// ` (Incident a, Incident b, ... and 3 more)`: the first objects of a list, escaped.
fn listed(objects: &[(Kind, String)]) -> String {
    const SHOWN: usize = 10;
    if objects.is_empty() {
        return String::new();
    }
    let mut names: Vec<String> = objects
        .iter()
        .take(SHOWN)
        .map(|(kind, key)| format!("{kind} {}", crate::safe_text::one_line(key)))
        .collect();
    if objects.len() > SHOWN {
        names.push(format!("and {} more", objects.len() - SHOWN));
    }
    format!(" ({})", names.join(", "))
}

/// Takes the apply lease unless `--lock=false` or the sandbox.
async fn take_lease(
    session: &Session,
    config: &ProjectConfig,
    lock: &LockArgs,
    stop: &Stop,
) -> Result<Option<Lease>> {
    if !lock.lock {
        return Ok(None);
    }
    let Some(spec) = session.lease_spec(config)? else {
        return Ok(None);
    };
    let holder = Holder::this_process();
    match Lease::take(session.client(), &spec, &holder, lock.lock_timeout, stop).await {
        Ok(lease) => Ok(Some(lease)),
        Err(LeaseError::Stopped) => {
            eprintln!("{}", LeaseError::Stopped);
            std::process::exit(
                stop.reason()
                    .map_or(ExitStatus::Interrupted, exit_status)
                    .into(),
            );
        }
        Err(error) => Err(match error.hint() {
            Some(hint) => Error::with_hint(error.to_string(), hint),
            None => Error::message(error.to_string()),
        }),
    }
}

/// Runs `work`, renewing the lease meanwhile when there is one.
async fn hold<T>(
    session: &Session,
    lease: Option<&Lease>,
    stop: &Stop,
    work: impl std::future::Future<Output = T>,
) -> T {
    match lease {
        Some(lease) => lease.hold_while(session.client(), stop, work).await,
        None => work.await,
    }
}

/// Releases the lease; a failure only means it expires by itself.
async fn release(session: &Session, lease: Option<Lease>) {
    if let Some(lease) = lease {
        if let Err(error) = lease.release(session.client()).await {
            eprintln!("warning: could not release the apply lease (it expires by itself): {error}");
        }
    }
}

/// Asks for confirmation; a stop asked for meanwhile answers no.
async fn confirm_unless_stopped(target: &str, stop: &Stop) -> Result<bool> {
    let target = target.to_string();
    let answer = tokio::task::spawn_blocking(move || confirm(&target));
    tokio::select! {
        answer = answer => answer.map_err(|error| Error::caused_by("cannot ask for confirmation", &error))?,
        () = stop.stopped() => Ok(false),
    }
}

/// How many objects the plan creates or updates.
fn changes(plan: &Plan) -> u64 {
    plan.summary().changes() as u64
}

/// Prints an outcome as it happens: on stdout for text, on stderr when stdout carries a document.
fn progress(outcome: &Outcome, format: OutputFormat, printer: Printer) {
    if format == OutputFormat::Text {
        let _ = write_stdout(&text::render_outcome(outcome, printer.stdout_color));
    } else {
        eprint!("{}", text::render_outcome(outcome, printer.stderr_color));
    }
}

/// Prints the result in the chosen format and turns it into the exit status.
fn finish(
    plan: &Plan,
    report: &ApplyReport,
    document: PlanDocument,
    format: OutputFormat,
    printer: Printer,
) -> Result<ExitStatus> {
    let context_target = document.target.clone();
    match format {
        OutputFormat::Text => {
            write_stdout(&text::render_apply_summary(report, printer.stdout_color))?
        }
        OutputFormat::Json => write_stdout(&super::to_json(&plan_json::with_outcomes(
            document, report,
        ))?)?,
        OutputFormat::Markdown => write_stdout(&markdown::render_apply(
            plan,
            report,
            &super::markdown_context(&context_target),
        ))?,
    }
    if !report.refused.is_empty() {
        eprintln!(
            "{} object(s) changed after the plan was made and were left alone; run `soarform plan` again to review them.",
            report.refused.len()
        );
    }
    Ok(if !report.refused.is_empty() {
        ExitStatus::Stale
    } else if report.has_failures() {
        ExitStatus::Incomplete
    } else {
        ExitStatus::Success
    })
}

fn confirm(target: &str) -> Result<bool> {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "\nDo you want to apply these changes to {target}?\n  Only `yes` will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| Error::caused_by("cannot read the answer from standard input", &error))?;
    Ok(answer.trim() == "yes")
}

/// `apply --plan FILE`: re-reads the objects the plan touches, applies those unchanged since the
/// plan, refuses the others.
fn apply_saved(mut args: ApplyArgs, plan_file: PathBuf, printer: Printer) -> Result<ExitStatus> {
    let document = saved::read(&plan_file)?;
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        document.paths.iter().map(PathBuf::from).collect()
    } else {
        args.paths.clone()
    };
    let config = settings::project_config(&paths, args.connection.config.as_deref())?;
    let environment = Environment::from_process();
    default_to_plan_target(&mut args, &config, &environment, &document);
    let connection = settings::connection(&args.connection, &config, &environment)?;
    // Refuse before sending anything, credentials included, to a tenant the plan was not made for.
    let here = target_of(&connection);
    if !document.target.same_as(&here) {
        return Err(Error::with_hint(
            format!(
                "the plan `{}` was made against {}, and this apply would go to {}; nothing was sent",
                plan_file.display(),
                document.target,
                here
            ),
            "apply a plan to the tenant it was made against, or make a new plan for this one",
        ));
    }
    runtime()?.block_on(async {
        let session = Session::open(connection).await?;
        let stop = Arc::new(Stop::default());
        listen_for_signals(Arc::clone(&stop));
        let lease = take_lease(&session, &config, &args.lock, &stop).await?;
        let work = async {
        let identity = session.identity(&config)?;
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
        let observed = session.observe(&observe_requests(&document)).await?;
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
            match saved::check(entry, &live, session.catalog(), &hasher) {
                Verdict::Apply(object) => fresh.push(*object),
                Verdict::AlreadyApplied => report.already_applied += 1,
                Verdict::Refused(refusal) => report.refused.push(refusal),
            }
        }
        if fresh.iter().any(|object| object.changes.iter().any(|change| change.sensitive)) {
            fill_sensitive_writes(&session, &config, &paths, &document, &mut fresh, &mut report)
                .await?;
        }
        apply::register_sensitive_values(&fresh);
        let text_output = args.format == OutputFormat::Text;
        if text_output {
            write_stdout(&format!(
                "Applying the saved plan `{}` (made against {}).\n\n",
                plan_file.display(),
                document.target
            ))?;
            for refusal in &report.refused {
                write_stdout(&text::render_refusal(refusal, printer.stdout_color))?;
            }
            if !report.refused.is_empty() {
                write_stdout("\n")?;
            }
        }
        let plan = Plan {
            objects: fresh,
            undeclared: Vec::new(),
        };
        if plan.has_changes() {
            if text_output {
                write_stdout(&text::render_plan(&plan, printer.stdout_color))?;
                write_stdout("\n")?;
            }
            let applied = write_changes(&session, &plan, &stop, args.format, printer).await;
            report.outcomes = applied.outcomes;
            report.not_started = applied.not_started;
            report.abandoned = applied.abandoned;
            let options = session.plan_options(&config, &identity)?;
            // A saved plan's report lists the plan's own objects; retirements show as outcomes.
            let _retired = retire_twins(
                &session,
                &mut report,
                &identity,
                &options,
                &stop,
                args.format,
                printer,
            )
            .await?;
        }
        let status = finish(
            &saved::to_plan(&document, session.catalog()),
            &report,
            document.clone(),
            args.format,
            printer,
        )?;
        Ok(interrupted(&report, &stop).unwrap_or(status))
        };
        let result = hold(&session, lease.as_ref(), &stop, work).await;
        release(&session, lease).await;
        result
    })
}

/// With no URL on the command line, in the environment or in `soarform.yaml`, a plan made on the
/// sandbox goes to the sandbox. A remote URL is never taken from the plan file: a tampered file
/// must not be able to send the credential to a host of its choosing.
fn default_to_plan_target(
    args: &mut ApplyArgs,
    config: &ProjectConfig,
    environment: &Environment,
    document: &PlanDocument,
) {
    let connection = &mut args.connection;
    let unset = connection.url.is_none()
        && connection.region.is_none()
        && !connection.sandbox
        && environment.url.is_none()
        && config.url.is_none()
        && config.region.is_none();
    if unset && document.target.sandbox {
        connection.sandbox = true;
        connection.api = connection.api.or(Some(document.target.dialect));
    }
}

/// Where a connection would go, as plan files record it.
fn target_of(connection: &ConnectionSettings) -> TargetInfo {
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
    session: &Session,
    config: &ProjectConfig,
    paths: &[PathBuf],
    document: &PlanDocument,
    fresh: &mut Vec<ObjectPlan>,
    report: &mut ApplyReport,
) -> Result<()> {
    let manifest = manifest::load(paths, &config.load_options()).map_err(Error::Diagnostics)?;
    let identity = session.identity(config)?;
    let options = session.plan_options(config, &identity)?;
    let desired = session.resolve(&manifest, &identity, &options.sensitive)?;
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
            Action::Close => {
                Some(session.closing(config, object.kind, true, &identity, &options.ownership)?)
            }
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
