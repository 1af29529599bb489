//! Reads the live state of the objects a repository declares, by key, with batched searches.

use std::collections::BTreeSet;

use futures_util::{StreamExt as _, TryStreamExt as _};

use crate::client::{Client, ClientError, RemoteObject};
use crate::kind::Kind;
use crate::printer::Progress;
use crate::remote::Observed;

/// How many keys one search filter holds (`field:"a" OR field:"b" ...`): one less than a page, so
/// that a complete answer always comes back as a short page and needs no second request, while a
/// key carried by two objects still shows (the answer then fills the page and the next is read).
pub(crate) fn keys_per_search(page_size: u32) -> usize {
    usize::try_from(page_size.saturating_sub(1).max(1)).unwrap_or(1)
}

/// The objects of `kind` whose identity field `identity_field` holds exactly `key`, lowest id
/// first, reading `columns` (the identity field is always read).
pub(crate) async fn carrying(
    client: &Client,
    kind: Kind,
    identity_field: &str,
    key: &str,
    columns: &[String],
) -> Result<Vec<RemoteObject>, ClientError> {
    let mut requested = columns.to_vec();
    if !requested.iter().any(|column| column == identity_field) {
        requested.insert(0, identity_field.to_string());
    }
    let filter = client.filter(kind, identity_field, &[key], false);
    let mut found: Vec<RemoteObject> = client
        .search(kind, &filter, &requested)
        .await?
        .into_iter()
        // The server matches exactly, but only trust what the identity field really holds.
        .filter(|object| {
            object
                .fields
                .get(identity_field)
                .and_then(|value| value.as_str())
                == Some(key)
        })
        .collect();
    found.sort_by_key(|object| object.id);
    Ok(found)
}

/// Searches the objects of one kind whose identity field holds one of `keys`, reading only
/// `columns` (plus what the server always returns), and adds them to `observed`.
pub(crate) async fn observe(
    client: &Client,
    kind: Kind,
    identity_field: &str,
    keys: &[&str],
    columns: &[String],
    observed: &mut Observed,
    progress: &Progress,
) -> Result<(), ClientError> {
    let wanted: BTreeSet<&str> = keys.iter().copied().collect();
    let unique: Vec<&str> = wanted.iter().copied().collect();
    let mut requested = columns.to_vec();
    if !requested.iter().any(|column| column == identity_field) {
        requested.push(identity_field.to_string());
    }
    let options = client.options();
    let filters: Vec<String> = unique
        .chunks(keys_per_search(options.page_size))
        .map(|chunk| client.filter(kind, identity_field, chunk, false))
        .collect();
    // Batches run side by side; the client's limiter keeps them within the API's limits.
    let answers: Vec<Vec<RemoteObject>> = futures_util::stream::iter(filters)
        .map(|filter| {
            let requested = &requested;
            async move {
                let found = client.search(kind, &filter, requested).await;
                progress.step();
                found
            }
        })
        .buffer_unordered(options.max_concurrency.max(1))
        .try_collect()
        .await?;
    for object in answers.into_iter().flatten() {
        // The server matches exactly, but only trust what the identity field really holds.
        let key = object
            .fields
            .get(identity_field)
            .and_then(|value| value.as_str())
            .map(str::to_string);
        if let Some(key) = key.filter(|key| wanted.contains(key.as_str())) {
            observed.insert(kind, &key, object);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_answer_is_always_a_short_page() {
        assert_eq!(keys_per_search(500), 499);
        assert_eq!(keys_per_search(2), 1);
        assert_eq!(keys_per_search(1), 1);
    }
}
