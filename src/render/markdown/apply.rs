//! The apply report comment ([`render_apply`]): failures and refusals listed before successes, so
//! a comment cut to fit still shows what needs attention, then what changed for each refused object.

use std::fmt::Write as _;

use super::budget::{
    body_limit, cap_line, close_section, plural_noun, shorten, COMMENT_LIMIT, MESSAGE_LIMIT,
    NAME_LIMIT, SECTION_LIMIT,
};
use super::context::{target_line, MarkdownContext};
use super::escape::{code_span, html, one_line, prose, value};
use crate::apply::{ApplyReport, Drift, Outcome, Refusal};
use crate::plan::{Action, Plan};
use crate::render::text::SENSITIVE;

/// The marker a CI step searches for to update its own apply comment instead of adding a new one.
pub(crate) const APPLY_MARKER: &str = "<!-- soarform:apply -->";

/// Renders the outcome of an apply as a pull-request comment.
///
/// Failures and refusals are listed before successes, so that a comment cut to fit GitHub's limit
/// still shows what needs attention; `plan` names the fields each update sent.
pub(crate) fn render_apply(plan: &Plan, report: &ApplyReport, context: &MarkdownContext) -> String {
    let (created, updated, failed) = report.counts();
    let refused = report.refused.len();
    let mut out = String::new();
    let _ = writeln!(out, "{APPLY_MARKER}");
    out.push_str("### soarform apply\n\n");
    let complete = failed == 0 && refused == 0 && report.stopped_early().is_none();
    let _ = write!(
        out,
        "**Apply {}:** {created} created, {updated} updated{}, {} unchanged",
        if complete { "complete" } else { "incomplete" },
        report.update_kinds(),
        report.unchanged
    );
    if failed > 0 {
        let _ = write!(out, ", {failed} failed");
    }
    if refused > 0 {
        let _ = write!(out, ", {refused} refused (changed since the plan)");
    }
    if report.already_applied > 0 {
        let _ = write!(out, ", {} already applied", report.already_applied);
    }
    out.push_str(".\n\n");
    out.push_str(&target_line(context));

    // Failures, then refusals, then successes, each in plan order.
    let mut items: Vec<(Item, String)> = Vec::new();
    for outcome in report
        .outcomes
        .iter()
        .filter(|outcome| outcome.result.is_err())
    {
        items.push((Item::Failed, outcome_item(outcome, plan)));
    }
    for refusal in &report.refused {
        items.push((Item::Refused, refusal_item(refusal)));
    }
    for outcome in report
        .outcomes
        .iter()
        .filter(|outcome| outcome.result.is_ok())
    {
        let item = if outcome.action == Action::Create {
            Item::Created
        } else {
            Item::Updated
        };
        items.push((item, outcome_item(outcome, plan)));
    }

    let limit = body_limit();
    let mut shown_items = 0;
    for (_, item) in &items {
        // The list's closing blank line comes with the first item.
        let extra = if shown_items == 0 { 1 } else { 0 };
        if out.len() + item.len() + extra > limit {
            break;
        }
        out.push_str(item);
        shown_items += 1;
    }
    if shown_items > 0 {
        out.push('\n');
    }

    let refusals_with_drift: Vec<&Refusal> = report
        .refused
        .iter()
        .filter(|refusal| !refusal.drift.is_empty())
        .collect();
    let mut shown_refusals = 0;
    if shown_items == items.len() && refused > 0 {
        let hint = "Refused objects changed in Cloud SOAR after the plan was made, so nothing was \
                    sent for them. Run `soarform plan` again to review what changed.\n\n";
        if out.len() + hint.len() <= limit {
            out.push_str(hint);
            // The list already gives each refusal's reason; these sections add what changed.
            for refusal in refusals_with_drift.iter().copied() {
                let section = refusal_section(refusal, SECTION_LIMIT);
                if out.len() + section.len() > limit {
                    break;
                }
                out.push_str(&section);
                shown_refusals += 1;
            }
        }
    }

    let left_out = &items[shown_items..];
    let details_left_out = refusals_with_drift.len() - shown_refusals;
    if !left_out.is_empty() || details_left_out > 0 {
        out.push_str("---\n\n");
        if !left_out.is_empty() {
            let count = |kind: Item| left_out.iter().filter(|(item, _)| *item == kind).count();
            let _ = write!(
                out,
                "**{} more {} not shown** ({} failed, {} refused, {} created, {} updated)",
                left_out.len(),
                plural_noun(left_out.len(), "result"),
                count(Item::Failed),
                count(Item::Refused),
                count(Item::Created),
                count(Item::Updated),
            );
            if details_left_out > 0 {
                let _ = write!(
                    out,
                    ", nor what changed for {details_left_out} refused {}",
                    plural_noun(details_left_out, "object")
                );
            }
        } else {
            let _ = write!(
                out,
                "**What changed for {details_left_out} refused {} is not shown**",
                plural_noun(details_left_out, "object")
            );
        }
        let _ = writeln!(
            out,
            ": this comment is limited to {COMMENT_LIMIT} characters. See the full output in the CI log."
        );
    }
    out
}

