"""A member name that carries terminal escapes reaches the console's members table and
remove dialog escaped, and the removal is confirmed with the hex ID (issue 11, item 3).
A learner really started with such a ``--name`` joins a private sandbox. The CLI's side
is in tests/integration/test_terminal_escapes.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from etcdtui.services.sandbox import Sandbox
from tests.support.hostile import TITLE, hostile_sandbox


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, dict[str, str]]]:
    """A 1-voter sandbox with two learners whose names attack the terminal."""
    yield from hostile_sandbox(tmp_path_factory)


@pytest.mark.etcd
async def test_console_shows_the_name_escaped_and_confirms_with_the_hex_id(
    hostile: tuple[Sandbox, dict[str, str]], tmp_path: Path
) -> None:
    from etcdtui.services.audit import AuditLog
    from etcdtui.ui.screens.modals import MemberActionModal
    from etcdtui.ui.widgets.header import Badge
    from etcdtui.ui.widgets.members import MembersTable
    from tests.support.pilot_helpers import real_app, rows, select_row, type_text, until

    sb, ids = hostile
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: TITLE in rows(app), what="the hostile learner's row")
        table = app.main.query_one(MembersTable)
        await until(pilot, lambda: table.row_count == 2, what="two rows on screen")
        shown = [str(cell) for key in table.rows for cell in table.get_row(key)]
        assert all("\x1b" not in c and "\x07" not in c for c in shown), shown
        assert "\\e]0;pwned\\x07evil" in shown
        for badge in app.query(Badge):
            assert "\x1b" not in str(badge.content)
        await select_row(pilot, app, TITLE)
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, MemberActionModal), what="the modal")
        modal = app.screen
        title = str(modal.query_one(".modal-title").render())
        assert "\x1b" not in title and "\\e]0;pwned" in title
        confirm = modal.query_one("#confirm")
        assert ids[TITLE] in str(confirm.placeholder)
        run = modal.query_one("#run")
        assert run.disabled  # nothing typed yet
        modal.query_one("#confirm").focus()
        await type_text(pilot, ids[TITLE])
        await until(pilot, lambda: not run.disabled, what="the hex ID to confirm")
        await pilot.press("escape")  # the learner stays: the module's other tests use it
