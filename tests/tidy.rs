//! Tidy tests: the invariants of ARCHITECTURE.md, checked by reading `src/` as text (the model is
//! rust-analyzer's `tidy.rs`). They read no compiled code and need no network (cargo still
//! builds the library before running them).
//!
//! - every module belongs to exactly one layer of [`LAYERS`], and imports only from its own layer
//!   or the ones below; the simulator imports only the foundations (not the filter parser), and
//!   only operations and commands import it;
//! - the pure core (layer 2) names no file system, network, process or runtime;
//! - no import circles, neither between the layers' units nor between files (a child importing an
//!   item of its parent's `mod.rs` while that `mod.rs` imports the child is a circle);
//! - ARCHITECTURE.md's code map names every file of `src/` and nothing else;
//! - commands and operations print only through the `Printer`; no `todo!` in `src/`.
//!
//! Code under `#[cfg(test)]` is not checked: test fixtures may reach anywhere.
//!
//! `cargo test --test tidy -- --ignored --nocapture graph` prints the import graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom first: (module path prefix, layer). A module belongs to the entry with
/// the longest prefix of its path. The numbers match ARCHITECTURE.md.
const LAYERS: &[(&str, usize)] = &[
    // 0. Foundations: text, positions, YAML, diagnostics, kinds, dialects, output, secrets.
    ("kind", 0),
    ("dialect", 0),
    ("dates", 0),
    ("operations", 0),
    ("safe_text", 0),
    ("scrub", 0),
    ("files", 0),
    ("filter", 0),
    ("select", 0),
    ("stop", 0),
    ("printer", 0),
    ("manifest::diagnostic", 0),
    ("manifest::yaml", 0),
    ("manifest::source", 0),
    ("manifest::schema", 0),
    // 1. The project file and the desired state.
    ("config", 1),
    ("manifest", 1),
    // 2. Catalog, normalization and the pure plan.
    ("catalog", 2),
    ("remote", 2),
    ("normalize", 2),
    ("resolve", 2),
    ("plan", 2),
    // 3. The tenant: HTTP client, observe, apply, lease, export; the error they all return.
    ("client", 3),
    ("observe", 3),
    ("apply", 3),
    ("lease", 3),
    ("export", 3),
    ("error", 3),
    // 3. Beside the tenant: the simulator, on foundations only (see SIMULATOR_MAY_IMPORT).
    ("sim", 3),
    // 4. Operations: the phases of each command, and the saved plan.
    ("ops", 4),
    ("plan_json", 4),
    ("saved", 4),
    // 5. The command line: arguments, settings, rendering, commands, the entry point.
    ("render", 5),
    ("settings", 5),
    ("cli", 5),
    ("commands", 5),
    ("crate", 5),
];

/// The simulator stands beside the tenant layer and imports only the foundations, so that it
/// never shares the client's reading of the API; only operations and the command line start it.
const SIMULATOR: &str = "sim";
const FOUNDATIONS: usize = 0;
/// Foundations the simulator still must not use: the client's filter parser (it parses filters
/// on its own, so that an escaping mistake cannot hide by being made twice).
const SIMULATOR_MUST_NOT_IMPORT: &[&str] = &["filter"];
/// The lowest layer that may import the simulator (operations open the sandbox).
const SIMULATOR_USERS: usize = 4;
/// The pure core: no file system, network or runtime.
const PURE: usize = 2;
/// What pure code must not name.
const IO: &[&str] = &[
    "std::fs",
    "std::net",
    "tokio::",
    "reqwest::",
    "std::process",
];

/// Imports that break a rule today, each with its reason. Empty: keep it so.
const KNOWN_VIOLATIONS: &[(&str, &str, &str)] = &[];

#[test]
fn every_module_has_a_layer() {
    let tree = Tree::read();
    let missing: Vec<&str> = tree
        .files
        .values()
        .filter(|file| layer_of(&file.module).is_none())
        .map(|file| file.module.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "modules with no layer in tests/tidy.rs LAYERS (and ARCHITECTURE.md): {missing:?}"
    );
}

