"""The results of the certificate report and the security scan, the messages that carry
them and the background certificate check. Both come from the service
(:class:`etcdtui.ui.service.ClusterLike`: ``cert_report()``, ``security_scan()``), real
or fake alike. Workers only post these messages; handlers update the widgets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.timer import Timer

from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import _
from etcdtui.ui.errors import as_etcdtui_error

if TYPE_CHECKING:  # cryptography loads only when a check runs, not at console start
    from textual.app import App

    from etcdtui.ops.certs import CertReport
    from etcdtui.ops.posture import ScanReport
    from etcdtui.ui.service import ClusterLike

CERT_CHECK_INTERVAL = 300.0  # seconds between background certificate checks
# The first check waits until the first frame is up: it loads cryptography, which would
# otherwise compete with the first poll for the event loop at start.
CERT_FIRST_CHECK_DELAY = 1.5
SYMBOLS = {"ok": "✔", "warning": "⚠", "critical": "✖"}


@dataclass(frozen=True)
class CertsResult:
    report: CertReport | None
    checked_at: float
    error: str | None = None


@dataclass(frozen=True)
class ScanResult:
    report: ScanReport | None
    scanned_at: float
    error: str | None = None


class CertsChecked(Message):
    def __init__(self, data: CertsResult) -> None:
        super().__init__()
        self.data = data


class ScanFinished(Message):
    def __init__(self, data: ScanResult) -> None:
        super().__init__()
        self.data = data


def days_level(days: int | None) -> str:
    from etcdtui.ops.certs import CRITICAL_DAYS, WARNING_DAYS

    if days is None or days <= CRITICAL_DAYS:
        return "critical"
    if days <= WARNING_DAYS:
        return "warning"
    return "ok"


def header_text(result: CertsResult | None) -> tuple[str, str] | None:
    """(badge text, level) for the header: the nearest expiry, e.g. ``certs 364d``."""
    if result is None:
        return None
    if result.report is None:
        return _("certs ?"), "warning"
    from etcdtui.ops.certs import nearest_expiry

    near = nearest_expiry(result.report.certs)
    if near is None:
        return None
    level = days_level(near.days_left)
    mark = "" if level == "ok" else SYMBOLS[level] + " "
    return mark + _("certs {n}d").format(n=near.days_left), level


class CertWatch:
    """Checks certificates once at connect and then every ``interval`` seconds."""

    def __init__(
        self,
        app: App[Any],
        service: ClusterLike,
        clock: Callable[[], float],
        interval: float = 0,
    ) -> None:
        self.app, self.service, self.clock = app, service, clock
        self.interval = interval or CERT_CHECK_INTERVAL
        self._timer: Timer | None = None
        self._first: Timer | None = None
        self.checking = False

    def start(self) -> None:
        self._first = self.app.set_timer(CERT_FIRST_CHECK_DELAY, self.check)
        self._timer = self.app.set_interval(self.interval, self.check)

    def stop(self) -> None:
        if self._first is not None:
            self._first.stop()
            self._first = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def check(self) -> None:
        if self.checking:
            return
        self.checking = True
        self.app.run_worker(self._collect(), group="certs", exit_on_error=False)

    async def _collect(self) -> None:
        try:
            report = await self.service.cert_report()
            result = CertsResult(report, self.clock())
        except Exception as exc:  # shown in the pane, never raised into the app
            err = as_etcdtui_error(exc)
            result = CertsResult(None, self.clock(), f"{err.title}: {err.cause}")
        finally:
            self.checking = False
        self.app.post_message(CertsChecked(result))


def error_text(exc: BaseException) -> str:
    err: EtcdtuiError = as_etcdtui_error(exc)
    fix = err.console_fix
    return f"{err.title}: {err.cause}" + (f" — {fix}" if fix else "")
