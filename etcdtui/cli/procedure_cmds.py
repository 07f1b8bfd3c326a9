"""Guided procedures on the command line: `member replace`, `member scale`, `restore`.

Without --execute they print the plan as a runbook (-o markdown|shell|json). With
--execute the executor runs it: cluster-API steps itself, host steps itself only in
the sandbox, other host steps by showing the command and waiting for the operator.

The `member` group belongs to cluster_cmds (add/promote/remove); :func:`register`
attaches `replace` and `scale` to it when it exists and creates it otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

from etcdtui.i18n import _


def _subparsers_of(parser: argparse.ArgumentParser) -> Any:
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            return a
    return None


def register(subparsers: Any) -> None:
    member = subparsers.choices.get("member")
    if member is None:  # cluster_cmds not loaded (yet): create the group once
        member = subparsers.add_parser("member", help=_("membership commands"))
    member_sub = _subparsers_of(member)
    if member_sub is None:
        member_sub = member.add_subparsers(dest="member_command", metavar=_("ACTION"))
    if "replace" not in member_sub.choices:  # cluster_cmds already attached them
        add_member_procedures(member_sub)

    p = subparsers.add_parser(
        "restore",
        help=_("restore the whole cluster from one snapshot (guided)"),
        description=_(
            "Plan (or run, with --execute) a restore of every member from ONE snapshot file."
        ),
    )
    p.add_argument("snapshot", nargs="?", help=_("snapshot file (etcdctl/etcdtui snapshot save)"))
    p.add_argument("--members", help=_("name=peerURL,... when the cluster does not answer"))
    p.add_argument(
        "--data-dir-template",
        help=_("new data dir per member; {name} is replaced (default /var/lib/etcd)"),
    )
    p.add_argument("--tool", help=_("etcdutl (3.5+) or etcdctl (3.4) binary to restore with"))
    p.add_argument("--force", action="store_true", help=_("accept a major.minor version mismatch"))
    from etcdtui.cli.snapshot_cmds import add_decrypt_flags

    add_decrypt_flags(p)  # --identity FILE, --passphrase-file FILE
    p.add_argument(
        "--acknowledge-risks",
        action="store_true",
        help=_(
            "run even though the plan warns that the cluster is healthy, the snapshot is "
            "another cluster's, or it is far behind (--yes alone does not)"
        ),
    )
    _common_flags(p)
    p.set_defaults(func=cmd_restore)


def add_member_procedures(member_subparsers: Any) -> None:
    _add_replace(member_subparsers, "member")

    s = member_subparsers.add_parser(
        "scale", help=_("grow the cluster one learner at a time (guided)")
    )
    s.add_argument("target", nargs="?", type=int, help=_("voters wanted (3, 5 or 7)"))
    s.add_argument(
        "--new-member",
        action="append",
        default=[],
        help=_("NAME=PEER_URL[@CLIENT_URL] (repeat; the sandbox picks its own)"),
    )
    s.add_argument("--force", action="store_true", help=_("allow an even target"))
    s.add_argument("--data-dir", default=None, help=_("data dir on the new hosts"))
    _common_flags(s)
    s.set_defaults(func=cmd_scale)


def _add_replace(subparsers: Any, group: Literal["member", "plan"]) -> None:
    """`member replace` and `plan replace`: one command under two groups, each with its
    own wording."""
    if group == "member":
        help_text = _("replace a failed member, learner first (guided)")
        description = _("The 12-step replacement of a failed member.")
        name_help = _("failed member: name or hex ID")
    else:
        help_text = _("replace a member, learner first; with --evidence, the one that diverged")
        description = _("The same plan as etcdtui member replace.")
        name_help = _("member to replace: name or hex ID")
    p = subparsers.add_parser("replace", help=help_text, description=description)
    p.add_argument("name", nargs="?", help=name_help)
    p.add_argument("--new-name", help=_("name of the new member (default: the old name)"))
    p.add_argument("--new-peer-url", help=_("peer URL of the new member (default: the old one)"))
    p.add_argument("--new-client-url", help=_("client URL of the new member"))
    p.add_argument("--data-dir", default=None, help=_("data dir on the new host (empty)"))
    p.add_argument("--force", action="store_true", help=_("replace a member that still answers"))
    _evidence_flag(p)
    _common_flags(p)
    p.set_defaults(func=cmd_replace)


def _evidence_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--evidence",
        nargs="+",
        metavar="DATA_DIR",
        default=[],
        help=_(
            "members' data dirs (as for etcdtui evidence): replace the one whose data "
            "diverged; the most advanced one is never replaced"
        ),
    )


def _evidence_dirs(args: argparse.Namespace) -> tuple[str, ...]:
    """--evidence's data dirs as absolute paths (replace and rebuild)."""
    return tuple(str(Path(d).absolute()) for d in args.evidence)


