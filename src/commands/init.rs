//! `soarform init`: a starter repository: `soarform.yaml`, the schemas editors check files
//! with, a first document, and the CI recipe of choice. Nothing is overwritten without `--force`.

use std::path::{Path, PathBuf};

use super::{write_stdout, ExitStatus, Printer};
use crate::cli::{InitArgs, InitCi};
use crate::error::{Error, Result};

const GITHUB_RECIPE: &str = include_str!("../../examples/ci/github-actions.yml");
const GITLAB_RECIPE: &str = include_str!("../../examples/ci/gitlab-ci.yml");

const FIRST_DOCUMENT: &str = "\
# yaml-language-server: $schema=../schemas/soarform.schema.json
#
# A first incident, written by `soarform init`. Its `key` is its identity: soarform finds it by
# that key on every run, so renaming it is a `moved:` entry in soarform.yaml, not an edit here.
# `soarform plan` shows what `soarform apply` would do; edit or delete this file.
kind: Incident
key: example/first-incident
template: Phishing                 # an incident template of the tenant, by name or id
fields:
  description: Created by soarform; edit or delete incidents/example.yaml.
";

/// Where `--ci github` puts the workflow. Not `soarform.yml`: that name is a project file's, and
/// `soarform validate .github/workflows/soarform.yml` would read the workflow as one.
const GITHUB_WORKFLOW: &str = ".github/workflows/soarform-ci.yml";

/// What a new repository should not commit: the sandbox's state and saved plans.
const GITIGNORE: &str = "\
# Written by `soarform init`: the embedded sandbox's state, and plans saved by `plan --out`.
.soarform/
soarform.plan.json
";

/// How init treats a file that exists with other content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Refused without `--force`, before anything is written.
    Asked,
    /// Kept with a note (the schemas of a started repository); `--force` replaces it.
    Support,
    /// Written where there is none; else the lines it lacks are appended, never replaced, even
    /// with `--force` (`.gitignore`).
    Lines,
}

/// Writes the starter files under DIR (in a started repository, only the schemas and the
/// pipeline); refuses, before writing any, when one it is asked for exists with other content and
/// `--force` is not given.
pub(crate) fn init(args: InitArgs, printer: Printer) -> Result<ExitStatus> {
    // What soarform.yaml would say is checked as its loader checks it, before anything is written.
    if let Some(region) = &args.region {
        crate::client::target::region_url(region)
            .map_err(|error| Error::message(error.to_string()))?;
    }
    if let Some(url) = &args.url {
        crate::client::target::resolve(url, None)
            .or_else(|_| crate::client::target::resolve(url, Some(crate::dialect::Dialect::V3)))
            .map_err(|error| Error::message(error.to_string()))?;
    }
    // A repository already started (a project file in DIR) gets only what is missing: init keeps
    // its soarform.yaml whatever it says, and never writes the first document again (it may have
    // been deleted on purpose: writing it back would create that incident on the next apply).
    let existing = crate::config::FILE_NAMES
        .iter()
        .map(|name| args.dir.join(name))
        .find(|path| path.is_file());
    let mut files: Vec<(PathBuf, String, Role)> = Vec::new();
    if existing.is_none() {
        files.push((
            PathBuf::from("soarform.yaml"),
            project_file(&args),
            Role::Asked,
        ));
    }
    let schemas = if existing.is_some() {
        Role::Support
    } else {
        Role::Asked
    };
    files.push((
        PathBuf::from(crate::export::DOCUMENT_SCHEMA_FILE),
        crate::manifest::schema::DOCUMENT_SCHEMA.to_string(),
        schemas,
    ));
    files.push((
        PathBuf::from(crate::export::PROJECT_SCHEMA_FILE),
        crate::manifest::schema::PROJECT_SCHEMA.to_string(),
        schemas,
    ));
    if existing.is_none() {
        files.push((
            PathBuf::from("incidents/example.yaml"),
            FIRST_DOCUMENT.to_string(),
            Role::Asked,
        ));
        files.push((
            PathBuf::from(".gitignore"),
            GITIGNORE.to_string(),
            Role::Lines,
        ));
    }
    match args.ci {
        InitCi::Github => files.push((
            PathBuf::from(GITHUB_WORKFLOW),
            GITHUB_RECIPE.to_string(),
            Role::Asked,
        )),
        InitCi::Gitlab => files.push((
            PathBuf::from(".gitlab-ci.yml"),
            GITLAB_RECIPE.to_string(),
            Role::Asked,
        )),
        InitCi::None => {}
    }
    let differs = |path: &Path, text: &str| {
        path.symlink_metadata().is_ok()
            && std::fs::read_to_string(path).map_or(true, |existing| existing != text)
    };
    let in_the_way: Vec<String> = files
        .iter()
        .filter(|(_, _, role)| *role == Role::Asked)
        .map(|(path, text, _)| (args.dir.join(path), text))
        .filter(|(path, text)| differs(path, text))
        .map(|(path, _)| format!("  {}", path.display()))
        .collect();
    if !in_the_way.is_empty() && !args.force {
        return Err(Error::with_hint(
            format!(
                "{} with other content; nothing was written\n{}",
                if in_the_way.len() == 1 {
                    "a file to write exists".to_string()
                } else {
                    format!("{} files to write exist", in_the_way.len())
                },
                in_the_way.join("\n")
            ),
            "pass `--force` to overwrite them, or run `soarform init` in another directory",
        ));
    }
    let mut listing = String::new();
    let mut kept = Vec::new();
    for (relative, text, role) in &files {
        let path = args.dir.join(relative);
        let keep = match role {
            Role::Asked => false,
            Role::Support => !args.force && differs(&path, text),
            Role::Lines => path.symlink_metadata().is_ok(),
        };
        if keep {
            if *role == Role::Support {
                kept.push(format!("`{}`", path.display()));
            }
            if *role == Role::Lines && append_missing_lines(&path, text)? {
                listing.push_str(&format!("{}\n", path.display()));
            }
            continue;
        }
        write(&path, text)?;
        listing.push_str(&format!("{}\n", path.display()));
    }
    write_stdout(printer, &listing)?;
    if let Some(project) = &existing {
        printer.note(&format!(
            "`{}` exists: kept as it is, and no first document written (init adds only the schemas and the pipeline to a started repository)",
            project.display()
        ));
        if let Some(flag) = args
            .url
            .as_ref()
            .map(|url| format!("--url {url}"))
            .or_else(|| {
                args.region
                    .as_ref()
                    .map(|region| format!("--region {region}"))
            })
        {
            printer.warn(&format!(
                "`{flag}` was not written: init never changes an existing `{}`; edit it",
                project.display()
            ));
        }
    }
    if !kept.is_empty() {
        printer.note(&format!(
            "kept {} as {}: {} from what this soarform writes (`--force` replaces {}; `soarform schema` prints the schemas)",
            kept.join(", "),
            if kept.len() == 1 { "it is" } else { "they are" },
            if kept.len() == 1 { "it differs" } else { "they differ" },
            if kept.len() == 1 { "it" } else { "them" },
        ));
    }
    if args.ci == InitCi::Github {
        // GitHub runs workflows only from the root of the repository.
        let absolute = std::path::absolute(&args.dir).unwrap_or_else(|_| args.dir.clone());
        let root = absolute
            .ancestors()
            .find(|directory| directory.join(".git").exists());
        if let Some(root) = root.filter(|root| *root != absolute.as_path()) {
            printer.warn(&format!(
                "`{}` is inside the git repository `{}`: GitHub runs workflows only from its root's `.github/workflows/`; move the workflow there and set `SOARFORM_DIR` in it to `{}`",
                args.dir.display(),
                root.display(),
                absolute.strip_prefix(root).unwrap_or(&absolute).display()
            ));
        }
    }
    let mut next = vec![
        "`soarform validate` checks the files".to_string(),
        "`soarform plan --sandbox` tries them on the embedded simulator".to_string(),
        "`soarform doctor` probes the tenant and suggests its `tenant:` settings".to_string(),
    ];
    match args.ci {
        InitCi::Github => next.push(format!(
            "set the variables and secrets `{GITHUB_WORKFLOW}` lists at its top"
        )),
        InitCi::Gitlab => next.push("set the variables `.gitlab-ci.yml` lists at its top".into()),
        InitCi::None => {
            next.push("`soarform init --ci github` (or `gitlab`) adds a pipeline".into())
        }
    }
    printer.message(&format!("Next: {}.\n", next.join("; ")));
    Ok(ExitStatus::Success)
}

