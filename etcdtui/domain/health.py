"""Which members are healthy, and who is the leader: one rule each.

Pure, no I/O. The inputs are what the service layer gathered: each endpoint's Status
answer and each endpoint's health check (a linearizable read, as ``etcdctl endpoint
health`` does; a learner is judged by a serializable read). The CLI ``status``, the
console header and member table, the member dialogs' re-check, the procedures and the
what-if all count healthy members with ``healthy_ids``.

A member is **healthy** when a health check through its endpoint answered and its Status
(when it was asked) answered too. It is **down** when either failed. It is **unknown**
when nothing was checked, or when etcd answered but refused our credentials: a member
that says "permission denied" is alive, and must be counted neither as healthy nor as
down (the quorum is then unknown, not lost).

An active alarm (NOSPACE, CORRUPT) does not change the answer. etcd counts a voter toward
quorum by its peer connections, not by its alarms, and an alarm is cluster-wide: it is
reported on its own (the advisories), not as a member that is down. If the alarm makes
the health read fail (CORRUPT refuses reads), the failed read is what counts.

The leader rule is ``elected_leader``: the leader named at the newest raft term.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from urllib.parse import urlsplit

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Literal, Protocol, TypeVar

HEALTHY: Literal["healthy"] = "healthy"
DOWN: Literal["down"] = "down"
UNKNOWN: Literal["unknown"] = "unknown"

# Error codes (etcdtui.errors AuthFailed, PermissionDenied) that mean "etcd answered and
# refused these credentials". Such an endpoint is alive: it is never counted as an
# unhealthy member, and a cluster seen only through such answers has an unknown quorum.
ACCESS_ERROR_CODES = frozenset({"auth", "permission-denied"})


def is_access_error(code: str | None) -> bool:
    return code in ACCESS_ERROR_CODES


if TYPE_CHECKING:  # the shapes the rules read, for the checker
    MemberState = Literal["healthy", "down", "unknown"]

    class StatusLike(Protocol):
        @property
        def endpoint(self) -> str: ...
        @property
        def ok(self) -> bool: ...
        @property
        def error_code(self) -> str | None: ...
        @property
        def member_id(self) -> int: ...
        @property
        def leader(self) -> int: ...
        @property
        def raft_term(self) -> int: ...
        @property
        def is_leader(self) -> bool: ...

    class HealthLike(Protocol):
        @property
        def endpoint(self) -> str: ...
        @property
        def healthy(self) -> bool: ...
        @property
        def error_code(self) -> str | None: ...

    class MemberLike(Protocol):
        @property
        def id(self) -> int: ...
        @property
        def client_urls(self) -> tuple[str, ...]: ...

    S = TypeVar("S", bound=StatusLike)
    H = TypeVar("H", bound=HealthLike)


def same_endpoint_key(url: str) -> str:
    """One spelling of a client URL for matching: scheme and host in lower case, no
    trailing slash, https when the scheme is left out (as etcdctl reads ``host:port``)."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}:{port}" if port else f"{parts.scheme.lower()}://{host}"


def endpoint_state(status: StatusLike | None, health: HealthLike | None) -> MemberState:
    """The rule for one endpoint. ``None`` means "not asked"."""
    if status is not None and not status.ok:
        return UNKNOWN if is_access_error(status.error_code) else DOWN
    if health is None:
        return UNKNOWN
    if health.healthy:
        return HEALTHY
    return UNKNOWN if is_access_error(health.error_code) else DOWN


def status_of(member: MemberLike, statuses: Iterable[S]) -> S | None:
    """The member's own Status answer (by member ID), else a failed one from one of its
    client URLs, else None."""
    ss = list(statuses)
    own = next((s for s in ss if s.ok and s.member_id == member.id), None)
    if own is not None:
        return own
    urls = {same_endpoint_key(u) for u in member.client_urls}
    return next((s for s in ss if same_endpoint_key(s.endpoint) in urls), None)


def health_of(member: MemberLike, status: StatusLike | None, health: Iterable[H]) -> H | None:
    """The health check through the endpoint that answered Status for this member, else
    through one of its client URLs."""
    hs = list(health)
    if status is not None:
        key = same_endpoint_key(status.endpoint)
        found = next((h for h in hs if same_endpoint_key(h.endpoint) == key), None)
        if found is not None:
            return found
    urls = {same_endpoint_key(u) for u in member.client_urls}
    checked = [h for h in hs if same_endpoint_key(h.endpoint) in urls]
    # A member with several client URLs: one that answers is enough.
    return next((h for h in checked if h.healthy), checked[0] if checked else None)


def member_state(
    member: MemberLike, statuses: Iterable[StatusLike], health: Iterable[HealthLike]
) -> MemberState:
    """``healthy``, ``down`` or ``unknown`` for one member (see the module text)."""
    ss = list(statuses)
    status = status_of(member, ss)
    return endpoint_state(status, health_of(member, status, health))


def healthy_ids(
    members: Iterable[MemberLike],
    statuses: Sequence[StatusLike] | Collection[StatusLike] = (),
    health: Sequence[HealthLike] | Collection[HealthLike] = (),
) -> set[int]:
    """IDs of the members that are healthy by the one rule. Learners are included
    (summaries count voters only; a promote asks whether the learner answers)."""
    return {m.id for m in members if member_state(m, statuses, health) == HEALTHY}


def elected_leader(statuses: Iterable[StatusLike]) -> int | None:
    """The leader of the newest raft term, or None: the one rule for "who leads".

    Only answers at the highest term count: a member cut off from the others (a
    partitioned old leader, a stale follower) still names the leader of its older term,
    or itself, and must not outvote the term that elected a new one. Within that term the
    leader most endpoints name wins; on a tie, the one that claims it itself."""
    named = [s for s in statuses if s.ok and s.leader]
    if not named:
        return None
    top = max(s.raft_term for s in named)
    votes: dict[int, int] = {}
    for s in named:
        if s.raft_term == top:
            votes[s.leader] = votes.get(s.leader, 0) + 1
    most = max(votes.values())
    winners = [lead for lead, n in votes.items() if n == most]
    if len(winners) == 1:
        return winners[0]
    claimed = [s.member_id for s in named if s.raft_term == top and s.is_leader]
    return next((c for c in claimed if c in winners), None)
