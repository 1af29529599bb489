#!/usr/bin/env bash
# Benchmark 7 with a baseline: builds the release binary of an older commit (default: the commit
# before issue 11's memory work) in a temporary worktree, then runs `cargo bench --bench memory`
# with both binaries measured in the same run (BENCHMARKS.md, section 7).
#
#   benches/memory-baseline.sh [REV]
set -euo pipefail
rev="${1:-3986ed2}"
root="$(git rev-parse --show-toplevel)"
work="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$root" worktree add --detach "$work/tree" "$rev" >/dev/null
target="${SOARFORM_BASELINE_TARGET:-$root/target/baseline}"
(cd "$work/tree" && CARGO_TARGET_DIR="$target" cargo build --release --locked --bin soarform)
cd "$root"
SOARFORM_BENCH_MEMORY_BASELINE="$target/release/soarform" cargo bench --bench memory
