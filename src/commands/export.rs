//! `soarform export`: the tenant's incidents and triage items as canonical desired-state YAML.

use super::{runtime, write_stdout, ExitStatus, Printer};
use crate::cli::{ExportArgs, ExportKind};
use crate::error::Result;
use crate::export::{self, ExportRequest, Warning};
use crate::kind::Kind;
use crate::session::Session;
use crate::settings::{self, Environment};

/// Reads the tenant, then writes one file per object under `--out` (all or nothing without
/// `--force`, and nothing when a path would leave `--out` through a link or is too long);
/// written paths go to stdout, warnings and the summary to stderr.
pub fn export(args: ExportArgs, printer: Printer) -> Result<ExitStatus> {
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
    let exported = runtime()?.block_on(async {
        let session = Session::open(connection).await?;
        let identity = session.identity(&config)?;
        let options = session.plan_options(&config, &identity)?;
        // Values of `sensitive_fields` never leave the tenant through soarform, files included;
        // the ownership marker records who manages an object, not what the object is.
        let mut omit = options.sensitive;
        for kind in Kind::ALL {
            if let Some(column) = options.ownership.column(kind) {
                omit.insert(kind, column.field.clone());
            }
        }
        let request = ExportRequest {
            kinds: kinds.clone(),
            filter: args.filter.clone(),
            omit,
            ownership: options.ownership,
            lease: Some((
                config.lock.kind.unwrap_or(crate::kind::Kind::Incident),
                config
                    .lock
                    .key
                    .clone()
                    .unwrap_or_else(|| crate::config::DEFAULT_LOCK_KEY.to_string()),
            )),
        };
        export::collect(session.client(), session.catalog(), &identity, &request).await
    })?;
    for note in &exported.notes {
        eprintln!("note: {note}");
    }
    if !config.sensitive_fields.is_empty() {
        let names: Vec<String> = config
            .sensitive_fields
            .iter()
            .map(|field| format!("`{}`", field.name))
            .collect();
        eprintln!(
            "note: `sensitive_fields` are never exported ({}); declare their values yourself where soarform should manage them",
            names.join(", ")
        );
    }
    for warning in &exported.warnings {
        eprint!("{}", render_warning(warning, printer.stderr_color));
    }
    let mut write_error = None;
    let options = config.load_options();
    export::write(&args.out, &exported.files, args.force, &options, |path| {
        if let Err(error) = write_stdout(&format!("{}\n", path.display())) {
            write_error.get_or_insert(error);
        }
    })?;
    if let Some(error) = write_error {
        return Err(error);
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
    eprintln!("{summary}");
    if exported.unowned > 0 {
        eprintln!(
            "note: soarform never wrote {} of them: the next plan shows {} as `~ adopt` (soarform records its ownership; no other field changes), and after one apply it is empty",
            exported.unowned,
            if exported.unowned == 1 { "it" } else { "them" }
        );
    }
    Ok(ExitStatus::Success)
}

/// `warning: ...` and `hint: ...` lines, coloured like errors are.
fn render_warning(warning: &Warning, color: bool) -> String {
    if !color {
        return warning.to_string();
    }
    let (yellow, bold, cyan, reset) = ("\x1b[1;33m", "\x1b[1m", "\x1b[1;36m", "\x1b[0m");
    let mut out = format!("{yellow}warning{reset}{bold}: {}{reset}\n", warning.message);
    if let Some(hint) = &warning.hint {
        out.push_str(&format!("{cyan}hint{reset}{bold}:{reset} {hint}\n"));
    }
    out
}
