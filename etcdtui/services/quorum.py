"""Quorum arithmetic and what-if checks for membership changes.

Pure functions, no I/O. Inputs are a member list and the set of member IDs that
answered a health check just now. The CLI ``status`` command, the TUI header, the
member action modals and the wizards all ask this module the same questions:

* how many voters, how many answer, how many are needed, how many more may fail;
* what would etcd itself answer to a member add / remove / promote
  (``--strict-reconfig-check``, on by default, and the checks applied when the
  change is committed), and which error string it would send back;
* whether the state *after* the change is one etcdtui is willing to create.

The server rules mirror etcd 3.5 (``server/etcdserver/server.go``: mayAddMember,
mayRemoveMember, mayPromoteMember; ``membership/cluster.go``: IsReadyToAddVotingMember,
IsReadyToRemoveVotingMember, IsReadyToPromoteMember, ValidateConfigurationChange).
etcd judges "active" by peer connections over the last 5 s; we approximate that with
``healthy_ids``, so a member restarted less than 5 s ago can still be refused.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from etcdtui.errors import (
    ClusterError,
    EtcdtuiError,
    LearnerNotReady,
    MemberNotFound,
    PeerURLExists,
    QuorumRefusal,
    TooManyLearners,
    UnhealthyCluster,
    UsageError,
)
from etcdtui.i18n import _, ngettext
from etcdtui.models import Member, MemberList, QuorumSummary, hex_id

DEFAULT_MAX_LEARNERS = 1  # etcd's --experimental-max-learners default
RECOMMENDED_MAX_VOTERS = 7

# Error strings etcd's gRPC API answers with (api/v3rpc/rpctypes). Machine text: not translated.
ERR_UNHEALTHY = "etcdserver: unhealthy cluster"
ERR_NOT_ENOUGH_STARTED = "etcdserver: re-configuration failed due to not enough started members"
ERR_TOO_MANY_LEARNERS = "etcdserver: too many learner members in cluster"
ERR_PEER_URL_EXISTS = "etcdserver: Peer URLs already exists"
ERR_BAD_URLS = "etcdserver: given member URLs are invalid"
ERR_MEMBER_NOT_FOUND = "etcdserver: member not found"
ERR_NOT_LEARNER = "etcdserver: can only promote a learner member"
ERR_LEARNER_NOT_READY = "etcdserver: can only promote a learner member which is in sync with leader"


class NotEnoughStartedMembers(ClusterError):
    code = "not-enough-started"
    default_title = "etcd: not enough started members"
    default_fix = (
        "Members that were added but never started count toward quorum. Start them, or "
        "remove them, before changing membership again."
    )


class MemberNotLearner(ClusterError):
    code = "not-learner"
    default_title = "Only a learner can be promoted"


class BadPeerURL(ClusterError):
    code = "bad-peer-url"
    default_title = "Invalid peer URL"
    default_fix = "Use a URL like https://10.0.0.4:2380 (scheme, host and port, no path)."


SERVER_ERRORS: dict[str, type[EtcdtuiError]] = {
    ERR_UNHEALTHY: UnhealthyCluster,
    ERR_NOT_ENOUGH_STARTED: NotEnoughStartedMembers,
    ERR_TOO_MANY_LEARNERS: TooManyLearners,
    ERR_PEER_URL_EXISTS: PeerURLExists,
    ERR_BAD_URLS: BadPeerURL,
    ERR_MEMBER_NOT_FOUND: MemberNotFound,
    ERR_NOT_LEARNER: MemberNotLearner,
    ERR_LEARNER_NOT_READY: LearnerNotReady,
}


# --- arithmetic ---------------------------------------------------------------------------


def quorum_size(voters: int) -> int:
    """Votes needed to commit: floor(n/2)+1. Zero voters need (and have) nothing: 0."""
    if voters < 0:
        raise ValueError(f"negative voter count: {voters}")
    return voters // 2 + 1 if voters else 0


def failures_tolerated(voters: int) -> int:
    """Voters that may fail while the rest still form a quorum: floor((n-1)/2), 0 for 0."""
    if voters < 0:
        raise ValueError(f"negative voter count: {voters}")
    return (voters - 1) // 2 if voters else 0


def _etcd_quorum(n: int) -> int:
    # etcd's own formula, which gives 1 (not 0) for an empty set.
    return n // 2 + 1


def _summary(voters: int, healthy: int, learners: int) -> QuorumSummary:
    needed = quorum_size(voters)
    return QuorumSummary(
        voters=voters,
        healthy=healthy,
        needed=needed,
        tolerance=max(0, healthy - needed) if voters else 0,
        learners=learners,
    )


def _as_tuple(members: MemberList | Sequence[Member]) -> tuple[Member, ...]:
    return members.members if isinstance(members, MemberList) else tuple(members)


def summarize(
    members: MemberList | Sequence[Member], healthy_ids: Collection[int]
) -> QuorumSummary:
    """Voters exclude learners; ``healthy`` counts voters whose ID is in ``healthy_ids``.

    ``tolerance`` is how many more voters may fail right now: healthy - needed, never
    negative. It is 0 both when the cluster is at risk and when quorum is lost;
    ``QuorumSummary.state`` tells the two apart.
    """
    ms = _as_tuple(members)
    healthy = set(healthy_ids)
    voters = [m for m in ms if not m.is_learner]
    return _summary(
        len(voters),
        sum(1 for m in voters if m.id in healthy),
        sum(1 for m in ms if m.is_learner),
    )


def label(member: Member) -> str:
    """How messages name a member: its name, or its hex ID while it has none."""
    return member.name or hex_id(member.id)


def _names(members: Sequence[Member]) -> str:
    return ", ".join(label(m) for m in members)


def voters_phrase(n: int) -> str:
    return ngettext("{n} voter", "{n} voters", n).format(n=n)


def describe(summary: QuorumSummary) -> str:
    """One line with the numbers, e.g. '3 voters, 2 healthy: quorum needs 2'."""
    return _("{voters}, {healthy} healthy: quorum needs {needed}").format(
        voters=voters_phrase(summary.voters), healthy=summary.healthy, needed=summary.needed
    )


def badge(summary: QuorumSummary) -> str:
    """Header badge text: 'HEALTHY 3/3', 'AT RISK (tolerance 0)' or 'LOST'."""
    if summary.state == "healthy":
        return _("HEALTHY {healthy}/{voters}").format(
            healthy=summary.healthy, voters=summary.voters
        )
    if summary.state == "at-risk":
        return _("AT RISK (tolerance 0)")
    return _("LOST")


def advisories(
    members: MemberList | Sequence[Member], healthy_ids: Collection[int]
) -> tuple[str, ...]:
    """Standing advice about the current membership, most urgent first."""
    ms = _as_tuple(members)
    s = summarize(ms, healthy_ids)
    out: list[str] = []
    if not s.has_quorum:
        out.append(
            _("{state}. Quorum is lost: bring members back or restore from a snapshot.").format(
                state=describe(s)
            )
        )
    elif s.tolerance == 0:
        out.append(
            _("{state}. One more failure loses quorum: replace failed members now.").format(
                state=describe(s)
            )
        )
    unstarted = [m for m in ms if not m.started]
    if unstarted:
        out.append(
            _("{names}: added but never started. Start it or remove it.").format(
                names=_names(unstarted)
            )
        )
    if s.voters and s.voters % 2 == 0:
        out.append(_even_warning(s.voters))
    return tuple(out)


def _even_warning(voters: int) -> str:
    return _(
        "{voters} tolerate no more failures than {fewer}, and an even count can split "
        "votes. Finish at an odd size."
    ).format(voters=voters_phrase(voters), fewer=voters_phrase(voters - 1))


# --- what-if -------------------------------------------------------------------------------


def _url_tuple(urls: Sequence[str] | str) -> tuple[str, ...]:
    return (urls,) if isinstance(urls, str) else tuple(urls)


@dataclass(frozen=True)
class AddVoter:
    peer_urls: tuple[str, ...]
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "peer_urls", _url_tuple(self.peer_urls))


@dataclass(frozen=True)
class AddLearner:
    peer_urls: tuple[str, ...]
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "peer_urls", _url_tuple(self.peer_urls))


@dataclass(frozen=True)
class Remove:
    member_id: int


@dataclass(frozen=True)
class Promote:
    member_id: int


Change = AddVoter | AddLearner | Remove | Promote


def change_as_dict(change: Change) -> dict[str, object]:
    if isinstance(change, AddVoter | AddLearner):
        kind = "add-voter" if isinstance(change, AddVoter) else "add-learner"
        return {"kind": kind, "peer_urls": list(change.peer_urls), "name": change.name}
    kind = "remove" if isinstance(change, Remove) else "promote"
    return {"kind": kind, "member_id": hex_id(change.member_id)}


@dataclass(frozen=True)
class WhatIf:
    """The verdict on one membership change.

    ``after`` is the state right after etcd applies the change; for an add that is
    *before* the new member starts, which is the dangerous moment. ``reasons`` say
    why the change is refused, ``warnings`` what is risky about an allowed one.
    ``server_would_refuse`` means etcd itself would fail the request;
    ``server_error`` is its exact message when predictable (None for a timeout).
    """

    change: Change
    before: QuorumSummary
    after: QuorumSummary
    allowed: bool
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    server_would_refuse: bool = False
    server_error: str | None = None
    fix: str | None = None

    @property
    def overridable(self) -> bool:
        """Refused by etcdtui's own policy only: etcd would accept it."""
        return not self.allowed and not self.server_would_refuse

    @property
    def server_error_code(self) -> str | None:
        cls = SERVER_ERRORS.get(self.server_error or "")
        return cls.code if cls else None

    def as_dict(self) -> dict[str, object]:
        return {
            "change": change_as_dict(self.change),
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
            "allowed": self.allowed,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "server_would_refuse": self.server_would_refuse,
            "server_error": self.server_error,
            "server_error_code": self.server_error_code,
            "fix": self.fix,
        }

    def raise_if_refused(self, *, force: bool = False) -> None:
        """Raise the matching EtcdtuiError unless allowed (or forced past our own policy)."""
        if self.allowed or (force and self.overridable):
            return
        cls = SERVER_ERRORS.get(self.server_error or "", QuorumRefusal)
        title = None
        if self.server_error:
            title = _('Not sent: etcd would answer "{error}"').format(error=self.server_error)
        raise cls(" ".join(self.reasons), title=title, fix=self.fix or "")


