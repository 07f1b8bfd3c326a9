"""What the console knows about the cluster, folded from poll results.

Plain Python (no textual): the poller's messages are applied here, and the widgets
render rows computed here. Time comes from an injected clock so snapshots are stable.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from etcdtui.cluster_data import (
    Alarm,
    EndpointHealth,
    EndpointStatus,
    Member,
    MemberList,
    QuorumSummary,
    hex_id,
)
from etcdtui.domain import quorum
from etcdtui.domain.formatting import short_bytes
from etcdtui.domain.health import HEALTHY, UNKNOWN, elected_leader, endpoint_state, is_access_error
from etcdtui.i18n import N_, _
from etcdtui.ops.health import (
    Advisory,
    MemberMetrics,
    MetricsHistory,
    added_member_names,
    advisories,
    describe_consistency,
    split_endpoint,
)
from etcdtui.terminal_text import printable

if TYPE_CHECKING:
    from etcdtui.ops.health import ConsistencyReport

LATENCY_SAMPLES = 30
# Pane 1's latency sparklines take one point (the slowest round trip) per this many
# seconds of polls, not one per poll: a sparkline that shifts on every refresh rewrites
# its cells on every refresh (slow SSH links); the value beside it stays live.
LATENCY_POINT_S = 10.0
LEADER_WINDOW_S = 15 * 60

# Symbols keep meaning on monochrome terminals (NO_COLOR); colour comes from theme tokens.
SYM_OK, SYM_DOWN, SYM_UNKNOWN, SYM_UNSTARTED, SYM_CATCHUP = "✔", "✖", "?", "⏸", "…"
LEADER_MARK = "★"


def _short_url(url: str) -> str:
    """https is the norm: the table drops it (plain http stays visible)."""
    return url.removeprefix("https://")


def norm_url(url: str) -> str:
    try:
        return split_endpoint(url, insecure=True).url
    except Exception:
        return url


@dataclass
class EndpointTrack:
    status: EndpointStatus | None = None
    health: EndpointHealth | None = None
    last_ok: float | None = None
    first_fail: float | None = None
    inflight_since: float | None = None
    latency: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))
    # the sparkline's points: the slowest round trip of each group of polls, the last
    # one still filling (see LATENCY_POINT_S)
    latency_trend: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))
    polls_in_point: int = 0

    def add_latency(self, ms: float, polls_per_point: int) -> None:
        self.latency.append(ms)
        if self.latency_trend and self.polls_in_point < polls_per_point:
            self.latency_trend[-1] = max(self.latency_trend[-1], ms)
            self.polls_in_point += 1
        else:
            self.latency_trend.append(ms)
            self.polls_in_point = 1


@dataclass(frozen=True)
class MemberRow:
    key: str
    name: str
    id_hex: str
    role: str
    health: str
    level: str  # ok | down | unknown | unstarted | catching-up
    version: str
    db: str
    raft_index: str
    lag: str
    peer_urls: str
    client_urls: str

    def cells(self) -> tuple[str, ...]:
        """The row as shown: names, versions and URLs come from the cluster, so each is
        escaped (a name with ESC or a newline cannot reach the terminal raw)."""
        return tuple(
            printable(c)
            for c in (
                self.name,
                self.id_hex,
                self.role,
                self.health,
                self.version,
                self.db,
                self.raft_index,
                self.lag,
                self.peer_urls,
                self.client_urls,
            )
        )


COLUMNS = (
    ("name", N_("NAME")),
    ("id", N_("ID")),
    ("role", N_("ROLE")),
    ("health", N_("HEALTH")),
    ("version", N_("VER")),
    ("db", N_("DB/IN USE")),
    ("index", N_("INDEX")),
    ("lag", N_("LAG")),
    ("peer", N_("PEER URLS")),
    ("client", N_("CLIENT URLS")),
)


class ClusterState:
    def __init__(self, clock: Callable[[], float], interval: float) -> None:
        self.clock = clock
        self.interval = interval
        self.members: MemberList | None = None
        self.members_error: str | None = None
        self.alarms: tuple[Alarm, ...] = ()
        self.tracks: dict[str, EndpointTrack] = {}
        self.last_refresh: float | None = None
        self.leader_changes: deque[tuple[float, int]] = deque(maxlen=200)
        self._leader: int | None = None
        # Names members were added with while they have not started (added_names store).
        self.added_names: dict[int, str] = {}
        # The newest verified snapshot, looked up while quorum is lost (ctrl+r's default).
        self.restore_hint: advisories.SnapshotHint | None = None
        self.metrics: dict[str, MemberMetrics] = {}
        self.metrics_history = MetricsHistory()
        self.consistency: ConsistencyReport | None = None

    # --- folding poll results ------------------------------------------------------------

    def apply_members(
        self, members: MemberList | None, alarms: tuple[Alarm, ...], error: str | None
    ) -> None:
        if members is not None:
            self.members = members
            self.alarms = alarms
            self.last_refresh = self.clock()
            self.added_names = added_member_names(members)
        self.members_error = error

    def poll_started(self, url: str) -> None:
        self.tracks.setdefault(url, EndpointTrack()).inflight_since = self.clock()

    def apply_endpoint(self, url: str, status: EndpointStatus, health: EndpointHealth) -> None:
        now = self.clock()
        t = self.tracks.setdefault(url, EndpointTrack())
        t.inflight_since = None
        t.status, t.health = status, health
        if status.ok:
            t.last_ok, t.first_fail = now, None
            t.add_latency(status.latency_ms, max(1, round(LATENCY_POINT_S / self.interval)))
            self.last_refresh = now
        elif t.first_fail is None:
            t.first_fail = now
        leader = self.leader_id()
        if leader is not None and leader != self._leader:
            if self._leader is not None:
                self.leader_changes.append((now, leader))
            self._leader = leader

    def apply_metrics(self, url: str, sample: MemberMetrics) -> None:
        self.metrics[norm_url(url)] = sample
        self.metrics_history.add(self.clock(), sample)

    def metrics_for(self, st: EndpointStatus) -> MemberMetrics | None:
        """The member's latest scrape: by the member ID /metrics reports (etcd_server_id;
        a separate --listen-metrics-urls has another URL), else by its client URL."""
        for m in self.metrics.values():
            if m.ok and m.member_id and m.member_id == st.member_id:
                return m
        by_url = self.metrics.get(norm_url(st.endpoint))
        return by_url if by_url is not None and by_url.ok else None

    def quotas(self) -> dict[int, int]:
        """Each member's real quota (etcd_server_quota_backend_bytes), when scraped."""
        out: dict[int, int] = {}
        for member_id, st in self.statuses_by_member().items():
            m = self.metrics_for(st)
            if m is not None and m.quota_bytes:
                out[member_id] = m.quota_bytes
        return out

    # --- derived views ---------------------------------------------------------------------

    def track_for(self, m: Member) -> EndpointTrack | None:
        for t in self.tracks.values():
            if t.status is not None and t.status.ok and t.status.member_id == m.id:
                return t
        urls = {norm_url(u) for u in m.client_urls}
        for url, t in self.tracks.items():
            if url in urls:
                return t
        return None

    def is_stale(self, t: EndpointTrack) -> bool:
        """A poll in flight longer than one interval means the member is not answering."""
        if t.inflight_since is None:
            return False
        return self.clock() - t.inflight_since > self.interval

    def member_ok(self, m: Member) -> bool | None:
        t = self.track_for(m)
        if t is None or t.status is None:
            return None
        if self.is_stale(t):
            return False
        state = endpoint_state(t.status, t.health)  # the one rule: domain/health.py
        return None if state == UNKNOWN else state == HEALTHY

    def healthy_ids(self) -> set[int]:
        if self.members is None:
            return set()
        return {m.id for m in self.members.members if self.member_ok(m)}

    def statuses_by_member(self) -> dict[int, EndpointStatus]:
        out: dict[int, EndpointStatus] = {}
        for t in self.tracks.values():
            if t.status is not None and t.status.ok:
                out[t.status.member_id] = t.status
        return out

    def leader_id(self) -> int | None:
        return elected_leader(t.status for t in self.tracks.values() if t.status is not None)

    def member_label(self, member_id: int) -> str:
        m = self.members.by_id(member_id) if self.members else None
        return (m.name if m and m.name else None) or hex_id(member_id)

    def leader_name(self) -> str | None:
        lid = self.leader_id()
        return None if lid is None else self.member_label(lid)

    def raft_term(self) -> int:
        return max((t.status.raft_term for t in self.tracks.values() if t.status), default=0)

    def leader_changes_recent(self) -> int:
        now = self.clock()
        return sum(1 for at, _id in self.leader_changes if now - at <= LEADER_WINDOW_S)

    def summary(self) -> QuorumSummary | None:
        if self.members is None:
            return None
        return quorum.summarize(self.members, self.healthy_ids())

    def badge(self) -> tuple[str, str]:
        """(text, state) for the quorum badge; state is healthy | at-risk | lost | unknown.

        With a NOSPACE alarm active the badge says writes are refused (and is shown as
        an error), whatever the quorum: etcd accepts only reads and deletes."""
        s = self.summary()
        denied = self.access_error()
        if (s is None or s.state != "healthy") and denied is not None:
            return _("QUORUM ? (access denied)"), "unknown"
        if s is None or not self.tracks:
            return _("QUORUM ?"), "unknown"
        text, state = quorum.badge(s), s.state
        if self.nospace():
            return _("{quorum} · NOSPACE: writes refused").format(quorum=text), "lost"
        return text, state

    def nospace(self) -> bool:
        return any(a.kind == "NOSPACE" for a in self.alarms)

    def find_member(self, ref: str) -> Member | None:
        """A member by name, hex ID, or the name an unstarted member was added with."""
        if self.members is None:
            return None
        found = self.members.find(ref)
        if found is not None:
            return found
        hits = [i for i, n in self.added_names.items() if n == ref]
        return self.members.by_id(hits[0]) if len(hits) == 1 else None

    def access_error(self) -> str | None:
        """etcd's refusal of our credentials, if any endpoint answered with one."""
        for t in self.tracks.values():
            if t.status is not None and not t.status.ok and is_access_error(t.status.error_code):
                return t.status.error
        return None

    def unreachable_for(self) -> dict[int, float]:
        now = self.clock()
        out: dict[int, float] = {}
        for m in self.members.members if self.members else ():
            t = self.track_for(m)
            if t is None or not m.started:
                continue
            since = t.first_fail
            if since is None and self.is_stale(t):
                since = t.inflight_since
            if since is not None:
                out[m.id] = now - since
        return out

    def advisories(self, default_quota: int) -> tuple[advisories.Advisory, ...]:
        return (
            advisories.advise(
                self.members,
                self.statuses_by_member(),
                self.healthy_ids(),
                self.alarms,
                unreachable_for=self.unreachable_for(),
                default_quota=default_quota,
                quotas=self.quotas(),
                added_names=self.added_names,
                restore_from=self.restore_hint,
                leader_changes=self.leader_changes_recent(),
            )
            + self.metric_advisories()
            + self.consistency_advisories()
        )

    def consistency_advisories(self) -> tuple[Advisory, ...]:
        r = self.consistency
        if r is None or not r.mismatched:  # a CORRUPT alarm is already advised
            return ()
        return (
            Advisory(
                "hash-mismatch",
                "error",
                describe_consistency(r),
                _("Members hold different data at the same revision: the data diverged."),
                _(
                    "Stop writes to the odd member, snapshot a member of the majority and "
                    "replace the odd one (etcdtui check consistency shows the hashes)."
                ),
            ),
        )

    def metric_advisories(self) -> tuple[Advisory, ...]:
        h = self.metrics_history
        samples = [m for m in self.metrics.values() if m.ok]
        earlier = {m.endpoint: o for m in samples if (o := h.oldest(m.endpoint)) is not None}
        changes = {
            m.endpoint: n for m in samples if (n := h.increase(m.endpoint, "leader_changes"))
        }
        failed = {
            m.endpoint: n for m in samples if (n := h.increase(m.endpoint, "proposals_failed"))
        }
        return advisories.metrics_advice(
            self.members,
            [replace(m, member_id=m.member_id or self._member_of(m.endpoint)) for m in samples],
            earlier=earlier,
            leader_changes_in_window=changes,
            proposals_failed_in_window=failed,
        )

    def _member_of(self, url: str) -> int:
        t = self.tracks.get(url)
        return t.status.member_id if t and t.status and t.status.ok else 0

    def rows(self) -> list[MemberRow]:
        if self.members is None:
            return []
        leader = self.leader_id()
        by_member = self.statuses_by_member()
        leader_index = by_member[leader].raft_index if leader in by_member else None
        rows = []
        for m in self.members.members:
            rows.append(self._row(m, leader, leader_index))
        return rows

    def _row(self, m: Member, leader: int | None, leader_index: int | None) -> MemberRow:
        t = self.track_for(m)
        st = t.status if t and t.status and t.status.ok and not self.is_stale(t) else None
        if m.id == leader:
            role = f"{LEADER_MARK} " + _("leader")
        elif st is not None and st.leader == m.id and leader is not None:
            # it still calls itself leader, of an older term: cut off from the majority
            role = _("stale leader")
        elif m.is_learner:
            role = _("learner")
        else:
            role = _("follower")
        lag_n = leader_index - st.raft_index if st and leader_index is not None else None
        health, level = self._health(m, t, st, lag_n)
        return MemberRow(
            key=hex_id(m.id),
            name=m.name
            or (
                _("{name} (unstarted)").format(name=self.added_names[m.id])
                if m.id in self.added_names
                else _("(unstarted)")
            ),
            id_hex=hex_id(m.id),
            role=role,
            health=health,
            level=level,
            version=st.version if st else "-",
            db=f"{short_bytes(st.db_size)}/{short_bytes(st.db_size_in_use)}" if st else "-",
            raft_index=str(st.raft_index) if st else "-",
            lag=str(max(lag_n, 0)) if lag_n is not None else "-",
            peer_urls=",".join(_short_url(u) for u in m.peer_urls),
            client_urls=",".join(_short_url(u) for u in m.client_urls) or "-",
        )

    def _health(
        self, m: Member, t: EndpointTrack | None, st: EndpointStatus | None, lag: int | None
    ) -> tuple[str, str]:
        if not m.started:
            return f"{SYM_UNSTARTED} " + _("not started"), "unstarted"
        if t is None or (t.status is None and t.inflight_since is None):
            return f"{SYM_UNKNOWN} " + _("unknown"), "unknown"
        if st is None:
            if t.status is None and not self.is_stale(t):
                return f"{SYM_UNKNOWN} " + _("polling"), "unknown"
            if t.status is not None and is_access_error(t.status.error_code):
                return f"{SYM_UNKNOWN} " + _("access denied"), "unknown"
            return f"{SYM_DOWN} " + _("unreachable"), "down"
        if t.health is not None and not t.health.healthy:
            return f"{SYM_DOWN} " + _("unhealthy"), "down"
        if st.errors:
            return f"{SYM_DOWN} " + _("errors"), "down"
        if m.is_learner and lag:
            return f"{SYM_CATCHUP} " + _("catching up"), "catching-up"
        return f"{SYM_OK} " + _("healthy"), "ok"

    def quota(self, default_quota: int) -> tuple[int, int]:
        """(largest db size, its quota) across members."""
        best = (0, default_quota)
        quotas = self.quotas()
        if quotas:
            best = (0, min(quotas.values()))
        for member_id, st in self.statuses_by_member().items():
            if st.db_size >= best[0]:
                best = (st.db_size, quotas.get(member_id) or st.db_size_quota or default_quota)
        return best

    def since_refresh(self) -> float | None:
        return None if self.last_refresh is None else self.clock() - self.last_refresh
