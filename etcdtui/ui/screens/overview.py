"""Overview pane: the members table above the leader & health pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

from etcdtui.i18n import _
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.state import ClusterState
from etcdtui.ui.widgets.health import HealthPane
from etcdtui.ui.widgets.members import MembersTable


class OverviewPane(Vertical):
    def compose(self) -> ComposeResult:
        quota = etcdtui_app(self).default_quota
        yield Input(placeholder=_("filter members (esc clears)"), id="filter")
        yield MembersTable(id="members-table")
        yield HealthPane(quota, id="health")

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False

    def show(self, state: ClusterState) -> None:
        self.query_one(MembersTable).show_rows(state.rows())
        self.query_one(HealthPane).show(state)
