//! Keeps the CI recipes in `examples/ci/` honest: every `soarform` command they run names a real
//! subcommand and only flags that the real binary's `--help` documents, every exit code they
//! branch on is one soarform documents (0-4), and their YAML parses.
//!
//! The recipes are read the way a runner would: YAML files are parsed, and every string in them
//! (a `run:` block scalar, a `script:` item, an `if:` condition) is scanned as shell text, with
//! `\` line continuations joined, quotes understood and `#` comments dropped. Only a word in
//! command position counts as an invocation (`soarform plan ...`, `"$BIN/soarform" apply ...`),
//! not `cargo install ... soarform` or `echo "soarform plan failed"`. Markdown files contribute
//! their code blocks and code spans.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::binary::Test;

/// The exit codes soarform documents (`ExitStatus` in src/commands/mod.rs).
const DOCUMENTED_EXIT_CODES: std::ops::RangeInclusive<u32> = 0..=4;

/// The marker the plan comment is found by.
const PLAN_MARKER: &str = "<!-- soarform:plan -->";

// ---------------------------------------------------------------------------------------------
// The recipes

fn recipes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci")
}

/// Every file in examples/ci/ (recursively), as (path relative to it, content), sorted.
fn recipes() -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("read examples/ci") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .expect("under examples/ci")
                    .to_string_lossy()
                    .into_owned();
                let content = std::fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
                out.push((name, content));
            }
        }
    }
    let root = recipes_dir();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    assert!(!out.is_empty(), "no files in {}", root.display());
    // The composite action at the repository root runs soarform too.
    let action = Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml");
    out.push((
        "../../action.yml".to_string(),
        std::fs::read_to_string(&action).expect("read action.yml"),
    ));
    out
}

#[test]
fn every_action_used_is_pinned_by_commit() {
    for (name, content) in recipes() {
        for line in content.lines() {
            let code = line.trim_start();
            if code.starts_with('#') {
                continue;
            }
            let Some(used) = code
                .strip_prefix("- uses: ")
                .or_else(|| code.strip_prefix("uses: "))
            else {
                continue;
            };
            let reference = used.split_whitespace().next().unwrap();
            let (_, sha) = reference
                .rsplit_once('@')
                .unwrap_or_else(|| panic!("{name}: `{reference}` names no version"));
            assert!(
                sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                "{name}: `{reference}` is not pinned by a commit"
            );
            assert!(
                line.contains(" # v"),
                "{name}: `{reference}` has no comment naming its release"
            );
        }
    }
}

#[test]
fn the_action_is_a_composite_of_documented_commands() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    let action = &yaml_rust2::YamlLoader::load_from_str(&text).unwrap()[0];
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    for input in [
        "command",
        "working-directory",
        "plan-file",
        "args",
        "comment",
    ] {
        assert!(!action["inputs"][input].is_badvalue(), "input `{input}`");
    }
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let step = |id: &str| {
        steps
            .iter()
            .find(|step| step["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("no step `{id}`"))
    };
    // The build is cached, keyed on the action's source.
    let cached = steps
        .iter()
        .find(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("actions/cache@"))
        })
        .expect("a cache step");
    assert_eq!(
        cached["with"]["key"].as_str(),
        Some("${{ steps.key.outputs.key }}")
    );
    assert!(step("key")["run"].as_str().unwrap().contains("Cargo.lock"));
    // Every command it offers is handled by its run step.
    let run = step("run")["run"].as_str().unwrap();
    for command in ["validate)", "fmt-check)", "plan)", "apply)"] {
        assert!(run.contains(command), "{command}");
    }
}

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yml") || name.ends_with(".yaml")
}

/// A recipe as text to scan: the shell texts in it, and the exit codes its YAML lists
/// (`allow_failure: exit_codes:` in GitLab).
struct Scanned {
    texts: Vec<String>,
    yaml_exit_codes: Vec<(u32, String)>,
}

