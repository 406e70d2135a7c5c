#!/usr/bin/env bash
# Sets up and runs the whole test suite: a release build and an ASan+UBSan build, each running
# every unit and integration test through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
MR_WITH_TEST_DEPS=1 bash scripts/install-deps.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for kind in release asan; do
  echo "=== $kind build" >&2
  bash scripts/build.sh "$kind"
  dir=build; [ "$kind" = asan ] && dir=build-asan
  echo "=== $kind tests" >&2
  (cd "$dir" && ctest --output-on-failure --timeout 300 -j2) || status=1
done
exit $status