def _common_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-o",
        "--output",
        choices=["markdown", "shell", "json"],
        default="markdown",
        help=_("runbook format"),
    )
    p.add_argument("--execute", action="store_true", help=_("run the plan"))
    p.add_argument(
        "--yes",
        action="store_true",
        help=_("do not ask before destructive steps; acknowledge operator steps"),
    )
    p.add_argument(
        "--rollback",
        action="store_true",
        help=_("if a step with a rollback fails (or with --resume), roll it back"),
    )
    p.add_argument("--resume", metavar="ID", help=_("continue a saved wizard run"))
    p.add_argument("--sandbox-dir", help=_("the cluster is this etcdtui sandbox"))
    p.add_argument(
        "--start-timeout",
        type=float,
        default=None,
        help=_(
            "seconds to wait for a new member to start (default 120; with --resume it "
            "replaces the saved plan's)"
        ),
    )


# --- shared plumbing --------------------------------------------------------------------------


class ConsoleOperator:
    """Asks on the terminal; typed confirmation before destructive steps."""

    def show(self, text: str) -> None:
        print(text, flush=True)

    def progress(self, step: Any, fraction: float, text: str) -> None:
        bar = "#" * int(fraction * 20)
        print(f"  [{bar:<20}] {fraction * 100:5.1f}% {text}", flush=True)

    async def confirm(self, step: Any) -> bool:
        word = str(step.params.get("name") or step.id)
        print(_("Destructive step: {title}").format(title=step.title))
        answer = await asyncio.to_thread(input, _("Type {word} to go on: ").format(word=word))
        return answer.strip() == word

    async def wait_done(self, step: Any) -> str:
        answer = await asyncio.to_thread(
            input, _("Type done when it is done, anything else to stop: ")
        )
        return "done" if answer.strip().lower() == "done" else "abort"


def _target(args: argparse.Namespace) -> tuple[Any, Any]:
    """(ConnectionSettings, Sandbox or None) for the cluster the command acts on."""
    from etcdtui.cli.invocation import sandbox_settings, settings_from_args
    from etcdtui.ops.plan_requests import find_sandbox
    from etcdtui.ops.sandbox import Sandbox

    if getattr(args, "sandbox_dir", None):
        sb = Sandbox(Path(args.sandbox_dir))
        return sandbox_settings(sb, args), sb
    if getattr(args, "sandbox", False):
        sb = Sandbox()
        return sandbox_settings(sb, args), sb

    settings = settings_from_args(args)
    return settings, find_sandbox(settings)


def _emit(plan: Any, fmt: str) -> None:
    from etcdtui.ops.plans import render

    sys.stdout.write(render(plan, fmt))


