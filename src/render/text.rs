//! The text plan: a header per object, a line per changed field, unified diffs for multi-line text.
//!
//! Everything that comes from documents, the tenant or the server (keys, names, values, warnings,
//! messages) is shown through [`safe_text`]: control characters and bidirectional overrides
//! escaped, and on one line unless it is a line of a multi-line diff, so that no value can clear
//! the screen, colour the output or forge a plan line.

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use crate::apply::{ApplyReport, Outcome, Refusal};
use crate::normalize::Normalized;
use crate::plan::{Action, FieldChange, ObjectPlan, Plan, Summary};
use crate::printer::Palette;
use crate::safe_text::{escaped, one_line};
use crate::scrub;

const INDENT: &str = "    ";

/// What every format shows in place of a sensitive value.
pub(crate) const SENSITIVE: &str = "(sensitive)";

/// Renders a plan for people.
pub(crate) fn render_plan(plan: &Plan, color: bool) -> String {
    let palette = Palette::new(color);
    let mut out = String::new();
    let changed: Vec<&ObjectPlan> = plan
        .objects
        .iter()
        .filter(|object| object.action != Action::Unchanged || !object.warnings.is_empty())
        .collect();
    if plan.has_changes() {
        out.push_str("soarform will perform the following actions:\n\n");
    } else {
        out.push_str("No changes. The tenant matches the desired state.\n\n");
    }
    for object in changed {
        render_object(&mut out, object, &palette);
        out.push('\n');
    }
    if !plan.undeclared.is_empty() {
        out.push_str(&undeclared_section(plan, &palette));
    }
    out.push_str(&summary_line(plan.summary(), &palette));
    out
}

/// The objects in `prune_scope` that no document declares, left alone without pruning.
fn undeclared_section(plan: &Plan, palette: &Palette) -> String {
    let Palette {
        bold, dim, reset, ..
    } = *palette;
    let mut out = format!(
        "No longer declared, left alone ({} in `prune_scope`; `--prune` or `prune: close` would close {}):\n",
        plan.undeclared.len(),
        if plan.undeclared.len() == 1 { "it" } else { "them" }
    );
    for object in &plan.undeclared {
        let _ = writeln!(
            out,
            "{INDENT}{bold}{} {}{reset} {dim}(id {}){reset}",
            object.kind,
            one_line(&object.key),
            object.remote_id
        );
    }
    out.push('\n');
    out
}

/// `Plan: 2 to create, 1 to update, 7 unchanged.`
pub(crate) fn summary_line(summary: Summary, palette: &Palette) -> String {
    format!(
        "{bold}Plan:{reset} {}.\n",
        summary.counts(),
        bold = palette.bold,
        reset = palette.reset
    )
}

fn render_object(out: &mut String, object: &ObjectPlan, palette: &Palette) {
    let Palette {
        green,
        yellow,
        bold,
        dim,
        reset,
        ..
    } = *palette;
    let color = match object.action {
        Action::Create => green,
        Action::Close | Action::RetireDuplicate => palette.red,
        Action::Unchanged => anstyle::Style::new(),
        Action::Update | Action::Move | Action::Adopt => yellow,
    };
    let header = match object.action {
        Action::Unchanged => "  unchanged".to_string(),
        action => format!("{color}{}{reset}", action.badge()),
    };
    let details = object.details();
    let details = if details.is_empty() {
        String::new()
    } else {
        format!(" {dim}({}){reset}", one_line(&details.join(", ")))
    };
    let _ = writeln!(
        out,
        "{header} {bold}{} {}{reset}{details}",
        object.kind,
        one_line(&object.key)
    );
    for warning in &object.warnings {
        // A warning quotes what the tenant holds: the scrubber sees it first.
        let warning = one_line(&scrub::server_text(warning)).into_owned();
        let _ = writeln!(out, "{INDENT}{yellow}! warning:{reset} {warning}");
    }
    for change in &object.changes {
        render_change(out, change, object.action, palette);
    }
}

