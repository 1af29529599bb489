//! `extends`: local `Template` documents merged into the objects (and templates) that name
//! them; and the checks that span files (duplicate keys and names, unknown targets, cycles).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::diagnostic::{closest, Diagnostic, Origin};
use super::document::{Declaration, WrittenField};
use super::document_file::DeclarationKind;
use super::model::{DesiredField, DesiredObject, NamedField, TemplateRef};
use crate::kind::Kind;

/// What a template contributes once its own `extends` are merged.
#[derive(Debug, Clone, Default)]
struct Inherited {
    template: Option<(TemplateRef, Origin)>,
    fields: Vec<DesiredField>,
    /// Inherited entries first (in `extends` order), then the declaration's own; each name once,
    /// at its first place.
    ignore_changes: Vec<NamedField>,
}

/// Resolution state of one template.
enum State {
    Visiting,
    /// `None`: it cannot be resolved (invalid, or extends something that is not).
    Done(Option<Inherited>),
}

/// Builds the desired objects from every declaration, reporting duplicates, unknown `extends`
/// targets, cycles and incidents without a template. Declarations are in file order.
pub(crate) fn resolve(
    declarations: Vec<Declaration>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<DesiredObject> {
    let mut templates: BTreeMap<String, Declaration> = BTreeMap::new();
    let mut objects: Vec<Declaration> = Vec::new();
    let mut first_keys: HashMap<(Kind, String), Origin> = HashMap::new();

    for declaration in declarations {
        match declaration.kind {
            DeclarationKind::Template => {
                if let Some(first) = templates.get(&declaration.name) {
                    diagnostics.push(duplicate(
                        &declaration,
                        &first.name_origin,
                        format!("duplicate template name `{}`", declaration.name),
                    ));
                    continue;
                }
                templates.insert(declaration.name.clone(), declaration);
            }
            DeclarationKind::Object(kind) => {
                let identity = (kind, declaration.name.clone());
                if let Some(first) = first_keys.get(&identity) {
                    diagnostics.push(duplicate(
                        &declaration,
                        first,
                        format!("duplicate {} key `{}`", kind.noun(), declaration.name),
                    ));
                    continue;
                }
                first_keys.insert(identity, declaration.name_origin.clone());
                objects.push(declaration);
            }
        }
    }

    // Unknown targets, reported at every reference (templates first, then objects).
    for declaration in templates.values().chain(objects.iter()) {
        for (target, origin) in &declaration.extends {
            if !templates.contains_key(target) {
                diagnostics.push(unknown_target(target, origin, &templates));
            }
        }
    }

    let mut states: HashMap<String, State> = HashMap::new();
    let mut reported_cycles: HashSet<Vec<String>> = HashSet::new();
    for name in templates.keys() {
        resolve_template(
            name,
            &templates,
            &mut states,
            &mut reported_cycles,
            diagnostics,
        );
    }

    let mut desired = Vec::new();
    for declaration in objects {
        let DeclarationKind::Object(kind) = declaration.kind else {
            continue;
        };
        let Some(parents) = inherited_from(&declaration, &states) else {
            continue;
        };
        let merged = merge(&parents, &declaration);
        let template = match kind {
            Kind::Incident => merged.template,
            // A triage item has no template; one inherited from a shared Template is moot.
            Kind::TriageItem => None,
        };
        if kind == Kind::Incident && template.is_none() && declaration.valid {
            diagnostics.push(
                Diagnostic::at(
                    declaration.name_origin.clone(),
                    format!("incident `{}` has no `template`", declaration.name),
                )
                .with_label("no template set or inherited")
                .with_help("add `template:` with a template name or numeric id, or inherit one through `extends`"),
            );
            continue;
        }
        if !declaration.valid {
            continue;
        }
        desired.push(DesiredObject {
            kind,
            key: declaration.name,
            key_origin: declaration.name_origin,
            template,
            fields: merged.fields,
            ignore_changes: merged.ignore_changes,
        });
    }
    desired
}

/// The objects read whose key a file of the project not read also declares (`validate FILE`,
/// `plan incidents/`): reported at the object read, naming the other place.
pub(crate) fn declared_elsewhere(
    objects: &[DesiredObject],
    elsewhere: &[Declaration],
) -> Vec<Diagnostic> {
    let mut other: HashMap<(Kind, &str), &Origin> = HashMap::new();
    for declaration in elsewhere {
        if let DeclarationKind::Object(kind) = declaration.kind {
            other
                .entry((kind, declaration.name.as_str()))
                .or_insert(&declaration.name_origin);
        }
    }
    objects
        .iter()
        .filter_map(|object| {
            let first = other.get(&(object.kind, object.key.as_str()))?;
            // Found from the project's root: shown from the working directory where it is inside.
            let file = std::env::current_dir()
                .ok()
                .and_then(|cwd| first.file.strip_prefix(cwd).ok().map(Path::to_path_buf))
                .unwrap_or_else(|| first.file.clone());
            let first = format!("{}:{}:{}", file.display(), first.line, first.column);
            Some(
                Diagnostic::at(
                    object.key_origin.clone(),
                    format!("duplicate {} key `{}`", object.kind.noun(), object.key),
                )
                .with_label("declared here")
                .with_note(format!(
                    "also defined at {first}, a file of the project not read by this run"
                )),
            )
        })
        .collect()
}

fn duplicate(declaration: &Declaration, first: &Origin, message: String) -> Diagnostic {
    Diagnostic::at(declaration.name_origin.clone(), message)
        .with_label("defined again here")
        .with_note(format!("first defined at {first}"))
}

fn unknown_target(
    target: &str,
    origin: &Origin,
    templates: &BTreeMap<String, Declaration>,
) -> Diagnostic {
    let diagnostic = Diagnostic::at(
        origin.clone(),
        format!("unknown template `{target}` in `extends`"),
    )
    .with_label("no `Template` document has this name");
    let suggestions = closest(target, templates.keys().map(String::as_str), 3);
    if templates.is_empty() {
        diagnostic.with_note("no `Template` documents were loaded")
    } else if suggestions.is_empty() {
        diagnostic.with_note(format!(
            "known templates: {}",
            super::diagnostic::one_of(&templates.keys().take(10).collect::<Vec<_>>(), "and")
        ))
    } else {
        diagnostic.with_help(format!(
            "did you mean {}?",
            super::diagnostic::one_of(&suggestions, "or")
        ))
    }
}

/// The resolved parents of a declaration, in `extends` order; `None` when one of them cannot be
/// resolved (the reason has been reported).
fn inherited_from<'a>(
    declaration: &Declaration,
    states: &'a HashMap<String, State>,
) -> Option<Vec<&'a Inherited>> {
    declaration
        .extends
        .iter()
        .map(|(target, _)| match states.get(target) {
            Some(State::Done(Some(inherited))) => Some(inherited),
            _ => None,
        })
        .collect()
}

