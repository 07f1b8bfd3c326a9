"""Certificates and security panes on real etcd: the shared mTLS ``cluster`` shows its 3
server certs and the client cert with ~365 days left; a
``fresh_cluster(client_cert_auth=False)`` gets the "TLS without client certificate
accepted" finding. The panes on the fake service (fixed reports) are in
tests/console_fake/test_security_panes.py, their screen snapshots in tests/svg/."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import DataTable

from etcdtui.services.audit import AuditLog
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.security.security_pane import SecurityPane
from tests.support.pilot_helpers import real_app, until
from tests.support.security_apps import cells, header_certs


@pytest.mark.etcd
async def test_certs_pane_on_the_shared_sandbox(cluster: Sandbox, tmp_path: Any) -> None:
    app = real_app(cluster.settings(), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, lambda: app.cert_result is not None, timeout=30, what="cert check")
        await pilot.press("5")
        await pilot.pause()
        res = app.cert_result
        assert res is not None and res.report is not None, res
        servers = [c for c in res.report.certs if c.role == "server"]
        assert sorted(c.source for c in servers) == sorted(cluster.settings().endpoints)
        assert all(not c.problems for c in servers), [c.problems for c in servers]
        client = [c for c in res.report.certs if c.role == "client"]
        assert len(client) == 1 and 360 <= (client[0].days_left or 0) <= 366
        table = app.main.query_one("#certs-table", DataTable)
        assert cells(table, 0).count("server") == 3 and "client" in cells(table, 0)
        assert all("SAN and chain ok" in c for c in cells(table, 4)[:3])
        nearest = min(c.days_left or 0 for c in res.report.certs)
        assert header_certs(app) == f"certs {nearest}d" and 360 <= nearest <= 366


@pytest.mark.etcd
async def test_security_pane_finds_tls_without_client_cert(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Any
) -> None:
    sb = await asyncio.to_thread(fresh_cluster, 3, client_cert_auth=False)
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("6", "s")
        pane = app.main.query_one(SecurityPane)
        await until(pilot, lambda: pane.result is not None, timeout=60, what="scan")
        res = pane.result
        assert res is not None and res.report is not None, res
        assert "client-cert-not-required" in res.report.ids()
        table = pane.query_one(DataTable)
        assert cells(table, 1)[0] in {"client-cert-not-required", "auth-disabled"}
        assert cells(table, 0)[0] == "✖ critical"
        assert "client-cert-not-required" in cells(table, 1)
