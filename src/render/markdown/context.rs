//! Where the comment was computed ([`MarkdownContext`]) and the header line that says so.

use super::budget::{shorten, NAME_LIMIT};
use super::escape::code_span;

/// Where the plan was computed, shown in the comment header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MarkdownContext<'a> {
    /// The tenant's URL, or `sandbox`.
    pub target: &'a str,
    /// The API dialect (`v3` or `legacy`).
    pub dialect: &'a str,
}

/// `Target: `https://…` · API dialect: `v3``
pub(super) fn target_line(context: &MarkdownContext) -> String {
    format!(
        "Target: {} · API dialect: {}\n\n",
        code_span(&shorten(context.target, NAME_LIMIT)),
        code_span(&shorten(context.dialect, NAME_LIMIT))
    )
}