/// Parents in order, later ones overriding earlier ones, then the declaration's own values; a
/// field set again keeps its first place, `null` removes it. `ignore_changes` entries add up:
/// the parents' first, then the declaration's own, a name listed again keeping its first entry.
fn merge(parents: &[&Inherited], declaration: &Declaration) -> Inherited {
    let mut merged = Inherited::default();
    for parent in parents {
        if parent.template.is_some() {
            merged.template.clone_from(&parent.template);
        }
        for field in &parent.fields {
            set_field(&mut merged.fields, field.clone());
        }
        for named in &parent.ignore_changes {
            add_ignored(&mut merged.ignore_changes, named);
        }
    }
    for named in &declaration.ignore_changes {
        add_ignored(&mut merged.ignore_changes, named);
    }
    if declaration.template.is_some() {
        merged.template.clone_from(&declaration.template);
    }
    for WrittenField {
        name,
        value,
        written,
        origin,
        name_origin,
    } in &declaration.fields
    {
        if value.is_null() {
            merged.fields.retain(|field| field.name != *name);
        } else {
            set_field(
                &mut merged.fields,
                DesiredField {
                    name: name.clone(),
                    value: value.clone(),
                    written: written.clone(),
                    origin: origin.clone(),
                    name_origin: name_origin.clone(),
                },
            );
        }
    }
    merged
}