@dataclass
class _Verdict:
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fix: str | None = None
    server_fails: bool = False
    server_error: str | None = None
    committable: bool = True  # False when quorum is lost: nothing can be committed

    def server(self, error: str, reason: str, fix: str, *, needs_quorum: bool = False) -> None:
        """Record the first error etcd would return; later server checks never run.

        ``needs_quorum``: etcd only finds this out when the change is committed (or from
        the leader); without quorum the request times out instead, with no fixed message.
        """
        if self.server_fails:
            return
        self.server_fails = True
        self.server_error = error if self.committable or not needs_quorum else None
        self.refuse(reason, fix)

    def refuse(self, reason: str, fix: str | None = None) -> None:
        self.reasons.append(reason)
        if self.fix is None and fix:
            self.fix = fix


class _Cluster:
    def __init__(self, members: MemberList | Sequence[Member], healthy_ids: Collection[int]):
        self.members = _as_tuple(members)
        self.healthy = frozenset(healthy_ids)
        self.voters = [m for m in self.members if not m.is_learner]
        self.learners = [m for m in self.members if m.is_learner]
        self.started = sum(1 for m in self.voters if m.started)
        self.down = [m for m in self.voters if m.id not in self.healthy]
        self.summary = summarize(self.members, self.healthy)

    def by_id(self, member_id: int) -> Member | None:
        return next((m for m in self.members if m.id == member_id), None)


