//! The search filter language: `field:"value"` (exact), `field:"prefix*"` (prefix), terms joined by
//! `OR`. Inside quotes `\"` and `\\` are the only escapes. An empty filter matches everything.

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
}

/// One `field:"..."` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    /// The API name of the field the term tests.
    pub(crate) field: String,
    pub(crate) pattern: Pattern,
}

/// What a term's quoted value asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// The display value equals this string (case-sensitive).
    Exact(String),
    /// The display value starts with this string (a trailing `*` in the filter).
    Prefix(String),
}

/// Why a filter could not be parsed; `position` counts characters from the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilterError {
    pub(crate) position: usize,
    pub(crate) message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at character {}", self.message, self.position)
    }
}

impl Filter {
    /// Parses `text`; whitespace-only text is the empty filter.
    pub(crate) fn parse(text: &str) -> Result<Filter, FilterError> {
        Parser {
            characters: text.chars().collect(),
            position: 0,
        }
        .filter()
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

struct Parser {
    characters: Vec<char>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.characters.get(self.position).copied()
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError {
            position: self.position,
            message: message.into(),
        })
    }

    /// Skips whitespace and says whether there was any.
    fn skip_whitespace(&mut self) -> bool {
        let start = self.position;
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
        self.position > start
    }

    fn filter(mut self) -> Result<Filter, FilterError> {
        let mut terms = Vec::new();
        self.skip_whitespace();
        if self.peek().is_none() {
            return Ok(Filter::new(terms));
        }
        loop {
            terms.push(self.term()?);
            let separated = self.skip_whitespace();
            if self.peek().is_none() {
                return Ok(Filter::new(terms));
            }
            let word = self.word();
            if word != "OR" {
                let found = if word.is_empty() {
                    self.peek().map(String::from).unwrap_or_default()
                } else {
                    word
                };
                return self.error(format!("expected `OR` between terms, found `{found}`"));
            }
            if !separated {
                return self.error("expected whitespace before `OR`");
            }
            self.position += 2;
            if !self.skip_whitespace() {
                return self.error("expected whitespace after `OR`");
            }
        }
    }

    /// The run of field-name characters at the current position, without consuming it.
    fn word(&self) -> String {
        self.characters[self.position..]
            .iter()
            .take_while(|character| character.is_ascii_alphanumeric() || **character == '_')
            .collect()
    }

    fn term(&mut self) -> Result<Term, FilterError> {
        let field = self.word();
        if field.is_empty() {
            return match self.peek() {
                None => self.error("expected a field name, found the end of the filter"),
                Some(found) => self.error(format!("expected a field name, found `{found}`")),
            };
        }
        self.position += field.chars().count();
        if self.peek() != Some(':') {
            return self.error(format!("expected `:` after field `{field}`"));
        }
        self.position += 1;
        if self.peek() != Some('"') {
            return self.error(format!("expected a quoted value after `{field}:`"));
        }
        self.position += 1;
        let start = self.position - 1;
        let mut value = String::new();
        // Only an unescaped trailing `*` makes a prefix; escapes cannot produce one.
        let mut trailing_star = false;
        loop {
            let Some(character) = self.peek() else {
                return Err(FilterError {
                    position: start,
                    message: format!("unterminated quoted value for `{field}`"),
                });
            };
            self.position += 1;
            match character {
                '"' => break,
                '\\' => match self.peek() {
                    Some(escaped @ ('"' | '\\')) => {
                        self.position += 1;
                        value.push(escaped);
                        trailing_star = false;
                    }
                    Some(other) => {
                        self.position -= 1;
                        return self.error(format!(
                            "unsupported escape `\\{other}` (only `\\\"` and `\\\\` are allowed)"
                        ));
                    }
                    None => continue,
                },
                other => {
                    value.push(other);
                    trailing_star = other == '*';
                }
            }
        }
        let pattern = if trailing_star {
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

    fn parse(text: &str) -> Vec<Term> {
        match Filter::parse(text) {
            Ok(filter) => filter.terms,
            Err(error) => panic!("`{text}` did not parse: {error}"),
        }
    }

    fn parse_error(text: &str) -> String {
        match Filter::parse(text) {
            Ok(filter) => panic!("`{text}` parsed as {filter:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn empty_and_blank_filters_have_no_terms() {
        assert_eq!(parse(""), vec![]);
        assert_eq!(parse("  \t "), vec![]);
    }

    #[test]
    fn parses_exact_prefix_and_or() {
        assert_eq!(parse(r#"incidentid:"a""#), vec![exact("incidentid", "a")]);
        assert_eq!(
            parse(r#" incidentid:"a" OR incidentid:"b*"  OR opt_3:"" "#),
            vec![
                exact("incidentid", "a"),
                prefix("incidentid", "b"),
                exact("opt_3", "")
            ]
        );
        assert_eq!(parse(r#"status:"*""#), vec![prefix("status", "")]);
        assert_eq!(parse(r#"status:"a*b""#), vec![exact("status", "a*b")]);
    }

    #[test]
    fn unescapes_quotes_and_backslashes() {
        assert_eq!(
            parse(r#"description:"say \"hi\" \\ bye""#),
            vec![exact("description", r#"say "hi" \ bye"#)]
        );
        assert_eq!(parse(r#"opt_1:"x\\*""#), vec![prefix("opt_1", r"x\")]);
    }

    #[test]
    fn rejects_malformed_filters_with_a_position() {
        assert_eq!(
            parse_error(r#"incidentid:"a"#),
            "unterminated quoted value for `incidentid` at character 11"
        );
        assert_eq!(
            parse_error(r#"incidentid="a""#),
            "expected `:` after field `incidentid` at character 10"
        );
        assert_eq!(
            parse_error("incidentid:a"),
            "expected a quoted value after `incidentid:` at character 11"
        );
        assert_eq!(
            parse_error(r#"a:"x" AND b:"y""#),
            "expected `OR` between terms, found `AND` at character 6"
        );
        assert_eq!(
            parse_error(r#"a:"x" or b:"y""#),
            "expected `OR` between terms, found `or` at character 6"
        );
        assert_eq!(
            parse_error(r#"a:"x" OR"#),
            "expected whitespace after `OR` at character 8"
        );
        assert_eq!(
            parse_error(r#"a:"x" OR "#),
            "expected a field name, found the end of the filter at character 9"
        );
        assert_eq!(
            parse_error(r#"a:"x"OR b:"y""#),
            "expected whitespace before `OR` at character 5"
        );
        assert_eq!(
            parse_error(r#"a:"x" b:"y""#),
            "expected `OR` between terms, found `b` at character 6"
        );
        assert_eq!(
            parse_error(r#"a:"\n""#),
            r#"unsupported escape `\n` (only `\"` and `\\` are allowed) at character 3"#
        );
        assert_eq!(
            parse_error(r#""a""#),
            r#"expected a field name, found `"` at character 0"#
        );
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
    }
}
