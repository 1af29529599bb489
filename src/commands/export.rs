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
    let config = settings::project_config(
        std::slice::from_ref(&args.out),
        args.connection.config.as_deref(),
    )?;
    let connection = settings::connection(&args.connection, &config, &Environment::from_process())?;
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
    if config.path.is_none() {
        support.push(("soarform.yaml", first_project_file(&target)));
    }
    // Standard output lists the documents only; these are said on stderr.
    let mut written = Vec::new();
    for outcome in export::write_support(&args.out, &support, args.force)? {
        match outcome {
            export::SupportOutcome::Written(path) => written.push(format!("`{}`", path.display())),
            export::SupportOutcome::Same(_) => {}
            export::SupportOutcome::Kept(path) => printer.note(&format!(
                "kept `{}` as it is: it differs from what this soarform writes (`--force` replaces it; `soarform schema` prints the schemas)",
                path.display()
            )),
        }
    }
    if !written.is_empty() {
        printer.note(&format!(
            "also wrote {}: {}",
            written.join(", "),
            if written.iter().any(|path| path.ends_with("soarform.yaml`")) {
                "the schemas the documents' first lines name for editors, and a first project file (there was none)"
            } else {
                "the schemas the documents' first lines name for editors"
            }
        ));
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
        let root = target
            .url
            .strip_suffix(target.dialect.base_path().trim_start_matches('/'))
            .unwrap_or(&target.url);
        text.push_str(&format!(
            "url: {}\napi: {}\n",
            crate::manifest::emit::inline_string(root),
            target.dialect
        ));
    }
    text
}
