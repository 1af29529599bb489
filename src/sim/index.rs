//! The search index of one kind of object: per field, per display value, the ids of the objects
//! showing that value. A filter made only of exact terms (`field:"value"`, joined by ` OR `) is
//! answered from it without looking at any other object; every other filter is a scan.
//!
//! The index holds exactly the strings the filter matcher compares (the display value of each set
//! field: a select's option as its display string, a datetime as read, a number as its JSON text),
//! and an exact term matches by plain, case-sensitive string equality, so a lookup finds exactly
//! the objects `Filter::matches` would. An unset field has no entry, and a field the catalog does
//! not know is never set, so neither matches any term, as in the scan.

use std::collections::{BTreeSet, HashMap};

use super::filter::{Filter, Pattern};

/// Field -> display value -> ids; an empty set or map is removed, never kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    by_field: HashMap<String, HashMap<String, BTreeSet<u64>>>,
}

impl Index {
    /// Records that object `id` shows `value` in `field`.
    pub(crate) fn insert(&mut self, field: &str, value: String, id: u64) {
        self.by_field
            .entry(field.to_string())
            .or_default()
            .entry(value)
            .or_default()
            .insert(id);
    }

    /// Forgets that object `id` shows `value` in `field`.
    pub(crate) fn remove(&mut self, field: &str, value: &str, id: u64) {
        let Some(values) = self.by_field.get_mut(field) else {
            return;
        };
        if let Some(ids) = values.get_mut(value) {
            ids.remove(&id);
            if ids.is_empty() {
                values.remove(value);
            }
        }
        if values.is_empty() {
            self.by_field.remove(field);
        }
    }

    /// The ids matching `filter`, ascending, when every one of its terms is exact; `None` when the
    /// filter has no terms or a prefix term (those are answered by a scan).
    pub(crate) fn candidates(&self, filter: &Filter) -> Option<Vec<u64>> {
        let terms = filter.terms();
        if terms.is_empty() {
            return None;
        }
        let mut sets: Vec<&BTreeSet<u64>> = Vec::with_capacity(terms.len());
        for term in terms {
            let Pattern::Exact(value) = &term.pattern else {
                return None;
            };
            if let Some(ids) = self
                .by_field
                .get(&term.field)
                .and_then(|values| values.get(value))
            {
                sets.push(ids);
            }
        }
        Some(match sets.as_slice() {
            [] => Vec::new(),
            [only] => only.iter().copied().collect(),
            _ => {
                let union: BTreeSet<u64> =
                    sets.iter().flat_map(|ids| ids.iter().copied()).collect();
                union.into_iter().collect()
            }
        })
    }
}
