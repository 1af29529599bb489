//! Writing files safely. An interrupted write never leaves half a file: plans, exported
//! documents, formatted documents and the simulator's state all go through [`write_atomically`]
//! (a temporary file created beside the target, then renamed over it). [`confined`] tells where a
//! write would land, symbolic links resolved, and refuses a path that leaves its directory or that
//! the file system cannot hold; [`replace_unless_changed`] refuses to replace a file that changed
//! since it was read.
//!
//! The checks are made just before writing, not under a lock: someone who can change the
//! directories while soarform writes (swap a folder for a link between the check and the rename)
//! is not defended against, and the file system offers no portable way to be.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

/// The longest file or directory name, in bytes, that common file systems accept (`NAME_MAX`
/// on Linux, and the limit of ext4, XFS, Btrfs, APFS and NTFS).
pub(crate) const NAME_MAX: usize = 255;

/// The longest path, in bytes, that soarform writes: `PATH_MAX` on Linux (4096, with the
/// terminating NUL) less what the temporary file's name may add to the target's.
pub const MAX_PATH_BYTES: usize = 4096 - 1 - TEMPORARY_NAME_EXTRA;

/// How much of the target's name the temporary file's name keeps, so that it never exceeds
/// [`NAME_MAX`] however long the target's name is.
const TEMPORARY_NAME_KEPT: usize = 200;

/// What the temporary file's name adds to the part of the target's name it keeps: `.`, `.`,
/// the process id (at most 10 digits), `.`, 8 hex digits and `.tmp`.
const TEMPORARY_NAME_EXTRA: usize = 1 + 1 + 10 + 1 + 8 + 4;

/// How many temporary names are tried when one is taken.
const TEMPORARY_ATTEMPTS: usize = 8;

/// Replaces (or creates) `path` with `contents`: written to a temporary file in the same directory,
/// then renamed over it. Missing parent directories are created. An existing file keeps its
/// permissions; a symbolic link is followed (the file it points to is replaced, not the link: see
/// [`confined`] to keep that inside a directory); a read-only file is refused. The temporary file
/// is created new (`O_EXCL`), so it never writes through a link planted at its name.
pub(crate) fn write_atomically(path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    replace_after_check(path, contents.as_ref(), |_| Ok(())).map_err(|error| match error {
        ReplaceError::Io(error) => error,
        changed @ ReplaceError::Changed => io::Error::other(changed),
    })
}

/// Why [`replace_unless_changed`] left a file as it was.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReplaceError {
    /// The file is no longer what was read: replacing it would lose that change.
    #[error("the file changed since it was read")]
    Changed,
    /// Reading, writing or renaming failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Like [`write_atomically`], but only while `path` is still the file `read` describes: the
/// check is made once the new contents are in the temporary file, just before the rename. When
/// the file changed, it is left alone (and no temporary file is left behind).
pub(crate) fn replace_unless_changed(
    path: &Path,
    contents: impl AsRef<[u8]>,
    read: &Fingerprint,
) -> Result<(), ReplaceError> {
    replace_unless_changed_after(path, contents.as_ref(), read, || {})
}

/// [`replace_unless_changed`], running `before_check` between writing the temporary file and
/// comparing the target with `read` (tests change the file there, as an editor would).
fn replace_unless_changed_after(
    path: &Path,
    contents: &[u8],
    read: &Fingerprint,
    before_check: impl FnOnce(),
) -> Result<(), ReplaceError> {
    replace_after_check(path, contents, |target| {
        before_check();
        if read.matches(target)? {
            Ok(())
        } else {
            Err(ReplaceError::Changed)
        }
    })
}

