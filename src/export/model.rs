//! What export produces: the request ([`ExportRequest`]), the files to write ([`Export`],
//! [`ExportedFile`]), what was left out ([`Warning`]), and an object ready to become a file.

use std::fmt;
use std::path::PathBuf;

use crate::kind::Kind;
use crate::manifest::emit::CanonicalDocument;
use crate::resolve::FieldNames;

/// What to export.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExportRequest {
    /// The kinds to read, in the order their files are listed.
    pub kinds: Vec<Kind>,
    /// A Cloud SOAR search query (`field:"value"`, `field:"prefix*"`, `OR` between terms), fields
    /// by API name or label.
    pub filter: Option<String>,
    /// API names per kind never to write (ownership markers, sensitive fields).
    pub omit: FieldNames,
    /// Where soarform records ownership, to count the exported objects it never wrote.
    pub ownership: crate::plan::Ownership,
    /// The apply lease object's kind and key: soarform's own bookkeeping, never exported.
    pub lease: Option<(Kind, String)>,
}

/// What export found: the files to write, and what was left out and why.
#[derive(Debug, Clone, Default)]
pub(crate) struct Export {
    /// One file per object, ordered by kind (as requested), then key.
    pub files: Vec<ExportedFile>,
    /// Objects and fields left out.
    pub warnings: Vec<Warning>,
    /// Things worth knowing that are not problems (a kind the filter cannot match).
    pub notes: Vec<String>,
    /// How many objects were read but not exported.
    pub skipped: usize,
    /// How many exported objects soarform never wrote: the next plan adopts them.
    pub unowned: usize,
}

impl Export {
    /// How many objects of `kind` are exported.
    pub(crate) fn count(&self, kind: Kind) -> usize {
        self.files.iter().filter(|file| file.kind == kind).count()
    }
}

/// One object as a desired-state file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExportedFile {
    /// Incident or triage item.
    pub kind: Kind,
    /// The key (the identity field's value).
    pub key: String,
    /// The live object's id.
    pub remote_id: u64,
    /// Where to write it, relative to the output directory
    /// (`incidents/<type>/<key>.yaml`, `triage/<type>/<key>.yaml`).
    pub path: PathBuf,
    /// The canonical YAML.
    pub text: String,
}

/// Something left out of the export, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Warning {
    /// What was left out and why.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "warning: {}", self.message)?;
        if let Some(hint) = &self.hint {
            writeln!(f, "hint: {hint}")?;
        }
        Ok(())
    }
}

/// An object ready to become a file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Exportable {
    pub(super) kind: Kind,
    pub(super) key: String,
    pub(super) remote_id: u64,
    /// The slug of its type (or [`UNTYPED_FOLDER`]).
    pub(super) folder: String,
    pub(super) document: CanonicalDocument,
}
