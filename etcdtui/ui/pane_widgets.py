"""The widget behind each pane of :mod:`etcdtui.ui.panes`, built on first use.

Each pane module is imported when its pane is first shown, not at start: building
and importing every pane at start doubled the time to the first populated frame.
(These imports hold no cycle: no pane imports this module.)
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget


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


FACTORIES: dict[str, Callable[[], Widget]] = {
    "members": _overview,
    "health": _health,
    "audit": _audit,
    "snapshots": _snapshots,
    "certs": _certs,
    "security": _security,
    "drills": _drills,
}


def build(pane_id: str) -> Widget:
    """A new widget for the pane ``pane_id`` (a key of :data:`FACTORIES`)."""
    return FACTORIES[pane_id]()
