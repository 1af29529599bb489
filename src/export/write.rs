//! Writing the exported files ([`write`]), the only file I/O of export, and only at the end: when
//! none of them exists yet or overwriting was asked for.
//!
//! Every path is checked before the first write, so a refusal leaves the tree as it was: each
//! must stay inside `--out` once symbolic links are resolved (a linked folder or file leading
//! outside, or to nothing, is refused; one staying inside is followed), fit the file system
//! (names of at most 255 bytes, paths of at most [`crate::files::MAX_PATH_BYTES`]), find folders
//! where folders go and no folder where the file goes, and be a file of its own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::kind::Kind;

use super::layout::output_path;
use super::listing::LISTED_NAMES;
use super::model::ExportedFile;

/// Where documents under `out` already declare keys: (kind, key) -> (file, how many documents the
/// file holds). Hidden entries and project files are skipped; a file that does not parse declares
/// nothing here (plan and validate report it).
fn declared_under(
    out: &Path,
    options: &crate::manifest::LoadOptions,
) -> HashMap<(Kind, String), (PathBuf, usize)> {
    let mut declared = HashMap::new();
    // The files `plan` would read there; a missing `out` simply declares nothing yet.
    let found = crate::manifest::find_files(
        &[out.to_path_buf()],
        &options.exclude_file_names,
        &options.exclude,
    );
    for file in &found.files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let parsed = crate::manifest::yaml::parse(file, &text);
        let count = parsed.documents.len();
        for document in &parsed.documents {
            let text_of = |key: &str| {
                document
                    .root
                    .get(key)
                    .and_then(|entry| entry.value.as_str())
            };
            let kind = match text_of("kind") {
                Some("Incident") => Kind::Incident,
                Some("TriageItem") => Kind::TriageItem,
                _ => continue,
            };
            if let Some(key) = text_of("key") {
                declared
                    .entry((kind, key.to_string()))
                    .or_insert_with(|| (file.clone(), count));
            }
        }
    }
    declared
}

/// The path each file is written to: its own, or with `force` the existing one-document file
/// that already declares its key (so a re-export updates files wherever the repository keeps
/// them). A key already declared elsewhere is an error without `force`, and with it when that
/// file holds other documents too: writing both would declare the key twice.
fn targets(
    out: &Path,
    files: &[ExportedFile],
    force: bool,
    options: &crate::manifest::LoadOptions,
) -> Result<Vec<PathBuf>> {
    let declared = declared_under(out, options);
    let mut targets = Vec::with_capacity(files.len());
    let mut problems = Vec::new();
    // `out` inside a project: a key declared in the project outside `out` would be declared
    // twice, and every later validate and plan of the project would refuse it.
    if let Some(root) = project_around(out, options) {
        let outside = declared_outside(&root, out, options);
        for file in files {
            if let Some((existing, _)) = outside.get(&(file.kind, file.key.clone())) {
                problems.push(format!(
                    "  {} `{}` is declared in {}, outside `{}` in the same project",
                    file.kind,
                    file.key,
                    from_here(existing).display(),
                    out.display()
                ));
            }
        }
        if !problems.is_empty() {
            return Err(listed_problems(
                problems,
                &format!("in the project of `{}`", from_here(&root).display()),
                "export to the project's folder (`--out` it, with `--force` to update those files where they are), or to a directory outside the project",
            ));
        }
    }
    for file in files {
        let own = output_path(out, &file.path);
        let target = match declared.get(&(file.kind, file.key.clone())) {
            Some((existing, _)) if same_file(existing, &own) => own,
            Some((existing, 1)) if force => existing.clone(),
            Some((existing, _)) => {
                problems.push(format!(
                    "  {} `{}` is declared in {} (export would write {})",
                    file.kind,
                    file.key,
                    existing.display(),
                    own.display()
                ));
                own
            }
            None => own,
        };
        targets.push(target);
    }
    if problems.is_empty() {
        return Ok(targets);
    }
    Err(listed_problems(
        problems,
        &format!("under `{}`", out.display()),
        if force {
            "those files hold other documents too: move the documents of these keys into files of their own, or export to another directory with `--out DIR`"
        } else {
            "pass `--force` to update those files where they are, or export to another directory with `--out DIR`"
        },
    ))
}

/// "N exported keys are already declared elsewhere WHERE", the first problems listed.
fn listed_problems(mut problems: Vec<String>, place: &str, hint: &str) -> Error {
    let count = problems.len();
    problems.truncate(LISTED_NAMES);
    let mut message = format!(
        "{count} exported {} already declared elsewhere {place}; nothing was written\n{}",
        if count == 1 { "key is" } else { "keys are" },
        problems.join("\n")
    );
    if count > LISTED_NAMES {
        message.push_str(&format!("\n  and {} more", count - LISTED_NAMES));
    }
    Error::with_hint(message, hint)
}

