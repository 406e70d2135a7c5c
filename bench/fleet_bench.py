#!/usr/bin/env python3
"""Fleet-mode benchmark (issue 5): the catalogue benchmark of issue 2 over S3 (s3rver) + Redis.

Driven by bench/fleet_bench.sh; see docs/benchmarks.md, "Issue 5 - fleet mode (S3 + Redis)".
Everything runs on 127.0.0.1, every load is bounded (wrk -d, fixed connection counts, fixed
cycle counts), and every process started here is stopped at the end whatever happens.

Phases (--phases, comma list, in this order):
  seed       bench/seed_catalogue.py writes N recordings in the bucket layout into a folder (the
             same data as the issue-2 benchmark, same RNG seed); s3rver is started on an empty
             directory; the first --put-sample metadata objects and the 4 media objects are PUT
             through s3rver over HTTP (boto3, --put-threads threads; PUT rate and s3rver CPU
             reported); the remaining metadata objects are written straight into s3rver's
             on-disk layout (<dir>/<bucket>/<key>._S3rver_object + .md5 + ._S3rver_metadata.json,
             as its filesystem store writes them).
  startup    redis-server (--save "", no AOF), lksim alone, then instance 1 of 3: time from spawn
             to /health 200 (the shared index is missing, so this instance rebuilds it from S3:
             list + one GET per metadata object); instances 2 and 3 (index present); then
             `meet-recorder reindex` with the same environment (--reindex-runs times).
  catalogue  wrk -t1 against instance 1, the issue-2 mix: GET one (64 conns), list pages of 100
             (no filter / room / rare status / status list, 1 conn), media full 64 MiB (4 conns),
             random 1 MiB ranges (16 conns, bench/range.lua); GET one also spread over the 3
             instances (3 wrk processes at once). --runs runs of --duration s each. Per row: req/s,
             p50/p99, non-2xx, CPU seconds of s3rver / the instances / redis-server
             (/proc/<pid>/stat utime+stime) and Redis commands (INFO stats) per request.
  s3direct   s3rver alone with the same wrk rows: a SigV4 presigned GetObject URL (boto3,
             path-style) of the metadata object GET one reads, of the 64 MiB media (full, and
             random 1 MiB ranges: the Range header is not part of a presigned signature).
  local      the issue-2 baseline on this run's machine state: `meet-recorder serve` on the
             seeded folder (local disk, no Redis), the same wrk rows.
  redis      Redis round trips of the recording lifecycle: a 4th instance takes the API requests
             (create room, start, stop) and receives no webhook; lksim (encoder none) sends its
             webhooks to instance 1 only, then (restarted) to instances 1-3. --cycles sequential
             start -> 201 -> stop -> 202 -> record `complete` (polled in the bucket, not through
             the service, so polling adds no Redis command). `redis-cli MONITOR` records every
             command; each command is attributed to its instance by the client's TCP port
             (/proc/<pid>/fd + /proc/net/tcp). Commands run inside Lua scripts are shown apart
             (MONITOR prints them as "[0 lua]"); the per-client counts are the round trips sent.
             A webhook's commands are those of the receiving instance from its fleet claim
             (ov_meet_lock:webhook_<event>_<id>) to its next claim.

Output: `name: value` lines as the phases go, then the summary tables. Progress on stderr.
"""
import argparse
import concurrent.futures as cf
import hashlib
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import free_port, log, proc_cpu_s as cpu_s

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API_KEY = "fleet-bench-key"
LK_KEY, LK_SECRET = "fleet-bench-lk", "fleet-bench-lk-secret-0123456789abcdef"
BUCKET = "meet-bench"
S3_KEY = S3_SECRET = "S3RVER"
REGION = "us-east-1"
QUIET = {  # long job intervals: no periodic job adds commands during a measurement
    "MEET_RECORDING_LOCK_GC_INTERVAL": "1h", "MEET_RECORDING_STALE_CLEANUP_INTERVAL": "1h",
    "MEET_ROOM_GC_INTERVAL": "1h", "MEET_CATALOGUE_INDEX_CHECK_INTERVAL": "1h",
    "MEET_RECORDING_LOCK_TTL": "2h",  # must be >= 2 x the lock keeper's interval
}


def out(line):
    print(line, flush=True)


