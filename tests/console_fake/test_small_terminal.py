"""80x24: every dialog and wizard step fits; the confirmation field and the buttons are
on screen; the header keeps the leader and the refresh age; help keeps ACTION readable.
Also: a wrong typed confirmation says why and keeps the cursor in the field, and a
passphrase-encrypted save asks for the passphrase twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from etcdtui.ui.screens.help import HelpScreen
from etcdtui.ui.screens.modals import MemberActionModal
from etcdtui.ui.snapshots.save_dialog import SaveSnapshotDialog
from etcdtui.ui.widgets.header import ClusterHeader
from tests.support.pilot_helpers import until
from tests.support.screen_apps import SMALL, make_app, populate


def on_screen(app: Any, w: Widget) -> bool:
    """Shown in full: inside the terminal and not clipped by a scrolling parent."""
    if not w.display:
        return False
    try:
        geo = app.screen.find_widget(w)
    except Exception:  # not in the compositor's map: not shown at all
        return False
    region = geo.region
    return (
        region.height > 0
        and app.screen.region.contains_region(region)
        and region.intersection(geo.clip) == region
    )


@pytest.mark.parametrize(
    ("keys", "kind"),
    [(("down", "l"), "move-leader"), (("ctrl+d",), "remove"), (("a",), "add-learner")],
)
async def test_member_dialogs_fit_80x24(keys: tuple[str, ...], kind: str) -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SMALL) as pilot:
        await populate(pilot)
        await pilot.press(*keys)
        await until(pilot, lambda: isinstance(app.screen, MemberActionModal), what="dialog")
        await pilot.pause()  # its layout
        modal = app.screen
        assert isinstance(modal, MemberActionModal) and modal.kind == kind
        for sel in ("#run", "#cancel"):
            assert on_screen(app, modal.query_one(sel, Button)), sel
        if kind != "add-learner":
            assert on_screen(app, modal.query_one("#confirm", Input))


async def test_save_dialog_fits_80x24() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SMALL) as pilot:
        await populate(pilot)
        app.push_screen(SaveSnapshotDialog(Path("/nonexistent/s.db")))
        await until(pilot, lambda: app.screen.query("#save-run"), what="the save dialog")
        await pilot.pause()  # its layout
        for sel in ("#save-run", "#save-cancel"):
            assert on_screen(app, app.screen.query_one(sel, Button)), sel


async def test_header_keeps_leader_and_refresh_age_at_80() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SMALL) as pilot:
        await populate(pilot)
        header = app.main.query_one(ClusterHeader)
        shown = " ".join(
            str(b.content) for b in header.query(Static) if b.display and on_screen(app, b)
        )
        assert "leader: m1" in shown and "refreshed 0s ago" in shown, shown
        assert "HEALTHY" in shown


async def test_help_keeps_action_words_at_80() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SMALL) as pilot:
        await populate(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause()  # its layout
        strips = app.screen._compositor.render_strips()
        text = "\n".join(s.text for s in strips)
        assert "ACTION " in text and "Acti…" not in text
        assert "Command palette" in text and "Re-check certificates" in text


async def test_wizard_rail_is_narrow_at_80() -> None:
    from etcdtui.ui.wizard import WizardScreen
    from tests.support.plans import replace_plan

    app, _ = make_app("healthy")
    async with app.run_test(size=SMALL) as pilot:
        await populate(pilot)
        await app.push_screen(WizardScreen(replace_plan(), None, read_only=True))
        rail = await until(
            pilot,
            lambda: app.screen.query_one("#rail").size.width and app.screen.query_one("#rail"),
        )
        assert rail.size.width <= 30
        assert on_screen(app, app.screen.query_one("#command", Static))


async def test_wrong_confirmation_says_why_and_stays_in_the_field() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SMALL) as pilot:
        await populate(pilot)
        await pilot.press("down", "l")  # move leadership to m2: type m2
        modal = app.screen
        assert isinstance(modal, MemberActionModal)
        await pilot.press("m", "3", "enter")
        box = modal.query_one("#confirm-error", Static)
        await until(pilot, lambda: box.display, what="the refusal under the field")
        await pilot.pause()  # its layout
        assert box.display and on_screen(app, box)
        assert "'m3' is not m2" in str(box.content)
        assert app.focused is modal.query_one("#confirm", Input)
        await pilot.press("enter")  # a second enter must not close the dialog either
        await pilot.pause()  # the key is handled
        assert app.screen is modal
        await pilot.press("backspace", "2")
        assert not box.display  # the message goes once the text changes
        await pilot.press("enter")
        await until(pilot, lambda: app.service.sent, what="the move sent")  # type: ignore[attr-defined]
        assert [k for k, _v in app.service.sent] == ["move-leader"]  # type: ignore[attr-defined]


async def test_passphrase_save_asks_twice(tmp_path: Any) -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SMALL) as pilot:
        await populate(pilot)
        target = tmp_path / "s.db"
        app.push_screen(SaveSnapshotDialog(target))
        await until(pilot, lambda: app.screen.query("#save-run"), what="the save dialog")
        dialog = app.screen
        dialog.query_one("#save-passphrase", Input).value = "correct horse"
        dialog.query_one("#save-passphrase2", Input).value = "correct hrose"
        dialog.query_one("#save-run", Button).press()
        await until(pilot, lambda: app._notifications, what="the refusal")
        notes = " ".join(f"{n.title} {n.message}" for n in app._notifications)
        assert "passphrases differ" in notes
        assert app.screen is dialog and not dialog.running  # nothing started
        assert app.focused is dialog.query_one("#save-passphrase2", Input)
        assert not list(tmp_path.iterdir())
