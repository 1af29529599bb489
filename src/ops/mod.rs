//! Operations: each command's work as named steps on typed options, returning typed results.
//! Commands (`crate::commands`) turn arguments into a call here and the result into output;
//! operations never see clap, and print only through the [`Printer`](crate::printer::Printer).
//!
//! [`tenant::Tenant`] is the one handle to a tenant (client, catalog, sandbox); [`rules`]
//! resolves soarform.yaml against its catalog with pure functions.

pub mod apply;
pub mod apply_saved;
pub mod export;
pub mod fmt;
pub mod plan;
pub mod rules;
pub mod tenant;
pub mod validate;
