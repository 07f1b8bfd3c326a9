"""What-if of a membership change (AddVoter, AddLearner, Remove, Promote): ``what_if``.

Pure, no I/O; builds on the arithmetic and etcd's error strings in ``quorum.py``.

The server rules mirror etcd 3.5 (``server/etcdserver/server.go``: mayAddMember,
mayRemoveMember, mayPromoteMember; ``membership/cluster.go``: IsReadyToAddVotingMember,
IsReadyToRemoveVotingMember, IsReadyToPromoteMember, ValidateConfigurationChange).
etcd judges "active" by peer connections over the last 5 s; we approximate that with
``healthy_ids``, so a member restarted less than 5 s ago can still be refused.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from etcdtui.cluster_data import Member, MemberList, QuorumSummary, hex_id
from etcdtui.domain.quorum import (
    ERR_BAD_URLS,
    ERR_LEARNER_NOT_READY,
    ERR_MEMBER_NOT_FOUND,
    ERR_NOT_ENOUGH_STARTED,
    ERR_NOT_LEARNER,
    ERR_PEER_URL_EXISTS,
    ERR_TOO_MANY_LEARNERS,
    ERR_UNHEALTHY,
    SERVER_ERRORS,
    Verdict,
    as_members,
    describe,
    etcd_quorum,
    even_warning,
    label,
    make_summary,
    member_names,
    summarize,
    voters_phrase,
)
from etcdtui.errors import QuorumRefusal, UsageError
from etcdtui.i18n import _, ngettext

DEFAULT_MAX_LEARNERS = 1  # fixed in 3.4/3.5; etcd --max-learners default from 3.6


def _url_tuple(urls: Sequence[str] | str) -> tuple[str, ...]:
    return (urls,) if isinstance(urls, str) else tuple(urls)


@dataclass(frozen=True)
class _Add:
    peer_urls: tuple[str, ...]
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "peer_urls", _url_tuple(self.peer_urls))


@dataclass(frozen=True)
class AddVoter(_Add):
    """Add a voting member (counts toward quorum at once)."""


@dataclass(frozen=True)
class AddLearner(_Add):
    """Add a learner (no vote until promoted)."""


@dataclass(frozen=True)
class Remove:
    member_id: int


@dataclass(frozen=True)
class Promote:
    member_id: int


@dataclass(frozen=True)
class UpdatePeerURLs:
    member_id: int
    peer_urls: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "peer_urls", _url_tuple(self.peer_urls))


Change = AddVoter | AddLearner | Remove | Promote | UpdatePeerURLs


def change_as_dict(change: Change) -> dict[str, object]:
    if isinstance(change, AddVoter | AddLearner):
        kind = "add-voter" if isinstance(change, AddVoter) else "add-learner"
        return {"kind": kind, "peer_urls": list(change.peer_urls), "name": change.name}
    if isinstance(change, UpdatePeerURLs):
        return {
            "kind": "update-peer-urls",
            "member_id": hex_id(change.member_id),
            "peer_urls": list(change.peer_urls),
        }
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
    console_fix: str | None = None  # the console's words when ``fix`` names a CLI flag

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
        raise cls(
            " ".join(self.reasons),
            title=title,
            fix=self.fix or "",
            console_fix=self.console_fix,
        )


class _Cluster:
    def __init__(self, members: MemberList | Sequence[Member], healthy_ids: Collection[int]):
        self.members = as_members(members)
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
    v = Verdict(committable=before.has_quorum)
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
    elif isinstance(change, UpdatePeerURLs):
        after = _check_update(c, change, v)
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
        console_fix=v.console_fix,
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


def _refuse_bad_urls(urls: tuple[str, ...], v: Verdict, missing: str) -> None:
    """etcd's URL checks for an add and for a peer-URL update: at least one, each valid."""
    fix_url = _("Use a URL like https://10.0.0.4:2380.")
    if not urls:
        v.server(ERR_BAD_URLS, missing, fix_url)
    for url in urls:
        problem = _peer_url_problem(url)
        if problem:
            v.server(
                ERR_BAD_URLS,
                _("{url} is not a valid peer URL: {why}.").format(url=url, why=problem),
                fix_url,
            )


