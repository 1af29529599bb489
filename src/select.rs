//! `--target` and `--exclude`: which declared objects a plan considers, by glob on their keys.
//!
//! `*` matches within one `/`-separated segment and `**` across segments, so `phishing/*` is every
//! key directly under `phishing/`. A pattern may start with `incident:` or `triage:` to match only
//! that kind. Exclusions win over targets.

use globset::{Glob, GlobBuilder, GlobMatcher};

use crate::kind::Kind;

/// One compiled pattern.
#[derive(Debug, Clone)]
struct Pattern {
    text: String,
    kind: Option<Kind>,
    matcher: GlobMatcher,
}

impl Pattern {
    fn parse(text: &str) -> Result<Pattern, String> {
        let (kind, glob) = match text.split_once(':') {
            Some(("incident", rest)) => (Some(Kind::Incident), rest),
            Some(("triage", rest)) => (Some(Kind::TriageItem), rest),
            _ => (None, text),
        };
        if glob.is_empty() {
            return Err(format!("the pattern `{text}` is empty"));
        }
        let compiled: Glob = GlobBuilder::new(glob)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|error| format!("the pattern `{text}` is not a glob: {}", error.kind()))?;
        Ok(Pattern {
            text: text.to_string(),
            kind,
            matcher: compiled.compile_matcher(),
        })
    }

    fn matches(&self, kind: Kind, key: &str) -> bool {
        self.kind.is_none_or(|wanted| wanted == kind) && self.matcher.is_match(key)
    }
}

/// The objects chosen by `--target` and `--exclude`; everything when neither is given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    targets: Vec<Pattern>,
    excludes: Vec<Pattern>,
}

impl Selection {
    /// Compiles the patterns; the error names the first bad one.
    pub(crate) fn new(targets: &[String], excludes: &[String]) -> Result<Selection, String> {
        let compile = |patterns: &[String], flag: &str| -> Result<Vec<Pattern>, String> {
            patterns
                .iter()
                .map(|text| Pattern::parse(text).map_err(|error| format!("{flag}: {error}")))
                .collect()
        };
        Ok(Selection {
            targets: compile(targets, "--target")?,
            excludes: compile(excludes, "--exclude")?,
        })
    }

    /// Whether every declared object is selected.
    pub(crate) fn is_everything(&self) -> bool {
        self.targets.is_empty() && self.excludes.is_empty()
    }

    /// Whether the object with this kind and key is selected.
    pub(crate) fn matches(&self, kind: Kind, key: &str) -> bool {
        let targeted = self.targets.is_empty() || self.targets.iter().any(|p| p.matches(kind, key));
        targeted && !self.excludes.iter().any(|p| p.matches(kind, key))
    }

    /// The patterns (as given, with their flag) that match none of `objects`: most likely typos.
    pub(crate) fn unused<'a>(
        &self,
        objects: impl Iterator<Item = (Kind, &'a str)> + Clone,
    ) -> Vec<String> {
        let flagged = self
            .targets
            .iter()
            .map(|pattern| ("--target", pattern))
            .chain(self.excludes.iter().map(|pattern| ("--exclude", pattern)));
        flagged
            .filter(|(_, pattern)| {
                !objects
                    .clone()
                    .any(|(kind, key)| pattern.matches(kind, key))
            })
            .map(|(flag, pattern)| format!("{flag} {}", pattern.text))
            .collect()
    }
}

/// `prune_scope` of soarform.yaml: the keys retirement may consider, with the same pattern syntax
/// as `--target`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    patterns: Vec<Pattern>,
}

