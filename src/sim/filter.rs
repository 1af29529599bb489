//! The simulator's search filters, parsed here on their own rather than with the client's
//! `crate::filter`: an escaping mistake shared by both sides would otherwise cancel out and stay
//! invisible to every test.
//!
//! The language (DESIGN.md, "API profile"): `field:"value"` matches exactly, `field:"prefix*"`
//! matches a prefix, and terms are joined by ` OR ` (white space on both sides). Fields are API
//! names (ASCII letters, digits and `_`) with the `:` and the opening quote right after them.
//! Inside the quotes `\"` and `\\` are the only escapes, and only an unescaped `*` right before
//! the closing quote makes a prefix. Objects are matched by the display values of their fields;
//! an empty (or blank) filter matches everything.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// A parsed filter: any one matching term selects an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    terms: Vec<Term>,
    /// Per field, the values of its exact terms and its prefixes: an object's value of each field
    /// is computed once and looked up, so a search for 500 keys costs one lookup per object, not
    /// 500 comparisons.
    by_field: BTreeMap<String, FieldTerms>,
}

/// One `field:"..."` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    /// The field's API name.
    pub(crate) field: String,
    pub(crate) pattern: Pattern,
}

/// What a term's quoted value asks for, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// The display value equals this string (case-sensitive).
    Exact(String),
    /// The display value starts with this string.
    Prefix(String),
}

/// Why a filter could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilterError {
    /// Where, in characters counted from 1 (one past the last character: at the end).
    position: usize,
    message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} at character {}", self.message, self.position)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct FieldTerms {
    exact: HashSet<String>,
    prefixes: Vec<String>,
}

impl Filter {
    fn new(terms: Vec<Term>) -> Filter {
        let mut by_field: BTreeMap<String, FieldTerms> = BTreeMap::new();
        for term in &terms {
            let entry = by_field.entry(term.field.clone()).or_default();
            match &term.pattern {
                Pattern::Exact(value) => {
                    entry.exact.insert(value.clone());
                }
                Pattern::Prefix(prefix) => entry.prefixes.push(prefix.clone()),
            }
        }
        Filter { terms, by_field }
    }

    /// Parses `text`, fields by API name; whitespace-only text is the empty filter.
    pub(crate) fn parse(text: &str) -> Result<Filter, FilterError> {
        let mut scanner = Scanner::new(text);
        let mut terms = Vec::new();
        scanner.skip_spaces();
        while !scanner.at_end() {
            if !terms.is_empty() {
                scanner.separator()?;
            }
            terms.push(scanner.term()?);
            scanner.skip_spaces();
        }
        Ok(Filter::new(terms))
    }

    /// The terms, in the order written.
    pub(crate) fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Whether an object matches, given the display value of each of its fields (`None` when
    /// unset; an unset field matches no term).
    pub(crate) fn matches(&self, display_value: impl Fn(&str) -> Option<String>) -> bool {
        self.terms.is_empty()
            || self.by_field.iter().any(|(field, terms)| {
                display_value(field).is_some_and(|value| {
                    terms.exact.contains(&value)
                        || terms
                            .prefixes
                            .iter()
                            .any(|prefix| value.starts_with(prefix.as_str()))
                })
            })
    }
}

/// Reads a filter's text one character at a time, counting characters for error positions.
struct Scanner<'text> {
    rest: std::iter::Peekable<std::str::Chars<'text>>,
    /// How many characters have been consumed.
    consumed: usize,
    /// Whether the last [`Scanner::skip_spaces`] skipped anything.
    spaced: bool,
}

