#!/usr/bin/env bash
# Builds meet-recorder: `scripts/build.sh [release|asan]` into build/ or build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
jobs=${MR_JOBS:-$(nproc)}
case "$kind" in
  release) cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMR_BUILD_TESTS="${MR_BUILD_TESTS:-ON}" >/dev/null
           cmake --build build -j"$jobs" ;;
  asan)    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMR_SANITIZE=ON -DMR_BUILD_TESTS="${MR_BUILD_TESTS:-ON}" >/dev/null
           cmake --build build-asan -j"$jobs" ;;
  *) echo "usage: $0 [release|asan]" >&2; exit 2 ;;
esac
