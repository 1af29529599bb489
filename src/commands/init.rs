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

/// Writes the starter files under DIR; refuses, before writing any, when one exists with other
/// content and `--force` is not given.
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
    let mut files: Vec<(PathBuf, String)> = vec![
        (PathBuf::from("soarform.yaml"), project_file(&args)),
        (
            PathBuf::from(crate::export::DOCUMENT_SCHEMA_FILE),
            crate::manifest::schema::DOCUMENT_SCHEMA.to_string(),
        ),
        (
            PathBuf::from(crate::export::PROJECT_SCHEMA_FILE),
            crate::manifest::schema::PROJECT_SCHEMA.to_string(),
        ),
        (
            PathBuf::from("incidents/example.yaml"),
            FIRST_DOCUMENT.to_string(),
        ),
    ];
    match args.ci {
        InitCi::Github => files.push((
            PathBuf::from(".github/workflows/soarform.yml"),
            GITHUB_RECIPE.to_string(),
        )),
        InitCi::Gitlab => files.push((PathBuf::from(".gitlab-ci.yml"), GITLAB_RECIPE.to_string())),
        InitCi::None => {}
    }
    let in_the_way: Vec<String> = files
        .iter()
        .map(|(path, text)| (args.dir.join(path), text))
        .filter(|(path, text)| {
            path.symlink_metadata().is_ok()
                && std::fs::read_to_string(path).map_or(true, |existing| existing != **text)
        })
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
    for (relative, text) in &files {
        let path = args.dir.join(relative);
        write(&path, text)?;
        listing.push_str(&format!("{}\n", path.display()));
    }
    write_stdout(printer, &listing)?;
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
        InitCi::Github => next.push(
            "set the variables and secrets `.github/workflows/soarform.yml` lists at its top"
                .into(),
        ),
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

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| {
            Error::caused_by(format!("cannot create `{}`", parent.display()), &error)
        })?;
    }
    crate::files::write_atomically(path, text)
        .map_err(|error| Error::caused_by(format!("cannot write `{}`", path.display()), &error))
}