def _execute(
    plan: Any, settings: Any, sandbox: Any, args: argparse.Namespace, executor: Any = None
) -> int:
    from etcdtui import errors
    from etcdtui.cli.invocation import run as run_cancellable
    from etcdtui.ops.runs import AutoOperator, Executor
    from etcdtui.ops.sandbox import SandboxHost

    if settings.read_only:
        raise errors.ReadOnlyMode(_("this context is read-only; the plan was not run"))
    interactive = sys.stdin.isatty()
    if not args.yes and not interactive:
        raise errors.UsageError(
            _("--execute needs a terminal for confirmations"),
            fix=_("Run it in a terminal, or pass --yes."),
        )
    operator = AutoOperator(echo=print) if args.yes else ConsoleOperator()
    host = SandboxHost(sandbox) if sandbox is not None else None
    ack = bool(getattr(args, "acknowledge_risks", False))
    ex = executor or Executor(
        plan, settings, operator=operator, host=host, assume_yes=args.yes, acknowledged=ack
    )
    if executor is not None:
        ex.operator, ex.host, ex.assume_yes, ex.acknowledged = operator, host, args.yes, ack
    if executor is not None and args.rollback:
        asyncio.run(ex.rollback())
        return 0
    print(_("Running plan {id} (resume with --resume {id})").format(id=ex.plan.id), flush=True)
    try:
        # SIGTERM and SIGHUP stop the plan like Ctrl-C: the step in flight is cancelled,
        # the plan file records where it stopped, and --resume carries on from there.
        run_cancellable(ex.run)
    except errors.EtcdtuiError as exc:
        print(exc.render(), file=sys.stderr)
        if exc.code == "cluster-busy":  # refused up front: nothing of ours to roll back
            return exc.exit_code
        if exc.code == "terminated":
            print(
                _("To carry on: {cmd} --resume {id}").format(
                    cmd=_command_name(args), id=ex.plan.id
                ),
                file=sys.stderr,
            )
            return exc.exit_code
        step = ex.plan.step(ex.current) if ex.current else None
        if step is not None and step.rollback is not None:
            want = args.rollback
            if not want and interactive and not args.yes:
                ans = input(_("Roll back ({what})? [y/N] ").format(what=step.rollback.description))
                want = ans.strip().lower() in ("y", "yes")
            if want:
                asyncio.run(ex.rollback())
            else:
                print(
                    _("To roll back: {cmd} --resume {id} --rollback").format(
                        cmd=_command_name(args), id=ex.plan.id
                    ),
                    file=sys.stderr,
                )
        return exc.exit_code
    print(_("Plan {id} finished.").format(id=ex.plan.id))
    return 0


def _print_or_execute(plan: Any, settings: Any, sandbox: Any, args: argparse.Namespace) -> int:
    """Without --execute a plan is a runbook; with it, the executor runs it."""
    if not args.execute:
        _emit(plan, args.output)
        return 0
    return _execute(plan, settings, sandbox, args)


def _command_name(args: argparse.Namespace) -> str:
    sub = getattr(args, "member_command", None)
    if getattr(args, "plan_command", None):
        return f"etcdtui plan {args.plan_command}"
    return f"etcdtui member {sub}" if sub else "etcdtui restore"


def _check_writable(settings: Any, args: argparse.Namespace) -> None:
    from etcdtui import errors

    if args.execute and settings.read_only:
        raise errors.ReadOnlyMode(_("--execute changes the cluster; print the plan without it"))


def _restore_keys(args: argparse.Namespace, path: str) -> Any:
    """`restore --identity/--passphrase-file`: keys for an age-encrypted snapshot, kept in
    this process for the restore steps (never in the plan or its saved state)."""
    from etcdtui.cli.snapshot_cmds import decrypt_keys
    from etcdtui.ops.runs import remember_keys

    keys = decrypt_keys(args, path)
    remember_keys(path, keys)
    return keys


def _resume(args: argparse.Namespace) -> int:
    from etcdtui.ops.runs import AutoOperator, Executor

    settings, sandbox = _target(args)
    ex = Executor.resume(
        args.resume, settings, operator=AutoOperator(), start_timeout=args.start_timeout
    )
    snapshot = (ex.plan.context.get("snapshot") or {}).get("path")
    if ex.plan.kind == "restore" and snapshot:
        _restore_keys(args, str(snapshot))
    return _execute(ex.plan, settings, sandbox, args, executor=ex)


# --- commands ---------------------------------------------------------------------------------


