"""`etcdtui plan upgrade --to VERSION`: the rolling upgrade as a runbook (a Plan)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from etcdtui.cli.common import run, settings_from_args
from etcdtui.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = sub.add_parser("plan", help=_("plan a procedure as a runbook (upgrade)"))
    psub = plan.add_subparsers(dest="plan_command", metavar=_("PROCEDURE"), required=True)
    p = psub.add_parser(
        "upgrade", help=_("rolling upgrade, one member at a time, leader last (pre-flight first)")
    )
    p.add_argument("--to", required=True, metavar="VERSION", help=_("target etcd version"))
    p.add_argument(
        "--flags-from",
        default=None,
        metavar="FILE",
        help=_("kubeadm etcd.yaml or a file with etcd's command line (flag checks)"),
    )
    p.add_argument(
        "--backup", default="/var/backups/etcd/pre-upgrade.db", help=_("where the backup goes")
    )
    p.add_argument(
        "--systemd", action="store_true", help=_("members run as a binary, not a static Pod")
    )
    p.add_argument("--force", action="store_true", help=_("plan it despite pre-flight failures"))
    p.add_argument(
        "-o",
        "--output",
        choices=["markdown", "shell", "json"],
        default="markdown",
        help=_("output format"),
    )
    p.set_defaults(func=cmd_plan_upgrade)


def cmd_plan_upgrade(args: argparse.Namespace) -> int:
    from etcdtui.services.cluster import ClusterService
    from etcdtui.services.plans import render
    from etcdtui.services.procedures.common import gather
    from etcdtui.services.procedures.upgrade import UpgradeRequest, build_upgrade_plan, read_flags

    flags = read_flags(args.flags_from) if args.flags_from else ()
    settings = settings_from_args(args)

    async def go() -> Any:
        async with ClusterService(settings) as svc:
            facts = await gather(svc)
            try:
                alarms = await svc.alarms()
            except Exception:
                alarms = ()
            auth = await svc.auth_enabled()
            req = UpgradeRequest(
                args.to,
                flags=flags,
                backup_path=args.backup,
                kubeadm=not args.systemd,
                force=args.force,
                auth_enabled=auth,
                alarms=tuple(alarms),
            )
            return build_upgrade_plan(facts, req)

    plan = run(go, settings)
    sys.stdout.write(render(plan, args.output))
    return 0
