//! The simulator's search filters: the shared [filter language](crate::filter), fields by API
//! name, matched against objects' display values. An empty filter matches everything.

use std::collections::{BTreeMap, HashSet};

use crate::filter::{self, FieldSyntax, FilterError, Pattern, Term};

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

    /// Parses `text`, fields by API name; whitespace-only text is the empty filter.
    pub(crate) fn parse(text: &str) -> Result<Filter, FilterError> {
        filter::parse(text, FieldSyntax::ApiName).map(Filter::new)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_by_api_name_only() {
        let filter = Filter::parse(r#"incidentid:"a" OR opt_3:"Fin*""#).expect("parses");
        assert_eq!(
            filter.terms(),
            [
                Term {
                    field: "incidentid".into(),
                    pattern: Pattern::Exact("a".into())
                },
                Term {
                    field: "opt_3".into(),
                    pattern: Pattern::Prefix("Fin".into())
                },
            ]
        );
        assert_eq!(
            Filter::parse(r#"Business unit:"Finance""#)
                .unwrap_err()
                .to_string(),
            "expected `:` after field `Business` at character 9"
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