fn render_change(out: &mut String, change: &FieldChange, action: Action, palette: &Palette) {
    let Palette {
        green,
        yellow,
        red,
        dim,
        reset,
        ..
    } = *palette;
    let name = one_line(&change.declared_name);
    if change.sensitive {
        // Neither value is ever shown, nor the shape of a diff between them.
        let _ = match action {
            Action::Create => writeln!(out, "{INDENT}{green}+{reset} {name}: {SENSITIVE}"),
            _ => writeln!(
                out,
                "{INDENT}{yellow}~{reset} {name}: {SENSITIVE} {dim}->{reset} {SENSITIVE} {dim}(value changed){reset}"
            ),
        };
        return;
    }
    let multiline = change.before.is_multiline() || change.after.is_multiline();
    if action == Action::Create {
        match (&change.after, multiline) {
            (Normalized::Text(text), true) => {
                let _ = writeln!(out, "{INDENT}{green}+{reset} {name}:");
                for line in text.lines() {
                    let line = escaped(line);
                    let _ = writeln!(out, "{INDENT}{INDENT}{green}+{line}{reset}");
                }
            }
            (after, _) => {
                let after = value(after);
                let _ = writeln!(out, "{INDENT}{green}+{reset} {name}: {after}");
            }
        }
        return;
    }
    if !multiline {
        let _ = writeln!(
            out,
            "{INDENT}{yellow}~{reset} {name}: {red}{}{reset} {dim}->{reset} {green}{}{reset}",
            value(&change.before),
            value(&change.after)
        );
        return;
    }
    let before = text_of(&change.before);
    let after = text_of(&change.after);
    let _ = writeln!(out, "{INDENT}{yellow}~{reset} {name}:");
    let diff = TextDiff::from_lines(&before, &after);
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        let _ = writeln!(out, "{INDENT}{INDENT}{dim}{}{reset}", hunk.header());
        for line in hunk.iter_changes() {
            let (sign, style) = match line.tag() {
                ChangeTag::Delete => ('-', red),
                ChangeTag::Insert => ('+', green),
                ChangeTag::Equal => (' ', anstyle::Style::new()),
            };
            let text = escaped(line.value().trim_end_matches('\n'));
            let _ = writeln!(out, "{INDENT}{INDENT}{style}{sign}{text}{reset}");
            if line.missing_newline() {
                let _ = writeln!(
                    out,
                    "{INDENT}{INDENT}{dim}\\ No newline at end of text{reset}"
                );
            }
        }
    }
}

/// A value on one line (text is quoted with escapes already; a choice's name may not be).
fn value(value: &Normalized) -> String {
    one_line(&value.to_string()).into_owned()
}

fn text_of(value: &Normalized) -> String {
    match value {
        Normalized::Text(text) => text.clone(),
        Normalized::Absent => String::new(),
        other => other.to_string(),
    }
}

/// Renders one apply outcome as it happens.
pub(crate) fn render_outcome(outcome: &Outcome, color: bool) -> String {
    let Palette {
        green,
        yellow,
        red,
        bold,
        reset,
        ..
    } = Palette::new(color);
    let subject = format!("{bold}{} {}{reset}", outcome.kind, one_line(&outcome.key));
    match (&outcome.result, outcome.action) {
        (Ok(id), Action::Create) => format!("{green}+{reset} {subject}: created (id {id})\n"),
        (Ok(id), action) => format!(
            "{yellow}~{reset} {subject}: {} (id {id}, {} field{})\n",
            action.done(),
            outcome.field_count,
            if outcome.field_count == 1 { "" } else { "s" }
        ),
        (Err(failure), _) => {
            // A failure was scrubbed when it was made; it still holds what the server said.
            let message = one_line(&failure.message);
            let mut line = format!("{red}x{reset} {subject}: failed: {message}\n");
            if let Some(hint) = &failure.hint {
                let _ = writeln!(line, "{INDENT}hint: {}", one_line(hint));
            }
            line
        }
    }
}

/// A saved plan's object that was left alone, with what changed since the plan.
pub(crate) fn render_refusal(refusal: &Refusal, color: bool) -> String {
    let Palette {
        yellow,
        red,
        green,
        bold,
        dim,
        reset,
        ..
    } = Palette::new(color);
    let id = refusal
        .remote_id
        .map(|id| format!(" {dim}(id {id}){reset}"))
        .unwrap_or_default();
    let mut out = format!(
        "{red}! refused{reset} {bold}{} {}{reset}{id}: {}\n",
        refusal.kind,
        one_line(&refusal.key),
        one_line(&refusal.reason)
    );
    for drift in &refusal.drift {
        let _ = if drift.sensitive {
            writeln!(
                out,
                "{INDENT}{yellow}~{reset} {}: {SENSITIVE} {dim}changed since the plan{reset}",
                one_line(&drift.label)
            )
        } else {
            writeln!(
                out,
                "{INDENT}{yellow}~{reset} {}: {red}{}{reset} {dim}at plan time, now{reset} {green}{}{reset}",
                one_line(&drift.label),
                value(&drift.planned),
                value(&drift.now)
            )
        };
    }
    out
}

