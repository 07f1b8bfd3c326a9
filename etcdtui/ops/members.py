"""Member changes: the one use case the CLI (`etcdtui member ...`) and the console
(the member keys and their dialogs) both call.

* :func:`judge` is the verdict, pure: a request against one view of the cluster (member
  list, healthy members, leader). It wraps the membership what-if and adds the rules a
  face must not decide on its own (a name already taken, a peer URL that is not one, a
  leader move to a learner, credentials that hide the cluster).
* :func:`plan` observes the cluster now and judges.
* :func:`execute` re-checks with a fresh member list, status and health right before
  sending, sends with a deadline, retries etcd's "unhealthy cluster" while members that
  started a moment ago connect (bounded), and leaves an audit record: the service records
  what it sent (done or failed), this module what it refused or gave up on.

The faces keep their own presentation only: flags, typed confirmation and exit codes in
the CLI; dialogs and keys in the console.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from etcdtui import errors
from etcdtui.i18n import _
from etcdtui.models import (
    ClusterSnapshot,
    ConnectionSettings,
    EndpointHealth,
    EndpointStatus,
    Member,
    MemberList,
    QuorumSummary,
    hex_id,
)
from etcdtui.services import quorum
from etcdtui.services.whatif import (
    AddLearner,
    AddVoter,
    Change,
    Promote,
    Remove,
    UpdatePeerURLs,
    what_if,
)

KINDS = ("add-learner", "add-voter", "promote", "remove", "update-peer-urls", "move-leader")
# Typed confirmation (the member's name or hex ID) in both faces: each of these can stall
# or shrink the cluster. The CLI's --yes skips it; the console has no way around it.
CONFIRMED = ("remove", "update-peer-urls", "move-leader")
# etcd's audit action names, as ClusterService records what it sends.
AUDIT_ACTION = {
    "add-learner": "member-add",
    "add-voter": "member-add",
    "promote": "member-promote",
    "remove": "member-remove",
    "update-peer-urls": "member-update",
    "move-leader": "move-leader",
}
DEFAULT_DEADLINE = 60.0  # seconds for the re-check, the send and its retries together
UNHEALTHY_WAIT = 20.0  # seconds to keep retrying etcd's "unhealthy cluster" after a start


class MemberService(Protocol):
    """The slice of the cluster service a member change needs (``ClusterService`` and
    the console's test fake both satisfy it)."""

    settings: ConnectionSettings

    def all_endpoints(self) -> list[str]: ...
    async def members(self) -> MemberList: ...
    async def endpoint_status(self, url: str) -> EndpointStatus: ...
    async def endpoint_health(self, url: str) -> EndpointHealth: ...
    async def member_add(
        self, peer_urls: Sequence[str], *, learner: bool = True, name: str = ""
    ) -> Member: ...
    async def member_remove(self, member_id: int) -> MemberList: ...
    async def member_update(self, member_id: int, peer_urls: Sequence[str]) -> MemberList: ...
    async def promote_with_retry(
        self,
        member_id: int,
        *,
        attempts: int = 10,
        first_delay: float = 0.5,
        max_delay: float = 5.0,
        on_retry: Callable[[int, float, Any], None] | None = None,
    ) -> MemberList: ...
    async def move_leader(self, target_id: int) -> None: ...


class Audit(Protocol):
    def append(self, **record: Any) -> Any: ...


def title_for(kind: str) -> str:
    return {
        "add-learner": _("Add a learner"),
        "add-voter": _("Add a voter"),
        "promote": _("Promote a learner"),
        "remove": _("Remove a member"),
        "update-peer-urls": _("Update peer URLs"),
        "move-leader": _("Move leadership"),
    }[kind]


# --- the request and the view it is judged against -----------------------------------------


@dataclass(frozen=True)
class MemberRequest:
    """One member change as a face asks for it.

    ``target``: the member, by ID (the console: the selected row) or by the name or hex ID
    the operator typed (the CLI), including the name an unstarted member was added with.
    ``peer_urls``: comma-separated, as typed. ``name``: the new member's, for an add.
    ``force``: go past etcdtui's own policy (never past what etcd itself would refuse).
    """

    kind: str
    target: int | str | None = None
    peer_urls: str = ""
    name: str = ""
    force: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise errors.UsageError(_("unknown member change {kind!r}").format(kind=self.kind))


@dataclass(frozen=True)
class ClusterView:
    """What a verdict is judged on: one observation of the cluster."""

    members: MemberList
    healthy_ids: frozenset[int]
    leader_id: int | None
    access_error: str | None = None

    @classmethod
    def of(
        cls,
        members: MemberList,
        healthy_ids: Collection[int],
        leader_id: int | None,
        access_error: str | None = None,
    ) -> ClusterView:
        return cls(members, frozenset(healthy_ids), leader_id, access_error)

    @classmethod
    def of_snapshot(cls, snap: ClusterSnapshot) -> ClusterView:
        if snap.members is None:
            raise errors.EtcdtuiError(
                snap.members_error or _("no member answered"), title=_("Cannot list members")
            )
        return cls.of(snap.members, snap.healthy_ids(), snap.leader, snap.access_error())


async def observe(service: MemberService) -> ClusterView:
    """A fresh member list, then status and health of every endpoint, in parallel.

    Credentials that etcd refuses hide the cluster: that is an access error, never a
    verdict on members we were not allowed to see."""
    failure: errors.EtcdtuiError | None = None
    members: MemberList | None = None
    try:
        members = await service.members()
    except errors.EtcdtuiError as exc:
        failure = exc
    urls = service.all_endpoints()
    statuses, health = await asyncio.gather(
        asyncio.gather(*(service.endpoint_status(u) for u in urls)),
        asyncio.gather(*(service.endpoint_health(u) for u in urls)),
    )
    snap = ClusterSnapshot(
        members,
        tuple(statuses),
        tuple(health),
        members_error=failure.cause if failure else None,
        members_error_code=failure.code if failure else None,
    )
    if members is None:
        why = snap.access_error()
        if why is not None:
            raise errors.AccessDenied(why)
        assert failure is not None
        raise failure
    return ClusterView.of_snapshot(snap)


def find_target(members: MemberList, ref: int | str | None) -> Member | None:
    """The member ``ref`` names: an ID, a name, a hex ID, or the name an unstarted member
    was added with (etcd learns names only when a member starts)."""
    if ref is None:
        return None
    if isinstance(ref, int):
        return members.by_id(ref)
    found = members.find(ref)
    if found is None:
        from etcdtui.services import added_names

        added = added_names.find(members, ref)
        found = members.by_id(added) if added is not None else None
    return found


def parse_peer_urls(text: str) -> tuple[tuple[str, ...], str | None]:
    """Comma-separated peer URLs, each as ``scheme://host:port`` (a bare ``host:port``
    means https), and the first problem, if any."""
    from etcdtui.services.etcdapi.connection import parse_endpoint

    raw = [u.strip() for u in text.split(",") if u.strip()]
    if not raw:
        return (), _("Enter at least one peer URL, e.g. https://10.0.0.4:2380.")
    urls: list[str] = []
    for u in raw:
        try:
            urls.append(parse_endpoint(u, insecure=True).url)
        except errors.EtcdtuiError:
            return tuple(raw), _("{url!r} must look like https://host:2380 (no path).").format(
                url=u
            )
    return tuple(urls), None


# --- the verdict ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberPlan:
    """The verdict on one request, and what a face needs to show it."""

    request: MemberRequest
    members: MemberList  # the member list it was judged on
    target: Member | None
    before: QuorumSummary
    after: QuorumSummary
    allowed: bool
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    fix: str | None
    command: str  # the equivalent etcdctl command
    confirm_text: str | None  # what the operator types to confirm (or the hex ID)
    target_is_leader: bool = False
    peer_urls: tuple[str, ...] = ()
    server_error: str | None = None  # etcd's exact refusal, when etcd itself would refuse
    overridable: bool = False  # refused by etcdtui's policy only: --force goes past it
    error_class: type[errors.EtcdtuiError] = field(default=errors.QuorumRefusal, repr=False)

    @property
    def kind(self) -> str:
        return self.request.kind

    @property
    def title(self) -> str:
        return title_for(self.kind)

    @property
    def runnable(self) -> bool:
        """Allowed, or refused by our own policy only and the request says --force."""
        return self.allowed or (self.request.force and self.overridable)

    def refusal(self) -> errors.EtcdtuiError:
        """The error a face raises (or shows) when the plan is not runnable."""
        title = None
        if self.server_error:
            title = _('Not sent: etcd would answer "{error}"').format(error=self.server_error)
        return self.error_class(" ".join(self.reasons), title=title, fix=self.fix or "")

    def verdict(self) -> dict[str, object]:
        """The verdict alone: what the same-verdict test compares across the faces."""
        return {
            "kind": self.kind,
            "allowed": self.allowed,
            "reasons": list(self.reasons),
            "server_error": self.server_error,
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
        }

    def as_dict(self) -> dict[str, object]:
        return self.verdict() | {
            "target": hex_id(self.target.id) if self.target else None,
            "warnings": list(self.warnings),
            "fix": self.fix,
            "overridable": self.overridable,
            "etcdctl": self.command,
        }


def _change(req: MemberRequest, target: Member | None, urls: tuple[str, ...]) -> Change | None:
    if req.kind == "add-learner":
        return AddLearner(urls, name=req.name.strip())
    if req.kind == "add-voter":
        return AddVoter(urls, name=req.name.strip())
    if target is None:
        return None
    if req.kind == "promote":
        return Promote(target.id)
    if req.kind == "remove":
        return Remove(target.id)
    if req.kind == "update-peer-urls":
        return UpdatePeerURLs(target.id, urls)
    return None  # move-leader: no membership change


def judge(
    req: MemberRequest,
    view: ClusterView,
    settings: ConnectionSettings,
    target: Member | None = None,
) -> MemberPlan:
    """The verdict on ``req`` against ``view``. Pure: the console calls it on every key
    press, the CLI once before asking to confirm, :func:`execute` right before sending.
    ``target``: the member already looked up (else ``req.target`` is looked up)."""
    kind = req.kind
    members = view.members
    if target is None:
        target = find_target(members, req.target)
    adding = kind in ("add-learner", "add-voter")
    with_urls = adding or kind == "update-peer-urls"
    urls, url_problem = parse_peer_urls(req.peer_urls) if with_urls else ((), None)
    name = req.name.strip()
    before = quorum.summarize(members, view.healthy_ids)
    leader = view.leader_id
    command = etcdctl_command(settings, kind, target, urls, name)
    base = {
        "request": req,
        "members": members,
        "target": target,
        "before": before,
        "command": command,
        "peer_urls": urls,
        "target_is_leader": target is not None and target.id == leader,
    }
    if view.access_error is not None:
        return MemberPlan(
            after=before,
            allowed=False,
            reasons=(
                _(
                    "etcd refused these credentials ({why}); the members answered, so this is "
                    "not quorum loss and the what-if cannot judge the change."
                ).format(why=view.access_error),
            ),
            warnings=(),
            fix=_(
                "Do not restore. Reconnect with a user that has the root role (--user, "
                "ETCDTUI_PASSWORD) or the right client certificate."
            ),
            confirm_text=None,
            error_class=errors.AccessDenied,
            **base,  # type: ignore[arg-type]
        )
    reasons: list[str] = []
    warnings: list[str] = []
    fix: str | None = None
    after = before
    server_error: str | None = None
    overridable = False
    error_class: type[errors.EtcdtuiError] = errors.QuorumRefusal
    change = None if url_problem else _change(req, target, urls)
    if change is not None:
        verdict = what_if(members, view.healthy_ids, change, leader_id=leader)
        after, fix = verdict.after, verdict.fix
        reasons += verdict.reasons
        warnings += verdict.warnings
        server_error, overridable = verdict.server_error, verdict.overridable
        error_class = quorum.SERVER_ERRORS.get(server_error or "", errors.QuorumRefusal)
    elif not before.has_quorum:
        reasons.append(
            _("{state}. Quorum is lost, so etcd cannot commit any membership change.").format(
                state=quorum.describe(before)
            )
        )
        fix = _("Bring the failed members back, or restore the cluster from a snapshot.")
    if url_problem:
        reasons.append(url_problem)
        fix = fix or _("Use a URL like https://10.0.0.4:2380.")
        error_class = errors.UsageError
    if adding:
        if not name:
            reasons.append(_("Enter the new member's name (used in --initial-cluster)."))
            error_class = errors.UsageError
        elif _name_taken(members, name):
            reasons.append(_("A member named {name!r} already exists.").format(name=name))
            fix = fix or _("Pick another name, or replace the existing member.")
            error_class = errors.UsageError
    elif target is None:
        reasons.append(_("Select a member first."))
        error_class = errors.MemberNotFound
    if kind == "move-leader" and target is not None:
        if leader is None:
            reasons.append(_("No member reports a leader."))
            error_class = errors.NoLeader
        elif target.id == leader:  # idempotent: a script may ask twice
            warnings.append(
                _("{m} is already the leader: nothing will be sent.").format(m=quorum.label(target))
            )
        if target.is_learner:
            reasons.append(_("A learner cannot become leader; promote it first."))
        elif target.id not in view.healthy_ids:
            reasons.append(_("{m} is not healthy.").format(m=quorum.label(target)))
    confirm = None
    if kind in CONFIRMED and target is not None:
        confirm = target.name or hex_id(target.id)
    return MemberPlan(
        after=after,
        allowed=not reasons,
        reasons=tuple(dict.fromkeys(reasons)),
        warnings=tuple(warnings),
        fix=fix,
        confirm_text=confirm,
        server_error=server_error,
        overridable=overridable and not url_problem and (target is not None or adding),
        error_class=error_class,
        **base,  # type: ignore[arg-type]
    )


def _name_taken(members: MemberList, name: str) -> bool:
    if members.by_name(name) is not None:
        return True
    from etcdtui.services import added_names

    return added_names.find(members, name) is not None


async def plan(service: MemberService, req: MemberRequest) -> MemberPlan:
    """Observe the cluster now and judge ``req``. An unknown member is an error here (the
    CLI names it), not a verdict."""
    view = await observe(service)
    target = _lookup(view, req)
    return judge(req, view, service.settings, target)


def _lookup(view: ClusterView, req: MemberRequest) -> Member | None:
    if req.kind in ("add-learner", "add-voter") or req.target is None:
        return None
    target = find_target(view.members, req.target)
    if target is not None:
        return target
    if isinstance(req.target, int):
        raise errors.PreconditionFailed(
            _("member {id} is no longer in the member list").format(id=hex_id(req.target)),
            fix=_("List the members again: it may already be gone."),
        )
    raise errors.MemberNotFound(
        _("no member named or with ID {ref!r}").format(ref=req.target),
        fix=_("List the members (etcdtui members, or the members pane) for names and IDs."),
    )


# --- equivalent etcdctl command and the new member's start flags ---------------------------


def etcdctl_flags(settings: ConnectionSettings) -> list[str]:
    flags = ["--endpoints=" + ",".join(settings.endpoints)]
    for name, path in (("cacert", settings.cacert), ("cert", settings.cert), ("key", settings.key)):
        if path is not None:
            flags.append(f"--{name}={path}")
    if settings.user:
        flags.append(f"--user={settings.user}")  # the password is prompted, never shown
    return flags


def etcdctl_command(
    settings: ConnectionSettings,
    kind: str,
    target: Member | None,
    peer_urls: Sequence[str] = (),
    name: str = "",
) -> str:
    tid = hex_id(target.id) if target else "<ID>"
    urls = ",".join(peer_urls) or "<PEER-URL>"
    add = ["member", "add", name or "<NAME>", f"--peer-urls={urls}"]
    args = {
        "add-learner": [*add, "--learner"],
        "add-voter": add,
        "promote": ["member", "promote", tid],
        "remove": ["member", "remove", tid],
        "update-peer-urls": ["member", "update", tid, f"--peer-urls={urls}"],
        "move-leader": ["move-leader", tid],
    }[kind]
    return shlex.join(["etcdctl", *etcdctl_flags(settings), *args])


def initial_cluster(members: MemberList, name: str, peer_urls: Sequence[str]) -> str:
    """``--initial-cluster`` for a member about to join: every started member with each of
    its peer URLs, then the new one."""
    parts = [f"{m.name}={u}" for m in members.members if m.name for u in m.peer_urls]
    parts += [f"{name}={u}" for u in peer_urls]
    return ",".join(parts)


# --- sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a change did, for the face to print."""

    plan: MemberPlan  # the re-check it was sent on
    message: str
    added: Member | None = None
    members_after: MemberList | None = None
    initial_cluster: str = ""


Progress = Callable[[str], None]


def _no_progress(_text: str) -> None:
    return None


class ChangeDeadline(errors.DeadlineExceeded):
    """The whole change (re-check, send, retries) ran out of time."""


def audit_unsent(
    service: MemberService,
    req: MemberRequest,
    error: errors.EtcdtuiError,
    audit: Audit | None,
    plan: MemberPlan | None = None,
    *,
    sent: bool = False,
) -> None:
    """Record a change that was asked for and refused, given up on, or timed out. What the
    service sent and got an answer to, it records itself."""
    if audit is None:
        return
    params: dict[str, Any] = {"kind": req.kind, "sent": sent}
    target = plan.target if plan is not None else None
    if target is not None:
        params |= {"id": hex_id(target.id), "member": target.name}
    elif req.target is not None:
        params["member"] = hex_id(req.target) if isinstance(req.target, int) else req.target
    if req.peer_urls:
        params["peer_urls"] = list(plan.peer_urls) if plan and plan.peer_urls else req.peer_urls
    if req.name:
        params["name"] = req.name.strip()
    if req.force:
        params["force"] = True
    audit.append(
        action=AUDIT_ACTION[req.kind],
        context=service.settings.context,
        cluster_id=plan.members.cluster_id if plan is not None else None,
        params=params,
        result={"verdict": plan.verdict()} if plan is not None else None,
        error=error,
        members_before=plan.members if plan is not None else None,
    )


def refuse_unless_runnable(
    service: MemberService, plan: MemberPlan, audit: Audit | None = None
) -> None:
    """Raise (and audit) the refusal when ``plan`` may not run."""
    if plan.runnable:
        return
    err = plan.refusal()
    audit_unsent(service, plan.request, err, audit, plan)
    raise err


async def execute(
    service: MemberService,
    req: MemberRequest,
    *,
    audit: Audit | None = None,
    progress: Progress = _no_progress,
    deadline: float = DEFAULT_DEADLINE,
    unhealthy_wait: float = UNHEALTHY_WAIT,
) -> Outcome:
    """Re-check with fresh data, then send; while etcd answers "unhealthy cluster" to an
    add or a remove, re-check and resend until ``unhealthy_wait`` has passed. Everything
    together ends within ``deadline`` seconds. A refusal is raised and audited."""
    if service.settings.read_only:
        err: errors.EtcdtuiError = errors.ReadOnlyMode(
            _("{what}: this session is read-only; nothing was sent").format(
                what=title_for(req.kind)
            )
        )
        audit_unsent(service, req, err, audit)
        raise err
    start = time.monotonic()
    give_up = start + min(unhealthy_wait, deadline)
    delay = 0.5
    attempt = 0
    fresh: MemberPlan | None = None
    try:
        async with asyncio.timeout(deadline):
            while True:
                attempt += 1
                progress(_("Re-checking: fresh member list and health…"))
                fresh = await plan(service, req)
                refuse_unless_runnable(service, fresh, audit)
                progress(_("Sending {what}…").format(what=title_for(req.kind).lower()))
                try:
                    return await _send(service, fresh, progress)
                except errors.UnhealthyCluster as exc:
                    # etcd judges "active" by peer traffic over the last 5 s, so members
                    # that started a moment ago do not count yet. etcd refused the change
                    # before applying it: resending is safe.
                    left = give_up - time.monotonic()
                    if req.kind not in ("add-learner", "add-voter", "remove"):
                        raise
                    if left <= 0:
                        err = _still_unhealthy(attempt, time.monotonic() - start, exc)
                        audit_unsent(service, req, err, audit, fresh)
                        raise err from None
                    wait = min(delay, left)
                    progress(
                        _(
                            'etcd answered "unhealthy cluster" (members still connecting); '
                            "retry in {s:.1f} s…"
                        ).format(s=wait)
                    )
                    await asyncio.sleep(wait)
                    delay = min(delay * 2, 4.0)
    except TimeoutError:
        err = ChangeDeadline(
            _(
                "{what}: no result within {s:.0f} s; the change may or may not have been applied"
            ).format(what=title_for(req.kind), s=deadline),
            fix=_("List the members to see whether it was, then retry if it was not."),
        )
        audit_unsent(service, req, err, audit, fresh, sent=fresh is not None and fresh.runnable)
        raise err from None


def _still_unhealthy(attempts: int, waited: float, exc: errors.EtcdtuiError) -> errors.EtcdtuiError:
    return errors.UnhealthyCluster(
        _(
            'etcd answered "unhealthy cluster" {n} times over {s:.0f} s ({why}): the member '
            "that received the change has not heard from every voter in the last 5 s."
        ).format(n=attempts, s=waited, why=exc.cause),
        fix=_(
            "Check that every member is running and reachable on its peer URL (members that "
            "just started need a few seconds to connect), then retry."
        ),
    )


async def _send(service: MemberService, p: MemberPlan, progress: Progress) -> Outcome:
    kind = p.kind
    if kind in ("add-learner", "add-voter"):
        name = p.request.name.strip()
        added = await service.member_add(p.peer_urls, learner=kind == "add-learner", name=name)
        cluster = initial_cluster(p.members, name, p.peer_urls)
        what = _("learner") if added.is_learner else _("voter")
        return Outcome(
            p,
            _(
                "Added {what} {id}. Start {name} with --initial-cluster-state existing "
                "--initial-cluster {cluster}"
            ).format(what=what, id=hex_id(added.id), name=name, cluster=cluster),
            added=added,
            initial_cluster=cluster,
        )
    target = p.target
    assert target is not None
    label = quorum.label(target)
    if kind == "promote":

        def retry(attempt: int, delay: float, exc: Any) -> None:
            progress(
                _("Learner not in sync yet (attempt {n}); retrying in {s:.1f} s…").format(
                    n=attempt, s=delay
                )
            )

        after = await service.promote_with_retry(target.id, on_retry=retry)
        return Outcome(p, _("Promoted {m} to voter.").format(m=label), members_after=after)
    if kind == "remove":
        after = await service.member_remove(target.id)
        return Outcome(p, _("Removed {m}.").format(m=label), members_after=after)
    if kind == "update-peer-urls":
        after = await service.member_update(target.id, p.peer_urls)
        return Outcome(p, _("Updated the peer URLs of {m}.").format(m=label), members_after=after)
    if p.target_is_leader:
        return Outcome(p, _("{m} already leads: nothing was sent.").format(m=label))
    await service.move_leader(target.id)
    return Outcome(
        p, _("Leadership moved to {m}.").format(m=label), members_after=await service.members()
    )
