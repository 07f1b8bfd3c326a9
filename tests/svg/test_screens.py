"""Screen snapshots on the fake service (fixed data, frozen clock, 120x40 and 80x24).

Regenerate after an intended change with:
    .venv/bin/pytest tests/svg/test_screens.py --snapshot-update
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.screen_apps import SIZE, SMALL, builders, small_builders

CASES = [
    "healthy",
    "one_down",
    "quorum_lost",
    "learner",
    "read_only",
    "remove_modal",
    "help",
    "light",
    "high_contrast",
    "health_pane",
]


@pytest.mark.parametrize("name", CASES)
def test_screen(name: str, snap_compare: Any) -> None:
    app, run_before = builders()[name]
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


SMALL_CASES = [
    "health_80x24",
    "main_80x24",
    "move_leader_80x24",
    "remove_leader_80x24",
    "wizard_80x24",
    "help_80x24",
]


@pytest.mark.parametrize("name", SMALL_CASES)
def test_screen_80x24(name: str, snap_compare: Any) -> None:
    """The smallest supported terminal: everything an operator must see is on screen."""
    app, run_before = small_builders()[name]
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


# The console in Bahasa Indonesia (issue 17): main screen, a member-action dialog and a
# wizard step at 120x40, and the first two at 80x24 where longer words must still fit.
ID_CASES = {
    "main": ("one-down", "populate", SIZE),
    "remove_modal": ("healthy", "remove_modal", SIZE),
    "wizard_step": ("healthy", "wizard", SIZE),
    "main_80x24": ("one-down", "populate", (80, 24)),
    "remove_modal_80x24": ("healthy", "remove_modal", (80, 24)),
}


@pytest.mark.parametrize("name", list(ID_CASES))
def test_screen_id(name: str, snap_compare: Any) -> None:
    from etcdtui.i18n import set_language
    from tests.support.screen_apps import make_app, open_wizard, populate, steady_cursor

    scenario, before, size = ID_CASES[name]

    async def remove_modal(pilot: Any) -> None:
        await populate(pilot)
        await pilot.press("down", "ctrl+d")
        await pilot.pause()
        steady_cursor(pilot.app)
        await pilot.pause()

    run_before = {"populate": populate, "remove_modal": remove_modal, "wizard": open_wizard}
    set_language("id")
    try:
        app, _svc = make_app(scenario)
        assert snap_compare(app, terminal_size=size, run_before=run_before[before])
    finally:
        set_language("en")
