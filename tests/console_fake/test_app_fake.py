"""Console behaviour on the fake service: keys, modals, quorum guard, read-only,
filter, command line, keymap, themes. (Real-etcd behaviour: test_pilot_sandbox.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Button, ContentSwitcher, Input, Static

from etcdtui.config import NothingConfigured
from etcdtui.ui import actions
from etcdtui.ui.app import EtcdtuiApp
from etcdtui.ui.screens.detail import MemberDetailScreen
from etcdtui.ui.screens.help import HelpScreen, help_table
from etcdtui.ui.screens.modals import MemberActionModal
from etcdtui.ui.screens.start import NothingConfiguredScreen
from etcdtui.ui.widgets.command_line import CommandLine
from etcdtui.ui.widgets.members import MembersTable
from tests.support.fakes import FakeCluster, fake_settings
from tests.support.pilot_helpers import until
from tests.support.screen_apps import FROZEN_NOW, fake_app, make_app, populate

SIZE = (120, 40)


def _notes(app: Any) -> str:
    return " ".join(f"{n.title} {n.message}" for n in app._notifications)


def test_registry_is_consistent() -> None:
    specs = actions.registry()
    assert len({s.id for s in specs}) == len(specs)
    for scope in ("app", "main"):
        keys = [s.key for s in specs if s.scope == scope]
        assert len(set(keys)) == len(keys), keys
    assert all(s.command for s in specs if s.mutating)
    rendered = str(help_table({}, False).columns[3]._cells)
    assert all(s.id in rendered for s in specs)


async def test_remove_requires_typing_the_name_and_sends_once() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("down", "ctrl+d")
        modal = app.screen
        assert isinstance(modal, MemberActionModal)
        assert app.poller is not None and app.poller.paused
        run = modal.query_one("#run", Button)
        assert run.disabled
        assert "member remove" in str(modal.query_one("#command", Static).content)
        await pilot.press("m", "3")
        assert run.disabled  # wrong name
        await pilot.press("backspace", "2")
        assert not run.disabled
        await pilot.press("enter")
        svc: FakeCluster = app.service  # type: ignore[assignment]
        await until(pilot, lambda: svc.sent, what="the remove sent")
        assert [k for k, _v in svc.sent] == ["remove"]
        assert not isinstance(app.screen, MemberActionModal)
        assert not app.poller.paused
        assert "Removed m2" in _notes(app)


async def test_remove_refused_when_quorum_would_be_lost() -> None:
    app, _ = make_app("one-down")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("down", "ctrl+d")  # m2 is healthy; m3 is down
        modal = app.screen
        assert isinstance(modal, MemberActionModal)
        verdict = str(modal.query_one("#verdict", Static).content)
        assert "only 1 would answer" in verdict
        assert modal.query_one("#run", Button).disabled
        assert not modal.query_one("#confirm", Input).display
        await pilot.press("escape")
        assert app.screen is app.main


async def test_removing_the_leader_offers_move_leader_first() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("ctrl+d")  # m1 is the leader
        move = app.screen.query_one("#move-first", Button)
        assert move.display
        move.press()
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, MemberActionModal)
                and app.screen.kind == "move-leader"
                and str(app.screen.query_one("#command", Static).content)
            ),
            what="the move-leader dialog, planned",
        )
        assert "move-leader" in str(app.screen.query_one("#command", Static).content)


async def test_promote_what_if_counts_the_learner() -> None:
    app, _ = make_app("learner")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("down", "down", "down", "p")
        modal = app.screen
        assert isinstance(modal, MemberActionModal) and modal.kind == "promote"
        plan = modal._plan()
        assert (plan.before.voters, plan.after.voters) == (3, 4)
        assert plan.allowed and plan.confirm_text is None


async def test_read_only_refuses_with_the_reason() -> None:
    app, _ = make_app("healthy", read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        for key in ("a", "p", "ctrl+d", "u", "l"):
            await pilot.press(key)
            assert app.screen is app.main
        assert "read-only" in _notes(app)


async def test_filter_and_escape() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        table = app.main.query_one(MembersTable)
        await pilot.press("slash", "m", "2")
        assert table.row_count == 1
        await pilot.press("escape")
        await pilot.press("escape")
        assert table.row_count == 3


async def test_command_line_completion_and_panes() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("colon", "a", "u", "d")
        await pilot.pause()
        await pilot.press("tab")
        assert app.main.query_one(CommandLine).value == "audit"
        await pilot.press("enter")
        assert app.main.query_one(ContentSwitcher).current == "audit"
        await pilot.press("colon", *"snapshots", "enter")
        assert app.main.query_one(ContentSwitcher).current == "snapshots"
        await pilot.press("escape")
        assert app.main.query_one(ContentSwitcher).current == "overview"
        await pilot.press("colon", *"bogus", "enter")
        assert "unknown command" in _notes(app)


async def test_keymap_remaps_a_binding_and_help_shows_it() -> None:
    app = fake_app(
        autopoll=False,
        clock=lambda: FROZEN_NOW,
        theme_dirs=[],
        keymap={"member.remove": "x"},
    )
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("x")
        assert isinstance(app.screen, MemberActionModal) and app.screen.kind == "remove"
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)

    def key_shown(keymap: dict[str, str]) -> str:
        """The KEY cell of the member.remove row of the help table."""
        table = help_table(keymap, False)
        keys, ids = table.columns[0]._cells, table.columns[3]._cells
        return str(keys[list(ids).index("member.remove")])

    assert key_shown({"member.remove": "x"}) == "x"
    assert key_shown({}) != "x"  # the remap is what put it there


async def test_enter_opens_member_detail() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("down", "enter")
        await pilot.pause()  # let the pushed screen finish composing
        assert isinstance(app.screen, MemberDetailScreen)
        assert "m2" in str(app.screen.query_one("#detail-table", Static).content.columns[1]._cells)  # type: ignore[union-attr]


async def test_bad_theme_falls_back_with_warning(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: broken\nprimary: not-a-colour\n")
    from etcdtui.ui.themes import packaged_theme_files

    shipped = {f.name: f for f in packaged_theme_files()}
    (tmp_path / "ok.yaml").write_text(shipped["solarized-ops.yaml"].read_text())
    app = fake_app(
        autopoll=False,
        theme="broken",
        theme_dirs=[tmp_path],
    )
    async with app.run_test(size=SIZE):
        assert app.theme == "etcdtui-dark"
        assert "solarized-ops" in app.available_themes
        notes = _notes(app)
        assert "broken.yaml ignored" in notes and "'broken' is unknown" in notes


async def test_nothing_configured_says_so_and_offers_the_sandbox() -> None:
    err = NothingConfigured("no endpoints from flags, env or config")
    app = EtcdtuiApp(None, nothing_configured=err, autopoll=False, theme_dirs=[])
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, NothingConfiguredScreen)
        text = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "no endpoints" in text and "sandbox" in text


async def test_palette_runs_a_registry_action() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"remove member")
        await until(pilot, lambda: _palette_offers(app, "remove member"), what="the match")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MemberActionModal), what="dialog")
        assert isinstance(app.screen, MemberActionModal) and app.screen.kind == "remove"


async def test_context_command_switches_cluster_and_keeps_read_only_of_context(
    tmp_path: Path,
) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "contexts:\n"
        "  - name: prod\n    endpoints: [https://10.0.0.1:2379]\n"
        "  - name: staging\n    endpoints: [https://10.9.0.1:2379]\n    read-only: true\n"
        "current-context: prod\n"
    )
    app = fake_app(
        settings=fake_settings(context="prod"),
        autopoll=False,
        clock=lambda: FROZEN_NOW,
        theme_dirs=[],
        config_path=str(cfg),
    )
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("colon", *"context st")
        await pilot.pause()
        await pilot.press("tab")
        assert app.main.query_one(CommandLine).value == "context staging"
        await pilot.press("enter")
        await pilot.pause()
        assert app.settings is not None
        assert app.settings.context == "staging" and app.settings.read_only
        assert app.settings.endpoints == ("https://10.9.0.1:2379",)
        await pilot.press("colon", *"context nope", "enter")
        await pilot.pause()
        assert app.settings.context == "staging"
        assert "nope" in _notes(app)


async def test_preconditions_are_rechecked_right_before_sending() -> None:
    from etcdtui.ui.errors import ErrorModal

    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("down", "ctrl+d", "m", "2")
        assert not app.screen.query_one("#run", Button).disabled
        svc: FakeCluster = app.service  # type: ignore[assignment]
        svc.sc.down = {3}  # m3 fails while the dialog is open (polling is paused)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ErrorModal), what="the refusal")
        # the same refusal as the CLI's (etcdtui.ops.members): etcd's own answer, not sent
        assert app.screen.err.code == "unhealthy-cluster"
        assert "Not sent" in app.screen.err.title
        assert "only 1 would answer" in app.screen.err.cause
        assert svc.sent == []


async def test_home_and_end_go_to_the_first_and_last_member() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        table = app.main.query_one(MembersTable)
        keys = [str(k.value) for k in table.rows]
        assert len(keys) == 3
        await pilot.press("end")
        assert table.selected_key() == keys[-1]
        await pilot.press("home")
        assert table.selected_key() == keys[0]
        await pilot.press("down", "down", "home")
        assert table.selected_key() == keys[0]


async def test_collection_resumes_once_the_first_member_list_is_shown() -> None:
    """`etcdtui` pauses the cyclic GC for start-up (ui/launch.py); the app turns it back
    on shortly after the first member list, and it must never stay off."""
    import gc

    app, _ = make_app("healthy")
    gc.disable()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert not gc.isenabled()  # nothing shown yet: still paused
            await populate(pilot, polls=1)
            await until(pilot, gc.isenabled, what="the cyclic GC back on")
    finally:
        gc.enable()
        gc.unfreeze()


def _palette_offers(app: EtcdtuiApp, words: str) -> bool:
    """The command palette's highlighted match names ``words`` (enter would run it)."""
    from textual.command import CommandList

    found = app.screen.query(CommandList)
    if not found:
        return False
    options = found.first()
    index = options.highlighted
    if index is None or options.option_count == 0:
        return False
    prompt = options.get_option_at_index(index).prompt
    return words.lower() in str(getattr(prompt, "plain", prompt)).lower()
