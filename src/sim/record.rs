//! What the simulator saw: each request as received and answered, and the running counters.

/// One HTTP request the simulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without query, e.g. `/api/csoar/v3/incidents/search/`.
    pub path: String,
    /// The status answered (429 and 5xx included); `0` while the request is still being
    /// answered, when the client went away before an answer, or when the simulator dropped the
    /// connection (then `dropped` says so).
    pub status: u16,
    /// The request body when it was JSON (writes and searches), for tests that check exactly
    /// what a client sent.
    pub body: Option<serde_json::Value>,
    /// Set when an injected fault dropped the connection instead of answering (`status` is 0).
    pub dropped: Option<DropKind>,
}

/// How an injected fault dropped a write's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropKind {
    /// The write was not committed.
    BeforeCommit,
    /// The write was committed (and saved to the state file); only the answer was lost.
    AfterCommit,
    /// The create is committed later ([`Quirks::late_commits`]), after its answer was lost.
    CommittedLate,
}

/// Counters of what the simulator did, cheap to read at any time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Every request received.
    pub requests: u64,
    /// Every 429 answered: `rate_limited` + `concurrency_limited` + injected throttles.
    pub throttled: u64,
    /// 429s answered because the requests-per-second limit was reached.
    pub rate_limited: u64,
    /// 429s answered because the concurrency limit was reached.
    pub concurrency_limited: u64,
    /// Injected 5xx answers.
    pub server_errors: u64,
    /// Writes whose connection was dropped without committing them.
    pub dropped_before_commit: u64,
    /// Writes committed and then answered by a dropped connection.
    pub dropped_after_commit: u64,
    /// API requests admitted and not yet answered.
    pub in_flight: usize,
    /// The most API requests ever in flight at once (refused requests never count).
    pub max_in_flight: usize,
}