impl<'text> Scanner<'text> {
    fn new(text: &'text str) -> Scanner<'text> {
        Scanner {
            rest: text.chars().peekable(),
            consumed: 0,
            spaced: false,
        }
    }

    fn at_end(&mut self) -> bool {
        self.rest.peek().is_none()
    }

    fn next_is(&mut self, wanted: char) -> bool {
        self.rest.peek() == Some(&wanted)
    }

    fn bump(&mut self) -> Option<char> {
        let character = self.rest.next()?;
        self.consumed += 1;
        Some(character)
    }

    /// An error about the character at `index` (counted from 0).
    fn error_at<T>(index: usize, message: String) -> Result<T, FilterError> {
        Err(FilterError {
            position: index + 1,
            message,
        })
    }

    /// An error about the next character.
    fn error<T>(&self, message: String) -> Result<T, FilterError> {
        Self::error_at(self.consumed, message)
    }

    /// What stands next, for messages: the next character, or "the end of the filter".
    fn found(&mut self) -> String {
        match self.rest.peek() {
            Some(character) => format!("`{character}`"),
            None => "the end of the filter".to_string(),
        }
    }

    fn skip_spaces(&mut self) {
        self.spaced = false;
        while self
            .rest
            .peek()
            .is_some_and(|character| character.is_whitespace())
        {
            self.bump();
            self.spaced = true;
        }
    }

    /// A run of API-name characters, consumed (empty when there is none).
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(&character) = self.rest.peek() {
            if !(character.is_ascii_alphanumeric() || character == '_') {
                break;
            }
            name.push(character);
            self.bump();
        }
        name
    }

    /// The ` OR ` between two terms; the white space before it has been skipped already.
    fn separator(&mut self) -> Result<(), FilterError> {
        let spaced_before = self.spaced;
        let start = self.consumed;
        let word = self.name();
        if word != "OR" {
            let found = if word.is_empty() {
                self.found()
            } else {
                format!("`{word}`")
            };
            return Self::error_at(start, format!("expected `OR` between terms, found {found}"));
        }
        if !spaced_before {
            return Self::error_at(start, "expected whitespace before `OR`".to_string());
        }
        self.skip_spaces();
        if !self.spaced {
            return self.error("expected whitespace after `OR`".to_string());
        }
        Ok(())
    }

