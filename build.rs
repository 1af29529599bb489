//! Records what `soarform --version` and `soarform version` show beside the package version: the
//! git commit the binary was built from and the target triple.
//!
//! The commit comes from `SOARFORM_BUILD_COMMIT` when set (a container build copies no `.git`),
//! else from `git rev-parse` in the source tree, else it is `unknown` (a crate built from a
//! registry). Uncommitted changes are not marked: telling them would mean rebuilding on every edit.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SOARFORM_BUILD_COMMIT");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=SOARFORM_TARGET={target}");
    let commit = std::env::var("SOARFORM_BUILD_COMMIT")
        .ok()
        .filter(|commit| !commit.trim().is_empty())
        .map(|commit| commit.trim().to_string())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=SOARFORM_COMMIT={commit}");
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn git_commit() -> Option<String> {
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    // Rebuild when HEAD moves (a commit, a checkout); only files that exist are watched, since a
    // missing one would rerun this script on every build.
    // `--git-path` places each file where git keeps it, in a linked worktree too (HEAD in the
    // worktree's folder, branch refs and packed-refs in the shared one).
    let mut names = vec!["HEAD".to_string(), "packed-refs".to_string()];
    names.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in names {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            if std::path::Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    Some(commit)
}