/// What one line of the apply list reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Failed,
    Refused,
    Created,
    Updated,
}

/// One line of the apply list for a created, updated or failed object.
fn outcome_item(outcome: &Outcome, plan: &Plan) -> String {
    let subject = format!(
        "{} {}",
        outcome.kind,
        code_span(&shorten(&outcome.key, NAME_LIMIT))
    );
    match (&outcome.result, outcome.action) {
        (Ok(id), Action::Create) => format!("- ✅ created {subject} (id {id})\n"),
        (Ok(id), action) => {
            let fields = updated_fields(outcome, plan);
            format!("- ✅ {} {subject} (id {id}){fields}\n", action.done())
        }
        (Err(failure), _) => {
            let mut item = format!(
                "- ❌ **failed** {subject}: {}\n",
                prose(&shorten(&failure.message, MESSAGE_LIMIT))
            );
            if let Some(hint) = &failure.hint {
                let _ = writeln!(item, "  - hint: {}", prose(&shorten(hint, MESSAGE_LIMIT)));
            }
            item
        }
    }
}

/// `: status, description`, from the plan; the count alone when the plan does not hold the object.
fn updated_fields(outcome: &Outcome, plan: &Plan) -> String {
    const SHOWN: usize = 5;
    let object = plan.objects.iter().find(|object| {
        // Retired duplicates share the key of the object kept: they are told apart by id.
        object.kind == outcome.kind
            && object.key == outcome.key
            && object.action == outcome.action
            && (outcome.action != Action::RetireDuplicate || object.remote_id == outcome.remote_id)
    });
    let Some(object) = object.filter(|object| !object.changes.is_empty()) else {
        return format!(
            ": {} {}",
            outcome.field_count,
            plural_noun(outcome.field_count, "field")
        );
    };
    let mut names: Vec<String> = object
        .changes
        .iter()
        .take(SHOWN)
        .map(|change| code_span(&shorten(&change.declared_name, NAME_LIMIT)))
        .collect();
    if object.changes.len() > SHOWN {
        names.push(format!("and {} more", object.changes.len() - SHOWN));
    }
    format!(": {}", names.join(", "))
}

/// One line of the apply list for a refused object.
fn refusal_item(refusal: &Refusal) -> String {
    let id = refusal
        .remote_id
        .map(|id| format!(" (id {id})"))
        .unwrap_or_default();
    format!(
        "- ⛔ **refused** {} {}{id}: {}\n",
        refusal.kind,
        code_span(&shorten(&refusal.key, NAME_LIMIT)),
        prose(&shorten(&refusal.reason, MESSAGE_LIMIT))
    )
}

/// A refused object's `<details>` section with the fields that changed since the plan.
fn refusal_section(refusal: &Refusal, limit: usize) -> String {
    let id = refusal
        .remote_id
        .map(|id| format!(" (id {id})"))
        .unwrap_or_default();
    let drifted = refusal.drift.len();
    let mut head = format!(
        "<details><summary>⛔ refused {} <code>{}</code>{id}: {drifted} {} changed since the plan</summary>\n\n",
        refusal.kind,
        html(&shorten(&refusal.key, NAME_LIMIT)),
        plural_noun(drifted, "field")
    );
    head.push_str("Values when the plan was made (`-`) and now (`+`):\n\n");
    let lines: Vec<String> = refusal.drift.iter().flat_map(drift_lines).collect();
    close_section(head, &lines, limit, "see the CI log")
}