impl Scope {
    /// Compiles the patterns; the error names the bad one.
    pub(crate) fn new(patterns: &[String]) -> Result<Scope, String> {
        Ok(Scope {
            patterns: patterns
                .iter()
                .map(|text| Pattern::parse(text))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether no pattern is given (then nothing is in scope).
    pub(crate) fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether a key of `kind` is in scope.
    pub(crate) fn matches(&self, kind: Kind, key: &str) -> bool {
        self.patterns
            .iter()
            .any(|pattern| pattern.matches(kind, key))
    }

    /// The literal prefixes of the patterns that apply to `kind` (the text before the first glob
    /// character), for a server-side prefix search; an empty prefix means every key. Prefixes
    /// covered by a shorter one are left out.
    pub(crate) fn prefixes(&self, kind: Kind) -> Vec<String> {
        let mut prefixes: Vec<String> = self
            .patterns
            .iter()
            .filter(|pattern| pattern.kind.is_none_or(|wanted| wanted == kind))
            .map(|pattern| {
                let glob = pattern.matcher.glob().glob();
                let end = glob.find(['*', '?', '[', '{', '\\']).unwrap_or(glob.len());
                glob[..end].to_string()
            })
            .collect();
        prefixes.sort();
        prefixes.dedup();
        let mut kept: Vec<String> = Vec::new();
        for prefix in prefixes {
            if !kept
                .iter()
                .any(|shorter| prefix.starts_with(shorter.as_str()))
            {
                kept.push(prefix);
            }
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_gives_the_literal_prefixes_of_its_patterns() {
        let scope = Scope::new(&[
            "phishing/**".to_string(),
            "phishing/old/*".to_string(),
            "incident:malware/x?".to_string(),
            "triage:okta-*".to_string(),
        ])
        .unwrap();
        assert_eq!(scope.prefixes(Kind::Incident), ["malware/x", "phishing/"]);
        assert_eq!(scope.prefixes(Kind::TriageItem), ["okta-", "phishing/"]);
        assert!(scope.matches(Kind::Incident, "phishing/a/b"));
        assert!(!scope.matches(Kind::TriageItem, "malware/x1"));
        assert!(!Scope::default().matches(Kind::Incident, "anything"));
        assert_eq!(
            Scope::new(&["*".into()]).unwrap().prefixes(Kind::Incident),
            [""]
        );
    }

    fn select(targets: &[&str], excludes: &[&str]) -> Selection {
        let owned = |patterns: &[&str]| patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        Selection::new(&owned(targets), &owned(excludes)).unwrap()
    }

    #[test]
    fn nothing_given_selects_everything() {
        let selection = select(&[], &[]);
        assert!(selection.is_everything());
        assert!(selection.matches(Kind::Incident, "phishing/a"));
    }

    #[test]
    fn a_star_stays_within_one_segment() {
        let selection = select(&["phishing/*"], &[]);
        assert!(selection.matches(Kind::Incident, "phishing/a"));
        assert!(!selection.matches(Kind::Incident, "phishing/2026/a"));
        assert!(!selection.matches(Kind::Incident, "malware/a"));
        let deep = select(&["phishing/**"], &[]);
        assert!(deep.matches(Kind::Incident, "phishing/2026/a"));
    }

    #[test]
    fn excludes_win_over_targets() {
        let selection = select(&["phishing/**"], &["phishing/test-*"]);
        assert!(selection.matches(Kind::TriageItem, "phishing/real"));
        assert!(!selection.matches(Kind::TriageItem, "phishing/test-1"));
    }

    #[test]
    fn a_kind_prefix_limits_the_pattern_to_that_kind() {
        let selection = select(&["triage:**"], &[]);
        assert!(selection.matches(Kind::TriageItem, "triage/x"));
        assert!(!selection.matches(Kind::Incident, "triage/x"));
    }

    #[test]
    fn bad_and_unused_patterns_are_reported() {
        let error = Selection::new(&["phishing/[a".to_string()], &[]).unwrap_err();
        assert!(
            error.starts_with("--target: the pattern `phishing/[a`"),
            "{error}"
        );
        let selection = select(&["phishing/*", "typo/*"], &["nothing"]);
        let objects = [(Kind::Incident, "phishing/a")];
        assert_eq!(
            selection.unused(objects.iter().copied()),
            ["--target typo/*", "--exclude nothing"]
        );
    }
}
