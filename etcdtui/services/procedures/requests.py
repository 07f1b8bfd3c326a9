"""What the CLI and the console both need to turn "replace m2" or "restore FILE" into a
procedure request: sandbox certificate paths and new members, the member list a restore
is planned for, and which restore tool to run. One place, two faces."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.i18n import _
from etcdtui.services.executor import unfinished
from etcdtui.services.procedures.building_blocks import MemberTLS
from etcdtui.services.procedures.restore import RestoreMember
from etcdtui.services.procedures.scale import NewMember
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import free_ports


def sandbox_tls(sandbox: Sandbox, name: str) -> MemberTLS:
    """Certificate paths a sandbox member called ``name`` uses (issued on first start)."""
    crt, key = sandbox.member_cert(name, "server")
    pcrt, pkey = sandbox.member_cert(name, "peer")
    return MemberTLS(str(crt), str(key), str(pcrt), str(pkey), str(sandbox.ca_cert))


def sandbox_new_members(sandbox: Sandbox, facts: Any, target: int) -> list[NewMember]:
    """Names, free ports, certificate paths and data dirs for the members a sandbox
    must start to reach ``target`` voters."""
    taken = {m.name for m in facts.members.members}
    if sandbox.state is not None:
        taken |= {m.name for m in sandbox.state.members if not m.removed}
    voters = len([m for m in facts.members.members if not m.is_learner])
    out: list[NewMember] = []
    used = [
        p
        for m in (sandbox.state.members if sandbox.state is not None else [])
        for p in (m.client_port, m.peer_port, m.proxy_port)
        if p
    ]
    n = 1
    while len(out) < max(0, target - voters):
        name = f"m{n}"
        n += 1
        if name in taken:
            continue
        peer_port, client_port = free_ports(2, avoid=used)
        used += [peer_port, client_port]
        out.append(
            NewMember(
                name,
                f"https://127.0.0.1:{peer_port}",
                f"https://127.0.0.1:{client_port}",
                data_dir=str(sandbox.data_dir(name)),
                tls=sandbox_tls(sandbox, name),
            )
        )
    return out


def reconcile_sandbox(sandbox: Sandbox | None, facts: Any) -> None:
    """The cluster answered: forget sandbox members it no longer lists (removed from the
    console, by etcdctl or by a rollback), so no later plan made from the sandbox's
    records brings them back."""
    if sandbox is None or sandbox.state is None or facts is None or not facts.linearizable:
        return
    ml = facts.members.members
    sandbox.reconcile({m.name for m in ml if m.name} | {u for m in ml for u in m.peer_urls})


def restore_members(
    facts: Any,
    sandbox: Sandbox | None,
    given: Sequence[RestoreMember] = (),
) -> tuple[RestoreMember, ...]:
    """The members a restore is planned for: the live member list when the cluster
    answers, else the ones the operator named, else the sandbox's own."""
    if facts is not None:
        return tuple(
            RestoreMember(m.name, m.peer_urls[0], m.client_urls[0])
            for m in facts.members.members
            if m.name and m.client_urls
        )
    if given:
        return tuple(given)
    if sandbox is not None and sandbox.state is not None:
        _refuse_if_a_restore_is_unfinished(sandbox)
        return tuple(
            RestoreMember(m.name, m.peer_url, sandbox.client_url(m))
            for m in sandbox.state.members
            if not m.removed
        )
    raise errors.UsageError(
        _("the cluster does not answer, so the member list for the restore is unknown"),
        fix=_("Name the members: etcdtui restore FILE --members m1=https://10.0.0.1:2380,..."),
        console_fix=_(
            "Bring the cluster back so it answers, or plan the restore with `etcdtui restore` "
            "in a shell, naming the members (docs/procedures.md)."
        ),
    )


def _refuse_if_a_restore_is_unfinished(sandbox: Sandbox) -> None:
    """The cluster does not answer, so the sandbox's records would name the members.
    When that is because a restore of this sandbox stopped half way, planning a new one
    from the records repeats its work with whatever the records say: resume it instead."""
    assert sandbox.state is not None
    ours = {m.peer_url for m in sandbox.state.members}
    for data in unfinished("restore"):
        planned = {str(m.get("peer_url")) for m in data["plan"]["context"].get("members", [])}
        if planned & ours:
            plan_id = data["plan"]["id"]
            raise errors.UsageError(
                _(
                    "restore {id} of this cluster stopped before it finished ({status}); the "
                    "cluster does not answer, so a new plan could only guess its members"
                ).format(id=plan_id, status=data.get("status")),
                fix=_(
                    "Resume it: etcdtui restore --resume {id} --execute (or name the members "
                    "with --members to plan a new restore anyway)."
                ).format(id=plan_id),
                console_fix=_("Resume restore {id} with W (saved wizards).").format(id=plan_id),
            )


def restore_tool(explicit: str | None = None) -> Path:
    """etcdutl where it exists (3.5+), else etcdctl (3.4 restores with etcdctl)."""
    from etcdtui.services.binaries import BinaryNotFound, find_binary

    if explicit:
        return Path(explicit)
    try:
        return find_binary("etcdutl")
    except BinaryNotFound:
        return find_binary("etcdctl")
