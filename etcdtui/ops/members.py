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
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from etcdtui import errors
from etcdtui.cluster_data import (
    ClusterReading,
    Member,
    MemberList,
    hex_id,
)
from etcdtui.domain import quorum
from etcdtui.i18n import N_, _
from etcdtui.ops.member_service import MemberService as MemberService
from etcdtui.ops.member_verdict import CONFIRMED as CONFIRMED
from etcdtui.ops.member_verdict import KINDS as KINDS
from etcdtui.ops.member_verdict import ClusterView as ClusterView
from etcdtui.ops.member_verdict import MemberPlan as MemberPlan
from etcdtui.ops.member_verdict import MemberRequest as MemberRequest
from etcdtui.ops.member_verdict import etcdctl_command as etcdctl_command
from etcdtui.ops.member_verdict import etcdctl_flags as etcdctl_flags
from etcdtui.ops.member_verdict import find_target as find_target
from etcdtui.ops.member_verdict import initial_cluster as initial_cluster
from etcdtui.ops.member_verdict import judge as judge
from etcdtui.ops.member_verdict import parse_peer_urls as parse_peer_urls
from etcdtui.ops.member_verdict import title_for as title_for

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


class Audit(Protocol):
    def append(self, **record: Any) -> Any: ...


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
    reading = ClusterReading(
        members,
        tuple(statuses),
        tuple(health),
        members_error=failure.cause if failure else None,
        members_error_code=failure.code if failure else None,
    )
    if members is None:
        why = reading.access_error()
        if why is not None:
            raise errors.AccessDenied(why)
        assert failure is not None
        raise failure
    return ClusterView.of_reading(reading)


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

    code = "member-change-deadline"
    default_title = N_("The member change ran out of time")


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
                    return await _send(service, fresh, progress, audit)
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


async def _send(
    service: MemberService, p: MemberPlan, progress: Progress, audit: Audit | None = None
) -> Outcome:
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
        try:
            after = await service.member_remove(target.id)
        except errors.UnhealthyCluster:
            raise  # refused before it was applied: execute() re-checks and resends
        except errors.EtcdtuiError as exc:
            # A leader that removes itself stops once the change is committed, and may
            # answer "server stopped" instead of the new member list: ask the others.
            gone = await _gone(service, target.id, progress)
            if gone is None:
                raise
            _audit_confirmed(service, p, gone, exc, audit)
            return Outcome(
                p,
                _("Removed {m} (etcd answered {why!r}; the member list confirms it).").format(
                    m=label, why=exc.cause
                ),
                members_after=gone,
            )
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


async def _gone(
    service: MemberService, member_id: int, progress: Progress, attempts: int = 8
) -> MemberList | None:
    """The member list once ``member_id`` is out of it, or None if it is still in (or no
    member answers) after a bounded wait for the election a leader's removal starts."""
    for attempt in range(attempts):
        try:
            members = await service.members()
        except errors.EtcdtuiError:
            members = None
        if members is not None and members.by_id(member_id) is None:
            return members
        progress(_("Checking the member list (attempt {n})…").format(n=attempt + 1))
        await asyncio.sleep(1.0)
    return None


def _audit_confirmed(
    service: MemberService,
    p: MemberPlan,
    after: MemberList,
    answer: errors.EtcdtuiError,
    audit: Audit | None,
) -> None:
    """The removal etcd answered with an error, confirmed by the member list after it."""
    if audit is None or p.target is None:
        return
    audit.append(
        action=AUDIT_ACTION[p.kind],
        context=service.settings.context,
        cluster_id=after.cluster_id,
        params={"id": hex_id(p.target.id), "member": p.target.name, "confirmed": True},
        result={"answer": answer.cause, "confirmed_by": "member list"},
        members_before=p.members,
        members_after=after,
    )
