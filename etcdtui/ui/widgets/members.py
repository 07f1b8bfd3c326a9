"""Members table: one row per member; only cells that changed are rewritten (and only
they are repainted: see QuietTable)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from etcdtui.i18n import N_, _
from etcdtui.ui.state import COLUMNS, MemberRow
from etcdtui.ui.widgets.quiet_table import QuietTable

_LEVEL_TOKEN = {
    "ok": "member-healthy",
    "down": "member-unhealthy",
    "unknown": "member-unknown",
    "unstarted": "member-unhealthy",
    "catching-up": "member-learner",
}


class MembersTable(QuietTable):
    # A row table: Home/End go to the first/last member (DataTable's own Home/End scroll
    # sideways, which a member table never needs).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", N_("First member"), show=False),
        Binding("end", "scroll_bottom", N_("Last member"), show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._shown: dict[str, tuple[str, ...]] = {}
        self._levels: dict[str, str] = {}
        self._theme_seen: str | None = None
        self.filter_text = ""

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(_(label), key=key)

    def _styled(self, row: MemberRow) -> list[Text]:
        vars_ = self.app.theme_variables
        style = vars_.get(_LEVEL_TOKEN.get(row.level, "member-unknown"), "")
        cells = []
        for i, value in enumerate(row.cells()):
            if i == 3:
                cells.append(Text(value, style=f"bold {style}"))
            elif i == 2 and row.role.startswith("★"):
                cells.append(Text(value, style=f"bold {vars_.get('leader', '')}"))
            elif i == 0 and row.level == "down":
                cells.append(Text(value, style=style))
            else:
                cells.append(Text(value))
        return cells

    def matches(self, row: MemberRow) -> bool:
        f = self.filter_text.strip().lower()
        return not f or any(f in c.lower() for c in row.cells())

    def show_rows(self, rows: list[MemberRow]) -> None:
        if not self.columns:
            return  # not mounted yet
        theme = self.app.theme
        if theme != self._theme_seen:
            self._theme_seen = theme
            self._shown.clear()
            self.clear()
        rows = [r for r in rows if self.matches(r)]
        wanted = [r.key for r in rows]
        if wanted != list(self._shown):
            self._rebuild(rows)
            return
        for row in rows:
            if self._shown[row.key] == row.cells() and self._levels[row.key] == row.level:
                continue
            old = self._shown[row.key]
            styled = self._styled(row)
            for (col, _label), new, prev, cell in zip(
                COLUMNS, row.cells(), old, styled, strict=True
            ):
                if new != prev or self._levels[row.key] != row.level:
                    self.set_cell(row.key, col, cell)
            self._shown[row.key] = row.cells()
            self._levels[row.key] = row.level

    def _rebuild(self, rows: list[MemberRow]) -> None:
        selected = self.selected_key()
        self._shown.clear()
        self.replace_rows([(row.key, self._styled(row)) for row in rows])
        for row in rows:
            self._shown[row.key] = row.cells()
            self._levels[row.key] = row.level
        if selected in self._shown:
            self.move_cursor(row=list(self._shown).index(selected))

    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return str(key.value) if key.value is not None else None
