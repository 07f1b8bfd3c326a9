"""Pane 2's signals: the numbers etcd's own alert rules watch, one row per signal and one
column per member, each cell the value with its mark and a sparkline of its trend.

Pure functions over :class:`ClusterState` (testable without a screen); the widget only
draws them. Thresholds are etcd's (contrib/mixin alert rules and the FAQ), the constants
in services/metrics.py that the advisories use too (see docs/maintenance.md):

* WAL fsync p99 alert > 0.5 s, healthy < 10 ms; backend commit p99 alert > 0.25 s,
  healthy < 25 ms; peer RTT p99 alert > 0.15 s;
* 4 or more leader changes in 15 minutes; more than 5 failed proposals in 15 minutes;
* the db at 95% of its quota (80% warns); a member without a leader.

A value past its alert is marked ✖, past its healthy value (or a warning level) ▲. A
sparkline is drawn in one colour and scaled from 0 to the larger of its highest point and
the signal's healthy value (or alert, where there is none): a line of low bars means far
from trouble; bars rise towards it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from etcdtui.cluster_data import hex_id
from etcdtui.domain.formatting import short_bytes
from etcdtui.i18n import N_, _
from etcdtui.ops.health import MemberMetrics, MetricsHistory
from etcdtui.ops.health import metrics as mx
from etcdtui.ui.state import ClusterState

BARS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 16  # the widest sparkline; narrower when the terminal is
SPARK_MIN = 4
VALUE_WIDTH = 7  # "123.4ms" or "12.3ms✖": a value and its mark
ALERT, WARN = "✖", "▲"


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH, top: float | None = None) -> str:
    """The last ``width`` values as block characters. With ``top`` (a signal's healthy
    value or alert), scaled from 0 to the larger of ``top`` and the highest value, so low
    bars mean far from trouble; without, from the lowest value to the highest (a trend
    with no threshold: db in use, applied proposals)."""
    tail = list(values)[-width:]
    if not tail:
        return ""
    if top is None:
        low, high = min(tail), max(tail)
    else:
        low, high = min(0.0, min(tail)), max(max(tail), top)
    if high <= low:
        return BARS[0] * len(tail)
    scale = (len(BARS) - 1) / (high - low)
    return "".join(BARS[round((v - low) * scale)] for v in tail)


def duration(seconds: float) -> str:
    """Compact: 1.23ms, 12.3ms, 123ms, 1.23s."""
    ms = seconds * 1000
    if ms < 10:
        return f"{ms:.2f}ms"
    if ms < 100:
        return f"{ms:.1f}ms"
    if ms < 1000:
        return f"{ms:.0f}ms"
    return f"{seconds:.2f}s"


Level = str  # "" | "warn" | "alert"
Reader = Callable[[MemberMetrics, MetricsHistory, "MemberMetrics | None"], float | None]


@dataclass(frozen=True)
class Signal:
    key: str  # also its trend's name in MetricsHistory
    label: str  # N_() text
    alert_text: str  # N_() text: the alert, short
    healthy_text: str  # N_() text: the healthy value or warning level, "" if none
    read: Reader
    show: Callable[[float], str]
    alert: float | None = None  # at or past it: ✖ (strict ">" where etcd's rule says so)
    warn: float | None = None  # past it: ▲
    strict: bool = True  # alert when value > alert (else >=)
    top: float | None = None  # sparkline scale (see sparkline())

    def level(self, value: float) -> Level:
        if self.alert is not None and (value > self.alert if self.strict else value >= self.alert):
            return "alert"
        if self.warn is not None and value > self.warn:
            return "warn"
        return ""


def _p99(attr: str) -> Reader:
    return lambda m, _h, earlier: m.p99(attr, earlier)


def _rtt(m: MemberMetrics, _h: MetricsHistory, earlier: MemberMetrics | None) -> float | None:
    rtts = [v for v in m.peer_rtt_p99(earlier).values() if v is not None]
    return max(rtts) if rtts else None


def _windowed(attr: str) -> Reader:
    def read(m: MemberMetrics, h: MetricsHistory, _e: MemberMetrics | None) -> float | None:
        n = h.increase(m.endpoint, attr)
        if n is None:
            return None
        return float(n)

    return read


def _pending(m: MemberMetrics, _h: MetricsHistory, _e: MemberMetrics | None) -> float | None:
    return None if m.proposals_pending is None else float(m.proposals_pending)


def _quota(m: MemberMetrics, _h: MetricsHistory, _e: MemberMetrics | None) -> float | None:
    return m.quota_ratio


def _in_use(m: MemberMetrics, _h: MetricsHistory, _e: MemberMetrics | None) -> float | None:
    return None if m.db_size_in_use is None else float(m.db_size_in_use)


def _no_leader(m: MemberMetrics, _h: MetricsHistory, _e: MemberMetrics | None) -> float | None:
    return None if m.has_leader is None else float(not m.has_leader)


def _count(v: float) -> str:
    return str(int(v))


def _percent(v: float) -> str:
    return f"{v:.0%}"


def _size(v: float) -> str:
    return short_bytes(int(v))


def _yes_no(v: float) -> str:
    return _("NO") if v else _("yes")


SIGNALS: tuple[Signal, ...] = (
    Signal(
        "wal_fsync",
        N_("WAL fsync p99"),
        N_(">500ms"),
        N_("ok <10ms"),
        _p99("wal_fsync"),
        duration,
        alert=mx.WAL_FSYNC_ALERT_S,
        warn=mx.WAL_FSYNC_HEALTHY_S,
        top=mx.WAL_FSYNC_HEALTHY_S,
    ),
    Signal(
        "backend_commit",
        N_("db commit p99"),
        N_(">250ms"),
        N_("ok <25ms"),
        _p99("backend_commit"),
        duration,
        alert=mx.BACKEND_COMMIT_ALERT_S,
        warn=mx.BACKEND_COMMIT_HEALTHY_S,
        top=mx.BACKEND_COMMIT_HEALTHY_S,
    ),
    Signal(
        "apply",
        N_("apply p99"),
        N_("-"),
        N_("▲ >100ms"),
        _p99("apply"),
        duration,
        warn=mx.APPLY_WARN_S,
        top=mx.APPLY_WARN_S,
    ),
    Signal(
        "peer_rtt",
        N_("peer RTT p99"),
        N_(">150ms"),
        "",
        _rtt,
        duration,
        alert=mx.PEER_RTT_ALERT_S,
        top=mx.PEER_RTT_ALERT_S,
    ),
    Signal(
        "leader_changes",
        N_("leader changes"),
        N_("≥4/15m"),
        "",
        _windowed("leader_changes"),
        _count,
        alert=mx.LEADER_CHANGES_ALERT,
        strict=False,
        top=mx.LEADER_CHANGES_ALERT,
    ),
    Signal(
        "proposals_failed",
        N_("failed proposals"),
        N_(">5/15m"),
        "",
        _windowed("proposals_failed"),
        _count,
        alert=mx.PROPOSALS_FAILED_ALERT,
        top=mx.PROPOSALS_FAILED_ALERT,
    ),
    Signal("proposals_pending", N_("pending proposals"), N_("-"), "", _pending, _count),
    Signal(
        "proposals_applied",
        N_("applied (15m)"),
        N_("-"),
        "",
        _windowed("proposals_applied"),
        _count,
    ),
    Signal(
        "db_quota",
        N_("db of quota"),
        N_("≥95%"),
        N_("▲ ≥80%"),
        _quota,
        _percent,
        alert=mx.QUOTA_ALERT,
        warn=mx.QUOTA_WARN,
        strict=False,
        top=mx.QUOTA_WARN,
    ),
    Signal("db_in_use", N_("db in use"), N_("-"), "", _in_use, _size),
    Signal("no_leader", N_("has leader"), N_("no"), "", _no_leader, _yes_no, alert=0.5, top=1.0),
)


@dataclass(frozen=True)
class Cell:
    value: str  # the value and its mark, VALUE_WIDTH wide at most
    level: Level
    spark: str

    def text(self, spark_width: int) -> str:
        return f"{self.value:>{VALUE_WIDTH}} {self.spark[-spark_width:]:<{spark_width}}"


EMPTY = Cell("-", "", "")


def member_names(state: ClusterState) -> list[tuple[int, str]]:
    """(id, name) of every member, in member-list order: the signal table's columns."""
    if state.members is None:
        return []
    return [(m.id, m.name or hex_id(m.id)) for m in state.members.members]