fn project_file(args: &InitArgs) -> String {
    let mut text = format!(
        "# yaml-language-server: $schema={}\n#\n# The project file of this repository: where the tenant is and how objects are identified.\n# It never holds credentials: give them as SOARFORM_TOKEN, or SUMO_ACCESS_ID and\n# SUMO_ACCESS_KEY. `soarform doctor` suggests the `tenant:` settings of how the tenant's API\n# behaves (date format and zone, filter syntax, updates), to paste here.\n",
        crate::export::PROJECT_SCHEMA_FILE
    );
    match (&args.url, &args.region) {
        (Some(url), _) => text.push_str(&format!(
            "url: {}\n",
            crate::manifest::emit::inline_string(url)
        )),
        (None, Some(region)) => text.push_str(&format!(
            "region: {}\n",
            crate::manifest::emit::inline_string(region)
        )),
        (None, None) => text.push_str(
            "# region: us2                    # or url: https://acme.soar.sumologic.com\n",
        ),
    }
    text
}

/// Appends to the file at `path` the lines of `text` (not comments) it does not hold yet, under
/// `text`'s first comment line; whether it appended any.
fn append_missing_lines(path: &Path, text: &str) -> Result<bool> {
    let existing = std::fs::read_to_string(path)
        .map_err(|error| Error::caused_by(format!("cannot read `{}`", path.display()), &error))?;
    let held: std::collections::HashSet<&str> = existing.lines().map(str::trim).collect();
    let missing: Vec<&str> = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter(|line| !held.contains(line.trim()))
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    let mut appended = existing.clone();
    if !appended.is_empty() && !appended.ends_with('\n') {
        appended.push('\n');
    }
    if let Some(comment) = text.lines().find(|line| line.starts_with('#')) {
        appended.push_str(comment);
        appended.push('\n');
    }
    for line in missing {
        appended.push_str(line);
        appended.push('\n');
    }
    write(path, &appended)?;
    Ok(true)
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| {
            Error::caused_by(format!("cannot create `{}`", parent.display()), &error)
        })?;
    }
    crate::files::write_atomically(path, text)
        .map_err(|error| Error::caused_by(format!("cannot write `{}`", path.display()), &error))
}