    fn term(&mut self) -> Result<Term, FilterError> {
        let field = self.name();
        if field.is_empty() {
            let found = self.found();
            return self.error(format!("expected a field name, found {found}"));
        }
        if !self.next_is(':') {
            return self.error(format!("expected `:` after field `{field}`"));
        }
        self.bump();
        if !self.next_is('"') {
            return self.error(format!("expected a quoted value after `{field}:`"));
        }
        let opening = self.consumed;
        self.bump();
        let mut value = String::new();
        // Set by a `*` read as itself, cleared by anything after it: an escaped character never
        // makes a prefix, and neither does a `*` with more text behind it.
        let mut ends_in_wildcard = false;
        loop {
            match self.bump() {
                None => {
                    return Self::error_at(
                        opening,
                        format!("unterminated quoted value for `{field}`"),
                    )
                }
                Some('"') => break,
                Some('\\') => match self.bump() {
                    Some(escaped @ ('"' | '\\')) => {
                        value.push(escaped);
                        ends_in_wildcard = false;
                    }
                    Some(other) => {
                        let message = format!(
                            "unsupported escape `\\{other}` (only `\\\"` and `\\\\` are allowed)"
                        );
                        return Self::error_at(self.consumed - 2, message);
                    }
                    None => {
                        return Self::error_at(
                            opening,
                            format!("unterminated quoted value for `{field}`"),
                        )
                    }
                },
                Some(character) => {
                    value.push(character);
                    ends_in_wildcard = character == '*';
                }
            }
        }
        let pattern = if ends_in_wildcard {
            value.pop();
            Pattern::Prefix(value)
        } else {
            Pattern::Exact(value)
        };
        Ok(Term { field, pattern })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(field: &str, value: &str) -> Term {
        Term {
            field: field.into(),
            pattern: Pattern::Exact(value.into()),
        }
    }

    fn prefix(field: &str, value: &str) -> Term {
        Term {
            field: field.into(),
            pattern: Pattern::Prefix(value.into()),
        }
    }

    fn terms(text: &str) -> Vec<Term> {
        match Filter::parse(text) {
            Ok(filter) => filter.terms().to_vec(),
            Err(error) => panic!("`{text}` did not parse: {error}"),
        }
    }

    fn error(text: &str) -> String {
        match Filter::parse(text) {
            Ok(filter) => panic!("`{text}` parsed: {:?}", filter.terms()),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn parses_fields_by_api_name_only() {
        assert_eq!(
            terms(r#"incidentid:"a" OR opt_3:"Fin*""#),
            [exact("incidentid", "a"), prefix("opt_3", "Fin")]
        );
        assert_eq!(
            error(r#"Business unit:"Finance""#),
            "expected `:` after field `Business` at character 9"
        );
        assert_eq!(
            error(r#"incident_kind : "Phishing""#),
            "expected `:` after field `incident_kind` at character 14"
        );
        assert_eq!(
            error(r#"incident_kind: "Phishing""#),
            "expected a quoted value after `incident_kind:` at character 15"
        );
    }

    #[test]
    fn blank_filters_have_no_terms_and_white_space_surrounds_or() {
        assert_eq!(terms(""), []);
        assert_eq!(terms(" \t\n "), []);
        assert_eq!(
            terms(" incidentid:\"a\"\tOR\n incidentid:\"b*\"  OR opt_3:\"\" "),
            [
                exact("incidentid", "a"),
                prefix("incidentid", "b"),
                exact("opt_3", "")
            ]
        );
    }

    #[test]
    fn only_an_unescaped_trailing_star_makes_a_prefix() {
        assert_eq!(terms(r#"status:"*""#), [prefix("status", "")]);
        assert_eq!(terms(r#"status:"a*b""#), [exact("status", "a*b")]);
        assert_eq!(terms(r#"status:"**""#), [prefix("status", "*")]);
        assert_eq!(terms(r#"status:"*a""#), [exact("status", "*a")]);
        // An escaped backslash before the star leaves the star unescaped.
        assert_eq!(terms(r#"opt_1:"x\\*""#), [prefix("opt_1", r"x\")]);
        assert_eq!(terms(r#"opt_1:"x*\\""#), [exact("opt_1", r"x*\")]);
        assert_eq!(terms(r#"opt_1:"x*\"""#), [exact("opt_1", r#"x*""#)]);
    }

    #[test]
    fn unescapes_quotes_and_backslashes() {
        assert_eq!(
            terms(r#"description:"say \"hi\" \\ bye""#),
            [exact("description", r#"say "hi" \ bye"#)]
        );
        assert_eq!(terms(r#"opt_1:"\\\"""#), [exact("opt_1", r#"\""#)]);
    }

    /// The filters the client sends for awkward keys, as `observe::escape` and
    /// `observe::key_filter` write them (`\` -> `\\`, `"` -> `\"`, terms joined by ` OR `), spelled
    /// out here rather than computed with the client's code, so that a mistake on either side
    /// shows.
    #[test]
    fn reads_the_client_filters_for_awkward_keys_back_as_the_keys() {
        let cases: [(&str, &[Term]); 9] = [
            (
                r#"incidentid:"say \"hi\"""#,
                &[exact("incidentid", r#"say "hi""#)],
            ),
            (
                r#"incidentid:"C:\\temp\\""#,
                &[exact("incidentid", r"C:\temp\")],
            ),
            (r#"incidentid:"a\\\"b""#, &[exact("incidentid", r#"a\"b"#)]),
            (r#"incidentid:"\"""#, &[exact("incidentid", r#"""#)]),
            (r#"incidentid:"\\""#, &[exact("incidentid", r"\")]),
            (
                r#"incidentid:"x OR incidentid:\"y\"""#,
                &[exact("incidentid", r#"x OR incidentid:"y""#)],
            ),
            (
                r#"opt_1:"a OR b" OR opt_1:"c\\ OR \"d\"""#,
                &[exact("opt_1", "a OR b"), exact("opt_1", r#"c\ OR "d""#)],
            ),
            (
                r#"incidentid:"a*b" OR incidentid:"phishing/é ü""#,
                &[
                    exact("incidentid", "a*b"),
                    exact("incidentid", "phishing/é ü"),
                ],
            ),
            // `escape` leaves `*` alone, so a key ending in one is sent as a prefix: the client
            // keeps only objects whose identity field really holds the key (`observe`), and
            // manifest keys cannot hold `*` at all.
            (r#"incidentid:"a*""#, &[prefix("incidentid", "a")]),
        ];
        for (text, expected) in cases {
            assert_eq!(terms(text), expected, "{text}");
        }
    }

    #[test]
    fn rejects_malformed_filters_with_a_position() {
        let problems = [
            (
                r#"incidentid:"a"#,
                "unterminated quoted value for `incidentid` at character 12",
            ),
            (
                r#"incidentid:"a\"#,
                "unterminated quoted value for `incidentid` at character 12",
            ),
            (
                r#"incidentid:"a\""#,
                "unterminated quoted value for `incidentid` at character 12",
            ),
            (
                r#"incidentid="a""#,
                "expected `:` after field `incidentid` at character 11",
            ),
            (
                "incidentid:a",
                "expected a quoted value after `incidentid:` at character 12",
            ),
            (
                r#"a:"x" AND b:"y""#,
                "expected `OR` between terms, found `AND` at character 7",
            ),
            (
                r#"a:"x" or b:"y""#,
                "expected `OR` between terms, found `or` at character 7",
            ),
            (
                r#"a:"x" OR"#,
                "expected whitespace after `OR` at character 9",
            ),
            (
                r#"a:"x" OR "#,
                "expected a field name, found the end of the filter at character 10",
            ),
            (
                r#"a:"x"OR b:"y""#,
                "expected whitespace before `OR` at character 6",
            ),
            (
                r#"a:"x" b:"y""#,
                "expected `OR` between terms, found `b` at character 7",
            ),
            (
                r#"a:"x" "y""#,
                r#"expected `OR` between terms, found `"` at character 7"#,
            ),
            (
                r#"a:"\n""#,
                r#"unsupported escape `\n` (only `\"` and `\\` are allowed) at character 4"#,
            ),
            (
                r#"a:"\*""#,
                r#"unsupported escape `\*` (only `\"` and `\\` are allowed) at character 4"#,
            ),
            (
                r#""a""#,
                r#"expected a field name, found `"` at character 1"#,
            ),
            (
                r#"é:"a""#,
                "expected a field name, found `é` at character 1",
            ),
        ];
        for (text, problem) in problems {
            assert_eq!(error(text), problem, "{text}");
        }
    }

    #[test]
    fn matches_any_term_against_display_values() {
        let filter = Filter::parse(r#"incidentid:"phishing/a" OR opt_3:"Fin*""#).expect("parses");
        let object = |incidentid: &'static str, unit: Option<&'static str>| {
            move |field: &str| match field {
                "incidentid" => Some(incidentid.to_string()),
                "opt_3" => unit.map(String::from),
                _ => None,
            }
        };
        assert!(filter.matches(object("phishing/a", None)));
        assert!(filter.matches(object("other", Some("Finance"))));
        assert!(!filter.matches(object("phishing/ab", Some("Legal"))));
        assert!(!filter.matches(object("Phishing/a", None)));
        assert!(Filter::parse("").expect("parses").matches(|_| None));
        assert!(!Filter::parse(r#"opt_3:"*""#)
            .expect("parses")
            .matches(|_| None));
        let quoted = Filter::parse(r#"incidentid:"say \"hi\"""#).expect("parses");
        assert!(quoted.matches(|_| Some(r#"say "hi""#.to_string())));
        assert!(!quoted.matches(|_| Some(r#"say \"hi\""#.to_string())));
    }
}
