//! Finding the desired-state files under the paths given, and reading them within limits.

use std::collections::HashSet;
use std::io;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use super::diagnostic::Diagnostic;

/// Glob patterns of files and directories skipped while walking directories (`exclude:` in
/// `soarform.yaml`), matched against each entry's path relative to a base directory, with `/`
/// separators. `*` stays within one segment, `**` crosses segments.
#[derive(Debug, Clone)]
pub(crate) struct Exclusions {
    /// The directory patterns are relative to.
    base: PathBuf,
    /// The patterns as written.
    patterns: Vec<String>,
    set: GlobSet,
}

/// A pattern that is not a usable `exclude` glob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `exclude` pattern `{pattern}`: {reason}")]
pub(crate) struct InvalidPattern {
    /// Its index in the list given.
    pub index: usize,
    /// The pattern as written.
    pub pattern: String,
    /// Why it was refused.
    pub reason: String,
}

impl Exclusions {
    /// No exclusions at all.
    pub(crate) fn none() -> Exclusions {
        Exclusions {
            base: PathBuf::from("."),
            patterns: Vec::new(),
            set: GlobSet::empty(),
        }
    }

    /// Compiles `patterns`, relative to `base`; the first invalid one is the error.
    pub(crate) fn new(
        base: impl Into<PathBuf>,
        patterns: &[String],
    ) -> Result<Exclusions, InvalidPattern> {
        let mut builder = GlobSetBuilder::new();
        for (index, pattern) in patterns.iter().enumerate() {
            let glob = exclude_glob(pattern).map_err(|reason| InvalidPattern {
                index,
                pattern: pattern.clone(),
                reason,
            })?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|error| InvalidPattern {
            index: 0,
            pattern: patterns.join(", "),
            reason: error.to_string(),
        })?;
        Ok(Exclusions {
            base: base.into(),
            patterns: patterns.to_vec(),
            set,
        })
    }

    /// Like [`Exclusions::new`], leaving out the invalid patterns (each logged as a warning).
    pub(crate) fn lenient(base: impl Into<PathBuf>, patterns: &[String]) -> Exclusions {
        let valid: Vec<String> = patterns
            .iter()
            .filter(|pattern| match exclude_glob(pattern) {
                Ok(_) => true,
                Err(reason) => {
                    tracing::warn!("ignoring the invalid `exclude` pattern `{pattern}`: {reason}");
                    false
                }
            })
            .cloned()
            .collect();
        let base = base.into();
        Exclusions::new(base.clone(), &valid).unwrap_or_else(|error| {
            tracing::warn!("ignoring every `exclude` pattern: {error}");
            Exclusions {
                base,
                ..Exclusions::none()
            }
        })
    }

    /// Whether there is no pattern.
    pub(crate) fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The directory the patterns are relative to.
    pub(crate) fn base(&self) -> &Path {
        &self.base
    }

    /// The patterns as written.
    #[cfg(test)]
    pub(crate) fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether `relative` (a path relative to [`Exclusions::base`], `/`-separated, such as
    /// `ci/deploy.yml`) matches a pattern.
    pub(crate) fn matches(&self, relative: &str) -> bool {
        !self.is_empty() && self.set.is_match(relative)
    }
}

impl Default for Exclusions {
    fn default() -> Self {
        Exclusions::none()
    }
}

impl PartialEq for Exclusions {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base && self.patterns == other.patterns
    }
}

impl Eq for Exclusions {}

/// Compiles one `exclude` pattern: a leading `./` and trailing `/` are dropped; absolute
/// patterns and `..` are refused (patterns are relative to the project directory).
pub(crate) fn exclude_glob(pattern: &str) -> Result<Glob, String> {
    let mut tidied = pattern.trim_end_matches('/');
    while let Some(rest) = tidied.strip_prefix("./") {
        tidied = rest.trim_start_matches('/');
    }
    if tidied.is_empty() || tidied == "." {
        return Err("it matches nothing; name a file or directory, such as `ci`".to_string());
    }
    if pattern.starts_with('/') || Path::new(tidied).is_absolute() {
        return Err(
            "patterns are relative to the directory holding `soarform.yaml`; remove the leading `/`"
                .to_string(),
        );
    }
    if tidied.split('/').any(|segment| segment == "..") {
        return Err(
            "`..` is not allowed: patterns only match inside the directory holding `soarform.yaml`"
                .to_string(),
        );
    }
    GlobBuilder::new(tidied)
        .literal_separator(true)
        .build()
        .map_err(|error| error.kind().to_string())
}

