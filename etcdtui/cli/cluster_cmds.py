"""Cluster commands: members, status, health, alarms, hashkv and `member` actions.

The JSON printed by `members` and `status` is a contract other tools rely on.
"""

from __future__ import annotations

import argparse
import sys

from etcdtui.cli import add_output_flag, registering
from etcdtui.cli.invocation import (
    confirm_typed,
    require_writable,
    run,
    run_blocking,
    settings_from_args,
)
from etcdtui.cli.output import print_json, print_table
from etcdtui.cluster_data import ClusterReading, MemberList, hashkv_verdict, hex_id
from etcdtui.domain.formatting import human_bytes
from etcdtui.domain.health import is_access_error
from etcdtui.i18n import _
from etcdtui.ops.status import quick_read, read_over_grpc, status_document, status_transport
from etcdtui.terminal_text import printable

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any


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

    p = sub.add_parser("alarms", help=_("active alarms (NOSPACE, CORRUPT); `alarms disarm`"))
    p.add_argument(
        "action", nargs="?", choices=["list", "disarm"], default="list", help=_("default: list")
    )
    p.add_argument("--execute", action="store_true", help=_("disarm: do it (else: plan only)"))
    p.add_argument("--yes", action="store_true", help=_("with --execute: do not ask to confirm"))
    add_output_flag(p)
    p.set_defaults(func=cmd_alarms)

    p = sub.add_parser("hashkv", help=_("compare every member's HashKV at one revision"))
    add_output_flag(p)
    p.add_argument("--revision", type=int, default=None, help=_("revision (default: common)"))
    p.set_defaults(func=cmd_hashkv)

    if not registering("member"):
        return  # its group imports the guided procedures: only when it runs
    member = sub.add_parser("member", help=_("change membership (quorum-guarded)"))
    msub = member.add_subparsers(dest="member_command", metavar=_("ACTION"), required=True)

    p = msub.add_parser("add", help=_("add a member, as a learner unless --voter"))
    p.add_argument("name", help=_("name the new member will start with"))
    p.add_argument("--peer-urls", required=True, help=_("comma-separated peer URLs"))
    p.add_argument("--voter", action="store_true", help=_("add as a voting member (not advised)"))
    p.add_argument("--force", action="store_true", help=_("override etcdtui's own policy"))
    _what_if_flag(p)
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
        _what_if_flag(p)
        add_output_flag(p)
        p.set_defaults(func=cmd_member_action, action=action)

    p = msub.add_parser("update", help=_("change a member's peer URLs"))
    p.add_argument("member", help=_("member name or hex ID"))
    p.add_argument("--peer-urls", required=True, help=_("comma-separated peer URLs"))
    p.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    p.add_argument("--force", action="store_true", help=_("override etcdtui's own policy"))
    _what_if_flag(p)
    add_output_flag(p)
    p.set_defaults(func=cmd_member_action, action="update")

    try:  # guided procedures (replace, scale) plug into the same group
        from etcdtui.cli.procedure_cmds import add_member_procedures
    except ImportError:
        pass
    else:
        add_member_procedures(msub)


def _what_if_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--what-if",
        action="store_true",
        help=_("print the verdict and exit (0 allowed, 1 refused); nothing is sent"),
    )


# --- read-only commands ---------------------------------------------------------------


def _service(settings: Any, *, audit: bool = False) -> Any:
    from etcdtui.ops.cluster import connect

    return connect(settings, audit=audit)


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


def _status_reading(settings: Any) -> tuple[ClusterReading, Any]:
    """The reading and each member's /metrics: through the gateway on threads (no
    asyncio, no grpc: start-up time), else over gRPC, also when the gateway showed it
    cannot answer as gRPC would."""
    if status_transport(settings) == "gateway":
        got = run_blocking(lambda: quick_read(settings), settings)
        if got.unusable is None:
            return got.reading, got.scraped
        print(
            _("note: {why}; asking again over gRPC").format(why=printable(got.unusable)),
            file=sys.stderr,
        )
    return run(lambda: read_over_grpc(settings), settings)


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    reading, scraped = _status_reading(settings)
    doc = status_document(reading, scraped)
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
    from etcdtui.domain.quorum import badge, summarize

    members = reading.members.members if reading.members else ()
    summary = summarize(members, reading.healthy_ids())
    names = {m.id: m.name for m in members}
    denied = quorum["state"] == "access-denied"
    print(
        _("cluster {id}   quorum {badge}   leader {leader}").format(
            id=doc["cluster_id"] or "?",
            badge=_("UNKNOWN (access denied)") if denied else badge(summary),
            leader=printable(
                names.get(reading.leader or 0) or doc["leader"] or (_("?") if denied else _("none"))
            ),
        )
    )
    if denied:
        print(
            _(
                "etcd refused these credentials ({why}). The members answered, so this is not "
                "quorum loss: check --user and ETCDTUI_PASSWORD, or the client certificate's "
                "common name (status needs the root role)."
            ).format(why=doc["access_error"]),
            file=sys.stderr,
        )
    if reading.members_error:
        print(_("member list failed: {why}").format(why=printable(reading.members_error)))
    for alarm in reading.alarms:
        print(_("ALARM {kind} on member {id}").format(kind=alarm.kind, id=hex_id(alarm.member_id)))
    rows: list[tuple[object, ...]] = []
    for s in reading.endpoints:
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
                    _("access denied") if is_access_error(s.error_code) else _("unreachable"),
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
    _print_metrics(doc)
    return 1 if degraded else 0


