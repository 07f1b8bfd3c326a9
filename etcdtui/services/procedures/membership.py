"""Actions, checks and rollbacks for learner-first membership changes (shared by
replace and scale; listed in :mod:`etcdtui.services.procedures.registry`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from etcdtui import errors
from etcdtui.cluster_data import Member, MemberList, hex_id
from etcdtui.domain import quorum, whatif
from etcdtui.domain.health import is_access_error
from etcdtui.domain.retry import Backoff
from etcdtui.i18n import _
from etcdtui.services.plans import Step
from etcdtui.services.procedures.building_blocks import gather
from etcdtui.services.procedures.context import CheckResult, ExecContext, StepFailed
from etcdtui.services.retry import retry_async

T = TypeVar("T")


def _find(members: MemberList, member_id: int) -> Member | None:
    return members.by_id(member_id)


# --- actions ---------------------------------------------------------------------------------


async def with_reconfig_retry(
    ctx: ExecContext, what: str, call: Callable[[], Awaitable[T]], attempts: int = 6
) -> T:
    """Run a membership change, retrying while etcd answers "unhealthy cluster".

    etcd's strict reconfiguration check judges peers by their connections over the last
    5 s, so right after a start, a restart, a leader change or a remove it refuses a
    change the quorum arithmetic allows. The answer is to wait and retry."""

    def tell(attempt: int, delay: float, exc: errors.EtcdtuiError) -> None:
        ctx.operator.show(
            "  "
            + _(
                "{what} attempt {n}: {why} (etcd judges peers over the last 5 s); "
                "retrying in {d:.0f} s"
            ).format(what=what, n=attempt, why=exc.title, d=delay)
        )

    not_yet: tuple[type[errors.EtcdtuiError], ...] = (
        errors.UnhealthyCluster,
        errors.MemberNotFound,
    )
    return await retry_async(call, Backoff(attempts, 1.0, 4.0), not_yet, tell)


async def add_learner(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    peer = str(step.params["peer_url"])
    m = await with_reconfig_retry(
        ctx,
        _("add"),
        lambda: ctx.cluster.member_add([peer], learner=True, name=str(step.params["name"] or "")),
    )
    ctx.vars[str(step.params["var"])] = hex_id(m.id)
    return {
        "detail": _("added learner {id} for {name}").format(
            id=hex_id(m.id), name=step.params["name"]
        ),
        "member_id": hex_id(m.id),
    }


async def adopt_learner(ctx: ExecContext, step: Step) -> Mapping[str, Any] | None:
    """An add whose answer was lost (the run stopped right after sending it) left a
    member with our peer URL: take its ID instead of adding a second one."""
    var = str(step.params["var"])
    if step.id not in ctx.interrupted and var not in ctx.vars:
        return None
    peer = str(step.params["peer_url"])
    ml = await ctx.cluster.members()
    m = next((x for x in ml.members if peer in x.peer_urls), None)
    if m is None:
        return None
    ctx.vars[var] = hex_id(m.id)
    return {
        "detail": _("already added: member {id} has {url}").format(id=hex_id(m.id), url=peer),
        "member_id": hex_id(m.id),
    }


def _learner_ref(step: Step) -> Any:
    """The "$var" naming the learner a start step is about (older plans: its precondition)."""
    if "member" in step.params:
        return step.params["member"]
    return step.precondition.params.get("member") if step.precondition else None


async def adopt_started(ctx: ExecContext, step: Step) -> Mapping[str, Any] | None:
    """A learner that already runs is never restarted: a restart from an empty data dir
    would make etcd panic (its log is behind what the leader remembers sending)."""
    p = step.params
    member = _learner_ref(step)
    if member is None:
        return None
    try:
        res = await member_started(ctx, {"member": member, "client_url": p["client_url"]})
    except StepFailed:
        return None
    if not res.ok:
        return None
    return {"detail": _("already running: {what}").format(what=res.detail)}


async def adopt_promoted(ctx: ExecContext, step: Step) -> Mapping[str, Any] | None:
    try:
        mid = ctx.member_id(step.params["member"])
    except StepFailed:
        return None
    m = _find(await ctx.cluster.members(), mid)
    if m is not None and not m.is_learner:
        return {"detail": _("already a voter: {id}").format(id=hex_id(mid))}
    return None


async def catch_up(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    mid = ctx.member_id(step.params["member"])
    url = str(step.params["client_url"])
    deadline = time.monotonic() + float(step.params.get("timeout", 120.0))
    last = ""
    while time.monotonic() < deadline:
        learner = await ctx.cluster.endpoint_status(url)
        leader_url = await ctx.cluster._leader_url()
        lead = await ctx.cluster.endpoint_status(leader_url) if leader_url else None
        if learner.ok and lead is not None and lead.ok and lead.raft_index:
            frac = min(1.0, learner.raft_index / lead.raft_index)
            ctx.operator.progress(
                step,
                frac,
                _("learner index {a} / leader index {b}").format(
                    a=learner.raft_index, b=lead.raft_index
                ),
            )
            if learner.member_id == mid and frac >= 0.95:
                return {
                    "detail": _("caught up: index {a} of {b}").format(
                        a=learner.raft_index, b=lead.raft_index
                    )
                }
        else:
            last = learner.error or _("no leader answers")
        await asyncio.sleep(0.5)
    raise StepFailed(
        _("the learner at {url} did not catch up in time ({last})").format(url=url, last=last),
        title=_("Learner never caught up"),
        fix=_("Check its log and start command; or roll back (remove the learner)."),
    )


async def promote(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    mid = ctx.member_id(step.params["member"])

    def retry(attempt: int, delay: float, exc: errors.EtcdtuiError) -> None:
        ctx.operator.show(
            "  "
            + _("promote attempt {n}: {why}; retrying in {d:.1f} s").format(
                n=attempt, why=exc.cause, d=delay
            )
        )

    await ctx.cluster.promote_with_retry(mid, on_retry=retry)
    return {"detail": _("promoted {id}").format(id=hex_id(mid))}


async def verify_voters(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    return {}


async def start_new_member(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    start = getattr(ctx.host, "start_new_member", None)
    if start is None:
        raise StepFailed(_("this host adapter cannot start etcd"))
    p = step.params
    member = _learner_ref(step)
    member_id = hex_id(ctx.member_id(member)) if member is not None else None
    detail = await asyncio.to_thread(
        start,
        str(p["name"]),
        str(p["peer_url"]),
        str(p["client_url"]),
        str(p["initial_cluster"]),
        member_id,
    )
    return {"detail": detail or _("started {name} locally").format(name=p["name"])}


# --- checks ----------------------------------------------------------------------------------


async def whatif_add_learner(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    facts = await gather(ctx.cluster)
    w = whatif.what_if(
        facts.members,
        facts.healthy_ids(),
        whatif.AddLearner((str(params["peer_url"]),)),
        leader_id=facts.leader_id,
    )
    return CheckResult(w.allowed, " ".join(w.reasons) or quorum.describe(w.after))


async def is_learner(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    mid = ctx.member_id(params["member"])
    m = _find(await ctx.cluster.members(), mid)
    if m is None:
        return CheckResult(False, _("member {id} is not in the member list").format(id=hex_id(mid)))
    return CheckResult(
        m.is_learner,
        _("member {id} is a learner").format(id=hex_id(mid))
        if m.is_learner
        else _("member {id} is already a voter").format(id=hex_id(mid)),
    )


async def is_voter(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    mid = ctx.member_id(params["member"])
    m = _find(await ctx.cluster.members(), mid)
    ok = m is not None and not m.is_learner
    return CheckResult(
        ok,
        _("member {id} votes").format(id=hex_id(mid))
        if ok
        else _("member {id} is not a voter").format(id=hex_id(mid)),
    )


async def member_absent(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    mid = ctx.member_id(params["member"])
    ok = _find(await ctx.cluster.members(), mid) is None
    return CheckResult(
        ok,
        _("member {id} is gone").format(id=hex_id(mid))
        if ok
        else _("member {id} is still listed").format(id=hex_id(mid)),
    )


async def member_started(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    mid = ctx.member_id(params["member"])
    st = await ctx.cluster.endpoint_status(str(params["client_url"]))
    if not st.ok and (is_access_error(st.error_code) or "learner" in (st.error or "")):
        # The learner answered but would not serve us (etcd auth): judge it through the
        # voters instead. A member publishes its name and client URLs through raft only
        # once it runs, so a name in the voters' member list proves it started.
        m = _find(await ctx.cluster.members(), mid)
        if m is not None and m.name and m.client_urls:
            return CheckResult(
                True,
                _("{name} is running (its name is published; its own endpoint said: {why})").format(
                    name=m.name, why=st.error
                ),
            )
    if not st.ok:
        return CheckResult(
            False, _("no answer on {url}: {why}").format(url=params["client_url"], why=st.error)
        )
    if st.member_id != mid:
        return CheckResult(
            False,
            _("{url} is member {other}, not {id}").format(
                url=params["client_url"], other=hex_id(st.member_id), id=hex_id(mid)
            ),
        )
    m = _find(await ctx.cluster.members(), mid)
    if m is None or not m.started:
        return CheckResult(
            False, _("member {id} has not published its name yet").format(id=hex_id(mid))
        )
    return CheckResult(True, _("{name} is running").format(name=m.name))


async def voters_healthy(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    members = await ctx.cluster.members()
    voters = [m for m in members.members if not m.is_learner]
    learners = [m for m in members.members if m.is_learner]
    want = int(params["voters"])
    urls = [u for m in voters for u in m.client_urls[:1]]
    health = await ctx.cluster.health(urls) if urls else ()
    bad = [h for h in health if not h.healthy]
    unstarted = [m for m in voters if not m.client_urls]
    if len(voters) != want or learners or bad or unstarted:
        return CheckResult(
            False,
            _("{n} voters (want {want}), {l} learners, unhealthy: {bad}").format(
                n=len(voters),
                want=want,
                l=len(learners),
                bad=", ".join([h.endpoint for h in bad] + [hex_id(m.id) for m in unstarted])
                or _("none"),
            ),
        )
    return CheckResult(
        True,
        _("{n} voters, all healthy: {names}").format(
            n=len(voters), names=", ".join(m.name for m in voters)
        ),
    )


# --- rollbacks -------------------------------------------------------------------------------


async def remove_new_member(ctx: ExecContext, params: Mapping[str, Any]) -> str:
    try:
        mid = ctx.member_id(params["member"])
    except StepFailed:
        return _("nothing to roll back: the learner was never added")
    m = _find(await ctx.cluster.members(), mid)
    if m is None:
        return _("member {id} is already gone").format(id=hex_id(mid))
    if not m.is_learner:
        raise StepFailed(
            _(
                "member {id} is already a voter; remove it with the member "
                "commands if you really mean to"
            ).format(id=hex_id(mid)),
            title=_("Refusing to roll back a voter"),
        )
    await ctx.cluster.member_remove(mid)
    stop = getattr(ctx.host, "forget", None)
    if stop is not None and params.get("name"):
        await asyncio.to_thread(stop, str(params["name"]))
    return _("rolled back: learner {id} ({name}) removed").format(
        id=hex_id(mid), name=params.get("name") or "?"
    )
