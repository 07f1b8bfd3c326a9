"""Guided-procedure benchmarks on throwaway sandboxes (real etcd, mTLS, 127.0.0.1).

Usage::

    .venv/bin/python benchmarks/procedures.py                  # 300 MB snapshot
    .venv/bin/python benchmarks/procedures.py --size-mb 50     # quick run

1. Replace: time from SIGKILL of a follower to "3 healthy voters again" through
   ``etcdtui member replace --execute --yes``. This includes two waits the procedure
   makes on purpose: the failure-confirmation window (2 s) and the > 1 s pause before
   the peer URL is reused.
2. Restore: a snapshot of ``--size-mb`` is restored into all three members twice, once
   by hand (kill, move the data dirs aside, ``etcdutl snapshot restore`` per member,
   start, wait for health) and once through ``etcdtui restore --execute --yes``; the
   ratio is the plan's overhead (it verifies the snapshot and hashes it as well).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import temp_sandbox
from etcdtui.cli.procedure_cmds import run_cli
from etcdtui.services.binaries import find_binary
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox


async def _fill(sb: Sandbox, size_mb: int, value_kb: int = 64, concurrency: int = 16) -> None:
    value = b"v" * (value_kb * 1024)
    n = max(1, size_mb * 1024 // value_kb)
    async with ClusterService(sb.settings(timeout=30.0)) as svc:
        queue = list(range(n))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                await svc.put(f"/bench/{i:08d}".encode(), value)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _full_strength(sb: Sandbox) -> bool:
    async with ClusterService(sb.settings()) as svc:
        ms = await svc.members()
        voters = [m for m in ms.members if not m.is_learner]
        health = await svc.health([m.client_urls[0] for m in voters if m.client_urls])
    return len(voters) == 3 and len(ms.members) == 3 and all(h.healthy for h in health)


def _quiet(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return run_cli(argv)


def bench_replace() -> float:
    sb = temp_sandbox(3)
    try:
        asyncio.run(_fill(sb, 1, value_kb=1))
        t0 = time.perf_counter()
        sb.kill("m2")
        rc = _quiet(["member", "replace", "m2", "--sandbox-dir", str(sb.dir), "--execute", "--yes"])
        if rc != 0 or not asyncio.run(_full_strength(sb)):
            raise SystemExit("replace failed")
        return time.perf_counter() - t0
    finally:
        sb.down()
        shutil.rmtree(sb.dir.parent, ignore_errors=True)


def restore_by_hand(sb: Sandbox, snap: Path) -> float:
    assert sb.state is not None
    etcdutl = str(find_binary("etcdutl"))
    cluster = ",".join(f"{m.name}={m.peer_url}" for m in sb.state.members)
    t0 = time.perf_counter()
    for m in sb.state.members:
        sb.stop_member(m.name)
    for m in sb.state.members:
        d = sb.data_dir(m.name)
        d.rename(d.with_name(f"{m.name}.by-hand-{time.time_ns()}"))
    for m in sb.state.members:
        subprocess.run(
            [
                etcdutl,
                "snapshot",
                "restore",
                str(snap),
                f"--name={m.name}",
                f"--initial-cluster={cluster}",
                "--initial-cluster-token=by-hand",
                f"--initial-advertise-peer-urls={m.peer_url}",
                f"--data-dir={sb.data_dir(m.name)}",
            ],
            check=True,
            capture_output=True,
        )
    for m in sb.state.members:
        sb._spawn(m, initial_state="existing")
    sb._save()
    sb.wait_healthy(timeout=120)
    return time.perf_counter() - t0


def restore_with_plan(sb: Sandbox, snap: Path) -> float:
    t0 = time.perf_counter()
    # the cluster is healthy here on purpose: the plan's warnings are acknowledged
    argv = ["restore", str(snap), "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    rc = _quiet([*argv, "--acknowledge-risks"])
    if rc != 0:
        raise SystemExit("restore failed")
    return time.perf_counter() - t0


def bench_restore(size_mb: int) -> tuple[float, float]:
    sb = temp_sandbox(3, quota_bytes=max(2, size_mb // 256 + 2) * 1024**3)
    try:
        asyncio.run(_fill(sb, size_mb))
        snap = sb.dir.parent / "bench.db"
        env = sb.etcdctl_env([sb.settings().endpoints[0]])
        subprocess.run(
            [str(find_binary("etcdctl")), "snapshot", "save", str(snap)],
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
        by_hand = restore_by_hand(sb, snap)
        planned = restore_with_plan(sb, snap)
        return by_hand, planned
    finally:
        sb.down()
        shutil.rmtree(sb.dir.parent, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--size-mb", type=int, default=300, help="snapshot size for the restore")
    ap.add_argument("--skip-replace", action="store_true")
    args = ap.parse_args()
    if not args.skip_replace:
        print(f"member replace: killed -> full strength   {bench_replace():6.2f} s")
    by_hand, planned = bench_restore(args.size_mb)
    print(
        f"restore {args.size_mb} MB: by hand {by_hand:6.2f} s   etcdtui restore "
        f"{planned:6.2f} s   ratio {planned / by_hand:4.2f}"
    )


if __name__ == "__main__":
    main()
