"""Replace a failed member, learner first: remove it, add the new one as a learner, start
it with --initial-cluster-state=existing, promote it once in sync. The procedure of
etcd's "Runtime reconfiguration" guide (etcd.io/docs/v3.5/op-guide/runtime-configuration/,
"Replace a failed machine"), its learner design (etcd.io/docs/v3.5/learning/design-learner/)
and Kubernetes' "Operating etcd clusters for Kubernetes" task page
(kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/, "Replacing a failed
etcd member").

:func:`build_replace_plan` is pure (facts in, plan out) so the runbook is stable for a
fixed input; :func:`plan_replace` gathers the facts from a live cluster first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import Member, hex_id
from etcdtui.domain import quorum, whatif
from etcdtui.domain.membership import initial_cluster
from etcdtui.i18n import N_, _
from etcdtui.services.cluster import ClusterService
from etcdtui.services.plans import (
    Clock,
    Plan,
    Ref,
    Step,
    TokenSource,
    Where,
    new_plan_id,
    random_token,
    system_clock,
)
from etcdtui.services.procedures.building_blocks import (
    ClusterFacts,
    MemberTLS,
    StartOptions,
    default_client_url,
    etcd_servers,
    gather,
    learner_steps,
    verify_step,
)
from etcdtui.services.procedures.context import CheckResult, ExecContext, StepFailed


class MemberNotFailed(errors.EtcdtuiError):
    code = "member-not-failed"
    default_title = N_("Refused: the member is not failed")


@dataclass(frozen=True)
class ReplaceRequest(StartOptions):
    member: str  # name or hex ID of the failed member
    new_name: str | None = None
    new_peer_url: str | None = None
    new_client_url: str | None = None
    data_dir: str = "/var/lib/etcd"
    tls: MemberTLS = field(default_factory=MemberTLS)
    force: bool = False  # replace a member that still answers
    observe_seconds: float = 2.0
    # the evidence behind this replacement (etcdtui evidence): why, then its table
    findings: tuple[str, ...] = ()


def find_member(facts: ClusterFacts, ref: str) -> Member:
    m = facts.members.find(ref)
    if m is None:
        known = ", ".join(f"{x.name or '?'} ({x.hex_id})" for x in facts.members.members)
        raise errors.MemberNotFound(
            _("no member named or with ID {ref!r}; members: {known}").format(ref=ref, known=known)
        )
    return m


def failure_explanation(facts: ClusterFacts, m: Member) -> tuple[bool, str]:
    """(failed?, how it was decided) from one observation."""
    name = m.name or m.hex_id
    if not m.client_urls:
        return True, _("{name} has never started: the member list shows no client URL.").format(
            name=name
        )
    if facts.status_of(m) is not None:
        h = facts.health_of(m)
        if h is not None and h.healthy:
            return False, _("{name} answers status and health checks on {url}.").format(
                name=name, url=m.client_urls[0]
            )
        return True, _(
            "{name} answers status but fails the linearizable health read ({why})."
        ).format(name=name, why=h.error if h else _("no answer"))
    st = facts.failed_status(m)
    h = facts.health_of(m)
    return True, _(
        "{name} gave no status answer on {url} ({why}) and its health read failed ({hwhy})."
    ).format(
        name=name,
        url=", ".join(m.client_urls),
        why=st.error if st else _("no answer"),
        hwhy=h.error if h and h.error else _("no answer"),
    )


def build_replace_plan(
    facts: ClusterFacts,
    req: ReplaceRequest,
    *,
    tokens: TokenSource = random_token,
    clock: Clock = system_clock,
) -> Plan:
    old = find_member(facts, req.member)
    failed, how = failure_explanation(facts, old)
    if not failed and not req.force:
        raise MemberNotFailed(
            how,
            fix=_(
                "Pass --force to replace a healthy member (for example to move it to another host)."
            ),
            console_fix=_(
                "The console replaces only a failed member. To move a healthy member, plan it "
                "with `etcdtui replace` in a shell (docs/procedures.md)."
            ),
        )
    healthy = facts.healthy_ids()
    verdict = whatif.what_if(
        facts.members, healthy, whatif.Remove(old.id), leader_id=facts.leader_id
    )
    verdict.raise_if_refused()
    old_name = old.name or old.hex_id
    new_name = req.new_name or old.name or f"{old.hex_id}-new"
    peer = req.new_peer_url or (old.peer_urls[0] if old.peer_urls else "")
    if not peer:
        raise errors.UsageError(
            _("{name} has no peer URL to reuse").format(name=old_name),
            fix=_("Pass --new-peer-url https://HOST:2380."),
            console_fix=_(
                "Plan this replacement with `etcdtui replace` in a shell, naming the new peer "
                "URL (docs/procedures.md)."
            ),
        )
    client = req.new_client_url or (
        old.client_urls[0] if old.client_urls and not req.new_peer_url else default_client_url(peer)
    )
    others = [m for m in facts.members.members if m.id != old.id]
    cluster = initial_cluster(
        [(m.name, m.peer_urls) for m in others if m.name and m.peer_urls] + [(new_name, peer)]
    )
    voters = len([m for m in facts.members.members if not m.is_learner])
    survivors = [m.client_urls[0] for m in others if m.client_urls]
    leader_note = (
        _("{name} is the leader now: leadership moves to a healthy member first.")
        if facts.leader_id == old.id
        else _("{name} is not the leader now; the step re-checks before it runs.")
    ).format(name=old_name)
    steps = [
        Step(
            id="detect",
            title=_("Confirm that {name} has failed").format(name=old_name),
            why=_("Only a member that stays unreachable is replaced; a slow one may recover."),
            where=Where("cluster-api"),
            action="replace.detect",
            display=f"etcdctl endpoint status --endpoints={','.join(old.client_urls) or '-'}",
            params={"member": old.hex_id, "seconds": req.observe_seconds, "force": req.force},
            notes=(how,),
        ),
        Step(
            id="quorum",
            title=_("Check quorum for removing {name}").format(name=old_name),
            why=_(
                "Removing a voter shrinks the quorum; the what-if refuses a change that "
                "would leave too few healthy voters."
            ),
            where=Where("cluster-api"),
            action="replace.quorum",
            display="etcdctl endpoint health --cluster",
            params={"member": old.hex_id},
            check=Ref(
                "what-if-remove",
                _("the quorum what-if allows removing {name}").format(name=old_name),
                {"member": old.hex_id},
            ),
        ),
        Step(
            id="move-leader",
            title=_("Move leadership away from {name} if it leads").format(name=old_name),
            why=_(
                "Removing the leader stalls writes for an election timeout; moving "
                "leadership first avoids it."
            ),
            where=Where("cluster-api"),
            action="replace.move-leader",
            display="etcdctl move-leader <HEALTHY_MEMBER_ID>",
            params={"member": old.hex_id},
            notes=(leader_note,),
        ),
        Step(
            id="drop-from-apiservers",
            title=_("Take {name} out of every kube-apiserver's --etcd-servers").format(
                name=old_name
            ),
            why=_(
                "kube-apiservers must stop sending requests to a member that is going away "
                "(update the load balancer too); also stop etcd on the broken node."
            ),
            where=Where("apiserver-hosts"),
            action="operator",
            display=etcd_servers(survivors),
        ),
        Step(
            id="remove",
            title=_("Remove {name} ({id}) from the cluster").format(name=old_name, id=old.hex_id),
            why=_("The failed member still counts toward quorum until it is removed."),
            where=Where("cluster-api"),
            action="member.remove",
            command=("etcdctl", "member", "remove", old.hex_id),
            params={"member": old.hex_id, "name": old.name},
            precondition=Ref(
                "what-if-remove", _("the quorum what-if still allows it"), {"member": old.hex_id}
            ),
            check=Ref(
                "member-absent",
                _("{id} is no longer listed").format(id=old.hex_id),
                {"member": old.hex_id},
            ),
            destructive=True,
        ),
        Step(
            id="wait-peer-url",
            title=_("Wait more than 1 s before reusing the peer URL"),
            why=_(
                "A member ID is derived from its peer URLs and the time; an add right after "
                'the remove can fail with "member not found".'
            ),
            where=Where("cluster-api"),
            action="wait",
            display="sleep 1.5",
            params={"seconds": 1.5},
        ),
    ]
    steps += learner_steps(
        "",
        name=new_name,
        peer_url=peer,
        client_url=client,
        cluster=cluster,
        data_dir=req.data_dir,
        tls=req.tls,
        binary=req.etcd_binary,
        start_timeout=req.start_timeout,
        var="new_member_id",
    )
    new_servers = etcd_servers([*survivors, client])
    steps += [
        verify_step("verify", voters),
        Step(
            id="update-apiservers",
            title=_("Add the new member to --etcd-servers"),
            why=_("kube-apiservers only use the endpoints they are given."),
            where=Where("apiserver-hosts"),
            action="operator",
            display=new_servers,
        ),
    ]
    summary = (
        *req.findings[:1],
        how,
        *(_("Evidence: {row}").format(row=r) for r in req.findings[1:]),
        quorum.describe(verdict.before)
        + ". "
        + _("After the remove: {after}.").format(after=quorum.describe(verdict.after)),
    )
    return Plan(
        id=new_plan_id("replace", tokens),
        title=_("Replace failed member {name}").format(name=old_name),
        kind="replace",
        steps=tuple(steps),
        context={
            "member": old.as_dict(),
            "new_name": new_name,
            "new_peer_url": peer,
            "new_client_url": client,
            "initial_cluster": cluster,
            "etcd_servers": new_servers,
            "cluster_id": hex_id(facts.members.cluster_id),
            "etcdctl_env": dict(req.etcdctl_env),
        },
        summary=summary,
        warnings=verdict.warnings,
        created=clock().isoformat(timespec="seconds"),
    )


async def plan_replace(svc: ClusterService, req: ReplaceRequest, **kw: Any) -> Plan:
    return build_replace_plan(await gather(svc), req, **kw)


# --- actions and checks ----------------------------------------------------------------------


async def detect_failure(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    mid = ctx.member_id(step.params["member"])
    deadline = time.monotonic() + float(step.params.get("seconds", 2.0))
    samples = 0
    while True:
        facts = await gather(ctx.cluster)
        m = facts.members.by_id(mid)
        if m is None:
            raise StepFailed(
                _("member {id} is no longer in the member list").format(id=hex_id(mid))
            )
        failed, how = failure_explanation(facts, m)
        samples += 1
        if not failed and not step.params.get("force"):
            raise MemberNotFailed(how, fix=_("It recovered: nothing to replace."))
        if time.monotonic() >= deadline:
            return {"detail": _("{how} ({n} checks)").format(how=how, n=samples)}
        await asyncio.sleep(0.5)


async def whatif_remove(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    mid = ctx.member_id(params["member"])
    facts = await gather(ctx.cluster)
    w = whatif.what_if(
        facts.members, facts.healthy_ids(), whatif.Remove(mid), leader_id=facts.leader_id
    )
    return CheckResult(w.allowed, " ".join(w.reasons) or quorum.describe(w.after))


async def refuse_unless_quorum_survives(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    mid = ctx.member_id(step.params["member"])
    facts = await gather(ctx.cluster)
    w = whatif.what_if(
        facts.members, facts.healthy_ids(), whatif.Remove(mid), leader_id=facts.leader_id
    )
    w.raise_if_refused()
    return {"detail": quorum.describe(w.before) + " -> " + quorum.describe(w.after)}


async def move_leader_away(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    mid = ctx.member_id(step.params["member"])
    facts = await gather(ctx.cluster)
    if facts.leader_id != mid:
        return {"detail": _("not needed: {id} is not the leader").format(id=hex_id(mid))}
    healthy = [
        m
        for m in facts.members.members
        if m.id in facts.healthy_ids() and m.id != mid and not m.is_learner
    ]
    if not healthy:
        raise StepFailed(_("no healthy voter to take over leadership"))
    await ctx.cluster.move_leader(healthy[0].id)
    return {"detail": _("leadership moved to {name}").format(name=healthy[0].name)}


async def adopt_removed(ctx: ExecContext, step: Step) -> Mapping[str, Any] | None:
    """The member is already gone (our own remove whose answer was lost, or someone
    else's): nothing to remove, only the host records to tidy."""
    mid = ctx.member_id(step.params["member"])
    if (await ctx.cluster.members()).by_id(mid) is not None:
        return None
    name = step.params.get("name")
    forget = getattr(ctx.host, "forget", None)
    if forget is not None and name:
        await asyncio.to_thread(forget, str(name))
    return {"detail": _("already removed: {id} is not in the member list").format(id=hex_id(mid))}


async def remove_member(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    mid = ctx.member_id(step.params["member"])
    from etcdtui.services.procedures.membership import with_reconfig_retry

    await with_reconfig_retry(ctx, _("remove"), lambda: ctx.cluster.member_remove(mid))
    name = step.params.get("name")
    forget = getattr(ctx.host, "forget", None)
    if forget is not None and name:
        await asyncio.to_thread(forget, str(name))
    return {"detail": _("removed {id}").format(id=hex_id(mid))}


# --- evidence: which member to replace ---------------------------------------------------------


class EvidenceRefused(errors.EtcdtuiError):
    code = "evidence-refused"
    default_title = N_("Refused: the evidence says otherwise")


@dataclass(frozen=True)
class EvidenceChoice:
    member: Member  # the member to replace
    reason: str  # why, in the evidence's words
    diverged: bool  # its data diverged: replace it even though it answers
    rows: tuple[str, ...]  # the evidence table, for the plan's findings


def evidence_choice(found: Any, facts: ClusterFacts, named: str | None) -> EvidenceChoice:
    """The member the evidence says to replace: ``named``, or else the one whose data
    diverged. Refuses the member whose data dir is the most advanced survivor."""
    from etcdtui.services.procedures.rebuild import evidence_rows

    def owner(d: Any) -> Member | None:
        node = d.wal.node_id if d.wal and d.wal.node_id else None
        return facts.members.by_id(node) if node else None

    diverged = [(m, d) for d in found.dirs if d.diverged_from and (m := owner(d)) is not None]
    best = found.best
    # the most advanced survivor, and any dir as advanced as it (a tie)
    leaders = {
        o.id: d
        for d in found.dirs
        if best is not None and d.ok and not d.diverged_from and d.rank == best.rank
        if (o := owner(d)) is not None
    }
    rows = evidence_rows(found)
    if named:
        target = find_member(facts, named)
    elif diverged:
        target = diverged[0][0]
    else:
        raise errors.UsageError(
            _("the evidence shows no member whose data diverged"),
            fix=_("Name the member to replace: etcdtui member replace NAME --evidence DIR..."),
            console_fix=_("Name the member to replace: :replace NAME."),
        )
    name = target.name or target.hex_id
    if target.id in leaders:
        top = leaders[target.id]
        others = [m.name or m.hex_id for m, _d in diverged]
        raise EvidenceRefused(
            _(
                "{name}'s data dir {path} is the most advanced of the evidence (applied index "
                "{applied}, revision {rev}); replacing it would throw away the newest copy of "
                "the data"
            ).format(name=name, path=top.path, applied=top.consistent_index, rev=top.revision),
            fix=(
                _("Replace the member whose data diverged: etcdtui member replace {n} --evidence …")
                if others
                else _("Replace a member whose data dir is behind or diverged, not {name}.")
            ).format(n=", ".join(others), name=name),
            console_fix=(
                _("Replace the member whose data diverged: :replace {n}.")
                if others
                else _("Replace a member whose data dir is behind or diverged, not {name}.")
            ).format(n=", ".join(others), name=name),
        )
    mine = next((d for m, d in diverged if m.id == target.id), None)
    if mine is not None:
        reason = _(
            "The evidence: {name}'s data ({path}) diverged from the majority's ({others}) over "
            "revisions they all hold; it is replaced even though it answers."
        ).format(name=name, path=mine.path, others=", ".join(mine.diverged_from))
    else:
        reason = _("The evidence does not single out {name}; it was named.").format(name=name)
        own = next(
            (d for d in found.dirs if (o := owner(d)) is not None and o.id == target.id), None
        )
        if best is not None and own is not None and (own.revision or 0) < (best.revision or 0):
            reason = _(
                "The evidence: {name}'s data ({path}, revision {rev}) is behind the most "
                "advanced ({best}, revision {brev})."
            ).format(name=name, path=own.path, rev=own.revision, best=best.path, brev=best.revision)
    return EvidenceChoice(target, reason, mine is not None, rows)