/// Writes `contents` to a new temporary file beside the target (`path`, links resolved), calls
/// `check` with the target, then renames the temporary file over it unless `check` failed.
/// The rename replaces the directory entry itself: had a link been put at the target since, the
/// link is replaced, never the file it points to.
fn replace_after_check(
    path: &Path,
    contents: &[u8],
    check: impl FnOnce(&Path) -> Result<(), ReplaceError>,
) -> Result<(), ReplaceError> {
    let target = match path.canonicalize() {
        Ok(existing) => existing,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent)?;
            }
            path.to_path_buf()
        }
        Err(error) => return Err(error.into()),
    };
    let permissions = match std::fs::metadata(&target) {
        Ok(metadata) if metadata.permissions().readonly() => {
            return Err(
                io::Error::new(io::ErrorKind::PermissionDenied, "the file is read-only").into(),
            )
        }
        Ok(metadata) => Some(metadata.permissions()),
        Err(_) => None,
    };
    let (temporary, mut file) = create_temporary(&target)?;
    let written = (|| {
        file.write_all(contents)?;
        if let Some(permissions) = permissions {
            // Through the open file: nothing at the temporary name is followed.
            file.set_permissions(permissions)?;
        }
        drop(file);
        check(&target)?;
        std::fs::rename(&temporary, &target)?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// A new, empty temporary file beside `target`: created with `create_new`, which fails rather
/// than follow anything (a link included) already at the name; another name is tried then.
fn create_temporary(target: &Path) -> io::Result<(PathBuf, File)> {
    create_temporary_from(|| temporary_path(target))
}

/// [`create_temporary`] with the names taken from `names`.
fn create_temporary_from(mut names: impl FnMut() -> PathBuf) -> io::Result<(PathBuf, File)> {
    let mut last_error = None;
    for _ in 0..TEMPORARY_ATTEMPTS {
        let temporary = names();
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)
        {
            Ok(file) => return Ok((temporary, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                last_error = Some(error);
            }
            Err(error) => return Err(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no temporary file name was free")))
}

/// A hidden name next to `target`, unique to this process and call, at most
/// [`TEMPORARY_NAME_EXTRA`] bytes longer than the target's and never over [`NAME_MAX`].
fn temporary_path(target: &Path) -> PathBuf {
    let file_name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kept = truncated(&file_name, TEMPORARY_NAME_KEPT);
    target.with_file_name(format!(
        ".{kept}.{}.{:08x}.tmp",
        std::process::id(),
        rand::random::<u32>()
    ))
}

/// The longest start of `text` of at most `limit` bytes that ends at a character boundary.
pub(crate) fn truncated(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// What a file was when it was read: its size, modification time, identity (device and inode)
/// and a SHA-256 of its bytes. Two fingerprints are equal only when all of them are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    length: u64,
    modified: Option<SystemTime>,
    identity: Option<(u64, u64)>,
    digest: [u8; 32],
}

impl Fingerprint {
    /// Reads the regular file at `path` (a link is followed) and fingerprints it. Anything else
    /// (a directory, a FIFO, a device) is refused without being opened.
    pub(crate) fn of(path: &Path) -> io::Result<Fingerprint> {
        let metadata = regular_file_metadata(path)?;
        let mut file = File::open(path)?;
        // The metadata of the file opened, taken before reading: a write during the read changes
        // the modification time the next fingerprint sees.
        let metadata = file.metadata().unwrap_or(metadata);
        let mut hasher = Sha256::new();
        let mut buffer = [0u8; 64 * 1024];
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        Ok(Fingerprint {
            length: metadata.len(),
            modified: metadata.modified().ok(),
            identity: identity(&metadata),
            digest: hasher.finalize().into(),
        })
    }

    /// Whether the file at `path` is still this one; the bytes are read only when the size,
    /// modification time and identity match.
    pub(crate) fn matches(&self, path: &Path) -> io::Result<bool> {
        let metadata = match regular_file_metadata(path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(error) => return Err(error),
        };
        if metadata.len() != self.length
            || metadata.modified().ok() != self.modified
            || identity(&metadata) != self.identity
        {
            return Ok(false);
        }
        Ok(Fingerprint::of(path)? == *self)
    }
}

fn regular_file_metadata(path: &Path) -> io::Result<std::fs::Metadata> {
    let metadata = std::fs::metadata(path)?;
    if metadata.is_file() {
        Ok(metadata)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ))
    }
}

#[cfg(unix)]
fn identity(metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn identity(_metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Why a path may not be written inside a directory. Paths are shown as given, the places links
/// lead to with every link resolved.
#[derive(Debug)]
pub(crate) enum UnsafePath {
    /// A symbolic link on the way leads outside the directory.
    LeavesRoot {
        link: PathBuf,
        points_to: PathBuf,
        root: PathBuf,
    },
    /// The path itself resolves outside the directory (it could not be followed link by link).
    Outside {
        path: PathBuf,
        real: PathBuf,
        root: PathBuf,
    },
    /// A symbolic link on the way leads to nothing: writing through it would create its target.
    Dangling { link: PathBuf, points_to: PathBuf },
    /// Something on the way that must be a directory is not one.
    NotADirectory { path: PathBuf },
    /// The path itself is a directory, a FIFO, a device or a socket.
    NotAFile { path: PathBuf },
    /// A name on the way is longer than [`NAME_MAX`] bytes.
    NameTooLong { path: PathBuf, name: String },
    /// The whole path is longer than [`MAX_PATH_BYTES`].
    PathTooLong { path: PathBuf, length: usize },
    /// The file system could not be asked.
    Unreadable { path: PathBuf, source: io::Error },
}

impl fmt::Display for UnsafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsafePath::LeavesRoot {
                link,
                points_to,
                root,
            } => write!(
                f,
                "`{}` is a symbolic link to `{}`, outside `{}`",
                link.display(),
                points_to.display(),
                root.display()
            ),
            UnsafePath::Outside { path, real, root } => write!(
                f,
                "`{}` is `{}`, outside `{}`",
                path.display(),
                real.display(),
                root.display()
            ),
            UnsafePath::Dangling { link, points_to } => write!(
                f,
                "`{}` is a symbolic link to `{}`, which does not exist",
                link.display(),
                points_to.display()
            ),
            UnsafePath::NotADirectory { path } => {
                write!(f, "`{}` is in the way: it is not a directory", path.display())
            }
            UnsafePath::NotAFile { path } => {
                write!(f, "`{}` is not a regular file", path.display())
            }
            UnsafePath::NameTooLong { path, name } => write!(
                f,
                "`{}` has a name of {} bytes (`{}...`); file systems allow {NAME_MAX}",
                path.display(),
                name.len(),
                truncated(name, 40)
            ),
            UnsafePath::PathTooLong { path, length } => write!(
                f,
                "`{}...` is {length} bytes long; soarform writes paths of at most {MAX_PATH_BYTES} bytes",
                truncated(&path.to_string_lossy(), 60)
            ),
            UnsafePath::Unreadable { path, source } => {
                write!(f, "cannot inspect `{}`: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for UnsafePath {}

impl UnsafePath {
    /// Whether a symbolic link is the problem (rather than a name or what is in the way).
    pub(crate) fn is_link(&self) -> bool {
        matches!(
            self,
            UnsafePath::LeavesRoot { .. }
                | UnsafePath::Outside { .. }
                | UnsafePath::Dangling { .. }
        )
    }

    /// Where the path leads outside the directory, when that is the problem.
    pub(crate) fn leads_to(&self) -> Option<&Path> {
        match self {
            UnsafePath::LeavesRoot { points_to, .. } => Some(points_to),
            UnsafePath::Outside { real, .. } => Some(real),
            _ => None,
        }
    }

    /// Whether a name or the path is too long.
    pub(crate) fn is_length(&self) -> bool {
        matches!(
            self,
            UnsafePath::NameTooLong { .. } | UnsafePath::PathTooLong { .. }
        )
    }
}

/// Where writing the file `path` would land, every symbolic link resolved, provided that stays
/// inside the directory `root` (itself resolved: a `root` that is a link is followed) and the file
/// system can hold it. Checked on the way down from `root`: each link (a folder or the file
/// itself) must lead inside `root`; each existing entry but the last must be a directory; the
/// last, when it exists, a regular file; no name may exceed [`NAME_MAX`] bytes, nor the path
/// [`MAX_PATH_BYTES`]. What does not exist yet is simply where it would be created. `path` is
/// `root` joined with the rest, as walks and `Path::join` make it.
pub(crate) fn confined(root: &Path, path: &Path) -> Result<PathBuf, UnsafePath> {
    let unreadable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| UnsafePath::Unreadable { path, source }
    };
    check_lengths(path)?;
    if let Ok(metadata) = std::fs::symlink_metadata(root) {
        if metadata.file_type().is_symlink() && std::fs::metadata(root).is_err() {
            return Err(UnsafePath::Dangling {
                link: root.to_path_buf(),
                points_to: std::fs::read_link(root).unwrap_or_default(),
            });
        }
    }
    let real_root = real_location(root).map_err(unreadable(root))?;
    match std::fs::metadata(&real_root) {
        Ok(metadata) if !metadata.is_dir() => {
            return Err(UnsafePath::NotADirectory {
                path: root.to_path_buf(),
            })
        }
        _ => {}
    }
    let Some(relative) = relative_to(root, path) else {
        // Not written as `root` joined with more: judged by where it resolves to.
        let real = real_location(path).map_err(unreadable(path))?;
        if !real.starts_with(&real_root) {
            return Err(UnsafePath::Outside {
                path: path.to_path_buf(),
                real,
                root: root.to_path_buf(),
            });
        }
        return check_target(path, real);
    };
    let mut shown = if tidy(root) == Path::new(".") {
        PathBuf::new()
    } else {
        root.to_path_buf()
    };
    let mut real = real_root.clone();
    let mut exists = true;
    let components: Vec<Component> = relative.components().collect();
    let mut named = false;
    for (index, component) in components.iter().enumerate() {
        let last = index + 1 == components.len();
        let name = match component {
            Component::Normal(name) => name,
            Component::CurDir => continue,
            Component::ParentDir => {
                shown.push("..");
                real.pop();
                if !real.starts_with(&real_root) {
                    return Err(UnsafePath::Outside {
                        path: path.to_path_buf(),
                        real,
                        root: root.to_path_buf(),
                    });
                }
                continue;
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(UnsafePath::Outside {
                    path: path.to_path_buf(),
                    real: relative.clone(),
                    root: root.to_path_buf(),
                })
            }
        };
        named = true;
        shown.push(name);
        let candidate = real.join(name);
        if !exists {
            real = candidate;
            continue;
        }
        let metadata = match std::fs::symlink_metadata(&candidate) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                exists = false;
                real = candidate;
                continue;
            }
            Err(error) => return Err(unreadable(&shown)(error)),
        };
        let metadata = if metadata.file_type().is_symlink() {
            let target = match candidate.canonicalize() {
                Ok(target) => target,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    let points_to = std::fs::read_link(&candidate).unwrap_or_default();
                    return Err(UnsafePath::Dangling {
                        link: shown,
                        points_to,
                    });
                }
                Err(error) => return Err(unreadable(&shown)(error)),
            };
            if !target.starts_with(&real_root) {
                return Err(UnsafePath::LeavesRoot {
                    link: shown,
                    points_to: target,
                    root: root.to_path_buf(),
                });
            }
            real = target;
            std::fs::metadata(&real).map_err(unreadable(&shown))?
        } else {
            real = candidate;
            metadata
        };
        if !last && !metadata.is_dir() {
            return Err(UnsafePath::NotADirectory { path: shown });
        }
    }
    if !named {
        return Err(UnsafePath::NotAFile {
            path: path.to_path_buf(),
        });
    }
    check_target(path, real)
}

/// The last checks of [`confined`]: the resolved path's lengths, and that it is (or will be) a
/// regular file.
fn check_target(path: &Path, real: PathBuf) -> Result<PathBuf, UnsafePath> {
    check_lengths(&real)?;
    match std::fs::metadata(&real) {
        Ok(metadata) if !metadata.is_file() => Err(UnsafePath::NotAFile {
            path: path.to_path_buf(),
        }),
        _ => Ok(real),
    }
}

/// Refuses a path with a name over [`NAME_MAX`] bytes, or over [`MAX_PATH_BYTES`] in all.
pub(crate) fn check_lengths(path: &Path) -> Result<(), UnsafePath> {
    for component in path.components() {
        if let Component::Normal(name) = component {
            if name.as_encoded_bytes().len() > NAME_MAX {
                return Err(UnsafePath::NameTooLong {
                    path: path.to_path_buf(),
                    name: name.to_string_lossy().into_owned(),
                });
            }
        }
    }
    let length = path.as_os_str().as_encoded_bytes().len();
    if length > MAX_PATH_BYTES {
        return Err(UnsafePath::PathTooLong {
            path: path.to_path_buf(),
            length,
        });
    }
    Ok(())
}

/// `path` absolute with every link resolved, as far as it exists; the rest (which does not
/// exist yet) appended as written, `..` taken lexically.
pub(crate) fn real_location(path: &Path) -> io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(mut real) => {
                for component in rest.iter().rev() {
                    match component {
                        Component::ParentDir => {
                            real.pop();
                        }
                        Component::Normal(name) => real.push(name),
                        _ => {}
                    }
                }
                return Ok(real);
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let (Some(parent), Some(last)) =
                    (existing.parent(), existing.components().next_back())
                else {
                    return Err(error);
                };
                rest.push(last);
                existing = parent;
            }
            Err(error) => return Err(error),
        }
    }
}

