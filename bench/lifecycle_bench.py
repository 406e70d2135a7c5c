#!/usr/bin/env python3
"""Recording-lifecycle benchmark (issue 4) against the real `meet-recorder serve --encoder none`.

Driven by bench/lifecycle_bench.sh; see docs/benchmarks.md, "Issue 4 - recording lifecycle".
Three phases, each against a fresh service process with its own temporary MEET_STORAGE_DIR, the
embedded lksim (MEET_LKSIM_ENCODER=none) and 127.0.0.1 only; every loop is bounded.

  overhead  CYCLES sequential start/stop cycles over ROOMS rooms with one participant each.
            Per cycle: t_201 (client wall clock when the 201 has been read) minus the moment the
            egress became ACTIVE in lksim (`updated_at` of the egress, read with Twirp ListEgress
            right after the 201, status must still be EGRESS_ACTIVE; lksim stamps it with the
            system clock in the same process, same host clock as the client).
  ingest    INGEST_EVENTS distinct signed egress_updated (EGRESS_ACTIVE) webhooks (one per egress,
            INGEST_ROOMS rooms, layout openvidu-meet/recordings/{room}/{room}--{uid}.mp4) plus
            INGEST_DUPS re-deliveries of already-sent events (same id, body and token), shuffled,
            pre-signed before the run, POSTed by wrk -t1 with INGEST_CONNS keep-alive connections.
  concurrent CONC_ROOMS rooms with one participant, all started (CONC_PAR at a time), all 201;
            all stopped; polled until every record is `complete` with a size.

Output: one `name: value` line per figure on stdout (stable keys, see FIGURES at the end);
progress on stderr.
"""
import argparse
import base64
import concurrent.futures as cf
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import free_port, log, proc_cpu_s

API_KEY = "bench-key"
LK_KEY, LK_SECRET = "devkey", "secret"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_hs256(claims, secret=LK_SECRET):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(sig)}"


def webhook_token(body, now_s):
    # What LiveKit (and lksim) send: iss, exp = now + 300, nbf, iat, sha256 = base64(SHA-256(body)).
    return jwt_hs256({"iss": LK_KEY, "exp": now_s + 300, "nbf": now_s, "iat": now_s,
                      "sha256": base64.b64encode(hashlib.sha256(body).digest()).decode()})


def percentile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(q / 100.0 * (len(xs) - 1)))))
    return xs[k]


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


