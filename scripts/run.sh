#!/usr/bin/env bash
# Sets up and starts meet-recorder on its embedded defaults: local-disk storage under ./data,
# listening on 127.0.0.1:6080. Set MEET_INITIAL_API_KEY to choose the API key.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
MR_BUILD_TESTS=OFF bash scripts/build.sh release
export MEET_INITIAL_API_KEY=${MEET_INITIAL_API_KEY:-meet-api-key}
echo "meet-recorder: API key is '$MEET_INITIAL_API_KEY' (set MEET_INITIAL_API_KEY to change it)" >&2
exec ./build/meet-recorder serve "$@"