fn add_ignored(ignored: &mut Vec<NamedField>, named: &NamedField) {
    if !ignored.iter().any(|existing| existing.name == named.name) {
        ignored.push(named.clone());
    }
}

fn set_field(fields: &mut Vec<DesiredField>, field: DesiredField) {
    match fields
        .iter_mut()
        .find(|existing| existing.name == field.name)
    {
        Some(existing) => *existing = field,
        None => fields.push(field),
    }
}

/// Resolves `root` and everything it extends, depth first with an explicit stack (chains may be
/// long), reporting each cycle once.
fn resolve_template(
    root: &str,
    templates: &BTreeMap<String, Declaration>,
    states: &mut HashMap<String, State>,
    reported_cycles: &mut HashSet<Vec<String>>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if states.contains_key(root) {
        return;
    }
    // (template name, index of the next parent to visit)
    let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
    states.insert(root.to_string(), State::Visiting);
    while let Some(&mut (name, ref mut next)) = stack.last_mut() {
        let Some(declaration) = templates.get(name) else {
            stack.pop();
            continue;
        };
        if let Some((parent, _)) = declaration.extends.get(*next) {
            *next += 1;
            if !templates.contains_key(parent) {
                continue; // reported as unknown
            }
            match states.get(parent.as_str()) {
                None => {
                    states.insert(parent.clone(), State::Visiting);
                    stack.push((parent.as_str(), 0));
                }
                Some(State::Visiting) => {
                    let start = stack
                        .iter()
                        .position(|(member, _)| *member == parent.as_str())
                        .unwrap_or(0);
                    let cycle: Vec<String> = stack[start..]
                        .iter()
                        .map(|(member, _)| (*member).to_string())
                        .collect();
                    report_cycle(&cycle, templates, reported_cycles, diagnostics);
                }
                Some(State::Done(_)) => {}
            }
            continue;
        }
        stack.pop();
        let parents: Option<Vec<&Inherited>> = declaration
            .extends
            .iter()
            .map(|(parent, _)| match states.get(parent.as_str()) {
                Some(State::Done(Some(inherited))) => Some(inherited),
                _ => None,
            })
            .collect();
        let resolved = match parents {
            Some(parents) if declaration.valid => Some(merge(&parents, declaration)),
            _ => None,
        };
        states.insert(name.to_string(), State::Done(resolved));
    }
}

