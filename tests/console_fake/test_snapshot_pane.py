"""The snapshot browser pane with nothing configured: a save without a cluster says so
and writes nothing. The pane on snapshots of real etcd is in
tests/console_etcd/test_snapshot_pane.py."""

from __future__ import annotations

from pathlib import Path

from etcdtui.ui.snapshots.save_dialog import SaveSnapshotDialog
from tests.support.pilot_helpers import until
from tests.support.screen_apps import SIZE
from tests.support.snapshot_pane import offline_app, open_catalog


async def test_save_without_a_cluster_says_so(tmp_path: Path) -> None:
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        await until(pilot, lambda: app.screen is app.main)
        pane = await open_catalog(pilot, app, tmp_path)
        pane.query_one("#snapshot-table").focus()
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SaveSnapshotDialog))
        await pilot.press("enter")
        await pilot.pause()
        notes = " ".join(n.message for n in app._notifications)
        assert "no cluster is connected" in notes
        assert list(tmp_path.iterdir()) == []