#[test]
fn modules_import_only_downward() {
    let tree = Tree::read();
    let mut violations = Vec::new();
    for (from, to) in tree.edges() {
        let (Some((from_unit, from_layer)), Some((to_unit, to_layer))) =
            (layer_of(from), layer_of(to))
        else {
            continue;
        };
        if known(from, to) {
            continue;
        }
        let within_simulator = top(from) == SIMULATOR && top(to) == SIMULATOR;
        if to_layer > from_layer {
            violations.push(format!(
                "{from} (layer {from_layer}, {from_unit}) imports {to} (layer {to_layer}, {to_unit}), a layer above"
            ));
        } else if top(from) == SIMULATOR
            && !within_simulator
            && (to_layer != FOUNDATIONS || SIMULATOR_MUST_NOT_IMPORT.contains(&top(to)))
        {
            violations.push(format!(
                "the simulator ({from}) imports {to}: it may use only the foundations, and not {SIMULATOR_MUST_NOT_IMPORT:?}"
            ));
        } else if top(to) == SIMULATOR && !within_simulator && from_layer < SIMULATOR_USERS {
            violations.push(format!(
                "{from} (layer {from_layer}) imports the simulator: only operations and the command line start it"
            ));
        }
    }
    assert!(
        violations.is_empty(),
        "imports that break the layers (ARCHITECTURE.md, Layers):\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn no_import_circles_between_units() {
    let tree = Tree::read();
    let graph = graph_of(tree.edges().filter_map(|(from, to)| {
        let (from_unit, _) = layer_of(from)?;
        let (to_unit, _) = layer_of(to)?;
        (from_unit != to_unit && !known(from, to)).then_some((from_unit, to_unit))
    }));
    let circles = circles(&graph);
    assert!(
        circles.is_empty(),
        "import circles between units of LAYERS:\n  {}",
        circles.join("\n  ")
    );
}

#[test]
fn no_import_circles_between_files() {
    let tree = Tree::read();
    let graph = graph_of(
        tree.edges()
            .filter(|(from, to)| from != to && !known(from, to)),
    );
    let circles = circles(&graph);
    assert!(
        circles.is_empty(),
        "import circles between modules (a child reaching into its parent's mod.rs is one):\n  {}",
        circles.join("\n  ")
    );
}

#[test]
fn the_code_map_names_every_file() {
    let tree = Tree::read();
    let text = fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let map = text
        .split("\n## Code map")
        .nth(1)
        .expect("ARCHITECTURE.md has a `## Code map` section");
    let map = map.split("\n## ").next().unwrap_or(map);
    let listed: BTreeSet<String> = map
        .lines()
        .filter_map(|line| {
            let start = line.find("`src/")? + 1;
            let end = start + line[start..].find('`')?;
            Some(line[start..end].to_string())
        })
        .collect();
    let unlisted: Vec<&String> = tree.all.difference(&listed).collect();
    let gone: Vec<&String> = listed.difference(&tree.all).collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "ARCHITECTURE.md's code map is out of date.\n  files it does not name: {unlisted:?}\n  \
         names of files that do not exist: {gone:?}"
    );
}