/// `path` relative to `root` when it is `root` joined with more (`.` and `./` ignored, relative
/// and absolute spellings compared as absolute paths); `None` otherwise.
fn relative_to(root: &Path, path: &Path) -> Option<PathBuf> {
    let (root_tidy, path_tidy) = (tidy(root), tidy(path));
    if root_tidy == Path::new(".") && path_tidy.is_relative() {
        return Some(path_tidy);
    }
    if let Ok(rest) = path_tidy.strip_prefix(&root_tidy) {
        return Some(rest.to_path_buf());
    }
    let root = std::path::absolute(root).ok()?;
    let path = std::path::absolute(path).ok()?;
    path.strip_prefix(root).ok().map(Path::to_path_buf)
}

/// `./a/./b` -> `a/b`; `./` -> `.`.
fn tidy(path: &Path) -> PathBuf {
    let tidied: PathBuf = path
        .components()
        .filter(|component| *component != Component::CurDir)
        .collect();
    if tidied.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        tidied
    }
}

/// `path` with `.` dropped and each `..` taking away the component before it.
pub(crate) fn lexically_normal(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_replaces_and_leaves_no_temporary_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("a/b/plan.json");
        write_atomically(&path, "one").unwrap();
        write_atomically(&path, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["plan.json"]);
    }

    #[test]
    fn refuses_a_read_only_file_and_keeps_it() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("locked.yaml");
        std::fs::write(&path, "kept").unwrap();
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&path, permissions).unwrap();
        let error = write_atomically(&path, "lost").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept");
    }

    #[cfg(unix)]
    #[test]
    fn follows_a_symbolic_link_and_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt as _;
        let directory = tempfile::tempdir().unwrap();
        let real = directory.path().join("real.yaml");
        let link = directory.path().join("link.yaml");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    #[test]
    fn temporary_names_stay_within_the_name_limit() {
        let long = "x".repeat(NAME_MAX - ".yaml".len()) + ".yaml";
        let temporary = temporary_path(&Path::new("/d").join(&long));
        let name = temporary
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(name.len() <= NAME_MAX, "{} bytes", name.len());
        assert!(name.starts_with(&format!(".{}", "x".repeat(TEMPORARY_NAME_KEPT))));
        let short = temporary_path(Path::new("/d/a.yaml"));
        let name = short.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.len() <= "a.yaml".len() + TEMPORARY_NAME_EXTRA,
            "{name}"
        );
        assert_eq!(truncated("éé", 3), "é");
        assert_eq!(truncated("ab", 5), "ab");
    }

    #[cfg(unix)]
    #[test]
    fn the_temporary_file_never_follows_a_link_at_its_name() {
        let directory = tempfile::tempdir().unwrap();
        let outside = directory.path().join("outside.txt");
        std::fs::write(&outside, "untouched").unwrap();
        let planted = directory.path().join(".a.yaml.1.00000000.tmp");
        std::os::unix::fs::symlink(&outside, &planted).unwrap();
        let fresh = directory.path().join(".a.yaml.1.00000001.tmp");
        let mut names = [planted.clone(), fresh.clone()].into_iter();
        let (temporary, mut file) =
            create_temporary_from(|| names.next().unwrap_or_default()).unwrap();
        file.write_all(b"new").unwrap();
        assert_eq!(temporary, fresh);
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "untouched");
        assert!(std::fs::symlink_metadata(&planted)
            .unwrap()
            .file_type()
            .is_symlink());
        // Only links: after a few names, an error, and still nothing written through them.
        let error = create_temporary_from(|| planted.clone()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "untouched");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_put_at_the_target_before_the_rename_is_replaced_not_followed() {
        let directory = tempfile::tempdir().unwrap();
        let outside = directory.path().join("outside.txt");
        std::fs::write(&outside, "untouched").unwrap();
        let target = directory.path().join("a.yaml");
        std::fs::write(&target, "old").unwrap();
        replace_after_check(&target, b"new", |resolved| {
            std::fs::remove_file(resolved)?;
            std::os::unix::fs::symlink(&outside, resolved)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "untouched");
        let metadata = std::fs::symlink_metadata(&target).unwrap();
        assert!(metadata.file_type().is_file());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    fn temporary_files(directory: &Path) -> Vec<String> {
        std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn replaces_a_file_that_did_not_change() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("a.yaml");
        std::fs::write(&path, "messy").unwrap();
        let read = Fingerprint::of(&path).unwrap();
        replace_unless_changed(&path, "canonical", &read).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "canonical");
        assert!(temporary_files(directory.path()).is_empty());
    }

    #[test]
    fn leaves_a_file_that_changed_before_the_replace() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("a.yaml");
        std::fs::write(&path, "messy").unwrap();
        let read = Fingerprint::of(&path).unwrap();
        let edits = [
            // An edit of the same size: only the bytes tell.
            "MESSY",
            "an edit made while formatting",
        ];
        for edit in edits {
            let error = replace_unless_changed_after(&path, b"canonical", &read, || {
                std::fs::write(&path, edit).unwrap();
            })
            .unwrap_err();
            assert!(matches!(error, ReplaceError::Changed), "{error}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), edit);
            assert!(temporary_files(directory.path()).is_empty());
        }
        // Removed meanwhile: nothing is put back.
        let error = replace_unless_changed_after(&path, b"canonical", &read, || {
            std::fs::remove_file(&path).unwrap();
        })
        .unwrap_err();
        assert!(matches!(error, ReplaceError::Changed), "{error}");
        assert!(!path.exists());
    }

    #[test]
    fn a_fingerprint_tells_content_size_and_identity_apart() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("a.yaml");
        std::fs::write(&path, "one").unwrap();
        let read = Fingerprint::of(&path).unwrap();
        assert!(read.matches(&path).unwrap());
        // The same bytes in a new file (an editor saving by rename) is another file.
        let other = directory.path().join("b.yaml");
        std::fs::write(&other, "one").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert!(!read.matches(&path).unwrap());
        assert!(Fingerprint::of(directory.path()).is_err());
    }

    /// A tree with an `out` directory and an `elsewhere` beside it.
    #[cfg(unix)]
    fn tree() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let directory = tempfile::tempdir().unwrap();
        let out = directory.path().join("out");
        let elsewhere = directory.path().join("elsewhere");
        std::fs::create_dir_all(out.join("incidents/phishing")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("x.yaml"), "outside").unwrap();
        (directory, out, elsewhere)
    }

    #[cfg(unix)]
    #[test]
    fn confined_resolves_paths_that_stay_inside() {
        use std::os::unix::fs::symlink;
        let (_directory, out, _) = tree();
        let real_out = out.canonicalize().unwrap();
        let inside = |relative: &str| confined(&out, &out.join(relative)).unwrap();
        assert_eq!(
            inside("incidents/phishing/a.yaml"),
            real_out.join("incidents/phishing/a.yaml")
        );
        // Nothing exists below `new`: it is where it would be created.
        assert_eq!(
            inside("new/deeper/a.yaml"),
            real_out.join("new/deeper/a.yaml")
        );
        // Links that stay inside are followed, one back to `out` itself included.
        symlink("..", out.join("incidents/back")).unwrap();
        assert_eq!(inside("incidents/back/a.yaml"), real_out.join("a.yaml"));
        symlink("incidents", out.join("alias")).unwrap();
        assert_eq!(
            inside("alias/phishing/b.yaml"),
            real_out.join("incidents/phishing/b.yaml")
        );
        std::fs::write(out.join("incidents/real.yaml"), "kept").unwrap();
        symlink("real.yaml", out.join("incidents/link.yaml")).unwrap();
        assert_eq!(
            inside("incidents/link.yaml"),
            real_out.join("incidents/real.yaml")
        );
        // `--out` itself may be a link: it is resolved first.
        let via = out.parent().unwrap().join("via");
        symlink(&out, &via).unwrap();
        assert_eq!(
            confined(&via, &via.join("incidents/a.yaml")).unwrap(),
            real_out.join("incidents/a.yaml")
        );
        // A directory that does not exist yet holds nothing that could lead outside.
        let missing = out.join("missing");
        assert_eq!(
            confined(&missing, &missing.join("a/b.yaml")).unwrap(),
            real_out.join("missing/a/b.yaml")
        );
    }

    #[cfg(unix)]
    #[test]
    fn confined_refuses_links_leading_outside() {
        use std::os::unix::fs::symlink;
        let (_directory, out, elsewhere) = tree();
        let real_elsewhere = elsewhere.canonicalize().unwrap();
        symlink(&elsewhere, out.join("triage")).unwrap();
        symlink(
            elsewhere.join("x.yaml"),
            out.join("incidents/phishing/x.yaml"),
        )
        .unwrap();
        symlink(
            "../../../elsewhere/y.yaml",
            out.join("incidents/phishing/y.yaml"),
        )
        .unwrap();
        symlink("../..", out.join("incidents/up")).unwrap();
        let refused = |relative: &str| match confined(&out, &out.join(relative)) {
            Ok(real) => panic!("{relative} was allowed as {}", real.display()),
            Err(problem) => problem.to_string().replace(&*out.to_string_lossy(), "OUT"),
        };
        assert_eq!(
            refused("triage/a/b.yaml"),
            format!(
                "`OUT/triage` is a symbolic link to `{}`, outside `OUT`",
                real_elsewhere.display()
            )
        );
        assert_eq!(
            refused("incidents/phishing/x.yaml"),
            format!(
                "`OUT/incidents/phishing/x.yaml` is a symbolic link to `{}`, outside `OUT`",
                real_elsewhere.join("x.yaml").display()
            )
        );
        assert_eq!(
            refused("incidents/phishing/y.yaml"),
            "`OUT/incidents/phishing/y.yaml` is a symbolic link to `../../../elsewhere/y.yaml`, which does not exist"
        );
        // A link to the directory above `out` leaves it too.
        assert!(
            refused("incidents/up/a.yaml").starts_with("`OUT/incidents/up` is a symbolic link to"),
            "{}",
            refused("incidents/up/a.yaml")
        );
        assert!(refused("../elsewhere/x.yaml").contains("outside `OUT`"));
    }

    #[cfg(unix)]
    #[test]
    fn confined_refuses_what_is_in_the_way() {
        let (_directory, out, _) = tree();
        std::fs::write(out.join("incidents/file"), "a file").unwrap();
        let refused = |relative: &str| {
            confined(&out, &out.join(relative))
                .unwrap_err()
                .to_string()
                .replace(&*out.to_string_lossy(), "OUT")
        };
        assert_eq!(
            refused("incidents/file/a.yaml"),
            "`OUT/incidents/file` is in the way: it is not a directory"
        );
        assert_eq!(
            refused("incidents/phishing"),
            "`OUT/incidents/phishing` is not a regular file"
        );
        assert!(matches!(
            confined(
                &out.join("incidents/file"),
                &out.join("incidents/file/a.yaml")
            ),
            Err(UnsafePath::NotADirectory { .. })
        ));
    }

    #[test]
    fn confined_refuses_names_and_paths_too_long() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        let name = "n".repeat(NAME_MAX + 1);
        let problem = confined(root, &root.join(&name).join("a.yaml")).unwrap_err();
        assert!(problem.is_length(), "{problem}");
        assert!(
            problem.to_string().contains("has a name of 256 bytes"),
            "{problem}"
        );
        assert!(confined(root, &root.join("n".repeat(NAME_MAX))).is_ok());
        let deep: PathBuf = std::iter::repeat_n("d".repeat(200), 21).collect();
        let problem = confined(root, &root.join(deep).join("a.yaml")).unwrap_err();
        assert!(
            matches!(problem, UnsafePath::PathTooLong { .. }),
            "{problem}"
        );
    }

    #[test]
    fn relative_paths_are_found_however_they_are_spelled() {
        assert_eq!(
            relative_to(Path::new("."), Path::new("incidents/a.yaml")),
            Some(PathBuf::from("incidents/a.yaml"))
        );
        assert_eq!(
            relative_to(Path::new("./repo/"), Path::new("repo/./incidents/a.yaml")),
            Some(PathBuf::from("incidents/a.yaml"))
        );
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            relative_to(Path::new("repo"), &cwd.join("repo/a.yaml")),
            Some(PathBuf::from("a.yaml"))
        );
        assert_eq!(
            relative_to(Path::new("repo"), Path::new("other/a.yaml")),
            None
        );
    }
}
