"""Command-line entry point: `etcdtui [global flags] [COMMAND ...]`.

Each command group lives in its own module under ``etcdtui/cli/`` and exposes
``register(subparsers)``; the module adds its parsers and sets ``func`` on them.
``func(args) -> int`` returns the exit code. With no command, the console opens.
Heavy modules (textual, grpc) are imported inside handlers so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from etcdtui.i18n import _

# Order is the order of `etcdtui --help`.
COMMAND_MODULES = [
    "etcdtui.cli.cluster_cmds",
    "etcdtui.cli.sandbox_cmds",
    "etcdtui.cli.snapshot_cmds",
]


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """The flags that choose a cluster; same names as etcdctl where etcdctl has one."""
    g = parser.add_argument_group(_("connection"))
    g.add_argument("--context", help=_("context name from the config file"))
    g.add_argument("--endpoints", help=_("comma-separated client URLs (https://host:2379)"))
    g.add_argument("--cacert", help=_("CA bundle that signed the etcd server certificates"))
    g.add_argument("--cert", help=_("client certificate file"))
    g.add_argument("--key", help=_("client private key file"))
    g.add_argument("--server-name", help=_("TLS server name to verify instead of the host"))
    g.add_argument(
        "--user",
        help=_("etcd auth user name; the password is read from ETCDTUI_PASSWORD or a prompt"),
    )
    g.add_argument("--insecure", action="store_true", help=_("allow http:// endpoints"))
    g.add_argument(
        "--timeout", type=float, default=None, help=_("deadline per call in seconds (default 2)")
    )
    g.add_argument("--read-only", action="store_true", help=_("refuse every mutating action"))
    g.add_argument("--config", help=_("config file (default: platform config dir)"))
    g.add_argument(
        "--kubeadm-manifest",
        help=_("kubeadm etcd static pod manifest (default /etc/kubernetes/manifests/etcd.yaml)"),
    )


def add_output_flag(parser: argparse.ArgumentParser, choices: Sequence[str] = ("table", "json")) -> None:
    parser.add_argument(
        "-o", "--output", choices=list(choices), default=choices[0], help=_("output format")
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="etcdtui",
        description=_("A terminal console for operating the etcd clusters behind Kubernetes."),
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument(
        "--sandbox", action="store_true", help=_("start the local sandbox if needed and open it")
    )
    add_connection_flags(parser)
    subparsers = parser.add_subparsers(dest="command", metavar=_("COMMAND"))
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _version() -> str:
    from etcdtui import __version__

    return f"etcdtui {__version__}"


def main(argv: Sequence[str] | None = None) -> None:
    from etcdtui.errors import EtcdtuiError

    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    try:
        if func is None:
            from etcdtui.cli.console import run_console

            code = run_console(args)
        else:
            code = func(args)
    except EtcdtuiError as exc:
        print(exc.render(), file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        code = 130
    except BrokenPipeError:  # `etcdtui status -o json | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