def rng(xs, fmt="{:.0f}"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-"
    lo, hi = min(xs), max(xs)
    return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else fmt.format(lo) + "–" + fmt.format(hi)


# ---------------------------------------------------------------------------------------------
class Procs:
    """Every process started by the benchmark; stop_all() ends them (SIGTERM, then SIGKILL) and
    waits for them. Their pids are also written to PIDFILE for the shell's trap."""

    def __init__(self, work):
        self.work = work
        self.list = []
        self.pidfile = os.environ.get("FLEET_BENCH_PIDFILE") or os.path.join(work, "pids")

    def start(self, name, argv, env=None, log_name=None):
        lf = open(os.path.join(self.work, (log_name or name) + ".log"), "ab")
        p = subprocess.Popen(argv, env=env, stdout=lf, stderr=subprocess.STDOUT, cwd=REPO)
        p.bench_name, p.bench_log = name, lf
        self.list.append(p)
        with open(self.pidfile, "a") as f:
            f.write(f"{p.pid}\n")
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=25):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        p.bench_log.close()
        if p in self.list:
            self.list.remove(p)

    def stop_all(self):
        for p in reversed(list(self.list)):
            try:
                self.stop(p)
            except Exception as e:  # keep stopping the others
                log(f"stopping {p.bench_name}: {e}")


def http_call(port, method, path, body=None, headers=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"x-api-key": API_KEY}
    if body is not None:
        h["content-type"] = "application/json"
        body = json.dumps(body)
    h.update(headers or {})
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, data
    finally:
        c.close()


def wait_health(port, proc, limit_s, path="/health"):
    end = time.time() + limit_s
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.bench_name} exited during start-up (rc {proc.returncode}); "
                               f"log {proc.bench_log.name}")
        try:
            st, _ = http_call(port, "GET", path, timeout=2)
            if st == 200:
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{proc.bench_name} not healthy after {limit_s} s")


def wait_port(port, proc, limit_s):
    end = time.time() + limit_s
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.bench_name} exited during start-up; log {proc.bench_log.name}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{proc.bench_name} not listening after {limit_s} s")


