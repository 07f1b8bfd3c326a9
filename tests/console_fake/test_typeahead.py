"""Type-ahead: a burst of keys (a paste, keys over SSH) reaches the widget each key
is meant for, however fast it arrives. The whole burst is posted in one go, without
waiting between keys, the way a terminal delivers ``tmux send-keys ':promote m2' Enter``.
(The same through a real terminal: test_tmux.py.)"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import ContentSwitcher, Input, Label

from etcdtui.ui.screens.detail import MemberDetailScreen
from etcdtui.ui.screens.modals import MemberActionModal
from etcdtui.ui.widgets.command_line import CommandLine
from etcdtui.ui.widgets.members import MembersTable
from tests.support.pilot_helpers import until
from tests.support.screen_apps import make_app, populate

SIZE = (120, 40)

_NAMED = {
    ":": "colon",
    "/": "slash",
    " ": "space",
    "\r": "enter",
    "-": "minus",
    ".": "full_stop",
    "_": "underscore",
    "~": "tilde",
}


def burst(app: Any, text: str) -> None:
    """Post every key of ``text`` at once (``\\r`` is Enter, ``\\x1b`` Escape)."""
    for ch in text:
        if ch == "\x1b":
            key, char = "escape", "\x1b"
        else:
            key, char = _NAMED.get(ch, ch), ch
        app.post_message(events.Key(key, char))


def _title(app: Any) -> str:
    return str(app.screen.query_one(".modal-title", Label).content)


async def _settled(pilot: Any) -> None:
    for _ in range(5):
        await pilot.pause(0.05)


async def test_burst_after_colon_reaches_the_command_line() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        table = app.main.query_one(MembersTable)
        table.move_cursor(row=2)  # m3 selected: the burst must not act on it
        await pilot.pause()
        burst(app, ":promote m2\r")
        modal = await until(
            pilot, lambda: isinstance(app.screen, MemberActionModal) and app.screen, what="modal"
        )
        await _settled(pilot)
        assert modal.kind == "promote"
        assert _title(app).endswith("m2"), _title(app)
        assert not app.main.query_one(CommandLine).display, "command line open behind the dialog"


async def test_burst_move_leader_and_scale_and_refresh() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        app.main.query_one(MembersTable).move_cursor(row=2)
        await pilot.pause()
        burst(app, ":move-leader m2\r")
        await until(pilot, lambda: isinstance(app.screen, MemberActionModal), what="modal")
        await _settled(pilot)
        assert app.screen.kind == "move-leader"  # type: ignore[attr-defined]
        assert _title(app).endswith("m2"), _title(app)
        burst(app, "\x1b")
        await until(pilot, lambda: app.screen is app.main, what="back to main")

        burst(app, ":refresh\r")
        await _settled(pilot)
        assert not isinstance(app.screen, MemberDetailScreen)
        assert app.screen is app.main

        burst(app, ":scale 5\r")
        await _settled(pilot)
        # :scale plans a wizard (a worker); no member dialog may open from the letters
        assert not isinstance(app.screen, MemberActionModal)


async def test_burst_into_filter_and_dialog_first_field() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        burst(app, "/m2")
        await until(  # a condition, not a pause: every letter reached the filter
            pilot,
            lambda: (
                app.main.query_one("#filter", Input).value == "m2"
                and app.main.query_one(MembersTable).row_count == 1
            ),
            what="the filter m2 with one row",
        )
        assert app.main.query_one("#filter", Input).value == "m2"
        assert app.main.query_one(MembersTable).row_count == 1
        burst(app, "\x1b\x1b")
        await _settled(pilot)
        # ctrl+d on m1 (the leader) and the name typed at once: it lands in the field
        app.main.query_one(MembersTable).move_cursor(row=1)
        await pilot.pause()
        app.post_message(events.Key("ctrl+d", None))
        burst(app, "m2")
        await until(pilot, lambda: isinstance(app.screen, MemberActionModal), what="modal")
        await until(
            pilot,
            lambda: app.screen.query_one("#confirm", Input).value == "m2",
            what="m2 in the dialog's first field",
        )
        assert app.screen.query_one("#confirm", Input).value == "m2"


async def test_burst_snapshots_command_in_snapshot_pane_saves_nothing(tmp_path: Any) -> None:
    """The reported case: in pane 4, `:snapshots DIR` Enter opened the save dialog and
    saved an unencrypted snapshot. It must open DIR and nothing else."""
    other = tmp_path / "elsewhere"
    other.mkdir()
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("4")
        await until(
            pilot,
            lambda: app.main.query_one(ContentSwitcher).current == "snapshots",
            what="pane 4",
        )
        await _settled(pilot)
        burst(app, f":snapshots {other}\r")
        await _settled(pilot)
        pane = app.main.query_one("#snapshots")
        await until(pilot, lambda: pane.directory == str(other), what="DIR opened")
        assert app.screen is app.main, app.screen
        assert not app.main.query_one(CommandLine).display
