"""Quorum arithmetic and summaries, and the verdict the what-if and scaling checks build.

Pure functions, no I/O. Inputs are a member list and the set of member IDs that
answered a health check just now. The CLI ``status`` command, the TUI header, the
member action modals and the wizards all ask this module the same questions:

* how many voters, how many answer, how many are needed, how many more may fail;
* what would etcd itself answer to a member add / remove / promote
  (``--strict-reconfig-check``, on by default, and the checks applied when the
  change is committed), and which error string it would send back;
* whether the state *after* the change is one etcdtui is willing to create.

This module holds the arithmetic, the summaries and what the other two share: etcd's
error strings with the classes they map to, and the verdict a check builds. The what-if
of a membership change lives in ``whatif.py``, the advice for a resize in ``scaling.py``;
both import from here, never the other way round.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from etcdtui.cluster_data import Member, MemberList, QuorumSummary, hex_id
from etcdtui.errors import (
    ClusterError,
    EtcdtuiError,
    LearnerNotReady,
    MemberNotFound,
    PeerURLExists,
    TooManyLearners,
    UnhealthyCluster,
)
from etcdtui.i18n import N_, _, ngettext
from etcdtui.records import field, record

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
    default_title = N_("etcd: not enough started members")
    default_fix = N_(
        "Members that were added but never started count toward quorum. Start them, or "
        "remove them, before changing membership again."
    )


class MemberNotLearner(ClusterError):
    code = "not-learner"
    default_title = N_("Only a learner can be promoted")


class BadPeerURL(ClusterError):
    code = "bad-peer-url"
    default_title = N_("Invalid peer URL")
    default_fix = N_("Use a URL like https://10.0.0.4:2380 (scheme, host and port, no path).")


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


def etcd_quorum(n: int) -> int:
    # etcd's own formula, which gives 1 (not 0) for an empty set.
    return n // 2 + 1


def make_summary(voters: int, healthy: int, learners: int) -> QuorumSummary:
    needed = quorum_size(voters)
    return QuorumSummary(
        voters=voters,
        healthy=healthy,
        needed=needed,
        tolerance=max(0, healthy - needed) if voters else 0,
        learners=learners,
    )


def as_members(members: MemberList | Sequence[Member]) -> tuple[Member, ...]:
    return members.members if isinstance(members, MemberList) else tuple(members)


def summarize(
    members: MemberList | Sequence[Member], healthy_ids: Collection[int]
) -> QuorumSummary:
    """Voters exclude learners; ``healthy`` counts voters whose ID is in ``healthy_ids``.

    ``tolerance`` is how many more voters may fail right now: healthy - needed, never
    negative. It is 0 both when the cluster is at risk and when quorum is lost;
    ``QuorumSummary.state`` tells the two apart.
    """
    ms = as_members(members)
    healthy = set(healthy_ids)
    voters = [m for m in ms if not m.is_learner]
    return make_summary(
        len(voters),
        sum(1 for m in voters if m.id in healthy),
        sum(1 for m in ms if m.is_learner),
    )


def label(member: Member) -> str:
    """How messages name a member: its name, or its hex ID while it has none."""
    return member.name or hex_id(member.id)


def member_names(members: Sequence[Member]) -> str:
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
    ms = as_members(members)
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
                names=member_names(unstarted)
            )
        )
    if s.voters and s.voters % 2 == 0:
        out.append(even_warning(s.voters))
    return tuple(out)


def even_warning(voters: int) -> str:
    return _(
        "{voters} tolerate no more failures than {fewer}, and an even count can split "
        "votes. Finish at an odd size."
    ).format(voters=voters_phrase(voters), fewer=voters_phrase(voters - 1))


# --- verdict (shared by the what-if and the scaling advice) -------------------------------


@record
class Verdict:
    """What a check concluded: reasons to refuse, warnings, and the fix."""

    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fix: str | None = None
    console_fix: str | None = None  # the console's words when ``fix`` names a CLI flag
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

    def refuse(self, reason: str, fix: str | None = None, console_fix: str | None = None) -> None:
        self.reasons.append(reason)
        if self.fix is None and fix:
            self.fix = fix
            self.console_fix = console_fix
