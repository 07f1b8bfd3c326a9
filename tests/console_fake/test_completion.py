"""`:` completion: tab cycles through matches; arguments complete by type (member
names, context names, voter counts, file and directory paths)."""

from __future__ import annotations

from pathlib import Path

from etcdtui.ui.widgets.command_line import CommandLine, Sources, arg_kind, completions
from tests.support.pilot_helpers import until
from tests.support.screen_apps import make_app, populate

SIZE = (120, 40)


def test_argument_kinds_come_from_the_registry() -> None:
    assert arg_kind("promote") == arg_kind("remove") == arg_kind("replace") == "member"
    assert arg_kind("restore") == "file" and arg_kind("snapshots") == "dir"
    assert arg_kind("scale") == "voters" and arg_kind("context") == "context"
    assert arg_kind("add-learner") is None and arg_kind("nope") is None


def test_paths_complete_and_directories_end_with_a_slash(tmp_path: Path) -> None:
    (tmp_path / "snapshot-1.db").write_bytes(b"")
    (tmp_path / "snapshot-2.db").write_bytes(b"")
    (tmp_path / "snapdir").mkdir()
    src = Sources()
    got = completions(f"restore {tmp_path}/snap", src)
    assert got == [
        f"restore {tmp_path}/snapdir/",
        f"restore {tmp_path}/snapshot-1.db",
        f"restore {tmp_path}/snapshot-2.db",
    ]
    assert completions(f"snapshots {tmp_path}/snap", src) == [f"snapshots {tmp_path}/snapdir/"]


def test_contexts_complete() -> None:
    src = Sources(contexts=lambda: ["prod-eu1", "prod-us1", "staging"])
    assert completions("context prod", src) == ["context prod-eu1", "context prod-us1"]


async def test_tab_cycles_commands_and_completes_member_names() -> None:
    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        line = app.main.query_one(CommandLine)
        await pilot.press("colon", "s")
        seen = []
        for _ in range(5):
            await pilot.press("tab")
            seen.append(line.value)
        assert seen == ["scale", "scan", "security", "snapshots", "scale"], seen  # and round
        line.value = ""
        await pilot.press(*"promote m", "tab")
        assert line.value == "promote m1"
        await pilot.press("tab", "tab")
        assert line.value == "promote m3"
        await pilot.press("backspace", "2", "enter")  # typing ends the cycle; runs as typed
        await until(pilot, lambda: app.screen.query(".modal-title"), what="the dialog")
        assert str(app.screen.query_one(".modal-title").content).endswith("m2")
