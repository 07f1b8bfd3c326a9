"""Plan requests: the one builder of replace, scale and restore plans from what the
operator gave, for the CLI (`etcdtui member replace|scale`, `etcdtui restore`) and the
console (`:replace`, `:scale`, `:restore`).

A face parses its own input (flags, or a prompt) into a :class:`ReplaceInput`,
:class:`ScaleInput` or :class:`RestoreInput`, gets the service through its own seam, and
calls the builder. The builder fills what the face left out the same way for both:
sandbox TLS files, data dirs and binaries when the cluster is an etcdtui sandbox
(:func:`find_sandbox`), defaults otherwise. The membership verdict of a replace (may the
failed member be removed?) is :func:`etcdtui.ops.members.judge`, as for `member remove`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import _
from etcdtui.ops import members as member_ops
from etcdtui.services.plans import Plan
from etcdtui.services.procedures.sandbox_host import sandbox_for
from etcdtui.services.sandbox import Sandbox

KINDS = ("replace", "scale", "restore")
DEFAULT_DATA_DIR = "/var/lib/etcd"
DEFAULT_START_TIMEOUT = 120.0


def find_sandbox(settings: ConnectionSettings, sandbox_dir: Path | None = None) -> Sandbox | None:
    """The etcdtui sandbox behind ``settings``, or None (one rule for every face)."""
    return sandbox_for(settings, sandbox_dir)


def start_options(
    settings: ConnectionSettings, sandbox: Sandbox | None, start_timeout: float | None
) -> dict[str, Any]:
    """The StartOptions fields of a replace, scale or rebuild request, filled the same way
    for each: the sandbox's etcd binary, the start timeout, etcdctl's environment."""
    from etcdtui.services.procedures.building_blocks import etcdctl_env

    return {
        "etcd_binary": str(sandbox.binary()) if sandbox is not None else "etcd",
        "start_timeout": start_timeout or DEFAULT_START_TIMEOUT,
        "etcdctl_env": etcdctl_env(settings),
    }


# --- replace ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplaceInput:
    member: str  # the failed member: name or hex ID
    new_name: str | None = None
    new_peer_url: str | None = None
    new_client_url: str | None = None
    data_dir: str | None = None
    force: bool = False  # replace a member that still answers
    start_timeout: float | None = None
    # data dirs (etcdtui evidence): they pick the member when none is named, refuse the
    # most advanced survivor, and show in the plan's findings
    evidence: tuple[str, ...] = ()


def replace_target(facts: Any, ref: str) -> Any:
    """The member to replace: by name, hex ID, or the name an unstarted member was added
    with (as `member remove` finds it)."""
    from etcdtui.services.procedures.replace import find_member

    found = member_ops.find_target(facts.members, ref)
    return found if found is not None else find_member(facts, ref)


def replace_verdict(facts: Any, member: Any, settings: ConnectionSettings) -> member_ops.MemberPlan:
    """The verdict on removing ``member`` (a replacement's first membership change), the
    same function that judges `member remove` in the CLI and the console."""
    view = member_ops.ClusterView.of(facts.members, facts.healthy_ids(), facts.leader_id)
    return member_ops.judge(
        member_ops.MemberRequest("remove", target=member.id), view, settings, member
    )


async def replace_plan(
    svc: Any, settings: ConnectionSettings, sandbox: Sandbox | None, inp: ReplaceInput
) -> Plan:
    from etcdtui.services.procedures import building_blocks
    from etcdtui.services.procedures.replace import (
        ReplaceRequest,
        build_replace_plan,
        failure_explanation,
    )
    from etcdtui.services.procedures.requests import sandbox_tls

    facts = await building_blocks.gather(svc)
    force, findings = inp.force, ()
    if inp.evidence:
        choice = await replace_evidence(facts, inp)
        inp = dataclasses.replace(inp, member=choice.member.name or choice.member.hex_id)
        force = force or choice.diverged
        findings = (choice.reason, *choice.rows)
    old = replace_target(facts, inp.member)
    member, new_name = inp.member, inp.new_name
    if not old.name and inp.member != old.hex_id:
        # unstarted, named by the name it was added with: etcd knows it by ID only
        member, new_name = old.hex_id, inp.new_name or inp.member
    tls = building_blocks.MemberTLS()
    data_dir = inp.data_dir or DEFAULT_DATA_DIR
    if sandbox is not None:
        new_name = new_name or inp.member
        tls = sandbox_tls(sandbox, new_name)
        data_dir = inp.data_dir or str(sandbox.data_dir(new_name))
    req = ReplaceRequest(
        member=member,
        new_name=new_name,
        new_peer_url=inp.new_peer_url,
        new_client_url=inp.new_client_url,
        data_dir=data_dir,
        tls=tls,
        force=force,
        findings=findings,
        **start_options(settings, sandbox, inp.start_timeout),
    )
    failed, _how = failure_explanation(facts, old)
    if failed or force:  # a healthy member without --force: build_replace_plan says so
        verdict = replace_verdict(facts, old, settings)
        if not verdict.allowed:
            raise verdict.refusal()
    plan: Plan = build_replace_plan(facts, req)
    return plan


async def replace_evidence(facts: Any, inp: ReplaceInput) -> Any:
    """What the evidence says about this replacement (:func:`evidence_choice`). A cluster
    without quorum gets the rebuild instead: a replace removes a member, which needs it."""
    from etcdtui.services import evidence as ev
    from etcdtui.services.procedures.rebuild import quorum_holds
    from etcdtui.services.procedures.replace import evidence_choice

    found = await asyncio.to_thread(ev.gather, inp.evidence)
    holds, seen = quorum_holds(facts)
    if not holds:
        raise errors.UsageError(
            _("the cluster has lost quorum ({seen}), so no member can be removed").format(
                seen=seen
            ),
            fix=_(
                "Rebuild from the most advanced survivor: etcdtui plan rebuild --evidence DIR..."
            ),
            console_fix=_("Rebuild from the most advanced survivor: r in the evidence window."),
        )
    return evidence_choice(found, facts, inp.member or None)


# --- scale --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleInput:
    target: int  # voters wanted
    new_members: tuple[Any, ...] = ()  # NewMember; the sandbox picks its own when empty
    force: bool = False  # allow an even target
    data_dir: str | None = None
    start_timeout: float | None = None


async def scale_plan(
    svc: Any, settings: ConnectionSettings, sandbox: Sandbox | None, inp: ScaleInput
) -> Plan:
    from etcdtui.services.procedures import building_blocks
    from etcdtui.services.procedures.requests import sandbox_new_members
    from etcdtui.services.procedures.scale import ScaleRequest, build_scale_plan

    facts = await building_blocks.gather(svc)
    new = list(inp.new_members)
    if sandbox is not None and not new:
        new.extend(sandbox_new_members(sandbox, facts, inp.target))
    req = ScaleRequest(
        target=inp.target,
        new_members=tuple(new),
        force=inp.force,
        data_dir=inp.data_dir or DEFAULT_DATA_DIR,
        tls=building_blocks.MemberTLS(),
        **start_options(settings, sandbox, inp.start_timeout),
    )
    plan: Plan = build_scale_plan(facts, req)
    return plan


# --- restore ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreInput:
    snapshot: Path
    members: tuple[Any, ...] = ()  # RestoreMember, given when the cluster does not answer
    data_dir_template: str | None = None
    tool: str | None = None
    force: bool = False  # accept a major.minor version mismatch


def verify_snapshot(path: Path, keys: Any = None) -> Any:
    """Keep the decryption keys for the restore steps (in this process only), then verify
    the snapshot file: both faces do this before anything is dialled."""
    from etcdtui.services.procedures.restore import remember_keys
    from etcdtui.services.procedures.snapcheck import verify_snapshot as verify

    remember_keys(str(path), keys)
    return verify(path, keys)


def sandbox_template(sandbox: Sandbox) -> str:
    return str(sandbox.dir / "data" / "{name}")


async def restore_plan(
    svc: Any,
    sandbox: Sandbox | None,
    inp: RestoreInput,
    snap: Any,
) -> tuple[Plan, tuple[str, ...]]:
    """The restore plan and the risks it carries (a cluster that still answers, another
    cluster's snapshot, one far behind). ``snap``: from :func:`verify_snapshot`."""
    from etcdtui.services.binaries import binary_version
    from etcdtui.services.procedures.building_blocks import gather
    from etcdtui.services.procedures.requests import (
        reconcile_sandbox,
        restore_members,
        restore_tool,
    )
    from etcdtui.services.procedures.restore import RestoreRequest, build_restore_plan
    from etcdtui.services.procedures.restore_risks import restore_risks

    try:
        facts: Any = await gather(svc)
    except errors.EtcdtuiError:
        facts = None  # the cluster is gone: that is what a restore is for
    await asyncio.to_thread(reconcile_sandbox, sandbox, facts)
    members = restore_members(facts, sandbox, inp.members)
    version, old_id = None, None
    if facts is not None:
        version, old_id = facts.version() or None, facts.members.cluster_id
    risks: tuple[str, ...] = await restore_risks(svc, facts, snap) if facts is not None else ()
    tool = restore_tool(inp.tool)
    template = inp.data_dir_template or (
        sandbox_template(sandbox) if sandbox is not None else DEFAULT_DATA_DIR
    )
    req = RestoreRequest(
        snapshot=inp.snapshot,
        members=members,
        data_dir_template=template,
        tool=str(tool),
        tool_version=binary_version(tool) or "0",
        cluster_version=version,
        old_cluster_id=old_id,
        force=inp.force,
        current_data_dirs={m.name: str(sandbox.data_dir(m.name)) for m in members}
        if sandbox is not None
        else {},
        check_local_dirs=sandbox is not None,
        risks=risks,
    )
    plan: Plan = build_restore_plan(snap, req)
    return plan, risks


# --- rebuild from the most advanced survivor ----------------------------------------------


@dataclass(frozen=True)
class RebuildInput:
    evidence: tuple[str, ...]  # every member's data dir (etcdtui evidence)
    start_timeout: float | None = None


async def rebuild_plan(
    svc: Any, settings: ConnectionSettings, sandbox: Sandbox | None, inp: RebuildInput
) -> Plan:
    """The rebuild plan after quorum loss: the evidence names the survivor, which starts
    with --force-new-cluster; the others join again one at a time."""
    from etcdtui.cluster_data import hex_id
    from etcdtui.services import evidence as ev
    from etcdtui.services.procedures import building_blocks
    from etcdtui.services.procedures.rebuild import (
        RebuildMember,
        RebuildRefused,
        RebuildRequest,
        build_rebuild_plan,
        evidence_rows,
        quorum_holds_refusal,
        quorum_state,
        refuse_unless_safe,
    )
    from etcdtui.services.procedures.requests import sandbox_tls

    found = await asyncio.to_thread(ev.gather, inp.evidence)
    holds, seen = await quorum_state(svc)
    if holds:  # first: with quorum, the answer is a replace, whatever the dirs say
        raise quorum_holds_refusal(seen)
    refuse_unless_safe(found)
    best = found.best
    assert best is not None and best.wal is not None and best.wal.node_id
    survivor_id = hex_id(best.wal.node_id)
    dirs = {hex_id(d.wal.node_id): d.path for d in found.dirs if d.wal and d.wal.node_id}
    listed = [m for m in best.members if m.get("name") and m.get("peer_urls")]
    if not any(m["id"] == survivor_id for m in listed):
        raise RebuildRefused(
            _("{path} belongs to member {id}, which its own member list does not name").format(
                path=best.path, id=survivor_id
            ),
            fix=_("Give the data dirs of this cluster's members only."),
        )

    def member(m: dict[str, Any]) -> RebuildMember:
        name, peer = str(m["name"]), str(m["peer_urls"][0])
        client = (m.get("client_urls") or [building_blocks.default_client_url(peer)])[0]
        if m["id"] == survivor_id:
            data_dir = best.path
        elif sandbox is not None:
            data_dir = str(sandbox.data_dir(name))
        else:
            data_dir = dirs.get(m["id"], DEFAULT_DATA_DIR)
        tls = sandbox_tls(sandbox, name) if sandbox is not None else building_blocks.MemberTLS()
        return RebuildMember(name, str(m["id"]), peer, str(client), data_dir, tls)

    everyone = [member(m) for m in listed]
    survivor = next(m for m in everyone if m.member_id == survivor_id)
    if sandbox is not None:
        own = sandbox.data_dir(survivor.name)
        if Path(best.path).resolve() != own.resolve():
            raise errors.UsageError(
                _(
                    "the sandbox starts {name} from {own}; the most advanced dir is {path}, so "
                    "the sandbox would not use it"
                ).format(name=survivor.name, own=own, path=best.path),
                fix=_("Give the sandbox members' own data dirs (sandbox/data/NAME)."),
            )
    req = RebuildRequest(
        survivor=survivor,
        others=tuple(m for m in everyone if m is not survivor),
        evidence_rows=evidence_rows(found),
        revision=best.revision or 0,
        cluster_id=hex_id(best.wal.cluster_id) if best.wal.cluster_id else None,
        **start_options(settings, sandbox, inp.start_timeout),
    )
    plan: Plan = build_rebuild_plan(req)
    return plan
