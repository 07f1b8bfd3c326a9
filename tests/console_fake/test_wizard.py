"""The wizard screen without etcd: a plan shown read-only executes nothing, and a wizard
named without its argument asks for it. The wizards on real etcd are in
tests/console_etcd/test_wizard.py and test_wizard_wiring.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Static

from etcdtui.terminal_text import printable
from etcdtui.ui.errors import ErrorModal
from etcdtui.ui.widgets.quiet_table import QuietTable
from etcdtui.ui.wizard import WizardScreen
from etcdtui.ui.wizard_launch import WizardListScreen, saved_wizards
from tests.support.pilot_helpers import until
from tests.support.plans import replace_plan
from tests.support.screen_apps import make_app, populate, screen_text
from tests.support.wizard_apps import Host, command, rail


async def test_read_only_shows_the_plan_and_executes_nothing() -> None:
    plan = replace_plan()
    screen = WizardScreen(plan, None, read_only=True)
    async with Host(screen).run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        lines = rail(screen)
        assert len(lines) == 12 and lines[4].startswith("·") and "Remove m2" in lines[4]
        await pilot.press("down", "down", "down", "down", "down", "down", "down")
        assert "Start etcd on 10.0.0.2" in str(screen.query_one("#step-title", Static).render())
        cmd = str(screen.query_one("#command", Static).render())
        assert "--initial-cluster-state=existing" in cmd and "ETCD_INITIAL_CLUSTER" in cmd
        await pilot.press("x")
        await pilot.pause()
        assert not screen.running and all(line.startswith("·") for line in rail(screen))


async def test_a_wizard_without_its_argument_asks_for_it() -> None:
    from textual.widgets import Input

    from etcdtui.ui.wizard_launch import ArgPrompt
    from tests.support.screen_apps import SIZE, make_app, populate

    app, _svc = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await command(pilot, "scale")
        await until(pilot, lambda: isinstance(app.screen, ArgPrompt), what="prompt")
        assert app.screen.query_one(Input).has_focus
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ArgPrompt), what="cancelled")
        await command(pilot, "scale five")  # bad input: a clear error, no wizard
        await until(pilot, lambda: isinstance(app.screen, ErrorModal), what="usage error")
        assert "not a number" in app.screen.err.cause  # type: ignore[attr-defined]


async def test_saved_wizards_from_hostile_state_files_are_listed_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    runs = tmp_path / "state" / "wizards"
    runs.mkdir(parents=True)
    title = "replace [bold]m2[/nope] \x1b[2J now"
    good = {"plan": {"id": "w1", "title": title, "steps": [{}, {}]}, "updated": 1.8e9}
    good["results"] = {"a": {"status": "done"}}
    (runs / "w1.json").write_text(json.dumps(good))
    for name, body in (
        ("list-results", {"plan": {"id": "w2", "steps": []}, "results": [1, 2]}),
        ("int-steps", {"plan": {"id": "w3", "steps": 7}}),
        ("huge-time", {"plan": {"id": "w4", "steps": []}, "updated": 1e300}),
        ("plan-a-list", {"plan": ["x"]}),
        ("w6", {"plan": {"id": "w1", "title": "a second w1", "steps": []}}),
    ):
        (runs / f"{name}.json").write_text(json.dumps(body))
    (runs / "w5.json").write_text("{not json")
    assert [w.id for w in saved_wizards()] == ["w1"]
    app, _svc = make_app("healthy")
    async with app.run_test(size=(120, 30)) as pilot:
        await populate(pilot)
        await command(pilot, "wizards")
        listing = await until(
            pilot, lambda: app.screen if isinstance(app.screen, WizardListScreen) else None
        )
        table = listing.query_one(QuietTable)
        assert table.row_count == 1
        cells = [c.plain for c in table.get_row_at(0)]
        assert cells[0] == "w1" and cells[1] == printable(title) and cells[3] == "1/2"
        assert "\x1b" not in screen_text(app)
