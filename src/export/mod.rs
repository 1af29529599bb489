//! `soarform export`: the tenant's incidents and triage items as canonical desired-state YAML.
//!
//! Everything is computed first (searches, documents, file names); files are written only at the
//! end, and only when none of them exists yet or overwriting was asked for. Every exported value
//! is checked to read back as the live value, so a plan of the written files against the same
//! tenant shows no field changes.
//!
//! `fetch` runs the searches, `filter` translates `--filter` per kind, `documents` turns live
//! objects into documents, `layout` gives each a path in the tree, `write` writes the files;
//! `model` holds what they pass along, and `listing` how messages list what they count.

mod documents;
mod fetch;
mod filter;
mod layout;
mod listing;
mod model;
#[cfg(test)]
mod test_fixtures;
mod write;

pub(crate) use fetch::collect;
pub(crate) use listing::count_noun;
pub(crate) use model::{Export, ExportRequest};
pub(crate) use write::{
    write, write_support, SupportOutcome, DOCUMENT_SCHEMA_FILE, PROJECT_SCHEMA_FILE,
};
