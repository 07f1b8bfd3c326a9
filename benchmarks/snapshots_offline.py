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

``--scale`` measures ``snapshot inspect A`` and ``snapshot diff A B`` instead, on pairs
of snapshots of a Kubernetes-like keyspace of 700-byte values: 100 k keys (a 100 MB
file), and with ``--large`` (or ETCDTUI_BENCH_SCALE_LARGE=1) 500 k and 1 M keys (500 MB,
1 GB). B is A after changing, deleting and adding about 3 % of the keys. It reports per
size the time, ms per MB, peak RSS against the target of 250 MB, and how ms per MB grows
from the smallest to the largest class (linear: at most 1.25x). The files are built
once through one growing sandbox (about 6 minutes for all three) and reused from --dir.
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

from benchmarks.harness import scratch_dir
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


# --- scale: inspect and diff on a million keys -----------------------------------------

# Size classes of the scale measure: MB -> live keys (values of SCALE_VALUE_SIZE bytes;
# etcd's file is about 1.04 MB per thousand such keys, so 1000 -> a 1 GB file of 1 M keys).
SCALE_CLASSES = {100: 100_000, 500: 500_000, 1000: 1_000_000}
SCALE_VALUE_SIZE = 700
SCALE_RSS_TARGET_MB = 250
# Linear: the CPU ms per MB at the largest class at most this many times that at 100 MB
# (CPU, not wall: the wall time on a shared machine says more about the neighbours).
SCALE_LINEAR_MAX = 1.25
# The 500 MB and 1 GB classes take minutes to build and run: only on request.
SCALE_LARGE_ENV = "ETCDTUI_BENCH_SCALE_LARGE"


async def _put_all(svc: ClusterService, items: list[tuple[bytes, bytes]]) -> None:
    for i in range(0, len(items), 128):
        await asyncio.gather(*(svc.put(k, v) for k, v in items[i : i + 128]))


def _scale_key(i: int) -> bytes:
    res = RESOURCES[i % len(RESOURCES)]
    return f"/registry/{res}/ns-{i % 50}/obj-{i}".encode()


async def _fill_range(
    svc: ClusterService, start: int, stop: int, size: int, rng: random.Random
) -> None:
    for lo in range(start, stop, 4096):
        items = []
        for i in range(lo, min(stop, lo + 4096)):
            key = _scale_key(i)
            parts = key.decode().split("/")
            items.append((key, envelope(parts[-1], parts[-2], size, rng)))
        await _put_all(svc, items)


