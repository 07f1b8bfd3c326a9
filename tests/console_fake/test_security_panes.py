"""Certificates and security panes on the fake service (fixed reports, frozen clock):
sorting, severity marks, the header's nearest expiry, the `:` commands. Their twins on
real etcd are in tests/console_etcd/test_security_panes.py."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from etcdtui.ui.security.security_pane import SecurityPane
from tests.support.pilot_helpers import until
from tests.support.screen_apps import SIZE, populate
from tests.support.security_apps import (
    cells,
    header_certs,
    secure_fake_app,
    show_certs,
    show_security,
)


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