fn drift_lines(drift: &Drift) -> [String; 2] {
    let name = one_line(&shorten(&drift.label, NAME_LIMIT));
    if drift.sensitive {
        [
            format!("- {name}: {SENSITIVE}"),
            format!("+ {name}: {SENSITIVE} (value changed)"),
        ]
    } else {
        [
            cap_line(format!("- {name}: {}", value(&drift.planned))),
            cap_line(format!("+ {name}: {}", value(&drift.now))),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::Failure;
    use crate::kind::Kind;
    use crate::normalize::Normalized;
    use crate::render::markdown::test_fixtures::{change, choice, object, plan, text, CONTEXT};

    fn failure() -> Failure {
        Failure {
            message: "`create_triage` failed with 500: internal <error> for @security-team".into(),
            hint: Some("retry later; the server may be overloaded".into()),
        }
    }

    fn apply_plan() -> Plan {
        plan(vec![
            object(
                "phishing/ceo-wire-fraud",
                Action::Create,
                vec![change("status", Normalized::Absent, choice(1, "Open"))],
            ),
            object(
                "phishing/invoice",
                Action::Update,
                vec![
                    change("status", choice(1, "Open"), choice(4, "Closed")),
                    change("description", text("a"), text("b")),
                ],
            ),
            object("phishing/quiet", Action::Unchanged, vec![]),
        ])
    }

    fn apply_report() -> ApplyReport {
        ApplyReport {
            outcomes: vec![
                Outcome {
                    kind: Kind::Incident,
                    key: "phishing/ceo-wire-fraud".into(),
                    action: Action::Create,
                    remote_id: None,
                    field_count: 1,
                    result: Ok(1201),
                },
                Outcome {
                    kind: Kind::Incident,
                    key: "phishing/invoice".into(),
                    action: Action::Update,
                    remote_id: None,
                    field_count: 2,
                    result: Ok(1187),
                },
                Outcome {
                    kind: Kind::TriageItem,
                    key: "triage/suspicious-login-7731".into(),
                    action: Action::Create,
                    remote_id: None,
                    field_count: 3,
                    result: Err(failure()),
                },
            ],
            unchanged: 1,
            refused: vec![Refusal {
                kind: Kind::Incident,
                key: "phishing/payroll".into(),
                action: Action::Update,
                remote_id: Some(1150),
                reason: "changed since the plan".into(),
                drift: vec![
                    Drift {
                        label: "Status".into(),
                        planned: choice(1, "Open"),
                        now: choice(2, "In progress"),
                        sensitive: false,
                    },
                    Drift {
                        label: "Reporter token".into(),
                        planned: Normalized::Absent,
                        now: Normalized::Absent,
                        sensitive: true,
                    },
                ],
            }],
            already_applied: 2,
            ..ApplyReport::default()
        }
    }

    #[test]
    fn the_marker_comes_first() {
        let report = ApplyReport::default();
        let markdown = render_apply(&Plan::default(), &report, &CONTEXT);
        assert!(
            markdown.starts_with("<!-- soarform:apply -->\n"),
            "{markdown}"
        );
    }

    #[test]
    fn sensitive_values_never_appear() {
        let report = ApplyReport {
            refused: vec![Refusal {
                kind: Kind::Incident,
                key: "b".into(),
                action: Action::Update,
                remote_id: Some(41),
                reason: "changed since the plan".into(),
                drift: vec![Drift {
                    label: "token".into(),
                    planned: text("old-secret"),
                    now: text("newer-secret"),
                    sensitive: true,
                }],
            }],
            ..ApplyReport::default()
        };
        let markdown = render_apply(&Plan::default(), &report, &CONTEXT);
        assert!(!markdown.contains("secret"), "{markdown}");
        assert!(
            markdown.contains("- token: (sensitive)\n+ token: (sensitive) (value changed)\n"),
            "{markdown}"
        );
    }

    #[test]
    fn apply_reports_list_failures_and_refusals_first() {
        let markdown = render_apply(&apply_plan(), &apply_report(), &CONTEXT);
        assert!(
            markdown.contains(
                "**Apply incomplete:** 1 created, 1 updated, 1 unchanged, 1 failed, 1 refused (changed since the plan), 2 already applied."
            ),
            "{markdown}"
        );
        let position = |item: &str| {
            markdown
                .find(item)
                .unwrap_or_else(|| panic!("{item} missing from:\n{markdown}"))
        };
        let failed = position("- ❌ **failed** TriageItem `triage/suspicious-login-7731`: \\`create\\_triage\\` failed with 500: internal &lt;error&gt; for @&#8203;security-team\n");
        let refused = position(
            "- ⛔ **refused** Incident `phishing/payroll` (id 1150): changed since the plan\n",
        );
        let created = position("- ✅ created Incident `phishing/ceo-wire-fraud` (id 1201)\n");
        let updated = position(
            "- ✅ updated Incident `phishing/invoice` (id 1187): `status`, `description`\n",
        );
        assert!(
            failed < refused && refused < created && created < updated,
            "{markdown}"
        );
        assert!(
            markdown.contains("<summary>⛔ refused Incident <code>phishing/payroll</code> (id 1150): 2 fields changed since the plan</summary>"),
            "{markdown}"
        );
        assert!(
            markdown.contains("```diff\n- Status: \"Open\"\n+ Status: \"In progress\"\n- Reporter token: (sensitive)\n+ Reporter token: (sensitive) (value changed)\n```"),
            "{markdown}"
        );
    }

    #[test]
    fn successful_applies_are_complete() {
        let mut report = apply_report();
        report.outcomes.pop();
        report.refused.clear();
        report.already_applied = 0;
        let markdown = render_apply(&apply_plan(), &report, &CONTEXT);
        assert!(
            markdown.contains("**Apply complete:** 1 created, 1 updated, 1 unchanged.\n"),
            "{markdown}"
        );
        assert!(!markdown.contains("<details>"), "{markdown}");
    }

    #[test]
    fn large_apply_reports_stay_under_the_limit() {
        let mut report = apply_report();
        let success = |index: usize| Outcome {
            kind: Kind::Incident,
            key: format!("incidents/bulk-{index:05}"),
            action: Action::Update,
            remote_id: None,
            field_count: 2,
            result: Ok(index as u64),
        };
        report.outcomes.extend((0..3_000).map(success));
        let markdown = render_apply(&apply_plan(), &report, &CONTEXT);
        assert!(markdown.len() < COMMENT_LIMIT, "{} bytes", markdown.len());
        // The failure and the refusal come first, so they are never the ones left out.
        assert!(markdown.contains("**failed**"));
        assert!(markdown.contains("**refused**"));
        let shown = markdown
            .lines()
            .filter(|line| line.starts_with("- "))
            .count();
        let numbers: Vec<usize> = markdown
            .rsplit("---\n\n**")
            .next()
            .unwrap_or_default()
            .split(|character: char| !character.is_ascii_digit())
            .filter(|part| !part.is_empty())
            .take(6)
            .map(|part| part.parse().unwrap())
            .collect();
        let total = report.outcomes.len() + report.refused.len();
        assert_eq!(shown + numbers[0], total, "{numbers:?}");
        assert_eq!(numbers[1..5].iter().sum::<usize>(), numbers[0]);
        assert_eq!(numbers[5], 1, "the refusal's details are left out too");
        assert!(markdown.contains("nor what changed for 1 refused object"));
    }

    #[test]
    fn snapshot_of_an_apply_report() {
        let context = MarkdownContext {
            target: "sandbox",
            dialect: "v3",
        };
        let markdown = render_apply(&apply_plan(), &apply_report(), &context);
        insta::assert_snapshot!(markdown);
    }
}