/// `extends` cycle: `a` -> `b` -> `a`, at the first member's (by name) `extends` entry.
fn report_cycle(
    cycle: &[String],
    templates: &BTreeMap<String, Declaration>,
    reported_cycles: &mut HashSet<Vec<String>>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(first) = cycle
        .iter()
        .enumerate()
        .min_by(|left, right| left.1.cmp(right.1))
        .map(|(index, _)| index)
    else {
        return;
    };
    let mut rotated: Vec<String> = cycle[first..].to_vec();
    rotated.extend_from_slice(&cycle[..first]);
    if !reported_cycles.insert(rotated.clone()) {
        return;
    }
    let edge_origin = |from: &str, to: &str| {
        templates.get(from).and_then(|declaration| {
            declaration
                .extends
                .iter()
                .find(|(target, _)| target == to)
                .map(|(_, origin)| origin.clone())
        })
    };
    let mut path: Vec<String> = rotated.iter().map(|name| format!("`{name}`")).collect();
    path.push(format!("`{}`", rotated[0]));
    let message = format!("`extends` cycle: {}", path.join(" -> "));
    let next = |index: usize| &rotated[(index + 1) % rotated.len()];
    let mut diagnostic = match edge_origin(&rotated[0], next(0)) {
        Some(origin) => Diagnostic::at(origin, message),
        None => Diagnostic::new(message),
    }
    .with_label("this `extends` closes a cycle")
    .with_help("remove one of these `extends`");
    for (index, name) in rotated.iter().enumerate().skip(1) {
        if let Some(origin) = edge_origin(name, next(index)) {
            diagnostic =
                diagnostic.with_note(format!("`{name}` extends `{}` at {origin}", next(index)));
        }
    }
    diagnostics.push(diagnostic);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{document, yaml, Sources};
    use serde_json::json;
    use std::path::Path;

    /// Loads `files` (name, text) as if read in that order.
    fn load(files: &[(&str, &str)]) -> (Vec<DesiredObject>, String) {
        let mut diagnostics = Vec::new();
        let mut declarations = Vec::new();
        let mut sources = Sources::default();
        for (name, text) in files {
            let file = Path::new(name);
            let parsed = yaml::parse(file, text);
            diagnostics.extend(parsed.diagnostics);
            for parsed_document in &parsed.documents {
                declarations.extend(document::interpret(file, parsed_document, &mut diagnostics));
            }
            sources.insert(file.to_path_buf(), (*text).to_string());
        }
        let objects = resolve(declarations, &mut diagnostics);
        let rendered = diagnostics
            .iter()
            .map(|diagnostic| diagnostic.render(&sources, false))
            .collect::<Vec<_>>()
            .join("\n");
        (objects, rendered)
    }

    fn fields(object: &DesiredObject) -> Vec<(String, serde_json::Value, usize)> {
        object
            .fields
            .iter()
            .map(|field| (field.name.clone(), field.value.clone(), field.origin.line))
            .collect()
    }

    fn assert_has(rendered: &str, expected: &[&str]) {
        for part in expected {
            assert!(rendered.contains(part), "missing {part:?} in:\n{rendered}");
        }
    }

    #[test]
    fn merges_chains_in_order_with_null_removal_and_inherited_template() {
        let (objects, rendered) = load(&[
            (
                "templates.yaml",
                "kind: Template\nname: base\ntemplate: Phishing\nfields:\n  a: 1\n  b: 2\n  c: 3\n---\nkind: Template\nname: mid\nextends: base\nfields:\n  b: 20\n  d: 4\n",
            ),
            (
                "incident.yaml",
                "kind: Incident\nkey: x\nextends: mid\nfields:\n  c: null\n  e: 5\n  a: 10\n",
            ),
        ]);
        assert_eq!(rendered, "");
        let object = &objects[0];
        assert_eq!(
            object.template.as_ref().map(|(template, origin)| (
                template.clone(),
                origin.file.clone(),
                origin.line
            )),
            Some((
                TemplateRef::Name("Phishing".to_string()),
                "templates.yaml".into(),
                3
            ))
        );
        assert_eq!(
            fields(object),
            [
                ("a".to_string(), json!(10), 7),
                ("b".to_string(), json!(20), 13),
                ("d".to_string(), json!(4), 14),
                ("e".to_string(), json!(5), 6),
            ]
        );
        assert_eq!(object.fields[1].origin.file, Path::new("templates.yaml"));
    }

    #[test]
    fn several_parents_merge_in_order_and_own_template_wins() {
        let (objects, rendered) = load(&[(
            "all.yaml",
            "kind: Template\nname: one\ntemplate: 1\nfields: {a: 1, b: 1}\n---\nkind: Template\nname: two\ntemplate: 2\nfields: {b: 2, c: 2}\n---\nkind: Incident\nkey: k\nextends: [one, two]\n---\nkind: Incident\nkey: own\ntemplate: Malware\nextends: [one, two]\n",
        )]);
        assert_eq!(rendered, "");
        let values: Vec<_> = fields(&objects[0])
            .into_iter()
            .map(|(name, value, _)| (name, value))
            .collect();
        assert_eq!(
            values,
            [
                ("a".to_string(), json!(1)),
                ("b".to_string(), json!(2)),
                ("c".to_string(), json!(2))
            ]
        );
        assert_eq!(
            objects[0].template.as_ref().map(|(template, _)| template),
            Some(&TemplateRef::Id(2))
        );
        assert_eq!(
            objects[1].template.as_ref().map(|(template, _)| template),
            Some(&TemplateRef::Name("Malware".to_string()))
        );
    }

    fn ignored(object: &DesiredObject) -> Vec<(String, String, usize, usize)> {
        object
            .ignore_changes
            .iter()
            .map(|named| {
                (
                    named.name.clone(),
                    named.origin.file.display().to_string(),
                    named.origin.line,
                    named.origin.column,
                )
            })
            .collect()
    }

    #[test]
    fn own_ignore_changes_are_kept_once_each_in_order() {
        let (objects, rendered) = load(&[(
            "a.yaml",
            "kind: Incident\nkey: k\ntemplate: 1\nignore_changes: [status, owner, status]\n---\nkind: TriageItem\nkey: t\nfields: {status: New}\n",
        )]);
        assert_eq!(rendered, "");
        assert_eq!(
            ignored(&objects[0]),
            [
                ("status".to_string(), "a.yaml".to_string(), 4, 18),
                ("owner".to_string(), "a.yaml".to_string(), 4, 26),
            ]
        );
        assert!(objects[1].ignore_changes.is_empty());
    }

    #[test]
    fn ignore_changes_are_inherited_base_first_without_duplicates() {
        let (objects, rendered) = load(&[
            (
                "templates.yaml",
                "kind: Template\nname: base\nignore_changes: [status, priority]\n---\nkind: Template\nname: mid\nextends: base\nignore_changes:\n  - owner\n  - status\n---\nkind: Template\nname: other\nignore_changes: [Business unit, priority]\n",
            ),
            (
                "objects.yaml",
                "kind: Incident\nkey: k\ntemplate: 1\nextends: [mid, other]\nignore_changes: [description, owner]\n---\nkind: TriageItem\nkey: t\nextends: mid\n---\nkind: Incident\nkey: none\ntemplate: 1\n",
            ),
        ]);
        assert_eq!(rendered, "");
        let templates = "templates.yaml".to_string();
        assert_eq!(
            ignored(&objects[0]),
            [
                // `base` through `mid`, then `mid`'s own, then `other`, then the incident's.
                ("status".to_string(), templates.clone(), 3, 18),
                ("priority".to_string(), templates.clone(), 3, 26),
                ("owner".to_string(), templates.clone(), 9, 5),
                ("Business unit".to_string(), templates.clone(), 14, 18),
                ("description".to_string(), "objects.yaml".to_string(), 5, 18),
            ]
        );
        let names: Vec<String> = ignored(&objects[1])
            .into_iter()
            .map(|(name, ..)| name)
            .collect();
        assert_eq!(names, ["status", "priority", "owner"]);
        assert!(objects[2].ignore_changes.is_empty());
    }

    #[test]
    fn unknown_extends_target_suggests_close_names() {
        let (_, rendered) = load(&[(
            "a.yaml",
            "kind: Template\nname: phishing-defaults\n---\nkind: Incident\nkey: x\ntemplate: 1\nextends: phishing-default\n",
        )]);
        assert_has(
            &rendered,
            &[
                "error: unknown template `phishing-default` in `extends`",
                "--> a.yaml:7:10",
                "= help: did you mean `phishing-defaults`?",
            ],
        );
    }

    #[test]
    fn unknown_extends_target_without_templates() {
        let (_, rendered) = load(&[("a.yaml", "kind: TriageItem\nkey: x\nextends: [nothing]\n")]);
        assert_has(
            &rendered,
            &[
                "unknown template `nothing`",
                "--> a.yaml:3:11",
                "no `Template` documents were loaded",
            ],
        );
    }

    #[test]
    fn reports_each_cycle_once_naming_all_members() {
        let (objects, rendered) = load(&[
            ("a.yaml", "kind: Template\nname: a\nextends: b\n"),
            ("b.yaml", "kind: Template\nname: b\nextends: c\n"),
            ("c.yaml", "kind: Template\nname: c\nextends: a\n---\nkind: Incident\nkey: k\ntemplate: 1\nextends: c\n"),
        ]);
        assert!(objects.is_empty());
        assert_eq!(rendered.matches("error:").count(), 1, "{rendered}");
        assert_has(
            &rendered,
            &[
                "error: `extends` cycle: `a` -> `b` -> `c` -> `a`",
                "--> a.yaml:3:10",
                "= note: `b` extends `c` at b.yaml:3:10",
                "= note: `c` extends `a` at c.yaml:3:10",
            ],
        );
    }

    #[test]
    fn self_extension_is_a_cycle() {
        let (_, rendered) = load(&[("a.yaml", "kind: Template\nname: me\nextends: me\n")]);
        assert_has(
            &rendered,
            &["error: `extends` cycle: `me` -> `me`", "--> a.yaml:3:10"],
        );
    }

    #[test]
    fn long_chains_do_not_overflow_the_stack() {
        let mut text = String::from("kind: Template\nname: t0\nfields: {a: 0}\n");
        for index in 1..5000 {
            text.push_str(&format!(
                "---\nkind: Template\nname: t{index}\nextends: t{}\n",
                index - 1
            ));
        }
        text.push_str("---\nkind: Incident\nkey: k\ntemplate: 1\nextends: t4999\n");
        let (objects, rendered) = load(&[("chain.yaml", &text)]);
        assert_eq!(rendered, "");
        assert_eq!(objects[0].fields[0].value, json!(0));
    }

    #[test]
    fn duplicate_keys_across_files_name_both_places() {
        let (objects, rendered) = load(&[
            ("a.yaml", "kind: Incident\nkey: same\ntemplate: 1\n"),
            (
                "b.yaml",
                "kind: TriageItem\nkey: same\n---\nkind: Incident\nkey: same\ntemplate: 2\n",
            ),
        ]);
        assert_eq!(objects.len(), 2);
        assert_has(
            &rendered,
            &[
                "error: duplicate incident key `same`",
                "--> b.yaml:5:6",
                "= note: first defined at a.yaml:2:6",
            ],
        );
        assert_eq!(rendered.matches("error:").count(), 1, "{rendered}");
    }

    #[test]
    fn duplicate_template_names() {
        let (_, rendered) = load(&[
            ("a.yaml", "kind: Template\nname: t\n"),
            ("b.yaml", "kind: Template\nname: t\n"),
        ]);
        assert_has(
            &rendered,
            &[
                "error: duplicate template name `t`",
                "--> b.yaml:2:7",
                "first defined at a.yaml:2:7",
            ],
        );
    }

    #[test]
    fn incidents_need_a_template() {
        let (_, rendered) = load(&[("a.yaml", "kind: Incident\nkey: k\nfields: {a: 1}\n")]);
        assert_has(
            &rendered,
            &["error: incident `k` has no `template`", "--> a.yaml:2:6"],
        );
    }

    #[test]
    fn invalid_templates_do_not_cascade() {
        let (_, rendered) = load(&[(
            "a.yaml",
            "kind: Template\nname: t\nfields: {a: [[1]]}\n---\nkind: Incident\nkey: k\nextends: t\n",
        )]);
        assert_eq!(rendered.matches("error:").count(), 1, "{rendered}");
        assert_has(&rendered, &["`fields.a[0]` must be"]);
    }
}
