"""Plain data shared by the service layer, the CLI and the UI.

Frozen records only (dataclasses to their users, etcdtui/records.py): no I/O, no
textual, no grpc. IDs are kept as ints and rendered as lowercase hex without padding,
exactly as etcdctl prints them.
"""

from __future__ import annotations

from pathlib import Path

from etcdtui.domain.health import elected_leader, healthy_ids, is_access_error
from etcdtui.records import field, record


def hex_id(value: int) -> str:
    """etcd's textual form of a member or cluster ID."""
    return f"{value:x}"


def parse_hex_id(text: str) -> int:
    return int(text.strip().lower().removeprefix("0x"), 16)


@record(frozen=True)
class Member:
    """One etcd member as the member list reports it."""

    id: int
    name: str
    peer_urls: tuple[str, ...]
    client_urls: tuple[str, ...]
    is_learner: bool = False

    @property
    def hex_id(self) -> str:
        return hex_id(self.id)

    @property
    def started(self) -> bool:
        """A member that was added but never started has no name and no client URLs."""
        return bool(self.name) or bool(self.client_urls)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.hex_id,
            "name": self.name,
            "peer_urls": list(self.peer_urls),
            "client_urls": list(self.client_urls),
            "is_learner": self.is_learner,
        }


@record(frozen=True)
class MemberList:
    """The cluster ID and its members, in the order etcd lists them."""

    cluster_id: int
    members: tuple[Member, ...]

    def by_name(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)

    def by_id(self, member_id: int) -> Member | None:
        return next((m for m in self.members if m.id == member_id), None)

    def find(self, ref: str) -> Member | None:
        """Look a member up by name, or by hex ID."""
        found = self.by_name(ref)
        if found is not None:
            return found
        try:
            return self.by_id(parse_hex_id(ref))
        except ValueError:
            return None

    def as_dict(self) -> dict[str, object]:
        return {
            "cluster_id": hex_id(self.cluster_id),
            "members": [m.as_dict() for m in self.members],
        }


@record(frozen=True)
class EndpointStatus:
    """What one endpoint said about itself, or why it said nothing."""

    endpoint: str
    ok: bool
    error: str | None = None
    error_code: str | None = None
    member_id: int = 0
    leader: int = 0
    raft_term: int = 0
    raft_index: int = 0
    applied_index: int = 0
    db_size: int = 0
    db_size_in_use: int = 0
    db_size_quota: int = 0
    version: str = ""
    storage_version: str = ""  # etcd 3.6+: the db file's schema version; "" before 3.6
    downgrade_enabled: bool = False  # etcd 3.6+: a downgrade is in progress
    downgrade_target: str = ""
    is_learner: bool = False
    errors: tuple[str, ...] = ()
    latency_ms: float = 0.0
    cluster_id: int = 0
    revision: int = 0

    @property
    def is_leader(self) -> bool:
        return self.ok and self.member_id != 0 and self.member_id == self.leader

    def as_dict(self) -> dict[str, object]:
        return {
            "endpoint": self.endpoint,
            "ok": self.ok,
            "error": self.error,
            "error_code": self.error_code,
            "member_id": hex_id(self.member_id) if self.member_id else None,
            "is_leader": self.is_leader,
            "is_learner": self.is_learner,
            "raft_term": self.raft_term,
            "raft_index": self.raft_index,
            "applied_index": self.applied_index,
            "db_size": self.db_size,
            "db_size_in_use": self.db_size_in_use,
            "version": self.version,
            "storage_version": self.storage_version,
            "db_size_quota": self.db_size_quota,
            "downgrade": {
                "enabled": self.downgrade_enabled,
                "target_version": self.downgrade_target,
            },
            "errors": list(self.errors),
            "latency_ms": round(self.latency_ms, 3),
        }


@record(frozen=True)
class EndpointHealth:
    """Result of a linearizable read through one endpoint."""

    endpoint: str
    healthy: bool
    error: str | None = None
    error_code: str | None = None
    latency_ms: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "endpoint": self.endpoint,
            "healthy": self.healthy,
            "error": self.error,
            "error_code": self.error_code,
            "latency_ms": round(self.latency_ms, 3),
        }


