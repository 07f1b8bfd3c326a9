"""The console's tables: columns sized when their cells change, and a table that repaints
only the cells whose content changed.

SizedTable: DataTable measures new and widened cells at the table's next idle, but a frame
drawn before that idle is cached under the table's update count, and the idle's new width
does not invalidate the cache. On a loaded machine the frame often comes first, and the
value then stayed cut ("✖ tidak terjangka" for "✖ tidak terjangkau", found by CI) until
some other cell of the table changed. Here a column takes its width when the cell is
added or updated, with DataTable's own measure, so the idle finds nothing to widen.

QuietTable: Textual's ``DataTable.update_cell`` refreshes the whole table, and ``clear()``
followed by ``add_row`` repaints every row (and the scrollbars): over a slow SSH link the
console would rewrite a whole table every refresh for one latency cell. Here a changed
cell that still fits its column repaints only its own region; the table is rebuilt only
when its rows (keys) change or a value no longer fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from rich.cells import cell_len
from rich.text import Text, TextType
from textual.coordinate import Coordinate
from textual.render import measure
from textual.widgets import DataTable
from textual.widgets._data_table import CellType, ColumnKey, RowKey, default_cell_formatter


def _width(value: object) -> int:
    return cell_len(value.plain if isinstance(value, Text) else str(value))


KeyedCells: TypeAlias = tuple[str, Sequence[Any]]


class SizedTable(DataTable[CellType]):
    """A DataTable whose auto-width columns widen as soon as a wider cell arrives."""

    def _widen(self, column_key: ColumnKey | str, value: object, height: int | None) -> None:
        column = self.columns.get(
            ColumnKey(column_key) if isinstance(column_key, str) else column_key
        )
        if column is None or not column.auto_width or height is None:
            return  # a fixed width; an auto-height row is measured (and its caches cleared) at idle
        cell = default_cell_formatter(value, wrap=height != 1, height=height)
        column.content_width = max(column.content_width, measure(self.app.console, cell, 1))

    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: TextType | None = None,
    ) -> RowKey:
        for column, value in zip(self.ordered_columns, cells, strict=False):
            self._widen(column.key, value, height)
        row_key = super().add_row(*cells, height=height, key=key, label=label)
        if height is not None and label is None:
            # measured above: the idle need not measure it again (it still sizes the table)
            self._new_rows.discard(row_key)
        return row_key

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = False,
    ) -> None:
        if update_width:
            row = self.rows.get(RowKey(row_key) if isinstance(row_key, str) else row_key)
            self._widen(column_key, value, row.height if row is not None else 1)
        super().update_cell(row_key, column_key, value, update_width=update_width)

    def replace_rows(self, rows: Sequence[KeyedCells]) -> None:
        """Show ``rows`` (a key and its cells, one per column) instead of the current ones.
        Each auto-width column starts again from its label, so it also shrinks back once a
        long value (CLIENT URLS) is gone."""
        self.clear()
        for column in self.ordered_columns:
            if column.auto_width:
                column.content_width = _width(column.label)
        for key, cells in rows:
            self.add_row(*cells, key=key)


class QuietTable(SizedTable[Text]):
    def set_cell(self, row_key: str, column_key: str, value: Text) -> None:
        """Replace one cell; repaint only that cell when the value fits its column."""
        column = self.columns.get(column_key)  # type: ignore[call-overload]
        row_index = self._row_locations.get(row_key)  # type: ignore[arg-type]
        if column is None or row_index is None:
            return
        fits = not column.auto_width or _width(value) <= column.content_width
        if not fits:
            self.update_cell(row_key, column_key, value, update_width=True)
            return
        self._data[row_key][column_key] = value  # type: ignore[index]
        self._update_count += 1  # the row caches are keyed by it
        col_index = self._column_locations.get(column_key)  # type: ignore[arg-type]
        self.refresh_coordinate(Coordinate(row_index, col_index or 0))

    def show_cells(
        self, keys: Sequence[str], rows: Sequence[Sequence[Text]], shown: dict[str, tuple[str, ...]]
    ) -> bool:
        """Show ``rows`` (one per key) by changing only the cells that differ from
        ``shown`` (the plain text of each row as last drawn, updated here). Returns False
        when the rows themselves changed: the caller rebuilds the table."""
        if list(keys) != list(shown):
            return False
        column_keys = [str(c.key.value) for c in self.ordered_columns]
        for key, cells in zip(keys, rows, strict=True):
            plain = tuple(c.plain for c in cells)
            old = shown[key]
            if plain == old:
                continue
            for col, new, prev, cell in zip(column_keys, plain, old, cells, strict=True):
                if new != prev:
                    self.set_cell(key, col, cell)
            shown[key] = plain
        return True
