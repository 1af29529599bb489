//! `--filter` translated for each kind against the catalog ([`kind_filters`]): labels become API
//! names, terms on fields a kind lacks are dropped for it, unknown fields are errors.

use crate::catalog::{closest_names, Catalog, UnknownName};
use crate::error::{Error, Result};
use crate::filter::{self, Term};
use crate::kind::Kind;

/// The search filter of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KindFilter {
    /// Search with this filter (fields by API name; empty: every object).
    Search(String),
    /// No term of the query names a field of this kind, so no object of it can match.
    Unmatchable {
        /// The fields the query tests, as written.
        fields: Vec<String>,
    },
}

/// Translates `--filter` for each kind: labels become API names, and terms on fields a kind does
/// not have are dropped for that kind (they could match none of its objects). A field unknown to
/// every requested kind is an error naming the closest valid names.
pub(crate) fn kind_filters(
    query: Option<&str>,
    kinds: &[Kind],
    catalog: &Catalog,
) -> Result<Vec<(Kind, KindFilter)>> {
    let terms = match query {
        Some(query) => filter::parse(query).map_err(|problem| {
            Error::with_hint(format!("invalid `--filter`: {problem}"), FILTER_SYNTAX_HINT)
        })?,
        None => Vec::new(),
    };
    let mut unknown = Vec::new();
    for term in &terms {
        let known = kinds
            .iter()
            .any(|kind| catalog.columns(*kind).find(&term.field).is_some());
        if !known
            && !unknown
                .iter()
                .any(|name: &UnknownName| name.name == term.field)
        {
            unknown.push(unknown_field(&term.field, kinds, catalog));
        }
    }
    if !unknown.is_empty() {
        let message = match unknown.as_slice() {
            [one] => format!("`--filter`: {one}"),
            several => {
                let lines: Vec<String> = several.iter().map(|name| format!("  {name}")).collect();
                format!("`--filter` names unknown fields:\n{}", lines.join("\n"))
            }
        };
        return Err(Error::with_hint(
            message,
            "name fields by API name or label, as `GET incidents/columns/` and `GET triage/columns/` list them",
        ));
    }
    Ok(kinds
        .iter()
        .map(|kind| {
            let columns = catalog.columns(*kind);
            let translated: Vec<String> = terms
                .iter()
                .filter_map(|term| {
                    let column = columns.find(&term.field)?;
                    let translated = Term {
                        field: column.field.clone(),
                        pattern: term.pattern.clone(),
                    };
                    Some(translated.to_string())
                })
                .collect();
            let filter = if terms.is_empty() || !translated.is_empty() {
                KindFilter::Search(translated.join(" OR "))
            } else {
                let mut fields: Vec<String> = Vec::new();
                for term in &terms {
                    if !fields.contains(&term.field) {
                        fields.push(term.field.clone());
                    }
                }
                KindFilter::Unmatchable { fields }
            };
            (*kind, filter)
        })
        .collect())
}

const FILTER_SYNTAX_HINT: &str = "write terms as `field:\"value\"` or `field:\"prefix*\"` joined by ` OR `, fields by API name or label, e.g. `status:\"Open\" OR Business unit:\"Fin*\"`";