@record(frozen=True)
class Alarm:
    """An active alarm of one member (NOSPACE, CORRUPT)."""

    member_id: int
    kind: str  # "NOSPACE" | "CORRUPT"

    def as_dict(self) -> dict[str, object]:
        return {"member_id": hex_id(self.member_id), "alarm": self.kind}


@record(frozen=True)
class QuorumSummary:
    """Voters, the healthy ones and how many a quorum needs."""

    voters: int
    healthy: int
    needed: int
    tolerance: int
    learners: int = 0

    @property
    def has_quorum(self) -> bool:
        return self.voters > 0 and self.healthy >= self.needed

    @property
    def state(self) -> str:
        """ "healthy", "at-risk" (no failure tolerated) or "lost"."""
        if not self.has_quorum:
            return "lost"
        if self.healthy - self.needed <= 0:
            return "at-risk"
        return "healthy"

    def as_dict(self) -> dict[str, int]:
        return {
            "voters": self.voters,
            "healthy": self.healthy,
            "needed": self.needed,
            "tolerance": self.tolerance,
        }


@record(frozen=True)
class HashKV:
    """One member's HashKV answer at a revision."""

    endpoint: str
    member_id: int
    hash: int
    revision: int
    compact_revision: int
    error: str | None = None


def hashkv_verdict(hashes: tuple[HashKV, ...] | list[HashKV]) -> str:
    """One rule for a HashKV comparison: "consistent" only when every member answered
    and all answers agree; "mismatch" when two answers differ; "incomplete" when the
    answers agree but some member gave none; "no-answer" when no member answered. An
    answer with no data proves nothing, so only "consistent" is consistent."""
    values = {h.hash for h in hashes if h.error is None}
    if len(values) > 1:
        return "mismatch"
    if not values:
        return "no-answer"
    if any(h.error is not None for h in hashes):
        return "incomplete"
    return "consistent"


@record(frozen=True)
class ClusterReading:
    """One refresh of the whole cluster as the console shows it."""

    members: MemberList | None
    endpoints: tuple[EndpointStatus, ...]
    health: tuple[EndpointHealth, ...] = ()
    alarms: tuple[Alarm, ...] = ()
    members_error: str | None = None
    members_error_code: str | None = None

    def access_error(self) -> str | None:
        """Why etcd refused our credentials, if it did on any call: then what we could not
        see is unknown, not down."""
        if is_access_error(self.members_error_code):
            return self.members_error
        for s in self.endpoints:
            if not s.ok and is_access_error(s.error_code):
                return s.error
        for h in self.health:
            if not h.healthy and is_access_error(h.error_code):
                return h.error
        return None

    def quorum_state(self, summary_state: str) -> str:
        """The quorum state to show: "access-denied" when the credentials hid it."""
        if summary_state != "healthy" and self.access_error() is not None:
            return "access-denied"
        return summary_state

    @property
    def leader(self) -> int | None:
        return elected_leader(self.endpoints)

    def healthy_ids(self) -> set[int]:
        """Members that are healthy by the one rule (domain/health.py)."""
        members = self.members.members if self.members is not None else ()
        return healthy_ids(members, self.endpoints, self.health)


@record(frozen=True)
class ConnectionSettings:
    """Everything needed to dial a cluster. Paths, never key material."""

    endpoints: tuple[str, ...]
    cacert: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    server_name: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    insecure: bool = False
    timeout: float = 2.0
    context: str | None = None
    read_only: bool = False
    source: str = "flags"  # flags | env | config | kubeadm | sandbox
    # where each member serves /metrics when not on its client port (etcd's
    # --listen-metrics-urls); empty: the client endpoints
    metrics_urls: tuple[str, ...] = ()

    def redacted(self) -> dict[str, object]:
        """A log-safe view: file paths are fine, the password never appears."""
        return {
            "endpoints": list(self.endpoints),
            "cacert": str(self.cacert) if self.cacert else None,
            "cert": str(self.cert) if self.cert else None,
            "key": str(self.key) if self.key else None,
            "server_name": self.server_name,
            "user": self.user,
            "insecure": self.insecure,
            "context": self.context,
            "read_only": self.read_only,
            "source": self.source,
            "metrics_urls": list(self.metrics_urls),
        }
