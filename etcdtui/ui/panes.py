"""Pane registry: the views the main screen can switch between.

Other parts of etcdtui add a pane by appending a ``PaneSpec`` here (or calling
``register_pane``): it gets a key (`1`..`9`), a `:` command with its id, a
palette entry and a help line, with no change to the app or the main screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.widget import Widget

from etcdtui.i18n import N_


@dataclass(frozen=True)
class PaneSpec:
    id: str
    title: str
    key: str | None
    factory: Callable[[], Widget]
    focus: str | None = None  # CSS selector focused when shown
    widget_id: str | None = None  # panes sharing one widget name the same id

    @property
    def wid(self) -> str:
        return self.widget_id or self.id


def _overview() -> Widget:
    from etcdtui.ui.screens.overview import OverviewPane

    return OverviewPane(id="overview")


def _health() -> Widget:
    from etcdtui.ui.widgets.health_view import HealthView

    return HealthView(id="health-view")


def _audit() -> Widget:
    from etcdtui.ui.screens.audit import AuditPane

    return AuditPane(id="audit")


def _snapshots() -> Widget:
    from etcdtui.ui.snapshots.pane import SnapshotsPane

    return SnapshotsPane(id="snapshots")


def _certs() -> Widget:
    from etcdtui.ui.security.certs_pane import CertsPane

    return CertsPane(id="certs")


def _security() -> Widget:
    from etcdtui.ui.security.security_pane import SecurityPane

    return SecurityPane(id="security")


def _drills() -> Widget:
    from etcdtui.ui.drills.pane import DrillPane

    return DrillPane(id="drills")


# "members" and "health" are two views of the overview pane (different focus).
PANES: list[PaneSpec] = [
    PaneSpec("members", N_("Members"), "1", _overview, "#members-table", "overview"),
    PaneSpec("health", N_("Leader & health"), "2", _health, "#hv-table", "health-view"),
    PaneSpec("audit", N_("Audit log"), "3", _audit, "#audit-table"),
    PaneSpec("snapshots", N_("Snapshots"), "4", _snapshots, "#snapshot-table"),
    PaneSpec("certs", N_("Certificates"), "5", _certs, "#certs-table"),
    PaneSpec("security", N_("Security posture"), "6", _security, "#security-table"),
    PaneSpec("drills", N_("Training drills"), "7", _drills, "#drill-table"),
]


def register_pane(spec: PaneSpec) -> None:
    PANES[:] = [p for p in PANES if p.id != spec.id] + [spec]


def pane(pane_id: str) -> PaneSpec | None:
    return next((p for p in PANES if p.id == pane_id), None)