/// Splits a recipe into the texts to scan; an error when its YAML does not parse.
fn scan(name: &str, content: &str) -> Result<Scanned, String> {
    let mut scanned = Scanned {
        texts: Vec::new(),
        yaml_exit_codes: Vec::new(),
    };
    if is_yaml(name) {
        let documents = YamlLoader::load_from_str(content)
            .map_err(|error| format!("{name}: the YAML does not parse: {error}"))?;
        if documents.is_empty() {
            return Err(format!("{name}: the YAML holds no document"));
        }
        for document in &documents {
            if let Some(path) = bad_value(document, "") {
                return Err(format!(
                    "{name}: the YAML has a value it cannot represent at {path}"
                ));
            }
            collect_strings(document, &mut scanned.texts);
            collect_exit_code_lists(document, &mut scanned.yaml_exit_codes);
        }
    } else if name.ends_with(".md") {
        scanned.texts = markdown_code(content);
    } else {
        scanned.texts.push(content.to_string());
    }
    Ok(scanned)
}

/// Where in `yaml` a `BadValue` sits, if anywhere.
fn bad_value(yaml: &Yaml, at: &str) -> Option<String> {
    match yaml {
        Yaml::BadValue => Some(if at.is_empty() { "/".into() } else { at.into() }),
        Yaml::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| bad_value(item, &format!("{at}/{index}"))),
        Yaml::Hash(hash) => hash.iter().find_map(|(key, value)| {
            let key = key
                .as_str()
                .map_or_else(|| format!("{key:?}"), str::to_string);
            bad_value(value, &format!("{at}/{key}"))
        }),
        _ => None,
    }
}

fn collect_strings(yaml: &Yaml, out: &mut Vec<String>) {
    match yaml {
        Yaml::String(text) => out.push(text.clone()),
        Yaml::Array(items) => items.iter().for_each(|item| collect_strings(item, out)),
        Yaml::Hash(hash) => hash.values().for_each(|value| collect_strings(value, out)),
        _ => {}
    }
}

fn collect_exit_code_lists(yaml: &Yaml, out: &mut Vec<(u32, String)>) {
    match yaml {
        Yaml::Array(items) => items
            .iter()
            .for_each(|item| collect_exit_code_lists(item, out)),
        Yaml::Hash(hash) => {
            for (key, value) in hash {
                if key.as_str() == Some("exit_codes") {
                    let values = match value {
                        Yaml::Array(items) => items.clone(),
                        other => vec![other.clone()],
                    };
                    for value in values {
                        let code = value
                            .as_i64()
                            .and_then(|code| u32::try_from(code).ok())
                            .unwrap_or(u32::MAX);
                        out.push((code, format!("exit_codes: {value:?}")));
                    }
                }
                collect_exit_code_lists(value, out);
            }
        }
        _ => {}
    }
}

/// The fenced code blocks and the code spans of a Markdown text.
fn markdown_code(content: &str) -> Vec<String> {
    let mut texts = Vec::new();
    let mut fence: Option<(String, String)> = None;
    for line in content.lines() {
        let trimmed = line.trim_start();
        if let Some((marker, body)) = &mut fence {
            if trimmed.trim_end() == marker.as_str() {
                texts.push(std::mem::take(body));
                fence = None;
            } else {
                body.push_str(line);
                body.push('\n');
            }
        } else if let Some(first) = trimmed
            .chars()
            .next()
            .filter(|&c| trimmed.starts_with(&String::from(c).repeat(3)) && "`~".contains(c))
        {
            let length = trimmed.chars().take_while(|&c| c == first).count();
            fence = Some((String::from(first).repeat(length), String::new()));
        } else {
            texts.extend(line.split('`').skip(1).step_by(2).map(str::to_string));
        }
    }
    if let Some((_, body)) = fence {
        texts.push(body);
    }
    texts
}

