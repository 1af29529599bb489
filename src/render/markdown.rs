//! Markdown for pull-request comments: `plan --format markdown` and the apply report a CI step posts.
//!
//! The output is a GitHub comment body. It starts with a hidden marker ([`PLAN_MARKER`],
//! [`APPLY_MARKER`]) so a CI step can find and update its own comment, puts the summary counts
//! first, and folds each object into a `<details>` section with its changes in a fenced `diff`
//! block.
//!
//! Everything that comes from documents, the tenant or the server is made inert: control
//! characters and bidirectional overrides shown escaped ([`safe_text`]), then HTML-escaped inside
//! HTML (`<summary>`), put in code spans or backslash-escaped in Markdown text, and fenced with a
//! fence longer than any run of backticks it contains inside code blocks.
//!
//! The output always stays under [`COMMENT_LIMIT`] bytes (UTF-8 bytes are never fewer than the
//! UTF-16 units GitHub counts): every line and every section is capped, objects are added in
//! order while they fit, and a closing note says how many were left out.

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use super::text::SENSITIVE;
use crate::apply::{ApplyReport, Drift, Outcome, Refusal};
use crate::normalize::Normalized;
use crate::plan::{Action, FieldChange, ObjectPlan, Plan};
use crate::safe_text;
use crate::scrub;

/// Where the plan was computed, shown in the comment header.
#[derive(Debug, Clone, Copy)]
pub struct MarkdownContext<'a> {
    /// The tenant's URL, or `sandbox`.
    pub target: &'a str,
    /// The API dialect (`v3` or `legacy`).
    pub dialect: &'a str,
}

/// The marker a CI step searches for to update its own plan comment instead of adding a new one.
pub const PLAN_MARKER: &str = "<!-- soarform:plan -->";

/// The marker a CI step searches for to update its own apply comment instead of adding a new one.
pub const APPLY_MARKER: &str = "<!-- soarform:apply -->";

/// GitHub's limit on a comment body, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

/// Bytes kept free for the closing note that says what was left out.
const FOOTER_RESERVE: usize = 1_024;

/// The most bytes one object's section may take, so one huge object cannot crowd out the rest.
const SECTION_LIMIT: usize = 16_384;

/// The most bytes one line of a diff block may take before it is cut.
const LINE_LIMIT: usize = 1_000;

/// The most characters of a key, template name, field name, target or dialect shown.
const NAME_LIMIT: usize = 200;

/// The most characters of a warning, error or refusal reason shown.
const MESSAGE_LIMIT: usize = 500;

/// The share of a section that warnings may take.
const WARNING_SHARE: usize = 4;

/// Bytes kept free in a section for the note that says how many diff lines were cut.
const NOTE_RESERVE: usize = 256;

/// Unchanged lines shown around each change of a multi-line text diff.
const CONTEXT_LINES: usize = 3;

/// Renders a plan as a pull-request comment.
pub fn render_plan(plan: &Plan, context: &MarkdownContext) -> String {
    let summary = plan.summary();
    let mut out = String::new();
    let _ = writeln!(out, "{PLAN_MARKER}");
    out.push_str("### soarform plan\n\n");
    if plan.has_changes() {
        let _ = writeln!(out, "**Plan:** {}.\n", summary.counts());
    } else {
        let _ = writeln!(
            out,
            "**No changes.** The tenant matches the desired state ({} unchanged).\n",
            summary.unchanged
        );
    }
    out.push_str(&target_line(context));

    let listed: Vec<&ObjectPlan> = plan
        .objects
        .iter()
        .filter(|object| object.action != Action::Unchanged || !object.warnings.is_empty())
        .collect();
    let limit = body_limit();
    let mut shown = 0;
    for object in &listed {
        let section = plan_section(object, SECTION_LIMIT);
        if out.len() + section.len() > limit {
            break;
        }
        out.push_str(&section);
        shown += 1;
    }

    let left_out = &listed[shown..];
    if !left_out.is_empty() {
        let count = |action: Action| {
            left_out
                .iter()
                .filter(|object| object.action == action)
                .count()
        };
        let mut counts = format!(
            "{} to create, {} to update",
            count(Action::Create),
            count(Action::Update)
        );
        let unchanged = count(Action::Unchanged);
        if unchanged > 0 {
            let _ = write!(counts, ", {unchanged} unchanged with warnings");
        }
        let _ = writeln!(
            out,
            "---\n\n**{} more {} not shown** ({counts}): this comment is limited to {COMMENT_LIMIT} characters. \
             See the full plan with `soarform plan` or in the CI log.",
            left_out.len(),
            plural_noun(left_out.len(), "object"),
        );
    }
    out.push_str(&undeclared_note(plan, limit.saturating_sub(out.len())));
    out
}