/// The files to read, in a deterministic order, and the problems met finding them.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub files: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Expands `paths` into files: a file is taken whatever its extension; a directory is walked
/// recursively, sorted by name, for `*.yaml` / `*.yml`, skipping hidden entries, the excluded
/// file names, and the files and directories `exclusions` match (a matched directory with
/// everything under it). A file reached twice is listed once. A file named in `paths` is taken
/// whatever its extension, but not when `exclusions` or the excluded file names match it.
pub(crate) fn find_files(
    paths: &[PathBuf],
    exclude_file_names: &[String],
    exclusions: &Exclusions,
) -> Found {
    let mut found = Found::default();
    let base = (!exclusions.is_empty()).then(|| resolved(exclusions.base()));
    let mut seen = HashSet::new();
    let mut add = |path: PathBuf, found: &mut Found| {
        let identity = path.canonicalize().unwrap_or_else(|_| path.clone());
        if seen.insert(identity) {
            found.files.push(path);
        }
    };

    for given in paths {
        let given = shown_path(given);
        let metadata = match std::fs::metadata(&given) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                found.diagnostics.push(
                    Diagnostic::new(format!("path `{}` does not exist", given.display()))
                        .with_help("pass a desired-state file or a directory of them"),
                );
                continue;
            }
            Err(error) => {
                found.diagnostics.push(Diagnostic::new(format!(
                    "cannot read `{}`: {error}",
                    given.display()
                )));
                continue;
            }
        };
        if !metadata.is_dir() {
            let by_name = given.file_name().is_some_and(|name| {
                exclude_file_names
                    .iter()
                    .any(|excluded| name == excluded.as_str())
            });
            // The file, or a directory it is in, as the walk would have met them.
            let by_pattern = base.as_ref().is_some_and(|base| {
                let file = resolved(&given);
                let Ok(relative) = file.strip_prefix(base) else {
                    return false;
                };
                let parts: Vec<String> = relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy().into_owned())
                    .collect();
                (1..=parts.len()).any(|end| exclusions.matches(&parts[..end].join("/")))
            });
            if by_name || by_pattern {
                tracing::debug!("skipping `{}`: excluded", given.display());
                continue;
            }
            add(given, &mut found);
            continue;
        }
        // Where the walked directory is, to place each entry relative to the base.
        let root = base.as_ref().map(|_| resolved(&given));
        let walker = walkdir::WalkDir::new(&given)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                if entry.depth() == 0 {
                    return true;
                }
                if is_hidden(entry.file_name()) {
                    return false;
                }
                let (Some(base), Some(root)) = (&base, &root) else {
                    return true;
                };
                let Some(relative) = relative_to_base(entry.path(), &given, root, base) else {
                    return true;
                };
                if exclusions.matches(&relative) {
                    tracing::debug!(
                        "skipping `{}`: matched by `exclude`",
                        entry.path().display()
                    );
                    return false;
                }
                true
            });
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let place = error
                        .path()
                        .map_or_else(|| given.display().to_string(), |p| p.display().to_string());
                    let reason = error
                        .io_error()
                        .map_or_else(|| error.to_string(), ToString::to_string);
                    found
                        .diagnostics
                        .push(Diagnostic::new(format!("cannot read `{place}`: {reason}")));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if exclude_file_names.iter().any(|excluded| *excluded == name) {
                continue;
            }
            if has_yaml_extension(entry.path()) {
                add(shown_path(entry.path()), &mut found);
            }
        }
    }
    found
}

