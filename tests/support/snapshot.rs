//! Snapshots of a run of the binary, after astral-sh/uv's `uv_snapshot!`: exit code, stdout and
//! stderr in one insta snapshot, with what changes from run to run (ports, temporary paths,
//! durations, ids) replaced by placeholders.

/// Insta filters that hide what changes between runs: ports, temporary paths, and the time a
/// request took in `-v` logs. Ids that vary (objects created side by side) are filtered by the
/// tests that show them, with `filters = [...]`.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"/tmp/\.tmp[A-Za-z0-9]+", "[TEMP]"),
        (r" in \d+ ms\b", " in [ELAPSED] ms"),
    ]
}

/// [`filters`] followed by `extra` (filters apply in order, so an extra one sees the standard
/// placeholders).
pub fn filters_with(
    extra: impl IntoIterator<Item = (&'static str, &'static str)>,
) -> Vec<(&'static str, &'static str)> {
    let mut filters = filters();
    filters.extend(extra);
    filters
}

/// Snapshots a run's [`Output`](super::binary::Output) (exit code, stdout, stderr) with the
/// standard [`filters`]:
///
/// - `snapshot!(output)`: named after the test (`-2`, `-3`, ... when it takes more than one);
/// - `snapshot!("name", output)`: named;
/// - either with `, filters = [(regex, replacement), ...]` after it for filters of its own.
///
/// Snapshots live in `snapshots/` beside the test file. A new or changed one fails the test
/// until it is accepted (`INSTA_UPDATE=always cargo test ...`, then read the `.snap` files).
#[macro_export]
macro_rules! snapshot {
    ($name:literal, $output:expr) => {
        $crate::snapshot!($name, $output, filters = [])
    };
    ($name:literal, $output:expr, filters = $extra:expr) => {
        insta::with_settings!({ filters => $crate::support::snapshot::filters_with($extra) }, {
            insta::assert_snapshot!($name, $output.combined());
        })
    };
    ($output:expr, filters = $extra:expr) => {
        insta::with_settings!({ filters => $crate::support::snapshot::filters_with($extra) }, {
            insta::assert_snapshot!($output.combined());
        })
    };
    ($output:expr) => {
        $crate::snapshot!($output, filters = [])
    };
}
