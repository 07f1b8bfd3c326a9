"""Screen snapshot of the snapshot browser pane (fixed files, frozen clock)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.support.pilot_helpers import until
from tests.support.screen_apps import SIZE, make_app, populate
from tests.support.snapshot_pane import fixed_files, pane_of, select, shows


def test_snapshot_pane_screen(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed_files(tmp_path)
    monkeypatch.chdir(tmp_path)  # the pane shows the directory as given: "snaps"
    app, _svc = make_app("healthy")

    async def run_before(pilot: Any) -> None:
        await populate(pilot)
        await pilot.press("4")
        pane = pane_of(app)
        pane.open_directory("snaps")
        await until(pilot, lambda: pane.checked and len(pane.entries) == 3, what="catalog")
        await select(pilot, pane, "etcd-b.db")
        detail = pane.query_one("#snapshot-detail", Static)
        await until(pilot, lambda: shows(detail, "etcd-b.db", "revision"), what="detail")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
