"""`etcdtui check consistency|perf` and `etcdtui evidence DATA_DIR...`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from etcdtui.cli import add_output_flag
from etcdtui.cli.invocation import run, settings_from_args
from etcdtui.cli.output import print_json, print_table
from etcdtui.cli.output import safe_text as _safe
from etcdtui.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser("check", help=_("consistency (HashKV) and performance checks"))
    csub = check.add_subparsers(dest="check_command", metavar=_("CHECK"), required=True)

    p = csub.add_parser(
        "consistency", help=_("HashKV of every member at one revision (exit 1 on mismatch)")
    )
    p.add_argument("--revision", type=int, default=None, help=_("revision (default: common)"))
    add_output_flag(p)
    p.set_defaults(func=cmd_consistency)

    p = csub.add_parser(
        "perf", help=_("bounded write load like etcdctl check perf (pass/fail, exit 1 on fail)")
    )
    p.add_argument("--load", choices=["s", "m", "l", "xl"], default="s", help=_("as etcdctl"))
    p.add_argument(
        "--duration", type=float, default=10.0, help=_("seconds of load (max 60, default 10)")
    )
    p.add_argument("--clients", type=int, default=None, help=_("override the load's clients"))
    p.add_argument("--rate", type=float, default=None, help=_("override writes per second"))
    p.add_argument(
        "--force", action="store_true", help=_("allow it on a protected (non-loopback) context")
    )
    add_output_flag(p)
    p.set_defaults(func=cmd_perf)

    p = sub.add_parser(
        "evidence",
        help=_("offline, read-only: which stopped member's data dir is the most advanced"),
    )
    p.add_argument("data_dirs", nargs="+", metavar="DATA_DIR", help=_("etcd --data-dir paths"))
    p.add_argument(
        "--copy-to",
        default=None,
        metavar="FILE",
        help=_("copy the most advanced member/snap/db here, ready for `etcdtui restore FILE`"),
    )
    add_output_flag(p)
    p.set_defaults(func=cmd_evidence)


def cmd_consistency(args: argparse.Namespace) -> int:
    from etcdtui.ops.health import check_consistency, describe_consistency

    settings = settings_from_args(args)

    async def go() -> Any:
        return await check_consistency(settings, args.revision)

    report = run(go, settings)
    if args.output == "json":
        print_json(report.as_dict())
    else:
        doc = report.as_dict()
        print_table(
            [_("member"), _("endpoint"), _("hash"), _("compact rev"), _("differs"), _("error")],
            [
                (
                    m["name"] or "?",
                    m["endpoint"],
                    m["hash"] if m["error"] is None else "",
                    m["compact_revision"],
                    _("YES") if m["differs"] else "",
                    m["error"] or "",
                )
                for m in doc["members"]  # type: ignore[attr-defined]
            ],
        )
        line = describe_consistency(report)
        print(line, file=sys.stdout if report.consistent else sys.stderr)
        if not report.consistent:
            print(
                _(
                    "The data diverged. Stop writes to the odd member, take a snapshot from a "
                    "member of the majority, and replace the odd member "
                    "(`etcdtui member replace`)."
                ),
                file=sys.stderr,
            )
    return 0 if report.consistent else 1


def cmd_evidence(args: argparse.Namespace) -> int:
    from etcdtui.ops.checks import copy_refusal, gather_evidence

    outcome = gather_evidence(args.data_dirs, args.copy_to)
    ev, copied = outcome.evidence, outcome.copied
    if args.output == "json":
        print_json(
            ev.as_dict()
            | {
                "copied_to": str(copied) if copied else None,
                "copy_refused": outcome.copy_refused,
                "restore_command": f"etcdtui restore {copied}" if copied else None,
                "rebuild_command": _rebuild_command(args.data_dirs)
                if ev.best is not None and not outcome.diverged
                else None,
            }
        )
    else:
        rows = []
        for d in ev.dirs:
            w = d.wal
            rows.append(
                (
                    ("* " if d is ev.best else "  ") + _safe(d.path),
                    d.term if d.term is not None else (w.term if w else ""),
                    w.commit if w and w.commit is not None else "",
                    d.consistent_index if d.consistent_index is not None else "",
                    w.last_index if w and w.last_index is not None else "",
                    d.revision if d.revision is not None else "",
                    d.db_hash if d.db_hash is not None else "",
                    ",".join(_safe(m["name"]) or m["id"] for m in d.members),
                    _("DIVERGED") if d.diverged_from else (d.error or ""),
                )
            )
        print_table(
            [
                _("data dir"),
                _("term"),
                _("commit"),
                _("applied (consistent index)"),
                _("last wal index"),
                _("revision"),
                _("hash"),
                _("members"),
                _("note"),
            ],
            rows,
        )
        for note in ev.notes:
            print(_("note: {note}").format(note=note))
        if outcome.copy_refused is not None:
            print(_("not copied: {why}").format(why=outcome.copy_refused), file=sys.stderr)
        elif copied is not None:
            print(
                _("copied its db to {path}; plan the restore with: etcdtui restore {path}").format(
                    path=_safe(str(copied))
                )
            )
        elif outcome.diverged:
            print(
                _("do not rebuild from any of them yet: {why}").format(why=copy_refusal(ev)),
                file=sys.stderr,
            )
        elif ev.best is not None:
            print(
                _(
                    "most advanced: {path}. Rebuild from it: copy (never move) its "
                    "member/snap/db to a safe place, then `etcdtui restore COPY` (a raw db "
                    "restores with --skip-hash-check)."
                ).format(path=_safe(ev.best.path))
            )
            print(
                _(
                    "Or start it alone with --force-new-cluster and add the others back: {cmd}"
                ).format(cmd=_safe(_rebuild_command(args.data_dirs)))
            )
    return outcome.exit_code


def _rebuild_command(dirs: list[str]) -> str:
    import shlex

    return "etcdtui plan rebuild --evidence " + " ".join(shlex.quote(d) for d in dirs)


def cmd_perf(args: argparse.Namespace) -> int:
    from etcdtui.errors import UsageError
    from etcdtui.ops.perf import MAX_DURATION_S, refuse_unless_allowed, run_check

    if not 0 < args.duration <= MAX_DURATION_S:
        raise UsageError(_("--duration must be more than 0 and at most 60 seconds"))
    if (args.clients is not None and not 0 < args.clients <= 2000) or (
        args.rate is not None and not 0 < args.rate <= 50_000
    ):
        raise UsageError(_("--clients must be 1-2000 and --rate 1-50000"))
    settings = settings_from_args(args)
    refuse_unless_allowed(settings, force=args.force)

    async def go() -> Any:
        return await run_check(
            settings,
            load=args.load,
            duration_s=args.duration,
            clients=args.clients,
            rate=args.rate,
        )

    result = run(go, settings)
    if args.output == "json":
        print_json(result.as_dict())
    else:
        print_table(
            [_("check"), _("result"), _("detail")],
            [(n, _("PASS") if ok else _("FAIL"), d) for n, ok, d in result.checks()],
        )
        print(_("PASS") if result.passed else _("FAIL"))
    return 0 if result.passed else 1
