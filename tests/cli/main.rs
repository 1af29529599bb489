//! End-to-end tests: the real `soarform` binary against the simulator over loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod ci_recipes;
mod concurrency;
mod connection;
mod doctor;
mod drift;
mod export;
mod fmt;
mod formats;
mod hostile;
mod hostile_server;
mod lifecycle;
mod masking;
mod plan_apply;
mod reliability;
mod saved_plan;
mod sim_command;
mod tenant_shapes;
mod validate;
mod values;
mod version;