# ---------------------------------------------------------------------------------------------
class Bench:
    def __init__(self, a):
        self.a = a
        self.work = a.work or tempfile.mkdtemp(prefix="mr-fleet-bench-")
        os.makedirs(self.work, exist_ok=True)
        self.procs = Procs(self.work)
        self.seed_dir = os.path.join(self.work, "seed")
        self.s3_dir = os.path.join(self.work, "s3")
        self.s3_port = free_port()
        self.redis_port = free_port()
        self.lk_port = free_port()
        self.ports = [free_port() for _ in range(4)]  # 3 fleet instances + the API-only one
        self.inst = {}  # index -> Popen
        self.s3 = self.redis = self.lk = None
        self.ids = None
        self.results = {}  # row -> dict of lists
        self.notes = []

    # ---- peers ----
    def s3_client(self):
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{self.s3_port}",
                            aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET,
                            region_name=REGION,
                            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                          retries={"max_attempts": 3},
                                          max_pool_connections=max(10, self.a.put_threads)))

    def start_s3(self):
        os.makedirs(self.s3_dir, exist_ok=True)
        self.s3 = self.procs.start("s3rver", ["node", "--openssl-legacy-provider",
                                              os.path.join(REPO, "tests/peers/s3rver.mjs"),
                                              str(self.s3_port), self.s3_dir, BUCKET])
        wait_port(self.s3_port, self.s3, 60)

    def start_redis(self):
        self.redis = self.procs.start("redis", ["redis-server", "--port", str(self.redis_port),
                                                "--bind", "127.0.0.1", "--save", "",
                                                "--appendonly", "no", "--daemonize", "no",
                                                "--dir", self.work])
        wait_port(self.redis_port, self.redis, 20)

    def redis_cmd(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.redis_port), *args], check=True,
                              capture_output=True, text=True, timeout=30).stdout

    def redis_total(self):
        m = re.search(r"total_commands_processed:(\d+)", self.redis_cmd("INFO", "stats"))
        return int(m.group(1))

    def s3_env(self):
        return {"MEET_BLOB_STORAGE_MODE": "s3",
                "MEET_S3_SERVICE_ENDPOINT": f"http://127.0.0.1:{self.s3_port}",
                "MEET_S3_BUCKET": BUCKET, "MEET_S3_ACCESS_KEY": S3_KEY,
                "MEET_S3_SECRET_KEY": S3_SECRET, "MEET_AWS_REGION": REGION}

    def instance_env(self, i):
        env = {"PATH": "/usr/bin:/bin", "SERVER_PORT": str(self.ports[i]),
               "MEET_BIND_ADDRESS": "127.0.0.1", "MEET_INITIAL_API_KEY": API_KEY,
               "LIVEKIT_URL": f"ws://127.0.0.1:{self.lk_port}", "LIVEKIT_API_KEY": LK_KEY,
               "LIVEKIT_API_SECRET": LK_SECRET, "MEET_REDIS_HOST": "127.0.0.1",
               "MEET_REDIS_PORT": str(self.redis_port),
               "MEET_STORAGE_DIR": os.path.join(self.work, f"instance-{i}"),
               "MEET_LOG_LEVEL": self.a.log_level}
        env.update(self.s3_env())
        env.update(QUIET)
        return env

    def start_lksim(self, receivers, tag):
        urls = ",".join(f"http://127.0.0.1:{self.ports[i]}/livekit/webhook" for i in receivers)
        env = {"PATH": "/usr/bin:/bin", "MEET_EMBEDDED_LIVEKIT_PORT": str(self.lk_port),
               "LIVEKIT_API_KEY": LK_KEY, "LIVEKIT_API_SECRET": LK_SECRET,
               "LIVEKIT_WEBHOOK_URLS": urls, "MEET_LKSIM_ENCODER": "none",
               "MEET_STORAGE_DIR": os.path.join(self.work, "lksim"), "MEET_LOG_LEVEL": "info"}
        env.update(self.s3_env())
        self.lk = self.procs.start("lksim", [self.a.binary, "lksim"], env, f"lksim-{tag}")
        wait_health(self.lk_port, self.lk, 30, "/sim/faults")

    def start_instance(self, i):
        t0 = time.time()
        p = self.procs.start(f"instance-{i}", [self.a.binary, "serve"], self.instance_env(i))
        wait_health(self.ports[i], p, self.a.startup_limit)
        self.inst[i] = p
        return (time.time() - t0) * 1000

    # ---- seed ----
    def phase_seed(self):
        a = self.a
        t0 = time.time()
        r = subprocess.run([sys.executable, os.path.join(REPO, "bench/seed_catalogue.py"),
                            self.seed_dir, str(a.n)], check=True, capture_output=True, text=True)
        self.ids = json.loads(r.stdout)
        out(f"seed_folder_s: {time.time() - t0:.1f} ({a.n} recordings, bench/seed_catalogue.py)")
        self.start_s3()
        keys = []
        for d, _, files in os.walk(self.seed_dir):
            for f in files:
                keys.append(os.path.relpath(os.path.join(d, f), self.seed_dir))
        keys.sort()
        media = [k for k in keys if k.endswith(".mp4")]
        meta = [k for k in keys if k.endswith(".json")]
        s3 = self.s3_client()
        put_n = min(a.put_sample, len(meta))

        def put(k):
            with open(os.path.join(self.seed_dir, k), "rb") as f:
                body = f.read()
            s3.put_object(Bucket=BUCKET, Key=k, Body=body,
                          ContentType="application/json" if k.endswith(".json") else "video/mp4")

        c0, t0 = cpu_s(self.s3.pid), time.time()
        with cf.ThreadPoolExecutor(a.put_threads) as ex:
            list(ex.map(put, meta[:put_n]))
        dt, dc = time.time() - t0, cpu_s(self.s3.pid) - c0
        rate = put_n / dt
        self.results["put"] = {"n": put_n, "rate": rate, "s3_cpu_ms": dc / put_n * 1000}
        out(f"s3_put_metadata: {put_n} objects in {dt:.1f} s = {rate:.0f} PUT/s with {a.put_threads} "
            f"threads (boto3); s3rver CPU {dc / put_n * 1000:.2f} ms per PUT; "
            f"{a.n} would take ~{a.n / rate:.0f} s")
        t0 = time.time()
        for k in media:
            put(k)
        out(f"s3_put_media: {len(media)} objects ({sum(os.path.getsize(os.path.join(self.seed_dir, k)) for k in media) >> 20} MiB) "
            f"in {time.time() - t0:.1f} s")
        # The rest straight into s3rver's on-disk layout (what its filesystem store writes).
        t0 = time.time()
        md = b'{\n  "content-type": "application/json"\n}'
        bucket_dir = os.path.join(self.s3_dir, BUCKET)
        made = set()
        for k in meta[put_n:]:
            with open(os.path.join(self.seed_dir, k), "rb") as f:
                body = f.read()
            base = os.path.join(bucket_dir, k)
            d = os.path.dirname(base)
            if d not in made:
                os.makedirs(d, exist_ok=True)
                made.add(d)
            with open(base + "._S3rver_object", "wb") as f:
                f.write(body)
            with open(base + "._S3rver_object.md5", "w") as f:
                f.write(hashlib.md5(body).hexdigest())
            with open(base + "._S3rver_metadata.json", "wb") as f:
                f.write(md)
        out(f"s3_direct_write: {len(meta) - put_n} metadata objects written into s3rver's layout in "
            f"{time.time() - t0:.1f} s")
        # A listing through s3rver checks the layout is what it serves.
        last = os.path.dirname(meta[-1]) + "/"
        n = s3.list_objects_v2(Bucket=BUCKET, Prefix=last)["KeyCount"]
        if n == 0:
            raise RuntimeError(f"s3rver lists nothing under {last}: the direct layout is wrong")
        subprocess.run(["sync"], check=False)

    # ---- start-up and reindex ----
    def phase_startup(self):
        a = self.a
        self.start_redis()
        self.start_lksim([0, 1, 2], "catalogue")
        c0 = cpu_s(self.s3.pid)
        ms = self.start_instance(0)
        s3c = cpu_s(self.s3.pid) - c0
        me = cpu_s(self.inst[0].pid)
        keys = int(self.redis_cmd("DBSIZE").strip())
        self.results["startup_first"] = ms
        out(f"startup_first_instance_ms: {ms:.0f} (shared index rebuilt from S3; CPU: s3rver {s3c:.1f} s, "
            f"meet-recorder {me:.1f} s; Redis keys after: {keys}; "
            f"used_memory {self.redis_info_field('memory', 'used_memory_human')})")
        others = [self.start_instance(i) for i in (1, 2)]
        self.results["startup_others"] = others
        out(f"startup_other_instances_ms: {', '.join(f'{x:.0f}' for x in others)} (index present)")
        st, body = http_call(self.ports[0], "GET", "/api/v1/recordings?maxItems=1")
        if st != 200:
            raise RuntimeError(f"list after start-up: {st} {body[:200]}")
    def phase_reindex(self):
        a = self.a
        runs = []
        for r in range(a.reindex_runs):
            env = self.instance_env(3)
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            c0 = cpu_s(self.s3.pid)
            t0 = time.time()
            p = subprocess.run([a.binary, "reindex"], env=env, capture_output=True, text=True,
                               timeout=a.startup_limit)
            wall = (time.time() - t0) * 1000
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            mc = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
            sc = cpu_s(self.s3.pid) - c0
            if p.returncode != 0:
                raise RuntimeError(f"reindex failed: {p.stderr.strip()[-400:]}")
            m = re.search(r"indexed (\d+) recordings \((\d+) objects skipped\) in (\d+) ms", p.stdout)
            runs.append(int(m.group(3)))
            out(f"reindex_run{r + 1}: {p.stdout.strip()} (wall {wall:.0f} ms; CPU: meet-recorder "
                f"{mc:.1f} s, s3rver {sc:.1f} s)")
            if int(m.group(1)) != a.n:
                self.notes.append(f"reindex indexed {m.group(1)} of {a.n}")
        self.results["reindex"] = runs

    def redis_info_field(self, section, field):
        m = re.search(rf"{field}:(\S+)", self.redis_cmd("INFO", section))
        return m.group(1) if m else "?"

    # ---- wrk ----
    def wrk(self, conns, url, extra=(), headers=True):
        argv = ["wrk", "-t1", f"-c{conns}", f"-d{self.a.duration}s", "--timeout", "10s", "--latency"]
        if headers:
            argv += ["-H", f"x-api-key: {API_KEY}"]
        argv += list(extra) + [url]
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    @staticmethod
    def parse_wrk(text):
        def ms(v):
            m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
            x = float(m.group(1))
            return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x * 60000 if m.group(2) == "m" else x
        def mb(v):
            m = re.match(r"([\d.]+)([KMGT]?B)$", v)
            return float(m.group(1)) * {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1, "GB": 1024, "TB": 2**20}[m.group(2)]
        r = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
             "reqs": int(re.search(r"(\d+) requests in", text).group(1))}
        r["p50"] = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
        r["p99"] = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
        r["mbps"] = mb(re.search(r"Transfer/sec:\s+(\S+)", text).group(1))
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        r["non2xx"] = int(m.group(1)) if m else 0
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        r["sockerr"] = sum(int(x) for x in m.groups()) if m else 0
        return r

    def measure(self, row, jobs, mr_pids, use_redis=True):
        """jobs: list of (conns, url, extra, headers); run together; records one run of `row`."""
        pids = {"s3rver": [self.s3.pid] if self.s3 else [], "meet": mr_pids,
                "redis": [self.redis.pid] if (self.redis and use_redis) else []}
        c0 = {k: sum(cpu_s(p) for p in v) for k, v in pids.items()}
        r0 = self.redis_total() if pids["redis"] else 0
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        ps = [self.wrk(*j) for j in jobs]
        texts = [p.communicate(timeout=self.a.duration + 60)[0] for p in ps]
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        r1 = self.redis_total() if pids["redis"] else 0
        c1 = {k: sum(cpu_s(p) for p in v) for k, v in pids.items()}
        try:
            parsed = [self.parse_wrk(t) for t in texts]
        except AttributeError:
            raise RuntimeError(f"{row}: unexpected wrk output: {texts[0][-500:]}")
        reqs = sum(x["reqs"] for x in parsed)
        res = {"rps": sum(x["rps"] for x in parsed), "p50": max(x["p50"] for x in parsed),
               "p99": max(x["p99"] for x in parsed), "mbps": sum(x["mbps"] for x in parsed),
               "bad": sum(x["non2xx"] + x["sockerr"] for x in parsed), "reqs": reqs}
        for k in pids:
            res[f"cpu_{k}"] = c1[k] - c0[k]
        res["cpu_wrk"] = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        # INFO itself is one command; the two INFO calls of this measurement are not counted.
        res["redis_per_req"] = (r1 - r0 - 1) / reqs if (pids["redis"] and reqs) else None
        self.results.setdefault(row, []).append(res)
        out(f"{row}: req_per_s={res['rps']:.0f} p50_ms={res['p50']:.2f} p99_ms={res['p99']:.2f} "
            f"MiB_per_s={res['mbps']:.0f} non2xx_or_errors={res['bad']} requests={reqs} "
            f"cpu_s: s3rver={res['cpu_s3rver']:.2f} meet={res['cpu_meet']:.2f} "
            f"redis={res['cpu_redis']:.2f} wrk={res['cpu_wrk']:.2f}"
            + (f" redis_cmds_per_req={res['redis_per_req']:.2f}" if res["redis_per_req"] is not None else ""))
        return res

    def catalogue_rows(self, base_port, prefix, mr_pids, use_redis):
        B = f"http://127.0.0.1:{base_port}/api/v1/recordings"
        big, one = self.ids["first_media"], self.ids["one"]
        rng_lua = os.path.join(REPO, "bench/range.lua")
        rows = [
            ("get_one_64c", [(64, f"{B}/{one}", (), True)]),
            ("list100_nofilter_1c", [(1, f"{B}?maxItems=100", (), True)]),
            ("list100_room_1c", [(1, f"{B}?maxItems=100&roomId=room-0042", (), True)]),
            ("list100_status_rare_1c", [(1, f"{B}?maxItems=100&status=limit_reached", (), True)]),
            ("list100_status_list_1c", [(1, f"{B}?maxItems=100&status=failed,aborted,active", (), True)]),
            ("media_full_64MiB_4c", [(4, f"{B}/{big}/media", (), True)]),
            ("media_full_64MiB_1c", [(1, f"{B}/{big}/media", (), True)]),
            ("media_range_1MiB_16c", [(16, f"{B}/{big}/media", ("-s", rng_lua), True)]),
        ]
        for name, jobs in rows:
            if self.a.rows and name not in self.a.rows.split(","):
                continue
            for _ in range(self.a.runs):
                self.measure(f"{prefix}{name}", jobs, mr_pids, use_redis)

    def phase_catalogue(self):
        mr = [self.inst[i].pid for i in (0, 1, 2)]
        self.catalogue_rows(self.ports[0], "fleet1_", mr, True)
        one = self.ids["one"]
        if not self.a.rows or "get_one_64c" in self.a.rows.split(","):
            for _ in range(self.a.runs):
                jobs = [(22 if i else 20, f"http://127.0.0.1:{self.ports[i]}/api/v1/recordings/{one}", (), True)
                        for i in (0, 1, 2)]
                self.measure("fleet3_get_one_64c", jobs, mr, True)

    def phase_s3direct(self):
        s3 = self.s3_client()
        one, big = self.ids["one"], self.ids["first_media"]
        room, eg, uid = one.split("--")
        meta_key = f"openvidu-meet/recordings/.metadata/{room}/{eg}/{uid}.json"
        room_b, _, uid_b = big.split("--")
        media_key = f"openvidu-meet/recordings/{room_b}/{room_b}--{uid_b}.mp4"
        url = lambda k: s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": k},
                                                  ExpiresIn=3600)
        rng_lua = os.path.join(REPO, "bench/range.lua")
        rows = [("s3_get_metadata_64c", "get_one_64c", [(64, url(meta_key), (), False)]),
                ("s3_media_full_64MiB_4c", "media_full_64MiB_4c", [(4, url(media_key), (), False)]),
                ("s3_media_range_1MiB_16c", "media_range_1MiB_16c", [(16, url(media_key), ("-s", rng_lua), False)])]
        for name, base, jobs in rows:
            if self.a.rows and base not in self.a.rows.split(","):
                continue
            for _ in range(self.a.runs):
                self.measure(name, jobs, [], False)

    def phase_local(self):
        port = free_port()
        env = {"PATH": "/usr/bin:/bin", "SERVER_PORT": str(port), "MEET_BIND_ADDRESS": "127.0.0.1",
               "MEET_INITIAL_API_KEY": API_KEY, "MEET_STORAGE_DIR": self.seed_dir,
               "MEET_LOG_LEVEL": "info", "MEET_EMBEDDED_LIVEKIT_PORT": str(free_port())}
        env.update(QUIET)
        t0 = time.time()
        p = self.procs.start("local", [self.a.binary, "serve", "--encoder", "none"], env)
        wait_health(port, p, self.a.startup_limit)
        out(f"local_startup_ms: {(time.time() - t0) * 1000:.0f} (first start of the folder: full scan)")
        # Let the page cache hold the metadata, as in the issue-2 run.
        subprocess.run(f"find {self.seed_dir} -name '*.json' -print0 | xargs -0 cat >/dev/null",
                       shell=True, check=False)
        saved, self.s3 = self.s3, None  # s3rver idles meanwhile: not part of these rows
        try:
            self.catalogue_rows(port, "local_", [p.pid], False)
        finally:
            self.s3 = saved
            self.procs.stop(p)

    # ---- Redis round trips of the lifecycle ----
    def tcp_ports_of(self, pid):
        """Local TCP ports of pid's sockets connected to the Redis port."""
        inodes = set()
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    t = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if t.startswith("socket:["):
                    inodes.add(t[8:-1])
        except OSError:
            return set()
        ports = set()
        for line in open("/proc/net/tcp").read().splitlines()[1:]:
            f = line.split()
            rport = int(f[2].split(":")[1], 16)
            if f[9] in inodes and rport == self.redis_port:
                ports.add(int(f[1].split(":")[1], 16))
        return ports

    def lifecycle_case(self, receivers, tag, rooms):
        a = self.a
        self.procs.stop(self.lk)
        self.start_lksim(receivers, tag)
        for r in rooms:
            st, body = http_call(self.lk_port, "POST", f"/sim/rooms/{r}/participants", {"identity": "bench"})
            if st != 201:
                raise RuntimeError(f"join {r}: {st} {body[:200]}")
        time.sleep(1.0)  # room_started / participant_joined webhooks settle
        owner = {}
        for i, p in self.inst.items():
            for port in self.tcp_ports_of(p.pid):
                owner[port] = i
        mon = self.procs.start(f"monitor-{tag}", ["redis-cli", "-p", str(self.redis_port), "MONITOR"],
                               None, f"monitor-{tag}")
        time.sleep(0.5)
        s3 = self.s3_client()
        marks = []
        t_idle0 = time.time()
        time.sleep(a.idle_s)
        marks.append(("idle_end", time.time()))
        starts = []
        for k in range(a.cycles):
            room = rooms[k % len(rooms)]
            for _ in range(400):
                t0 = time.time()
                st, body = http_call(self.ports[3], "POST", "/api/v1/recordings", {"roomId": room})
                if st != 409:
                    break
                time.sleep(0.01)
            if st != 201:
                raise RuntimeError(f"start {room}: {st} {body[:300]}")
            t1 = time.time()
            rid = json.loads(body)["recordingId"]
            starts.append((t1 - t0) * 1000)
            st, body = http_call(self.ports[3], "POST", f"/api/v1/recordings/{rid}/stop")
            if st != 202:
                raise RuntimeError(f"stop {rid}: {st} {body[:300]}")
            rm, eg, uid = rid.split("--")
            key = f"openvidu-meet/recordings/.metadata/{rm}/{eg}/{uid}.json"
            end = time.time() + 30
            while True:
                rec = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
                if rec.get("status") == "complete":
                    break
                if time.time() > end:
                    raise RuntimeError(f"{rid} not complete after 30 s: {rec.get('status')}")
                time.sleep(0.05)
        time.sleep(1.5)  # last webhook claims renewed, nothing in flight
        self.procs.stop(mon)
        lines = open(os.path.join(self.work, f"monitor-{tag}.log"), errors="replace").read().splitlines()
        return self.attribute(lines, owner, marks[0][1], receivers, tag, a.cycles, starts)

    def attribute(self, lines, owner, t_idle_end, receivers, tag, cycles, starts):
        pat = re.compile(r'^(\d+\.\d+) \[\d+ ([^\]]+)\] (.*)$')
        argpat = re.compile(r'"((?:[^"\\]|\\.)*)"')
        idle = 0
        per_inst = {}  # instance -> list of (cmd, args)
        lua = 0
        unknown = 0
        for line in lines:
            m = pat.match(line)
            if not m:
                continue
            ts, who, rest = float(m.group(1)), m.group(2), m.group(3)
            args = argpat.findall(rest)
            if not args:
                continue
            if who == "lua":
                if ts >= t_idle_end:
                    lua += 1
                continue
            port = int(who.rsplit(":", 1)[1]) if ":" in who else -1
            inst = owner.get(port)
            if ts < t_idle_end:
                if inst is not None:
                    idle += 1
                continue
            if inst is None:
                unknown += 1  # redis-cli INFO etc., or a connection opened after the mapping
                continue
            per_inst.setdefault(inst, []).append([a.upper() if i == 0 else a for i, a in enumerate(args)])
        api = per_inst.get(3, [])
        # Webhooks: segments of a receiver's stream, each starting at its claim of a webhook.
        claim_re = re.compile(r"ov_meet_lock:webhook_((?:egress|room|participant|track|ingress)_[a-z]+)_(.+)$")
        seg = {}  # event -> list of command counts (winner segments) ; losers apart
        deliveries = 0
        losers = 0
        pre = 0
        for i in receivers:
            # A command naming a claim goes to that delivery (its renew included); any other
            # command to the delivery claimed last on this instance (deliveries may interleave,
            # so the split by event type is approximate; the average per delivery is exact).
            open_segs, last = {}, None
            for cmd in per_inst.get(i, []):
                claim = next((claim_re.search(x) for x in cmd[1:] if claim_re.search(x)), None)
                if claim:
                    key = claim.group(0)
                    if key not in open_segs:
                        open_segs[key] = {"ev": claim.group(1), "n": 0}
                        deliveries += 1
                        last = key
                    open_segs[key]["n"] += 1
                elif last is not None:
                    open_segs[last]["n"] += 1
                else:
                    pre += 1
            for sgm in open_segs.values():
                seg.setdefault(sgm["ev"], []).append(sgm["n"])
        total_inst = sum(len(v) for v in per_inst.values())
        by_cmd = {}
        for i, cmds in per_inst.items():
            for c in cmds:
                by_cmd[c[0]] = by_cmd.get(c[0], 0) + 1
        res = {"tag": tag, "receivers": len(receivers), "cycles": cycles, "idle": idle,
               "api_total": len(api), "api_by_cmd": {}, "deliveries": deliveries,
               "seg": seg, "total": total_inst, "lua": lua, "unknown": unknown, "pre": pre,
               "by_cmd": by_cmd, "start_ms": starts}
        for c in api:
            res["api_by_cmd"][c[0]] = res["api_by_cmd"].get(c[0], 0) + 1
        self.results.setdefault("lifecycle", []).append(res)
        segs = ", ".join(f"{ev} x{len(v)}: {statistics.mean(v):.1f} cmds (min {min(v)}, max {max(v)})"
                         for ev, v in sorted(seg.items()))
        out(f"lifecycle_{tag}: {cycles} recordings, {len(receivers)} receiver(s); commands from the "
            f"instances: {total_inst} ({total_inst / cycles:.1f} per recording; + {lua} run inside Lua "
            f"scripts); API instance (start+stop requests): {len(api) / cycles:.1f} per recording "
            f"{dict(sorted(res['api_by_cmd'].items()))}; webhook deliveries {deliveries} "
            f"({deliveries / cycles:.1f} per recording); per webhook: {segs}; idle before: {idle}; "
            f"by command {dict(sorted(by_cmd.items()))}; start p50 {statistics.median(starts):.1f} ms")
        return res

    def phase_redis(self):
        self.start_instance(3)  # the API-only instance
        rooms = []
        for k in range(self.a.rooms):
            st, body = http_call(self.ports[3], "POST", "/api/v1/rooms", {"roomName": f"fleet bench {k}"})
            if st != 201:
                raise RuntimeError(f"create room: {st} {body[:200]}")
            rooms.append(json.loads(body)["roomId"])
        self.lifecycle_case([0], "1recv", rooms)
        self.lifecycle_case([0, 1, 2], "3recv", rooms)

    # ---- summary ----
    def summary(self):
        R = self.results
        out("")
        out("== Catalogue: fleet (S3 via s3rver + Redis) next to local disk, this run ==")
        out("| figure | fleet, 1 instance | S3 server alone (s3rver) | local disk (this run) | CPU per request: s3rver / meet-recorder / redis | Redis cmds per request |")
        out("|---|---|---|---|---|---|")
        def cell(rows, kind):
            if not rows:
                return "-"
            if kind == "rps":
                return f"{rng([r['rps'] for r in rows])} req/s, p50 {rng([r['p50'] for r in rows], '{:.2f}')} ms, p99 {rng([r['p99'] for r in rows], '{:.2f}')} ms" + bad(rows)
            if kind == "lat":
                return f"p50 {rng([r['p50'] for r in rows], '{:.1f}')} ms, p99 {rng([r['p99'] for r in rows], '{:.1f}')} ms ({rng([r['rps'] for r in rows])} req/s)" + bad(rows)
            return f"{rng([r['mbps'] for r in rows])} MiB/s ({rng([r['rps'] for r in rows], '{:.1f}')} req/s, p50 {rng([r['p50'] for r in rows], '{:.0f}')} ms)" + bad(rows)
        def bad(rows):
            b = sum(r["bad"] for r in rows)
            return f", {b} errors/non-2xx" if b else ""
        def cpu(rows):
            if not rows:
                return "-"
            f = lambda k: rng([r[k] / max(1, r["reqs"]) * 1000 for r in rows], "{:.2f}")
            return f"{f('cpu_s3rver')} / {f('cpu_meet')} / {f('cpu_redis')} ms"
        for name, kind, s3name in [("get_one_64c", "rps", "s3_get_metadata_64c"),
                                   ("list100_nofilter_1c", "lat", None), ("list100_room_1c", "lat", None),
                                   ("list100_status_rare_1c", "lat", None), ("list100_status_list_1c", "lat", None),
                                   ("media_full_64MiB_4c", "tput", "s3_media_full_64MiB_4c"),
                                   ("media_range_1MiB_16c", "tput", "s3_media_range_1MiB_16c")]:
            f = R.get("fleet1_" + name, [])
            rp = rng([r["redis_per_req"] for r in f if r["redis_per_req"] is not None], "{:.2f}") if f else "-"
            out(f"| {name} | {cell(f, kind)} | {cell(R.get(s3name, []), kind) if s3name else '(100 GetObject per page)'} "
                f"| {cell(R.get('local_' + name, []), kind)} | {cpu(f)} | {rp} |")
        if R.get("fleet3_get_one_64c"):
            f = R["fleet3_get_one_64c"]
            out(f"| get_one_64c over 3 instances | {cell(f, 'rps')} | | | {cpu(f)} | "
                f"{rng([r['redis_per_req'] for r in f], '{:.2f}')} |")
        out("(CPU per request: CPU seconds of the process during the run / requests answered; "
            "meet-recorder = sum over the 3 instances.)")
        if "startup_first" in R:
            out("")
            out("== Start-up over S3 ==")
            p = R.get("put")
            if p:
                out(f"| PUT through s3rver (boto3, {self.a.put_threads} threads) | {p['rate']:.0f} PUT/s "
                    f"({p['n']} objects; s3rver {p['s3_cpu_ms']:.2f} ms CPU each) → {self.a.n} would take ~{self.a.n / p['rate']:.0f} s |")
            out(f"| first instance, shared index rebuilt from S3 ({self.a.n} recordings) | {R['startup_first'] / 1000:.1f} s |")
            out(f"| other instances (index already in Redis) | {rng(R['startup_others'])} ms |")
            if R.get("reindex"):
                out(f"| meet-recorder reindex (same env, fleet running) | {rng([x / 1000 for x in R['reindex']], '{:.1f}')} s |")
        for res in R.get("lifecycle", []):
            c = res["cycles"]
            out("")
            out(f"== Redis commands, {res['receivers']} instance(s) receiving the webhooks ({c} recordings) ==")
            out(f"| per complete recording (all instances) | {res['total'] / c:.1f} (+ {res['lua'] / c:.1f} inside Lua scripts) |")
            out(f"| start + stop requests (API instance) | {res['api_total'] / c:.1f} per recording: {dict(sorted(res['api_by_cmd'].items()))} |")
            out(f"| webhook deliveries per recording | {res['deliveries'] / c:.1f} |")
            recv = res["total"] - res["api_total"]
            out(f"| per webhook delivery (receivers' commands / deliveries) | {recv / max(1, res['deliveries']):.2f} |")
            for ev, v in sorted(res["seg"].items()):
                out(f"| per {ev} delivery | {statistics.mean(v):.1f} (min {min(v)}, max {max(v)}, n={len(v)}) |")
            if res["idle"] or res["pre"] or res["unknown"]:
                out(f"| (idle before: {res['idle']}; receiver commands before any claim: {res['pre']}; unattributed: {res['unknown']}) | |")
        if self.notes:
            out("notes: " + "; ".join(self.notes))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--phases", default="seed,startup,catalogue,s3direct,redis,local,reindex")
    p.add_argument("--n", type=int, default=100000)
    p.add_argument("--duration", type=int, default=8)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--rows", default="", help="only these catalogue rows (comma list of base names)")
    p.add_argument("--put-sample", type=int, default=2000)
    p.add_argument("--put-threads", type=int, default=8)
    p.add_argument("--reindex-runs", type=int, default=1)
    p.add_argument("--startup-limit", type=int, default=900)
    p.add_argument("--cycles", type=int, default=20)
    p.add_argument("--rooms", type=int, default=5)
    p.add_argument("--idle-s", type=float, default=2.0)
    p.add_argument("--log-level", default="info")
    p.add_argument("--work", default="")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    a.binary = os.path.abspath(a.binary)

    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    b = Bench(a)
    out(f"machine: {os.cpu_count()} cores, {open('/proc/meminfo').readline().split()[1]} kB, "
        f"Linux {os.uname().release}; binary {a.binary}; work {b.work}")
    failed = False
    try:
        for phase in a.phases.split(","):
            log(f"--- {phase}")
            t0 = time.time()
            {"seed": b.phase_seed, "startup": b.phase_startup, "catalogue": b.phase_catalogue,
             "s3direct": b.phase_s3direct, "local": b.phase_local, "redis": b.phase_redis,
             "reindex": b.phase_reindex}[phase]()
            log(f"--- {phase} done in {time.time() - t0:.0f} s")
    except Exception as e:
        out(f"error: {type(e).__name__}: {e}")
        failed = True
    finally:
        b.procs.stop_all()
        try:
            b.summary()
        except Exception as e:
            out(f"summary error: {type(e).__name__}: {e}")
        if not a.keep and not a.work:
            shutil.rmtree(b.work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
