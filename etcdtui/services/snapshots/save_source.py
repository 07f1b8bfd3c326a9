"""Which member `snapshot save` streams from, and why.

The leader by default. Without a known leader, a member whose HashKV at a common
revision matches the majority. Members that are unreachable, report errors (alarms) or
lag more than :data:`LAG_LIMIT` raft entries behind the most advanced member are never
chosen by default; naming one with ``endpoint=`` overrides that (with a warning), but
an endpoint that does not answer Status still fails. The stream itself is written by
:mod:`etcdtui.services.snapshots.save`.
"""

from __future__ import annotations

from dataclasses import dataclass

from etcdtui import errors
from etcdtui.cluster_data import EndpointStatus, MemberList, hex_id
from etcdtui.domain.health import elected_leader
from etcdtui.i18n import _
from etcdtui.services.cluster import ClusterService
from etcdtui.services.snapshots.errors import NoSafeSource

# A member whose applied index is more than this many raft entries behind the most
# advanced member is "lagging": its database may miss recent writes. Under steady load
# a healthy follower stays within a few dozen entries; 1000 is well past normal jitter
# and far below etcd's own catch-up window (5000 entries kept for slow followers).
LAG_LIMIT = 1000


@dataclass(frozen=True)
class Source:
    url: str
    reason: str
    status: EndpointStatus
    name: str = ""
    warning: str | None = None


def _name_of(members: MemberList | None, member_id: int) -> str:
    m = members.by_id(member_id) if members else None
    return m.name if m else ""


def _problem(s: EndpointStatus, best_index: int, *, leaderless: bool) -> str | None:
    """Why ``s`` is not a safe default source, or None."""
    if not s.ok:
        return _("unreachable: {err}").format(err=s.error or s.error_code or "?")
    # NOSPACE is a cluster-wide quota state, not a sign of bad data: a snapshot before the
    # compact/defrag is exactly what an operator wants then.
    errs = [e for e in s.errors if "NOSPACE" not in e and not (leaderless and "no leader" in e)]
    if errs:
        return _("reports errors: {errs}").format(errs="; ".join(errs))
    lag = best_index - s.applied_index
    if lag > LAG_LIMIT:
        return _("lags {n} raft entries behind (limit {limit})").format(n=lag, limit=LAG_LIMIT)
    return None


async def choose_source(svc: ClusterService, endpoint: str | None = None) -> Source:
    """Pick the member to stream from and say why (see the module doc)."""
    try:
        members: MemberList | None = await svc.members()
    except errors.EtcdtuiError:
        members = None
    if endpoint is not None:
        return await _explicit(svc, endpoint, members)
    statuses = await svc.statuses()
    reachable = [s for s in statuses if s.ok]
    if not reachable:
        raise NoSafeSource(
            _("no endpoint answered: {why}").format(
                why="; ".join(f"{s.endpoint}: {s.error}" for s in statuses)
            )
        )
    best = max(s.applied_index for s in reachable)
    by_id = {s.member_id: s for s in reachable}
    leader_id = _agreed_leader(reachable)
    leader = by_id.get(leader_id) if leader_id else None
    if leader is not None:
        problem = _problem(leader, best, leaderless=False)
        if problem is None:
            name = _name_of(members, leader.member_id)
            return Source(
                leader.endpoint,
                _("{name} ({id}) is the leader").format(
                    name=name or "?", id=hex_id(leader.member_id)
                ),
                leader,
                name,
            )
    return await _by_hashkv(svc, reachable, best, members, leader_problem=leader is not None)


def _agreed_leader(reachable: list[EndpointStatus]) -> int | None:
    """The elected leader (the one rule, domain/health.py), when a majority of the
    reachable members name it; else None, and the source is chosen by HashKV."""
    leader = elected_leader(reachable)
    if leader is None:
        return None
    return leader if sum(1 for s in reachable if s.leader == leader) * 2 > len(reachable) else None


async def _by_hashkv(
    svc: ClusterService,
    reachable: list[EndpointStatus],
    best: int,
    members: MemberList | None,
    *,
    leader_problem: bool,
) -> Source:
    revision = min(s.revision for s in reachable)
    hashes = await svc.hashkv(revision)
    groups: dict[int, list[str]] = {}
    for h in hashes:
        if h.error is None:
            groups.setdefault(h.hash, []).append(h.endpoint)
    voters = len([m for m in members.members if not m.is_learner]) if members else len(hashes)
    majority = max(groups.values(), key=len, default=[])
    if len(majority) * 2 <= max(voters, len(hashes)):
        raise NoSafeSource(
            _(
                "no leader is known and no majority of members agrees on the HashKV at revision "
                "{rev}"
            ).format(rev=revision)
        )
    leaderless = not leader_problem
    candidates = [
        s
        for s in reachable
        if s.endpoint in majority
        and _problem(s, best, leaderless=leaderless) is None
        and not s.is_learner
    ]
    if not candidates:
        raise NoSafeSource(
            _("the members whose HashKV matches the majority are unhealthy or lagging")
        )
    pick = max(candidates, key=lambda s: s.applied_index)
    name = _name_of(members, pick.member_id)
    why = _("no healthy leader is known") if not leader_problem else _("the leader is unhealthy")
    reason = _(
        "{why}; {name} ({id}) has the HashKV that {n} of {total} members share at revision {rev}"
    ).format(
        why=why,
        name=name or "?",
        id=hex_id(pick.member_id),
        n=len(majority),
        total=len(hashes),
        rev=revision,
    )
    return Source(pick.endpoint, reason, pick, name)


async def _explicit(svc: ClusterService, endpoint: str, members: MemberList | None) -> Source:
    status = await svc.endpoint_status(endpoint)
    if not status.ok:
        cls: type[errors.EtcdtuiError] = (
            errors.DeadlineExceeded if status.error_code == "deadline" else errors.ConnectionFailure
        )
        raise cls(status.error or _("no answer"), endpoint=status.endpoint)
    name = _name_of(members, status.member_id)
    others = await svc.statuses()
    best = max([s.applied_index for s in others if s.ok] + [status.applied_index])
    problem = _problem(status, best, leaderless=False)
    warning = (
        _("{name} {problem}; saving from it because it was named explicitly").format(
            name=name or status.endpoint, problem=problem
        )
        if problem
        else None
    )
    reason = _("{name} ({id}) was named with --endpoint").format(
        name=name or "?", id=hex_id(status.member_id)
    )
    return Source(status.endpoint, reason, status, name, warning)
