"""The console shows each error's fix in its own words: keys and `:` commands, never
the CLI's flags (fake service: these screens are deterministic)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from etcdtui.errors import TLSUnknownCA
from etcdtui.services.snapshots.errors import TargetExists
from etcdtui.ui.errors import ErrorModal, report
from tests.support.screen_apps import make_app, populate

SIZE = (120, 40)


def _notes(app: Any) -> str:
    return " ".join(f"{n.title} {n.message}" for n in app._notifications)


async def test_read_only_refusal_names_the_console_way_out() -> None:
    app, _ = make_app("healthy", read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("down", "ctrl+d")
        await pilot.pause()
        notes = _notes(app)
        assert "read-only" in notes and ":context" in notes
        fix = notes.split("fix: ", 1)[1]
        assert "--" not in fix and "read_only" not in notes
        assert app.service.sent == []  # type: ignore[attr-defined]


async def test_error_modal_and_toast_show_the_console_fix() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        err = TargetExists("/tmp/s.db already exists")
        assert "--force" in err.fix  # the CLI's words
        report(app, err, modal=True)
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        shown = str(app.screen.query_one("#error-fix", Static).render())
        assert "save dialog" in shown and "--force" not in shown
        await pilot.press("escape")
        report(app, TLSUnknownCA("signed by an unknown CA"))
        await pilot.pause()
        notes = _notes(app)
        assert ":context" in notes and "--cacert" not in notes
