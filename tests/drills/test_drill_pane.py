"""The drill pane end to end on real etcd: pick a drill, see it fail, fix it, see it pass."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from etcdtui.cli.procedure_cmds import run_cli
from etcdtui.ops.drills import runner
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.app import EtcdtuiApp
from tests.support.pilot_helpers import until
from tests.support.screen_apps import make_app

pytestmark = [pytest.mark.etcd, pytest.mark.drill]


@pytest.fixture(autouse=True)
def own_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ETCDTUI_CONFIG_DIR", str(tmp_path / "config"))
    try:
        yield
    finally:
        Sandbox(runner.sandbox_dir()).down()


def text(app: EtcdtuiApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def objectives(app: EtcdtuiApp) -> list[str]:
    table = app.query_one("#drill-objectives", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_member_lost_drill_in_the_console() -> None:
    # the console's own cluster is the fake one; the drill runs on its real sandbox
    app, _svc = make_app("healthy")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await until(pilot, lambda: app.query("#drill-table"), what="the drill pane")
        table = app.query_one("#drill-table", DataTable)
        assert table.get_row_at(0)[0] == "member-lost"
        table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: objectives(app), timeout=90, what="the drill to start")
        assert "✖" in objectives(app)
        assert "PAGER" in text(app, "#drill-briefing")
        await pilot.press("h")
        assert "hint 1" in text(app, "#drill-hint")

        state = runner.load_state()
        name = state.facts["victim_name"]
        argv = ["member", "replace", name, "--sandbox-dir", state.sandbox_dir, "--execute", "--yes"]
        rc = await asyncio.to_thread(run_cli, argv)
        assert rc == 0
        await pilot.press("c")
        await until(
            pilot,
            lambda: objectives(app) and set(objectives(app)) == {"✔"},
            timeout=30,
            what="every objective to pass",
            show=lambda: objectives(app),
        )
        await until(pilot, lambda: "PASSED" in text(app, "#drill-status"), what="PASSED")
        assert "1 hints" in text(app, "#drill-status")