async def _mutate(svc: ClusterService, keys: int, stage: int, size: int) -> None:
    """About 3 % of the keyspace: every 97th key changed, every 101st deleted, keys/100
    new Deployments and ConfigMaps: what ``diff A B`` then finds."""
    rng = random.Random(stage)
    changed = [i for i in range(5, keys, 97)]
    items = []
    for i in changed:
        key = _scale_key(i)
        parts = key.decode().split("/")
        items.append((key, envelope(parts[-1], parts[-2], size, rng)))
    for j in range(keys // 100):
        res = ("deployments", "configmaps")[j % 2]
        ns, name = f"ns-{j % 50}", f"new-{stage}-{j}"
        items.append((f"/registry/{res}/{ns}/{name}".encode(), envelope(name, ns, size, rng)))
    await _put_all(svc, items)
    for lo in range(7, keys, 101 * 128):
        await asyncio.gather(
            *(svc.delete(_scale_key(i)) for i in range(lo, min(keys, lo + 101 * 128), 101))
        )


def build_scale(base: Path, classes: list[int]) -> dict[int, tuple[Path, Path]]:
    """Per size class a pair of snapshots from one growing sandbox: A after the fill, B
    after :func:`_mutate`. Pairs already in ``base`` are reused (kept as they are); the
    sandbox grows only up to the largest class missing."""
    base.mkdir(parents=True, exist_ok=True)
    pairs = {mb: (base / f"scale-{mb}-a.db", base / f"scale-{mb}-b.db") for mb in classes}
    missing = [mb for mb, (a, b) in pairs.items() if not (a.exists() and b.exists())]
    if not missing:
        return pairs
    sandbox = Sandbox(base / "sandbox")
    rng = random.Random(42)

    def save(path: Path) -> None:
        subprocess.run(
            [str(find_binary("etcdctl")), "snapshot", "save", str(path)],
            env=sandbox.etcdctl_env(),
            check=True,
            capture_output=True,
        )

    async def run() -> None:
        async with ClusterService(sandbox.settings(timeout=30)) as svc:
            done = 0
            for mb in sorted(c for c in classes if c <= max(missing)):
                keys = SCALE_CLASSES[mb]
                t0 = time.perf_counter()
                await _fill_range(svc, done, keys, SCALE_VALUE_SIZE, rng)
                done = keys
                if mb in missing:
                    save(pairs[mb][0])
                await _mutate(svc, keys, mb, SCALE_VALUE_SIZE)
                if mb in missing:
                    save(pairs[mb][1])
                print(f"{mb} MB class: {time.perf_counter() - t0:.0f}s", file=sys.stderr)

    try:
        sandbox.up(1, quota_bytes=8 << 30)
        asyncio.run(run())
    finally:
        sandbox.down(purge=True)
    return pairs


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


def scale(base: Path, classes: list[int], runs: int) -> list[dict[str, Any]]:
    """``snapshot inspect A`` and ``snapshot diff A B`` per size class: wall and CPU time
    (median of ``runs``), ms per MB of A, peak RSS (max), against RSS < 250 MB."""
    pairs = build_scale(base, classes)
    env = child_env()
    py = sys.executable
    rows = []
    for mb in sorted(classes):
        a, b = pairs[mb]
        size_mb = a.stat().st_size / 1e6
        cmds = {
            "inspect": [py, "-m", "etcdtui", "snapshot", "inspect", "-o", "json", str(a)],
            "diff": [py, "-m", "etcdtui", "snapshot", "diff", str(a), str(b), "-o", "json"],
        }
        for name, cmd in cmds.items():
            load = load1()
            samples = [measure(cmd, env) for _ in range(runs)]
            wall = statistics.median(x[0] for x in samples)
            cpu = statistics.median(x[1] for x in samples)
            rss_mb = max(x[2] for x in samples) / 1e6
            summary = json.loads(samples[-1][3]).get("summary") if name == "diff" else None
            rows.append(
                {
                    "class_mb": mb,
                    "command": name,
                    "file_mb": round(size_mb, 1),
                    "seconds": round(wall, 2),
                    "cpu_seconds": round(cpu, 2),
                    "ms_per_mb": round(1000 * wall / size_mb, 1),
                    "cpu_ms_per_mb": round(1000 * cpu / size_mb, 1),
                    "peak_rss_mb": round(rss_mb, 1),
                    "rss_target": "met" if rss_mb < SCALE_RSS_TARGET_MB else "MISSED",
                    "load1": load,
                    **({"diff_summary": summary} if summary else {}),
                }
            )
    return rows


def print_scale(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'class':>6} {'command':8} {'file':>8} {'wall':>8} {'cpu':>8} {'ms/MB':>7}"
        f" {'cpu ms/MB':>9} {'peak RSS':>9}  RSS < {SCALE_RSS_TARGET_MB} MB   load"
    )
    for r in rows:
        print(
            f"{r['class_mb']:>4}MB {r['command']:8} {r['file_mb']:>6.0f}MB {r['seconds']:>7.1f}s"
            f" {r['cpu_seconds']:>7.1f}s {r['ms_per_mb']:>7.1f} {r['cpu_ms_per_mb']:>9.1f}"
            f" {r['peak_rss_mb']:>7.0f}MB  {r['rss_target']:12} {r['load1']:.1f}"
        )
    for name in ("inspect", "diff"):
        mine = [r for r in rows if r["command"] == name]
        if len(mine) < 2:
            continue
        small, big = mine[0], mine[-1]
        cpu = big["cpu_ms_per_mb"] / small["cpu_ms_per_mb"]
        wall = big["ms_per_mb"] / small["ms_per_mb"]
        verdict = "met" if cpu <= SCALE_LINEAR_MAX else "MISSED"
        print(
            f"linearity, {name}: ms/MB at {big['class_mb']} MB / at {small['class_mb']} MB ="
            f" {cpu:.2f} (CPU), {wall:.2f} (wall); target <= {SCALE_LINEAR_MAX} {verdict}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--value-size", type=int, default=3000)
    ap.add_argument("--dir", type=Path, default=None, help="keep files here (default: temp)")
    ap.add_argument("--snapshot", type=Path, default=None, help="use this file, build none")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (median)")
    ap.add_argument("--status-only", action="store_true", help="skip verify and inspect")
    ap.add_argument(
        "--scale",
        action="store_true",
        help="inspect and diff per size class (100 MB; with --large or "
        f"{SCALE_LARGE_ENV}=1 also 500 MB and 1 GB), time and peak RSS",
    )
    ap.add_argument("--large", action="store_true", help="--scale: add 500 MB and 1 GB")
    ap.add_argument("--scale-runs", type=int, default=1, help="--scale: runs per command")
    args = ap.parse_args()
    if args.scale:
        large = args.large or os.environ.get(SCALE_LARGE_ENV) == "1"
        rows = scale(
            args.dir or scratch_dir(), [100, 500, 1000] if large else [100], args.scale_runs
        )
        print_scale(rows)
        print(json.dumps(rows, indent=2))
        return
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
