"""The console's consistency sentinel and /metrics loop on real etcd, and the NOSPACE
recovery from the console. The sentinel on the fake service (a mismatch, switched off)
is in tests/console_fake/test_console_sentinel.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.app import EtcdtuiApp
from etcdtui.ui.console_service import ConsoleService
from tests.support.pilot_helpers import until


@pytest.mark.etcd
async def test_sentinel_and_metrics_on_a_read_only_console(
    cluster: Sandbox, tmp_path: Path
) -> None:
    settings = cluster.settings(timeout=5)
    async with ClusterService(settings) as svc:
        before = (await svc.get(b"\0", keys_only=True, limit=1)).header.revision
    audit = AuditLog(tmp_path / "audit.jsonl")
    from dataclasses import replace

    ro = replace(settings, read_only=True)
    app = EtcdtuiApp(
        ro,
        service_factory=lambda s: ConsoleService(s, audit=audit),
        refresh_interval=1.0,
        audit_log=audit,
        theme_dirs=[],
        consistency_every=1.0,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.consistency is not None, what="a consistency check")
        report = app.state.consistency
        assert report is not None and report.consistent and len(report.answered) == 3
        await until(pilot, lambda: len(app.state.quotas()) == 3, what="every member's quota")
        assert set(app.state.quotas().values()) == {2 * 1024**3}  # etcd's own, as scraped
        from rich.console import Console

        from etcdtui.ui.screens.detail import detail_table

        leader = app.state.leader_id()
        assert leader is not None
        console = Console(width=200, record=True)
        console.print(detail_table(app.state, leader))
        shown = console.export_text()
        assert "2.0 GiB" in shown and "WAL fsync p99" in shown and "has leader" in shown
    async with ClusterService(settings) as svc:
        after = (await svc.get(b"\0", keys_only=True, limit=1)).header.revision
    assert after == before  # the sentinel wrote nothing
    assert audit.read() == []


@pytest.mark.etcd
async def test_nospace_recovery_from_the_console(fresh_cluster: Any, tmp_path: Path) -> None:
    import os

    from textual.widgets import Button, Input

    from etcdtui import errors
    from etcdtui.ui.errors import ErrorModal
    from etcdtui.ui.screens.maintenance_modal import MaintenanceModal
    from tests.support.pilot_helpers import real_app, type_text

    sandbox = fresh_cluster(3, quota_bytes=16 * 1024 * 1024)
    value = os.urandom(256 * 1024)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        for i in range(400):
            try:
                await svc.put(f"/fill/{i % 4}".encode(), value)
                await svc.put(b"/kept", f"{i}".encode())
            except errors.NoSpace:
                break
        else:
            raise AssertionError("the quota was never hit")
        kept = (await svc.get(b"/kept")).kvs[0].value
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = real_app(sandbox.settings(timeout=5), audit)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: any(a.kind == "NOSPACE" for a in app.state.alarms),
            timeout=60,
            what="the NOSPACE alarm",
        )
        advice = [a for a in app.state.advisories(2 * 1024**3) if a.code == "alarm-nospace"]
        assert advice and ":nospace" in advice[0].fix
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, MaintenanceModal), what="the modal")
        run = app.screen.query_one("#run", Button)
        assert run.disabled  # nothing runs before the word is typed
        app.screen.query_one("#confirm", Input).focus()
        await type_text(pilot, "nospace")
        await until(pilot, lambda: not run.disabled, what="run enabled by the typed word")
        await pilot.click("#run")
        await until(
            pilot,
            lambda: (
                not isinstance(app.screen, MaintenanceModal) or isinstance(app.screen, ErrorModal)
            ),
            timeout=180,
            what="the recovery to finish",
        )
        assert not isinstance(app.screen, ErrorModal)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        assert await svc.alarms() == ()
        await svc.put(b"/after", b"ok")
        assert (await svc.get(b"/kept")).kvs[0].value == kept
    actions = [r["action"] for r in audit.read()]
    assert actions.count("defragment") == 3 and "alarm-disarm" in actions
