"""Pane registry: the views the main screen can switch between, as data.

Each ``PaneSpec`` gets a key (`1`..`9`), a `:` command with its id, a palette entry
and a help line (the action registry, :mod:`etcdtui.ui.actions`, reads this list).
The widget behind each pane is built by :mod:`etcdtui.ui.pane_widgets`; this module
imports no pane, so a pane may import the action registry without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from etcdtui.i18n import N_

if TYPE_CHECKING:
    from etcdtui.ui.state import ClusterState


class PaneHooks:
    """What the main screen calls on the pane it shows. A pane widget inherits this
    (beside its Textual base) and overrides what it needs; both default to nothing."""

    def pane_shown(self) -> None:
        """The pane became the one shown (after every switch): load what it shows.

        Called by ``MainScreen.action_show_pane``, never from Textual's Show event,
        which is lost when the compositor's map is rebuilt lazily."""

    def refresh_view(self, state: ClusterState) -> None:
        """A new poll result arrived while this pane is the one shown."""


class FollowsState:
    """A screen pushed over the main screen that redraws on every poll result."""

    def refresh_view(self) -> None:
        """A new poll result arrived while this screen is on top."""


@dataclass(frozen=True)
class PaneSpec:
    id: str
    title: str
    key: str | None
    focus: str | None = None  # CSS selector focused when shown
    widget_id: str | None = None  # panes sharing one widget name the same id

    @property
    def wid(self) -> str:
        return self.widget_id or self.id


# "members" and "health" are two views of the overview pane (different focus).
PANES: list[PaneSpec] = [
    PaneSpec("members", N_("Members"), "1", "#members-table", "overview"),
    PaneSpec("health", N_("Leader & health"), "2", "#hv-table", "health-view"),
    PaneSpec("audit", N_("Audit log"), "3", "#audit-table"),
    PaneSpec("snapshots", N_("Snapshots"), "4", "#snapshot-table"),
    PaneSpec("certs", N_("Certificates"), "5", "#certs-table"),
    PaneSpec("security", N_("Security posture"), "6", "#security-table"),
    PaneSpec("drills", N_("Training drills"), "7", "#drill-table"),
]


def pane(pane_id: str) -> PaneSpec | None:
    return next((p for p in PANES if p.id == pane_id), None)
