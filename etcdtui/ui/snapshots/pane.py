"""The snapshot browser pane: the catalog of a directory and, below it, the detail,
contents and diff views. Works on files only; save is the one thing needing a cluster.

Keys (from the action registry, scope ``pane:snapshots``): ``c`` contents, ``m`` mark
for diff, ``d`` diff against the mark, ``s`` save, ``k`` keys, ``r`` reload (``:snapshots DIR``
opens DIR). Moving the cursor shows the file's detail (status and verify run in a
worker, cached per file).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Label, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from etcdtui.domain.formatting import short_age
from etcdtui.i18n import _
from etcdtui.ops.snapshots import CatalogEntry, DecryptKeys, VerifyResult
from etcdtui.ui import actions
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.errors import report
from etcdtui.ui.panes import PaneHooks
from etcdtui.ui.snapshots import pane_data
from etcdtui.ui.snapshots.messages import (
    Catalog,
    CatalogLoaded,
    Contents,
    ContentsLoaded,
    Detail,
    DetailLoaded,
    Diff,
    DiffLoaded,
)
from etcdtui.ui.snapshots.views import ContentsView, DetailView, DiffView
from etcdtui.ui.widgets.quiet_table import SizedTable

GROUPS = ("snap-catalog", "snap-detail", "snap-contents", "snap-diff")
MARK = "◆"
VERIFY_DELAY = 0.2  # seconds the cursor rests on a file before it is read


class SnapshotsPane(Vertical, PaneHooks):
    BINDINGS: ClassVar[list[BindingType]] = actions.bindings("pane:snapshots")
    DEFAULT_CSS = """
    SnapshotsPane #snapshot-dir { color: $text-muted; }
    SnapshotsPane #snapshot-table { height: auto; max-height: 12; border: round $primary 50%; }
    SnapshotsPane #snapshot-table:focus { border: round $primary; }
    SnapshotsPane #snapshot-tabs { height: 1fr; }
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = str(directory) if directory is not None else None
        self.entries: list[CatalogEntry] = []
        self.checked = False
        self.marked: str | None = None
        self.results: dict[str, VerifyResult] = {}
        self._loaded_once = False
        self._select_after_load: str | None = None
        self.keys: DecryptKeys | None = None  # for age-encrypted files (session only)
        self._pending: set[str] = set()  # files whose verify is running
        self._verify_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Label(_("Snapshots"), classes="box-title")
        yield Static("", id="snapshot-dir", markup=False)
        yield SizedTable(id="snapshot-table", cursor_type="row")
        with TabbedContent(id="snapshot-tabs"):
            with TabPane(_("Detail"), id="tab-detail"):
                yield DetailView(id="snapshot-detail-view")
            with TabPane(_("Contents"), id="tab-contents"):
                yield ContentsView(id="snapshot-contents-view")
            with TabPane(_("Diff"), id="tab-diff"):
                yield DiffView(id="snapshot-diff-view")

    def on_mount(self) -> None:
        self._columns(self.table)

    @staticmethod
    def _columns(table: DataTable[Any], rows: list[tuple[str, ...]] | None = None) -> None:
        """Columns sized from ``rows`` (explicit widths: the same layout every time)."""
        for i, (key, label) in enumerate(pane_data.CATALOG_COLUMNS):
            text = _(label) if label else ""
            width = max([cell_len(text), *(cell_len(r[i]) for r in rows or [])])
            table.add_column(text, key=key, width=max(width, 1) if rows else None)

    def pane_shown(self) -> None:
        """The main screen switched to this pane (see MainScreen.action_show_pane)."""
        if not self._loaded_once:
            self.open_directory(self.directory)

    # --- helpers ---------------------------------------------------------------------------

    def _now(self) -> float:
        clock = etcdtui_app(self).clock
        return float(clock())

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#snapshot-table", DataTable)

    def selected(self) -> CatalogEntry | None:
        if not self.entries or not self.table.row_count:
            return None
        row = self.table.cursor_row
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def _entry(self, path: str) -> CatalogEntry | None:
        return next((e for e in self.entries if str(e.path) == path), None)

    def _show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    # --- catalog ---------------------------------------------------------------------------

    def open_directory(self, directory: str | os.PathLike[str] | None = None) -> None:
        """Show the snapshots in ``directory`` (default: the state dir's snapshots)."""
        self._loaded_once = True
        self.directory = str(directory) if directory else str(pane_data.default_directory())
        self.query_one("#snapshot-dir", Static).update(
            _("directory: {dir}").format(dir=pane_data.display_path(self.directory))
        )
        self.results.clear()
        self.marked = None
        self.checked = False
        self._load_catalog(self.directory, self.keys)

    def action_open_dir(self, directory: str | None = None) -> None:
        """``r``: read the directory again; ``:snapshots DIR``: open DIR instead."""
        if directory:
            self.open_directory(os.path.expanduser(directory))
            return
        self.results.clear()
        self._load_catalog(self.directory or str(pane_data.default_directory()), self.keys)

    @work(thread=True, exclusive=True, group="snap-catalog", exit_on_error=False)
    def _load_catalog(self, directory: str, keys: DecryptKeys | None) -> None:
        from etcdtui.ops.snapshots import list_snapshots

        if not Path(directory).is_dir():
            self.post_message(CatalogLoaded(Catalog(directory, (), True, missing=True)))
            return
        listed = list_snapshots(directory, check=False)
        self.post_message(CatalogLoaded(Catalog(directory, tuple(listed), False)))
        checked = list_snapshots(directory, check=True, keys=keys)
        self.post_message(CatalogLoaded(Catalog(directory, tuple(checked), True)))

    def on_catalog_loaded(self, message: CatalogLoaded) -> None:
        data = message.data
        if data.directory != self.directory:
            return
        keep = self.selected()
        want = self._select_after_load or (keep.path.name if keep else None)
        if data.checked:
            self._select_after_load = None
        self.entries, self.checked = list(data.entries), data.checked
        self._render_catalog(want)
        shown = pane_data.display_path(data.directory)
        if data.missing:
            text = _(
                "directory: {dir} (does not exist yet: press s to save a snapshot there, "
                "or open another with :snapshots DIR)"
            ).format(dir=shown)
        elif not self.entries:
            text = _("directory: {dir} (no snapshots)").format(dir=shown)
        else:
            text = _("directory: {dir} ({n} snapshots)").format(dir=shown, n=len(self.entries))
        self.query_one("#snapshot-dir", Static).update(text)
        self._detail_for_cursor()

    def _render_catalog(self, select: str | None = None) -> None:
        table = self.table
        now = self._now()
        rows = [
            pane_data.catalog_cells(
                e, now, checked=self.checked, mark=MARK if str(e.path) == self.marked else ""
            )
            for e in self.entries
        ]
        table.clear(columns=True)
        self._columns(table, rows)
        tokens = self.app.theme_variables
        for e, cells in zip(self.entries, rows, strict=True):
            style = tokens.get(pane_data.STATE_TOKEN.get(e.state, ""), "") if self.checked else ""
            row = [Text(c) for c in cells[:-1]] + [Text(cells[-1], style=style)]
            table.add_row(*row, key=str(e.path))
        names = [e.path.name for e in self.entries]
        if select in names:
            table.move_cursor(row=names.index(select))
        elif names:
            table.move_cursor(row=len(names) - 1)  # the newest

    def refresh_ages(self) -> None:
        """Called with every console tick: the AGE column follows the clock. Only cells
        whose text changed are rewritten (a column wider than before re-renders all)."""
        table = self.table
        if not self.entries or table.row_count != len(self.entries):
            return
        now = self._now()
        col = next(i for i, (key, _l) in enumerate(pane_data.CATALOG_COLUMNS) if key == "age")
        ages = [short_age(now - e.time.timestamp()) for e in self.entries]
        width = table.ordered_columns[col].width
        if any(cell_len(a) > width for a in ages):
            keep = self.selected()
            self._render_catalog(keep.path.name if keep else None)
            return
        for e, age in zip(self.entries, ages, strict=True):
            if str(table.get_cell(str(e.path), "age")) != age:
                table.update_cell(str(e.path), "age", Text(age))

    def refresh_view(self, _state: object) -> None:
        self.refresh_ages()

    def select_name(self, name: str) -> bool:
        names = [e.path.name for e in self.entries]
        if name not in names:
            return False
        self.table.move_cursor(row=names.index(name))
        return True

    # --- detail ----------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "snapshot-table":
            self._detail_for_cursor()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "snapshot-table":
            self._show_tab("tab-detail")
            self._detail_for_cursor()

    def _detail_for_cursor(self) -> None:
        entry = self.selected()
        view = self.query_one(DetailView)
        if entry is None:
            view.show(None, None, self._now(), loading=False)
            return
        key = str(entry.path)
        result = self.results.get(key)
        wants = result is None and (not entry.encryption or bool(self.keys))
        view.show(entry, result, self._now(), loading=wants)
        if wants:  # after the cursor rests a moment: scrolling past files reads none
            if self._verify_timer is not None:
                self._verify_timer.stop()
            self._verify_timer = self.set_timer(VERIFY_DELAY, lambda: self._verify_if(key))

    def _verify_if(self, key: str) -> None:
        entry = self.selected()
        if entry is None or str(entry.path) != key or key in self.results or key in self._pending:
            return
        self._pending.add(key)
        self._verify(key, self.keys)

    # Not exclusive: results are kept per file, and a thread cannot be stopped anyway.
    @work(thread=True, group="snap-detail", exit_on_error=False)
    def _verify(self, path: str, keys: DecryptKeys | None) -> None:
        from etcdtui.ops.snapshots import verify

        self.post_message(DetailLoaded(Detail(path, verify(path, keys))))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self._pending.discard(message.data.path)
        self.results[message.data.path] = message.data.result
        entry = self.selected()
        if entry is not None and str(entry.path) == message.data.path:
            self.query_one(DetailView).show(entry, message.data.result, self._now(), loading=False)

    # --- contents --------------------------------------------------------------------------

    def action_contents(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        self._show_tab("tab-contents")
        self.query_one(ContentsView).show_loading(entry.path.name)
        self._contents(str(entry.path), self.keys)

    @work(thread=True, exclusive=True, group="snap-contents", exit_on_error=False)
    def _contents(self, path: str, keys: DecryptKeys | None) -> None:
        from etcdtui.ops.snapshot_browse import objects

        index = pane_data.ContentsIndex.build(objects(path, keys))
        self.post_message(ContentsLoaded(Contents(path, index)))

    def on_contents_loaded(self, message: ContentsLoaded) -> None:
        view = self.query_one(ContentsView)
        view.show(Path(message.data.path).name, message.data.index)

    # --- diff ------------------------------------------------------------------------------

    def action_mark(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        key = str(entry.path)
        self.marked = None if self.marked == key else key
        self._render_catalog(entry.path.name)
        if self.marked:
            self.app.notify(
                _("Marked {name}: select another snapshot and press d to compare.").format(
                    name=entry.path.name
                ),
                markup=False,
            )

    def action_diff(self) -> None:
        entry = self.selected()
        marked = self._entry(self.marked) if self.marked else None
        if entry is None or marked is None or marked is entry:
            from etcdtui.errors import UsageError

            report(
                self.app,
                UsageError(
                    _("a diff needs two snapshots"),
                    fix=_("Mark one with m, move to another, then press d."),
                ),
            )
            return
        older, newer = pane_data.order_for_diff(marked, entry)
        self._show_tab("tab-diff")
        self.query_one(DiffView).show_loading(older.path.name, newer.path.name)
        self._diff(str(older.path), str(newer.path), self.keys)

    @work(thread=True, exclusive=True, group="snap-diff", exit_on_error=False)
    def _diff(self, older: str, newer: str, keys: DecryptKeys | None) -> None:
        from etcdtui.ops.snapshot_browse import diff

        out = diff(older, newer, keys, keys, limit=0)
        self.post_message(DiffLoaded(Diff(older, newer, out)))

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        d = message.data
        self.query_one(DiffView).show(Path(d.older).name, Path(d.newer).name, d.report)

    # --- restore from the selected file ---------------------------------------------------

    def action_restore(self) -> None:
        """ctrl+r here: the restore prompt, prefilled with the highlighted file."""
        entry = self.selected()
        etcdtui_app(self).open_restore_prompt(str(entry.path) if entry is not None else None)

    # --- keys for encrypted files ------------------------------------------------------------

    def action_keys(self) -> None:
        from etcdtui.ui.snapshots.keys_dialog import DecryptKeysDialog

        self.app.push_screen(DecryptKeysDialog(), self._keys_given)

    def _keys_given(self, keys: DecryptKeys | None) -> None:
        if keys:
            self.keys = keys
            self.app.notify(_("Decryption keys loaded for this session."), markup=False)
            self.action_open_dir()

    # --- save ------------------------------------------------------------------------------

    def action_save(self) -> None:
        from etcdtui.ui.snapshots.save_dialog import SaveSnapshotDialog, default_file

        directory = Path(self.directory or pane_data.default_directory())
        self.app.push_screen(SaveSnapshotDialog(default_file(directory, self._now())), self._saved)

    def _saved(self, path: str | None) -> None:
        if not path:
            return
        self.app.notify(_("Snapshot saved to {path}").format(path=path), markup=False)
        saved = Path(path)
        if self.directory and saved.parent.resolve() == Path(self.directory).resolve():
            self._select_after_load = saved.name
            self.action_open_dir()

    # --- errors ----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "snap-detail" and event.state in (
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self._pending.clear()
            entry = self.selected()
            if entry is not None and str(entry.path) not in self.results:
                self.query_one(DetailView).show(entry, None, self._now(), loading=False)
        if event.worker.group in GROUPS and event.state == WorkerState.ERROR:
            report(self.app, event.worker.error or RuntimeError("?"))
