"""Audit pane: the append-only JSONL audit log, newest first."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from etcdtui.i18n import N_, _
from etcdtui.services.audit import AuditLog

_COLUMNS = (
    N_("TIME"),
    N_("USER"),
    N_("ORIGIN"),
    N_("CONTEXT"),
    N_("CLUSTER"),
    N_("ACTION"),
    N_("PARAMS"),
    N_("RESULT"),
)


def audit_cells(rec: dict[str, Any]) -> tuple[str, ...]:
    err = rec.get("error") or {}
    result = "✔ ok" if rec.get("ok") else f"✖ {err.get('title') or err.get('code') or '?'}"
    return (
        str(rec.get("time", ""))[:23],
        str(rec.get("user") or "-"),
        str(rec.get("ssh_client") or _("local")),
        str(rec.get("context") or "-"),
        str(rec.get("cluster_id") or "-"),
        str(rec.get("action") or "?"),
        json.dumps(rec.get("params") or {}, sort_keys=True)[:60],
        result,
    )


class AuditPane(Vertical):
    def __init__(self, log: AuditLog | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.audit = log

    def compose(self) -> ComposeResult:
        yield Label(_("Audit log"), classes="box-title")
        yield Static("", id="audit-path", markup=False)
        yield DataTable(id="audit-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for c in _COLUMNS:
            table.add_column(_(c), key=c.lower())
        self.reload()

    def on_show(self) -> None:
        self.reload()

    def reload(self) -> None:
        log = self.audit or getattr(self.app, "audit_log", None) or AuditLog()
        self.query_one("#audit-path", Static).update(
            _("{path} (append-only JSON lines; newest first)").format(path=log.path)
        )
        table = self.query_one(DataTable)
        table.clear()
        for rec in reversed(log.read(limit=500)):
            table.add_row(*audit_cells(rec))
