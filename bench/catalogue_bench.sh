#!/usr/bin/env bash
# Catalogue benchmark (issue 2): seeds 100 000 recordings, starts meet-recorder (Release build)
# and Debian's nginx (sendfile on) on loopback, and prints:
#   start-up time to serve the folder, idle RSS, GET-one req/s and p99 (64 connections),
#   list-page (100 items) p50/p99 with no filter / room / status filter,
#   media throughput for the full 64 MiB file and random 1 MiB ranges (next to nginx), peak RSS.
# Usage: bash bench/catalogue_bench.sh [N]   (needs: wrk, nginx-light; installed if missing)
# Load runs are bounded (DURATION seconds each) and go to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
DURATION=${DURATION:-10}
MR_WITH_BENCH_DEPS=1 bash scripts/install-deps.sh
bash scripts/build.sh release >/dev/null
WORK=$(mktemp -d /tmp/mr-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers run as an unprivileged user and must read the media file.
cleanup() {
  [ -n "${MR_PID:-}" ] && kill "$MR_PID" 2>/dev/null && wait "$MR_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "seeding $N recordings..." >&2
IDS=$(python3 bench/seed_catalogue.py "$WORK/data" "$N")
BIG=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['first_media'])" "$IDS")
ONE=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['one'])" "$IDS")
BIGFILE=$(find "$WORK/data" -name "$(echo "$BIG" | sed 's/--EG_[^-]*--/--/').mp4")
sync
cat "$(find "$WORK/data" -name '*.json' | head -1)" >/dev/null

PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
NGINX_PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
KEY=bench-key
H="x-api-key: $KEY"

# Warm the page cache for the metadata once, as a running fleet would have it.
find "$WORK/data" -name '*.json' -print0 | xargs -0 cat >/dev/null

start_service() {
  MEET_STORAGE_DIR="$WORK/data" MEET_INITIAL_API_KEY=$KEY SERVER_PORT=$PORT MEET_LOG_LEVEL=info \
    ./build/meet-recorder serve 2>>"$WORK/mr.log" &
  MR_PID=$!
  until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; do sleep 0.005; done
}
# First start: no snapshot yet, the whole folder is scanned before listening.
T0=$(date +%s%N); start_service; T1=$(date +%s%N)
echo "startup_ms_first_scan_${N}: $(( (T1 - T0) / 1000000 ))"
kill -TERM "$MR_PID"; wait "$MR_PID" || true
# Restart: serves from the index snapshot at once and verifies it in the background.
T0=$(date +%s%N); start_service; T1=$(date +%s%N)
echo "startup_ms_with_snapshot_${N}: $(( (T1 - T0) / 1000000 ))"
until grep -q "catalogue verified" "$WORK/mr.log"; do sleep 0.1; done
echo "background_verification_ms: $(grep -o '"msg":"catalogue verified"[^}]*"ms":[0-9]*' "$WORK/mr.log" | grep -o '[0-9]*$')"
sleep 3  # The snapshot is re-saved and the heap trimmed after verification.
echo "idle_rss_kb: $(awk '/VmRSS/{print $2}' /proc/$MR_PID/status)"

mkdir -p "$WORK/nginx/www"
ln "$BIGFILE" "$WORK/nginx/www/big.mp4"
cat > "$WORK/nginx/nginx.conf" <<NGX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/nginx/www; }
}
NGX
nginx -c "$WORK/nginx/nginx.conf"

wrk_run() {  # name, connections, url, [extra wrk args]
  local name=$1 conns=$2 url=$3; shift 3
  local out
  out=$(wrk -t1 -c"$conns" -d"${DURATION}s" --latency -H "$H" "$@" "$url")
  local rps p50 p99 tput
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p50=$(echo "$out" | awk '$1=="50%"{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  tput=$(echo "$out" | awk '/Transfer\/sec/{print $2}')
  echo "$name: req_per_s=$rps p50=$p50 p99=$p99 transfer_per_s=$tput"
}

B="http://127.0.0.1:$PORT/api/v1/recordings"
wrk_run get_one_64conns 64 "$B/$ONE"
wrk_run list_page100_nofilter 1 "$B?maxItems=100"
wrk_run list_page100_room 1 "$B?maxItems=100&roomId=room-0042"
wrk_run list_page100_status_rare 1 "$B?maxItems=100&status=limit_reached"
wrk_run list_page100_status_list 1 "$B?maxItems=100&status=failed,aborted,active"
wrk_run media_full_64MiB_meet 4 "$B/$BIG/media"
wrk_run media_full_64MiB_nginx 4 "http://127.0.0.1:$NGINX_PORT/big.mp4"
wrk_run media_range_1MiB_meet 16 "$B/$BIG/media" -s bench/range.lua
wrk_run media_range_1MiB_nginx 16 "http://127.0.0.1:$NGINX_PORT/big.mp4" -s bench/range.lua
echo "peak_rss_kb: $(awk '/VmHWM/{print $2}' /proc/$MR_PID/status)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/{print $2}' /proc/meminfo) kB, $(uname -r)"
