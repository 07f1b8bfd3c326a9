"""`etcdtui plan upgrade --to VERSION`: the rolling upgrade as a runbook (a Plan)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from etcdtui.cli.invocation import confirm_typed, require_writable, run, settings_from_args
from etcdtui.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = sub.add_parser(
        "plan", help=_("plan a procedure as a runbook (upgrade, rebuild, replace)")
    )
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
        "--execute",
        action="store_true",
        help=_("run it (the local sandbox only: etcdtui runs host steps there)"),
    )
    p.add_argument("--yes", action="store_true", help=_("with --execute: do not ask to confirm"))
    p.add_argument(
        "--etcd-binary", default=None, help=_("with --execute: the target's etcd binary")
    )
    p.add_argument(
        "--sandbox-dir", type=Path, default=None, help=_("with --execute: the sandbox directory")
    )
    p.add_argument(
        "-o",
        "--output",
        choices=["markdown", "shell", "json"],
        default="markdown",
        help=_("output format"),
    )
    p.set_defaults(func=cmd_plan_upgrade)
    from etcdtui.cli.procedure_cmds import add_plan_wizards

    add_plan_wizards(psub)


def cmd_plan_upgrade(args: argparse.Namespace) -> int:
    from etcdtui.ops.cluster import connect
    from etcdtui.ops.plans import render
    from etcdtui.ops.procedures import UpgradeRequest, build_upgrade_plan, gather, read_flags

    flags = read_flags(args.flags_from) if args.flags_from else ()
    settings = settings_from_args(args)
    sandbox = None
    if args.execute:
        from etcdtui.errors import UsageError
        from etcdtui.ops.sandbox import sandbox_for

        require_writable(settings, _("plan upgrade --execute"))
        sandbox = sandbox_for(settings, args.sandbox_dir)
        if sandbox is None:
            raise UsageError(
                _("--execute runs host steps, which etcdtui does only on its sandbox"),
                fix=_("Print the plan without --execute and follow it on each host."),
            )
        if not args.etcd_binary:
            raise UsageError(_("--execute needs --etcd-binary (the target's etcd)"))

    async def go() -> Any:
        async with connect(settings) as svc:
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
                binary=str(Path(args.etcd_binary).absolute()) if args.etcd_binary else None,
            )
            return build_upgrade_plan(facts, req)

    plan = run(go, settings)
    if not args.execute:
        sys.stdout.write(render(plan, args.output))
        return 0
    return _execute(plan, settings, sandbox, args)


def _execute(plan: Any, settings: Any, sandbox: Any, args: argparse.Namespace) -> int:
    from etcdtui.ops.runs import AutoOperator, Executor
    from etcdtui.ops.sandbox import SandboxHost

    confirm_typed(
        "upgrade", _("Upgrade every member to {v}?").format(v=args.to), assume_yes=args.yes
    )
    ex = Executor(
        plan,
        settings,
        operator=AutoOperator(echo=print),
        host=SandboxHost(sandbox),
        assume_yes=True,
    )
    print(_("Running plan {id}").format(id=plan.id), flush=True)
    from etcdtui.cli.invocation import run as run_cancellable

    run_cancellable(ex.run)  # SIGTERM/SIGHUP stop it like Ctrl-C, the step in flight cancelled
    print(_("Plan {id} finished.").format(id=plan.id))
    return 0
