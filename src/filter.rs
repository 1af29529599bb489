//! The search filter language of `export --filter`, and the escaping of the filters soarform
//! sends: `field:"value"` (exact), `field:"prefix*"` (prefix), terms joined by ` OR `. A field is an
//! API name or a label (labels may hold spaces): everything up to the `:`, trimmed, non-empty and
//! without `"`; white space may stand before and after the `:`. Inside quotes `\"` and `\\` are
//! the only escapes, and only an unescaped trailing `*` makes a prefix. Blank text has no terms.
//! The simulator parses filters on its own (`sim/filter.rs`), so that an escaping mistake here
//! cannot hide itself by being made twice.

use std::fmt;

/// One `field:"..."` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    /// The field as written, trimmed.
    pub field: String,
    pub pattern: Pattern,
}

/// What a term's quoted value asks for, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// The value equals this string (case-sensitive).
    Exact(String),
    /// The value starts with this string (a trailing `*` in the filter).
    Prefix(String),
}

/// The term as query text: `field:"value"` or `field:"prefix*"`, `\` and `"` escaped again.
impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pattern {
            Pattern::Exact(value) => write!(f, "{}:\"{}\"", self.field, escape(value)),
            Pattern::Prefix(prefix) => write!(f, "{}:\"{}*\"", self.field, escape(prefix)),
        }
    }
}

/// Why a filter could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilterError {
    /// Where, in characters counted from 1 (one past the last character: at the end).
    pub position: usize,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at character {}", self.message, self.position)
    }
}

impl std::error::Error for FilterError {}

/// Splits `text` into its terms, in the order written; whitespace-only text has none.
pub(crate) fn parse(text: &str) -> Result<Vec<Term>, FilterError> {
    Parser {
        characters: text.chars().collect(),
        position: 0,
    }
    .terms()
}

