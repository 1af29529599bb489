//! The part of export that talks to the tenant ([`collect`]): the searches of each requested kind,
//! handed to the pure steps ([`super::documents`], [`super::layout`]). Nothing is written here.

use serde_json::Value;

use crate::catalog::Catalog;
use crate::client::Client;
use crate::error::Result;
use crate::resolve::Identity;

use super::documents::build_documents;
use super::filter::{kind_filters, KindFilter};
use super::layout::assign_paths;
use super::listing::quoted_list;
use super::model::{Export, ExportRequest};

/// Reads the requested kinds and turns every manageable object into a file; nothing is written.
///
/// The filter is checked against the catalog before anything is searched.
pub(crate) async fn collect(
    client: &Client,
    catalog: &Catalog,
    identity: &Identity,
    request: &ExportRequest,
) -> Result<Export> {
    let filters = kind_filters(request.filter.as_deref(), &request.kinds, catalog)?;
    let mut export = Export::default();
    let mut searches = Vec::new();
    for (kind, filter) in filters {
        match filter {
            KindFilter::Search(filter) => searches.push((kind, filter)),
            KindFilter::Unmatchable { fields } => export.notes.push(format!(
                "no {} was exported: `--filter` tests only fields {}s do not have ({})",
                kind.noun(),
                kind.noun(),
                quoted_list(&fields)
            )),
        }
    }
    // Both kinds are read side by side; the client's limiter keeps them within the API's limits.
    let answers = futures_util::future::try_join_all(searches.iter().map(|(kind, filter)| {
        tracing::debug!("searching {}s with filter `{filter}`", kind.noun());
        client.search(*kind, filter, &[])
    }))
    .await?;
    let mut documents = Vec::new();
    let mut unowned = std::collections::HashSet::new();
    for ((kind, _), mut objects) in searches.iter().zip(answers) {
        if let Some((lease_kind, lease_key)) = &request.lease {
            let field = &identity.column(*kind).field;
            objects.retain(|object| {
                lease_kind != kind
                    || object.fields.get(field).and_then(Value::as_str) != Some(lease_key.as_str())
            });
        }
        unowned.extend(
            objects
                .iter()
                .filter(|object| !request.ownership.owns(*kind, object))
                .map(|object| (*kind, object.id)),
        );
        let built = build_documents(*kind, objects, catalog, identity, &request.omit);
        documents.extend(built.documents);
        export.warnings.extend(built.warnings);
        export.skipped += built.skipped;
    }
    export.files = assign_paths(documents)?;
    export.unowned = export
        .files
        .iter()
        .filter(|file| unowned.contains(&(file.kind, file.remote_id)))
        .count();
    Ok(export)
}
