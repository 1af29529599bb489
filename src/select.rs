//! `--target` and `--exclude`: which declared objects a plan considers, by glob on their keys.
//!
//! `*` matches within one `/`-separated segment and `**` across segments, so `phishing/*` is every
//! key directly under `phishing/`. A pattern may start with `incident:` or `triage:` to match only
//! that kind. Exclusions win over targets.
//!
//! `--shard K/N` keeps the keys whose stable hash falls in shard K of N, so that N CI jobs, one
//! access key each, apply disjoint parts of one repository.

use globset::{Glob, GlobBuilder, GlobMatcher};
use sha2::{Digest, Sha256};

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

/// One of N disjoint parts of the keys (`--shard K/N`, K from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shard {
    /// Which part, from 1.
    pub index: u32,
    /// How many parts.
    pub count: u32,
}

impl Shard {
    /// Reads `K/N` with 1 <= K <= N.
    pub(crate) fn parse(text: &str) -> Result<Shard, String> {
        let expected = || format!("expected K/N with 1 <= K <= N, such as `2/4`, got `{text}`");
        let (index, count) = text.trim().split_once('/').ok_or_else(expected)?;
        let index: u32 = index.trim().parse().map_err(|_| expected())?;
        let count: u32 = count.trim().parse().map_err(|_| expected())?;
        if index == 0 || count == 0 || index > count {
            return Err(expected());
        }
        Ok(Shard { index, count })
    }

    /// Whether the object of this kind and key is in this shard: the first eight bytes of the
    /// SHA-256 of `incident:KEY` or `triage:KEY`, modulo N, equal K - 1. The same on every
    /// machine and in every version.
    pub(crate) fn contains(&self, kind: Kind, key: &str) -> bool {
        shard_of(kind, key, self.count) == self.index
    }

    /// `2/4`, as given.
    pub(crate) fn text(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

/// The shard (from 1) of N that a key falls in.
pub(crate) fn shard_of(kind: Kind, key: &str, count: u32) -> u32 {
    let prefix = match kind {
        Kind::Incident => "incident:",
        Kind::TriageItem => "triage:",
    };
    let digest = Sha256::new()
        .chain_update(prefix.as_bytes())
        .chain_update(key.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let bucket = u64::from_be_bytes(first) % u64::from(count.max(1));
    u32::try_from(bucket).unwrap_or(0) + 1
}

/// The objects chosen by `--target`, `--exclude` and `--shard`; everything when none is given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    targets: Vec<Pattern>,
    excludes: Vec<Pattern>,
    shard: Option<Shard>,
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
            shard: None,
        })
    }

    /// The same selection, within one shard.
    pub(crate) fn with_shard(mut self, shard: Option<Shard>) -> Selection {
        self.shard = shard;
        self
    }

    /// `--shard K/N` as given, when it was.
    pub(crate) fn shard_text(&self) -> Option<String> {
        self.shard.map(|shard| shard.text())
    }

    /// Whether `--target` or `--exclude` patterns were given.
    pub(crate) fn has_patterns(&self) -> bool {
        !self.targets.is_empty() || !self.excludes.is_empty()
    }

    /// Whether every declared object is selected.
    pub(crate) fn is_everything(&self) -> bool {
        self.targets.is_empty() && self.excludes.is_empty() && self.shard.is_none()
    }

    /// Whether the object with this kind and key is selected.
    pub(crate) fn matches(&self, kind: Kind, key: &str) -> bool {
        let targeted = self.targets.is_empty() || self.targets.iter().any(|p| p.matches(kind, key));
        targeted
            && !self.excludes.iter().any(|p| p.matches(kind, key))
            && self.shard.is_none_or(|shard| shard.contains(kind, key))
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
    fn shards_split_keys_into_disjoint_stable_parts() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        // Every key in exactly one of N shards, the parts about even.
        let keys: Vec<String> = (0..4000)
            .map(|n| format!("bench/incident-{n:05}"))
            .collect();
        let mut sizes = [0usize; 4];
        for key in &keys {
            let owners: Vec<u32> = (1..=4)
                .filter(|index| {
                    Shard {
                        index: *index,
                        count: 4,
                    }
                    .contains(Kind::Incident, key)
                })
                .collect();
            assert_eq!(owners.len(), 1, "{key}");
            sizes[owners[0] as usize - 1] += 1;
        }
        assert!(
            sizes.iter().all(|size| (900..=1100).contains(size)),
            "{sizes:?}"
        );
        // Fixed by the key's text: these never move between versions.
        // (The values of SHA-256 as any implementation computes them: Python's hashlib agrees.)
        assert_eq!(shard_of(Kind::Incident, "phishing/ceo-wire-fraud", 4), 3);
        assert_eq!(shard_of(Kind::Incident, "phishing/ceo-wire-fraud", 3), 1);
        assert_eq!(shard_of(Kind::TriageItem, "okta-7731", 4), 4);
        assert_eq!(shard_of(Kind::TriageItem, "okta-7731", 3), 3);
        assert!(Shard::parse("1/1")
            .unwrap()
            .contains(Kind::TriageItem, "anything"));
        let selection = Selection::default().with_shard(Some(Shard { index: 1, count: 2 }));
        assert!(!selection.is_everything());
    }

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
