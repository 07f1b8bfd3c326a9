"""The console's way to decryption keys for a restore: `k` in the snapshots pane (on the
fake service; moved from tests/unit/, where a console test does not belong)."""

from __future__ import annotations

from pathlib import Path


async def test_the_keys_given_with_k_are_the_ones_restore_uses(tmp_path: Path) -> None:
    """`k` in the snapshots pane -> the keys dialog -> the session keys ctrl+r passes on."""
    from textual.widgets import Input

    from etcdtui.ui.snapshots.keys_dialog import DecryptKeysDialog
    from etcdtui.ui.snapshots.pane import SnapshotsPane
    from etcdtui.ui.wizard_launch import session_keys
    from tests.support.pilot_helpers import until
    from tests.support.screen_apps import SIZE, make_app, populate

    app, _svc = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        assert session_keys(app) is None
        await pilot.press("4")
        pane = app.main.query_one(SnapshotsPane)
        await until(pilot, lambda: pane.display, what="the snapshots pane")
        pane.table.focus()
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, DecryptKeysDialog), what="keys")
        app.screen.query_one("#keys-passphrase", Input).value = "typed in the console"
        app.screen.query_one("#keys-passphrase", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: session_keys(app) is not None, what="session keys")
        assert session_keys(app).passphrase == "typed in the console"
