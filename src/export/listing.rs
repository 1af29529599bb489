//! How export's warnings and errors name what they count: nouns with counts, id lists, and lists
//! capped at [`LISTED_NAMES`] entries.

use serde_json::Value;

use crate::kind::Kind;

/// How many names a warning lists before saying "and N more".
pub(super) const LISTED_NAMES: usize = 10;

/// `3 incidents`, `1 triage item`.
pub(crate) fn count_noun(count: usize, kind: Kind) -> String {
    format!("{count} {}", plural_or_single(count, kind))
}

pub(super) fn plural_or_single(count: usize, kind: Kind) -> String {
    if count == 1 {
        kind.noun().to_string()
    } else {
        plural_noun(kind)
    }
}

pub(super) fn plural_noun(kind: Kind) -> String {
    format!("{}s", kind.noun())
}

/// `id 4`, `ids 4 and 5`.
pub(super) fn id_list(ids: &[u64]) -> String {
    let listed: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!(
        "{} {}",
        if ids.len() == 1 { "id" } else { "ids" },
        capped_list(&listed)
    )
}

/// `a, b and c`, or the first [`LISTED_NAMES`] and `and N more`.
pub(super) fn capped_list(items: &[String]) -> String {
    let shown = &items[..items.len().min(LISTED_NAMES)];
    let rest = items.len() - shown.len();
    match (shown, rest) {
        ([], _) => String::new(),
        ([one], 0) => one.clone(),
        (_, 0) => format!(
            "{} and {}",
            shown[..shown.len() - 1].join(", "),
            shown[shown.len() - 1]
        ),
        (_, rest) => format!("{} and {rest} more", shown.join(", ")),
    }
}

pub(super) fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    quoted.join(", ")
}

/// A value from the server as a warning may quote it (control characters escaped).
pub(super) fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => crate::plan::shown(text),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_capped() {
        let items: Vec<String> = (1..=12).map(|number| number.to_string()).collect();
        assert_eq!(capped_list(&items[..1]), "1");
        assert_eq!(capped_list(&items[..3]), "1, 2 and 3");
        assert_eq!(
            capped_list(&items),
            "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"
        );
    }
}
