"""`etcdtui check consistency|perf` and `etcdtui evidence DATA_DIR...`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from etcdtui.cli import add_output_flag
from etcdtui.cli.common import run, settings_from_args
from etcdtui.cli.output import print_json, print_table
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

    p = sub.add_parser(
        "evidence",
        help=_("offline, read-only: which stopped member's data dir is the most advanced"),
    )
    p.add_argument("data_dirs", nargs="+", metavar="DATA_DIR", help=_("etcd --data-dir paths"))
    add_output_flag(p)
    p.set_defaults(func=cmd_evidence)


def _service(settings: Any) -> Any:
    from etcdtui.services.cluster import ClusterService

    return ClusterService(settings)


def cmd_consistency(args: argparse.Namespace) -> int:
    from etcdtui.services import consistency

    settings = settings_from_args(args)

    async def go() -> Any:
        async with _service(settings) as svc:
            return await consistency.check(svc, args.revision)

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
        line = consistency.describe(report)
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
    from etcdtui.services.evidence import gather

    ev = gather(args.data_dirs)
    if args.output == "json":
        print_json(ev.as_dict())
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
        if ev.best is not None:
            print(
                _(
                    "most advanced: {path}. Rebuild from it: copy (never move) its "
                    "member/snap/db to a safe place, then `etcdtui restore COPY` (a raw db "
                    "restores with --skip-hash-check)."
                ).format(path=_safe(ev.best.path))
            )
    if ev.best is None:
        return 1
    return 1 if any(d.diverged_from for d in ev.dirs) or not all(d.ok for d in ev.dirs) else 0


def _safe(text: str) -> str:
    """Control characters from files never reach the terminal raw."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