/// The closing line of an apply.
pub(crate) fn render_apply_summary(report: &ApplyReport, color: bool) -> String {
    let palette = Palette::new(color);
    let (created, updated, failed) = report.counts();
    let complete = failed == 0 && report.refused.is_empty() && report.stopped_early().is_none();
    let mut line = format!(
        "{bold}Apply {}:{reset} {created} created, {updated} updated{}, {} unchanged",
        if complete { "complete" } else { "incomplete" },
        report.update_kinds(),
        report.unchanged,
        bold = palette.bold,
        reset = palette.reset
    );
    if report.already_applied > 0 {
        let _ = write!(line, ", {} already applied", report.already_applied);
    }
    if failed > 0 {
        let _ = write!(
            line,
            ", {red}{failed} failed{reset}",
            red = palette.red,
            reset = palette.reset
        );
    }
    if !report.refused.is_empty() {
        let _ = write!(
            line,
            ", {red}{} refused{reset} (changed since the plan)",
            report.refused.len(),
            red = palette.red,
            reset = palette.reset
        );
    }
    if let Some(left) = report.stopped_early() {
        let _ = write!(
            line,
            ", {red}{left} not done{reset} (stopped)",
            red = palette.red,
            reset = palette.reset
        );
    }
    line.push_str(".\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Kind;
    use serde_json::Value;

    fn change(before: Normalized, after: Normalized) -> FieldChange {
        FieldChange {
            field: "description".into(),
            label: "Description".into(),
            declared_name: "description".into(),
            before,
            after,
            write: Value::Null,
            sensitive: false,
        }
    }

    fn plan(action: Action, changes: Vec<FieldChange>) -> Plan {
        Plan {
            objects: vec![ObjectPlan {
                kind: Kind::Incident,
                key: "phishing/one".into(),
                action,
                remote_id: if action == Action::Create {
                    None
                } else {
                    Some(12)
                },
                template: None,
                identity_field: "incidentid".into(),
                changes,
                observed: vec![],
                warnings: vec![],
                moved_from: None,
                adopted: None,
                ownership_field: None,
            }],
            undeclared: vec![],
        }
    }

    #[test]
    fn scalar_changes_are_one_line_each() {
        let text = render_plan(
            &plan(
                Action::Update,
                vec![change(
                    Normalized::Text("a".into()),
                    Normalized::Text("b".into()),
                )],
            ),
            false,
        );
        assert!(
            text.contains("~ update Incident phishing/one (id 12)\n"),
            "{text}"
        );
        assert!(
            text.contains("    ~ description: \"a\" -> \"b\"\n"),
            "{text}"
        );
        assert!(
            text.ends_with("Plan: 0 to create, 1 to update, 0 unchanged.\n"),
            "{text}"
        );
    }

    #[test]
    fn multiline_changes_are_unified_diffs() {
        let text = render_plan(
            &plan(
                Action::Update,
                vec![change(
                    Normalized::Text("one\ntwo\nthree\n".into()),
                    Normalized::Text("one\n2\nthree\n".into()),
                )],
            ),
            false,
        );
        assert!(text.contains("        @@ -1,3 +1,3 @@\n"), "{text}");
        assert!(text.contains("        -two\n        +2\n"), "{text}");
    }

    #[test]
    fn no_colour_codes_unless_asked() {
        let value = plan(
            Action::Create,
            vec![change(Normalized::Absent, Normalized::Text("x".into()))],
        );
        assert!(!render_plan(&value, false).contains('\x1b'));
        assert!(render_plan(&value, true).contains("\x1b[32m+ create"));
    }

    #[test]
    fn sensitive_values_are_never_shown() {
        let mut secret = change(
            Normalized::Text("old\nsecret".into()),
            Normalized::Text("new\nsecret".into()),
        );
        secret.sensitive = true;
        for action in [Action::Create, Action::Update] {
            let text = render_plan(&plan(action, vec![secret.clone()]), false);
            assert!(!text.contains("secret"), "{text}");
            assert!(text.contains("description: (sensitive)"), "{text}");
        }
        let text = render_plan(&plan(Action::Update, vec![secret]), false);
        assert!(
            text.contains("~ description: (sensitive) -> (sensitive) (value changed)\n"),
            "{text}"
        );
    }

    /// What an incident edited by anyone may hold: a clear-screen, a window title ended by BEL, a
    /// carriage return, a right-to-left override and a line that looks like a plan header.
    const HOSTILE: &str =
        "a\u{1b}[2J b\u{1b}]0;title\u{7} c\rd \u{202e}e\u{9b}\n+ create Incident forged\n";

    fn assert_inert(text: &str) {
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{9b}']),
            "{text:?}"
        );
        assert!(
            !text
                .lines()
                .any(|line| line.starts_with("+ create Incident forged")),
            "{text}"
        );
    }

    #[test]
    fn escape_sequences_from_the_tenant_are_shown_escaped() {
        let mut hostile = change(
            Normalized::Text(HOSTILE.into()),
            Normalized::Text("clean\n".into()),
        );
        hostile.declared_name = "name\u{1b}[31m".into();
        let choice = change(
            Normalized::Choice {
                id: Some(1),
                name: "Open\u{1b}[8m".into(),
            },
            Normalized::Text("x".into()),
        );
        let mut update = plan(Action::Update, vec![hostile.clone(), choice]);
        update.objects[0].warnings = vec!["live `\u{1b}[2J`\nforged".into()];
        let text = render_plan(&update, false);
        assert_inert(&text);
        assert!(
            text.contains("    ~ name\\u{1b}[31m:\n        @@ -1,3 +1 @@\n"),
            "{text}"
        );
        // The diff takes a lone carriage return for a line end; it is shown escaped all the same.
        assert!(
            text.contains(
                "        -a\\u{1b}[2J b\\u{1b}]0;title\\u{7} c\\r\n        -d \\u{202e}e\\u{9b}\n        -+ create Incident forged\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("    ! warning: live `\\u{1b}[2J`\\nforged\n"),
            "{text}"
        );

        let mut created = hostile;
        created.after = Normalized::Text(HOSTILE.into());
        let mut create = plan(Action::Create, vec![created]);
        create.objects[0].template = Some(crate::catalog::Template {
            id: 1,
            name: "Phish\u{1b}[2J\ning".into(),
        });
        let text = render_plan(&create, false);
        assert_inert(&text);
        assert!(
            text.contains("(template Phish\\u{1b}[2J\\ning)\n"),
            "{text}"
        );
        assert!(
            text.contains("        ++ create Incident forged\n"),
            "{text}"
        );
    }

    #[test]
    fn apply_lines_show_server_text_escaped() {
        let outcome = Outcome {
            kind: Kind::Incident,
            key: "phishing/one".into(),
            action: Action::Update,
            remote_id: Some(3),
            field_count: 1,
            result: Err(crate::apply::Failure {
                message: "400: bad \u{1b}[2J\r\nApply complete: 9 created".into(),
                hint: Some("\u{7}".into()),
            }),
        };
        let line = render_outcome(&outcome, false);
        assert_inert(&line);
        assert_eq!(line.lines().count(), 2, "{line}");
        assert!(
            line.contains("failed: 400: bad \\u{1b}[2J\\r\\nApply complete"),
            "{line}"
        );
        let refusal = Refusal {
            kind: Kind::Incident,
            key: "phishing/one".into(),
            action: Action::Update,
            remote_id: Some(3),
            reason: "changed\u{1b}[2J".into(),
            drift: vec![crate::apply::Drift {
                label: "Label\u{202e}".into(),
                planned: Normalized::Text("a\u{1b}".into()),
                now: Normalized::Absent,
                sensitive: false,
            }],
        };
        let text = render_refusal(&refusal, false);
        assert_inert(&text);
        assert!(text.contains("changed\\u{1b}[2J\n"), "{text}");
        assert!(text.contains("~ Label\\u{202e}: \"a\\u{1b}\""), "{text}");
    }

    #[test]
    fn empty_plans_say_so() {
        let text = render_plan(&Plan::default(), false);
        assert!(text.starts_with("No changes."), "{text}");
    }
}
