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