/// The project folder `out` lies strictly inside (as absolute paths), when it does.
fn project_around(out: &Path, options: &crate::manifest::LoadOptions) -> Option<PathBuf> {
    let root = options.project_root.as_ref()?.canonicalize().ok()?;
    let out = absolute(out);
    (out != root && out.starts_with(&root)).then_some(root)
}

/// `path` made absolute: canonical where it exists, else its existing ancestor's canonical path
/// with the rest appended (`..` taken lexically).
fn absolute(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    crate::files::lexically_normal(&joined)
}

/// `path` relative to the working directory where it is inside it (`.` for the directory itself).
fn from_here(path: &Path) -> PathBuf {
    let Some(here) = std::env::current_dir()
        .ok()
        .and_then(|here| here.canonicalize().ok())
    else {
        return path.to_path_buf();
    };
    match path.strip_prefix(&here) {
        Ok(relative) if relative.as_os_str().is_empty() => PathBuf::from("."),
        Ok(relative) => relative.to_path_buf(),
        Err(_) => path.to_path_buf(),
    }
}

/// The keys declared in the project's files that are not under `out`.
fn declared_outside(
    root: &Path,
    out: &Path,
    options: &crate::manifest::LoadOptions,
) -> HashMap<(Kind, String), (PathBuf, usize)> {
    let out = absolute(out);
    declared_under(root, options)
        .into_iter()
        .filter(|(_, (file, _))| !absolute(file).starts_with(&out))
        .collect()
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Writes every file under `out`, each atomically (a temporary file renamed into place), calling
/// `on_written` after each. Nothing is written when any path would leave `out` through a symbolic
/// link, is too long for the file system, or meets something in the way (every path is checked
/// first); without `force`, nor when any of them exists, or when a document under `out` already
/// declares one of the keys in another file.
pub(crate) fn write(
    out: &Path,
    files: &[ExportedFile],
    force: bool,
    options: &crate::manifest::LoadOptions,
    mut on_written: impl FnMut(&Path),
) -> Result<()> {
    let targets = targets(out, files, force, options)?;
    check_targets(out, &targets)?;
    if !force {
        let existing: Vec<&PathBuf> = targets
            .iter()
            .filter(|path| path.symlink_metadata().is_ok())
            .collect();
        if !existing.is_empty() {
            let shown: Vec<String> = existing
                .iter()
                .take(LISTED_NAMES)
                .map(|path| format!("  {}", path.display()))
                .collect();
            let verb = if existing.len() == 1 {
                "exists"
            } else {
                "exist"
            };
            let counted = match (existing.len(), files.len()) {
                (1, 1) => "the file to export".to_string(),
                (count, total) if count == total => format!("all {total} files to export"),
                (count, total) => format!("{count} of the {total} files to export"),
            };
            let mut message = format!(
                "{counted} already {verb}; nothing was written\n{}",
                shown.join("\n")
            );
            if existing.len() > LISTED_NAMES {
                message.push_str(&format!("\n  and {} more", existing.len() - LISTED_NAMES));
            }
            return Err(Error::with_hint(
                message,
                "pass `--force` to overwrite them, or export to another directory with `--out DIR`",
            ));
        }
    }
    for (file, path) in files.iter().zip(&targets) {
        // Checked again just before the write: a link put on the way since is still refused.
        let real = crate::files::confined(out, path).map_err(|problem| {
            Error::with_hint(
                format!(
                    "refusing to write `{}`: {problem}; the files listed before it were written",
                    path.display()
                ),
                unsafe_hint(&problem),
            )
        })?;
        write_atomically(&real, path, &with_modeline(out, path, &file.text))?;
        on_written(path);
    }
    Ok(())
}

/// Where export puts the document schema, relative to `--out DIR`; every exported document's
/// modeline points there.
pub(crate) const DOCUMENT_SCHEMA_FILE: &str = "schemas/soarform.schema.json";
/// Where export puts the project file's schema, relative to `--out DIR`.
pub(crate) const PROJECT_SCHEMA_FILE: &str = "schemas/project.schema.json";
const MODELINE: &str = "# yaml-language-server: $schema=";

/// `text` with a first line telling editors (the YAML language server) which schema checks it:
/// the modeline the file at `target` already has, else one pointing at
/// [`DOCUMENT_SCHEMA_FILE`] relative to the file.
fn with_modeline(out: &Path, target: &Path, text: &str) -> String {
    if text.starts_with(MODELINE) {
        return text.to_string();
    }
    if let Ok(existing) = std::fs::read_to_string(target) {
        if let Some(first) = existing
            .lines()
            .next()
            .filter(|line| line.starts_with(MODELINE))
        {
            return format!("{first}\n{text}");
        }
    }
    let Ok(relative) = target.strip_prefix(out) else {
        return text.to_string();
    };
    let depth = relative.components().count().saturating_sub(1);
    format!(
        "{MODELINE}{}{DOCUMENT_SCHEMA_FILE}\n{text}",
        "../".repeat(depth)
    )
}

/// What became of a file export writes beside the documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SupportOutcome {
    /// Written (it was missing, or `--force` replaced it).
    Written(PathBuf),
    /// Already there with this text.
    Same(PathBuf),
    /// Already there with another text, and kept (no `--force`).
    Kept(PathBuf),
}

