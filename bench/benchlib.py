"""Small helpers shared by the Python benchmark drivers (lifecycle_bench.py, fleet_bench.py)."""

import os
import socket
import sys


def log(*a):
    """Progress and diagnostics go to stderr; the figures alone go to stdout."""
    print(*a, file=sys.stderr, flush=True)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def proc_cpu_s(pid):
    """User + system CPU seconds of a live process (0.0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0
