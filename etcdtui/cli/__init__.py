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
    "etcdtui.cli.wizard_cmds",
    "etcdtui.cli.sandbox_cmds",
    "etcdtui.cli.snapshot_cmds",
    "etcdtui.cli.pki_cmds",
    "etcdtui.cli.certs_cmds",
    "etcdtui.cli.security_cmds",
    "etcdtui.cli.drill_cmds",
]

# Which modules a top-level command needs. Only those are imported, so a command does
# not pay for the start-up of the others (tests/unit/test_cli_parser.py keeps it true).
COMMANDS: dict[str, tuple[str, ...]] = {
    "members": ("etcdtui.cli.cluster_cmds",),
    "status": ("etcdtui.cli.cluster_cmds",),
    "health": ("etcdtui.cli.cluster_cmds",),
    "alarms": ("etcdtui.cli.cluster_cmds",),
    "hashkv": ("etcdtui.cli.cluster_cmds",),
    "member": ("etcdtui.cli.cluster_cmds", "etcdtui.cli.wizard_cmds"),
    "restore": ("etcdtui.cli.wizard_cmds",),
    "sandbox": ("etcdtui.cli.sandbox_cmds",),
    "snapshot": ("etcdtui.cli.snapshot_cmds",),
    "pki": ("etcdtui.cli.pki_cmds",),
    "certs": ("etcdtui.cli.certs_cmds",),
    "security": ("etcdtui.cli.security_cmds",),
    "drill": ("etcdtui.cli.drill_cmds",),
}

_VALUE_FLAGS = {
    "--context",
    "--endpoints",
    "--cacert",
    "--cert",
    "--key",
    "--server-name",
    "--user",
    "--timeout",
    "--config",
    "--kubeadm-manifest",
}


def _first_word(argv: Sequence[str]) -> str | None:
    """The first token that is neither a flag nor a flag's value."""
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        if token in _VALUE_FLAGS:
            skip = True
            continue
        if token.startswith("-"):
            continue
        return token
    return None


def _command_in(argv: Sequence[str]) -> str | None:
    word = _first_word(argv)
    return word if word in COMMANDS else None


def _modules_for(argv: Sequence[str] | None) -> Sequence[str]:
    """The command modules to register for ``argv``: the command's own; none when the
    console opens (no word at all, no help asked); every one otherwise (help, typos)."""
    if argv is None:
        return COMMAND_MODULES
    command = _command_in(argv)
    if command:
        return COMMANDS[command]
    if _first_word(argv) is None and not {"-h", "--help"} & set(argv):
        return ()
    return COMMAND_MODULES


class _Group:
    """Adds arguments to a group, skipping any flag a sub-command already defines, and
    (for sub-commands) with SUPPRESS defaults so they never mask the global value."""

    def __init__(self, group: argparse._ArgumentGroup, suppress: bool) -> None:
        self.group = group
        self.suppress = suppress

    def add_argument(self, *flags: str, **kwargs: object) -> None:
        if self.suppress:
            kwargs["default"] = argparse.SUPPRESS
        try:
            self.group.add_argument(*flags, **kwargs)  # type: ignore[arg-type]
        except argparse.ArgumentError:
            pass


def add_connection_flags(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """The flags that choose a cluster; same names as etcdctl where etcdctl has one.

    They are accepted before and after the command: `etcdtui --context x status` and
    `etcdtui status --context x` mean the same."""
    g = _Group(parser.add_argument_group(_("connection")), suppress)
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


def add_output_flag(
    parser: argparse.ArgumentParser, choices: Sequence[str] = ("table", "json")
) -> None:
    parser.add_argument(
        "-o", "--output", choices=list(choices), default=choices[0], help=_("output format")
    )


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="etcdtui",
        description=_("A terminal console for operating the etcd clusters behind Kubernetes."),
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument(
        "--sandbox", action="store_true", help=_("start the local sandbox if needed and open it")
    )
    add_connection_flags(parser)
    subparsers = parser.add_subparsers(dest="command", metavar=_("COMMAND"))
    wanted = _modules_for(argv)
    for name in COMMAND_MODULES:
        if name in wanted:
            importlib.import_module(name).register(subparsers)
    _add_flags_to_leaves(subparsers)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse's parser, but its help formatter gets the width from here: argparse
    would import shutil (and with it zlib, bz2 and lzma) for every command's start-up
    just to learn the terminal width. Subparsers inherit the class."""

    def _get_formatter(self) -> argparse.HelpFormatter:
        return self.formatter_class(prog=self.prog, width=_help_width())  # type: ignore[call-arg]


def _help_width() -> int:
    """shutil.get_terminal_size's rule ($COLUMNS, then the terminal, then 80), less the
    2 columns argparse keeps free."""
    import os

    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


def _add_flags_to_leaves(action: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for sub in set(action.choices.values()):
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            for n in nested:
                _add_flags_to_leaves(n)
        else:
            add_connection_flags(sub, suppress=True)


def _version() -> str:
    from etcdtui import __version__

    return f"etcdtui {__version__}"


def main(argv: Sequence[str] | None = None) -> None:
    from etcdtui.errors import EtcdtuiError

    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments)
    args = parser.parse_args(arguments)
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
