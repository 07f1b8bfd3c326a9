"""Scenario 10: NOSPACE under ``--quota-backend-bytes`` 16 MiB, with a writer running.

The alarm shows in the console's header as refused writes, the writer's puts are refused
by etcd, and the documented recovery (`maintenance nospace --execute`) lets writes in
again, with every acknowledged write kept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from etcdtui import errors
from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.widgets.header import Badge
from tests.support.faults import AckWriter, cli, probe_keys, verify_acked
from tests.support.helpers import fill_to_nospace
from tests.support.pilot_helpers import real_app, rows, until

QUOTA = 16 * 1024 * 1024


async def test_nospace_alarm_shown_writes_refused_and_recovered(
    faulty: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = faulty(3, fault_proxy=False, quota_bytes=QUOTA)
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"))
    writer = AckWriter(sb, "/faults/s10")
    with writer:
        async with app.run_test(size=(140, 45)) as pilot:
            await until(pilot, lambda: len(rows(app)) == 3, what="3 members")
            await until(pilot, lambda: writer.log.ok >= 5, what="first acknowledged writes")
            async with ClusterService(sb.settings(timeout=5.0)) as svc:
                kept = await fill_to_nospace(svc)
                # the service layer: the alarm, and a put refused with its cause
                assert "NOSPACE" in {a.kind for a in await svc.alarms()}
                try:
                    await svc.put(b"/faults/s10/refused", b"x")
                except errors.NoSpace as exc:
                    refused = exc
                else:
                    raise AssertionError("a put went through under NOSPACE")
            assert "defragment" in refused.fix, refused.fix
            badge = app.main.query_one("#hdr-quorum", Badge)
            await until(
                pilot,
                lambda: "writes refused" in str(badge.content),
                timeout=90,
                what="the NOSPACE badge",
                show=lambda: str(badge.content),
            )
            await until(
                pilot,
                lambda: writer.log.failures.get(errors.NoSpace.code, 0) > 0,
                timeout=60,
                what="the writer's puts refused",
            )
            await probe_keys(pilot, app, "10 NOSPACE")
            # the recovery, as the operator runs it
            done = await asyncio.to_thread(
                cli,
                sb,
                "maintenance",
                "nospace",
                "--execute",
                "--yes",
                "--wait",
                "0.5",
                "-o",
                "json",
                timeout=5.0,
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["write_ok"] is True
            await until(
                pilot,
                lambda: "writes refused" not in str(badge.content),
                timeout=90,
                what="the badge back to normal",
            )
            acked = writer.log.ok
            await until(pilot, lambda: writer.log.ok >= acked + 5, what="writes accepted again")
    log = writer.stop()
    assert verify_acked(sb, log) > 0
    async with ClusterService(sb.settings(timeout=5.0)) as svc:
        assert await svc.alarms() == ()
        for key, value in kept.items():
            got = (await svc.get(key)).kvs
            assert got and got[0].value == value, key