/// Writes the files editors and soarform need beside an export (the schemas, a first
/// `soarform.yaml`), each `(path relative to out, text)`: a missing one is written, one with the
/// same text left alone, one with another text replaced only with `force`.
pub(crate) fn write_support(
    out: &Path,
    files: &[(&str, String)],
    force: bool,
) -> Result<Vec<SupportOutcome>> {
    let mut outcomes = Vec::new();
    for (relative, text) in files {
        let path = output_path(out, Path::new(relative));
        let real = crate::files::confined(out, &path).map_err(|problem| {
            Error::with_hint(
                format!("refusing to write `{}`: {problem}", path.display()),
                unsafe_hint(&problem),
            )
        })?;
        match std::fs::read_to_string(&real) {
            Ok(existing) if existing == *text => outcomes.push(SupportOutcome::Same(path)),
            Ok(_) if !force => outcomes.push(SupportOutcome::Kept(path)),
            _ => {
                if let Some(parent) = real.parent() {
                    std::fs::create_dir_all(parent).map_err(|error| {
                        Error::caused_by(format!("cannot create `{}`", parent.display()), &error)
                    })?;
                }
                write_atomically(&real, &path, text)?;
                outcomes.push(SupportOutcome::Written(path));
            }
        }
    }
    Ok(outcomes)
}

/// Refuses, before anything is written, a target that would land outside `out` (through a
/// symbolic link, or a link to nothing), whose name or path is too long for the file system,
/// that has a file where a folder must be (or a folder where the file goes), or that is the same
/// file as another target.
fn check_targets(out: &Path, targets: &[PathBuf]) -> Result<()> {
    let mut problems: Vec<String> = Vec::new();
    let mut hint = None;
    let mut seen: HashMap<PathBuf, &PathBuf> = HashMap::new();
    for target in targets {
        match crate::files::confined(out, target) {
            Ok(real) => match seen.entry(real) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    problems.push(format!(
                        "`{}` and `{}` are the same file",
                        first.get().display(),
                        target.display()
                    ));
                    hint.get_or_insert("two exported objects would share one file: give the documents of these keys files of their own, or export to another directory with `--out DIR`");
                }
                std::collections::hash_map::Entry::Vacant(entry) => {
                    entry.insert(target);
                }
            },
            Err(problem) => {
                // Every file under a folder that leads outside has the same problem: say it once.
                let text = problem.to_string();
                if !problems.contains(&text) {
                    problems.push(text);
                }
                hint.get_or_insert(unsafe_hint(&problem));
            }
        }
    }
    let Some(hint) = hint else {
        return Ok(());
    };
    let count = problems.len();
    problems.truncate(LISTED_NAMES);
    let listed: Vec<String> = problems
        .iter()
        .map(|problem| format!("  {problem}"))
        .collect();
    let mut message = format!(
        "cannot write the export under `{}`; nothing was written\n{}",
        out.display(),
        listed.join("\n")
    );
    if count > LISTED_NAMES {
        message.push_str(&format!("\n  and {} more", count - LISTED_NAMES));
    }
    Err(Error::with_hint(message, hint))
}

/// What to do about a path export may not write.
fn unsafe_hint(problem: &crate::files::UnsafePath) -> &'static str {
    if problem.is_link() {
        "export writes only inside `--out` (links are followed only where they stay inside): remove the link, or export to another directory with `--out DIR`"
    } else if problem.is_length() {
        "export to a directory with a shorter path (`--out DIR`)"
    } else {
        "move what is in the way, or export to another directory with `--out DIR`"
    }
}

/// Writes `text` to `real` (where `path` leads) through a temporary file renamed into place, so
/// that a failure never leaves half a file behind; errors name `path`.
fn write_atomically(real: &Path, path: &Path, text: &str) -> Result<()> {
    crate::files::write_atomically(real, text)
        .map_err(|error| Error::caused_by(format!("cannot write `{}`", path.display()), &error))
}
