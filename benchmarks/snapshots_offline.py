"""Offline snapshot benchmark: our status/inspect/verify against etcdutl, time and peak RSS.

    .venv/bin/python benchmarks/snapshots_offline.py [--keys 100000] [--value-size 3000]

Starts a private single-member sandbox (mutual TLS on 127.0.0.1), writes a
Kubernetes-like keyspace (--keys objects of about --value-size bytes under
/registry/<resource>/<ns>/<name>), takes a snapshot with etcdctl, stops the member,
then runs each tool in its own process and reports the median wall time, the median
CPU time (user + sys) and the peak RSS (from wait4) over --runs interleaved rounds,
with the load average around them: on a loaded machine the wall times say more about
the neighbours than about us, the CPU times less so. ``--snapshot FILE`` reuses a file.
Ratios are ours / etcdutl's; the issue's target for status is <= 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import scratch_dir
from etcdtui.ops.drills import keyspace
from etcdtui.services.binaries import find_binary
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox

RESOURCES = ("pods", "configmaps", "events", "secrets", "leases", "endpointslices")


def envelope(name: str, ns: str, size: int, rng: random.Random) -> bytes:
    """A Pod as kube-apiserver stores it (see etcdtui.ops.drills.keyspace), with a random
    body of ``size`` bytes."""
    meta = keyspace.text_field(1, name) + keyspace.text_field(3, ns)
    obj = keyspace.field(1, meta) + keyspace.field(2, rng.randbytes(size))
    return keyspace.envelope("v1", "Pod", obj)


async def fill(sandbox: Sandbox, keys: int, size: int) -> None:
    rng = random.Random(42)
    async with ClusterService(sandbox.settings(timeout=30)) as svc:
        batch = []
        for i in range(keys):
            res = RESOURCES[i % len(RESOURCES)]
            ns, name = f"ns-{i % 50}", f"obj-{i}"
            batch.append(
                svc.put(f"/registry/{res}/{ns}/{name}".encode(), envelope(name, ns, size, rng))
            )
            if len(batch) == 128:
                await asyncio.gather(*batch)
                batch = []
        if batch:
            await asyncio.gather(*batch)


def child_env() -> dict[str, str]:
    """The environment for our children: bytecode caching on (in a private prefix, so the
    work tree is not touched), as on a user's machine. A session that exports
    PYTHONDONTWRITEBYTECODE would otherwise recompile every module on every run."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "etcdtui-bench-pycache")
    return env


def load1() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, peak RSS in bytes, stdout) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{cmd[:4]} failed")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, out


def build(base: Path, keys: int, value_size: int) -> Path:
    snap = base / "bench.db"
    if snap.exists():
        return snap
    sandbox = Sandbox(base / "sandbox")
    try:
        sandbox.up(1, quota_bytes=8 << 30)
        t0 = time.perf_counter()
        asyncio.run(fill(sandbox, keys, value_size))
        print(f"filled {keys} keys in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        subprocess.run(
            [str(find_binary("etcdctl")), "snapshot", "save", str(snap)],
            env=sandbox.etcdctl_env(),
            check=True,
            capture_output=True,
        )
    finally:
        sandbox.down(purge=True)
    return snap


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--value-size", type=int, default=3000)
    ap.add_argument("--dir", type=Path, default=None, help="keep files here (default: temp)")
    ap.add_argument("--snapshot", type=Path, default=None, help="use this file, build none")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (median)")
    ap.add_argument("--status-only", action="store_true", help="skip verify and inspect")
    args = ap.parse_args()
    snap = args.snapshot
    if snap is None:
        base = args.dir or scratch_dir()
        snap = build(base, args.keys, args.value_size)
    py = sys.executable
    etcdutl = str(find_binary("etcdutl"))
    runs = {
        "etcdutl status": [etcdutl, "snapshot", "status", "-w", "json", str(snap)],
        "etcdtui status": [py, "-m", "etcdtui", "snapshot", "status", "-o", "json", str(snap)],
    }
    if not args.status_only:
        runs["etcdtui verify"] = [
            py,
            "-m",
            "etcdtui",
            "snapshot",
            "verify",
            "-o",
            "json",
            str(snap),
        ]
        runs["etcdtui inspect"] = [
            py,
            "-m",
            "etcdtui",
            "snapshot",
            "inspect",
            "-o",
            "json",
            str(snap),
        ]
    env = child_env()
    for cmd in runs.values():
        measure(cmd, env)  # warm the page cache and the bytecode cache
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in runs}
    outputs: dict[str, str] = {}
    loads = []
    # Interleaved rounds: a burst of load from elsewhere hits every command alike.
    for _ in range(max(3, args.runs)):
        loads.append(load1())
        for name, cmd in runs.items():
            seconds, cpu, rss, out = measure(cmd, env)
            samples[name].append((seconds, cpu, rss))
            outputs[name] = out
    loads.append(load1())
    results: dict[str, dict[str, Any]] = {}
    for name, rows in samples.items():
        results[name] = {
            "seconds_median": round(statistics.median(r[0] for r in rows), 3),
            "seconds_min": round(min(r[0] for r in rows), 3),
            "cpu_seconds_median": round(statistics.median(r[1] for r in rows), 3),
            "peak_rss_mb": round(max(r[2] for r in rows) / 1e6, 1),
        }
        if name.endswith("status"):
            results[name]["output"] = json.loads(outputs[name])
    ours, theirs = results["etcdtui status"], results["etcdutl status"]
    same = all(ours["output"][k] == theirs["output"][k] for k in theirs["output"])
    print(
        json.dumps(
            {
                "file_mb": round(snap.stat().st_size / 1e6, 1),
                "cpus": os.cpu_count(),
                "load1_min_max": [min(loads), max(loads)],
                "results": results,
                "status_numbers_equal": same,
                "status_time_ratio": round(ours["seconds_median"] / theirs["seconds_median"], 2),
                "status_cpu_ratio": round(
                    ours["cpu_seconds_median"] / theirs["cpu_seconds_median"], 2
                ),
                "status_rss_ratio": round(ours["peak_rss_mb"] / theirs["peak_rss_mb"], 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
