"""Per-member metrics for pane 2: the numbers etcd's own alert rules watch, each with a
sparkline of its recent history, scraped from every member's /metrics.

Pure functions over :class:`ClusterState` (testable without a screen); the widget only
draws them. Thresholds come from etcd's alert rules and FAQ (see docs/maintenance.md):
wal fsync p99 > 0.5 s and backend commit p99 > 0.25 s alert, peer RTT p99 > 0.15 s,
4 or more leader changes in 15 minutes, any failed proposal, db at 80%/95% of quota.
"""

from __future__ import annotations

from collections.abc import Sequence

from etcdtui.domain.formatting import human_bytes
from etcdtui.i18n import N_, _
from etcdtui.models import hex_id
from etcdtui.ui.state import ClusterState

BARS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 12

COLUMNS = (
    ("member", N_("MEMBER")),
    ("quota", N_("QUOTA")),
    ("db", N_("DB / IN USE")),
    ("db_trend", N_("DB TREND")),
    ("fsync", N_("FSYNC P99")),
    ("commit", N_("COMMIT P99")),
    ("apply", N_("APPLY P99")),
    ("rtt", N_("PEER RTT P99")),
    ("leader_changes", N_("LEADER CHG 15m")),
    ("proposals", N_("PROPOSALS fail/pend/appl")),
    ("has_leader", N_("HAS LEADER")),
)


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH) -> str:
    """The last ``width`` values as block characters, scaled between their min and max."""
    tail = list(values)[-width:]
    if not tail:
        return ""
    low, high = min(tail), max(tail)
    if high <= low:
        return BARS[0] * len(tail)
    scale = (len(BARS) - 1) / (high - low)
    return "".join(BARS[round((v - low) * scale)] for v in tail)


def _ms(seconds: float | None, alert: float) -> str:
    if seconds is None:
        return "-"
    mark = " ✖" if seconds > alert else ""
    return f"{seconds * 1000:.1f} ms{mark}"


def metric_rows(state: ClusterState) -> list[tuple[str, ...]]:
    """One row per member that answered a scrape, in member-list order."""
    rows: list[tuple[str, ...]] = []
    history = state.metrics_history
    statuses = state.statuses_by_member()
    for m in state.members.members if state.members else ():
        st = statuses.get(m.id)
        sample = state.metrics_for(st) if st is not None else None
        name = m.name or hex_id(m.id)
        if sample is None:
            rows.append((name, *(["-"] * (len(COLUMNS) - 1))))
            continue
        earlier = history.oldest(sample.endpoint)
        rtts = [v for v in sample.peer_rtt_p99(earlier).values() if v is not None]
        ratio = sample.quota_ratio
        quota = human_bytes(sample.quota_bytes) if sample.quota_bytes else "-"
        if ratio is not None:
            quota += f" ({ratio:.0%}{' ✖' if ratio >= 0.95 else ' ▲' if ratio >= 0.8 else ''})"
        changes = history.increase(sample.endpoint, "leader_changes")
        failed = history.increase(sample.endpoint, "proposals_failed")
        rows.append(
            (
                name,
                quota,
                f"{human_bytes(sample.db_size or 0)} / {human_bytes(sample.db_size_in_use or 0)}",
                sparkline(history.series(sample.endpoint, "db_size")),
                _ms(sample.p99("wal_fsync", earlier), 0.5),
                _ms(sample.p99("backend_commit", earlier), 0.25),
                _ms(sample.p99("apply", earlier), 1.0),
                _ms(max(rtts), 0.15) if rtts else "-",
                "-" if changes is None else f"{changes}{' ✖' if changes >= 4 else ''}",
                "/".join(
                    "-" if v is None else str(v)
                    for v in (
                        failed if failed is not None else sample.proposals_failed,
                        sample.proposals_pending,
                        sample.proposals_applied,
                    )
                ),
                "-" if sample.has_leader is None else _("yes") if sample.has_leader else _("NO ✖"),
            )
        )
    return rows
