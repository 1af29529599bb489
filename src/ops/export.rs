//! `export`: the tenant's incidents and triage items as desired-state documents, in memory;
//! writing them is [`crate::export::write`]'s business.

use super::rules::{self, Lifecycle};
use super::tenant::Tenant;
use crate::config::{ProjectConfig, DEFAULT_LOCK_KEY};
use crate::error::Result;
use crate::export::{self, Export, ExportRequest};
use crate::kind::Kind;

/// Reads the objects of `kinds` (matching `filter`) and builds their documents: sensitive fields
/// and the ownership marker left out, the apply lease skipped.
pub(crate) async fn export(
    tenant: &Tenant,
    config: &ProjectConfig,
    kinds: &[Kind],
    filter: Option<String>,
) -> Result<Export> {
    let identity = rules::identity(config, tenant.catalog())?;
    tenant.learn_identity(&identity);
    let lifecycle = Lifecycle::resolve(config, false, false);
    let options = rules::plan_options(config, &lifecycle, tenant.catalog(), &identity)?;
    // Values of `sensitive_fields` never leave the tenant through soarform, files included;
    // the ownership marker records who manages an object, not what the object is.
    let mut omit = options.sensitive;
    for kind in Kind::ALL {
        if let Some(column) = options.ownership.column(kind) {
            omit.insert(kind, column.field.clone());
        }
    }
    let request = ExportRequest {
        kinds: kinds.to_vec(),
        filter,
        omit,
        ownership: options.ownership,
        lease: Some((
            config.lock.kind.unwrap_or(Kind::Incident),
            config
                .lock
                .key
                .clone()
                .unwrap_or_else(|| DEFAULT_LOCK_KEY.to_string()),
        )),
    };
    export::collect(tenant.client(), tenant.catalog(), &identity, &request).await
}
