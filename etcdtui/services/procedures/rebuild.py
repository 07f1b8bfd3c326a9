"""Rebuild a cluster that lost quorum from its most advanced survivor, the route of
etcd's "Restart cluster from majority failure" (etcd.io/docs/v3.5/op-guide/runtime-configuration/)
and "Permanent loss of quorum requires new cluster" (op-guide/runtime-reconf-design/):
start ONE member from its own data dir with ``--force-new-cluster``, so it forms a
one-member cluster with its data, then add the others back one at a time as new members
with empty data dirs.

Which member is the survivor is the evidence's answer (:mod:`etcdtui.services.evidence`:
the data dir that applied the most, none diverged). The other route of etcd's disaster
recovery guide, every member restored from one snapshot, is the restore plan.

``--force-new-cluster`` rewrites the member list in the survivor's WAL. It is never used
while another member of the old cluster runs (two clusters with one ID would diverge), so
every member is stopped first, and the survivor is restarted without the flag before any
member joins (a later restart with the flag would drop them again). Its data dir is
copied first, and the other members' data dirs are moved aside: nothing is deleted.

:func:`build_rebuild_plan` is pure (facts in, plan out).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import hex_id
from etcdtui.domain.membership import initial_cluster
from etcdtui.i18n import N_, _
from etcdtui.services.plans import (
    Clock,
    Plan,
    Ref,
    Step,
    TokenSource,
    Where,
    new_plan_id,
    random_token,
    start_command_forms,
    system_clock,
)
from etcdtui.services.procedures.building_blocks import (
    MemberTLS,
    StartOptions,
    etcd_servers,
    gather,
    learner_steps,
    member_etcd_step,
    move_aside_step,
    start_apiservers_step,
    start_flags,
    stop_apiservers_step,
    url_host,
    verify_step,
)
from etcdtui.services.procedures.context import CheckResult, ExecContext, StepFailed
from etcdtui.services.procedures.host_actions import host_call


class RebuildRefused(errors.EtcdtuiError):
    code = "rebuild-refused"
    default_title = N_("Rebuild refused")


@dataclass(frozen=True)
class RebuildMember:
    name: str
    member_id: str  # hex, from the survivor's member list
    peer_url: str
    client_url: str
    data_dir: str  # where its data lives on its host (moved aside, or forced)
    tls: MemberTLS = field(default_factory=MemberTLS)


@dataclass(frozen=True)
class RebuildRequest(StartOptions):
    survivor: RebuildMember
    others: tuple[RebuildMember, ...]
    evidence_rows: tuple[str, ...]  # the evidence table, one line per data dir
    revision: int  # the survivor's revision in the evidence
    cluster_id: str | None = None  # hex, from the survivor's WAL


def evidence_rows(found: Any) -> tuple[str, ...]:
    """The evidence table as plan findings: one line per data dir."""
    rows = []
    for d in found.dirs:
        w = d.wal
        mark = _("most advanced") if d is found.best else ""
        if d.diverged_from:
            mark = _("DIVERGED")
        if not d.ok:
            mark = _("unreadable: {why}").format(why=d.error)
        rows.append(
            _(
                "{path}: member {node}, term {term}, commit {commit}, applied {applied}, "
                "revision {rev}, hash {hash} {mark}"
            )
            .format(
                path=d.path,
                node=hex_id(w.node_id) if w and w.node_id else "?",
                term=d.term if d.term is not None else "?",
                commit=w.commit if w and w.commit is not None else "?",
                applied=d.consistent_index if d.consistent_index is not None else "?",
                rev=d.revision if d.revision is not None else "?",
                hash=d.db_hash if d.db_hash is not None else "?",
                mark=mark,
            )
            .strip()
        )
    return tuple(rows)


def refuse_unless_safe(found: Any) -> None:
    """Rebuilding needs one dir that is clearly the right one."""
    if found.best is None:
        raise RebuildRefused(
            _("no data dir could be read, so there is no survivor to rebuild from"),
            fix=_("Check the paths (each is an etcd --data-dir), or restore from a snapshot."),
            console_fix=_(
                "Check the paths given to :evidence (each is a member's data dir), or restore "
                "from a snapshot (ctrl+r)."
            ),
        )
    if any(d.diverged_from for d in found.dirs):
        raise RebuildRefused(
            _(
                "the data dirs' histories diverged, so no single dir is known to be right; "
                "forcing one of them to be the cluster could keep the wrong history"
            ),
            fix=_(
                "Compare their revisions and hashes (etcdtui evidence), then restore from a "
                "snapshot you trust (etcdtui restore FILE)."
            ),
            console_fix=_(
                "Compare their revisions and hashes in the evidence window, then restore from "
                "a snapshot you trust (ctrl+r)."
            ),
        )
    if found.best.wal is None or not found.best.wal.node_id:
        raise RebuildRefused(
            _("{path} has no readable WAL, so its member ID is unknown").format(
                path=found.best.path
            ),
            fix=_(
                "Rebuild by restoring its db instead: etcdtui evidence DIR... --copy-to "
                "FILE, then etcdtui restore FILE."
            ),
            console_fix=_(
                "Rebuild by restoring its db instead: c in the evidence window copies it and "
                "opens the restore wizard."
            ),
        )


def build_rebuild_plan(
    req: RebuildRequest,
    *,
    tokens: TokenSource = random_token,
    clock: Clock = system_clock,
) -> Plan:
    s = req.survivor
    stamp = tokens(3)
    everyone = (s, *req.others)
    host = url_host(s.peer_url)
    copy = f"{s.data_dir}.before-rebuild-{stamp}"
    alone = initial_cluster([(s.name, s.peer_url)])
    flags = start_flags(s.name, s.data_dir, s.peer_url, s.client_url, alone, s.tls)
    forced, _env_form, kube_form = start_command_forms(
        req.etcd_binary, [*flags, ("force-new-cluster", None)]
    )
    normal, _env2, _kube2 = start_command_forms(req.etcd_binary, flags)
    steps: list[Step] = [
        Step(
            id="quorum-lost",
            title=_("Confirm that the cluster has lost quorum"),
            why=_(
                "--force-new-cluster throws away the membership; it is only for a cluster "
                "that can no longer reach a majority. A cluster that still has quorum gets "
                "member replace instead."
            ),
            where=Where("cluster-api"),
            action="rebuild.quorum-lost",
            display="etcdctl endpoint health  # " + _("no member commits a read"),
        ),
        stop_apiservers_step(
            _("Apiservers must not write to etcd while it is rebuilt under them.")
        ),
    ]
    for m in everyone:
        steps.append(
            member_etcd_step(
                "stop",
                m.name,
                m.peer_url,
                _(
                    "No member of the old cluster may run while one member is forced into "
                    "a new cluster: two clusters with one ID would diverge."
                ),
            )
        )
    steps.append(
        Step(
            id=f"copy-{s.name}",
            title=_("Copy {name}'s data dir before forcing it").format(name=s.name),
            why=_(
                "--force-new-cluster rewrites the member list in the WAL; the copy keeps "
                "the data dir as the evidence read it."
            ),
            where=Where("host", host),
            action="host.copy-dir",
            command=("cp", "-a", s.data_dir, copy),
            params={"path": s.data_dir, "copy": copy},
        )
    )
    for m in req.others:
        steps.append(
            move_aside_step(
                m.name,
                m.peer_url,
                m.data_dir,
                f"{m.data_dir}.before-rebuild-{stamp}",
                _(
                    "{name} joins again as a new member with an EMPTY data dir; its old data "
                    "is kept, never deleted."
                ).format(name=m.name),
            )
        )
    steps += [
        Step(
            id="force-new-cluster",
            title=_("Start {name} with --force-new-cluster").format(name=s.name),
            why=_(
                "The survivor forms a one-member cluster from its own data: same cluster "
                "ID, every key it applied, the other members dropped from its list."
            ),
            where=Where("host", host),
            action="host.force-new-cluster",
            display=forced,
            params={"name": s.name, "member": s.member_id, "client_url": s.client_url},
            alternatives={_("kubeadm: in /etc/kubernetes/manifests/etcd.yaml"): kube_form},
            destructive=True,
        ),
        Step(
            id="verify-survivor",
            title=_("Verify that {name} is a healthy one-member cluster").format(name=s.name),
            why=_(
                "Its member list must name only itself, and it must hold at least the "
                "revision the evidence read."
            ),
            where=Where("cluster-api"),
            action="rebuild.verify-survivor",
            display=f"etcdctl --endpoints={s.client_url} member list -w table && "
            f"etcdctl --endpoints={s.client_url} endpoint status -w table",
            params={
                "member": s.member_id,
                "client_url": s.client_url,
                "revision": req.revision,
                "timeout": 60.0,
            },
        ),
        Step(
            id="restart-stop",
            title=_("Stop {name} again").format(name=s.name),
            why=_(
                "It must run without --force-new-cluster before anyone joins: a restart "
                "with the flag would drop the members added back."
            ),
            where=Where("host", host),
            action="host.stop-etcd",
            display="mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/  "
            "# " + _("remove --force-new-cluster from it"),
            params={"name": s.name},
        ),
        Step(
            id="restart-start",
            title=_("Start {name} without --force-new-cluster").format(name=s.name),
            why=_("From here on it is an ordinary member of the rebuilt cluster."),
            where=Where("host", host),
            action="host.start-etcd",
            display=normal,
            params={"name": s.name},
            check=Ref(
                "rebuild-survivor-alone",
                _("{name} answers as the only member").format(name=s.name),
                {"member": s.member_id, "client_url": s.client_url, "timeout": 60.0},
            ),
        ),
    ]
    current = [(s.name, s.peer_url)]
    for m in req.others:
        current.append((m.name, m.peer_url))
        steps += learner_steps(
            f"{m.name}-",
            name=m.name,
            peer_url=m.peer_url,
            client_url=m.client_url,
            cluster=initial_cluster(current),
            data_dir=m.data_dir,
            tls=m.tls,
            binary=req.etcd_binary,
            start_timeout=req.start_timeout,
            var=f"{m.name.replace('-', '_')}_id",
        )
    urls = [m.client_url for m in everyone]
    steps += [
        verify_step("verify", len(everyone)),
        start_apiservers_step(
            urls, _("Apiservers reconnect to the rebuilt cluster (same cluster ID).")
        ),
    ]
    summary = (
        _("Survivor: {name} ({id}), from {dir}: the most advanced data dir, none diverged.").format(
            name=s.name, id=s.member_id, dir=s.data_dir
        ),
        *(_("Evidence: {row}").format(row=r) for r in req.evidence_rows),
    )
    warnings = (
        _(
            "Writes that reached a majority but not {name} are lost: the evidence shows it "
            "applied the most of the dirs it read. Give every member's data dir to the "
            "evidence."
        ).format(name=s.name),
    )
    return Plan(
        id=new_plan_id("rebuild", tokens),
        title=_("Rebuild the cluster from {name}").format(name=s.name),
        kind="rebuild",
        steps=tuple(steps),
        context={
            "survivor": s.__dict__ | {"tls": None},
            "members": [m.name for m in everyone],
            "cluster_id": req.cluster_id,
            "revision": req.revision,
            "etcd_servers": etcd_servers(urls),
            "etcdctl_env": dict(req.etcdctl_env),
        },
        summary=summary,
        warnings=warnings,
        created=clock().isoformat(timespec="seconds"),
    )


# --- actions and checks ----------------------------------------------------------------------


def quorum_holds(facts: Any) -> tuple[bool, str]:
    from etcdtui.domain import quorum

    summary = quorum.summarize(facts.members.members, facts.healthy_ids())
    holds = facts.linearizable and summary.healthy >= quorum.quorum_size(summary.voters)
    return holds, quorum.describe(summary)


async def quorum_state(svc: Any) -> tuple[bool, str]:
    """(quorum holds?, what was seen). No member answering counts as lost."""
    try:
        facts = await gather(svc)
    except errors.EtcdtuiError as exc:
        return False, _("no member answers ({why})").format(why=exc.cause)
    return quorum_holds(facts)


def quorum_holds_refusal(seen: str) -> RebuildRefused:
    return RebuildRefused(
        _(
            "the cluster still has quorum ({seen}); a rebuild would throw its membership away"
        ).format(seen=seen),
        fix=_(
            "Replace the member that diverged or fell behind instead: etcdtui member replace "
            "NAME --evidence DIR..."
        ),
        console_fix=_("Replace the member that diverged instead (:replace NAME)."),
    )


async def confirm_quorum_lost(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    holds, seen = await quorum_state(ctx.cluster)
    if holds:
        raise quorum_holds_refusal(seen)
    return {"detail": seen}


def _copy_tree(src: Path, dst: Path) -> None:
    part = dst.with_name(dst.name + ".part")
    if os.path.lexists(part):  # an interrupted copy: keep it aside, never delete
        part.rename(part.with_name(f"{part.name}-{time.time_ns()}"))
    shutil.copytree(src, part, symlinks=True)
    os.rename(part, dst)


async def copy_dir(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    src, dst = Path(str(step.params["path"])), Path(str(step.params["copy"]))
    if os.path.lexists(dst):
        return {"detail": _("already copied: {b}").format(b=dst)}
    if not src.is_dir():
        raise StepFailed(_("{p} is not a directory").format(p=src))
    await asyncio.to_thread(_copy_tree, src, dst)
    return {"detail": _("copied {a} to {b}").format(a=src, b=dst)}


async def _alone(ctx: ExecContext, params: Mapping[str, Any]) -> tuple[bool, str, int]:
    url = str(params["client_url"])
    mid = ctx.member_id(params["member"])
    health = await ctx.cluster.health([url])
    if not health or not health[0].healthy:
        return False, (health[0].error if health else None) or _("no answer"), 0
    members = await ctx.cluster.members()
    ids = [m.id for m in members.members]
    if ids != [mid]:
        return False, _("member list {ids}").format(ids=", ".join(hex_id(i) for i in ids)), 0
    statuses = await ctx.cluster.statuses([url])
    rev = max((st.revision for st in statuses if st.ok), default=0)
    return True, _("{id} alone, revision {rev}").format(id=hex_id(mid), rev=rev), rev


async def survivor_alone(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    ok, detail, _rev = await _alone(ctx, params)
    return CheckResult(ok, detail)


async def force_new_cluster(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    return {
        "detail": await asyncio.to_thread(
            host_call(ctx, "force_new_cluster"), str(step.params["name"])
        )
    }


async def adopt_forced(ctx: ExecContext, step: Step) -> Mapping[str, Any] | None:
    """The survivor already runs as a one-member cluster (our own start whose record was
    lost): leave it as it is."""
    try:
        ok, detail, _rev = await _alone(ctx, step.params)
    except errors.EtcdtuiError:
        return None
    return {"detail": _("already forced: {what}").format(what=detail)} if ok else None


async def verify_survivor(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    p = step.params
    deadline = time.monotonic() + float(p.get("timeout", 60.0))
    why = ""
    while time.monotonic() < deadline:
        try:
            ok, why, rev = await _alone(ctx, p)
        except errors.EtcdtuiError as exc:
            ok, why, rev = False, exc.cause, 0
        if ok:
            if rev < int(p["revision"]):
                raise StepFailed(
                    _("revision {rev} is below the {want} the evidence read").format(
                        rev=rev, want=p["revision"]
                    )
                )
            return {"detail": why, "revision": rev}
        await asyncio.sleep(0.5)
    raise StepFailed(
        _("the survivor is not a healthy one-member cluster: {why}").format(why=why),
        title=_("Rebuild verification failed"),
        fix=_(
            "Read the member's log. Its data dir as it was is kept beside it (*.before-rebuild-*)."
        ),
    )
