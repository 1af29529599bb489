//! `soarform export`: the tenant's incidents and triage items as canonical desired-state YAML.

use super::{runtime, write_stdout, ExitStatus, Printer};
use crate::cli::{ExportArgs, ExportKind};
use crate::error::Result;
use crate::export;
use crate::kind::Kind;
use crate::ops::{self, tenant::Tenant};
use crate::settings::{self, Environment};

/// Reads the tenant, then writes one file per object under `--out` (all or nothing without
/// `--force`, and nothing when a path would leave `--out` through a link or is too long);
/// written paths go to stdout, warnings and the summary to stderr.
pub(crate) fn export(args: ExportArgs, printer: Printer) -> Result<ExitStatus> {
    let (config, out_has_project) =
        settings::export_project_config(&args.out, args.connection.config.as_deref())?;
    let environment = Environment::from_process();
    let connection = settings::connection(&args.connection, &config, &environment)?;
    let kinds = match args.kind {
        None => Kind::ALL.to_vec(),
        Some(ExportKind::Incident) => vec![Kind::Incident],
        Some(ExportKind::Triage) => vec![Kind::TriageItem],
    };
    let (exported, target) = runtime()?.block_on(async {
        let tenant = Tenant::open(connection).await?;
        let exported = ops::export::export(&tenant, &config, &kinds, args.filter.clone()).await?;
        Ok::<_, crate::error::Error>((exported, tenant.target_info()))
    })?;
    for note in &exported.notes {
        printer.note(note);
    }
    if !config.sensitive_fields.is_empty() {
        let names: Vec<String> = config
            .sensitive_fields
            .iter()
            .map(|field| format!("`{}`", field.name))
            .collect();
        printer.note(&format!(
            "`sensitive_fields` are never exported ({}); declare their values yourself where soarform should manage them",
            names.join(", ")
        ));
    }
    for warning in &exported.warnings {
        printer.warn_with_hint(&warning.message, warning.hint.as_deref());
    }
    let mut write_error = None;
    let options = config.load_options();
    export::write(&args.out, &exported.files, args.force, &options, |path| {
        if let Err(error) = write_stdout(printer, &format!("{}\n", path.display())) {
            write_error.get_or_insert(error);
        }
    })?;
    if let Some(error) = write_error {
        return Err(error);
    }
    // The schemas the documents' modelines point at, and a first soarform.yaml.
    let mut support = vec![
        (
            export::DOCUMENT_SCHEMA_FILE,
            crate::manifest::schema::DOCUMENT_SCHEMA.to_string(),
        ),
        (
            export::PROJECT_SCHEMA_FILE,
            crate::manifest::schema::PROJECT_SCHEMA.to_string(),
        ),
    ];
    // `out` gets a project file unless it is under one already: the one this export was read
    // with, copied (identity, tenant and paths settings included, so that a plan of `out` reads
    // the tenant as this export did), or a first one naming the tenant.
    let mut copied_from = None;
    if !out_has_project {
        let text = match &config.path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    crate::error::Error::caused_by(
                        format!("cannot read `{}`", path.display()),
                        &error,
                    )
                })?;
                copied_from = Some(path.clone());
                let shown = path.canonicalize().unwrap_or_else(|_| path.clone());
                copied_project_file(&text, &shown)?
            }
            None => first_project_file(&target),
        };
        support.push(("soarform.yaml", text));
    }
    // Standard output lists the documents only; these are said on stderr.
    let mut written = Vec::new();
    // A copy an earlier export wrote is replaced, `--force` or not: it is the export's.
    let project_file = args.out.join("soarform.yaml");
    let replace_copy = crate::config::is_export_copy(&project_file);
    let (project, others): (Vec<_>, Vec<_>) = support
        .into_iter()
        .partition(|(name, _)| *name == "soarform.yaml");
    let mut outcomes = export::write_support(&args.out, &others, args.force)?;
    outcomes.extend(export::write_support(
        &args.out,
        &project,
        args.force || replace_copy,
    )?);
    let mut same_copy = false;
    for outcome in outcomes {
        if let (export::SupportOutcome::Same(path), Some(_)) = (&outcome, &copied_from) {
            same_copy |= path.ends_with("soarform.yaml");
        }
        match outcome {
            export::SupportOutcome::Written(path) => written.push(format!("`{}`", path.display())),
            export::SupportOutcome::Same(_) => {}
            export::SupportOutcome::Kept(path) => printer.note(&format!(
                "kept `{}` as it is: it differs from what this soarform writes (`--force` replaces it; `soarform schema` prints the schemas)",
                path.display()
            )),
        }
    }
    let wrote_project = written.iter().any(|path| path.ends_with("soarform.yaml`"));
    if !written.is_empty() {
        printer.note(&format!(
            "also wrote {}: {}",
            written.join(", "),
            match (&copied_from, wrote_project) {
                (Some(path), true) => format!(
                    "the schemas the documents' first lines name for editors, and a copy of `{}`, so that `soarform plan {}` reads the tenant as this export did",
                    path.display(),
                    args.out.display()
                ),
                (None, true) => "the schemas the documents' first lines name for editors, and a first project file (there was none)".to_string(),
                _ => "the schemas the documents' first lines name for editors".to_string(),
            }
        ));
    }
    if let (Some(path), true) = (&copied_from, same_copy) {
        printer.note(&format!(
            "`{}` is the copy of `{}`, unchanged",
            project_file.display(),
            path.display()
        ));
    }
    if let (Some(path), true) = (&copied_from, wrote_project || same_copy) {
        if connection_overridden(&args.connection, &environment) {
            printer.warn_with_hint(
                &format!(
                    "`{}` is a copy of `{}`, but this export's connection came from flags or the environment",
                    args.out.join("soarform.yaml").display(),
                    path.display()
                ),
                Some("give `soarform plan` of it the same flags, or name that tenant in the copy"),
            );
        }
    }
    let counts: Vec<String> = kinds
        .iter()
        .map(|kind| export::count_noun(exported.count(*kind), *kind))
        .collect();
    let mut summary = format!(
        "exported {} to `{}`",
        counts.join(" and "),
        args.out.display()
    );
    if exported.skipped > 0 {
        summary.push_str(&format!(
            "; skipped {} (see the warnings above)",
            exported.skipped
        ));
    }
    printer.message(&format!("{summary}\n"));
    if exported.unowned > 0 {
        printer.note(&format!(
            "soarform never wrote {} of them: the next plan shows {} as `~ adopt` (soarform records its ownership; no other field changes), and after one apply it is empty",
            exported.unowned,
            if exported.unowned == 1 { "it" } else { "them" }
        ));
    }
    Ok(ExitStatus::Success)
}

