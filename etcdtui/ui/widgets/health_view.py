"""Pane 2, "Leader & health": the leader, then one row of raft and storage health per
member, the alarms, and room below for the members' metrics.

Pane 1 (members) shows who is in the cluster and whether each answers; this pane shows
how each member is doing: raft term and index against the leader's, applied index,
db size and in-use against its quota, status latency and the errors etcd reports.
Rows come from the same ClusterState as every other view (one health rule).
``#health-metrics`` is where per-member metrics (from /metrics) are mounted.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from etcdtui.domain.formatting import human_bytes
from etcdtui.i18n import _
from etcdtui.models import hex_id
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.state import LEADER_MARK, ClusterState

COLUMNS = (
    ("member", "MEMBER"),
    ("health", "HEALTH"),
    ("term", "RAFT TERM"),
    ("index", "INDEX"),
    ("applied", "APPLIED"),
    ("lag", "LAG"),
    ("db", "DB SIZE"),
    ("in_use", "IN USE"),
    ("quota", "QUOTA"),
    ("latency", "LATENCY"),
    ("errors", "ERRORS"),
)


def health_rows(state: ClusterState, default_quota: int) -> list[tuple[str, ...]]:
    """One row per member, in member-list order (strings, for the table)."""
    rows: list[tuple[str, ...]] = []
    by_key = {r.key: r for r in state.rows()}
    quotas = state.quotas()  # the real quota from /metrics wins over status and default
    for m in state.members.members if state.members else ():
        row = by_key.get(hex_id(m.id))
        t = state.track_for(m)
        st = t.status if t is not None and t.status is not None and t.status.ok else None
        if st is not None and t is not None and state.is_stale(t):
            st = None
        name = (m.name or hex_id(m.id)) + (f" {LEADER_MARK}" if m.id == state.leader_id() else "")
        if st is None:
            cells = ["-"] * (len(COLUMNS) - 2)
            if t is not None and t.status is not None and not t.status.ok:
                cells[-1] = f"{t.status.error_code}: {t.status.error}"
        else:
            cells = [
                str(st.raft_term),
                str(st.raft_index),
                str(st.applied_index),
                row.lag if row else "-",
                human_bytes(st.db_size),
                human_bytes(st.db_size_in_use),
                human_bytes(quotas.get(m.id) or st.db_size_quota or default_quota),
                f"{st.latency_ms:.1f} ms",
                ", ".join(st.errors) or _("none"),
            ]
        rows.append((name, row.health if row else "-", *cells))
    return rows


def leader_text(state: ClusterState) -> str:
    leader = state.leader_name()
    alarms = ", ".join(
        _("{kind} on {member}").format(kind=a.kind, member=state.member_label(a.member_id))
        for a in state.alarms
    )
    return "   ".join(
        [
            (f"{LEADER_MARK} " + _("leader: {name}").format(name=leader))
            if leader
            else "✖ " + _("no leader"),
            _("raft term: {t}").format(t=state.raft_term() or "-"),
            _("leader changes (15 min): {n}").format(n=state.leader_changes_recent()),
            _("alarms: {list}").format(list=alarms) if alarms else _("alarms: none"),
        ]
    )


class HealthView(Vertical):
    DEFAULT_CSS = """
    HealthView { padding: 0 1; }
    HealthView #hv-leader { color: $leader; margin-bottom: 1; }
    HealthView #hv-table { height: auto; max-height: 14; border: round $primary 50%; }
    HealthView #hv-table:focus { border: round $primary; }
    HealthView #health-metrics { height: 1fr; border: round $primary 40%; padding: 0 1; }
    HealthView #hv-metrics { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: list[tuple[str, ...]] = []
        self._metrics_shown: list[tuple[str, ...]] = []

    def compose(self) -> ComposeResult:
        yield Label(_("Leader & health"), classes="box-title")
        yield Static("", id="hv-leader", markup=False)
        yield DataTable(id="hv-table", cursor_type="row")
        with Vertical(id="health-metrics"):
            yield Label(
                _("Metrics (from each member's /metrics; ✖ past etcd's alert)"), classes="box-title"
            )
            yield DataTable(id="hv-metrics", cursor_type="row")

    def on_mount(self) -> None:
        from etcdtui.ui.widgets.health_metrics import COLUMNS as METRIC_COLUMNS

        table = self.query_one("#hv-table", DataTable)
        for key, label in COLUMNS:
            table.add_column(_(label), key=key)
        metrics = self.query_one("#hv-metrics", DataTable)
        for key, label in METRIC_COLUMNS:
            metrics.add_column(_(label), key=key)
        state = etcdtui_app(self).state
        if state is not None:
            self.refresh_view(state)

    def refresh_view(self, state: ClusterState) -> None:
        from etcdtui.ui.widgets.health_metrics import metric_rows

        quota = etcdtui_app(self).default_quota
        self.query_one("#hv-leader", Static).update(leader_text(state))
        metrics = metric_rows(state)
        if metrics != self._metrics_shown:
            mt = self.query_one("#hv-metrics", DataTable)
            mt.clear()
            for cells in metrics:
                mt.add_row(*(Text(c) for c in cells))
            self._metrics_shown = metrics
        rows = health_rows(state, quota)
        if rows == self._shown:
            return
        table = self.query_one("#hv-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for cells in rows:
            table.add_row(*(Text(c) for c in cells))
        self._shown = rows
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
