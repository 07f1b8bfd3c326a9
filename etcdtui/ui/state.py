"""What the console knows about the cluster, folded from poll results.

Plain Python (no textual): the poller's messages are applied here, and the widgets
render rows computed here. Time comes from an injected clock so snapshots are stable.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from etcdtui.i18n import N_, _
from etcdtui.models import (
    Alarm,
    EndpointHealth,
    EndpointStatus,
    Member,
    MemberList,
    QuorumSummary,
    hex_id,
)
from etcdtui.services import advisories, quorum
from etcdtui.services.etcdapi.connection import parse_endpoint

LATENCY_SAMPLES = 30
LEADER_WINDOW_S = 15 * 60

# Symbols keep meaning on monochrome terminals (NO_COLOR); colour comes from theme tokens.
SYM_OK, SYM_DOWN, SYM_UNKNOWN, SYM_UNSTARTED, SYM_CATCHUP = "✔", "✖", "?", "⏸", "…"
LEADER_MARK = "★"


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def short_bytes(n: int) -> str:
    """Compact size for table cells: 24.0M, 1.5G."""
    return human_bytes(n).replace(" ", "").replace("iB", "")


def _short_url(url: str) -> str:
    """https is the norm: the table drops it (plain http stays visible)."""
    return url.removeprefix("https://")


def norm_url(url: str) -> str:
    try:
        return parse_endpoint(url, insecure=True).url
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
        return (
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

    # --- folding poll results ------------------------------------------------------------

    def apply_members(
        self, members: MemberList | None, alarms: tuple[Alarm, ...], error: str | None
    ) -> None:
        if members is not None:
            self.members = members
            self.alarms = alarms
            self.last_refresh = self.clock()
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
            t.latency.append(status.latency_ms)
            self.last_refresh = now
        elif t.first_fail is None:
            t.first_fail = now
        leader = self.leader_id()
        if leader is not None and leader != self._leader:
            if self._leader is not None:
                self.leader_changes.append((now, leader))
            self._leader = leader

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
        return bool(t.status.ok and t.health is not None and t.health.healthy)

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
        leaders = [t.status.leader for t in self.tracks.values() if t.status and t.status.ok]
        leaders = [x for x in leaders if x]
        if not leaders:
            return None
        return max(set(leaders), key=leaders.count)

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
        """(text, state) for the quorum badge; state is healthy | at-risk | lost | unknown."""
        s = self.summary()
        if s is None or not self.tracks:
            return _("QUORUM ?"), "unknown"
        return quorum.badge(s), s.state

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
        return advisories.advise(
            self.members,
            self.statuses_by_member(),
            self.healthy_ids(),
            self.alarms,
            unreachable_for=self.unreachable_for(),
            default_quota=default_quota,
        )

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
        elif m.is_learner:
            role = _("learner")
        else:
            role = _("follower")
        lag_n = leader_index - st.raft_index if st and leader_index is not None else None
        health, level = self._health(m, t, st, lag_n)
        return MemberRow(
            key=hex_id(m.id),
            name=m.name or _("(unstarted)"),
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
        for st in self.statuses_by_member().values():
            if st.db_size >= best[0]:
                best = (st.db_size, st.db_size_quota or default_quota)
        return best

    def since_refresh(self) -> float | None:
        return None if self.last_refresh is None else self.clock() - self.last_refresh
