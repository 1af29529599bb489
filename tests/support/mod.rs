//! The support shared by every test crate and benchmark that drives soarform from outside: the CLI
//! tests (`tests/cli`), the simulator tests (`tests/sim.rs`) and the benchmarks (`benches/`), each
//! of which includes this module with `#[path = ".../support/mod.rs"] mod support;`.
//!
//! - here: the test credentials, the one simulator starter and the smallest fixtures;
//! - [`http`]: the one HTTP/1.1 client, and the halves of the tests' fake servers and proxies;
//! - [`binary`]: running the real `soarform` binary with a clean environment;
//! - [`state`]: what the simulator received and holds (`is_write`, ids by key);
//! - [`snapshot`]: insta snapshots of a run (exit code, stdout, stderr) with filters.

// Each crate that includes this module uses only part of it, and items it does not use would
// otherwise warn as dead code there.
#![allow(dead_code)]

pub mod binary;
pub mod http;
pub mod snapshot;
pub mod state;

use std::net::{Ipv4Addr, SocketAddr};

use soarform::sim::{Credentials, SimConfig, SimServer};

/// The Bearer token the test simulators accept.
pub const TOKEN: &str = "test-token-0123456789abcdefghijklmnop";
/// The access id the test simulators accept, with [`ACCESS_KEY`].
pub const ACCESS_ID: &str = "suTESTID";
/// The access key the test simulators accept, with [`ACCESS_ID`].
pub const ACCESS_KEY: &str = "test-access-key-do-not-print-0123456789";

/// One valid incident, for tests about everything but the documents.
pub const ONE_INCIDENT: &str =
    "kind: Incident\nkey: x/one\ntemplate: Phishing\nfields:\n  status: Open\n";

/// [`TOKEN`], and [`ACCESS_ID`] with [`ACCESS_KEY`].
pub fn credentials() -> Credentials {
    Credentials {
        token: Some(TOKEN.into()),
        access_id: Some(ACCESS_ID.into()),
        access_key: Some(ACCESS_KEY.into()),
    }
}

/// The simulator configured by `config`, started in this process on a free loopback port; it
/// stops when dropped.
pub fn start(config: SimConfig) -> SimServer {
    SimServer::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).expect("start simulator")
}

/// A simulator accepting [`credentials`], with nothing else configured.
pub fn simulator() -> SimServer {
    simulator_with(|_| {})
}

/// A simulator accepting [`credentials`], its configuration adjusted by `adjust`.
pub fn simulator_with(adjust: impl FnOnce(&mut SimConfig)) -> SimServer {
    let mut config = SimConfig::new(credentials());
    adjust(&mut config);
    start(config)
}
