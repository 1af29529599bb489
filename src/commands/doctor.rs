//! `soarform doctor`: read-only probes of the tenant, and the `tenant:` block they suggest.

use std::path::PathBuf;

use super::{runtime, write_stdout, ExitStatus, Printer};
use crate::cli::{DoctorArgs, TextOrJson};
use crate::error::{Error, Result};
use crate::ops::doctor::{self, DoctorOptions, Report, Status};
use crate::ops::tenant::Connected;
use crate::settings::{self, Environment};

/// Runs the probes and prints the report; exit 0 when the tenant is usable with the suggested
/// settings, 1 when it is not.
pub(crate) fn doctor(args: DoctorArgs, printer: Printer) -> Result<ExitStatus> {
    let config =
        settings::project_config(&[PathBuf::from(".")], args.connection.config.as_deref())?;
    let connection = settings::connection(&args.connection, &config, &Environment::from_process())?;
    let options = DoctorOptions {
        write_check: args.write_check.clone(),
    };
    let report = runtime()?.block_on(async {
        let connected = Connected::new(&connection)?;
        Ok::<_, Error>(doctor::doctor(&connected, &connection, &config, &options).await)
    })?;
    let output = match args.format {
        TextOrJson::Json => {
            let mut text = serde_json::to_string_pretty(&report)
                .map_err(|error| Error::caused_by("cannot write the report as JSON", &error))?;
            text.push('\n');
            text
        }
        TextOrJson::Text => render(&report),
    };
    write_stdout(printer, &output)?;
    Ok(if report.usable {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The text report: one line per probe, its evidence indented below, then the block.
fn render(report: &Report) -> String {
    let mut text = format!(
        "soarform doctor: {}{} ({} dialect), with {}\n\n",
        report.target.url,
        if report.target.sandbox {
            " (the sandbox)"
        } else {
            ""
        },
        report.target.dialect,
        report.credential
    );
    for check in &report.checks {
        text.push_str(&format!(
            "{:<8} {}: {}\n",
            check.status.word(),
            check.name,
            check.summary
        ));
        for line in &check.evidence {
            text.push_str(&format!("           {line}\n"));
        }
    }
    let failures = report
        .checks
        .iter()
        .filter(|check| check.status == Status::Failure)
        .count();
    if report.tenant_yaml.is_empty() {
        let catalog_read = report.checks.iter().any(|check| check.name == "catalog");
        text.push_str(&if catalog_read {
            format!("\nNo settings to suggest yet: {failures} failure(s) above. Fix them and run doctor again.\n")
        } else {
            format!("\nsoarform cannot read this tenant: {failures} failure(s) above. Fix them and run doctor again.\n")
        });
        return text;
    }
    text.push_str("\nSettings for soarform.yaml, from what the probes saw (in place of its `tenant:` section):\n\n");
    text.push_str(&report.tenant_yaml);
    text.push('\n');
    if report.usable {
        text.push_str("soarform can work with this tenant as soarform.yaml configures it.\n");
    } else {
        text.push_str(&format!(
            "soarform cannot work with this tenant as soarform.yaml configures it: {failures} failure(s) above. Put the settings above in soarform.yaml (and run `--write-check KEY` if updates were not checked), then run doctor again.\n"
        ));
    }
    text
}
