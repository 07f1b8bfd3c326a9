"""`etcdtui maintenance defrag|compact|nospace`: guided, quorum-checked, audited.

Without ``--execute`` each command prints its plan (and the etcdctl commands that do
the same) and changes nothing. ``--execute`` asks to type the action's name, unless
``--yes`` is given too.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from etcdtui.cli import add_output_flag
from etcdtui.cli.invocation import confirm_typed, require_writable, run, settings_from_args
from etcdtui.cli.output import print_json, print_table, safe_text
from etcdtui.domain.formatting import human_bytes
from etcdtui.errors import UsageError
from etcdtui.i18n import _


def _mutation_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--execute", action="store_true", help=_("do it (without it: print the plan only)")
    )
    p.add_argument("--dry-run", action="store_true", help=_("print the plan only (the default)"))
    p.add_argument("--yes", action="store_true", help=_("with --execute: do not ask to confirm"))
    add_output_flag(p)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    maint = sub.add_parser(
        "maintenance", help=_("defragment, compact and recover from NOSPACE (guided)")
    )
    msub = maint.add_subparsers(dest="maintenance_command", metavar=_("ACTION"), required=True)

    p = msub.add_parser(
        "defrag", help=_("defragment members one at a time, leader last, health-checked")
    )
    p.add_argument("members", nargs="*", metavar="MEMBER", help=_("member names or hex IDs"))
    p.add_argument("--all", action="store_true", help=_("every member"))
    p.add_argument(
        "--rule",
        default=None,
        help=_("only members matching, e.g. 'dbQuotaUsage > 0.8 || dbSizeFree > 1e9'"),
    )
    p.add_argument(
        "--move-leader", action="store_true", help=_("move leadership away before the leader")
    )
    p.add_argument(
        "--wait", type=float, default=2.0, help=_("seconds to settle between members (default 2)")
    )
    _mutation_flags(p)
    p.set_defaults(func=cmd_defrag)

    p = msub.add_parser("compact", help=_("compact history up to the current revision"))
    p.add_argument(
        "--retain", type=int, default=0, help=_("keep this many recent revisions (default 0)")
    )
    _mutation_flags(p)
    p.set_defaults(func=cmd_compact)

    p = msub.add_parser(
        "nospace", help=_("recover from NOSPACE: compact, defrag each member, disarm, test a write")
    )
    p.add_argument(
        "--move-leader", action="store_true", help=_("move leadership away before the leader")
    )
    p.add_argument(
        "--wait", type=float, default=2.0, help=_("seconds to settle between members (default 2)")
    )
    _mutation_flags(p)
    p.set_defaults(func=cmd_nospace)


def _service(settings: Any) -> Any:
    from etcdtui.ops.cluster import connect

    return connect(settings, audit=True)


def _maintenance(svc: Any, args: argparse.Namespace) -> Any:
    from etcdtui.ops.maintenance import Maintenance

    quiet = args.output == "json"

    def say(msg: str) -> None:
        if not quiet:
            print(safe_text(msg), file=sys.stderr)

    return Maintenance(svc, settle_s=max(0.0, getattr(args, "wait", 2.0)), on_event=say)


def _executing(args: argparse.Namespace, settings: Any, word: str, prompt: str) -> bool:
    if args.execute and args.dry_run:
        raise UsageError(_("--execute and --dry-run contradict each other"))
    if not args.execute:
        return False
    require_writable(settings, word)
    confirm_typed(word, prompt, assume_yes=args.yes)
    return True


def _size(n: int | None) -> str:
    return "-" if n is None else human_bytes(n)


def _print_plan(plan: Any) -> None:
    print(_("defragment, one member at a time, in this order:"))
    print_table(
        [_("#"), _("member"), _("role"), _("db size"), _("in use"), _("quota"), _("endpoint")],
        [
            (
                i,
                m.name,
                m.as_dict()["role"],
                _size(m.db_size),
                _size(m.db_size_in_use),
                _size(m.quota) + ("" if m.quota_known else _(" (default)")),
                m.endpoint,
            )
            for i, m in enumerate(plan.order, 1)
        ],
    )
    for m, why in plan.skipped:
        print(safe_text(_("skipped {name}: {why}").format(name=m.name, why=why)))
    for note in plan.notes:
        print(safe_text(_("note: {note}").format(note=note)))
    print(_("etcdctl equivalent:"))
    for c in plan.commands():
        print(f"  {c}")


def _print_results(results: Any) -> None:
    print_table(
        [_("member"), _("before"), _("after"), _("in use after"), _("blocked")],
        [
            (
                r.member.name,
                _size(r.member.db_size),
                _size(r.after_size),
                _size(r.after_in_use),
                f"{r.blocked_s:.2f} s" if r.blocked_s is not None else (r.error or ""),
            )
            for r in results
        ],
    )


def cmd_defrag(args: argparse.Namespace) -> int:
    from etcdtui.ops.maintenance import DefragAborted, compile_rule

    if args.all and args.members:
        raise UsageError(_("give MEMBER names or --all, not both"))
    if not args.all and not args.members:
        raise UsageError(
            _("which members? give MEMBER names, or --all"),
            fix=_("e.g. `etcdtui maintenance defrag --all --rule 'dbQuotaUsage > 0.5'`"),
        )
    if args.rule:
        compile_rule(args.rule)  # a bad rule fails before any connection
    settings = settings_from_args(args)
    execute = _executing(
        args, settings, "defrag", _("Defragment the members above, one at a time?")
    )

    async def go() -> tuple[Any, Any, Any]:
        async with _service(settings) as svc:
            m = _maintenance(svc, args)
            plan = await m.plan_defrag(
                args.members,
                rule=args.rule,
                move_leader=args.move_leader,
            )
            if not execute or not plan.order:
                return plan, None, None
            try:
                return plan, await m.run_defrag(plan), None
            except DefragAborted as exc:
                return plan, exc.results, exc

    plan, results, aborted = run(go, settings)
    if args.output == "json":
        doc: dict[str, Any] = {"plan": plan.as_dict(), "executed": execute}
        if results is not None:
            doc["results"] = [r.as_dict() for r in results]
        if aborted is not None:
            doc["error"] = aborted.as_dict()
        print_json(doc)
    else:
        _print_plan(plan)
        if results is not None:
            _print_results(results)
        elif not execute:
            print(_("dry run: nothing changed. Add --execute to run it."))
    if aborted is not None:
        if args.output != "json":
            print(aborted.render(), file=sys.stderr)
        return aborted.exit_code
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    if args.retain < 0:
        raise UsageError(_("--retain must be 0 or more"))
    settings = settings_from_args(args)
    execute = _executing(
        args, settings, "compact", _("Compact history (older revisions become unreadable)?")
    )

    async def go() -> Any:
        async with _service(settings) as svc:
            m = _maintenance(svc, args)
            if not execute:
                await m.require_quorum(_("compact"))
                head = (await svc.get(b"\0", keys_only=True, limit=1)).header.revision
                return head, None
            result = await m.compact(args.retain)
            return result.head, result

    head, result = run(go, settings)
    target = max(0, head - args.retain)
    command = f"etcdctl compact {target} --physical"
    if args.output == "json":
        print_json(
            {
                "head": head,
                "target": target,
                "executed": execute,
                "result": result.as_dict() if result else None,
                "etcdctl": command,
            }
        )
    elif result is None:
        print(_("would compact to revision {rev} (head {head})").format(rev=target, head=head))
        print(_("etcdctl equivalent:") + f"\n  {command}")
        print(_("dry run: nothing changed. Add --execute to run it."))
    elif result.skipped:
        print(_("nothing to compact (already compacted to {rev})").format(rev=result.revision))
    else:
        print(_("compacted to revision {rev}").format(rev=result.revision))
        print(_("the db file keeps its size until you defragment: `etcdtui maintenance defrag`"))
    return 0


def cmd_nospace(args: argparse.Namespace) -> int:
    from etcdtui.ops.maintenance import DefragAborted, nospace_commands, quota_note

    settings = settings_from_args(args)
    execute = _executing(
        args,
        settings,
        "nospace",
        _("Compact to the current revision, defragment every member, and disarm the alarms?"),
    )

    async def go() -> Any:
        async with _service(settings) as svc:
            m = _maintenance(svc, args)
            if not execute:
                reading = await m.require_quorum(_("NOSPACE recovery"))
                alarms = await svc.alarms()
                plan = await m.plan_defrag(move_leader=args.move_leader)
                return reading, alarms, plan, None
            return None, None, None, await m.nospace(move_leader=args.move_leader)

    try:
        _snap, alarms, plan, report = run(go, settings)
    except DefragAborted as exc:
        if exc.results:
            _print_results(exc.results)
        raise
    if report is not None:
        if args.output == "json":
            print_json(report.as_dict())
            return 0
        _print_results(report.defrag)
        print(_("alarms disarmed: {n}; a test write succeeded").format(n=len(report.disarmed)))
        return 0
    urls = [m.endpoint for m in plan.order]
    if args.output == "json":
        print_json(
            {
                "alarms": [a.as_dict() for a in alarms],
                "plan": plan.as_dict(),
                "executed": False,
                "note": quota_note(),
                "etcdctl": nospace_commands(urls),
            }
        )
        return 0
    if alarms:
        for a in alarms:
            print(_("ALARM {kind} on member {id:x}").format(kind=a.kind, id=a.member_id))
    else:
        print(_("no alarm is active"))
    print(quota_note())
    print(_("steps: 1 compact to the current revision, 2 defragment each member (below),"))
    print(_("3 disarm the alarms, 4 check that a write succeeds."))
    _print_plan(plan)
    print(_("etcdctl runbook:"))
    for c in nospace_commands(urls):
        print(f"  {c}")
    print(_("dry run: nothing changed. Add --execute to run it."))
    return 0
