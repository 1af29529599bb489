//! `soarform apply`: plan, show, confirm, then make exactly the planned changes; or apply a saved
//! plan, refusing the objects that changed since it was made.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;

use super::{runtime, write_stdout, ExitStatus, Printer};
use crate::apply::{self, ApplyReport, Outcome, Refusal};
use crate::cli::{ApplyArgs, OutputFormat};
use crate::config::ProjectConfig;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::manifest::{self, LoadOptions};
use crate::plan::{Action, ObjectPlan, Plan};
use crate::plan_json::{self, Context, Hasher, PlanDocument, TargetInfo};
use crate::progress::Progress;
use crate::render::{markdown, text};
use crate::saved::{self, Verdict};
use crate::session::{ObserveRequest, Session};
use crate::settings::{self, Connection, ConnectionSettings, Environment};

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
    let manifest = manifest::load(&args.paths, &LoadOptions::for_project(&config))
        .map_err(Error::Diagnostics)?;
    let _ = super::warn_unused_patterns(&selection, &manifest);
    let connection = settings::connection(&args.connection, &config, &Environment::from_process())?;
    runtime()?.block_on(async {
        let session = Session::open(connection).await?;
        let planned = session.plan(&manifest, &config, &selection).await?;
        apply::register_sensitive_values(&planned.plan.objects);
        let plan = planned.plan;
        let context = Context {
            target: session.target_info(),
            paths: super::path_strings(&args.paths),
            selection: super::selection_info(&args.selection),
            hasher: Hasher::random(),
        };
        if args.format == OutputFormat::Text {
            write_stdout(&text::render_plan(&plan, printer.stdout_color))?;
        }
        super::note_selection(&selection, &plan, planned.declared);
        let mut report = ApplyReport {
            unchanged: plan.summary().unchanged,
            ..ApplyReport::default()
        };
        if plan.has_changes() {
            if !args.auto_approve && !confirm(session.target().base_url().as_ref())? {
                eprintln!("Apply cancelled; nothing was changed.");
                return Ok(ExitStatus::Failure);
            }
            if args.format == OutputFormat::Text {
                write_stdout("\n")?;
            }
            let bar = Progress::new("objects applied", changes(&plan));
            report = apply::apply(session.client(), &plan, |outcome| {
                bar.step();
                bar.suspend(|| progress(outcome, args.format, printer));
            })
            .await;
            bar.finish();
        } else if args.format == OutputFormat::Text {
            return Ok(ExitStatus::Success);
        }
        let document = plan_json::plan_document(&plan, &context);
        finish(&plan, &report, document, args.format, printer)
    })
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
            let bar = Progress::new("objects applied", changes(&plan));
            let applied = apply::apply(session.client(), &plan, |outcome| {
                bar.step();
                bar.suspend(|| progress(outcome, args.format, printer));
            })
            .await;
            bar.finish();
            report.outcomes = applied.outcomes;
        }
        finish(
            &saved::to_plan(&document, session.catalog()),
            &report,
            document.clone(),
            args.format,
            printer,
        )
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
    let manifest =
        manifest::load(paths, &LoadOptions::for_project(config)).map_err(Error::Diagnostics)?;
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
