//! The project's metadata says what is true: `rust-version` is what the committed lock needs, the
//! licence Cargo.toml names is in the repository, the README's toolchain and the CHANGELOG's
//! format versions match the code.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn version(text: &str) -> Vec<u64> {
    text.split('.')
        .map(|part| {
            part.parse()
                .unwrap_or_else(|_| panic!("not a version: {text}"))
        })
        .collect()
}

/// `rust-version` of Cargo.toml.
fn declared_rust_version() -> String {
    read("Cargo.toml")
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = "))
        .map(|value| value.trim_matches('"').to_string())
        .expect("rust-version in Cargo.toml")
}

#[test]
fn rust_version_is_what_the_locked_dependencies_need() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root())
        .output()
        .expect("cargo metadata");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let needed = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|package| package["name"] != "soarform")
        .filter_map(|package| {
            let rust_version = package["rust_version"].as_str()?;
            Some((
                version(rust_version),
                format!("{} {}", package["name"], package["version"]),
            ))
        })
        .max()
        .expect("some dependency declares a rust-version");
    let declared = declared_rust_version();
    assert_eq!(
        version(&declared)[..2],
        needed.0[..2],
        "Cargo.toml says rust-version {declared}; the lock needs {:?} ({})",
        needed.0,
        needed.1
    );
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("Rust toolchain ({declared} or newer)")),
        "the README names another toolchain than rust-version {declared}"
    );
}

#[test]
fn the_licence_cargo_toml_names_is_in_the_repository() {
    assert!(read("Cargo.toml").contains("license = \"Apache-2.0\""));
    let licence = read("LICENSE");
    assert!(licence.contains("Apache License") && licence.contains("Version 2.0, January 2004"));
}

#[test]
fn the_changelog_records_the_plan_format_version_and_the_package_version() {
    let schema: serde_json::Value =
        serde_json::from_str(&read("schemas/plan.schema.json")).unwrap();
    let format_version = schema["properties"]["format_version"]["const"]
        .as_u64()
        .expect("format_version const in the plan schema");
    let changelog = read("CHANGELOG.md");
    assert!(
        changelog.contains(&format!("| `format_version` {format_version} |")),
        "CHANGELOG.md does not record plan format_version {format_version}"
    );
    let package = read("Cargo.toml")
        .lines()
        .find_map(|line| line.strip_prefix("version = "))
        .map(|value| value.trim_matches('"').to_string())
        .unwrap();
    assert!(
        changelog.contains(&format!("## [{package}] - ")),
        "CHANGELOG.md has no dated section for version {package} of Cargo.toml"
    );
}

/// Editors read a modeline for its own YAML document only: every document of every example
/// names its schema, by a path that exists.
#[test]
fn every_document_of_every_example_names_its_schema() {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "yaml")
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("examples"), &mut files);
    assert!(files.len() > 5, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let modeline = "# yaml-language-server: $schema=";
        for (index, document) in text.split("\n---\n").enumerate() {
            let line = document
                .lines()
                .find(|line| line.starts_with(modeline))
                .unwrap_or_else(|| {
                    panic!("{}: document {} has no modeline", file.display(), index + 1)
                });
            let schema = file.parent().unwrap().join(&line[modeline.len()..]);
            assert!(
                schema.exists(),
                "{}: {} does not exist",
                file.display(),
                schema.display()
            );
        }
    }
}