// ---------------------------------------------------------------------------------------------
// A small shell lexer: enough to find commands and their words

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    /// `>`, `>>`, `<`, `2>&1`: the next word is a file, not an argument.
    Redirect,
    /// Newline, `;`, `|`, `&`, `(`, `)`, `$(`, a backtick: a new command starts after it.
    Break,
}

fn tokenize(script: &str) -> Vec<Token> {
    let chars: Vec<char> = script.chars().collect();
    let mut tokens = Vec::new();
    let mut word: Option<String> = None;
    let end = |word: &mut Option<String>, tokens: &mut Vec<Token>| {
        if let Some(text) = word.take() {
            tokens.push(Token::Word(text));
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                match chars.get(i + 1) {
                    Some('\n') => {} // a line continuation: both characters vanish
                    Some(&next) => word.get_or_insert_with(String::new).push(next),
                    None => {}
                }
                i += 2;
                continue;
            }
            ' ' | '\t' | '\r' => end(&mut word, &mut tokens),
            '\n' => {
                end(&mut word, &mut tokens);
                tokens.push(Token::Break);
            }
            '#' if word.is_none() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '\'' => {
                let text = word.get_or_insert_with(String::new);
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    text.push(chars[i]);
                    i += 1;
                }
            }
            '"' => {
                let text = word.get_or_insert_with(String::new);
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`'))
                    {
                        i += 1;
                    } else if chars[i] == '\\' && chars.get(i + 1) == Some(&'\n') {
                        i += 2;
                        continue;
                    }
                    text.push(chars[i]);
                    i += 1;
                }
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                end(&mut word, &mut tokens);
                tokens.push(Token::Break);
                i += 2;
                continue;
            }
            ';' | '|' | '&' | '(' | ')' | '`' => {
                end(&mut word, &mut tokens);
                tokens.push(Token::Break);
            }
            '>' | '<' => {
                if word
                    .as_deref()
                    .is_some_and(|text| text.chars().all(|c| c.is_ascii_digit()))
                {
                    word = None; // `2>`: a file descriptor, not an argument
                }
                end(&mut word, &mut tokens);
                if tokens.last() != Some(&Token::Redirect) {
                    tokens.push(Token::Redirect);
                }
                if chars.get(i + 1) == Some(&'&') {
                    i += 1; // `2>&1`: the `&` belongs to the redirection
                }
            }
            _ => word.get_or_insert_with(String::new).push(c),
        }
        i += 1;
    }
    end(&mut word, &mut tokens);
    tokens
}

