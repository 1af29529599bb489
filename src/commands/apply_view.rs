//! How `apply` shows itself: the plan before confirmation, each outcome as it happens (on stdout
//! for text, on stderr when stdout carries a document), the result in the chosen format.

use std::io::BufRead as _;

use super::{write_stdout, ExitStatus, Printer};
use crate::apply::{ApplyReport, Outcome, Refusal};
use crate::cli::OutputFormat;
use crate::error::{Error, Result};
use crate::ops::apply::ApplyView;
use crate::ops::apply_saved::SavedView;
use crate::plan::Plan;
use crate::plan_json::{self, PlanDocument};
use crate::render::{markdown, text};
use crate::select::Selection;

/// The view of one apply: its format, and the selection a plan from files was limited to.
pub(super) struct View<'a> {
    pub printer: Printer,
    pub format: OutputFormat,
    /// `None` for a saved plan, which has no selection note.
    pub selection: Option<&'a Selection>,
    /// For a saved plan: the line that says which plan is applied, before its refusals.
    pub intro: Option<String>,
}

impl View<'_> {
    fn text(&self) -> bool {
        self.format == OutputFormat::Text
    }
}

impl ApplyView for View<'_> {
    fn planned(&self, plan: &Plan, declared: usize) -> Result<()> {
        if self.text() {
            write_stdout(
                self.printer,
                &text::render_plan(plan, self.printer.stdout_color()),
            )?;
        }
        if let Some(selection) = self.selection {
            super::note_selection(self.printer, selection, plan, declared);
        }
        Ok(())
    }

    fn starting(&self) -> Result<()> {
        if self.text() {
            write_stdout(self.printer, "\n")?;
        }
        Ok(())
    }

    fn outcome(&self, outcome: &Outcome) {
        if self.text() {
            let _ = write_stdout(
                self.printer,
                &text::render_outcome(outcome, self.printer.stdout_color()),
            );
        } else {
            self.printer
                .message(&text::render_outcome(outcome, self.printer.stderr_color()));
        }
    }

    fn retiring(&self, plan: &Plan) -> Result<()> {
        if self.text() {
            write_stdout(self.printer, &format!(
                "\nAnother run or a late commit made {} duplicate(s) of keys this run created; retiring them:\n\n",
                plan.objects.len()
            ))?;
            write_stdout(
                self.printer,
                &text::render_plan(plan, self.printer.stdout_color()),
            )?;
            write_stdout(self.printer, "\n")?;
        }
        Ok(())
    }
}

impl SavedView for View<'_> {
    fn checked(&self, refused: &[Refusal]) -> Result<()> {
        if !self.text() {
            return Ok(());
        }
        if let Some(intro) = &self.intro {
            write_stdout(self.printer, intro)?;
        }
        for refusal in refused {
            write_stdout(
                self.printer,
                &text::render_refusal(refusal, self.printer.stdout_color()),
            )?;
        }
        if !refused.is_empty() {
            write_stdout(self.printer, "\n")?;
        }
        Ok(())
    }
}

/// Prints the result in the chosen format and turns it into the exit status.
pub(super) fn finish(
    plan: &Plan,
    report: &ApplyReport,
    document: PlanDocument,
    format: OutputFormat,
    printer: Printer,
) -> Result<ExitStatus> {
    let context_target = document.target.clone();
    match format {
        OutputFormat::Text => write_stdout(
            printer,
            &text::render_apply_summary(report, printer.stdout_color()),
        )?,
        OutputFormat::Json => write_stdout(
            printer,
            &super::to_json(&plan_json::with_outcomes(document, report))?,
        )?,
        OutputFormat::Markdown => write_stdout(
            printer,
            &markdown::render_apply(plan, report, &super::markdown_context(&context_target)),
        )?,
    }
    if !report.refused.is_empty() {
        printer.message(&format!(
            "{} object(s) changed after the plan was made and were left alone; run `soarform plan` again to review them.\n",
            report.refused.len()
        ));
    }
    Ok(if !report.refused.is_empty() {
        ExitStatus::Stale
    } else if report.has_failures() {
        ExitStatus::Incomplete
    } else {
        ExitStatus::Success
    })
}

pub(super) fn confirm(target: &str) -> Result<bool> {
    // The prompt has no style, so it goes through the Printer's stream without colour.
    crate::printer::write_stderr(
        &format!("\nDo you want to apply these changes to {target}?\n  Only `yes` will be accepted to approve.\n\n  Enter a value: "),
        false,
    );
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| Error::caused_by("cannot read the answer from standard input", &error))?;
    Ok(answer.trim() == "yes")
}
