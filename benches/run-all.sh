#!/usr/bin/env bash
# Builds the release binary and the benchmarks, then runs the four benchmarks of issue 4 one after
# the other, printing the machine and each benchmark's result table (Markdown, for BENCHMARKS.md).
#
#   bash benches/run-all.sh                 # all four, about 5 minutes on 2 cores
#   bash benches/run-all.sh validate plan   # only those
#   bash benches/run-all.sh 2>&1 | tee bench.log
#
# Every benchmark still runs when an earlier one fails a correctness check; the script exits 1 if
# any did. Timing targets never fail a benchmark: the tables say met or MISSED.
# Knobs (environment): SOARFORM_BENCH_RUNS (validate: 5, plan: 3), SOARFORM_BENCH_SEED (apply_faults:
# 4), SOARFORM_BENCH_NAIVE_LIMIT (plan: fetch only N incidents with the naive client and extrapolate).
set -uo pipefail
cd "$(dirname "$0")/.."

benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  benches=(validate plan apply_limits apply_faults lease bounded_reads)
fi

echo "## Machine"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
cpu_field() { grep -m1 "^$1" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'; }
hypervisor=$(lscpu 2>/dev/null | awk -F: '/Hypervisor vendor/ {gsub(/^ */, "", $2); print ", " $2 " guest"}')
echo "- CPU: $(cpu_field 'model name') (family $(cpu_field 'cpu family'), model $(cpu_field 'model[[:space:]]*:' ), $(cpu_field 'cpu MHz') MHz$hypervisor), $(nproc) cores available"
echo "- memory: $(free -h | awk '/^Mem:/ {print $2}') total"
echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
echo "- $(rustc --version)"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ has uncommitted changes)')"
echo

# `cargo bench` builds the binary with the bench profile (= release): target/release/soarform.
cargo build --release --quiet || exit 1
cargo bench --no-run --quiet 2>/dev/null || cargo bench --no-run || exit 1

failed=()
for bench in "${benches[@]}"; do
  echo "## cargo bench --bench $bench"
  started=$(date +%s)
  if ! cargo bench --quiet --bench "$bench"; then
    failed+=("$bench")
  fi
  echo "(benchmark took $(($(date +%s) - started)) s)"
  echo
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "benchmarks with failed correctness checks: ${failed[*]}"
  exit 1
fi
echo "all benchmarks passed their correctness checks"
