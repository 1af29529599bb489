//! `soarform plan`: what apply would change, field by field.

use super::{runtime, write_stdout, ExitStatus, Printer};
use crate::cli::{OutputFormat, PlanArgs};
use crate::error::{Error, Result};
use crate::lease::Lease;
use crate::manifest;
use crate::ops::{self, tenant::Tenant};
use crate::plan_json::{self, Context, Hasher};
use crate::render::{markdown, text};
use crate::settings::{self, Environment};

/// Computes and prints the plan (and saves it with `--out`); exit 2 for changes with
/// `--detailed-exitcode` or `--expect-no-changes`.
pub(crate) fn plan(args: PlanArgs, printer: Printer) -> Result<ExitStatus> {
    let selection = super::selection(&args.selection)?;
    let config = settings::project_config(&args.paths, args.connection.config.as_deref())?;
    let lifecycle = settings::lifecycle(&args.lifecycle, &config);
    let manifest =
        manifest::load(&args.paths, &config.load_options()).map_err(Error::Diagnostics)?;
    let unused = super::warn_unused_patterns(printer, &selection, &manifest);
    if args.expect_no_changes && unused.iter().any(|pattern| pattern.starts_with("--target")) {
        // A mistyped target would select nothing and pass the drift check forever.
        return Err(Error::with_hint(
            format!(
                "`{}` matches no declared object, and --expect-no-changes was given",
                unused.join("`, `")
            ),
            "fix the pattern: a drift check that compares nothing always passes",
        ));
    }
    let environment = Environment::from_process();
    let connection = settings::connection(&args.connection, &config, &environment)?;
    let (planned, context) = runtime()?.block_on(async {
        let tenant = Tenant::open(connection).await?;
        if args.lock.lock && !tenant.is_sandbox() {
            let spec = ops::apply::lease_spec(&tenant, &config, args.selection.shard)?;
            let waited = Lease::wait_free(tenant.client(), &spec, args.lock.lock_timeout).await?;
            if let Some(record) = waited {
                printer.note(&format!(
                    "an apply by {} holds the lease since {}: this plan may show changes it is making",
                    crate::safe_text::one_line(&crate::scrub::server_text(&record.holder)),
                    record.started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ));
            }
        }
        let planned = ops::plan::plan(&tenant, manifest, &config, &lifecycle, &selection).await?;
        crate::apply::register_sensitive_values(&planned.plan.objects);
        let context = Context {
            target: tenant.target_info(),
            paths: super::path_strings(&args.paths),
            selection: super::selection_info(&args.selection),
            hasher: Hasher::random(),
        };
        Ok::<_, Error>((planned, context))
    })?;
    let plan = &planned.plan;
    // The saved file and the JSON output are one document (same salt, same fingerprints).
    let document = (args.out.is_some() || args.format == OutputFormat::Json)
        .then(|| plan_json::plan_document(plan, &context));
    if let (Some(out), Some(document)) = (&args.out, &document) {
        super::write_json_file(out, document)?;
    }
    let output = match (args.format, &document) {
        (OutputFormat::Json, Some(document)) => super::to_json(document)?,
        (OutputFormat::Text | OutputFormat::Json, _) => {
            text::render_plan(plan, printer.stdout_color())
        }
        (OutputFormat::Markdown, _) => {
            markdown::render_plan(plan, &super::markdown_context(&context.target))
        }
    };
    write_stdout(printer, &output)?;
    for note in &planned.notes {
        printer.note(note);
    }
    super::note_selection(printer, &selection, plan, planned.declared);
    if let (Some(out), Some(document)) = (&args.out, &document) {
        let extra: Vec<String> = args
            .connection
            .config
            .iter()
            .map(|path| format!("--config {}", path.display()))
            .collect();
        printer.message(&format!(
            "Saved the plan to `{}`; apply exactly this plan with `{}`.\n",
            out.display(),
            settings::apply_plan_command(out, document, &config, &environment, &extra)
        ));
    }
    if args.expect_no_changes && plan.has_changes() {
        let error = Error::with_hint(
            format!(
                "the tenant differs from the desired state ({}), and --expect-no-changes was given",
                plan.summary().counts()
            ),
            "someone changed objects outside soarform, or the repository changed without an apply: review the plan above",
        );
        printer.message(&error.render(printer.stderr_color()));
        return Ok(ExitStatus::Changes);
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}
