"""Scenario 16: the etcdtui process SIGKILLed in the middle of an executing `member
replace` and of a restore, while the console watches. A second run resumes; no data dir
is deleted (the old ones are moved aside, kept); the cluster ends healthy with every
acknowledged write. (Every step boundary is covered by
tests/integration/test_crash_resume.py; here a few kills, under a console and a writer.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from etcdtui.services.audit import AuditLog
from etcdtui.services.executor import load_state
from etcdtui.services.sandbox import Sandbox
from tests.support.crash_helpers import KEYS, crash_chain, healthy_voters, key_count, write_keys
from tests.support.faults import AckWriter, probe_keys, refuses_quorum_loss, verify_acked
from tests.support.helpers import etcdctl
from tests.support.pilot_helpers import real_app, rows, until


def _healthy(app: object) -> bool:
    r = rows(app)  # type: ignore[arg-type]
    return len(r) == 3 and all(x.health.startswith("✔") for x in r.values())


def _dirs(sb: Sandbox) -> set[str]:
    return {p.name for p in sb.data_dir("m1").parent.iterdir() if p.is_dir()}


async def test_replace_killed_midway_resumes_and_keeps_every_dir(
    faulty: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = faulty(3, fault_proxy=False)
    await asyncio.to_thread(write_keys, sb)
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"))
    writer = AckWriter(sb, "/faults/s16")
    with writer:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: _healthy(app), what="3 healthy rows")
            await asyncio.to_thread(sb.kill, "m2")
            before = _dirs(sb)
            await until(
                pilot, lambda: "unreachable" in rows(app)["m2"].health, timeout=20, what="m2 down"
            )
            await refuses_quorum_loss(sb, "m1")
            base = ["member", "replace", "m2", "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
            resume = ["member", "replace", "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
            plan_id = await asyncio.to_thread(
                crash_chain,
                base,
                resume,
                "replace",
                ["add-learner:after", "catch-up:during"],
            )
            assert load_state(plan_id)["status"] == "done"
            await until(pilot, lambda: _healthy(app), timeout=60, what="3 healthy rows")
            await probe_keys(pilot, app, "16 replace killed midway")
    after = _dirs(sb)
    for name in before:  # in place, or moved aside: never deleted
        assert name in after or any(a.startswith(f"{name}.aside-") for a in after), (before, after)
    assert any(a.startswith("m2.aside-") for a in after), after  # the failed member's data
    sb2 = Sandbox(sb.dir)
    assert len(healthy_voters(sb2)) == 3
    assert sb2.state is not None
    for m in sb2.state.members:
        if not m.removed:
            assert key_count(sb2, sb2.client_url(m)) == KEYS
    log = writer.stop()
    assert verify_acked(sb2, log) > 0


async def test_restore_killed_midway_resumes_and_keeps_every_dir(
    faulty: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = faulty(3, fault_proxy=False)
    writer = AckWriter(sb, "/faults/s16-restore")
    with writer:
        writer.wait_acked(20)
    log = writer.stop()  # acknowledged before the snapshot: a restore must keep them
    await asyncio.to_thread(write_keys, sb)
    snap = tmp_path / "snap.db"
    etcdctl(sb, "snapshot", "save", str(snap), endpoints=[sb.settings().endpoints[0]])
    etcdctl(sb, "put", "after-snapshot", "x")  # rolled back by the restore, on purpose
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _healthy(app), what="3 healthy rows")
        ack = ["--execute", "--yes", "--acknowledge-risks"]  # the cluster is healthy
        base = ["restore", str(snap), "--sandbox-dir", str(sb.dir), *ack]
        resume = ["restore", "--sandbox-dir", str(sb.dir), *ack]
        plan_id = await asyncio.to_thread(
            crash_chain, base, resume, "restore", ["move-aside-m2:after", "restore-m1:during"]
        )
        assert load_state(plan_id)["status"] == "done"
        await until(pilot, lambda: _healthy(app), timeout=60, what="3 healthy rows after")
        await probe_keys(pilot, app, "16 restore killed midway")
    parent = sb.data_dir("m1").parent
    for name in ("m1", "m2", "m3"):  # every old data dir moved aside, with its data
        kept = list(parent.glob(f"{name}.before-restore-*"))
        assert len(kept) == 1 and (kept[0] / "member" / "snap" / "db").is_file(), name
    sb2 = Sandbox(sb.dir)
    assert len(healthy_voters(sb2)) == 3
    assert sb2.state is not None
    for m in sb2.state.members:
        assert key_count(sb2, sb2.client_url(m)) == KEYS
    assert etcdctl(sb2, "get", "after-snapshot").stdout.strip() == ""
    assert verify_acked(sb2, log) > 0
