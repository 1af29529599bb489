//! `validate`: every problem in every file, with no network at all.

use std::path::PathBuf;

use super::rules;
use crate::config::ProjectConfig;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::manifest;

/// What a valid repository holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Validated {
    /// How many files were read.
    pub files: usize,
    /// How many incidents they declare.
    pub incidents: usize,
    /// How many triage items they declare.
    pub triage_items: usize,
}

/// Loads every document under `paths` and checks `moved:` against them.
pub(crate) fn validate(paths: &[PathBuf], config: &ProjectConfig) -> Result<Validated> {
    let manifest = manifest::load(paths, &config.load_options()).map_err(Error::Diagnostics)?;
    // `moved:` names keys of the documents: checked here too, with no network.
    rules::resolve_moves(config, &manifest)?;
    let incidents = manifest
        .objects
        .iter()
        .filter(|object| object.kind == Kind::Incident)
        .count();
    Ok(Validated {
        files: manifest.sources.len(),
        incidents,
        triage_items: manifest.objects.len() - incidents,
    })
}
