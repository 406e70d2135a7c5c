#!/usr/bin/env bash
# Installs the Debian 12 packages meet-recorder needs to build and run; with MR_WITH_TEST_DEPS=1
# also the test peers (Node.js, Chromium, redis-server, boto3, and from npm the LiveKit SDK,
# playwright-core and the S3 server s3rver), and with
# MR_WITH_BENCH_DEPS=1 the benchmark tools (wrk, nginx). Idempotent; run as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
PKGS=(
  build-essential cmake pkg-config git
  libboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libyaml-cpp-dev
  libabsl-dev libssl-dev zlib1g-dev libhiredis-dev
  googletest libgtest-dev libgmock-dev
  python3 curl ffmpeg fonts-dejavu-core
)
if [ "${MR_WITH_TEST_DEPS:-0}" = 1 ]; then
  # redis-server and the S3 server (npm, below) are the fleet tests' real peers; boto3 is the
  # reference client the Signature V4 signer is checked against.
  PKGS+=(nodejs chromium redis-server python3-boto3)
fi
if [ "${MR_WITH_BENCH_DEPS:-0}" = 1 ]; then
  PKGS+=(wrk nginx-light)
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test peers from npm: the official LiveKit server SDK and playwright-core (tests/sdk).
if [ "${MR_WITH_TEST_DEPS:-0}" = 1 ] && { [ ! -d tests/sdk/node_modules/livekit-server-sdk ] ||
    [ ! -d tests/sdk/node_modules/playwright-core ]; }; then
  command -v npm >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends npm
  (cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error)
fi
# The S3 server that verifies Signature V4 (tests/peers).
if [ "${MR_WITH_TEST_DEPS:-0}" = 1 ] && [ ! -d tests/peers/node_modules/@20minutes/s3rver ]; then
  command -v npm >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends npm
  (cd tests/peers && npm ci --no-audit --no-fund --loglevel=error)
fi