/// Objects in `prune_scope` that no document declares, left alone: named up to what fits in
/// `room` bytes, counted beyond.
fn undeclared_note(plan: &Plan, room: usize) -> String {
    let count = plan.undeclared.len();
    if count == 0 {
        return String::new();
    }
    let mut note = format!(
        "**{count} no longer declared**, left alone (in `prune_scope`; `--prune` or `prune: close` would close {}):\n",
        if count == 1 { "it" } else { "them" }
    );
    let mut named = 0;
    for object in &plan.undeclared {
        let item = format!(
            "- {} {} (id {})\n",
            object.kind,
            code_span(&shorten(&object.key, NAME_LIMIT)),
            object.remote_id
        );
        if note.len() + item.len() + 80 > room {
            break;
        }
        note.push_str(&item);
        named += 1;
    }
    if named < count {
        let _ = writeln!(note, "- … and {} more", count - named);
    }
    note
}

/// Renders the outcome of an apply as a pull-request comment.
///
/// Failures and refusals are listed before successes, so that a comment cut to fit GitHub's limit
/// still shows what needs attention; `plan` names the fields each update sent.
pub fn render_apply(plan: &Plan, report: &ApplyReport, context: &MarkdownContext) -> String {
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

/// The most bytes the body may take before the closing note.
fn body_limit() -> usize {
    COMMENT_LIMIT - FOOTER_RESERVE - 1
}

/// `Target: `https://…` · API dialect: `v3``
fn target_line(context: &MarkdownContext) -> String {
    format!(
        "Target: {} · API dialect: {}\n\n",
        code_span(&shorten(context.target, NAME_LIMIT)),
        code_span(&shorten(context.dialect, NAME_LIMIT))
    )
}

/// One object's `<details>` section, at most `limit` bytes unless its summary alone is longer.
fn plan_section(object: &ObjectPlan, limit: usize) -> String {
    let mut head = format!("<details><summary>{}</summary>\n\n", plan_summary(object));
    let mut warnings_left_out = 0;
    for (index, warning) in object.warnings.iter().enumerate() {
        let line = format!(
            "> ⚠️ **Warning:** {}\n\n",
            prose(&shorten(&scrub::server_text(warning), MESSAGE_LIMIT))
        );
        if head.len() + line.len() > limit / WARNING_SHARE {
            warnings_left_out = object.warnings.len() - index;
            break;
        }
        head.push_str(&line);
    }
    if warnings_left_out > 0 {
        let _ = writeln!(
            head,
            "> ⚠️ … {warnings_left_out} more {} not shown.\n",
            plural_noun(warnings_left_out, "warning")
        );
    }
    close_section(
        head,
        &change_lines(object),
        limit,
        "see the full plan with `soarform plan` or in the CI log",
    )
}

/// Ends a `<details>` section: as many diff lines as fit in `limit`, a note on the rest, the tag.
fn close_section(head: String, lines: &[String], limit: usize, elsewhere: &str) -> String {
    let tail = "</details>\n\n";
    let room = limit.saturating_sub(head.len() + tail.len() + NOTE_RESERVE);
    let (block, lines_left_out) = diff_block(lines, room);
    let mut section = head;
    section.push_str(&block);
    if lines_left_out > 0 {
        let _ = writeln!(
            section,
            "_… {lines_left_out} more {} not shown; {elsewhere}._\n",
            plural_noun(lines_left_out, "line")
        );
    }
    section.push_str(tail);
    section
}

/// `+ create Incident phishing/one · template Phishing · 3 fields to set`
fn plan_summary(object: &ObjectPlan) -> String {
    let mut summary = String::new();
    let badge = object.action.badge();
    let _ = write!(
        summary,
        "<code>{badge}</code> {} <code>{}</code>",
        object.kind,
        html(&shorten(&object.key, NAME_LIMIT))
    );
    if let (Action::Create, Some(template)) = (object.action, &object.template) {
        let _ = write!(
            summary,
            " · template <code>{}</code>",
            html(&shorten(&template.name, NAME_LIMIT))
        );
    }
    if let Some(old) = &object.moved_from {
        let _ = write!(
            summary,
            " · from <code>{}</code>",
            html(&shorten(old, NAME_LIMIT))
        );
    }
    if let Some(id) = object.remote_id {
        let _ = write!(summary, " · id {id}");
    }
    if let Some(adoption) = &object.adopted {
        let _ = write!(
            summary,
            " · created by {}, not by soarform",
            html(&shorten(
                &adoption
                    .created_by
                    .as_deref()
                    .map_or_else(|| "unknown".to_string(), crate::plan::shown),
                NAME_LIMIT
            ))
        );
    }
    let fields = object.changes.len();
    match object.action {
        Action::Create => {
            let _ = write!(
                summary,
                " · {fields} {} to set",
                plural_noun(fields, "field")
            );
        }
        Action::Update | Action::Move | Action::Adopt | Action::Close | Action::RetireDuplicate => {
            let _ = write!(
                summary,
                " · {fields} {} to change",
                plural_noun(fields, "field")
            );
        }
        Action::Unchanged => {}
    }
    let warnings = object.warnings.len();
    if warnings > 0 {
        let _ = write!(
            summary,
            " · {warnings} {}",
            plural_noun(warnings, "warning")
        );
    }
    summary
}

/// The lines of an object's diff block, each at most [`LINE_LIMIT`] bytes.
fn change_lines(object: &ObjectPlan) -> Vec<String> {
    let mut lines = Vec::new();
    let mut previous_was_diff = false;
    for change in &object.changes {
        // A unified diff is set off from its neighbours by an empty line, so that a following
        // `- field:` line does not read as part of its hunk.
        let is_diff = object.action != Action::Create
            && !change.sensitive
            && (change.before.is_multiline() || change.after.is_multiline());
        if !lines.is_empty() && (is_diff || previous_was_diff) {
            lines.push(String::new());
        }
        change_lines_of(&mut lines, change, object.action);
        previous_was_diff = is_diff;
    }
    lines.into_iter().map(cap_line).collect()
}

fn change_lines_of(lines: &mut Vec<String>, change: &FieldChange, action: Action) {
    let name = one_line(&shorten(&change.declared_name, NAME_LIMIT));
    if change.sensitive {
        // Neither value is ever shown, nor the shape of a diff between them.
        if action == Action::Create {
            lines.push(format!("+ {name}: {SENSITIVE}"));
        } else {
            lines.push(format!("- {name}: {SENSITIVE}"));
            lines.push(format!("+ {name}: {SENSITIVE} (value changed)"));
        }
        return;
    }
    let multiline = change.before.is_multiline() || change.after.is_multiline();
    if action == Action::Create {
        match (&change.after, multiline) {
            (Normalized::Text(text), true) => {
                lines.push(format!("+ {name}: |"));
                lines.extend(
                    text.lines()
                        .map(|line| format!("+   {}", safe_text::escaped(line))),
                );
            }
            (after, _) => lines.push(format!("+ {name}: {}", value(after))),
        }
        return;
    }
    if !multiline {
        lines.push(format!("- {name}: {}", value(&change.before)));
        lines.push(format!("+ {name}: {}", value(&change.after)));
        return;
    }
    let before = text_of(&change.before);
    let after = text_of(&change.after);
    lines.push(format!("~ {name}:"));
    let diff = TextDiff::from_lines(&before, &after);
    for hunk in diff
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .iter_hunks()
    {
        lines.push(hunk.header().to_string());
        for line in hunk.iter_changes() {
            let sign = match line.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            let text = safe_text::escaped(line.value().trim_end_matches('\n'));
            lines.push(format!("{sign}{text}"));
            if line.missing_newline() {
                lines.push("\\ No newline at end of text".to_string());
            }
        }
    }
}

/// A value on one line, escaped (text is quoted with escapes already; a choice's name may not be).
fn value(value: &Normalized) -> String {
    one_line(&value.to_string())
}

fn text_of(value: &Normalized) -> String {
    match value {
        Normalized::Text(text) => text.clone(),
        Normalized::Absent => String::new(),
        other => other.to_string(),
    }
}

/// A fenced `diff` block of as many leading `lines` as fit in `room` bytes, and how many did not.
///
/// The fence is one backtick longer than the longest run of backticks in the lines it holds, so
/// no line can close it.
fn diff_block(lines: &[String], room: usize) -> (String, usize) {
    const INFO: &str = "diff";
    let mut fence_length = 3;
    let mut content = String::new();
    let mut taken = 0;
    for line in lines {
        let needed_fence = fence_length.max(longest_backtick_run(line) + 1);
        // Opening fence, info string, closing fence, the blank line after, and newlines.
        let cost = 2 * needed_fence + INFO.len() + 3 + content.len() + line.len() + 1;
        if cost > room {
            break;
        }
        fence_length = needed_fence;
        content.push_str(line);
        content.push('\n');
        taken += 1;
    }
    if taken == 0 {
        return (String::new(), lines.len());
    }
    let fence = "`".repeat(fence_length);
    (
        format!("{fence}{INFO}\n{content}{fence}\n\n"),
        lines.len() - taken,
    )
}

fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for character in text.chars() {
        if character == '`' {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    longest
}

/// A line cut to at most [`LINE_LIMIT`] bytes, saying how much was cut.
fn cap_line(line: String) -> String {
    if line.len() <= LINE_LIMIT {
        return line;
    }
    // Room for the note, which is at most 40 bytes.
    let mut end = LINE_LIMIT - 40;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let rest = line[end..].chars().count();
    format!("{} … [{rest} more characters]", &line[..end])
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

fn plural_noun(count: usize, noun: &str) -> String {
    if count == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

/// At most `limit` characters, ending with `…` when cut.
fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut short: String = text.chars().take(limit.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// Text kept on its line: line breaks and tabs become spaces, other control characters and
/// bidirectional overrides are shown escaped (`\u{1b}`).
fn one_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|character| match character {
            '\n' | '\t' => ' ',
            character => character,
        })
        .collect();
    safe_text::escaped(&spaced).into_owned()
}

/// Text for HTML content or attribute values, on one line.
fn html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in one_line(text).chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A Markdown code span of `text` on one line, fenced longer than any backtick run inside.
fn code_span(text: &str) -> String {
    let text = one_line(text);
    if text.is_empty() {
        return "` `".to_string();
    }
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    // A space on each side is stripped again; it keeps a backtick at either end off the fence,
    // and keeps text that starts and ends with a space as it is.
    let padded = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    if padded {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Text for a Markdown paragraph or list item, on one line: HTML and Markdown syntax are escaped,
/// and `@` cannot mention anyone.
fn prose(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in one_line(text).chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            // A zero-width space after `@` keeps GitHub from notifying a user or team.
            '@' => escaped.push_str("@&#8203;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                escaped.push('\\');
                escaped.push(character);
            }
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::Failure;
    use crate::catalog::Template;
    use crate::kind::Kind;
    use chrono::{TimeZone, Utc};
    use serde_json::Value;

    const CONTEXT: MarkdownContext<'static> = MarkdownContext {
        target: "https://api.us2.sumologic.com",
        dialect: "v3",
    };

    fn text(value: &str) -> Normalized {
        Normalized::Text(value.into())
    }

    fn choice(id: u64, name: &str) -> Normalized {
        Normalized::Choice {
            id: Some(id),
            name: name.into(),
        }
    }

    fn change(name: &str, before: Normalized, after: Normalized) -> FieldChange {
        FieldChange {
            field: name.to_lowercase(),
            label: name.into(),
            declared_name: name.into(),
            before,
            after,
            write: Value::Null,
            sensitive: false,
        }
    }

    fn sensitive(mut change: FieldChange) -> FieldChange {
        change.sensitive = true;
        change
    }

    fn object(key: &str, action: Action, changes: Vec<FieldChange>) -> ObjectPlan {
        ObjectPlan {
            kind: Kind::Incident,
            key: key.into(),
            action,
            remote_id: if action == Action::Create {
                None
            } else {
                Some(40 + key.len() as u64)
            },
            template: None,
            identity_field: "incidentid".into(),
            changes,
            observed: vec![],
            warnings: vec![],
            moved_from: None,
            adopted: None,
            ownership_field: None,
        }
    }

    fn plan(objects: Vec<ObjectPlan>) -> Plan {
        Plan {
            objects,
            undeclared: vec![],
        }
    }

    fn sections(markdown: &str) -> usize {
        markdown.matches("<details>").count()
    }

    /// Every fenced block is closed by a fence as long as its opening one.
    fn assert_fences_balanced(markdown: &str) {
        let mut open: Option<&str> = None;
        for line in markdown.lines() {
            let fence = &line[..line.len() - line.trim_start_matches('`').len()];
            match open {
                None if fence.len() >= 3 => open = Some(fence),
                Some(opening) if line == opening => open = None,
                _ => {}
            }
        }
        assert!(open.is_none(), "unclosed fence in:\n{markdown}");
    }

    /// The lines outside fenced code blocks.
    fn outside_code_blocks(markdown: &str) -> String {
        let mut open: Option<&str> = None;
        let mut outside = String::new();
        for line in markdown.lines() {
            let fence = &line[..line.len() - line.trim_start_matches('`').len()];
            match open {
                None if fence.len() >= 3 => open = Some(fence),
                None => {
                    outside.push_str(line);
                    outside.push('\n');
                }
                Some(opening) if line == opening => open = None,
                Some(_) => {}
            }
        }
        outside
    }

    #[test]
    fn escape_sequences_from_the_tenant_are_shown_escaped() {
        let hostile =
            "a\u{1b}[2J b\u{1b}]0;title\u{7} c\rd \u{202e}e\u{85}\n+ create Incident forged\n";
        let mut update = object(
            "phishing/one",
            Action::Update,
            vec![
                change("Description\u{1b}[8m", text(hostile), text("clean\n")),
                change("Status", choice(1, "Open\u{1b}[2J"), choice(2, "Closed")),
            ],
        );
        update.warnings = vec!["live \u{1b}]0;x\u{7}".into()];
        let mut create = object(
            "phishing/two",
            Action::Create,
            vec![change("Description", Normalized::Absent, text(hostile))],
        );
        create.template = Some(Template {
            id: 1,
            name: "Phish\u{1b}[2Jing".into(),
        });
        let markdown = render_plan(&plan(vec![update, create]), &CONTEXT);
        assert!(
            !markdown.contains(['\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{85}']),
            "{markdown:?}"
        );
        assert!(
            markdown.contains(
                "-a\\u{1b}[2J b\\u{1b}]0;title\\u{7} c\\r\n-d \\u{202e}e\\u{85}\n-+ create Incident forged\n"
            ),
            "{markdown}"
        );
        assert!(
            markdown.contains("+   + create Incident forged\n"),
            "{markdown}"
        );
        assert!(
            markdown.contains("~ Description\\u{1b}[8m:\n"),
            "{markdown}"
        );
        assert!(
            markdown.contains("- Status: \"Open\\u{1b}[2J\"\n"),
            "{markdown}"
        );
        assert!(
            markdown.contains("template <code>Phish\\u{1b}[2Jing</code>"),
            "{markdown}"
        );
        // In prose, the escape's backslash is escaped in turn, so it shows as written.
        assert!(
            markdown.contains("**Warning:** live \\\\u{1b}\\]0;x\\\\u{7}\n"),
            "{markdown}"
        );
    }

    #[test]
    fn the_marker_comes_first() {
        let markdown = render_plan(&Plan::default(), &CONTEXT);
        assert!(
            markdown.starts_with("<!-- soarform:plan -->\n"),
            "{markdown}"
        );
        let report = ApplyReport::default();
        let markdown = render_apply(&Plan::default(), &report, &CONTEXT);
        assert!(
            markdown.starts_with("<!-- soarform:apply -->\n"),
            "{markdown}"
        );
    }

    #[test]
    fn summary_counts_come_before_the_objects() {
        let markdown = render_plan(
            &plan(vec![
                object(
                    "a",
                    Action::Create,
                    vec![change("status", Normalized::Absent, choice(1, "Open"))],
                ),
                object("b", Action::Unchanged, vec![]),
            ]),
            &CONTEXT,
        );
        let counts = markdown
            .find("**Plan:** 1 to create, 0 to update, 1 unchanged.")
            .unwrap_or_else(|| panic!("no counts in:\n{markdown}"));
        assert!(
            counts < markdown.find("<details>").unwrap_or(0),
            "{markdown}"
        );
        assert!(
            markdown.contains("Target: `https://api.us2.sumologic.com` · API dialect: `v3`"),
            "{markdown}"
        );
    }

    #[test]
    fn plans_without_changes_say_so() {
        let markdown = render_plan(
            &plan(vec![object("a", Action::Unchanged, vec![])]),
            &CONTEXT,
        );
        assert!(
            markdown
                .contains("**No changes.** The tenant matches the desired state (1 unchanged)."),
            "{markdown}"
        );
        assert_eq!(sections(&markdown), 0, "{markdown}");
    }

    #[test]
    fn unchanged_objects_are_left_out_unless_they_have_warnings() {
        let mut warned = object("incidents/warned", Action::Unchanged, vec![]);
        warned
            .warnings
            .push("the live incident uses template `Malware`".into());
        let markdown = render_plan(
            &plan(vec![
                object(
                    "incidents/changed",
                    Action::Update,
                    vec![change("status", choice(1, "Open"), choice(4, "Closed"))],
                ),
                object("incidents/quiet", Action::Unchanged, vec![]),
                warned,
            ]),
            &CONTEXT,
        );
        assert!(markdown.contains("incidents/changed"), "{markdown}");
        assert!(!markdown.contains("incidents/quiet"), "{markdown}");
        assert!(
            markdown.contains(
                "<summary><code>unchanged</code> Incident <code>incidents/warned</code> · id 56 · 1 warning</summary>"
            ),
            "{markdown}"
        );
        assert!(
            markdown.contains("> ⚠️ **Warning:** the live incident uses template \\`Malware\\`"),
            "{markdown}"
        );
        assert_eq!(sections(&markdown), 2, "{markdown}");
    }

    #[test]
    fn creates_and_updates_are_diff_lines() {
        let markdown = render_plan(
            &plan(vec![
                object(
                    "a",
                    Action::Create,
                    vec![
                        change("status", Normalized::Absent, choice(1, "Open")),
                        change("description", Normalized::Absent, text("one\ntwo\n")),
                    ],
                ),
                object(
                    "b",
                    Action::Update,
                    vec![
                        change("status", choice(1, "Open"), choice(4, "Closed")),
                        change("notes", text("one\ntwo\nthree\n"), text("one\n2\nthree\n")),
                    ],
                ),
            ]),
            &CONTEXT,
        );
        assert!(
            markdown
                .contains("```diff\n+ status: \"Open\"\n+ description: |\n+   one\n+   two\n```\n"),
            "{markdown}"
        );
        assert!(
            markdown.contains(
                "```diff\n- status: \"Open\"\n+ status: \"Closed\"\n\n~ notes:\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n```\n"
            ),
            "{markdown}"
        );
        assert!(
            markdown.contains("<summary><code>~ update</code> Incident <code>b</code> · id 41 · 2 fields to change</summary>"),
            "{markdown}"
        );
    }

    #[test]
    fn html_in_keys_and_values_is_escaped() {
        let mut hostile = object(
            "<script>alert(1)</script>",
            Action::Create,
            vec![change(
                "description",
                Normalized::Absent,
                text("<script>alert(2)</script>"),
            )],
        );
        hostile.template = Some(Template {
            id: 1,
            name: "<img src=x onerror=alert(3)>".into(),
        });
        hostile.warnings.push("<b>bold</b> & @octocat".into());
        let markdown = render_plan(&plan(vec![hostile]), &CONTEXT);
        let outside = outside_code_blocks(&markdown);
        assert!(!outside.contains("<script>"), "{outside}");
        assert!(!outside.contains("<img"), "{outside}");
        assert!(!outside.contains("<b>"), "{outside}");
        assert!(
            markdown.contains("<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"),
            "{markdown}"
        );
        assert!(
            markdown.contains("&lt;b&gt;bold&lt;/b&gt; &amp; @&#8203;octocat"),
            "{markdown}"
        );
        // Inside the fenced block the value is shown as it is: code blocks are never HTML.
        let block_start = markdown.find("```diff\n").unwrap_or(0);
        assert!(
            markdown[block_start..].contains("+ description: \"<script>alert(2)</script>\"\n"),
            "{markdown}"
        );
    }

    #[test]
    fn backticks_in_values_cannot_close_the_fence() {
        let markdown = render_plan(
            &plan(vec![object(
                "a",
                Action::Update,
                vec![change(
                    "description",
                    text("before\n"),
                    text("```\n</details>\n<script>x</script>\n`````\n"),
                )],
            )]),
            &CONTEXT,
        );
        assert!(markdown.contains("\n``````diff\n"), "{markdown}");
        assert!(markdown.contains("\n+`````\n``````\n"), "{markdown}");
        assert_fences_balanced(&markdown);
        // The only </details> outside a code block closes the section.
        assert_eq!(markdown.matches("\n</details>\n").count(), 1, "{markdown}");
    }

    #[test]
    fn code_spans_are_fenced_longer_than_their_backticks() {
        assert_eq!(code_span("plain"), "`plain`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x``"), "``` `x`` ```");
        assert_eq!(code_span("line\nbreak"), "`line break`");
        assert_eq!(code_span(""), "` `");
    }

    #[test]
    fn sensitive_values_never_appear() {
        let changes = || {
            vec![
                sensitive(change(
                    "token",
                    text("old-secret\nline two"),
                    text("new-secret\nline two"),
                )),
                sensitive(change("pin", text("1111-secret"), text("2222-secret"))),
            ]
        };
        let markdown = render_plan(
            &plan(vec![
                object("a", Action::Create, changes()),
                object("b", Action::Update, changes()),
            ]),
            &CONTEXT,
        );
        assert!(!markdown.contains("secret"), "{markdown}");
        assert!(!markdown.contains("line two"), "{markdown}");
        assert!(!markdown.contains("@@"), "{markdown}");
        assert!(
            markdown.contains("```diff\n+ token: (sensitive)\n+ pin: (sensitive)\n```"),
            "{markdown}"
        );
        assert!(
            markdown.contains("- token: (sensitive)\n+ token: (sensitive) (value changed)\n"),
            "{markdown}"
        );

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

    fn large_plan(count: usize) -> Plan {
        let objects = (0..count)
            .map(|index| {
                let mut changes = vec![change("status", choice(1, "Open"), choice(4, "Closed"))];
                if index % 3 == 0 {
                    changes.push(change(
                        "description",
                        text(&format!("first line\nsecond line {index}\nthird line\n")),
                        text(&format!(
                            "first line\nsecond line {}\nthird line\n",
                            index + 1
                        )),
                    ));
                } else {
                    changes.push(change(
                        "Business unit",
                        text("Finance"),
                        text(&format!("Finance {index}")),
                    ));
                }
                object(
                    &format!("incidents/bulk-{index:05}"),
                    Action::Update,
                    changes,
                )
            })
            .collect();
        plan(objects)
    }

    /// The numbers of `**N more objects not shown** (C to create, U to update`.
    fn left_out_counts(markdown: &str) -> (usize, usize, usize) {
        let numbers: Vec<usize> = markdown
            .rsplit("---\n\n**")
            .next()
            .unwrap_or_default()
            .split(|character: char| !character.is_ascii_digit())
            .filter(|part| !part.is_empty())
            .take(3)
            .map(|part| part.parse().unwrap())
            .collect();
        (numbers[0], numbers[1], numbers[2])
    }

    #[test]
    fn large_plans_stay_under_the_limit_and_count_what_was_left_out() {
        let markdown = render_plan(&large_plan(3_000), &CONTEXT);
        assert!(markdown.len() < COMMENT_LIMIT, "{} bytes", markdown.len());
        assert!(markdown.starts_with(PLAN_MARKER));
        assert!(markdown.contains("**Plan:** 0 to create, 3000 to update, 0 unchanged."));
        let shown = sections(&markdown);
        assert!(shown > 50, "only {shown} sections shown");
        let (left_out, creates, updates) = left_out_counts(&markdown);
        assert_eq!(shown + left_out, 3_000);
        assert_eq!((creates, updates), (0, left_out));
        assert!(
            markdown.contains(&format!(
                "**{left_out} more objects not shown** (0 to create, {left_out} to update)"
            )),
            "{}",
            &markdown[markdown.len() - 400..]
        );
        assert!(markdown.contains("`soarform plan`"));
        // Objects are shown in plan order, whole.
        assert!(markdown.contains("incidents/bulk-00000"));
        assert!(!markdown.contains("incidents/bulk-02999"));
        assert_eq!(
            markdown.matches("<details>").count(),
            markdown.matches("</details>").count()
        );
        assert_fences_balanced(&markdown);
    }

    #[test]
    fn left_out_counts_separate_creates_and_updates() {
        let mut plan = large_plan(1_000);
        for object in plan.objects.iter_mut().skip(1).step_by(2) {
            object.action = Action::Create;
            object.remote_id = None;
        }
        let markdown = render_plan(&plan, &CONTEXT);
        let shown = sections(&markdown);
        let (left_out, creates, updates) = left_out_counts(&markdown);
        assert_eq!(shown + left_out, 1_000);
        assert_eq!(creates + updates, left_out);
        assert_eq!(creates, 500 - shown / 2, "{shown} shown");
    }

    #[test]
    fn a_huge_object_is_cut_inside_its_own_section() {
        let before: String = (0..5_000)
            .map(|line| format!("old line {line}\n"))
            .collect();
        let after: String = (0..5_000)
            .map(|line| format!("new line {line}\n"))
            .collect();
        let markdown = render_plan(
            &plan(vec![
                object(
                    "incidents/huge",
                    Action::Update,
                    vec![change("description", text(&before), text(&after))],
                ),
                object(
                    "incidents/small",
                    Action::Update,
                    vec![change("status", choice(1, "Open"), choice(4, "Closed"))],
                ),
            ]),
            &CONTEXT,
        );
        assert!(markdown.len() < COMMENT_LIMIT);
        assert_eq!(sections(&markdown), 2, "both objects are shown");
        let huge = &markdown[..markdown.find("incidents/small").unwrap_or(markdown.len())];
        assert!(huge.len() < SECTION_LIMIT + 1_000, "{} bytes", huge.len());
        assert!(huge.contains("-old line 0\n"));
        // 1 header line + 1 hunk header + 10,000 changed lines in all.
        let shown = huge
            .lines()
            .filter(|line| line.starts_with(['-', '+']))
            .count();
        let note = format!("_… {} more lines not shown;", 10_002 - 2 - shown);
        assert!(
            huge.contains(&note),
            "{note} missing from:\n{}",
            &huge[huge.len() - 300..]
        );
        assert!(markdown.contains("+ status: \"Closed\""));
        assert!(!markdown.contains("more objects not shown"));
        assert_fences_balanced(&markdown);
    }

    #[test]
    fn a_huge_single_line_value_is_cut() {
        let value = "x".repeat(100_000);
        let markdown = render_plan(
            &plan(vec![object(
                "a",
                Action::Create,
                vec![change("description", Normalized::Absent, text(&value))],
            )]),
            &CONTEXT,
        );
        assert!(
            markdown.len() < 2 * LINE_LIMIT + 1_000,
            "{} bytes",
            markdown.len()
        );
        assert!(markdown.contains("more characters]"), "{markdown}");
    }

    #[test]
    fn long_keys_and_targets_are_shortened() {
        let key = "k".repeat(10_000);
        let target = "t".repeat(10_000);
        let context = MarkdownContext {
            target: &target,
            dialect: "v3",
        };
        let mut many = large_plan(200);
        for object in &mut many.objects {
            object.key = format!("{}{}", object.key, key);
        }
        let markdown = render_plan(&many, &context);
        assert!(markdown.len() < COMMENT_LIMIT);
        assert!(markdown.contains(&format!("{}…", "k".repeat(NAME_LIMIT - 22))));
        assert!(!markdown.contains(&"t".repeat(NAME_LIMIT)));
    }

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

    fn realistic_plan() -> Plan {
        let mut create = object(
            "phishing/ceo-wire-fraud",
            Action::Create,
            vec![
                change(
                    "description",
                    Normalized::Absent,
                    text("Wire-fraud attempt impersonating the CEO.\nReported by the finance team.\n"),
                ),
                change(
                    "starttime",
                    Normalized::Absent,
                    Normalized::Instant(
                        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
                            .single()
                            .unwrap_or_default(),
                    ),
                ),
                change("status", Normalized::Absent, choice(1, "Open")),
                change("Business unit", Normalized::Absent, text("Finance")),
            ],
        );
        create.template = Some(Template {
            id: 3,
            name: "Phishing".into(),
        });
        let mut update = object(
            "phishing/invoice-scam",
            Action::Update,
            vec![
                change(
                    "description",
                    text("Invoice scam reported by accounts payable.\nSender: billing@example.com\nNo payment made.\n"),
                    text("Invoice scam reported by accounts payable.\nSender: billing@example.net\nNo payment made.\nBlocked at the gateway.\n"),
                ),
                change("status", choice(1, "Open"), choice(4, "Closed")),
                sensitive(change(
                    "Reporter phone",
                    text("+1 555 0100"),
                    text("+1 555 0199"),
                )),
            ],
        );
        update.remote_id = Some(1187);
        update.template = create.template.clone();
        let mut unchanged = object("phishing/quarterly-drill", Action::Unchanged, vec![]);
        unchanged.remote_id = Some(1042);
        plan(vec![create, update, unchanged])
    }

    #[test]
    fn snapshot_of_a_plan() {
        let markdown = render_plan(&realistic_plan(), &CONTEXT);
        assert!(!markdown.contains("555"));
        insta::assert_snapshot!(markdown);
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
