"""The certificates and security panes on the fake service (fixed reports, frozen clock):
the app, and the steps that bring each pane on screen."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from etcdtui.ui.app import EtcdtuiApp
from etcdtui.ui.security.security_pane import SecurityPane
from tests.support.fakes import FakeSecureCluster, fake_settings, scenario
from tests.support.pilot_helpers import until
from tests.support.screen_apps import FROZEN_NOW, populate


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