/// `path` made absolute with symbolic links resolved (lexically absolute when it cannot be).
fn resolved(path: &Path) -> PathBuf {
    path.canonicalize()
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The `/`-separated path of `entry` (found walking `given`, which resolves to `root`) relative to
/// `base`, or `None` when it is outside `base`.
fn relative_to_base(entry: &Path, given: &Path, root: &Path, base: &Path) -> Option<String> {
    let below_root = entry.strip_prefix(given).ok()?;
    let absolute = root.join(below_root);
    let relative = absolute.strip_prefix(base).ok()?;
    let mut text = String::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => {
                if !text.is_empty() {
                    text.push('/');
                }
                text.push_str(&part.to_string_lossy());
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!text.is_empty()).then_some(text)
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn has_yaml_extension(path: &Path) -> bool {
    path.extension()
        .map(|extension| extension.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|extension| extension == "yaml" || extension == "yml")
}

/// `./a/b.yaml` -> `a/b.yaml` (and `./` -> `.`), so that messages show the path the way people
/// type it.
pub(crate) fn shown_path(path: &Path) -> PathBuf {
    let mut components = path.components().peekable();
    while components.peek() == Some(&Component::CurDir) {
        components.next();
    }
    let tidied: PathBuf = components.collect();
    if tidied.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        tidied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(found: &Found, root: &Path) -> Vec<String> {
        found
            .files
            .iter()
            .map(|file| {
                file.strip_prefix(root)
                    .unwrap_or(file)
                    .display()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn walks_sorted_skipping_hidden_and_excluded() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for file in [
            "b.yaml",
            "a.yml",
            "z/c.YAML",
            "notes.txt",
            "soarform.yaml",
            ".hidden.yaml",
            ".git/x.yaml",
            ".github/workflows/ci.yml",
            "m/.soarform/plan.yaml",
        ] {
            let path = root.join(file);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, "kind: Template\n")?;
        }
        let found = find_files(
            &[root.to_path_buf()],
            &["soarform.yaml".to_string(), "soarform.yml".to_string()],
            &Exclusions::none(),
        );
        assert!(found.diagnostics.is_empty());
        assert_eq!(names(&found, root), ["a.yml", "b.yaml", "z/c.YAML"]);
        Ok(())
    }

    fn tree(root: &Path, files: &[&str]) -> io::Result<()> {
        for file in files {
            let path = root.join(file);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, "kind: Template\n")?;
        }
        Ok(())
    }

    fn exclusions(base: &Path, patterns: &[&str]) -> Exclusions {
        let patterns: Vec<String> = patterns.iter().map(ToString::to_string).collect();
        Exclusions::new(base, &patterns).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn skips_excluded_directories_and_files() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        tree(
            root,
            &[
                "ci/deploy.yml",
                "ci/nested/more.yaml",
                "docs/a.yml",
                "docs/guide/deep/b.yml",
                "docs/c.yaml",
                "incidents/ci/kept.yaml",
                "incidents/x.yaml",
                "top.yaml",
                "skip.yaml",
            ],
        )?;
        let found = find_files(
            &[root.to_path_buf()],
            &[],
            &exclusions(root, &["ci", "docs/**/*.yml", "./skip.yaml/"]),
        );
        assert!(found.diagnostics.is_empty(), "{:?}", found.diagnostics);
        // `ci` is anchored at the base: `incidents/ci` is kept.
        assert_eq!(
            names(&found, root),
            [
                "docs/c.yaml",
                "incidents/ci/kept.yaml",
                "incidents/x.yaml",
                "top.yaml"
            ]
        );
        Ok(())
    }

    #[test]
    fn a_single_star_stays_within_one_segment() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        tree(root, &["a.yaml", "z/b.yaml", "z/y/c.yaml"])?;
        let found = find_files(&[root.to_path_buf()], &[], &exclusions(root, &["*.yaml"]));
        assert_eq!(names(&found, root), ["z/b.yaml", "z/y/c.yaml"]);
        let found = find_files(&[root.to_path_buf()], &[], &exclusions(root, &["z/*"]));
        assert_eq!(names(&found, root), ["a.yaml"]);
        let found = find_files(
            &[root.to_path_buf()],
            &[],
            &exclusions(root, &["**/c.yaml"]),
        );
        assert_eq!(names(&found, root), ["a.yaml", "z/b.yaml"]);
        Ok(())
    }

    #[test]
    fn patterns_are_relative_to_the_base_whatever_is_walked() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        tree(
            root,
            &[
                "project/incidents/ci/x.yaml",
                "project/incidents/y.yaml",
                "other/ci/z.yaml",
            ],
        )?;
        let project = root.join("project");
        let rules = exclusions(&project, &["incidents/ci", "ci"]);
        // A directory below the base.
        let found = find_files(&[project.join("incidents")], &[], &rules);
        assert_eq!(names(&found, &project), ["incidents/y.yaml"]);
        // A directory above the base: only what is inside the base can match.
        let found = find_files(&[root.to_path_buf()], &[], &rules);
        assert_eq!(
            names(&found, root),
            ["other/ci/z.yaml", "project/incidents/y.yaml"]
        );
        Ok(())
    }

    #[test]
    fn paths_given_are_skipped_when_they_or_their_folders_match() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        tree(
            root,
            &["ci/deploy.yml", "ci/nested/x.yaml", "ci/z.yaml", "a.yaml"],
        )?;
        let rules = exclusions(root, &["ci/deploy.yml", "ci/nested"]);
        for excluded in ["ci/deploy.yml", "ci/nested/x.yaml"] {
            let file = root.join(excluded);
            let found = find_files(std::slice::from_ref(&file), &[], &rules);
            assert!(found.files.is_empty(), "{excluded}: {:?}", found.files);
        }
        let kept = [root.join("ci/z.yaml"), root.join("a.yaml")];
        assert_eq!(find_files(&kept, &[], &rules).files, kept);
        // So is a file named like the project file.
        let project = root.join("soarform.yaml");
        std::fs::write(&project, "region: us2\n")?;
        let found = find_files(&[project], &["soarform.yaml".to_string()], &rules);
        assert!(found.files.is_empty());
        let rules = exclusions(root, &["ci", "ci/deploy.yml", "ci/nested"]);
        // A directory given is walked; the patterns still apply below it.
        let found = find_files(&[root.join("ci")], &[], &rules);
        assert_eq!(names(&found, root), ["ci/z.yaml"]);
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn excluded_directories_are_not_entered() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        tree(root, &["a.yaml", "vendor/b.yaml"])?;
        // A symbolic link loop: walking into it is an error.
        std::os::unix::fs::symlink("..", root.join("vendor/loop"))?;
        let found = find_files(&[root.to_path_buf()], &[], &Exclusions::none());
        assert!(!found.diagnostics.is_empty());
        let found = find_files(&[root.to_path_buf()], &[], &exclusions(root, &["vendor"]));
        assert!(found.diagnostics.is_empty(), "{:?}", found.diagnostics);
        assert_eq!(names(&found, root), ["a.yaml"]);
        Ok(())
    }

    #[test]
    fn refuses_invalid_patterns() {
        let invalid = |pattern: &str| match exclude_glob(pattern) {
            Ok(glob) => panic!("`{pattern}` was accepted as {glob}"),
            Err(reason) => reason,
        };
        assert!(invalid("docs/[a").contains("unclosed character class"));
        assert!(invalid("/etc/ci").contains("remove the leading `/`"));
        assert!(invalid("../other").contains("`..` is not allowed"));
        assert!(invalid("a/../b").contains("`..` is not allowed"));
        assert!(invalid("./").contains("matches nothing"));
        assert!(exclude_glob("./ci/").is_ok());
        let patterns = ["ci".to_string(), "{a,b".to_string()];
        let Err(error) = Exclusions::new(".", &patterns) else {
            panic!("an invalid pattern was accepted");
        };
        assert_eq!(error.index, 1);
        assert_eq!(error.pattern, "{a,b");
        // Leniently, the valid patterns are kept.
        let lenient = Exclusions::lenient(".", &patterns);
        assert_eq!(lenient.patterns(), ["ci"]);
        assert!(lenient.matches("ci"));
        assert!(!Exclusions::none().matches("ci"));
    }

    #[test]
    fn explicit_files_are_read_whatever_their_extension_and_listed_once() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("incident.txt");
        fs::write(&file, "kind: Template\n")?;
        let found = find_files(&[file.clone(), file.clone()], &[], &Exclusions::none());
        assert_eq!(found.files, [file]);
        Ok(())
    }

    #[test]
    fn missing_path_is_an_error() {
        let found = find_files(
            &[PathBuf::from("./does/not/exist")],
            &[],
            &Exclusions::none(),
        );
        assert!(found.files.is_empty());
        assert_eq!(found.diagnostics.len(), 1);
        assert_eq!(
            found.diagnostics[0].message,
            "path `does/not/exist` does not exist"
        );
    }
}
