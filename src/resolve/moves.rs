//! `moved:` entries of soarform.yaml checked against the declared keys ([`Moves::resolve`]), and
//! the renames they leave: per kind and new key, the old keys.

use std::collections::{BTreeMap, BTreeSet};

use crate::kind::Kind;
use crate::manifest::Diagnostic;

/// `moved:` entries resolved to declared objects: per kind and new key, the old keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Moves {
    old_keys: BTreeMap<(Kind, String), Vec<String>>,
}

impl Moves {
    /// Records that `from` was renamed to `to` (chains are followed by [`Moves::old_keys`]).
    pub(crate) fn insert(&mut self, kind: Kind, from: String, to: String) {
        self.old_keys.entry((kind, to)).or_default().push(from);
    }

    /// Every earlier key of `key`, following chains (`a` -> `b` -> `c` gives `b`, `a` for `c`).
    pub(crate) fn old_keys(&self, kind: Kind, key: &str) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let mut pending = vec![key.to_string()];
        while let Some(next) = pending.pop() {
            for old in self.old_keys.get(&(kind, next)).into_iter().flatten() {
                if old != key && !found.contains(old) {
                    found.push(old.clone());
                    pending.push(old.clone());
                }
            }
        }
        found
    }

    /// Every old key of a kind.
    pub(crate) fn all_old_keys(&self, kind: Kind) -> BTreeSet<&str> {
        self.old_keys
            .iter()
            .filter(|((of, _), _)| *of == kind)
            .flat_map(|(_, olds)| olds.iter().map(String::as_str))
            .collect()
    }

    /// `moved:` entries checked against the declared keys: `to` must be declared (by one kind, or the
    /// kind the entry names) and `from` must not be.
    pub(crate) fn resolve(
        entries: &[crate::config::Move],
        manifest: &crate::manifest::Manifest,
    ) -> Result<Moves, Vec<Diagnostic>> {
        let mut moves = Moves::default();
        let mut diagnostics = Vec::new();
        let declares = |kind: Kind, key: &str| {
            manifest
                .objects
                .iter()
                .find(|object| object.kind == kind && object.key == key)
        };
        let mut renamed: BTreeMap<(Kind, &str), &crate::manifest::Origin> = BTreeMap::new();
        for entry in entries {
            // A chain (`a` -> `b`, `b` -> `c`) is followed to the first key a document of a
            // compatible kind declares; an entry naming a kind narrows the chain to that kind.
            let mut kind_wanted = entry.kind;
            let compatible = |wanted: Option<Kind>, kind: Kind| wanted.is_none_or(|k| k == kind);
            let declared_kinds = |wanted: Option<Kind>, key: &str| -> Vec<Kind> {
                Kind::ALL
                    .into_iter()
                    .filter(|kind| compatible(wanted, *kind) && declares(*kind, key).is_some())
                    .collect()
            };
            let mut latest = &entry.to;
            let mut visited = vec![&entry.from];
            let mut circle = false;
            while declared_kinds(kind_wanted, latest).is_empty() {
                let Some(next) = entries.iter().find(|other| {
                    other.from == *latest
                        && (other.kind.is_none()
                            || kind_wanted.is_none()
                            || other.kind == kind_wanted)
                }) else {
                    break;
                };
                visited.push(latest);
                kind_wanted = kind_wanted.or(next.kind);
                latest = &next.to;
                if visited.contains(&latest) {
                    circle = true;
                    break;
                }
            }
            if circle {
                diagnostics.push(
                    Diagnostic::at(
                        entry.origin.clone(),
                        format!("`moved` entries rename `{}` in a circle", entry.from),
                    )
                    .with_label("this rename leads back to an old key")
                    .with_help("keep only the renames that lead to the key a document declares"),
                );
                continue;
            }
            let kinds = declared_kinds(kind_wanted, latest);
            let kind = match kinds.as_slice() {
                [kind] => *kind,
                [] => {
                    diagnostics.push(
                        Diagnostic::at(
                            entry.origin.clone(),
                            format!(
                                "`moved` renames `{}` to `{}`, but no {}document declares `{}`",
                                entry.from,
                                entry.to,
                                entry.kind.map_or(String::new(), |kind| format!(
                                    "{} ",
                                    kind.document_name()
                                )),
                                latest
                            ),
                        )
                        .with_label("the new key must be declared")
                        .with_help("fix the key, or remove the entry if the object is gone"),
                    );
                    continue;
                }
                _ => {
                    diagnostics.push(
                    Diagnostic::at(
                        entry.origin.clone(),
                        format!(
                            "`moved` to `{}` is ambiguous: an incident and a triage item both declare it",
                            entry.to
                        ),
                    )
                    .with_label("which kind is renamed?")
                    .with_help("add `kind: Incident` or `kind: TriageItem` to the entry"),
                );
                    continue;
                }
            };
            if let Some(still) = declares(kind, &entry.from) {
                diagnostics.push(
                    Diagnostic::at(
                        entry.origin.clone(),
                        format!(
                            "`moved` renames `{}`, but a document still declares it",
                            entry.from
                        ),
                    )
                    .with_label("the old key must be gone from the repository")
                    .with_note(format!("declared at {}", still.key_origin)),
                );
                continue;
            }
            // One old key renamed to two new ones would move one object twice.
            if let Some(first) = renamed.get(&(kind, entry.from.as_str())) {
                diagnostics.push(
                    Diagnostic::at(
                        entry.origin.clone(),
                        format!("`moved` renames the {} `{}` twice", kind.noun(), entry.from),
                    )
                    .with_label("second entry for this old key")
                    .with_note(format!("the first is at {first}")),
                );
                continue;
            }
            renamed.insert((kind, entry.from.as_str()), &entry.origin);
            moves.insert(kind, entry.from.clone(), entry.to.clone());
        }
        if diagnostics.is_empty() {
            Ok(moves)
        } else {
            Err(diagnostics)
        }
    }
}
