"""Scenario 15: two operators at once. Two `member replace` runs started together: one
proceeds, the other is refused naming the one that holds the cluster. A `snapshot save`
during a restore: a save onto the file the restore reads is refused, and the restore
finishes untouched. Neither corrupts the other's state."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.executor import load_state, plan_state_dir
from etcdtui.services.sandbox import Sandbox
from tests.support.faults import (
    AckWriter,
    cli,
    probe_keys,
    refuses_quorum_loss,
    verify_acked,
)
from tests.support.helpers import etcdctl
from tests.support.pilot_helpers import real_app, rows, until


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "ETCDTUI_TEST_CRASH_AT"}
    return subprocess.Popen(
        [sys.executable, "-m", "etcdtui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def _finish(proc: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()  # by its PID
        out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def _healthy(app: object, n: int = 3) -> bool:
    r = rows(app)  # type: ignore[arg-type]
    return len(r) == n and all(x.health.startswith("✔") for x in r.values())


async def test_two_replace_runs_at_once_one_proceeds_one_refused(
    faulty: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = faulty(3, fault_proxy=False)
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"))
    writer = AckWriter(sb, "/faults/s15")
    args = ("member", "replace", "m3", "--sandbox-dir", str(sb.dir), "--execute", "--yes")
    with writer:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: _healthy(app), what="3 healthy rows")
            await asyncio.to_thread(sb.kill, "m3")
            await until(
                pilot,
                lambda: "unreachable" in rows(app)["m3"].health,
                timeout=20,
                what="m3 shown down",
            )
            await refuses_quorum_loss(sb, "m1")
            first, second = _spawn(*args), _spawn(*args)
            results = await asyncio.gather(
                asyncio.to_thread(_finish, first), asyncio.to_thread(_finish, second)
            )
            await probe_keys(pilot, app, "15 two replace runs")
            ok = [r for r in results if r[0] == 0]
            refused = [r for r in results if r[0] != 0]
            assert len(ok) == 1 and len(refused) == 1, [(r[0], r[2][-1500:]) for r in results]
            winner = first if results[0][0] == 0 else second
            rc, _out, err = refused[0]
            assert rc == 2, err[-2000:]
            assert "holds this cluster" in err and f"pid {winner.pid}" in err, err[-2000:]
            assert "Traceback" not in err
            # the winner ran to the end; the cluster is whole
            await until(
                pilot, lambda: _healthy(app), timeout=60, what="3 healthy rows after the replace"
            )
    plans = sorted(plan_state_dir().glob("replace-*.json"), key=lambda p: p.stat().st_mtime)
    assert [load_state(p.stem)["status"] for p in plans][-1:] == ["done"]
    sb2 = Sandbox(sb.dir)
    sb2.wait_healthy(timeout=60)
    log = writer.stop()
    assert verify_acked(sb2, log) > 0


async def test_a_save_during_a_restore_is_refused_and_the_restore_finishes(
    faulty: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = faulty(3, fault_proxy=False)
    snap = tmp_path / "snap.db"
    writer = AckWriter(sb, "/faults/s15-restore")
    with writer:
        writer.wait_acked(20)
    log = writer.stop()  # every acknowledged write is in the snapshot
    etcdctl(sb, "snapshot", "save", str(snap), endpoints=[sb.settings().endpoints[0]])
    digest = hashlib.sha256(snap.read_bytes()).hexdigest()
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _healthy(app), what="3 healthy rows")
        for name in ("m1", "m2", "m3"):  # quorum lost: the case restore is for
            await asyncio.to_thread(sb.kill, name)
        await until(pilot, lambda: app.state.badge()[1] == "lost", timeout=30, what="lost")
        restore = _spawn("restore", str(snap), "--sandbox-dir", str(sb.dir), "--execute", "--yes")
        try:
            # the other operator saves while the restore runs: onto the file it reads
            same = await asyncio.to_thread(cli, sb, "snapshot", "save", str(snap), timeout=5.0)
            assert restore.poll() is None, "the restore ended before the save: no overlap"
            assert same.returncode != 0, same.stdout
            assert "exists" in same.stderr and str(snap) in same.stderr, same.stderr
            assert "Traceback" not in same.stderr
            await probe_keys(pilot, app, "15 save during a restore")
        finally:
            rc, out, err = await asyncio.to_thread(_finish, restore)
        assert rc == 0, out[-2000:] + err[-2000:]
        assert hashlib.sha256(snap.read_bytes()).hexdigest() == digest
        await until(pilot, lambda: _healthy(app), timeout=60, what="3 healthy rows after restore")
    sb2 = Sandbox(sb.dir)
    async with ClusterService(sb2.settings(timeout=3.0)) as svc:
        assert len((await svc.members()).members) == 3
    assert verify_acked(sb2, log) > 0