def what_if(
    members: MemberList | Sequence[Member],
    healthy_ids: Collection[int],
    change: Change,
    *,
    leader_id: int | None = None,
    max_learners: int = DEFAULT_MAX_LEARNERS,
    strict_reconfig_check: bool = True,
) -> WhatIf:
    """Judge ``change`` against etcd's rules and etcdtui's stricter ones."""
    c = _Cluster(members, healthy_ids)
    before = c.summary
    v = _Verdict(committable=before.has_quorum)
    if not before.has_quorum:
        v.refuse(
            _("{state}. Quorum is lost, so etcd cannot commit any membership change.").format(
                state=describe(before)
            ),
            _("Bring the failed members back, or restore the cluster from a snapshot."),
        )
    if isinstance(change, AddVoter | AddLearner):
        after = _check_add(c, change, v, max_learners, strict_reconfig_check)
    elif isinstance(change, Remove):
        after = _check_remove(c, change, v, leader_id, strict_reconfig_check)
    elif isinstance(change, Promote):
        after = _check_promote(c, change, v, strict_reconfig_check)
    else:  # pragma: no cover - guarded by the type checker
        raise UsageError(_("Unknown membership change: {change!r}").format(change=change))
    if not before.has_quorum and not v.server_fails:
        # etcd accepts the request but cannot commit it: it times out.
        v.server_fails = True
    if after.voters != before.voters and before.has_quorum and not v.server_fails:
        _check_after(before, after, change, v)
    return WhatIf(
        change=change,
        before=before,
        after=after,
        allowed=not v.reasons and not v.server_fails,
        reasons=tuple(v.reasons),
        warnings=tuple(v.warnings),
        server_would_refuse=v.server_fails,
        server_error=v.server_error,
        fix=v.fix,
    )