#[test]
fn commands_and_operations_print_only_through_the_printer() {
    let tree = Tree::read();
    let mut offenders = Vec::new();
    for (path, file) in &tree.files {
        let checked = matches!(top(&file.module), "commands" | "ops");
        for (number, line) in file.code.lines().enumerate() {
            let prints = ["print!", "println!", "eprint!", "eprintln!", "dbg!"]
                .iter()
                .any(|call| contains_call(line, call))
                || ["io::stdout(", "io::stderr("]
                    .iter()
                    .any(|stream| line.contains(stream));
            if checked && prints {
                offenders.push(format!("{path}:{}: {}", number + 1, line.trim()));
            }
            if contains_call(line, "todo!(") || contains_call(line, "unimplemented!(") {
                offenders.push(format!("{path}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "output must go through crate::printer::Printer (no print macros, no io::stdout() or\n\
         io::stderr() in commands/ or ops/), and src/ holds no todo!:\n  {}",
        offenders.join("\n  ")
    );
}

#[test]
fn the_pure_core_does_no_io() {
    let tree = Tree::read();
    let mut offenders = Vec::new();
    for (path, file) in &tree.files {
        if layer_of(&file.module).map(|(_, layer)| layer) != Some(PURE) {
            continue;
        }
        for (number, line) in file.code.lines().enumerate() {
            if IO.iter().any(|io| line.contains(io)) {
                offenders.push(format!("{path}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "layer 2 (catalog, remote, normalize, resolve, plan) is pure: no {IO:?}:\n  {}",
        offenders.join("\n  ")
    );
}

/// `call` at a word start (so `eprint!` does not count as `print!`).
fn contains_call(line: &str, call: &str) -> bool {
    line.match_indices(call).any(|(at, _)| {
        !line[..at]
            .chars()
            .next_back()
            .is_some_and(|before| before.is_alphanumeric() || before == '_')
    })
}

fn known(from: &str, to: &str) -> bool {
    KNOWN_VIOLATIONS
        .iter()
        .any(|(known_from, known_to, _)| *known_from == from && *known_to == to)
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// The unit (LAYERS entry) and layer of a module.
fn layer_of(module: &str) -> Option<(&'static str, usize)> {
    LAYERS
        .iter()
        .filter(|(prefix, _)| {
            module == *prefix
                || module
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with("::"))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .copied()
}

/// The graph of `edges`, by node.
fn graph_of<'a>(
    edges: impl Iterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in edges {
        graph
            .entry(from.to_string())
            .or_default()
            .insert(to.to_string());
    }
    graph
}

/// Every circle of `graph`, each as `a -> b -> a`, found by Tarjan's strongly connected
/// components (components of one node are circles only with a self edge, which is excluded).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        components: Vec<Vec<&'g str>>,
    }
    fn visit<'g>(state: &mut State<'g>, node: &'g str) {
        let next = state.index.len();
        state.index.insert(node, next);
        state.low.insert(node, next);
        state.stack.push(node);
        state.on_stack.insert(node);
        if let Some(targets) = state.graph.get(node) {
            for target in targets {
                let target = target.as_str();
                if !state.index.contains_key(target) {
                    visit(state, target);
                    let low = state.low[node].min(state.low[target]);
                    state.low.insert(node, low);
                } else if state.on_stack.contains(target) {
                    let low = state.low[node].min(state.index[target]);
                    state.low.insert(node, low);
                }
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.push(member);
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.reverse();
                state.components.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state
        .components
        .iter()
        .map(|component| {
            let members: BTreeSet<&str> = component.iter().copied().collect();
            let edges: Vec<String> = component
                .iter()
                .flat_map(|from| {
                    graph[*from]
                        .iter()
                        .filter(|to| members.contains(to.as_str()))
                        .map(move |to| format!("{from} -> {to}"))
                })
                .collect();
            edges.join(", ")
        })
        .collect()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One source file: its module path and its code without comments and test-only items.
struct SourceFile {
    module: String,
    /// The modules it imports (resolved to files).
    imports: BTreeSet<String>,
    code: String,
}

struct Tree {
    /// By path relative to the crate root (`src/...`), test-only files and `main.rs` left out.
    files: BTreeMap<String, SourceFile>,
    /// Every file of `src/`, test-only ones included.
    all: BTreeSet<String>,
}

impl Tree {
    fn read() -> Tree {
        let mut paths = Vec::new();
        collect(&root().join("src"), &mut paths);
        let mut raw: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut all = BTreeSet::new();
        for path in paths {
            let relative = path
                .strip_prefix(root())
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            all.insert(relative.clone());
            if relative == "src/main.rs" {
                continue; // The binary calls `soarform::run` and nothing else.
            }
            let text = fs::read_to_string(&path).expect("a readable source file");
            raw.insert(
                relative.clone(),
                (module_of(&relative), without_tests(&text)),
            );
        }
        // Files declared only under `#[cfg(test)]` (`#[cfg(test)] mod fixtures;`) are test code.
        let test_only = test_only_modules(&root().join("src"));
        raw.retain(|_, (module, _)| !test_only.iter().any(|test| is_within(module, test)));
        let modules: BTreeSet<String> = raw.values().map(|(module, _)| module.clone()).collect();
        let files = raw
            .into_iter()
            .map(|(path, (module, code))| {
                let mut imports: BTreeSet<String> = imports(&module, &code)
                    .into_iter()
                    .filter_map(|(target, rooted)| {
                        // A rooted path that names no module names an item of lib.rs.
                        resolve(&target, &modules)
                            .or_else(|| (rooted && !target.is_empty()).then(|| "crate".into()))
                    })
                    .filter(|target| *target != module)
                    .collect();
                imports.extend(children_named(&module, &code, &modules));
                (
                    path,
                    SourceFile {
                        module,
                        imports,
                        code,
                    },
                )
            })
            .collect();
        Tree { files, all }
    }

    fn edges(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.values().flat_map(|file| {
            file.imports
                .iter()
                .map(move |target| (file.module.as_str(), target.as_str()))
        })
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("a readable directory")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            out.push(path);
        }
    }
}

/// `src/manifest/yaml.rs` -> `manifest::yaml`; `src/lib.rs` -> `crate`.
fn module_of(relative: &str) -> String {
    let inner = relative
        .trim_start_matches("src/")
        .trim_end_matches(".rs")
        .trim_end_matches("/mod");
    if inner == "lib" {
        "crate".to_string()
    } else {
        inner.replace('/', "::")
    }
}

fn is_within(module: &str, ancestor: &str) -> bool {
    module == ancestor
        || module
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with("::"))
}

/// Modules declared with `#[cfg(test)]` on their `mod` line, as module paths.
fn test_only_modules(src: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    collect(src, &mut paths);
    let mut found = Vec::new();
    for path in paths {
        let relative = path
            .strip_prefix(root())
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        let module = module_of(&relative);
        let text = fs::read_to_string(&path).expect("a readable source file");
        let mut lines = text.lines().map(str::trim);
        while let Some(line) = lines.next() {
            if line != "#[cfg(test)]" {
                continue;
            }
            let Some(next) = lines.next() else { break };
            let declaration = next
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            if let Some(name) = declaration
                .strip_prefix("mod ")
                .and_then(|rest| rest.strip_suffix(';'))
            {
                // `foo.rs` and `foo/mod.rs` with `mod bar;` both hold `foo::bar`.
                let parent = if module == "crate" {
                    String::new()
                } else {
                    format!("{module}::")
                };
                found.push(format!("{parent}{name}"));
            }
        }
    }
    found
}

/// The code of a file without comments, string contents and `#[cfg(test)]` items.
fn without_tests(text: &str) -> String {
    let code = strip_comments_and_strings(text);
    let mut out = String::new();
    let mut lines = code.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim().strip_prefix("#[cfg(test)]") else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        // Skip the item that follows (on this line or the next ones): up to its `;`, or through
        // its balanced braces.
        let mut depth = 0i64;
        let mut opened = false;
        let first = (!rest.trim().is_empty()).then_some(rest);
        if first.is_none() {
            out.push('\n');
        }
        for item_line in first.into_iter().chain(lines.by_ref()) {
            for character in item_line.chars() {
                match character {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            out.push('\n');
            let done = if opened {
                depth <= 0
            } else {
                item_line.trim_end().ends_with(';')
            };
            if done {
                break;
            }
        }
    }
    out
}

/// Comments and the contents of string and character literals replaced by spaces (newlines
/// kept, so line numbers stay right). Raw strings (`r"..."`, `r#"..."#`) are handled.
fn strip_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let blank = |character: char| if character == '\n' { '\n' } else { ' ' };
    while at < chars.len() {
        let character = chars[at];
        let next = chars.get(at + 1).copied();
        if character == '/' && next == Some('/') {
            while at < chars.len() && chars[at] != '\n' {
                at += 1;
            }
        } else if character == '/' && next == Some('*') {
            let mut depth = 0;
            while at < chars.len() {
                if chars[at] == '/' && chars.get(at + 1) == Some(&'*') {
                    depth += 1;
                    at += 2;
                } else if chars[at] == '*' && chars.get(at + 1) == Some(&'/') {
                    depth -= 1;
                    at += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[at]));
                    at += 1;
                }
            }
        } else if character == 'r'
            && matches!(next, Some('"') | Some('#'))
            && !chars[..at]
                .last()
                .is_some_and(|before| before.is_alphanumeric() || *before == '_')
        {
            let mut hashes = 0;
            let mut cursor = at + 1;
            while chars.get(cursor) == Some(&'#') {
                hashes += 1;
                cursor += 1;
            }
            if chars.get(cursor) != Some(&'"') {
                out.push(character);
                at += 1;
                continue;
            }
            out.push('"');
            cursor += 1;
            loop {
                match chars.get(cursor) {
                    None => break,
                    Some('"')
                        if (1..=hashes).all(|offset| chars.get(cursor + offset) == Some(&'#')) =>
                    {
                        cursor += 1 + hashes;
                        break;
                    }
                    Some(inner) => {
                        out.push(blank(*inner));
                        cursor += 1;
                    }
                }
            }
            out.push('"');
            at = cursor;
        } else if character == '"' {
            out.push('"');
            at += 1;
            while at < chars.len() && chars[at] != '"' {
                if chars[at] == '\\' {
                    out.push(' ');
                    at += 1;
                }
                if let Some(inner) = chars.get(at) {
                    out.push(blank(*inner));
                }
                at += 1;
            }
            out.push('"');
            at += 1;
        } else if character == '\''
            && (chars.get(at + 2) == Some(&'\'')
                || (next == Some('\\') && chars[at + 1..].iter().take(12).any(|c| *c == '\'')))
        {
            // A character literal ('x', '\n', '\u{..}'), not a lifetime.
            out.push(' ');
            at += 1;
            while at < chars.len() && chars[at] != '\'' {
                if chars[at] == '\\' {
                    at += 1;
                }
                at += 1;
                out.push(' ');
            }
            at += 1;
        } else {
            out.push(character);
            at += 1;
        }
    }
    out
}

/// Every path a file names: `use` trees expanded, and `crate::`/`super::`/`self::` paths in code,
/// each made absolute (`crate::a::b`, without the `crate::` prefix).
fn imports(module: &str, code: &str) -> Vec<(Vec<String>, bool)> {
    let mut found = Vec::new();
    // `use` statements, possibly spanning lines; what is left is the code scanned below.
    let flat = code.replace('\n', " ");
    let mut code_only = String::with_capacity(flat.len());
    let mut rest = flat.as_str();
    while let Some(at) = find_keyword(rest, "use ") {
        let after = &rest[at + 4..];
        let Some(end) = after.find(';') else { break };
        for path in expand_use_tree(after[..end].trim()) {
            if let Some(absolute) = absolute(module, &path) {
                found.push(absolute);
            }
        }
        code_only.push_str(&rest[..at]);
        rest = &after[end..];
    }
    code_only.push_str(rest);
    let flat = code_only;
    // Paths in code.
    for start in ["crate::", "super::", "self::"] {
        for (at, _) in flat.match_indices(start) {
            if flat[..at]
                .chars()
                .next_back()
                .is_some_and(|before| before.is_alphanumeric() || before == '_' || before == ':')
            {
                continue;
            }
            let path: Vec<String> = flat[at..]
                .split("::")
                .scan(true, |going, segment| {
                    // Stop after the first segment that ends early (`Foo<`, `bar(`, `{`).
                    if !*going {
                        return None;
                    }
                    let name: String = segment
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    *going = name.len() == segment.len();
                    (!name.is_empty()).then_some(name)
                })
                .collect();
            if let Some(absolute) = absolute(module, &path) {
                found.push(absolute);
            }
        }
    }
    found
}

/// The child modules a module's code names by a relative path (`compute::compute(..)`).
fn children_named(module: &str, code: &str, modules: &BTreeSet<String>) -> Vec<String> {
    let prefix = if module == "crate" {
        String::new()
    } else {
        format!("{module}::")
    };
    modules
        .iter()
        .filter_map(|candidate| {
            let name = candidate.strip_prefix(&prefix)?;
            if name.contains("::") {
                return None;
            }
            find_keyword(code, &format!("{name}::")).map(|_| candidate.clone())
        })
        .collect()
}

/// `keyword` at a word boundary.
fn find_keyword(text: &str, keyword: &str) -> Option<usize> {
    text.match_indices(keyword)
        .find(|(at, _)| {
            !text[..*at]
                .chars()
                .next_back()
                .is_some_and(|before| before.is_alphanumeric() || before == '_' || before == ':')
        })
        .map(|(at, _)| at)
}

/// `a::{b, c::{d, e}}` -> `[a::b, a::c::d, a::c::e]`, each as segments (`self` dropped).
fn expand_use_tree(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree);
        let segments: Vec<String> = path
            .split("::")
            .map(|segment| segment.trim().to_string())
            .filter(|segment| !segment.is_empty() && segment != "self" && segment != "*")
            .collect();
        return vec![segments];
    };
    let prefix = tree[..open].trim_end_matches("::").trim();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (at, character) in inner.char_indices() {
        match character {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .flat_map(|part| {
            expand_use_tree(part).into_iter().map(|tail| {
                let mut path: Vec<String> = prefix
                    .split("::")
                    .filter(|segment| !segment.is_empty())
                    .map(str::to_string)
                    .collect();
                path.extend(tail);
                path
            })
        })
        .collect()
}

/// A path as seen from `module`, made relative to the crate root, and whether it was rooted in
/// this crate (`crate::`, `super::`, `self::`) rather than relative (a child, or another crate).
fn absolute(module: &str, path: &[String]) -> Option<(Vec<String>, bool)> {
    let mut here: Vec<String> = if module == "crate" {
        Vec::new()
    } else {
        module.split("::").map(str::to_string).collect()
    };
    // `super` in `foo.rs` and in `foo/mod.rs` both mean foo's parent.
    let mut segments = path.iter().peekable();
    let rooted = matches!(
        segments.peek().map(|segment| segment.as_str()),
        Some("crate" | "super" | "self")
    );
    match segments.peek().map(|segment| segment.as_str()) {
        Some("crate") => {
            segments.next();
            here.clear();
        }
        Some("super") => {
            while segments.peek().map(|segment| segment.as_str()) == Some("super") {
                segments.next();
                here.pop();
            }
        }
        Some("self") => {
            segments.next();
        }
        // A relative `use child::x` inside a module with children.
        Some(_) => {}
        None => return None,
    }
    here.extend(segments.cloned());
    Some((here, rooted))
}

/// The module a path lands in: the longest prefix that is a module of the crate.
fn resolve(path: &[String], modules: &BTreeSet<String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|length| path[..length].join("::"))
        .find(|candidate| modules.contains(candidate))
}

#[test]
fn the_import_reader_sees_use_trees_code_paths_and_relative_children() {
    let code = strip_comments_and_strings(
        "use super::model::{Manifest, self};\n\
         use crate::plan::{compute::{self, compute as run}, Plan};\n\
         // use crate::commands::Hidden;\n\
         fn f() { let _ = \"crate::render::Text\"; crate::client::Client::new(); child::go(); }\n",
    );
    let found: BTreeSet<String> = imports("manifest::document", &code)
        .into_iter()
        .map(|(path, _)| path.join("::"))
        .collect();
    assert_eq!(
        found.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "client::Client::new",
            "manifest::model",
            "manifest::model::Manifest",
            "plan::Plan",
            "plan::compute",
            "plan::compute::compute",
        ]
    );
    let modules: BTreeSet<String> = ["manifest", "manifest::child", "plan", "plan::compute"]
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        children_named("manifest", &code, &modules),
        ["manifest::child"]
    );
    assert_eq!(
        resolve(&["plan".into(), "compute".into(), "x".into()], &modules),
        Some("plan::compute".to_string())
    );
    assert_eq!(
        layer_of("manifest::yaml::node"),
        Some(("manifest::yaml", 0))
    );
    assert_eq!(layer_of("manifest::document"), Some(("manifest", 1)));
}

#[test]
fn test_only_items_are_left_out() {
    let code = without_tests(
        "use crate::kind::Kind;\n#[cfg(test)]\nmod tests {\n    use crate::commands::x;\n}\n\
         #[cfg(test)]\nuse crate::render::y;\nfn after() {}\n",
    );
    assert!(code.contains("crate::kind::Kind"), "{code}");
    assert!(code.contains("fn after"), "{code}");
    assert!(
        !code.contains("commands") && !code.contains("render"),
        "{code}"
    );
}

/// Prints the current import graph (`cargo test --test tidy -- --ignored --nocapture graph`).
#[test]
#[ignore]
fn graph() {
    let tree = Tree::read();
    for (from, to) in tree.edges() {
        let layer = |module| layer_of(module).map_or(99, |(_, layer)| layer);
        println!("{from} ({}) -> {to} ({})", layer(from), layer(to));
    }
}
