#!/usr/bin/env bash
# Recording-lifecycle benchmark (issue 4) against the real binary: `meet-recorder serve
# --encoder none` with the embedded lksim, its own temporary MEET_STORAGE_DIR per phase,
# 127.0.0.1 only, bounded loops. Prints `name: value` lines (docs/benchmarks.md, "Issue 4").
#   overhead      200 start/stop cycles: 201 received minus the egress's ACTIVE time in lksim
#   ingest        20 000 distinct signed egress_updated webhooks + 2 000 duplicates, wrk -t1 -c16
#   ingest_tmpfs  the same with the storage folder on /dev/shm (fsync costs nothing there)
#   concurrent    200 rooms recorded at once (starts 20 at a time), stopped, all `complete`
# Usage: bash bench/lifecycle_bench.sh [BUILD_DIR]   (default build; BUILD_DIR relative to the repo)
# Extra options go to the driver via BENCH_ARGS, e.g. BENCH_ARGS="--phases ingest --ingest-conns 32".
# Needs python3 and wrk (MR_WITH_BENCH_DEPS=1 bash scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BIN="$BUILD/meet-recorder"
if [ ! -x "$BIN" ]; then
  echo "no $BIN: build it first (make -C $BUILD meet-recorder)" >&2
  exit 2
fi
command -v wrk >/dev/null || { echo "wrk is missing: MR_WITH_BENCH_DEPS=1 bash scripts/install-deps.sh" >&2; exit 2; }
# shellcheck disable=SC2086
exec python3 bench/lifecycle_bench.py --binary "$BIN" ${BENCH_ARGS:-}