/// A project file copied into `out`: the export's modeline (the schema path is relative to the
/// file), where it came from, then its settings less those of the whole project.
fn copied_project_file(text: &str, from: &std::path::Path) -> Result<String> {
    let (body, dropped) = crate::config::without_project_scope(text).ok_or_else(|| {
        crate::error::Error::message(format!(
            "cannot copy `{}` beside the export: it is not one YAML mapping",
            from.display()
        ))
    })?;
    let mut copy = format!(
        "# yaml-language-server: $schema={}\n{}{}: the settings the export was read with\n# (comments left out). Another export into this directory copies it again.\n",
        export::PROJECT_SCHEMA_FILE,
        crate::config::COPY_MARKER,
        from.display()
    );
    if !dropped.is_empty() {
        copy.push_str(&format!(
            "# Left out: {}. They belong to the whole project, which an export is not: a plan of\n# it must not close or rename, nor skip, what the export holds or leaves out.\n",
            dropped.join(", ")
        ));
    }
    copy.push_str(&body);
    Ok(copy)
}

/// Whether `--url`, `--region`, `--api`, `--sandbox`, `SOARFORM_URL` or `SOARFORM_REGION` chose
/// the tenant rather than the project file alone.
fn connection_overridden(args: &crate::cli::ConnectionArgs, environment: &Environment) -> bool {
    args.url.is_some()
        || args.region.is_some()
        || args.api.is_some()
        || args.sandbox
        || environment.url.is_some()
        || environment.region.is_some()
}

/// The `soarform.yaml` export writes where there is none: where the tenant is (never a
/// credential), with the schema modeline.
fn first_project_file(target: &crate::plan_json::TargetInfo) -> String {
    let mut text = format!(
        "# yaml-language-server: $schema={}\n#\n# The project file of this repository, written by `soarform export`: where the tenant is and\n# how objects are identified. It never holds credentials: give them as SOARFORM_TOKEN, or\n# SUMO_ACCESS_ID and SUMO_ACCESS_KEY. `soarform doctor` suggests the `tenant:` settings of how\n# this tenant's API behaves.\n",
        export::PROJECT_SCHEMA_FILE
    );
    if target.sandbox {
        text.push_str("# Exported from the sandbox: name the tenant here, e.g. `region: us2` or `url: https://...`.\n");
    } else {
        let root = target.root_url();
        text.push_str(&format!(
            "url: {}\napi: {}\n",
            crate::manifest::emit::inline_string(root),
            target.dialect
        ));
    }
    text
}