def _refuse_taken_urls(
    urls: tuple[str, ...], others: Sequence[Member], v: Verdict, fix: Callable[[Member], str]
) -> None:
    """etcd refuses a peer URL another member already has (checked when committed)."""
    for url in urls:
        owner = next((m for m in others if url.strip() in m.peer_urls), None)
        if owner is not None:
            v.server(
                ERR_PEER_URL_EXISTS,
                _("{url} is already the peer URL of {member}.").format(
                    url=url, member=label(owner)
                ),
                fix(owner),
                needs_quorum=True,
            )


def _refuse_unknown_member(
    v: Verdict, member_id: int, error: str = ERR_MEMBER_NOT_FOUND, *, needs_quorum: bool = True
) -> None:
    v.server(
        error,
        _("No member has ID {id}.").format(id=hex_id(member_id)),
        _("List the members again: it may already be gone."),
        needs_quorum=needs_quorum,
    )


def _check_add(
    c: _Cluster, change: AddVoter | AddLearner, v: Verdict, max_learners: int, strict: bool
) -> QuorumSummary:
    voting = isinstance(change, AddVoter)
    before = c.summary
    _refuse_bad_urls(change.peer_urls, v, _("No peer URL given for the new member."))
    n = len(c.voters) + 1
    if strict and voting and not (c.started == 1 and n == 2) and c.started < etcd_quorum(n):
        v.server(
            ERR_NOT_ENOUGH_STARTED,
            _(
                "Only {started} of {voters} have started. With the new member there would be "
                "{n} voters, and etcd wants {q} of them started before it accepts a voting add."
            ).format(started=c.started, voters=voters_phrase(len(c.voters)), n=n, q=etcd_quorum(n)),
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
            ).format(names=member_names(c.down), voters=voters_phrase(len(c.voters))),
            _("Remove the failed member first, then add its replacement."),
        )
    _refuse_taken_urls(
        change.peer_urls,
        c.members,
        v,
        lambda owner: _("Pick another peer URL, or remove {member} first.").format(
            member=label(owner)
        ),
    )
    if not voting and len(c.learners) + 1 > max_learners:
        v.server(
            ERR_TOO_MANY_LEARNERS,
            ngettext(
                "The cluster already has {n} learner ({names}); etcd allows {max} "
                "(fixed at 1 on etcd 3.4 and 3.5; --max-learners from 3.6).",
                "The cluster already has {n} learners ({names}); etcd allows {max} "
                "(fixed at 1 on etcd 3.4 and 3.5; --max-learners from 3.6).",
                len(c.learners),
            ).format(n=len(c.learners), names=member_names(c.learners), max=max_learners),
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
        return make_summary(before.voters + 1, before.healthy, before.learners)
    return make_summary(before.voters, before.healthy, before.learners + 1)


def _check_remove(
    c: _Cluster, change: Remove, v: Verdict, leader_id: int | None, strict: bool
) -> QuorumSummary:
    before = c.summary
    target = c.by_id(change.member_id)
    if target is None:
        # mayRemoveMember counts every voter as "others"; an unknown ID fails at apply time.
        unready = strict and c.started < etcd_quorum(len(c.voters))
        _refuse_unknown_member(
            v,
            change.member_id,
            ERR_NOT_ENOUGH_STARTED if unready else ERR_MEMBER_NOT_FOUND,
            needs_quorum=not unready,
        )
        return before
    if target.is_learner:
        return make_summary(before.voters, before.healthy, before.learners - 1)

    name = label(target)
    target_healthy = target.id in c.healthy
    n = len(c.voters) - 1
    q = etcd_quorum(n)
    others_started = c.started - (1 if target.started else 0)
    after = make_summary(n, before.healthy - (1 if target_healthy else 0), before.learners)
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
            ).format(names=member_names(c.down))
        )
    return after


