"""Security posture pane: the read-only scan of ``etcdtui.services.tls.posture``, run on
demand (a key) in a worker, findings sorted by severity with evidence and fix."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from etcdtui.i18n import _
from etcdtui.ops.posture import SEVERITIES, Finding
from etcdtui.terminal_text import printable
from etcdtui.ui import actions
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.security.check_results import ScanFinished, ScanResult, error_text
from etcdtui.ui.service import ClusterLike
from etcdtui.ui.widgets.quiet_table import SizedTable

SEVERITY_MARK = {
    "critical": "✖",
    "high": "✖",
    "medium": "⚠",
    "low": "⚠",
    "info": "ℹ",
    "ok": "✔",
}
SEVERITY_TOKEN = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "warning",
    "info": "text-muted",
    "ok": "success",
}


def sorted_findings(findings: tuple[Finding, ...]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-SEVERITIES.index(f.severity), f.id))


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class SecurityPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = actions.bindings("pane:security")
    DEFAULT_CSS = """
    SecurityPane { padding: 0 1; }
    SecurityPane #security-table { height: 1fr; }
    SecurityPane #security-detail { height: auto; max-height: 10; border-top: solid $primary 40%; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result: ScanResult | None = None
        self.scanning = False
        self._findings: list[Finding] = []

    def compose(self) -> ComposeResult:
        yield Label(_("Security posture"), classes="box-title")
        yield Static(
            _(
                "Not scanned yet. Press s to run the scan: read-only checks of the client "
                "ports, client certificates, etcd auth, peer TLS, member count, versions, "
                "certificate expiry and Secrets encryption at rest."
            ),
            id="security-status",
            markup=False,
        )
        yield SizedTable(id="security-table", cursor_type="row")
        yield Static("", id="security-detail", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (
            ("severity", _("SEVERITY")),
            ("id", _("ID")),
            ("title", _("FINDING")),
            ("evidence", _("EVIDENCE")),
        ):
            table.add_column(label, key=key)

    def action_scan(self) -> None:
        app = etcdtui_app(self)
        if self.scanning or app.service is None:
            return
        self.scanning = True
        self.query_one("#security-status", Static).update(_("Scanning… (read-only checks)"))
        self._scan(app.service)

    @work(exclusive=True, group="security-scan", exit_on_error=False)
    async def _scan(self, service: ClusterLike) -> None:
        clock = etcdtui_app(self).clock
        try:
            report = await service.security_scan()
            result = ScanResult(report, clock())
        except Exception as exc:  # shown in the pane, never raised into the app
            result = ScanResult(None, clock(), error_text(exc))
        self.post_message(ScanFinished(result))

    def on_scan_finished(self, message: ScanFinished) -> None:
        self.scanning = False
        self.show_result(message.data)

    def show_result(self, result: ScanResult) -> None:
        self.result = result
        status = self.query_one("#security-status", Static)
        table = self.query_one(DataTable)
        table.clear()
        self._findings = []
        when = dt.datetime.fromtimestamp(result.scanned_at, dt.UTC).strftime("%H:%M:%S")
        if result.report is None:
            status.update(
                _("Scan failed at {t} UTC: {why} (s runs it again)").format(
                    t=when, why=result.error
                )
            )
            return
        rep = result.report
        self._findings = sorted_findings(rep.findings)
        vars_ = self.app.theme_variables
        for i, f in enumerate(self._findings):
            style = vars_.get(SEVERITY_TOKEN.get(f.severity, "text-muted"), "")
            table.add_row(
                Text(f"{SEVERITY_MARK.get(f.severity, '?')} {f.severity}", style=f"bold {style}"),
                Text(f.id),
                Text(_short(printable(f.title), 40)),
                Text(_short(printable(f.evidence), 34)),
                key=str(i),
            )
        status.update(
            _(
                "Scanned at {t} UTC: {n} findings, worst {worst}; {p} checks passed ({ids}). "
                "s scans again."
            ).format(
                t=when,
                n=len(rep.findings),
                worst=rep.worst,
                p=len(rep.passed),
                ids=", ".join(rep.passed) or "-",
            )
        )
        self._detail(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._detail(int(event.row_key.value))

    def _detail(self, index: int) -> None:
        detail = self.query_one("#security-detail", Static)
        if not 0 <= index < len(self._findings):
            detail.update("")
            return
        f = self._findings[index]
        detail.update(
            "\n".join(
                printable(line)
                for line in [
                    f"{SEVERITY_MARK.get(f.severity, '?')} [{f.severity}] {f.title} ({f.id})",
                    _("Evidence: {e}").format(e=f.evidence),
                    _("Fix: {f}").format(f=f.fix),
                ]
            )
        )