/// The error for a filter field no requested kind has, with the closest names of all of them.
fn unknown_field(name: &str, kinds: &[Kind], catalog: &Catalog) -> UnknownName {
    let what = kinds
        .iter()
        .map(|kind| kind.noun())
        .collect::<Vec<_>>()
        .join(" or ");
    let names = kinds.iter().flat_map(|kind| {
        catalog
            .columns(*kind)
            .all()
            .iter()
            .flat_map(|column| [column.label.as_str(), column.field.as_str()])
    });
    UnknownName {
        what: format!("{what} field"),
        name: name.to_string(),
        closest: closest_names(name, names),
        valid_count: kinds
            .iter()
            .map(|kind| catalog.columns(*kind).all().len())
            .sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::test_fixtures::catalog;

    fn filters(query: &str, kinds: &[Kind]) -> Result<Vec<(Kind, KindFilter)>> {
        kind_filters(Some(query), kinds, &catalog())
    }

    fn message(error: Error) -> String {
        error.render(false)
    }

    #[test]
    fn filter_labels_become_api_names_per_kind() {
        let both = [Kind::Incident, Kind::TriageItem];
        assert_eq!(
            filters(r#"Business unit:"Fin*" OR status:"Open""#, &both).unwrap(),
            vec![
                (
                    Kind::Incident,
                    KindFilter::Search(r#"opt_3:"Fin*" OR status:"Open""#.into())
                ),
                (
                    Kind::TriageItem,
                    KindFilter::Search(r#"opt_3:"Fin*" OR status:"Open""#.into())
                ),
            ]
        );
        // A term on a field one kind lacks can match none of its objects.
        assert_eq!(
            filters(r#"Kind:"Phishing" OR Reporter:"a\"b\\""#, &both).unwrap(),
            vec![
                (
                    Kind::Incident,
                    KindFilter::Search(r#"incident_kind:"Phishing""#.into())
                ),
                (
                    Kind::TriageItem,
                    KindFilter::Search(r#"opt_2:"a\"b\\""#.into())
                ),
            ]
        );
        assert_eq!(
            filters(r#"incident_kind : "Phishing""#, &both).unwrap()[1],
            (
                Kind::TriageItem,
                KindFilter::Unmatchable {
                    fields: vec!["incident_kind".into()]
                }
            )
        );
        assert_eq!(
            filters("  ", &both).unwrap()[0],
            (Kind::Incident, KindFilter::Search(String::new()))
        );
        assert_eq!(
            kind_filters(None, &[Kind::TriageItem], &catalog()).unwrap(),
            vec![(Kind::TriageItem, KindFilter::Search(String::new()))]
        );
    }

    #[test]
    fn unknown_filter_fields_name_the_closest() {
        let error = message(filters(r#"Busines unit:"Finance""#, &[Kind::TriageItem]).unwrap_err());
        assert!(
            error.starts_with(
                "error: `--filter`: unknown triage item field `Busines unit`; did you mean `Business unit`?"
            ),
            "{error}"
        );
        // Known to incidents only, but only triage items are exported.
        let error =
            message(filters(r#"incident_kind:"Phishing""#, &[Kind::TriageItem]).unwrap_err());
        assert!(
            error.contains("unknown triage item field `incident_kind`"),
            "{error}"
        );
        let error = message(
            filters(
                r#"nope:"x" OR Reporterr:"y""#,
                &[Kind::Incident, Kind::TriageItem],
            )
            .unwrap_err(),
        );
        assert!(error.contains("`--filter` names unknown fields:\n  unknown incident or triage item field `nope`\n  unknown incident or triage item field `Reporterr`; did you mean `Reporter`?"), "{error}");
    }

    #[test]
    fn malformed_filters_say_where() {
        let invalid = |query: &str| match filters(query, &[Kind::Incident]) {
            Ok(found) => panic!("`{query}` parsed as {found:?}"),
            Err(error) => message(error)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        let problems = [
            ("status", "expected `:` after field `status` at character 7"),
            (
                r#"status:Open"#,
                "expected a quoted value after `status:` at character 8",
            ),
            (
                r#"status:"Open"#,
                "unterminated quoted value for `status` at character 8",
            ),
            (
                r#"status:"Open" AND x:"y""#,
                "expected `OR` between terms, found `AND` at character 15",
            ),
            (
                r#"status:"Open" OR"#,
                "expected whitespace after `OR` at character 17",
            ),
            (
                r#"status:"Open" OR "#,
                "expected a field name, found the end of the filter at character 18",
            ),
            (r#":"x""#, "expected a field name, found `:` at character 1"),
            (
                r#"a:"\n""#,
                r#"unsupported escape `\n` (only `\"` and `\\` are allowed) at character 4"#,
            ),
        ];
        for (query, problem) in problems {
            assert_eq!(
                invalid(query),
                format!("error: invalid `--filter`: {problem}"),
                "{query}"
            );
        }
    }
}
