#!/usr/bin/env bash
# Runs a meet-recorder fleet on one machine (docs/operations.md): redis-server, an S3 server
# (npm @20minutes/s3rver, the test peer; use MinIO or a real bucket in production), the embedded
# LiveKit-compatible server alone (`meet-recorder lksim`, uploading its recordings to the bucket
# and sending its webhooks to every instance), and three `meet-recorder serve` instances on
# 127.0.0.1:6081..6083 sharing Redis and the bucket. Ctrl-C (or SIGTERM) stops everything.
#
#   bash scripts/fleet.sh                # install what is missing, build, run
#   FLEET_DIR=/tmp/fleet bash scripts/fleet.sh
#
# Put a load balancer in front of 6081..6083 for a real client, or call any instance: they serve
# the same catalogue. The API key is MEET_INITIAL_API_KEY (default meet-api-key).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${FLEET_SKIP_SETUP:-0}" != 1 ]; then
  MR_WITH_TEST_DEPS=1 bash scripts/install-deps.sh   # redis-server, node and s3rver come with the test peers
  MR_BUILD_TESTS=OFF bash scripts/build.sh release
fi
BIN=${FLEET_BIN:-./build/meet-recorder}
DIR=${FLEET_DIR:-$(mktemp -d /tmp/meet-fleet.XXXXXX)}
mkdir -p "$DIR/s3" "$DIR/redis"
REDIS_PORT=${FLEET_REDIS_PORT:-6390}
S3_PORT=${FLEET_S3_PORT:-9000}
LK_PORT=${FLEET_LIVEKIT_PORT:-7880}
PORTS=(6081 6082 6083)
export MEET_INITIAL_API_KEY=${MEET_INITIAL_API_KEY:-meet-api-key}
export LIVEKIT_API_KEY=${LIVEKIT_API_KEY:-devkey}
export LIVEKIT_API_SECRET=${LIVEKIT_API_SECRET:-fleet-secret-0123456789abcdefghij}
export MEET_BLOB_STORAGE_MODE=s3
export MEET_S3_SERVICE_ENDPOINT=http://127.0.0.1:$S3_PORT
export MEET_S3_BUCKET=${MEET_S3_BUCKET:-openvidu-appdata}
export MEET_S3_ACCESS_KEY=S3RVER MEET_S3_SECRET_KEY=S3RVER   # s3rver's built-in credentials
export MEET_AWS_REGION=us-east-1

pids=()
stop() {
  trap - INT TERM EXIT
  echo "fleet: stopping" >&2
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  exit 0
}
trap stop INT TERM EXIT

wait_port() {  # port, what
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "fleet: $2 did not start on port $1 (logs in $DIR)" >&2
  exit 1
}

redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --dir "$DIR/redis" \
  > "$DIR/redis.log" 2>&1 &
pids+=($!)
node --openssl-legacy-provider tests/peers/s3rver.mjs "$S3_PORT" "$DIR/s3" "$MEET_S3_BUCKET" \
  > "$DIR/s3rver.log" 2>&1 &
pids+=($!)
wait_port "$REDIS_PORT" redis-server
wait_port "$S3_PORT" s3rver

hooks=""
for p in "${PORTS[@]}"; do hooks+="${hooks:+,}http://127.0.0.1:$p/livekit/webhook"; done
MEET_EMBEDDED_LIVEKIT_PORT=$LK_PORT LIVEKIT_WEBHOOK_URLS=$hooks MEET_STORAGE_DIR="$DIR/lksim" \
  "$BIN" lksim > "$DIR/lksim.log" 2>&1 &
pids+=($!)
wait_port "$LK_PORT" lksim

for i in "${!PORTS[@]}"; do
  SERVER_PORT=${PORTS[$i]} MEET_REDIS_HOST=127.0.0.1 MEET_REDIS_PORT=$REDIS_PORT \
    LIVEKIT_URL=ws://127.0.0.1:$LK_PORT MEET_STORAGE_DIR="$DIR/instance-$i" \
    "$BIN" serve > "$DIR/instance-$i.log" 2>&1 &
  pids+=($!)
done
for p in "${PORTS[@]}"; do wait_port "$p" "meet-recorder serve"; done

cat >&2 <<EOF
fleet: running (logs in $DIR)
  instances   http://127.0.0.1:${PORTS[0]}  http://127.0.0.1:${PORTS[1]}  http://127.0.0.1:${PORTS[2]}
  API key     $MEET_INITIAL_API_KEY
  redis       127.0.0.1:$REDIS_PORT      S3  $MEET_S3_SERVICE_ENDPOINT/$MEET_S3_BUCKET
  LiveKit     ws://127.0.0.1:$LK_PORT (embedded; join: $BIN lksim join --url http://127.0.0.1:$LK_PORT ROOM NAME)
Ctrl-C stops the fleet.
EOF
wait -n "${pids[@]}" || true
echo "fleet: a process exited; see the logs in $DIR" >&2
