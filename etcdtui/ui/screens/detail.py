"""Member detail: everything the console knows about one member."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from etcdtui.cluster_data import ConnectionSettings, EndpointStatus, hex_id
from etcdtui.domain.formatting import human_bytes
from etcdtui.i18n import N_, _
from etcdtui.ops.members import etcdctl_flags
from etcdtui.terminal_text import printable
from etcdtui.ui.panes import FollowsState
from etcdtui.ui.state import ClusterState
from etcdtui.ui.widgets.footer import KeyFooter
from etcdtui.ui.widgets.health_metrics import sparkline


def detail_table(state: ClusterState, member_id: int) -> Table:
    table = Table(box=None, show_header=False, expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    m = state.members.by_id(member_id) if state.members else None
    if m is None:
        table.add_row(_("member"), _("no longer in the member list"))
        return table
    row = next((r for r in state.rows() if r.key == hex_id(m.id)), None)
    t = state.track_for(m)
    st = t.status if t else None
    rows = [
        (_("name"), m.name or _("(unstarted)")),
        (_("ID"), hex_id(m.id)),
        (_("role"), row.role if row else "-"),
        (_("health"), row.health if row else "-"),
        (_("peer URLs"), ", ".join(m.peer_urls)),
        (_("client URLs"), ", ".join(m.client_urls) or "-"),
    ]
    if st is not None and st.ok:
        rows += [
            (_("version"), st.version),
            (
                _("raft term / index / applied"),
                f"{st.raft_term} / {st.raft_index} / {st.applied_index}",
            ),
            (_("lag behind leader"), row.lag if row else "-"),
            (
                _("db size / in use"),
                f"{human_bytes(st.db_size)} / {human_bytes(st.db_size_in_use)}",
            ),
            (_("db quota"), _quota_text(state, st)),
            (_("revision"), str(st.revision)),
            (_("latency"), f"{st.latency_ms:.1f} ms"),
            (_("errors"), ", ".join(st.errors) or _("none")),
        ]
        rows += _metric_rows(state, st)
    elif st is not None:
        rows.append((_("last error"), f"{st.error_code}: {st.error}"))
    if t is not None and t.health is not None and not t.health.healthy:
        rows.append((_("health check"), f"{t.health.error_code}: {t.health.error}"))
    for k, v in rows:
        table.add_row(k, printable(v))
    return table


DB_TREND_WIDTH = 24  # points of the db size trend


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def _quota_text(state: ClusterState, st: EndpointStatus) -> str:
    m = state.metrics_for(st)
    if m is not None and m.quota_bytes:
        pct = f" ({m.quota_ratio * 100:.0f}%)" if m.quota_ratio is not None else ""
        return human_bytes(m.quota_bytes) + pct
    return human_bytes(st.db_size_quota) if st.db_size_quota else _("default (not scraped)")


def _metric_rows(state: ClusterState, st: EndpointStatus) -> list[tuple[str, str]]:
    """What this member's /metrics say (p99s over the console's window)."""
    m = state.metrics_for(st)
    if m is None:
        return []
    h = state.metrics_history
    earlier = h.oldest(m.endpoint)
    rtt = ", ".join(f"{peer}: {_ms(v)}" for peer, v in sorted(m.peer_rtt_p99(earlier).items()))
    changes = h.increase(m.endpoint, "leader_changes")
    return [
        (
            _("db size trend"),
            sparkline(h.series(m.endpoint, "db_size"), width=DB_TREND_WIDTH) or "-",
        ),
        (_("WAL fsync p99"), _ms(m.p99("wal_fsync", earlier))),
        (_("backend commit p99"), _ms(m.p99("backend_commit", earlier))),
        (_("apply p99"), _ms(m.p99("apply", earlier))),
        (_("peer RTT p99"), rtt or "-"),
        (
            _("leader changes"),
            _("{total} in all, {recent} in the last 15 min").format(
                total=m.leader_changes if m.leader_changes is not None else "-",
                recent=changes if changes is not None else "-",
            ),
        ),
        (
            _("proposals failed / pending / applied"),
            f"{m.proposals_failed} / {m.proposals_pending} / {m.proposals_applied}",
        ),
        (_("has leader"), "-" if m.has_leader is None else _("yes") if m.has_leader else _("NO")),
    ]


class MemberDetailScreen(Screen[None], FollowsState):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", N_("Back"), id="detail.back")
    ]

    def __init__(
        self, state: ClusterState, member_id: int, settings: ConnectionSettings | None
    ) -> None:
        super().__init__()
        self.state, self.member_id, self.settings = state, member_id, settings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Label(_("Member {id}").format(id=hex_id(self.member_id)), classes="box-title")
            yield Static(detail_table(self.state, self.member_id), id="detail-table")
            if self.settings is not None:
                flags = " ".join(etcdctl_flags(self.settings))
                yield Label(_("Same view with etcdctl"), classes="box-title")
                yield Static(
                    f"etcdctl {flags} endpoint status -w table\n"
                    f"etcdctl {flags} member list -w table",
                    classes="command",
                    markup=False,
                )
        yield KeyFooter()

    def refresh_view(self) -> None:
        self.query_one("#detail-table", Static).update(detail_table(self.state, self.member_id))
