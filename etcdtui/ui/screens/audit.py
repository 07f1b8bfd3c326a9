"""Audit pane: the append-only JSONL audit log, newest first; enter shows one record.

Columns put what happened and how it ended (ACTION, RESULT) right after the time, so
they are on screen at 120 columns; PARAMS, the longest, comes last.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from etcdtui.i18n import N_, _
from etcdtui.ops.audit import AuditLog
from etcdtui.terminal_text import printable
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.panes import PaneHooks
from etcdtui.ui.widgets.quiet_table import SizedTable

_COLUMNS = (
    N_("TIME"),
    N_("ACTION"),
    N_("RESULT"),
    N_("USER"),
    N_("ORIGIN"),
    N_("CONTEXT"),
    N_("CLUSTER"),
    N_("PARAMS"),
)
PARAMS_WIDTH = 40


def _escape(text: str) -> str:
    """Control characters from the log are shown escaped, never interpreted."""
    return printable(text, keep="\n")


def result_text(rec: dict[str, Any]) -> str:
    err = rec.get("error") or {}
    return "✔ ok" if rec.get("ok") else f"✖ {err.get('title') or err.get('code') or '?'}"


def audit_cells(rec: dict[str, Any]) -> tuple[str, ...]:
    params = json.dumps(rec.get("params") or {}, sort_keys=True)
    if len(params) > PARAMS_WIDTH:
        params = params[: PARAMS_WIDTH - 1] + "…"
    cells = (
        str(rec.get("time", ""))[:23],
        str(rec.get("action") or "?"),
        result_text(rec),
        str(rec.get("user") or "-"),
        str(rec.get("ssh_client") or _("local")),
        str(rec.get("context") or "-"),
        str(rec.get("cluster_id") or "-"),
        params,
    )
    return tuple(_escape(c) for c in cells)


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def detail_table(rec: dict[str, Any]) -> Table:
    """Every field of one record; params and error in full, one per line."""
    table = Table(box=None, show_header=False, expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row(_("result"), result_text(rec))
    for key in sorted(rec):
        value = rec[key]
        if key in ("params", "error") and isinstance(value, dict):
            for k in sorted(value):
                table.add_row(f"{key}.{k}", _escape(_plain(value[k])))
        else:
            table.add_row(key, _escape(_plain(value)))
    return table


class AuditDetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", _("Back"), id="audit-detail.back")
    ]

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            title = _("Audit record: {action}").format(action=self.record.get("action") or "?")
            yield Label(_escape(title), classes="box-title", markup=False)
            yield Static(detail_table(self.record), id="audit-detail")
        yield Footer()


class AuditPane(Vertical, PaneHooks):
    def __init__(self, log: AuditLog | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.audit = log
        self.records: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Label(_("Audit log (enter shows a record)"), classes="box-title")
        yield Static("", id="audit-path", markup=False)
        yield SizedTable(id="audit-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for c in _COLUMNS:
            table.add_column(_(c), key=c.lower())
        self.reload()

    def pane_shown(self) -> None:
        """The main screen switched to this pane: the log as it is now."""
        self.reload()

    def reload(self) -> None:
        log = self.audit or etcdtui_app(self).audit_log or AuditLog()
        self.query_one("#audit-path", Static).update(
            _("{path} (append-only JSON lines; newest first)").format(path=log.path)
        )
        table = self.query_one(DataTable)
        table.clear()
        self.records = list(reversed(log.read(limit=500)))
        for i, rec in enumerate(self.records):
            table.add_row(*audit_cells(rec), key=str(i))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "audit-table" or event.row_key.value is None:
            return
        event.stop()  # not the members table's enter
        index = int(event.row_key.value)
        if 0 <= index < len(self.records):
            self.app.push_screen(AuditDetailScreen(self.records[index]))
