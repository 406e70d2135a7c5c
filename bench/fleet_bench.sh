#!/usr/bin/env bash
# Fleet-mode benchmark (issue 5): the issue-2 catalogue benchmark over S3 + Redis, and the Redis
# round trips of the recording lifecycle. Starts, all on 127.0.0.1 and free ports: s3rver (the
# Node S3 test server, tests/peers/s3rver.mjs), redis-server (--save "", no AOF), the embedded
# LiveKit alone (`meet-recorder lksim`, encoder none) and 3 (+1 API-only) `meet-recorder serve`
# instances in fleet mode (MEET_BLOB_STORAGE_MODE=s3, MEET_REDIS_HOST); seeds 100 000 recordings
# into the bucket (bench/seed_catalogue.py's data; a PUT sample over HTTP, the rest written in
# s3rver's on-disk layout); times start-up (shared index rebuilt from S3) and `meet-recorder
# reindex`; drives GET one / list pages / media full and ranged with wrk (bounded: -d DURATION,
# fixed connections), the same against s3rver alone (presigned GETs) and against the local-disk
# service; counts Redis commands per start and per webhook with MONITOR. Prints `name: value`
# lines, then the tables (docs/benchmarks.md, "Issue 5 — fleet mode (S3 + Redis)").
#
# Usage: bash bench/fleet_bench.sh [BUILD_DIR]        (default build; the Release binary BUILD_DIR/meet-recorder)
#   N=100000 DURATION=8 RUNS=2 CYCLES=20 REINDEX_RUNS=1 bash bench/fleet_bench.sh build-h6
#   BENCH_ARGS="--phases seed,startup,redis" for a subset (seed and startup are needed by the others).
# Needs: python3 + boto3, node + `npm ci` in tests/peers, redis-server/redis-cli, wrk.
# Whatever happens (error, Ctrl-C), every process it started is stopped (trap below + the driver's
# own cleanup) and its temporary folder removed (KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BIN="$BUILD/meet-recorder"
[ -x "$BIN" ] || { echo "no $BIN: build it first (cmake --build $BUILD --target meet-recorder)" >&2; exit 2; }
for c in node redis-server redis-cli wrk python3; do
  command -v "$c" >/dev/null || { echo "$c is missing" >&2; exit 2; }
done
python3 -c 'import boto3' 2>/dev/null || { echo "python3 boto3 is missing (apt-get install python3-boto3)" >&2; exit 2; }
[ -d tests/peers/node_modules/@20minutes/s3rver ] || (cd tests/peers && npm ci --silent)

WORK=$(mktemp -d /tmp/mr-fleet-bench.XXXXXX)
export FLEET_BENCH_PIDFILE="$WORK/pids"
DRIVER_PID=
cleanup() {
  local rc=$?
  if [ -n "$DRIVER_PID" ] && kill -0 "$DRIVER_PID" 2>/dev/null; then
    kill -TERM "$DRIVER_PID" 2>/dev/null || true
    wait "$DRIVER_PID" 2>/dev/null || true
  fi
  # Backstop: anything the driver started and could not stop (it died), by pid.
  if [ -f "$FLEET_BENCH_PIDFILE" ]; then
    while read -r pid; do
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    done < "$FLEET_BENCH_PIDFILE"
  fi
  [ -n "${KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

KEEP_ARG=()
[ -n "${KEEP:-}" ] && KEEP_ARG=(--keep)
# shellcheck disable=SC2086
python3 bench/fleet_bench.py --binary "$BIN" --work "$WORK/run" --n "${N:-100000}" \
  --duration "${DURATION:-8}" --runs "${RUNS:-2}" --cycles "${CYCLES:-20}" \
  --reindex-runs "${REINDEX_RUNS:-1}" "${KEEP_ARG[@]}" ${BENCH_ARGS:-} &
DRIVER_PID=$!
wait "$DRIVER_PID"
