//! The plan comment ([`render_plan`]): the summary counts, then one `<details>` section per object
//! with its changes in a fenced `diff` block, as many as fit, and the objects left alone although no
//! longer declared.

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use super::budget::{
    body_limit, cap_line, close_section, plural_noun, shorten, COMMENT_LIMIT, MESSAGE_LIMIT,
    NAME_LIMIT, SECTION_LIMIT, WARNING_SHARE,
};
use super::context::{target_line, MarkdownContext};
use super::escape::{code_span, html, one_line, prose, value};
use crate::normalize::Normalized;
use crate::plan::{Action, FieldChange, ObjectPlan, Plan};
use crate::render::text::SENSITIVE;
use crate::safe_text;
use crate::scrub;

/// The marker a CI step searches for to update its own plan comment instead of adding a new one.
pub(crate) const PLAN_MARKER: &str = "<!-- soarform:plan -->";

/// Unchanged lines shown around each change of a multi-line text diff.
const CONTEXT_LINES: usize = 3;

/// Renders a plan as a pull-request comment.
pub(crate) fn render_plan(plan: &Plan, context: &MarkdownContext) -> String {
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

fn text_of(value: &Normalized) -> String {
    match value {
        Normalized::Text(text) => text.clone(),
        Normalized::Absent => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Template;
    use crate::render::markdown::budget::LINE_LIMIT;
    use crate::render::markdown::test_fixtures::{
        change, choice, object, plan, sensitive, text, CONTEXT,
    };
    use chrono::{TimeZone, Utc};

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
                    Normalized::Instant {
                        at: Utc
                            .with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
                            .single()
                            .unwrap_or_default(),
                        precision: crate::dates::Precision::Nanosecond,
                    },
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
}
