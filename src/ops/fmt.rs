//! `fmt`: desired-state files rewritten in canonical form, in two steps: [`prepare`] reads and
//! formats everything (nothing written), [`write`] renames each formatted text over its file.
//! With `--check`, nothing is written and the files that are not canonical are listed (for CI). Files with problems are reported and left unchanged; the others
//! are still formatted.
//!
//! Two rules keep fmt from losing or misplacing anything:
//! - A file is rewritten only where it really is (symbolic links resolved) inside its boundary:
//!   the project directory (the one holding `soarform.yaml`) when the path it was found through
//!   lies in it; otherwise the directory argument it was found under, or, for a file argument,
//!   the directory holding it. A link that stays inside is followed (the file it points to is
//!   rewritten, the link kept); one leading outside, or to nothing, is refused and the file left
//!   unchanged. `--check` only reads, and follows links anywhere, as `validate` does.
//! - Each file is fingerprinted (size, modification time, identity and a hash of its bytes)
//!   before it is read for formatting, and compared again just before the formatted text is
//!   renamed over it: a file edited meanwhile is left alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::ProjectConfig;
use crate::error::{Error, Result};
use crate::files::{self, Fingerprint, ReplaceError};
use crate::manifest::format::{self, ChangedFile, Formatted};
use crate::manifest::{self, LoadOptions};

/// Every file under the paths, formatted in memory, with what each was when it was read.
pub(crate) struct Prepared {
    /// The formatted files, those already canonical, those skipped, and the problems.
    pub formatted: Formatted,
    /// Each file's fingerprint before it was read (empty for `--check`, which writes nothing).
    read: HashMap<PathBuf, Fingerprint>,
    /// The directory holding soarform.yaml, when there is one.
    project: Option<PathBuf>,
}

/// Reads and formats every file under `paths`; fingerprints them first unless `check`.
pub(crate) fn prepare(paths: &[PathBuf], config: &ProjectConfig, check: bool) -> Prepared {
    let options = config.load_options();
    let read = if check {
        HashMap::new()
    } else {
        fingerprints(paths, &options)
    };
    Prepared {
        formatted: format::format_paths(paths, &options, config.path.as_deref()),
        read,
        project: config.path.as_deref().map(parent_or_current),
    }
}

/// Writes each formatted file inside its boundary, unless it changed since it was read; hands
/// each file's result to `on_file` as it goes (an error from `on_file` stops the writes).
pub(crate) fn write(
    prepared: &Prepared,
    paths: &[PathBuf],
    mut on_file: impl FnMut(&Path, Result<()>) -> Result<()>,
) -> Result<()> {
    for changed in &prepared.formatted.changed {
        let boundary = boundary(&changed.path, paths, prepared.project.as_deref());
        let result = write_formatted(changed, prepared.read.get(&changed.path), &boundary);
        on_file(&changed.path, result)?;
    }
    Ok(())
}

/// What each regular file under `paths` is before formatting reads it (the files format walks;
/// those over the size limit are left out: they are not formatted).
fn fingerprints(paths: &[PathBuf], options: &LoadOptions) -> HashMap<PathBuf, Fingerprint> {
    let found = crate::manifest::find_files(paths, &options.exclude_file_names, &options.exclude);
    found
        .files
        .into_iter()
        .filter(|file| {
            std::fs::metadata(file).is_ok_and(|metadata| {
                metadata.is_file() && metadata.len() <= options.max_file_bytes
            })
        })
        .filter_map(|file| Some((file.clone(), Fingerprint::of(&file).ok()?)))
        .collect()
}

/// Replaces the file with its canonical text, unless it lies outside `boundary` or is no longer
/// the file `read` describes.
fn write_formatted(
    changed: &ChangedFile,
    read: Option<&Fingerprint>,
    boundary: &Path,
) -> Result<()> {
    let path = &changed.path;
    let target = files::confined(boundary, path).map_err(|problem| {
        let hint = match problem.leads_to() {
            Some(real) => format!(
                "fmt writes only inside the directory a file was found under (the project's, when it is in one): format the file where it is, `soarform fmt {}`",
                real.display()
            ),
            None => "fix the path, or format the file where it is".to_string(),
        };
        Error::with_hint(
            format!(
                "refusing to write `{}`: {problem}; it was left unchanged",
                path.display()
            ),
            hint,
        )
    })?;
    let changed_meanwhile = || Error::Message {
        message: format!("cannot write `{}`", path.display()),
        causes: vec![
            "file changed while it was being formatted; run `soarform fmt` again".to_string(),
        ],
        hint: None,
    };
    // Not fingerprinted before it was read: it appeared, or became readable, meanwhile.
    let Some(read) = read else {
        return Err(changed_meanwhile());
    };
    files::replace_unless_changed(&target, &changed.text, read).map_err(|error| match error {
        ReplaceError::Changed => changed_meanwhile(),
        ReplaceError::Io(error) => {
            Error::caused_by(format!("cannot write `{}`", path.display()), &error)
        }
    })
}

