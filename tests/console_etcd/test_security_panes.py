"""Certificates and security panes.

* fake service (fixed reports, frozen clock): screen snapshots and behaviour of the
  panes (sorting, severity marks, the header's nearest expiry);
* real etcd: the shared mTLS ``cluster`` shows its 3 server certs and the client cert
  with ~365 days left; a ``fresh_cluster(client_cert_auth=False)`` gets the
  "TLS without client certificate accepted" finding.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from etcdtui.services.audit import AuditLog
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.app import EtcdtuiApp
from etcdtui.ui.security.certs_pane import CertsPane
from etcdtui.ui.security.security_pane import SecurityPane
from tests.support.fakes import FakeSecureCluster, fake_settings, scenario
from tests.support.pilot_helpers import real_app, until
from tests.support.snapshot_apps import FROZEN_NOW, SIZE, populate


def secure_fake_app() -> EtcdtuiApp:
    sc = scenario("healthy")
    return EtcdtuiApp(
        fake_settings(),
        service_factory=lambda s: FakeSecureCluster(s, sc),
        autopoll=False,
        clock=lambda: FROZEN_NOW,
        theme_dirs=[],
    )


def cells(table: DataTable[Any], column: int) -> list[str]:
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


def header_certs(app: EtcdtuiApp) -> str:
    badge = app.main.query_one("#hdr-certs", Static)
    return str(badge.render()) if badge.display else ""


async def show_certs(pilot: Pilot[Any]) -> None:
    await populate(pilot)
    await pilot.press("5")
    await until(pilot, lambda: pilot.app.cert_result is not None, what="cert report")  # type: ignore[attr-defined]
    await pilot.pause()


async def show_security(pilot: Pilot[Any]) -> None:
    await populate(pilot)
    await pilot.press("6", "s")
    pane = pilot.app.main.query_one(SecurityPane)  # type: ignore[attr-defined]
    await until(pilot, lambda: pane.result is not None, what="scan result")
    await pilot.pause()


# --- fake service -----------------------------------------------------------------------------


async def test_certs_pane_marks_expiry_and_broken_certs_and_feeds_the_header() -> None:
    app = secure_fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        assert header_certs(app) == ""  # not checked yet: no badge at all
        await show_certs(pilot)
        table = app.main.query_one("#certs-table", DataTable)
        assert cells(table, 0) == ["server", "server", "server", "client", "ca"]
        days = cells(table, 3)
        assert days[0] == "⚠ 21" and "✔ 340" in days
        checks = cells(table, 4)
        assert any(c.startswith("✖ no SAN matches 10.0.0.3") for c in checks)
        assert header_certs(app) == "⚠ certs 21d"
        assert app.main.query_one("#hdr-certs").has_class("-warning")
        await pilot.press("r")  # the pane's key re-checks (same fixed report)
        await pilot.pause()
        assert table.row_count == 5


async def test_security_pane_scans_on_demand_sorted_by_severity() -> None:
    app = secure_fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("6")
        pane = app.main.query_one(SecurityPane)
        assert pane.result is None  # nothing runs until asked
        await show_security(pilot)
        table = pane.query_one(DataTable)
        assert cells(table, 0) == ["✖ critical", "⚠ medium", "⚠ low", "ℹ info"]
        detail = str(pane.query_one("#security-detail", Static).render())
        assert "--client-cert-auth=true" in detail


async def test_command_line_opens_the_panes() -> None:
    app = secure_fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("colon", *"certs", "enter")
        await pilot.pause()
        assert app.main.query_one("#panes").current == "certs"  # type: ignore[attr-defined]
        await pilot.press("colon", *"scan", "enter")
        pane = app.main.query_one(SecurityPane)
        await until(pilot, lambda: pane.result is not None, what="scan via :scan")
        assert app.main.query_one("#panes").current == "security"  # type: ignore[attr-defined]


def test_snapshot_certs_pane(snap_compare: Any) -> None:
    assert snap_compare(secure_fake_app(), terminal_size=SIZE, run_before=show_certs)


def test_snapshot_security_pane(snap_compare: Any) -> None:
    assert snap_compare(secure_fake_app(), terminal_size=SIZE, run_before=show_security)


# --- real etcd --------------------------------------------------------------------------------


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


def test_cert_pane_is_registered() -> None:
    from etcdtui.ui import actions, panes

    assert panes.pane("certs") is not None and panes.pane("security") is not None
    assert actions.by_command("certs") is not None and actions.by_command("security") is not None
    assert CertsPane.BINDINGS and SecurityPane.BINDINGS


def test_header_text_levels() -> None:
    import dataclasses as dc

    from etcdtui.services.tls.cert_report import CertReport
    from etcdtui.ui.security.source import CertsResult, header_text
    from tests.support.fakes import fake_cert_report

    certs = fake_cert_report().certs
    soon = dc.replace(certs[0], days_left=5, not_after=certs[1].not_after)
    ok = [dc.replace(c, days_left=100) for c in certs]
    assert header_text(CertsResult(CertReport((soon, *certs[2:])), 0.0)) == (
        "✖ certs 5d",
        "critical",
    )
    assert header_text(CertsResult(CertReport(tuple(ok)), 0.0)) == ("certs 100d", "ok")
    assert header_text(CertsResult(None, 0.0, "no TLS")) == ("certs ?", "warning")
    assert header_text(CertsResult(CertReport(()), 0.0)) is None
    assert header_text(None) is None
