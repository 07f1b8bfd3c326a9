"""Cluster commands: members, status, health, alarms, hashkv and `member` actions.

The JSON printed by `members` and `status` is a contract other tools rely on.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from etcdtui.cli import add_output_flag
from etcdtui.cli.common import confirm_typed, require_writable, run, settings_from_args
from etcdtui.cli.output import human_bytes, print_json, print_table
from etcdtui.errors import EtcdtuiError, MemberNotFound, UsageError
from etcdtui.i18n import _
from etcdtui.models import ClusterSnapshot, MemberList, hex_id
from etcdtui.terminal_text import printable


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("members", help=_("list members (IDs in hex, learner flag)"))
    add_output_flag(p)
    p.set_defaults(func=cmd_members)

    p = sub.add_parser(
        "status", help=_("leader, quorum, alarms and per-endpoint status (exit 1 if degraded)")
    )
    add_output_flag(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("health", help=_("linearizable read through each endpoint"))
    add_output_flag(p)
    p.set_defaults(func=cmd_health)

    p = sub.add_parser("alarms", help=_("active alarms (NOSPACE, CORRUPT)"))
    add_output_flag(p)
    p.set_defaults(func=cmd_alarms)

    p = sub.add_parser("hashkv", help=_("compare every member's HashKV at one revision"))
    add_output_flag(p)
    p.add_argument("--revision", type=int, default=None, help=_("revision (default: common)"))
    p.set_defaults(func=cmd_hashkv)

    member = sub.add_parser("member", help=_("change membership (quorum-guarded)"))
    msub = member.add_subparsers(dest="member_command", metavar=_("ACTION"), required=True)

    p = msub.add_parser("add", help=_("add a member, as a learner unless --voter"))
    p.add_argument("name", help=_("name the new member will start with"))
    p.add_argument("--peer-urls", required=True, help=_("comma-separated peer URLs"))
    p.add_argument("--voter", action="store_true", help=_("add as a voting member (not advised)"))
    p.add_argument("--force", action="store_true", help=_("override etcdtui's own policy"))
    add_output_flag(p)
    p.set_defaults(func=cmd_member_add)

    for action, helptext in (
        ("promote", _("promote a learner to voter (retries while it catches up)")),
        ("remove", _("remove a member (type its name to confirm)")),
        ("move-leader", _("transfer leadership to this member")),
    ):
        p = msub.add_parser(action, help=helptext)
        p.add_argument("member", help=_("member name or hex ID"))
        p.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
        p.add_argument("--force", action="store_true", help=_("override etcdtui's own policy"))
        add_output_flag(p)
        p.set_defaults(func=cmd_member_action, action=action)

    p = msub.add_parser("update", help=_("change a member's peer URLs"))
    p.add_argument("member", help=_("member name or hex ID"))
    p.add_argument("--peer-urls", required=True, help=_("comma-separated peer URLs"))
    p.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    add_output_flag(p)
    p.set_defaults(func=cmd_member_action, action="update")

    try:  # guided procedures (replace, scale) plug into the same group
        from etcdtui.cli.wizard_cmds import add_member_wizards
    except ImportError:
        pass
    else:
        add_member_wizards(msub)


# --- read-only commands ---------------------------------------------------------------


def _service(settings: Any, *, audit: bool = False) -> Any:
    from etcdtui.services.audit import AuditLog
    from etcdtui.services.cluster import ClusterService

    return ClusterService(settings, audit=AuditLog() if audit else None)


def cmd_members(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)

    async def go() -> MemberList:
        async with _service(settings) as svc:
            result: MemberList = await svc.members()
            return result

    members = run(go, settings)
    if args.output == "json":
        print_json(members.as_dict())
        return 0
    print(_("cluster {id}").format(id=hex_id(members.cluster_id)))
    print_table(
        [_("id"), _("name"), _("role"), _("peer urls"), _("client urls")],
        [
            (
                m.hex_id,
                m.name or _("(unstarted)"),
                _("learner") if m.is_learner else _("voter"),
                ",".join(m.peer_urls),
                ",".join(m.client_urls),
            )
            for m in members.members
        ],
    )
    return 0


def status_document(snap: ClusterSnapshot) -> dict[str, Any]:
    """The `etcdtui status -o json` contract."""
    from etcdtui.services.quorum import summarize

    members = snap.members.members if snap.members else ()
    summary = summarize(members, snap.healthy_ids())
    leader = snap.leader
    return {
        "cluster_id": hex_id(snap.members.cluster_id) if snap.members else None,
        "leader": hex_id(leader) if leader else None,
        "quorum": summary.as_dict() | {"state": summary.state, "learners": summary.learners},
        "alarms": [a.as_dict() for a in snap.alarms],
        "members_error": snap.members_error,
        "endpoints": [
            s.as_dict() | {"healthy": _healthy(snap, s.endpoint)} for s in snap.endpoints
        ],
    }


def _healthy(snap: ClusterSnapshot, endpoint: str) -> bool | None:
    for h in snap.health:
        if h.endpoint == endpoint:
            return h.healthy
    return None


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)

    async def go() -> ClusterSnapshot:
        async with _service(settings) as svc:
            result: ClusterSnapshot = await svc.overview()
            return result

    snap = run(go, settings)
    doc = status_document(snap)
    quorum = doc["quorum"]
    degraded = (
        quorum["state"] != "healthy"
        or quorum["healthy"] < quorum["voters"]
        or bool(doc["alarms"])
        or not all(e["ok"] for e in doc["endpoints"])
    )
    if args.output == "json":
        print_json(doc)
        return 1 if degraded else 0
    from etcdtui.services.quorum import badge, summarize

    members = snap.members.members if snap.members else ()
    summary = summarize(members, snap.healthy_ids())
    names = {m.id: m.name for m in members}
    print(
        _("cluster {id}   quorum {badge}   leader {leader}").format(
            id=doc["cluster_id"] or "?",
            badge=badge(summary),
            leader=printable(names.get(snap.leader or 0) or doc["leader"] or _("none")),
        )
    )
    if snap.members_error:
        print(_("member list failed: {why}").format(why=printable(snap.members_error)))
    for alarm in snap.alarms:
        print(_("ALARM {kind} on member {id}").format(kind=alarm.kind, id=hex_id(alarm.member_id)))
    rows: list[tuple[object, ...]] = []
    for s in snap.endpoints:
        if s.ok:
            role = _("leader") if s.is_leader else _("learner") if s.is_learner else _("follower")
            rows.append(
                (
                    s.endpoint,
                    names.get(s.member_id, hex_id(s.member_id)),
                    role,
                    s.version,
                    f"{human_bytes(s.db_size)}/{human_bytes(s.db_size_in_use)}",
                    s.raft_term,
                    s.raft_index,
                    f"{s.latency_ms:.1f} ms",
                    "",
                )
            )
        else:
            rows.append(
                (
                    s.endpoint,
                    "?",
                    _("unreachable"),
                    "",
                    "",
                    "",
                    "",
                    f"{s.latency_ms:.1f} ms",
                    s.error or "",
                )
            )
    print_table(
        [
            _("endpoint"),
            _("name"),
            _("role"),
            _("version"),
            _("db size/in use"),
            _("term"),
            _("index"),
            _("latency"),
            _("error"),
        ],
        rows,
    )
    return 1 if degraded else 0


def cmd_health(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)

    async def go() -> Any:
        async with _service(settings) as svc:
            await svc.members()
            return await svc.health()

    health = run(go, settings)
    if args.output == "json":
        print_json([h.as_dict() for h in health])
    else:
        print_table(
            [_("endpoint"), _("healthy"), _("latency"), _("error")],
            [
                (
                    h.endpoint,
                    _("yes") if h.healthy else _("NO"),
                    f"{h.latency_ms:.1f} ms",
                    h.error or "",
                )
                for h in health
            ],
        )
    return 0 if all(h.healthy for h in health) else 1


def cmd_alarms(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)

    async def go() -> Any:
        async with _service(settings) as svc:
            return await svc.alarms()

    alarms = run(go, settings)
    if args.output == "json":
        print_json([a.as_dict() for a in alarms])
    elif not alarms:
        print(_("no alarms"))
    else:
        print_table([_("member"), _("alarm")], [(hex_id(a.member_id), a.kind) for a in alarms])
    return 1 if alarms else 0


def cmd_hashkv(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)

    async def go() -> Any:
        async with _service(settings) as svc:
            await svc.members()
            return await svc.hashkv(args.revision)

    hashes = run(go, settings)
    values = {h.hash for h in hashes if h.error is None}
    consistent = len(values) <= 1
    if args.output == "json":
        print_json(
            {
                "consistent": consistent,
                "members": [
                    {
                        "endpoint": h.endpoint,
                        "member_id": hex_id(h.member_id) if h.member_id else None,
                        "hash": h.hash,
                        "revision": h.revision,
                        "compact_revision": h.compact_revision,
                        "error": h.error,
                    }
                    for h in hashes
                ],
            }
        )
    else:
        print_table(
            [_("endpoint"), _("hash"), _("revision"), _("compact rev"), _("error")],
            [(h.endpoint, h.hash, h.revision, h.compact_revision, h.error or "") for h in hashes],
        )
        if not consistent:
            print(
                _(
                    "MISMATCH: members disagree at the same revision; the data diverged. Take a "
                    "snapshot from the majority and replace the odd member."
                ),
                file=sys.stderr,
            )
    return 0 if consistent else 1


# --- member actions -------------------------------------------------------------------


def _split_urls(text: str) -> list[str]:
    urls = [u.strip() for u in text.split(",") if u.strip()]
    if not urls:
        raise UsageError(_("--peer-urls is empty"))
    from etcdtui.services.etcdapi.connection import parse_endpoint

    return [parse_endpoint(u, insecure=True).url for u in urls]


def cmd_member_add(args: argparse.Namespace) -> int:
    from etcdtui.services import quorum

    settings = settings_from_args(args)
    require_writable(settings, _("member add"))
    peer_urls = _split_urls(args.peer_urls)

    async def go() -> Any:
        async with _service(settings, audit=True) as svc:
            snap = await svc.overview()
            members = snap.members
            if members is None:
                raise EtcdtuiError(snap.members_error or "", title=_("Cannot list members"))
            if members.by_name(args.name):
                raise UsageError(
                    _("a member named {name!r} already exists").format(name=args.name),
                    fix=_("Pick another name, or replace the existing member."),
                )
            change = (
                quorum.AddVoter(tuple(peer_urls))
                if args.voter
                else quorum.AddLearner(tuple(peer_urls))
            )
            verdict = quorum.what_if(members, snap.healthy_ids(), change, leader_id=snap.leader)
            _print_verdict(verdict)
            verdict.raise_if_refused(force=args.force)
            member = await svc.member_add(peer_urls, learner=not args.voter)
            return member, await svc.members()

    member, after = run(go, settings)
    initial = ",".join(
        f"{m.name or args.name}={m.peer_urls[0]}" for m in after.members if m.peer_urls
    )
    if args.output == "json":
        print_json(
            {
                "member": member.as_dict(),
                "initial_cluster": initial,
                "members": after.as_dict()["members"],
            }
        )
    else:
        print(
            _("added member {id} ({kind}); start it now with:").format(
                id=member.hex_id, kind=_("learner") if member.is_learner else _("voter")
            )
        )
        print(f"  ETCD_NAME={args.name}")
        print(f'  ETCD_INITIAL_CLUSTER="{initial}"')
        print(f'  ETCD_INITIAL_ADVERTISE_PEER_URLS="{",".join(peer_urls)}"')
        print("  ETCD_INITIAL_CLUSTER_STATE=existing")
    return 0


def _print_verdict(verdict: Any) -> None:
    from etcdtui.services.quorum import describe

    print(_("before: {s}").format(s=describe(verdict.before)), file=sys.stderr)
    print(_("after:  {s}").format(s=describe(verdict.after)), file=sys.stderr)
    for w in verdict.warnings:
        print(_("warning: {w}").format(w=printable(w)), file=sys.stderr)


def cmd_member_action(args: argparse.Namespace) -> int:
    from etcdtui.services import quorum

    action: str = args.action
    settings = settings_from_args(args)
    require_writable(settings, _("member {action}").format(action=action))

    async def go() -> Any:
        async with _service(settings, audit=True) as svc:
            snap = await svc.overview()
            members = snap.members
            if members is None:
                raise EtcdtuiError(snap.members_error or "", title=_("Cannot list members"))
            target = members.find(args.member)
            if target is None:
                raise MemberNotFound(
                    _("no member named or with ID {ref!r}").format(ref=args.member),
                    fix=_("Run `etcdtui members` to see names and IDs."),
                )
            label = target.name or target.hex_id
            if action in ("promote", "remove"):
                change: Any = (
                    quorum.Promote(target.id) if action == "promote" else quorum.Remove(target.id)
                )
                verdict = quorum.what_if(members, snap.healthy_ids(), change, leader_id=snap.leader)
                _print_verdict(verdict)
                verdict.raise_if_refused(force=getattr(args, "force", False))
            if action == "remove":
                if target.id == snap.leader and not args.yes:
                    print(
                        _(
                            "{name} is the leader: removing it stalls writes for an election. "
                            "Consider `etcdtui member move-leader` first."
                        ).format(name=label),
                        file=sys.stderr,
                    )
                confirm_typed(
                    label,
                    _("Remove member {name} ({id}) from the cluster?").format(
                        name=label, id=target.hex_id
                    ),
                    assume_yes=args.yes,
                    also=target.hex_id,
                )
                # re-check right before sending: the cluster may have changed meanwhile
                fresh = await svc.overview()
                if fresh.members is not None:
                    quorum.what_if(
                        fresh.members,
                        fresh.healthy_ids(),
                        quorum.Remove(target.id),
                        leader_id=fresh.leader,
                    ).raise_if_refused(force=getattr(args, "force", False))
                return await svc.member_remove(target.id)
            if action == "promote":
                return await svc.promote_with_retry(
                    target.id,
                    on_retry=lambda n, d, e: print(
                        _("learner not ready ({why}); retry {n} in {d:.1f} s").format(
                            why=e.cause, n=n, d=d
                        ),
                        file=sys.stderr,
                    ),
                )
            if action == "update":
                confirm_typed(
                    label,
                    _("Change the peer URLs of {name}?").format(name=label),
                    assume_yes=args.yes,
                    also=target.hex_id,
                )
                return await svc.member_update(target.id, _split_urls(args.peer_urls))
            if action == "move-leader":
                if target.is_learner:
                    raise UsageError(_("{name} is a learner and cannot lead").format(name=label))
                await svc.move_leader(target.id)
                return await svc.members()
            raise UsageError(action)

    after = run(go, settings)
    if args.output == "json":
        print_json(after.as_dict())
    else:
        print(_("done: member {action} {ref}").format(action=action, ref=args.member))
    return 0
