"""A quiet console over slow SSH (issue 16): a partial screen update writes only the
cells that changed, and a table repaints only its changed cells. Byte rates themselves
are measured in benchmarks/tui.py, never here."""

from __future__ import annotations

import io

from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual._compositor import ChopsUpdate
from textual.geometry import Region
from textual.strip import Strip

from etcdtui.ui import partial_updates
from etcdtui.ui.widgets.quiet_table import QuietTable
from tests.support.screen_apps import make_app, populate


def rendered(update: ChopsUpdate) -> str:
    console = Console(file=io.StringIO(), force_terminal=True, color_system=None, width=80)
    return update.render_segments(console)


def test_a_changed_cell_at_the_right_of_a_widget_costs_only_its_cells() -> None:
    row = Strip([Segment("left-cell "), Segment("middle-cell "), Segment("changed")])
    # one widget's chop spans the whole line (0..29); only cells 22..29 changed
    update = ChopsUpdate([{0: row}], [(0, 22, 29)], [[29]])
    assert partial_updates.install()
    out = rendered(update)
    assert "changed" in out
    assert "left-cell" not in out and "middle" not in out
    assert "\x1b[1;23H" in out  # the cursor goes to the changed cell, not the widget edge


async def test_a_table_repaints_only_the_cell_that_changed() -> None:
    app, _svc = make_app("healthy")
    async with app.run_test(size=(120, 40)) as pilot:
        await populate(pilot)
        table = app.screen.query_one("#members-table", QuietTable)
        await pilot.pause()
        table._repaint_regions.clear()
        key = str(next(iter(table.rows)).value)
        table.set_cell(key, "index", Text("48211"))
        regions = list(table._repaint_regions)
        assert len(regions) == 1
        cell: Region = regions[0]
        assert cell.height == 1 and cell.width < table.size.width // 4
        assert str(table.get_cell(key, "index")) == "48211"