/// The simple commands of a script, each as its words (redirection targets left out).
fn commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut current = Vec::new();
    let mut redirect_target = false;
    for token in tokenize(script) {
        match token {
            Token::Word(_) if redirect_target => redirect_target = false,
            Token::Word(word) => current.push(word),
            Token::Redirect => redirect_target = true,
            Token::Break => {
                redirect_target = false;
                if !current.is_empty() {
                    commands.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        commands.push(current);
    }
    commands
}

/// Words that may precede the program of a simple command.
const COMMAND_PREFIXES: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "exec", "env", "nohup",
    "sudo",
];

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Every `soarform ...` command of a script, as its words from `soarform` on.
fn invocations(script: &str) -> Vec<Vec<String>> {
    commands(script)
        .into_iter()
        .filter_map(|words| {
            let start = words.iter().position(|word| {
                !COMMAND_PREFIXES.contains(&word.as_str()) && !is_assignment(word)
            })?;
            let program = words[start].rsplit('/').next()?;
            (program == "soarform").then(|| words[start..].to_vec())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// What the binary documents

/// The options the real binary's `--help` lists: flag -> whether it takes a value.
type Options = BTreeMap<String, bool>;

struct Help {
    global: Options,
    subcommands: BTreeMap<String, Options>,
}

fn help() -> &'static Help {
    static HELP: OnceLock<Help> = OnceLock::new();
    HELP.get_or_init(|| {
        let top = run_help(None);
        let names = subcommand_names(&top);
        for expected in ["validate", "plan", "apply"] {
            assert!(
                names.iter().any(|name| name == expected),
                "`soarform --help` lists no `{expected}` command:\n{top}"
            );
        }
        let subcommands = names
            .into_iter()
            .map(|name| {
                let options = if name == "help" {
                    Options::new()
                } else {
                    options(&run_help(Some(&name)))
                };
                (name, options)
            })
            .collect();
        Help {
            global: options(&top),
            subcommands,
        }
    })
}

fn run_help(subcommand: Option<&str>) -> String {
    let args: Vec<&str> = subcommand.into_iter().chain(["--help"]).collect();
    let output = Test::new().args(args.clone()).run();
    assert_eq!(
        output.code,
        0,
        "soarform {}\n{}",
        args.join(" "),
        output.combined()
    );
    output.stdout
}

/// The names under `Commands:` in the top-level help.
fn subcommand_names(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| line.trim() != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        // A long summary wraps onto lines indented deeper than the names.
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The flags on the option lines of a help text (`  -v, --verbose...`, `      --out <FILE>`),
/// not flags merely mentioned in descriptions (indented further).
fn options(help: &str) -> Options {
    let mut options = Options::new();
    for line in help.lines() {
        let text = line.trim_start();
        if line.len() - text.len() > 6 || !text.starts_with('-') {
            continue;
        }
        let takes_value = text.contains('<');
        for part in text.split([',', ' ']) {
            let flag = part.trim_end_matches("...");
            if is_flag_name(flag) {
                options.insert(flag.to_string(), takes_value);
            }
        }
    }
    options
}

fn is_flag_name(text: &str) -> bool {
    if let Some(long) = text.strip_prefix("--") {
        long.starts_with(|c: char| c.is_ascii_alphabetic())
            && long.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    } else if let Some(short) = text.strip_prefix('-') {
        short.len() == 1 && short.chars().all(|c| c.is_ascii_alphanumeric())
    } else {
        false
    }
}

/// The flags a word passes: `--out=x` -> `--out`, `-vv` -> `-v`; `None` for other words.
fn flags_in(word: &str) -> Option<Vec<String>> {
    if let Some(long) = word.strip_prefix("--") {
        let name = long.split('=').next().unwrap_or_default();
        return (!name.is_empty()).then(|| vec![format!("--{name}")]);
    }
    let short = word.strip_prefix('-')?;
    (!short.is_empty() && short.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| short.chars().map(|c| format!("-{c}")).collect())
}

// ---------------------------------------------------------------------------------------------
// The checks

/// What is wrong with one `soarform ...` invocation (its words from `soarform` on).
fn check_invocation(words: &[String], help: &Help) -> Vec<String> {
    let shown = words.join(" ");
    let mut problems = Vec::new();
    let mut subcommand: Option<&str> = None;
    let mut options = &help.global;
    let mut skip_value = false;
    for word in &words[1..] {
        if word == "--" {
            break;
        }
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if let Some(flags) = flags_in(word) {
            for flag in flags {
                match options.get(&flag) {
                    Some(&takes_value) => skip_value = takes_value && !word.contains('='),
                    None => problems.push(format!(
                        "`{shown}`: `{flag}` is not documented by `soarform {}--help`",
                        subcommand
                            .map(|name| format!("{name} "))
                            .unwrap_or_default()
                    )),
                }
            }
        } else if subcommand.is_none() {
            match help.subcommands.get_key_value(word.as_str()) {
                Some((name, sub_options)) => {
                    subcommand = Some(name);
                    options = sub_options;
                }
                None => {
                    problems.push(format!(
                        "`{shown}`: `{word}` is not a soarform subcommand (`soarform --help` lists {})",
                        help.subcommands.keys().cloned().collect::<Vec<_>>().join(", ")
                    ));
                    break;
                }
            }
        }
    }
    problems
}

/// Cuts a `#` comment off a shell line (a `#` starting a word, outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (index, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' && previous.is_whitespace() => return &line[..index],
            None => {}
        }
        previous = c;
    }
    line
}

fn unquote(text: &str) -> &str {
    text.trim_matches(|c| c == '\'' || c == '"')
}

fn mentions_exit_code(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("code") || text.contains("$?")
}

/// The exit codes a script branches on, with the text that does: `case` arms (`3)`, `0|2)`) and
/// comparisons of something named like an exit code (`"$exitcode" -eq 4`,
/// `steps.plan.outputs.exitcode != '2'`, `$? -ne 0`).
fn branched_exit_codes(script: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for line in script.lines() {
        let line = strip_comment(line).trim();
        // A case arm: `3)`, `0|2)`, `(4)`.
        if let Some((pattern, _)) = line.split_once(')') {
            let pattern = pattern.trim().trim_start_matches('(');
            let alternatives: Vec<&str> = pattern.split('|').map(str::trim).collect();
            if !pattern.is_empty()
                && alternatives.iter().all(|alternative| {
                    !alternative.is_empty() && alternative.chars().all(|c| c.is_ascii_digit())
                })
            {
                for alternative in alternatives {
                    found.push((alternative.parse().unwrap_or(u32::MAX), line.to_string()));
                }
            }
        }
        // Comparisons.
        let words: Vec<&str> = line.split_whitespace().collect();
        for (index, word) in words.iter().enumerate() {
            if !["-eq", "-ne", "-lt", "-le", "-gt", "-ge", "==", "!=", "==="].contains(word) {
                continue;
            }
            let (Some(left), Some(right)) = (
                index.checked_sub(1).and_then(|left| words.get(left)),
                words.get(index + 1),
            ) else {
                continue;
            };
            for (name, value) in [(left, right), (right, left)] {
                let value = unquote(value);
                if mentions_exit_code(name)
                    && !value.is_empty()
                    && value.chars().all(|c| c.is_ascii_digit())
                {
                    found.push((value.parse().unwrap_or(u32::MAX), line.to_string()));
                }
            }
        }
    }
    found
}

/// Everything wrong with one recipe file, each problem naming the file.
fn check_recipe(name: &str, content: &str, help: &Help) -> Vec<String> {
    let scanned = match scan(name, content) {
        Ok(scanned) => scanned,
        Err(problem) => return vec![problem],
    };
    let mut problems = Vec::new();
    for text in &scanned.texts {
        for words in invocations(text) {
            problems.extend(
                check_invocation(&words, help)
                    .into_iter()
                    .map(|problem| format!("{name}: {problem}")),
            );
        }
    }
    let codes = scanned
        .texts
        .iter()
        .flat_map(|text| branched_exit_codes(text))
        .chain(scanned.yaml_exit_codes);
    for (code, context) in codes {
        if !DOCUMENTED_EXIT_CODES.contains(&code) {
            problems.push(format!(
                "{name}: branches on exit code {code} (`{context}`), but soarform only exits with {}..={}",
                DOCUMENTED_EXIT_CODES.start(),
                DOCUMENTED_EXIT_CODES.end()
            ));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// Tests of the recipes

#[test]
fn recipes_use_only_documented_subcommands_flags_and_exit_codes() {
    let help = help();
    let mut problems = Vec::new();
    let mut invocation_count = 0;
    for (name, content) in recipes() {
        problems.extend(check_recipe(&name, &content, help));
        if let Ok(scanned) = scan(&name, &content) {
            invocation_count += scanned
                .texts
                .iter()
                .map(|text| invocations(text).len())
                .sum::<usize>();
        }
    }
    assert!(
        problems.is_empty(),
        "the CI recipes in examples/ci/ disagree with the binary:\n  {}",
        problems.join("\n  ")
    );
    assert!(
        invocation_count >= 8,
        "found only {invocation_count} soarform invocations in examples/ci/: is the scanner broken?"
    );
}

#[test]
fn recipe_yaml_parses() {
    let mut yaml_files = 0;
    for (name, content) in recipes().into_iter().filter(|(name, _)| is_yaml(name)) {
        yaml_files += 1;
        let documents = YamlLoader::load_from_str(&content)
            .unwrap_or_else(|error| panic!("{name}: the YAML does not parse: {error}"));
        assert_eq!(documents.len(), 1, "{name}: expected one YAML document");
        assert!(
            documents[0].as_hash().is_some(),
            "{name}: the top level is not a mapping"
        );
        assert_eq!(bad_value(&documents[0], ""), None, "{name}");
    }
    assert!(yaml_files >= 2, "expected the GitHub and GitLab recipes");
}

#[test]
fn github_workflow_has_the_expected_shape() {
    let content = std::fs::read_to_string(recipes_dir().join("github-actions.yml")).unwrap();
    let workflow = &YamlLoader::load_from_str(&content).unwrap()[0];
    for event in ["pull_request", "push", "schedule"] {
        assert!(
            !workflow["on"][event].is_badvalue(),
            "github-actions.yml: no `on: {event}`"
        );
    }
    let apply = &workflow["jobs"]["apply"];
    assert!(
        !apply["needs"].is_badvalue(),
        "the apply job needs the plan"
    );
    assert!(
        !apply["environment"].is_badvalue(),
        "the apply job has no environment"
    );
    assert!(
        !apply["concurrency"].is_badvalue() || !workflow["concurrency"].is_badvalue(),
        "no concurrency group serializes applies"
    );
    let pr = &workflow["jobs"]["plan-pr"]["permissions"];
    assert_eq!(pr["pull-requests"].as_str(), Some("write"));
    assert_eq!(pr["contents"].as_str(), Some("read"));
    assert!(content.contains(PLAN_MARKER));
}

#[test]
fn secrets_never_reach_a_command_line() {
    for (name, content) in recipes().into_iter().filter(|(name, _)| is_yaml(name)) {
        let scanned = scan(&name, &content).unwrap();
        for text in &scanned.texts {
            // GitHub: a secret is only ever the whole value of an `env:` entry.
            if text.contains("secrets.") {
                let inner = text
                    .trim()
                    .strip_prefix("${{")
                    .and_then(|rest| rest.strip_suffix("}}"))
                    .map(str::trim)
                    .and_then(|inner| inner.strip_prefix("secrets."));
                assert!(
                    inner.is_some_and(|secret| secret
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')),
                    "{name}: a secret used other than as an environment value: {text}"
                );
            }
            // Neither soarform nor curl gets a credential as an argument.
            for words in commands(text) {
                let program = words[0].rsplit('/').next().unwrap_or_default();
                if program != "soarform" && program != "curl" {
                    continue;
                }
                for word in &words[1..] {
                    assert!(
                        word == "--token-file"
                            || !["TOKEN", "ACCESS_KEY", "secrets.", "PRIVATE-TOKEN"]
                                .iter()
                                .any(|secret| word.contains(secret)),
                        "{name}: `{}` passes a credential on its command line",
                        words.join(" ")
                    );
                }
            }
        }
    }
}

#[test]
fn gitlab_pipeline_has_the_expected_shape() {
    let content = std::fs::read_to_string(recipes_dir().join("gitlab-ci.yml")).unwrap();
    let pipeline = &YamlLoader::load_from_str(&content).unwrap()[0];
    let jobs: Vec<(&str, &Yaml)> = pipeline
        .as_hash()
        .unwrap()
        .iter()
        .filter_map(|(name, job)| Some((name.as_str()?, job)))
        .filter(|(_, job)| !job["script"].is_badvalue())
        .collect();
    assert!(
        jobs.len() >= 4,
        "expected install, plan, apply and drift jobs"
    );
    let apply = &pipeline["apply"];
    assert!(
        !apply["resource_group"].is_badvalue(),
        "the apply job has no resource_group"
    );
    assert!(!apply["environment"].is_badvalue());
    assert!(content.contains(PLAN_MARKER));
}

#[test]
fn each_pipeline_covers_plan_apply_and_drift() {
    let pipelines = recipes()
        .into_iter()
        .filter(|(name, _)| is_yaml(name) && name != "../../action.yml");
    for (name, content) in pipelines {
        let scanned = scan(&name, &content).unwrap();
        let all: Vec<Vec<String>> = scanned
            .texts
            .iter()
            .flat_map(|text| invocations(text))
            .collect();
        let has = |subcommand: &str, flags: &[&str]| {
            all.iter().any(|words| {
                words.get(1).map(String::as_str) == Some(subcommand)
                    && flags
                        .iter()
                        .all(|flag| words.iter().any(|word| word == flag))
            })
        };
        assert!(
            has(
                "plan",
                &["--format", "markdown", "--out", "--detailed-exitcode"]
            ),
            "{name}: no `soarform plan --format markdown --out ... --detailed-exitcode`"
        );
        assert!(
            has("apply", &["--plan"]),
            "{name}: no `soarform apply --plan`"
        );
        assert!(
            has("plan", &["--expect-no-changes"]),
            "{name}: no drift check"
        );
        let codes: BTreeSet<u32> = scanned
            .texts
            .iter()
            .flat_map(|text| branched_exit_codes(text))
            .map(|(code, _)| code)
            .collect();
        for code in [0, 2, 3, 4] {
            assert!(
                codes.contains(&code),
                "{name}: does not branch on exit code {code} (found {codes:?})"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tests of the checker itself

#[test]
fn checker_catches_an_undocumented_flag() {
    let recipe = "jobs:\n  plan:\n    steps:\n      - run: |\n          soarform plan --out p.json \\\n            --frobnicate > plan.md\n";
    let problems = check_recipe("made-up.yml", recipe, help());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("`--frobnicate`"), "{problems:#?}");
    assert!(
        problems[0].contains("soarform plan --help"),
        "{problems:#?}"
    );

    // A flag of another subcommand is not good enough, nor one only mentioned in a description
    // (`plan --help` mentions `soarform apply --plan FILE`).
    let problems = check_recipe("x.sh", "soarform plan --plan p.json\n", help());
    assert!(
        problems.iter().any(|problem| problem.contains("`--plan`")),
        "{problems:#?}"
    );
    let problems = check_recipe("x.sh", "soarform apply --out=p.json -vq\n", help());
    assert!(
        problems.iter().any(|problem| problem.contains("`--out`")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|problem| problem.contains("`-q`")),
        "{problems:#?}"
    );

    // In GitLab's list form, in Markdown code, and after a path to the binary.
    let problems = check_recipe(
        "x.yml",
        "job:\n  script:\n    - $BIN/soarform apply --plan x --frobnicate\n",
        help(),
    );
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("`--frobnicate`"), "{problems:#?}");
    let problems = check_recipe("x.md", "Run `soarform plan --frobnicate`.\n", help());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let problems = check_recipe(
        "x.md",
        "```sh\nexport A=1\ncode=0; soarform validate --frobnicate || code=$?\n```\n",
        help(),
    );
    assert_eq!(problems.len(), 1, "{problems:#?}");
}

#[test]
fn checker_catches_an_unknown_subcommand() {
    let problems = check_recipe(
        "x.sh",
        "if soarform destroy --auto-approve; then :; fi\n",
        help(),
    );
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("`destroy` is not a soarform subcommand"));
}

#[test]
fn checker_accepts_documented_usage_and_ignores_non_invocations() {
    let recipe = r#"job:
  script:
    - |
      # soarform plan --frobnicate   (a comment)
      echo "soarform plan --frobnicate"   # an argument, not a command
      cargo install --locked --git "$GIT" soarform --frobnicate
      echo '<!-- soarform:plan -->' > soarform.yaml
      soarform --color never plan --format=markdown --out soarform.plan.json \
        --detailed-exitcode --target 'incident:phishing/*' 2>&1 > plan.md || exitcode=$?
      SOARFORM_URL=https://x env soarform -vv apply --plan soarform.plan.json examples
      v=$(soarform --version)
"#;
    assert_eq!(check_recipe("ok.yml", recipe, help()), Vec::<String>::new());
    let scanned = scan("ok.yml", recipe).unwrap();
    let found: Vec<String> = invocations(&scanned.texts[0])
        .iter()
        .map(|words| words.join(" "))
        .collect();
    assert_eq!(
        found,
        [
            "soarform --color never plan --format=markdown --out soarform.plan.json --detailed-exitcode --target incident:phishing/*",
            "soarform -vv apply --plan soarform.plan.json examples",
            "soarform --version",
        ]
    );
}

#[test]
fn checker_catches_undocumented_exit_codes() {
    let recipe = r#"job:
  if: steps.plan.outputs.exitcode == '7'
  script:
    - |
      case "$exitcode" in
        0|2) ;; # fine
        3) echo incomplete ;;
        5|6) echo never ;;
        *) exit 1 ;;
      esac
      [ "$code" -eq 4 ] && echo stale
      if [ $? -ne 9 ]; then :; fi
      [ "$(jq length < x.json)" -gt 100 ] || break   # not an exit code
      # 8) a comment, not an arm
  allow_failure:
    exit_codes: [2, 42]
"#;
    let problems = check_recipe("codes.yml", recipe, help());
    let bad: BTreeSet<String> = problems
        .iter()
        .filter_map(|problem| {
            problem
                .split("exit code ")
                .nth(1)?
                .split_whitespace()
                .next()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        bad,
        ["42", "5", "6", "7", "9"].map(String::from).into(),
        "{problems:#?}"
    );
}

#[test]
fn checker_reports_yaml_that_does_not_parse() {
    let problems = check_recipe("broken.yml", "jobs:\n  plan: [unclosed\n", help());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("does not parse"), "{problems:#?}");
}

/// Points a review found by reading the recipes: a drift check during an apply must wait for it
/// (else the apply's changes are reported as drift); a fork's merge request pipeline runs in the
/// fork, where `CI_PROJECT_ID` is the fork's too; a matrix of shards must not cancel shards
/// mid-apply when one fails.
#[test]
fn drift_waits_for_applies_forks_skip_the_plan_and_shards_are_not_cancelled() {
    let mut drift_checks = 0;
    for (name, content) in recipes() {
        for line in content.lines() {
            if line.contains("soarform plan --expect-no-changes") {
                drift_checks += 1;
                assert!(line.contains("--lock-timeout"), "{name}: {line}");
            }
        }
    }
    assert!(drift_checks >= 2, "{drift_checks}");
    let gitlab = std::fs::read_to_string(recipes_dir().join("gitlab-ci.yml")).unwrap();
    let rule = gitlab
        .lines()
        .find(|line| line.contains("$CI_MERGE_REQUEST_SOURCE_PROJECT_ID"))
        .expect("the merge request plan's rule");
    assert!(
        rule.contains("$CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_MERGE_REQUEST_PROJECT_ID"),
        "{rule}"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["README.md", "examples/ci/README.md"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut matrices = 0;
        for (at, line) in lines.iter().enumerate() {
            if line.trim() == "matrix:" {
                matrices += 1;
                assert!(
                    lines[at.saturating_sub(2)..at]
                        .iter()
                        .any(|line| line.trim().starts_with("fail-fast: false")),
                    "{file}:{}: a matrix without fail-fast: false",
                    at + 1
                );
            }
        }
        assert!(matrices > 0, "{file}: no matrix");
    }
}