struct Parser {
    characters: Vec<char>,
    /// The index of the next character.
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.characters.get(self.position).copied()
    }

    fn error_at<T>(&self, index: usize, message: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError {
            position: index + 1,
            message: message.into(),
        })
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, FilterError> {
        self.error_at(self.position, message)
    }

    /// Skips whitespace and says whether there was any.
    fn skip_whitespace(&mut self) -> bool {
        let start = self.position;
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
        self.position > start
    }

    fn terms(mut self) -> Result<Vec<Term>, FilterError> {
        let mut terms = Vec::new();
        self.skip_whitespace();
        if self.peek().is_none() {
            return Ok(terms);
        }
        loop {
            terms.push(self.term()?);
            let separated = self.skip_whitespace();
            if self.peek().is_none() {
                return Ok(terms);
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

    /// The run of API-name characters at the current position, without consuming it.
    fn word(&self) -> String {
        self.characters[self.position..]
            .iter()
            .take_while(|character| character.is_ascii_alphanumeric() || **character == '_')
            .collect()
    }

    /// The field name at the current position (empty when there is none), consumed.
    fn field(&mut self) -> String {
        let start = self.position;
        while self
            .peek()
            .is_some_and(|character| !matches!(character, ':' | '"'))
        {
            self.position += 1;
        }
        let field: String = self.characters[start..self.position].iter().collect();
        field.trim().to_string()
    }

    fn term(&mut self) -> Result<Term, FilterError> {
        let start = self.position;
        let field = self.field();
        if field.is_empty() {
            return match self.characters.get(start) {
                None => self.error_at(start, "expected a field name, found the end of the filter"),
                Some(found) => {
                    self.error_at(start, format!("expected a field name, found `{found}`"))
                }
            };
        }
        if self.peek() != Some(':') {
            return self.error(format!("expected `:` after field `{field}`"));
        }
        self.position += 1;
        self.skip_whitespace();
        if self.peek() != Some('"') {
            return self.error(format!("expected a quoted value after `{field}:`"));
        }
        let opening = self.position;
        self.position += 1;
        let mut value = String::new();
        // Only an unescaped trailing `*` makes a prefix; escapes cannot produce one.
        let mut trailing_star = false;
        loop {
            let Some(character) = self.peek() else {
                return self.error_at(opening, format!("unterminated quoted value for `{field}`"));
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
                        return self.error_at(
                            self.position - 1,
                            format!(
                                "unsupported escape `\\{other}` (only `\\\"` and `\\\\` are allowed)"
                            ),
                        );
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

/// A value escaped for a quoted filter term (`\\` and `\"`). The language has no escape for a
/// trailing `*`, so a value ending in `*` can only be matched as a prefix: soarform searches by
/// key, and keys (`KEY_PATTERN`) never hold a `*`.
pub(crate) fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
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

    fn parse_as(text: &str) -> Vec<Term> {
        match parse(text) {
            Ok(terms) => terms,
            Err(error) => panic!("`{text}` did not parse: {error}"),
        }
    }

    fn error_of(text: &str) -> String {
        match parse(text) {
            Ok(terms) => panic!("`{text}` parsed: {terms:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn empty_and_blank_filters_have_no_terms() {
        assert_eq!(parse_as(""), vec![]);
        assert_eq!(parse_as("  \t "), vec![]);
    }

    #[test]
    fn parses_exact_prefix_and_or() {
        assert_eq!(
            parse_as(r#"incidentid:"a""#),
            vec![exact("incidentid", "a")]
        );
        assert_eq!(
            parse_as(r#" incidentid:"a" OR incidentid:"b*"  OR opt_3:"" "#),
            vec![
                exact("incidentid", "a"),
                prefix("incidentid", "b"),
                exact("opt_3", "")
            ]
        );
        assert_eq!(parse_as(r#"status:"*""#), vec![prefix("status", "")]);
        assert_eq!(parse_as(r#"status:"a*b""#), vec![exact("status", "a*b")]);
    }

    #[test]
    fn unescapes_quotes_and_backslashes() {
        assert_eq!(
            parse_as(r#"description:"say \"hi\" \\ bye""#),
            vec![exact("description", r#"say "hi" \ bye"#)]
        );
        assert_eq!(parse_as(r#"opt_1:"x\\*""#), vec![prefix("opt_1", r"x\")]);
    }

    #[test]
    fn labels_run_up_to_the_colon() {
        assert_eq!(
            parse_as(r#"Business unit:"Fin*" OR  incident_kind : "Phishing""#),
            vec![
                prefix("Business unit", "Fin"),
                exact("incident_kind", "Phishing")
            ]
        );
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
                r#"incidentid="a""#,
                "expected `:` after field `incidentid=` at character 12",
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
                r#"a:"\n""#,
                r#"unsupported escape `\n` (only `\"` and `\\` are allowed) at character 4"#,
            ),
            (
                r#""a""#,
                r#"expected a field name, found `"` at character 1"#,
            ),
        ];
        for (text, problem) in problems {
            assert_eq!(error_of(text), problem, "{text}");
        }
    }

    #[test]
    fn labels_are_trimmed_non_empty_and_unquoted() {
        assert_eq!(
            error_of(r#":"x""#),
            "expected a field name, found `:` at character 1"
        );
        assert_eq!(
            error_of(r#"a:"x" OR  :"y""#),
            "expected a field name, found `:` at character 11"
        );
        assert_eq!(
            error_of(r#"Business unit"x""#),
            "expected `:` after field `Business unit` at character 14"
        );
        assert_eq!(
            error_of("Business unit"),
            "expected `:` after field `Business unit` at character 14"
        );
    }

    #[test]
    fn terms_write_back_as_the_query_text() {
        for text in [
            r#"incidentid:"a""#,
            r#"status:"*""#,
            r#"status:"a*b""#,
            r#"description:"say \"hi\" \\ bye""#,
            r#"opt_1:"x\\*""#,
            r#"Business unit:"Fin*""#,
        ] {
            let terms = parse_as(text);
            assert_eq!(terms.len(), 1, "{text}");
            assert_eq!(terms[0].to_string(), text);
        }
        assert_eq!(prefix("opt_2", r#"a"b\"#).to_string(), r#"opt_2:"a\"b\\*""#);
    }
}