/// The directory `file` must stay inside (see the module documentation): found through one of
/// `paths` (the first that reaches it, as the walk does), widened to `project` when inside it.
fn boundary(file: &Path, paths: &[PathBuf], project: Option<&Path>) -> PathBuf {
    let found_under = paths
        .iter()
        .map(|given| manifest::shown_path(given))
        .find_map(|given| {
            if given == file {
                Some(parent_or_current(file))
            } else if (given == Path::new(".") && file.is_relative()) || file.starts_with(&given) {
                Some(given)
            } else {
                None
            }
        })
        .unwrap_or_else(|| parent_or_current(file));
    match project {
        Some(project) if is_inside(&found_under, project) => project.to_path_buf(),
        _ => found_under,
    }
}

/// Whether `directory` is `outer` or inside it, links resolved.
fn is_inside(directory: &Path, outer: &Path) -> bool {
    match (files::real_location(directory), files::real_location(outer)) {
        (Ok(directory), Ok(outer)) => directory.starts_with(outer),
        _ => false,
    }
}

/// The directory holding `file`, `.` for a bare name.
fn parent_or_current(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(paths: &[&str]) -> Vec<PathBuf> {
        paths.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn the_boundary_is_the_directory_a_file_was_found_under() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        std::fs::create_dir_all(root.join("repo/incidents")).unwrap();
        std::fs::create_dir_all(root.join("other")).unwrap();
        let at = |relative: &str| root.join(relative);
        let boundary_of = |file: &str, given: &[&str], project: Option<&str>| {
            let given: Vec<PathBuf> = given.iter().map(|path| at(path)).collect();
            let project = project.map(at);
            boundary(&at(file), &given, project.as_deref())
        };
        // A walked directory, a file argument, without a project.
        assert_eq!(
            boundary_of("repo/incidents/a.yaml", &["repo/incidents"], None),
            at("repo/incidents")
        );
        assert_eq!(
            boundary_of("repo/incidents/a.yaml", &["repo/incidents/a.yaml"], None),
            at("repo/incidents")
        );
        // Inside the project: the whole project.
        assert_eq!(
            boundary_of("repo/incidents/a.yaml", &["repo/incidents"], Some("repo")),
            at("repo")
        );
        // Outside it: what was given.
        assert_eq!(
            boundary_of("other/a.yaml", &["repo", "other"], Some("repo")),
            at("other")
        );
    }

    #[test]
    fn paths_are_matched_as_the_walk_spells_them() {
        assert_eq!(
            boundary(Path::new("a.yaml"), &paths(&["."]), None),
            PathBuf::from(".")
        );
        assert_eq!(
            boundary(Path::new("x/a.yaml"), &paths(&["./x/a.yaml"]), None),
            PathBuf::from("x")
        );
        assert_eq!(
            boundary(Path::new("a.yaml"), &paths(&["a.yaml", "."]), None),
            PathBuf::from(".")
        );
        assert_eq!(
            boundary(Path::new("x/y/a.yaml"), &paths(&["x/y", "x"]), None),
            PathBuf::from("x/y")
        );
        assert_eq!(manifest::shown_path(Path::new("./")), PathBuf::from("."));
        assert_eq!(
            manifest::shown_path(Path::new("./a/b")),
            PathBuf::from("a/b")
        );
    }

    #[test]
    fn a_file_edited_while_it_was_formatted_is_left_alone() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("a.yaml");
        std::fs::write(&path, "messy").unwrap();
        let read = Fingerprint::of(&path).unwrap();
        std::fs::write(&path, "edited by hand").unwrap();
        let changed = ChangedFile {
            path: path.clone(),
            text: "canonical".into(),
        };
        let error = write_formatted(&changed, Some(&read), directory.path()).unwrap_err();
        assert_eq!(
            error.render(false),
            format!(
                "error: cannot write `{}`\n\nCaused by:\n  file changed while it was being formatted; run `soarform fmt` again\n",
                path.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited by hand");
        // Never fingerprinted: refused the same way.
        assert!(write_formatted(&changed, None, directory.path()).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited by hand");
        // As read: replaced.
        let read = Fingerprint::of(&path).unwrap();
        write_formatted(&changed, Some(&read), directory.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "canonical");
    }
}