def _ms(seconds: Any) -> str:
    return "" if seconds is None else f"{seconds * 1000:.1f} ms"


def _print_metrics(doc: dict[str, Any]) -> None:
    """Each member's /metrics numbers and the advisories they raise."""
    rows: list[tuple[object, ...]] = []
    for e in doc["endpoints"]:
        m = e.get("metrics")
        if not m:
            continue
        if not m["ok"]:
            rows.append((e["endpoint"], "", "", "", "", "", "", m["error"] or ""))
            continue
        quota = m["quota_backend_bytes"]
        rtt = [v for v in m["peer_rtt_p99_seconds"].values() if v is not None]
        rows.append(
            (
                e["endpoint"],
                human_bytes(quota) if quota else "?",
                f"{m['db_quota_usage'] * 100:.1f}%" if m["db_quota_usage"] is not None else "",
                _ms(m["wal_fsync_p99_seconds"]),
                _ms(m["backend_commit_p99_seconds"]),
                _ms(max(rtt)) if rtt else "",
                m["leader_changes_seen_total"],
                f"{m['proposals_failed_total']}/{m['proposals_pending']}",
            )
        )
    if rows:
        print()
        print_table(
            [
                _("endpoint"),
                _("quota"),
                _("db/quota"),
                _("wal fsync p99"),
                _("commit p99"),
                _("peer rtt p99"),
                _("leader changes"),
                _("proposals failed/pending"),
            ],
            rows,
        )
    for a in doc.get("advisories", []):
        print(f"{a['level'].upper()}: {a['title']}. {a['why']} {a.get('fix', '')}".rstrip())


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
    if args.action == "disarm":
        return _alarms_disarm(args, settings)

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


def _alarms_disarm(args: argparse.Namespace, settings: Any) -> int:
    from etcdtui.ops.maintenance import Maintenance, quota_note

    if args.execute:
        require_writable(settings, _("alarm disarm"))
        confirm_typed("disarm", _("Disarm every active alarm?"), assume_yes=args.yes)

    async def go() -> Any:
        async with _service(settings, audit=True) as svc:
            if not args.execute:
                return await svc.alarms(), None
            return None, await Maintenance(svc).disarm()

    alarms, disarmed = run(go, settings)
    if disarmed is not None:
        if args.output == "json":
            print_json({"disarmed": disarmed, "executed": True})
        elif not disarmed:
            print(_("no alarms"))
        else:
            print(_("disarmed: {list}").format(list=", ".join(str(a["alarm"]) for a in disarmed)))
        return 0
    if args.output == "json":
        print_json(
            {
                "alarms": [a.as_dict() for a in alarms],
                "executed": False,
                "etcdctl": "etcdctl alarm disarm",
            }
        )
        return 0
    for a in alarms:
        print(_("would disarm {kind} on member {id}").format(kind=a.kind, id=hex_id(a.member_id)))
    if not alarms:
        print(_("no alarms"))
    elif any(a.kind == "NOSPACE" for a in alarms):
        print(quota_note())
        print(_("Disarm only after compaction and defrag: `etcdtui maintenance nospace`."))
    print(_("etcdctl equivalent:") + "\n  etcdctl alarm disarm")
    print(_("dry run: nothing changed. Add --execute to run it."))
    return 0


