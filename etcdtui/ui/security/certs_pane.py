"""Certificates pane: every server certificate seen in the handshake, the client
files in use and the local member certificates, with days left and what is wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from etcdtui.i18n import N_, _
from etcdtui.ops.certs import CRITICAL_DAYS, WARNING_DAYS, CertInfo
from etcdtui.terminal_text import printable
from etcdtui.ui import actions
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.panes import PaneHooks
from etcdtui.ui.security.check_results import SYMBOLS, CertsResult, CertWatch, days_level
from etcdtui.ui.widgets.quiet_table import SizedTable

# What an operator scans for first (days left, what is wrong) comes before the long
# names, so CHECKS is on screen at 120 columns.
COLUMNS = (
    ("role", N_("ROLE")),
    ("source", N_("SOURCE")),
    ("subject", N_("SUBJECT")),
    ("days", N_("DAYS")),
    ("checks", N_("CHECKS")),
    ("not_after", N_("NOT AFTER")),
    ("key", N_("KEY")),
    ("sans", N_("SANS")),
    ("issuer", N_("ISSUER")),
)
DAYS_COL = 3
CHECKS_COL = 4
LEVEL_TOKEN = {"ok": "success", "warning": "warning", "critical": "error"}


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cn(dn: str) -> str:
    """``CN=m1,O=etcdtui`` -> ``m1``; the whole DN when it has no CN."""
    for part in dn.split(","):
        if part.startswith("CN="):
            return part[3:]
    return dn


CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def key_text(c: CertInfo) -> str:
    """``EC P-256``, ``RSA 2048``, ``Ed25519``."""
    if c.key_type.startswith("EC "):
        curve = c.key_type.removeprefix("EC ")
        return f"EC {CURVES.get(curve, curve)}"
    if c.key_type == "RSA" and c.key_size:
        return f"RSA {c.key_size}"
    return c.key_type


def _source(c: CertInfo) -> str:
    if "://" in c.source:
        return c.source.split("://", 1)[1]
    p = Path(c.source)
    return f"{p.parent.name}/{p.name}"


def checks_text(c: CertInfo) -> str:
    if c.problems:
        more = _(" (+{n} more)").format(n=len(c.problems) - 1) if len(c.problems) > 1 else ""
        return f"{SYMBOLS.get(c.severity, '✖')} {c.problems[0]}{more}"
    if c.role == "server":
        return "✔ " + _("SAN and chain ok")
    return "✔ " + _("ok")


def cert_cells(c: CertInfo) -> tuple[str, ...]:
    """Subjects, SANs and paths come from certificate files: every cell is escaped."""
    return tuple(printable(cell) for cell in _cert_cells(c))


def _cert_cells(c: CertInfo) -> tuple[str, ...]:
    return (
        c.role,
        _short(_source(c), 22),
        _short(_cn(c.subject), 16),
        f"{SYMBOLS[days_level(c.days_left)]} {c.days_left}" if c.days_left is not None else "?",
        _short(checks_text(c), 30),
        c.not_after.date().isoformat() if c.not_after else "-",
        _short(key_text(c), 12),
        _short(", ".join(c.sans) or "-", 22),
        _short(_cn(c.issuer), 16),
    )


def sort_key(c: CertInfo) -> tuple[int, int, str]:
    order = {"server": 0, "client": 1, "ca": 2}
    return (order.get(c.role, 3), c.days_left if c.days_left is not None else -1, c.source)


class CertsPane(Vertical, PaneHooks):
    BINDINGS: ClassVar[list[BindingType]] = actions.bindings("pane:certs")
    DEFAULT_CSS = """
    CertsPane { padding: 0 1; }
    CertsPane #certs-table { height: 1fr; }
    CertsPane #certs-detail { height: auto; max-height: 8; border-top: solid $primary 40%; }
    CertsPane #certs-summary.-warning { color: $warning; }
    CertsPane #certs-summary.-critical { color: $error; text-style: bold; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result: CertsResult | None = None
        self._certs: list[CertInfo] = []

    def compose(self) -> ComposeResult:
        yield Label(_("Certificates"), classes="box-title")
        yield Static(_("Not checked yet."), id="certs-summary", markup=False)
        yield SizedTable(id="certs-table", cursor_type="row")
        yield Static("", id="certs-detail", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in COLUMNS:
            table.add_column(_(label), key=key)
        known = etcdtui_app(self).cert_result
        if known is not None:
            self.show_result(known)

    def pane_shown(self) -> None:
        """The main screen switched to this pane: check now if nothing was checked yet."""
        if etcdtui_app(self).cert_result is None:
            self.action_recheck()

    def action_recheck(self) -> None:
        app = etcdtui_app(self)
        watch = app.cert_watch
        if watch is None:
            if app.service is None:
                return
            watch = CertWatch(self.app, app.service, app.clock)
        self.query_one("#certs-summary", Static).update(_("Checking certificates…"))
        watch.check()

    def show_result(self, result: CertsResult) -> None:
        self.result = result
        summary = self.query_one("#certs-summary", Static)
        table = self.query_one(DataTable)
        table.clear()
        self._certs = []
        when = dt.datetime.fromtimestamp(result.checked_at, dt.UTC).strftime("%H:%M:%S")
        if result.report is None:
            summary.update(
                _("Check failed at {t} UTC: {why} (r re-checks)").format(t=when, why=result.error)
            )
            summary.set_classes("-critical")
            return
        rep = result.report
        self._certs = sorted(rep.certs, key=sort_key)
        vars_ = self.app.theme_variables
        for i, c in enumerate(self._certs):
            level = days_level(c.days_left)
            worst = max(level, c.severity, key=("ok", "warning", "critical").index)
            style = vars_.get(LEVEL_TOKEN[worst], "")
            cells = [Text(v) for v in cert_cells(c)]
            days = cells[DAYS_COL].plain
            cells[DAYS_COL] = Text(days, style=f"bold {vars_.get(LEVEL_TOKEN[level], '')}")
            cells[CHECKS_COL] = Text(cells[CHECKS_COL].plain, style=style if c.problems else "")
            table.add_row(*cells, key=str(i))
        counts = {lvl: sum(1 for c in rep.certs if c.severity == lvl) for lvl in SYMBOLS}
        text = _(
            "{n} certificates checked at {t} UTC: {ok} ok, {w} warning (≤{wd} days), "
            "{c} critical (≤{cd} days or broken). r re-checks."
        ).format(
            n=len(rep.certs),
            t=when,
            ok=counts["ok"],
            w=counts["warning"],
            c=counts["critical"],
            wd=WARNING_DAYS,
            cd=CRITICAL_DAYS,
        )
        for err in rep.errors:
            text += "\n⚠ " + err
        summary.update(text)
        summary.set_classes(f"-{rep.worst}" if rep.worst != "ok" else "")
        self._detail(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._detail(int(event.row_key.value))

    def _detail(self, index: int) -> None:
        detail = self.query_one("#certs-detail", Static)
        if not 0 <= index < len(self._certs):
            detail.update("")
            return
        c = self._certs[index]
        lines = [
            f"{c.role}  {c.source}",
            _("subject {s}  issuer {i}  serial {n}").format(s=c.subject, i=c.issuer, n=c.serial),
            _("SANs: {sans}").format(sans=", ".join(c.sans) or _("none")),
        ]
        if c.not_before and c.not_after:
            lines.append(
                _("valid {a} .. {b}; usages {u}").format(
                    a=c.not_before.isoformat(),
                    b=c.not_after.isoformat(),
                    u=", ".join(c.usages) or "-",
                )
            )
        lines += [f"{SYMBOLS.get(c.severity, '✖')} {p}" for p in c.problems]
        detail.update("\n".join(lines))
