"""Pane 2, "Leader & health": the leader, then one row of raft and storage health per
member, the alarms, and below them the signals etcd's alert rules watch, with a
sparkline per member (see health_metrics.py).

Pane 1 (members) shows who is in the cluster and whether each answers; this pane shows
how each member is doing: raft term and index against the leader's, applied index,
db size and in-use against its quota, status latency and the errors etcd reports.
Rows come from the same ClusterState as every other view (one health rule).
``#health-metrics`` holds the signals (from each member's /metrics).

Both tables repaint only the cells that changed (QuietTable): over a slow SSH link an
idle console writes a few cells a refresh, not two tables.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from etcdtui.cluster_data import hex_id
from etcdtui.domain.formatting import human_bytes
from etcdtui.i18n import _
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.panes import PaneHooks
from etcdtui.ui.state import LEADER_MARK, ClusterState
from etcdtui.ui.widgets.header import Badge
from etcdtui.ui.widgets.quiet_table import QuietTable

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


def keyed_health_rows(state: ClusterState, default_quota: int) -> list[tuple[str, tuple[str, ...]]]:
    """(member hex ID, cells) per member, in member-list order."""
    rows: list[tuple[str, tuple[str, ...]]] = []
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
        rows.append((hex_id(m.id), (name, row.health if row else "-", *cells)))
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


class HealthView(Vertical, PaneHooks):
    DEFAULT_CSS = """
    HealthView { padding: 0 1; }
    HealthView #hv-leader { color: $leader; margin-bottom: 1; }
    HealthView.-short #hv-leader { margin-bottom: 0; }
    HealthView #hv-table { height: auto; max-height: 14; border: round $primary 50%; }
    HealthView #hv-table:focus { border: round $primary; }
    HealthView.-short #hv-table, HealthView.-short #hv-table:focus { border: none; }
    HealthView #health-metrics { height: 1fr; border: round $primary 40%; padding: 0 1; }
    HealthView #hv-metrics { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: dict[str, tuple[str, ...]] = {}
        self._metrics_shown: dict[str, tuple[str, ...]] = {}
        self._layout: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        yield Label(_("Leader & health"), classes="box-title")
        yield Badge("", id="hv-leader", markup=False)
        yield QuietTable(id="hv-table", cursor_type="row")
        with Vertical(id="health-metrics"):
            yield QuietTable(id="hv-metrics", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#hv-table", QuietTable)
        for key, label in COLUMNS:
            table.add_column(_(label), key=key)
        self.query_one("#health-metrics").border_title = _(
            "Signals from /metrics · ▲ past healthy · ✖ past etcd's alert"
        )
        state = etcdtui_app(self).state
        if state is not None:
            self.refresh_view(state)

    def on_resize(self) -> None:
        self.set_class(self.size.height < 30, "-short")
        state = etcdtui_app(self).state
        if state is not None:
            self.refresh_view(state)

    def refresh_view(self, state: ClusterState) -> None:
        quota = etcdtui_app(self).default_quota
        self.query_one("#hv-leader", Badge).set(leader_text(state))
        self._show_signals(state)
        keyed = keyed_health_rows(state, quota)
        table = self.query_one("#hv-table", QuietTable)
        keys = [k for k, _c in keyed]
        if table.show_cells(keys, [[Text(c) for c in cells] for _k, cells in keyed], self._shown):
            return
        cursor = table.cursor_row
        table.replace_rows([(key, [Text(c) for c in cells]) for key, cells in keyed])
        self._shown = dict(keyed)
        if keyed:
            table.move_cursor(row=min(cursor, len(keyed) - 1))

    def _show_signals(self, state: ClusterState) -> None:
        from etcdtui.ui.widgets import health_metrics as hm

        table = self.query_one("#hv-metrics", QuietTable)
        width = table.size.width
        if not width:
            return  # not laid out yet; on_resize comes back
        members = hm.member_names(state)
        spark, wide, widths = _signal_layout(width, len(members))
        layout = (tuple(members), spark, wide, self.app.theme)
        cells = hm.signal_cells(state, spark)
        rows = [
            [Text(_(sig.label)), Text(hm.alert_column(sig, wide))]
            + [self._cell(c, spark) for c in row]
            for sig, row in zip(hm.SIGNALS, cells, strict=True)
        ]
        keys = [sig.key for sig in hm.SIGNALS]
        if layout == self._layout and table.show_cells(keys, rows, self._metrics_shown):
            return
        self._layout = layout
        cursor = table.cursor_row
        table.clear(columns=True)
        label_w, alert_w, cell_w = widths
        table.add_column(_("SIGNAL"), key="signal", width=label_w)
        table.add_column(_("ALERT"), key="alert", width=alert_w)
        for member_id, name in members:
            table.add_column(_fit(name, cell_w), key=hex_id(member_id), width=cell_w)
        self._metrics_shown = {}
        for key, row in zip(keys, rows, strict=True):
            table.add_row(*row, key=key)
            self._metrics_shown[key] = tuple(c.plain for c in row)
        table.move_cursor(row=min(cursor, len(rows) - 1))

    def _cell(self, cell: Any, spark: int) -> Text:
        """The value (its mark in the theme's error or warning colour) and the sparkline,
        in the table's own colour: one colour, so a changed sparkline costs its cells."""
        text = Text(cell.text(spark))
        if cell.level:
            token = "error" if cell.level == "alert" else "warning"
            colour = self.app.theme_variables.get(token, "")
            end = text.plain.index(" ", text.plain.rindex(cell.value[-1]))
            text.stylize(f"bold {colour}", end - 1, end)
        return text


def _fit(name: str, width: int) -> str:
    from etcdtui.terminal_text import printable

    name = printable(name)
    return name if len(name) <= width else name[: width - 1] + "…"


def _signal_layout(width: int, members: int) -> tuple[int, bool, tuple[int, int, int]]:
    """(sparkline width, wide alert column, (label, alert, member cell) widths) for a
    table ``width`` cells wide: the widest sparkline that fits, the healthy values beside
    the alerts when there is room."""
    from rich.cells import cell_len

    from etcdtui.ui.widgets import health_metrics as hm

    label_w = max(cell_len(_(s.label)) for s in hm.SIGNALS)
    pad = 2  # DataTable's cell padding, both sides
    n = max(members, 1)
    for wide in (True, False):
        alert_w = max(cell_len(hm.alert_column(s, wide)) for s in hm.SIGNALS)
        room = width - (label_w + pad) - (alert_w + pad) - 1  # 1: a vertical scrollbar
        spark = min(hm.SPARK_WIDTH, room // n - pad - hm.VALUE_WIDTH - 1)
        if spark >= 8 or not wide:
            spark = max(spark, hm.SPARK_MIN)
            return spark, wide, (label_w, alert_w, hm.VALUE_WIDTH + 1 + spark)
    raise AssertionError("unreachable")