class Service:
    """One `meet-recorder serve` process with its own storage folder and embedded lksim."""

    def __init__(self, binary, tag, log_level, root=None):
        self.dir = tempfile.mkdtemp(prefix=f"mr-lifecycle-{tag}-", dir=root)
        self.port, self.lk_port = free_port(), free_port()
        env = {"PATH": "/usr/bin:/bin", "MEET_STORAGE_DIR": os.path.join(self.dir, "data"),
               "MEET_INITIAL_API_KEY": API_KEY, "SERVER_PORT": str(self.port),
               "MEET_BIND_ADDRESS": "127.0.0.1", "MEET_EMBEDDED_LIVEKIT_PORT": str(self.lk_port),
               "MEET_LOG_LEVEL": log_level}
        self.log_path = os.path.join(self.dir, "service.log")
        self.log_file = open(self.log_path, "w")
        # MR_BENCH_WRAP (e.g. "gdb -batch -ex run -ex bt --args") runs the service under a tool.
        wrap = shlex.split(os.environ.get("MR_BENCH_WRAP", ""))
        self.proc = subprocess.Popen(wrap + [binary, "serve", "--encoder", "none"], env=env,
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + (300 if wrap else 30)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("meet-recorder exited during start-up:\n" + open(self.log_path).read())
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    c.close()
                    break
            except OSError:
                time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError("meet-recorder did not become healthy")
        self.twirp_token = jwt_hs256({"iss": LK_KEY, "exp": int(time.time()) + 3600,
                                      "nbf": int(time.time()) - 5, "sub": "bench",
                                      "video": {"roomRecord": True, "roomList": True}})

    def death(self):
        """None while running; else how the process ended and its last non-JSON log line."""
        rc = self.proc.poll()
        if rc is None:
            return None
        last = [l.strip() for l in open(self.log_path, errors="replace") if l.strip() and not l.startswith("{")]
        how = f"signal {-rc}" if rc < 0 else f"exit {rc}"
        return f"service died ({how}): {last[-1] if last else 'no message'}"

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        if os.environ.get("KEEP_WORK"):
            log("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class Client:
    """A keep-alive HTTP/1.1 connection (one per thread)."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def call(self, method, path, body=None, headers=None):
        h = {"x-api-key": API_KEY}
        if body is not None:
            h["content-type"] = "application/json"
            body = json.dumps(body) if not isinstance(body, (bytes, str)) else body
        h.update(headers or {})
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, (json.loads(data) if data else None)
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise


def twirp(svc, client, method, body):
    st, data = client.call("POST", f"/twirp/livekit.Egress/{method}", body,
                           {"authorization": "Bearer " + svc.twirp_token})
    if st != 200:
        raise RuntimeError(f"Twirp {method}: {st} {data}")
    return data


def make_rooms(svc, n, prefix, par=8):
    """n Meet rooms (API) with one participant each in the embedded LiveKit (control API)."""
    tl = threading.local()

    def one(i):
        c = getattr(tl, "c", None) or Client(svc.port)
        tl.c = c
        lk = getattr(tl, "lk", None) or Client(svc.lk_port)
        tl.lk = lk
        st, room = c.call("POST", "/api/v1/rooms", {"roomName": f"{prefix}{i:04d}"})
        if st != 201:
            raise RuntimeError(f"create room: {st} {room}")
        rid = room["roomId"]
        st, _ = lk.call("POST", f"/sim/rooms/{rid}/participants", {"identity": f"user{i}", "name": f"User {i}"})
        if st != 201:
            raise RuntimeError(f"join room: {st}")
        return rid

    with cf.ThreadPoolExecutor(par) as ex:
        return list(ex.map(one, range(n)))


def start_recording(c, room):
    """POST /api/v1/recordings until 201 (409 while the previous egress of the room is ending)."""
    for _ in range(400):
        t0 = time.time_ns()
        st, rec = c.call("POST", "/api/v1/recordings", {"roomId": room})
        t1 = time.time_ns()
        if st == 201:
            return rec, t0, t1
        if st != 409 or "already being recorded" not in rec.get("message", ""):
            raise RuntimeError(f"start {room}: {st} {rec}")
        time.sleep(0.005)
    raise RuntimeError(f"start {room}: still 409 after 400 tries")


def stop_recording(c, rid):
    st, rec = c.call("POST", f"/api/v1/recordings/{rid}/stop")
    if st != 202:
        raise RuntimeError(f"stop {rid}: {st} {rec}")
    return rec


def list_all(c):
    out, token = [], None
    for _ in range(10000):
        q = "/api/v1/recordings?maxItems=100" + (f"&nextPageToken={token}" if token else "")
        st, page = c.call("GET", q)
        if st != 200:
            raise RuntimeError(f"list: {st} {page}")
        out += page["recordings"]
        if not page["pagination"].get("isTruncated"):
            return out
        token = page["pagination"]["nextPageToken"]
    raise RuntimeError("list: too many pages")


def fmt(x):
    return f"{x:.3f}"


# ---------------------------------------------------------------------------------------------
def phase_overhead(a):
    svc = Service(a.binary, "overhead", a.log_level)
    try:
        rooms = make_rooms(svc, a.rooms, "lat")
        c, lk = Client(svc.port), Client(svc.lk_port)
        over, total, pre = [], [], []
        error = None
        try:
            run_cycles(svc, a, rooms, c, lk, over, total, pre)
        except Exception as e:
            error = svc.death() or f"{type(e).__name__}: {e}"
        print(f"overhead_cycles: {len(over)} of {a.cycles}")
        print(f"overhead_rooms: {len(rooms)}")
        if over:
            print(f"start_201_after_active_ms: p50={fmt(percentile(over, 50))} p99={fmt(percentile(over, 99))} "
                  f"min={fmt(min(over))} max={fmt(max(over))}")
            print(f"start_request_to_active_ms: p50={fmt(percentile(pre, 50))} p99={fmt(percentile(pre, 99))}")
            print(f"start_request_to_201_ms: p50={fmt(percentile(total, 50))} p99={fmt(percentile(total, 99))}")
        if error:
            raise RuntimeError(error)
    finally:
        svc.stop()


def run_cycles(svc, a, rooms, c, lk, over, total, pre):
    for i in range(a.warmup + a.cycles):
        room = rooms[i % len(rooms)]
        rec, t_send, t_201 = start_recording(c, room)
        egress_id = rec["recordingId"].split("--")[1]
        listed = twirp(svc, lk, "ListEgress", {"egress_id": egress_id})["items"]
        eg = listed[0]
        if eg["status"] != "EGRESS_ACTIVE":
            raise RuntimeError(f"egress {egress_id} is {eg['status']} after the 201")
        t_active = int(eg["updated_at"])
        if i >= a.warmup:
            over.append((t_201 - t_active) / 1e6)
            total.append((t_201 - t_send) / 1e6)
            pre.append((t_active - t_send) / 1e6)
        stop_recording(c, rec["recordingId"])


# ---------------------------------------------------------------------------------------------
WRK_LUA = r"""
-- Generated by bench/lifecycle_bench.py: replays pre-signed LiveKit webhooks, one per request.
-- Times the run with CLOCK_MONOTONIC (LuaJIT FFI) from the first request to the last expected
-- response, then touches a marker file so the driver ends wrk (SIGINT); requests beyond the list
-- (in flight at the end) are GET /health and are not counted.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } mr_timespec;
int clock_gettime(int clk_id, mr_timespec *tp);
]]
local ts = ffi.new("mr_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end
local reqs, n, i, done_n, total, marker = {}, 0, 0, 0, 0, nil
ok, bad, t_first, t_last = 0, 0, 0, 0
function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local tab = line:find("\t", 1, true)
    local token, body = line:sub(1, tab - 1), line:sub(tab + 1)
    n = n + 1
    reqs[n] = wrk.format("POST", "/livekit/webhook",
      {["Authorization"] = token, ["Content-Type"] = "application/webhook+json",
       ["User-Agent"] = "LiveKit"}, body)
  end
  f:close()
  total = n
  marker = args[2]
  health = wrk.format("GET", "/health")
end
local verified = false
function request()
  -- wrk calls request() once on thread 1's state before the run, to check the request
  -- (script_verify_request); that call must not consume an event.
  if not verified then verified = true; return health end
  i = i + 1
  if i == 1 then t_first = now_us() end
  if i <= n then return reqs[i] end
  return health
end
function response(status, headers, body)
  done_n = done_n + 1
  if done_n <= total then
    if status == 200 then ok = ok + 1 else bad = bad + 1 end
  end
  if done_n == total then
    t_last = now_us()
    local m = io.open(marker, "w")
    m:close()
  end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(string.format("LUA ok=%d bad=%d us=%d\n", t:get("ok"), t:get("bad"),
                           t:get("t_last") - t:get("t_first")))
  end
  io.write(string.format("LUA p50_us=%d p99_us=%d\n", latency:percentile(50), latency:percentile(99)))
end
"""


def phase_ingest(a, root=None, key="ingest"):
    wrk = shutil.which("wrk")
    if not wrk:
        raise RuntimeError("wrk not found (MR_WITH_BENCH_DEPS=1 bash scripts/install-deps.sh)")
    svc = Service(a.binary, "ingest", a.log_level, root)
    try:
        rooms = make_rooms(svc, a.ingest_rooms, "ing")
        # Pre-sign every body before the timed section (the tokens are valid for 300 s).
        rnd = random.Random(42)
        now_s = int(time.time())
        now_ns = time.time_ns()
        lines = []
        for k in range(a.ingest_events):
            room = rooms[k % len(rooms)]
            uid = f"{rnd.getrandbits(40):010x}"
            egress_id = f"EG_bench{k:08d}"
            fname = f"openvidu-meet/recordings/{room}/{room}--{uid}.mp4"
            ts = str(now_ns + k)
            egress = {"egressId": egress_id, "roomId": f"RM_{room}", "roomName": room,
                      "sourceType": "EGRESS_SOURCE_TYPE_WEB", "status": "EGRESS_ACTIVE",
                      "startedAt": ts, "updatedAt": ts,
                      "roomComposite": {"roomName": room, "layout": "grid",
                                        "fileOutputs": [{"filepath": fname}]},
                      "fileResults": [{"filename": fname, "startedAt": ts}],
                      "file": {"filename": fname, "startedAt": ts}}
            ev = {"event": "egress_updated", "room": {"sid": f"RM_{room}", "name": room},
                  "egressInfo": egress, "id": f"EV_bench{k:08d}", "createdAt": str(now_s)}
            body = json.dumps(ev, separators=(",", ":")).encode()
            lines.append(webhook_token(body, now_s) + "\t" + body.decode())
        dups = [lines[rnd.randrange(len(lines))] for _ in range(a.ingest_dups)]
        # Duplicates are re-deliveries: each comes after its original (appended, then shuffled
        # within the second half so they interleave with fresh events).
        half = len(lines) // 2
        tail = lines[half:] + dups
        rnd.shuffle(tail)
        seq = lines[:half] + tail
        work = tempfile.mkdtemp(prefix="mr-lifecycle-wrk-")
        req_file, lua_file = os.path.join(work, "requests.tsv"), os.path.join(work, "ingest.lua")
        with open(req_file, "w") as f:
            f.write("\n".join(seq) + "\n")
        with open(lua_file, "w") as f:
            f.write(WRK_LUA)
        total = len(seq)
        log(f"ingest: {a.ingest_events} distinct + {a.ingest_dups} duplicate webhooks pre-signed")

        svc_cpu0 = proc_cpu_s(svc.pid)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        marker = os.path.join(work, "done")
        proc = subprocess.Popen([wrk, "-t1", f"-c{a.ingest_conns}", "-d120s", "--latency", "--timeout", "10s",
                                 "-s", lua_file, f"http://127.0.0.1:{svc.port}", "--", req_file, marker],
                                stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 130
        while not os.path.exists(marker) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=30)[0]
        wall = time.monotonic() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        svc_cpu = proc_cpu_s(svc.pid) - svc_cpu0
        client_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        shutil.rmtree(work, ignore_errors=True)
        lua = re.search(r"LUA ok=(\d+) bad=(\d+) us=(-?\d+)", out)
        lat = re.search(r"LUA p50_us=(\d+) p99_us=(\d+)", out)
        if not lua or not lat or int(lua.group(3)) <= 0:
            raise RuntimeError("unexpected wrk output (did every request get a response?):\n" + out)
        ok, bad, secs = int(lua.group(1)), int(lua.group(2)), int(lua.group(3)) / 1e6
        p50, p99 = f"{int(lat.group(1)) / 1000:.2f}ms", f"{int(lat.group(2)) / 1000:.2f}ms"
        # Every distinct event must have produced an `active` record.
        recs = list_all(Client(svc.port))
        active = sum(1 for r in recs if r["status"] == "active")
        print(f"{key}_requests: {total} ({a.ingest_events} distinct + {a.ingest_dups} duplicates, "
              f"{a.ingest_rooms} rooms, {a.ingest_conns} connections)")
        print(f"{key}_200: {ok} non_200: {bad}")
        print(f"{key}_events_per_s: {ok / secs:.0f} (wrk run {secs:.2f} s, latency p50={p50} p99={p99})")
        print(f"{key}_service_cpu_s: {svc_cpu:.2f} ({1e6 * svc_cpu / ok:.0f} us per event; "
              f"{100 * svc_cpu / secs:.0f}% of one core over the run)")
        print(f"{key}_client_cpu_s: {client_cpu:.2f} (wrk incl. loading the requests; "
              f"{100 * client_cpu / secs:.0f}% of one core over the run)")
        print(f"{key}_records_active: {active} of {len(recs)} listed")
    finally:
        svc.stop()


# ---------------------------------------------------------------------------------------------
def phase_concurrent(a):
    svc = Service(a.binary, "concurrent", a.log_level)
    try:
        t_setup = time.monotonic()
        rooms = make_rooms(svc, a.conc_rooms, "con")
        log(f"concurrent: {len(rooms)} rooms ready in {time.monotonic() - t_setup:.2f} s")
        tl = threading.local()

        def client():
            c = getattr(tl, "c", None) or Client(svc.port)
            tl.c = c
            return c

        t0 = time.monotonic()
        try:
            with cf.ThreadPoolExecutor(a.conc_par) as ex:
                started = list(ex.map(lambda r: start_recording(client(), r), rooms))
        except Exception as e:
            raise RuntimeError(svc.death() or f"{type(e).__name__}: {e}")
        t_started = time.monotonic()
        ids = [s[0]["recordingId"] for s in started]
        lat = [(s[2] - s[1]) / 1e6 for s in started]
        with cf.ThreadPoolExecutor(a.conc_par) as ex:
            list(ex.map(lambda rid: stop_recording(client(), rid), ids))
        t_stopped = time.monotonic()
        c = Client(svc.port)
        want = set(ids)
        recs = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            recs = [r for r in list_all(c) if r["recordingId"] in want]
            if len(recs) == len(want) and all(r["status"] == "complete" for r in recs):
                break
            time.sleep(0.05)
        t_done = time.monotonic()
        all_recs = list_all(c)
        complete = [r for r in recs if r["status"] == "complete" and r.get("size", 0) > 0]
        print(f"concurrent_recordings: {len(rooms)} (start concurrency {a.conc_par})")
        print(f"concurrent_start_201: {len(ids)} in {t_started - t0:.2f} s "
              f"(per start p50={fmt(percentile(lat, 50))} ms p99={fmt(percentile(lat, 99))} ms)")
        print(f"concurrent_stop_202: {len(ids)} in {t_stopped - t_started:.2f} s")
        print(f"concurrent_all_complete_s: {t_done - t_stopped:.2f} after the last stop; "
              f"wall {t_done - t0:.2f} s from the first start")
        print(f"concurrent_listed: {len(all_recs)} complete_with_size: {len(complete)} lost: {len(want) - len(complete)}")
        print(f"concurrent_peak_rss_kb: {proc_status_kb(svc.pid, 'VmHWM')} (rss now {proc_status_kb(svc.pid, 'VmRSS')})")
        print(f"concurrent_service_cpu_s: {proc_cpu_s(svc.pid):.2f} (whole process life)")
    finally:
        svc.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--phases", default="overhead,ingest,ingest_tmpfs,concurrent")
    p.add_argument("--log-level", default="info")
    p.add_argument("--cycles", type=int, default=200)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--rooms", type=int, default=20)
    p.add_argument("--ingest-events", type=int, default=20000)
    p.add_argument("--ingest-dups", type=int, default=2000)
    p.add_argument("--ingest-rooms", type=int, default=200)
    p.add_argument("--ingest-conns", type=int, default=16)
    p.add_argument("--conc-rooms", type=int, default=200)
    p.add_argument("--conc-par", type=int, default=20)
    a = p.parse_args()
    print(f"machine: {os.cpu_count()} cores, {open('/proc/meminfo').readline().split()[1]} kB, "
          f"Linux {os.uname().release}")
    failed = False
    for phase in a.phases.split(","):
        log(f"--- {phase}")
        try:
            {"overhead": phase_overhead, "ingest": phase_ingest, "concurrent": phase_concurrent,
             # Diagnostic: the same ingest with the storage folder on tmpfs, where fsync is free.
             "ingest_tmpfs": lambda a: phase_ingest(a, "/dev/shm", "ingest_tmpfs")}[phase](a)
        except Exception as e:  # Report and go on with the next phase (e.g. the service died).
            print(f"{phase}_error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            failed = True
        sys.stdout.flush()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