def _with_service(settings: Any, build: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``build`` with a service for ``settings`` (an ops.plan_requests builder)."""
    from etcdtui.ops.cluster import connect

    async def make() -> Any:
        async with connect(settings) as svc:
            return await build(svc)

    return asyncio.run(make())


def _plan_command(
    args: argparse.Namespace,
    check_args: Callable[[], None],
    build_input: Callable[[], Any],
    build_plan: Callable[[Any, Any, Any, Any], Awaitable[Any]],
    target: Callable[[argparse.Namespace], tuple[Any, Any]] = _target,
) -> int:
    """The steps every plan command takes: --resume carries on a saved plan; else check
    the arguments, find the cluster, refuse --execute on a read-only context, build the
    request (``build_input``) and the plan (``build_plan(svc, settings, sandbox, inp)``,
    an ops.plan_requests builder), then print it or run it."""
    if args.resume:
        return _resume(args)
    check_args()
    settings, sandbox = target(args)
    _check_writable(settings, args)
    inp = build_input()
    plan = _with_service(settings, lambda svc: build_plan(svc, settings, sandbox, inp))
    return _print_or_execute(plan, settings, sandbox, args)


def cmd_replace(args: argparse.Namespace) -> int:
    from etcdtui import errors
    from etcdtui.ops import plan_requests

    def check_args() -> None:
        if not args.name and not args.evidence:
            raise errors.UsageError(
                _("which member? pass its name or ID"),
                fix=_("etcdtui member replace NAME, or --evidence DATA_DIR... to let it choose"),
            )

    def build_input() -> plan_requests.ReplaceInput:
        return plan_requests.ReplaceInput(
            member=args.name or "",
            evidence=_evidence_dirs(args),
            new_name=args.new_name,
            new_peer_url=args.new_peer_url,
            new_client_url=args.new_client_url,
            data_dir=args.data_dir,
            force=args.force,
            start_timeout=args.start_timeout,
        )

    return _plan_command(args, check_args, build_input, plan_requests.replace_plan)


def cmd_scale(args: argparse.Namespace) -> int:
    from etcdtui import errors
    from etcdtui.ops import plan_requests
    from etcdtui.ops.procedures import parse_new_members

    def check_args() -> None:
        if args.target is None:
            raise errors.UsageError(_("how many voters? e.g. etcdtui member scale 5"))

    def build_input() -> plan_requests.ScaleInput:
        return plan_requests.ScaleInput(
            target=args.target,
            new_members=parse_new_members(args.new_member),
            force=args.force,
            data_dir=args.data_dir,
            start_timeout=args.start_timeout,
        )

    return _plan_command(args, check_args, build_input, plan_requests.scale_plan)


def cmd_restore(args: argparse.Namespace) -> int:
    from etcdtui import errors
    from etcdtui.ops import plan_requests
    from etcdtui.ops.procedures import parse_members

    if args.resume:
        return _resume(args)
    if not args.snapshot:
        raise errors.UsageError(_("which snapshot file?"), fix=_("etcdtui restore FILE"))
    path = Path(args.snapshot).absolute()
    snap = plan_requests.verify_snapshot(path, _restore_keys(args, str(path)))
    try:
        settings, sandbox = _target(args)
    except errors.ConfigError as exc:
        # The cluster is gone and nothing is configured: plan from --members alone.
        if exc.code != "nothing-configured" or not args.members:
            raise
        from etcdtui.cluster_data import ConnectionSettings

        eps = tuple(m.client_url for m in parse_members(args.members))
        settings, sandbox = ConnectionSettings(endpoints=eps), None
    _check_writable(settings, args)
    inp = plan_requests.RestoreInput(
        snapshot=path,
        members=parse_members(args.members) if args.members else (),
        data_dir_template=args.data_dir_template,
        tool=args.tool,
        force=args.force,
    )

    plan, risks = _with_service(
        settings, lambda svc: plan_requests.restore_plan(svc, sandbox, inp, snap)
    )
    template = args.data_dir_template or (
        plan_requests.sandbox_template(sandbox) if sandbox else plan_requests.DEFAULT_DATA_DIR
    )
    if risks and args.execute and not args.acknowledge_risks:
        for line in risks:
            print(_("warning: {w}").format(w=line), file=sys.stderr)
        raise errors.UsageError(
            _("this restore would replace a cluster that answers; nothing was changed"),
            fix=_(
                "Read the warnings above (print the plan without --execute for the details). "
                "To restore anyway, add --acknowledge-risks."
            ),
        )
    if args.execute and sandbox is not None and template != plan_requests.sandbox_template(sandbox):
        raise errors.UsageError(
            _(
                "the sandbox starts its members from {dir}; a restore into {template} would not "
                "be used"
            ).format(dir=sandbox.dir / "data" / "NAME", template=template),
            fix=_(
                "Drop --data-dir-template to execute in the sandbox (print the plan with "
                "-o markdown to see the commands for other paths)."
            ),
        )
    return _print_or_execute(plan, settings, sandbox, args)


def add_plan_wizards(plan_subparsers: Any) -> None:
    """`etcdtui plan rebuild|replace --evidence DIR...` (the `plan` group is upgrade_cmds');
    `plan replace` is `member replace` under the plan group."""
    _add_replace(plan_subparsers, "plan")
    p = plan_subparsers.add_parser(
        "rebuild",
        help=_("after quorum loss: rebuild from the most advanced survivor (guided)"),
        description=_(
            "Start the most advanced survivor (by the evidence) with --force-new-cluster, "
            "then add the other members back one at a time with empty data dirs."
        ),
    )
    p.add_argument(
        "--evidence",
        nargs="+",
        metavar="DATA_DIR",
        default=[],
        help=_("every member's data dir (as for etcdtui evidence)"),
    )
    _common_flags(p)
    p.set_defaults(func=cmd_rebuild)


def cmd_rebuild(args: argparse.Namespace) -> int:
    from etcdtui import errors
    from etcdtui.ops import plan_requests

    def check_args() -> None:
        if not args.evidence:
            raise errors.UsageError(
                _("which data dirs? the rebuild starts from the most advanced one"),
                fix=_("etcdtui plan rebuild --evidence /var/lib/etcd-m1 /var/lib/etcd-m2 ..."),
            )

    def target(args: argparse.Namespace) -> tuple[Any, Any]:
        try:
            return _target(args)
        except errors.ConfigError as exc:
            # Nothing configured: the evidence itself names the members and their URLs.
            if exc.code != "nothing-configured":
                raise
            return _settings_from_evidence(args.evidence), None

    def build_input() -> plan_requests.RebuildInput:
        return plan_requests.RebuildInput(
            evidence=_evidence_dirs(args),
            start_timeout=args.start_timeout,
        )

    return _plan_command(args, check_args, build_input, plan_requests.rebuild_plan, target)


def _settings_from_evidence(dirs: list[str]) -> Any:
    """Connection settings for the client URLs the most advanced dir's member list
    records (a runbook can be printed with nothing configured)."""
    from etcdtui import errors
    from etcdtui.cluster_data import ConnectionSettings
    from etcdtui.ops.checks import gather_evidence

    best = gather_evidence(dirs).evidence.best
    urls = tuple(u for m in (best.members if best else []) for u in m.get("client_urls") or [])
    if not urls:
        raise errors.UsageError(
            _("nothing is configured, and the data dirs name no client URL"),
            fix=_("Pass the cluster's --endpoints, --cacert, --cert and --key."),
        )
    return ConnectionSettings(endpoints=urls)


def run_cli(argv: list[str]) -> int:
    """Parse and run one wizard command in-process (tests, benchmarks, the TUI).

    Builds a parser with only the connection flags and this module's commands, so it
    works whatever else is registered; errors are rendered like ``etcdtui`` does."""
    from etcdtui.cli import add_connection_flags
    from etcdtui.errors import EtcdtuiError

    parser = argparse.ArgumentParser(prog="etcdtui")
    parser.add_argument("--sandbox", action="store_true")
    add_connection_flags(parser)
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except EtcdtuiError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