def _peer_url_problem(url: str) -> str | None:
    """Why etcd would reject ``url`` as a peer URL (pkg/types NewURLs), or None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return _("it cannot be parsed")
    if parts.scheme not in ("http", "https", "unix", "unixs"):
        return _("the scheme must be http, https, unix or unixs")
    if parts.scheme in ("http", "https"):
        if port is None:
            return _("it must have the form scheme://host:port")
        if parts.path:
            return _("it must not contain a path")
    return None


def _check_add(
    c: _Cluster, change: AddVoter | AddLearner, v: _Verdict, max_learners: int, strict: bool
) -> QuorumSummary:
    voting = isinstance(change, AddVoter)
    before = c.summary
    fix_url = _("Use a URL like https://10.0.0.4:2380.")
    if not change.peer_urls:
        v.server(ERR_BAD_URLS, _("No peer URL given for the new member."), fix_url)
    for url in change.peer_urls:
        problem = _peer_url_problem(url)
        if problem:
            v.server(
                ERR_BAD_URLS,
                _("{url} is not a valid peer URL: {why}.").format(url=url, why=problem),
                fix_url,
            )
    n = len(c.voters) + 1
    if strict and voting and not (c.started == 1 and n == 2) and c.started < _etcd_quorum(n):
        v.server(
            ERR_NOT_ENOUGH_STARTED,
            _(
                "Only {started} of {voters} have started. With the new member there would be "
                "{n} voters, and etcd wants {q} of them started before it accepts a voting add."
            ).format(
                started=c.started, voters=voters_phrase(len(c.voters)), n=n, q=_etcd_quorum(n)
            ),
            _("Start the members that were added but never started, or remove them, then retry."),
        )
    if strict and c.down:
        v.server(
            ERR_UNHEALTHY,
            ngettext(
                "{names} does not answer. etcd accepts a member add only when the member "
                "receiving it has reached all {voters} in the last 5 s.",
                "{names} do not answer. etcd accepts a member add only when the member "
                "receiving it has reached all {voters} in the last 5 s.",
                len(c.down),
            ).format(names=_names(c.down), voters=voters_phrase(len(c.voters))),
            _("Remove the failed member first, then add its replacement."),
        )
    for url in change.peer_urls:
        owner = next((m for m in c.members if url.strip() in m.peer_urls), None)
        if owner is not None:
            v.server(
                ERR_PEER_URL_EXISTS,
                _("{url} is already the peer URL of {member}.").format(
                    url=url, member=label(owner)
                ),
                _("Pick another peer URL, or remove {member} first.").format(member=label(owner)),
                needs_quorum=True,
            )
    if not voting and len(c.learners) + 1 > max_learners:
        v.server(
            ERR_TOO_MANY_LEARNERS,
            ngettext(
                "The cluster already has {n} learner ({names}); etcd allows {max} "
                "(--experimental-max-learners).",
                "The cluster already has {n} learners ({names}); etcd allows {max} "
                "(--experimental-max-learners).",
                len(c.learners),
            ).format(n=len(c.learners), names=_names(c.learners), max=max_learners),
            _("Promote or remove the existing learner first."),
            needs_quorum=True,
        )
    if voting:
        v.warnings.append(
            _(
                "A voting member counts toward quorum as soon as it is added: if its peer URL "
                "is wrong or it never starts, quorum can be lost. Prefer adding it as a "
                "learner, then promote it once it has caught up."
            )
        )
        return _summary(before.voters + 1, before.healthy, before.learners)
    return _summary(before.voters, before.healthy, before.learners + 1)


def _check_remove(
    c: _Cluster, change: Remove, v: _Verdict, leader_id: int | None, strict: bool
) -> QuorumSummary:
    before = c.summary
    target = c.by_id(change.member_id)
    if target is None:
        # mayRemoveMember counts every voter as "others"; an unknown ID fails at apply time.
        unready = strict and c.started < _etcd_quorum(len(c.voters))
        v.server(
            ERR_NOT_ENOUGH_STARTED if unready else ERR_MEMBER_NOT_FOUND,
            _("No member has ID {id}.").format(id=hex_id(change.member_id)),
            _("List the members again: it may already be gone."),
            needs_quorum=not unready,
        )
        return before
    if target.is_learner:
        return _summary(before.voters, before.healthy, before.learners - 1)

    name = label(target)
    target_healthy = target.id in c.healthy
    n = len(c.voters) - 1
    q = _etcd_quorum(n)
    others_started = c.started - (1 if target.started else 0)
    after = _summary(n, before.healthy - (1 if target_healthy else 0), before.learners)
    if strict and others_started < q:
        if n == 0:
            reason = _("{member} is the only voting member: removing it would leave no cluster.")
            fix = _(
                "To replace it, add the new member as a learner, promote it, then remove this one."
            )
        else:
            reason = _(
                "Removing {member} leaves {n} voters needing {q} started, but only {s} of "
                "them have started."
            )
            fix = _("Start or remove the members that never started first.")
        v.server(
            ERR_NOT_ENOUGH_STARTED, reason.format(member=name, n=n, q=q, s=others_started), fix
        )
    elif strict and target_healthy and before.healthy - 1 < q:
        v.server(
            ERR_UNHEALTHY,
            _(
                "{state}. Removing {member} leaves {voters} needing {q} healthy, but only {h} "
                "would answer."
            ).format(
                state=describe(before),
                member=name,
                voters=voters_phrase(n),
                q=q,
                h=before.healthy - 1,
            ),
            _("Bring the failed members back, or remove a failed member instead of a healthy one."),
        )
    if leader_id is not None and target.id == leader_id:
        v.warnings.append(
            _(
                "{member} is the leader: removing it stalls writes for about one election "
                "timeout. Move leadership to another member first."
            ).format(member=name)
        )
    if target_healthy and c.down:
        v.warnings.append(
            ngettext(
                "{names} is down; removing a healthy member instead leaves the failed one "
                "counting toward quorum. Remove the failed member first.",
                "{names} are down; removing a healthy member instead leaves the failed ones "
                "counting toward quorum. Remove the failed members first.",
                len(c.down),
            ).format(names=_names(c.down))
        )
    return after


def _check_promote(c: _Cluster, change: Promote, v: _Verdict, strict: bool) -> QuorumSummary:
    before = c.summary
    target = c.by_id(change.member_id)
    if target is None:
        v.server(
            ERR_MEMBER_NOT_FOUND,
            _("No member has ID {id}.").format(id=hex_id(change.member_id)),
            _("List the members again: it may already be gone."),
            needs_quorum=True,
        )
        return before
    name = label(target)
    if not target.is_learner:
        v.server(
            ERR_NOT_LEARNER,
            _("{member} is already a voting member; only learners can be promoted.").format(
                member=name
            ),
            _("Nothing to do for this member."),
            needs_quorum=True,
        )
        return before
    learner_healthy = target.id in c.healthy
    after = _summary(
        before.voters + 1, before.healthy + (1 if learner_healthy else 0), before.learners - 1
    )
    n = len(c.voters) + 1
    q = _etcd_quorum(n)
    if not target.started:
        # Checked first by etcd (isLearnerReady): a learner that never ran has matched nothing.
        v.server(
            ERR_LEARNER_NOT_READY,
            _(
                "Learner {member} has never started (it has no name in the member list), so it "
                "cannot be in sync with the leader."
            ).format(member=name),
            _(
                "Start it with --initial-cluster-state existing, wait until it catches up, "
                "then promote it."
            ),
            needs_quorum=True,
        )
    elif strict and c.started + 1 < q:
        v.server(
            ERR_NOT_ENOUGH_STARTED,
            _(
                "Promoting {member} makes {n} voters needing {q} started, but only {s} would "
                "have started, counting {member}."
            ).format(member=name, n=n, q=q, s=c.started + 1),
            _("Start or remove the members that never started first."),
            needs_quorum=True,  # promote is judged by the leader
        )
    else:
        v.warnings.append(
            _(
                "etcd also checks that the learner has caught up with the leader (90% of its "
                'log); if it answers "not in sync with leader", wait a few seconds and retry.'
            )
        )
    if target.started and not learner_healthy:
        v.warnings.append(
            _(
                "Learner {member} does not answer health checks: once promoted it counts "
                "toward quorum without being able to vote."
            ).format(member=name)
        )
    return after


def _check_after(before: QuorumSummary, after: QuorumSummary, change: Change, v: _Verdict) -> None:
    if not after.has_quorum:
        if isinstance(change, AddVoter):
            reason = _(
                "{state}. After the add: {voters} needing {q} healthy, but only {h} would "
                "answer until the new member has started: quorum would be lost."
            )
            fix = _("Add the member as a learner, start it, then promote it.")
        else:
            reason = _(
                "{state}. After this change: {voters} needing {q} healthy, but only {h} would "
                "answer: quorum would be lost."
            )
            fix = _("Bring the failed members back first.")
        v.refuse(
            reason.format(
                state=describe(before),
                voters=voters_phrase(after.voters),
                q=after.needed,
                h=after.healthy,
            ),
            fix,
        )
        return
    if after.tolerance == 0:
        v.warnings.append(
            _("After this change {state}; no further failure would be tolerated.").format(
                state=describe(after)
            )
        )
    if after.voters % 2 == 0:
        v.warnings.append(_even_warning(after.voters))


# --- scaling advice ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleAdvice:
    current: int
    target: int
    allowed: bool
    path: tuple[int, ...]
    tolerance_before: int
    tolerance_after: int
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    fix: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "current": self.current,
            "target": self.target,
            "allowed": self.allowed,
            "path": list(self.path),
            "tolerance_before": self.tolerance_before,
            "tolerance_after": self.tolerance_after,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "fix": self.fix,
        }


def advice_for_target(
    current_voters: int, target: int, *, healthy: int | None = None, force: bool = False
) -> ScaleAdvice:
    """Judge a resize such as "3 to 5". Even targets are refused unless ``force``.

    ``path`` lists the voter counts the cluster passes through, one member at a time.
    ``healthy`` (voters answering now), when given, refuses growth while a voter is down:
    etcd refuses every add then.
    """
    if current_voters < 0:
        raise UsageError(_("The current voter count cannot be negative."))
    v = _Verdict()
    step = 1 if target >= current_voters else -1
    path = tuple(range(current_voters, target + step, step)) if target >= 1 else (current_voters,)
    tol_after = failures_tolerated(target) if target >= 1 else 0
    if target < 1:
        v.refuse(
            _("A cluster needs at least one voting member; {target} is not a size.").format(
                target=target
            ),
            _("Choose 3 or 5 voters."),
        )
    elif target % 2 == 0:
        text = ngettext(
            "{voters} tolerate {f} failure, the same as {fewer}, and an even split can stall "
            "elections.",
            "{voters} tolerate {f} failures, the same as {fewer}, and an even split can stall "
            "elections.",
            tol_after,
        ).format(voters=voters_phrase(target), f=tol_after, fewer=voters_phrase(target - 1))
        if force:
            v.warnings.append(text)
        else:
            v.refuse(
                text + " " + _("Choose {lo} or {hi}.").format(lo=target - 1, hi=target + 1),
                _("Pick an odd size, or pass --force if the even size is deliberate."),
            )
    if healthy is not None and current_voters:
        down = current_voters - healthy
        if healthy < quorum_size(current_voters):
            v.refuse(
                _("Quorum is lost ({h} of {voters} answer): no resize can be committed.").format(
                    h=healthy, voters=voters_phrase(current_voters)
                ),
                _("Bring the failed members back, or restore from a snapshot."),
            )
        elif down > 0 and target > current_voters:
            v.refuse(
                ngettext(
                    "{n} voter does not answer; etcd refuses every member add until it is back "
                    "or removed.",
                    "{n} voters do not answer; etcd refuses every member add until they are back "
                    "or removed.",
                    down,
                ).format(n=down),
                _("Replace or remove the failed members first."),
            )
        elif down > 0:
            v.warnings.append(_("Remove the members that do not answer first."))
    if target == current_voters and target >= 1:
        v.warnings.append(
            _("Already {voters}: nothing to do.").format(voters=voters_phrase(target))
        )
    elif target > current_voters >= 0 and target >= 1:
        v.warnings.append(
            _("Add one member at a time: as a learner, start it, promote it, check health.")
        )
    elif 1 <= target < current_voters:
        v.warnings.append(
            _("Remove one member at a time, and the leader last (move leadership first).")
        )
    evens = [n for n in path[1:-1] if n % 2 == 0]
    if evens:
        v.warnings.append(
            _(
                "On the way the cluster passes through {sizes} voters; "
                "finish the sequence promptly."
            ).format(sizes=", ".join(str(n) for n in evens))
        )
    if target > RECOMMENDED_MAX_VOTERS:
        v.warnings.append(
            _(
                "More than {max} voters slows every write (each needs {q} acknowledgements); "
                "etcd does not recommend it."
            ).format(max=RECOMMENDED_MAX_VOTERS, q=quorum_size(target))
        )
    if target == 1 and current_voters > 1:
        v.warnings.append(_("A single voter tolerates no failure at all."))
    return ScaleAdvice(
        current=current_voters,
        target=target,
        allowed=not v.reasons,
        path=path,
        tolerance_before=failures_tolerated(current_voters),
        tolerance_after=tol_after,
        reasons=tuple(v.reasons),
        warnings=tuple(v.warnings),
        fix=v.fix,
    )
