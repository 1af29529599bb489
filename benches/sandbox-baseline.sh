#!/usr/bin/env bash
# Benchmark 8 with a baseline: builds the release binary of an older commit (default: the commit
# before issue 12's simulator scaling work) from `git archive` in a temporary directory, then runs
# `cargo bench --bench sandbox_apply` with both binaries measured in the same run (BENCHMARKS.md,
# section 8). The baseline's applies are capped by SOARFORM_BENCH_SANDBOX_TIMEOUT like any other.
#
#   benches/sandbox-baseline.sh [REV]
set -euo pipefail
rev="${1:-262ade1}"
root="$(git rev-parse --show-toplevel)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git -C "$root" archive "$rev" | tar -x -C "$work"
target="${SOARFORM_BASELINE_TARGET:-$root/target/baseline}"
(cd "$work" && CARGO_TARGET_DIR="$target" cargo build --release --locked --bin soarform)
cp "$target/release/soarform" "$work/soarform-baseline"
cd "$root"
SOARFORM_BENCH_SANDBOX_BASELINE="$work/soarform-baseline" cargo bench --bench sandbox_apply
