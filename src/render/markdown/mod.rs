//! Markdown for pull-request comments: `plan --format markdown` and the apply report a CI step posts.
//!
//! The output is a GitHub comment body. It starts with a hidden marker ([`PLAN_MARKER`],
//! [`APPLY_MARKER`]) so a CI step can find and update its own comment, puts the summary counts
//! first, and folds each object into a `<details>` section with its changes in a fenced `diff`
//! block.
//!
//! Everything that comes from documents, the tenant or the server is made inert: control
//! characters and bidirectional overrides shown escaped ([`crate::safe_text`]), then HTML-escaped inside
//! HTML (`<summary>`), put in code spans or backslash-escaped in Markdown text, and fenced with a
//! fence longer than any run of backticks it contains inside code blocks.
//!
//! The output always stays under [`COMMENT_LIMIT`] bytes (UTF-8 bytes are never fewer than the
//! UTF-16 units GitHub counts): every line and every section is capped, objects are added in
//! order while they fit, and a closing note says how many were left out.
//!
//! `budget` keeps the byte budget, `escape` makes text inert, `plan` and `apply` write the two
//! bodies, and `context` the header line they share.

mod apply;
mod budget;
mod context;
mod escape;
mod plan;
#[cfg(test)]
mod test_fixtures;

pub(crate) use apply::render_apply;
pub(crate) use context::MarkdownContext;
pub(crate) use plan::render_plan;