def _check_promote(c: _Cluster, change: Promote, v: Verdict, strict: bool) -> QuorumSummary:
    before = c.summary
    target = c.by_id(change.member_id)
    if target is None:
        _refuse_unknown_member(v, change.member_id)
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
    after = make_summary(
        before.voters + 1, before.healthy + (1 if learner_healthy else 0), before.learners - 1
    )
    n = len(c.voters) + 1
    q = etcd_quorum(n)
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


_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def peer_endpoint(url: str) -> tuple[str, int] | None:
    """(host, port) that ``url`` reaches, spelled one way: lower case, IP addresses in
    their canonical form, every loopback name as 127.0.0.1. Two URLs with the same
    endpoint are one listener, whatever the scheme or spelling."""
    import ipaddress

    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or port is None:
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host in _LOOPBACK_NAMES:
            host = "127.0.0.1"
    else:
        host = "127.0.0.1" if ip.is_loopback else str(ip)
    return host, port


def _check_update(c: _Cluster, change: UpdatePeerURLs, v: Verdict) -> QuorumSummary:
    """etcd's own checks for MemberUpdate (the member exists, no URL of another member)
    plus etcdtui's: no URL twice, no plaintext downgrade, no alias of another member's
    listener. etcdtui's own refusals can be overridden with --force."""
    before = c.summary
    target = c.by_id(change.member_id)
    if target is None:
        _refuse_unknown_member(v, change.member_id)
        return before
    name = label(target)
    _refuse_bad_urls(change.peer_urls, v, _("No peer URL given for {member}.").format(member=name))
    others = [m for m in c.members if m.id != target.id]
    _refuse_taken_urls(
        change.peer_urls,
        others,
        v,
        lambda _owner: _("Pick the URL {member} really listens on.").format(member=name),
    )
    seen: dict[tuple[str, int], str] = {}
    for url in change.peer_urls:
        ep = peer_endpoint(url)
        if ep is None:
            continue
        if ep in seen:
            v.refuse(
                _("{url} and {other} are the same listener ({host}:{port}), given twice.").format(
                    url=url, other=seen[ep], host=ep[0], port=ep[1]
                ),
                _("Give each peer URL once."),
            )
        seen[ep] = url
        for m in others:
            alias = next((u for u in m.peer_urls if peer_endpoint(u) == ep), None)
            if alias is not None and alias != url.strip():
                v.refuse(
                    _(
                        "{url} reaches the same listener ({host}:{port}) as {other}, the peer "
                        "URL of {member}: the two members would be confused."
                    ).format(url=url, host=ep[0], port=ep[1], other=alias, member=label(m)),
                    _("Pick the URL {member} really listens on.").format(member=name),
                )
    was_tls = any(u.startswith("https://") for u in target.peer_urls)
    plain = [u for u in change.peer_urls if u.strip().lower().startswith("http://")]
    if plain and was_tls:
        v.refuse(
            _(
                "{urls}: {member} peers over TLS now; http:// would send its raft traffic "
                "(every key and value) in plaintext."
            ).format(urls=", ".join(plain), member=name),
            _("Keep https:// peer URLs, or pass --force if the downgrade is intended."),
            _(
                "Keep https:// peer URLs. A deliberate downgrade is not offered in the "
                "console; it takes the command line."
            ),
        )
    elif plain:
        v.warnings.append(
            _("{urls}: plaintext peer traffic (the security scan rates this high).").format(
                urls=", ".join(plain)
            )
        )
    if not target.is_learner and before.tolerance == 0:
        v.warnings.append(
            _(
                "{member} counts toward quorum and {state}: until it listens on the new URL "
                "its peers cannot reach it, and the cluster can stall."
            ).format(member=name, state=describe(before))
        )
    return before


def _check_after(before: QuorumSummary, after: QuorumSummary, change: Change, v: Verdict) -> None:
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
        v.warnings.append(even_warning(after.voters))
