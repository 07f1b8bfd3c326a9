"""Views that must follow time and data: the snapshot AGE column, member table column
widths, the scale refusal title for an even size, the certificate and audit columns at
120 columns, and the audit row detail."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual.widgets import DataTable

from tests.support.pilot_helpers import until
from tests.support.screen_apps import fake_app

SIZE = (120, 40)
NOW = 1_800_000_000.0


async def test_snapshot_age_column_follows_the_clock(tmp_path: Path) -> None:
    f = tmp_path / "snapshot-20270115-080000.db"
    f.write_bytes(b"\0" * 4096)
    os.utime(f, (NOW - 60, NOW - 60))
    (tmp_path / (f.name + ".json")).write_text('{"revision": 7}')  # a sidecar: listed
    now = [NOW]
    app = fake_app(
        autopoll=False,
        clock=lambda: now[0],
        theme_dirs=[],
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        pane: Any = await until(pilot, lambda: app.main.query("#snapshots").first(), what="pane")
        pane.open_directory(tmp_path)
        await until(pilot, lambda: pane.entries and pane.checked, what="catalog")
        table = pane.query_one("#snapshot-table", DataTable)
        before = str(table.get_cell(str(f), "age"))
        now[0] += 3 * 3600
        app.render_state()  # the console's 1 s tick
        await pilot.pause()
        after = str(table.get_cell(str(f), "age"))
        assert before != after and after.startswith("3h"), (before, after)


async def test_member_table_columns_shrink_back() -> None:
    from dataclasses import replace

    from etcdtui.ui.widgets.members import MembersTable
    from tests.support.screen_apps import make_app, populate

    app, _ = make_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        table = app.main.query_one(MembersTable)
        rows = app.state.rows()
        app.main.refresh_view = lambda _state: None  # type: ignore[method-assign]  # no tick
        client = table.ordered_columns[-1]
        normal = client.content_width
        # a learner with long client URLs joins, then goes: the rows are rebuilt twice
        table.show_rows([*rows, replace(rows[0], key="ffff", client_urls="10.0.0.9:2379," * 6)])
        await pilot.pause()
        assert client.content_width > normal
        table.show_rows(rows)
        await pilot.pause()
        assert client.content_width == normal


def _visible_labels(app: Any, table: DataTable[Any]) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join(s.text for s in strips)


async def test_certs_checks_column_is_on_screen_at_120() -> None:
    from tests.support.screen_apps import populate
    from tests.support.security_apps import secure_fake_app, show_certs

    app = secure_fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await show_certs(pilot)
        table = app.main.query_one("#certs-table", DataTable)
        text = _visible_labels(app, table)
        assert "CHECKS" in text and "no SAN matches" in text, text


async def test_audit_result_on_screen_and_enter_opens_the_record(tmp_path: Path) -> None:
    from etcdtui.errors import QuorumRefusal
    from etcdtui.services.audit import AuditLog
    from etcdtui.ui.screens.audit import AuditDetailScreen
    from tests.support.screen_apps import populate

    log = AuditLog(tmp_path / "audit.jsonl")
    log.append(action="member.remove", params={"member": "m2", "peer_urls": ["x" * 70]})
    log.append(
        action="member.move-leader",
        params={"target": "m3"},
        error=QuorumRefusal("m3 is not healthy", fix="Bring m3 back first."),
    )
    app = fake_app(
        autopoll=False,
        clock=lambda: NOW,
        theme_dirs=[],
        audit_log=log,
    )
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("3")
        await until(pilot, lambda: app.main.query_one("#audit-table", DataTable).row_count)
        await pilot.pause()  # its layout
        text = _visible_labels(app, app.main.query_one("#audit-table", DataTable))
        assert "RESULT" in text and "✖ Refused" in text and "✔ ok" in text, text
        await pilot.press("enter")  # the newest record: the refused move-leader
        await until(pilot, lambda: isinstance(app.screen, AuditDetailScreen), what="detail")
        await pilot.pause()  # its layout
        shown = _visible_labels(app, app.main.query_one("#audit-table", DataTable))
        assert "error.cause" in shown and "m3 is not healthy" in shown, shown
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main, what="back to the main screen")


async def test_pane_2_is_its_own_health_view() -> None:
    from textual.widgets import ContentSwitcher

    from etcdtui.ui.widgets.health_view import HealthView
    from tests.support.screen_apps import make_app, populate

    app, _ = make_app("one-down")
    async with app.run_test(size=SIZE) as pilot:
        await populate(pilot)
        await pilot.press("2")
        switcher = app.main.query_one(ContentSwitcher)
        await until(pilot, lambda: switcher.current == "health-view", what="the health view")
        await pilot.pause()  # its layout  # not the members pane again
        view = app.main.query_one(HealthView)
        table = view.query_one("#hv-table", DataTable)
        assert app.focused is table
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][0] == "m1 ★" and rows[0][2] == "7" and rows[0][3] == "48210"
        assert rows[2][0] == "m3" and rows[2][1].endswith("unreachable") and rows[2][2] == "-"
        assert view.query_one("#health-metrics")  # the room left for metrics
        await pilot.press("1")
        await until(pilot, lambda: switcher.current == "overview", what="the overview")
