//! Operations: each command's work as named steps on typed options, returning typed results.
//! Commands (`crate::commands`) turn arguments into a call here and the result into output;
//! operations never see clap, and print only through the [`Printer`](crate::printer::Printer).
//!
//! [`tenant::Tenant`] is the one handle to a tenant (client, catalog, sandbox); [`rules`]
//! resolves soarform.yaml against its catalog with pure functions.

pub(crate) mod apply;
pub(crate) mod apply_saved;
pub(crate) mod doctor;
pub(crate) mod export;
pub(crate) mod fmt;
pub(crate) mod plan;
pub(crate) mod rules;
pub(crate) mod tenant;
pub(crate) mod validate;
