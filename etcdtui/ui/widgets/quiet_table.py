"""A DataTable that repaints only the cells whose content changed.

Textual's ``DataTable.update_cell`` refreshes the whole table, and ``clear()`` followed
by ``add_row`` repaints every row (and the scrollbars): over a slow SSH link the console
would rewrite a whole table every refresh for one latency cell. Here a changed cell that
still fits its column repaints only its own region; the table is rebuilt only when its
rows (keys) change or a value no longer fits.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable


def _width(value: object) -> int:
    return cell_len(value.plain if isinstance(value, Text) else str(value))


class QuietTable(DataTable[Text]):
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