def cmd_hashkv(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)

    async def go() -> Any:
        async with _service(settings) as svc:
            await svc.members()
            return await svc.hashkv(args.revision)

    hashes = run(go, settings)
    verdict = hashkv_verdict(hashes)
    consistent = verdict == "consistent"
    if args.output == "json":
        print_json(
            {
                "consistent": consistent,
                "state": verdict,
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
        if verdict == "mismatch":
            print(
                _(
                    "MISMATCH: members disagree at the same revision; the data diverged. Take a "
                    "snapshot from the majority and replace the odd member."
                ),
                file=sys.stderr,
            )
        elif verdict == "no-answer":
            print(
                _(
                    "NOT VERIFIED: no member answered HashKV, so nothing was compared (a "
                    "compacted or future --revision, or no member reachable). Check the errors "
                    "above and pick a revision between the compact revision and the current one."
                ),
                file=sys.stderr,
            )
        elif verdict == "incomplete":
            print(
                _(
                    "INCOMPLETE: the members that answered agree, but some gave no answer; "
                    "their data was not compared. Check the errors above and run again."
                ),
                file=sys.stderr,
            )
    return 0 if consistent else 1


# --- member actions: thin over etcdtui.ops.members ----------------------------------------

_KIND = {
    "promote": "promote",
    "remove": "remove",
    "update": "update-peer-urls",
    "move-leader": "move-leader",
}


def cmd_member_add(args: argparse.Namespace) -> int:
    return _member_change(args, "add-voter" if args.voter else "add-learner", _("member add"))


def cmd_member_action(args: argparse.Namespace) -> int:
    action: str = args.action
    return _member_change(args, _KIND[action], _("member {action}").format(action=action))


def _member_change(args: argparse.Namespace, kind: str, what: str) -> int:
    from etcdtui.ops import members as ops

    settings = settings_from_args(args)
    if args.what_if:
        return _member_what_if(args, kind, settings)
    require_writable(settings, what)
    req = _member_request(args, kind)
    adding = kind in ("add-learner", "add-voter")

    async def go() -> tuple[ops.Outcome, MemberList]:
        async with _service(settings, audit=True) as svc:
            plan = await ops.plan(svc, req)
            _print_verdict(plan)
            ops.refuse_unless_runnable(svc, plan, svc.audit)
            if plan.confirm_text is not None and plan.target is not None:
                _confirm(plan, assume_yes=args.yes)
            outcome = await ops.execute(
                svc,
                req,
                audit=svc.audit,
                progress=lambda text: print(printable(text), file=sys.stderr, flush=True),
            )
            after = outcome.members_after or await svc.members()
            return outcome, after

    outcome, after = run(go, settings)
    if adding:
        return _print_added(args, outcome, after)
    if args.output == "json":
        print_json(after.as_dict())
    else:
        print(_("done: member {action} {ref}").format(action=args.action, ref=args.member))
    return 0


def _member_request(args: argparse.Namespace, kind: str) -> Any:
    from etcdtui.ops import members as ops

    adding = kind in ("add-learner", "add-voter")
    return ops.MemberRequest(
        kind,
        target=None if adding else args.member,
        peer_urls=getattr(args, "peer_urls", None) or "",
        name=args.name if adding else "",
        force=getattr(args, "force", False),
    )


def _member_what_if(args: argparse.Namespace, kind: str, settings: Any) -> int:
    """`--what-if`: the verdict the change would get now; nothing is sent."""
    from etcdtui.ops import members as ops

    req = _member_request(args, kind)

    async def go() -> Any:
        async with _service(settings) as svc:
            return await ops.plan(svc, req)

    plan = run(go, settings)
    if args.output == "json":
        print_json(plan.as_dict())
    else:
        _print_verdict(plan)
        for r in plan.reasons:
            print(_("refused: {r}").format(r=printable(r)))
        if plan.reasons and plan.fix:
            print(_("fix: {fix}").format(fix=printable(plan.fix)))
        if plan.runnable:
            print(_("allowed: nothing was sent (drop --what-if to run it)"))
        print(_("etcdctl equivalent:") + "\n  " + plan.command)
    return 0 if plan.runnable else 1


def _confirm(plan: Any, *, assume_yes: bool) -> None:
    target = plan.target
    label = target.name or target.hex_id
    if plan.kind == "remove" and plan.target_is_leader and not assume_yes:
        print(
            _(
                "{name} is the leader: removing it stalls writes for an election. "
                "Consider `etcdtui member move-leader` first."
            ).format(name=label),
            file=sys.stderr,
        )
    prompt = {
        "remove": _("Remove member {name} ({id}) from the cluster?"),
        "update-peer-urls": _("Change the peer URLs of {name} ({id})?"),
        "move-leader": _("Move leadership to {name} ({id})?"),
    }[plan.kind]
    confirm_typed(
        plan.confirm_text,
        prompt.format(name=label, id=target.hex_id),
        assume_yes=assume_yes,
        also=target.hex_id,
    )


def _print_added(args: argparse.Namespace, outcome: Any, after: MemberList) -> int:
    member = outcome.added
    if args.output == "json":
        print_json(
            {
                "member": member.as_dict(),
                "initial_cluster": outcome.initial_cluster,
                "members": after.as_dict()["members"],
            }
        )
        return 0
    print(
        _("added member {id} ({kind}); start it now with:").format(
            id=member.hex_id, kind=_("learner") if member.is_learner else _("voter")
        )
    )
    print(f"  ETCD_NAME={args.name}")
    print(f'  ETCD_INITIAL_CLUSTER="{outcome.initial_cluster}"')
    print(f'  ETCD_INITIAL_ADVERTISE_PEER_URLS="{",".join(outcome.plan.peer_urls)}"')
    print("  ETCD_INITIAL_CLUSTER_STATE=existing")
    return 0


def _print_verdict(plan: Any) -> None:
    from etcdtui.domain.quorum import describe

    print(_("before: {s}").format(s=describe(plan.before)), file=sys.stderr)
    print(_("after:  {s}").format(s=describe(plan.after)), file=sys.stderr)
    for w in plan.warnings:
        print(_("warning: {w}").format(w=printable(w)), file=sys.stderr)