def signal_cells(state: ClusterState, spark_width: int = SPARK_WIDTH) -> list[list[Cell]]:
    """One row per signal, one cell per member (member-list order)."""
    history = state.metrics_history
    statuses = state.statuses_by_member()
    samples: list[MemberMetrics | None] = []
    for member_id, _name in member_names(state):
        st = statuses.get(member_id)
        samples.append(state.metrics_for(st) if st is not None else None)
    rows: list[list[Cell]] = []
    for sig in SIGNALS:
        row: list[Cell] = []
        for sample in samples:
            if sample is None:
                row.append(EMPTY)
                continue
            value = sig.read(sample, history, history.oldest(sample.endpoint))
            spark = sparkline(history.trend(sample.endpoint, sig.key), spark_width, sig.top)
            if value is None:
                row.append(Cell("-", "", spark))
                continue
            level = sig.level(value)
            mark = {"alert": ALERT, "warn": WARN}.get(level, "")
            row.append(Cell(sig.show(value) + mark, level, spark))
        rows.append(row)
    return rows


def alert_column(sig: Signal, wide: bool) -> str:
    """The ALERT cell: etcd's alert, and with room its healthy value or warning level."""
    alert = _(sig.alert_text)
    if sig.alert is None and sig.healthy_text:  # no alert: the warning level alone
        return _(sig.healthy_text)
    if wide and sig.healthy_text:
        healthy = _(sig.healthy_text)
        return f"{alert} {healthy}"
    return alert
