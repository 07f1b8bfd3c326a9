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
from collections.abc import Callable, Sequence

from etcdtui.i18n import _

TYPE_CHECKING = False  # typing costs start-up (see etcdtui/records.py)
if TYPE_CHECKING:
    from typing import Any

# Order is the order of `etcdtui --help`.
COMMAND_MODULES = [
    "etcdtui.cli.cluster_cmds",
    "etcdtui.cli.procedure_cmds",
    "etcdtui.cli.sandbox_cmds",
    "etcdtui.cli.snapshot_cmds",
    "etcdtui.cli.pki_cmds",
    "etcdtui.cli.certs_cmds",
    "etcdtui.cli.security_cmds",
    "etcdtui.cli.drill_cmds",
    "etcdtui.cli.maintenance_cmds",
    "etcdtui.cli.check_cmds",
    "etcdtui.cli.upgrade_cmds",
]

# Which modules a top-level command needs. Only those are imported, so a command does
# not pay for the start-up of the others (tests/unit/test_cli_parser.py keeps it true).
COMMANDS: dict[str, tuple[str, ...]] = {
    "members": ("etcdtui.cli.cluster_cmds",),
    "status": ("etcdtui.cli.cluster_cmds",),
    "health": ("etcdtui.cli.cluster_cmds",),
    "alarms": ("etcdtui.cli.cluster_cmds",),
    "maintenance": ("etcdtui.cli.maintenance_cmds",),
    "check": ("etcdtui.cli.check_cmds",),
    "evidence": ("etcdtui.cli.check_cmds",),
    "plan": ("etcdtui.cli.upgrade_cmds",),
    "hashkv": ("etcdtui.cli.cluster_cmds",),
    "member": ("etcdtui.cli.cluster_cmds", "etcdtui.cli.procedure_cmds"),
    "restore": ("etcdtui.cli.procedure_cmds",),
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
    "--lang",
}


def _first_word_at(argv: Sequence[str]) -> int | None:
    """The index of the first token that is neither a flag nor a flag's value."""
    skip = False
    for i, token in enumerate(argv):
        if skip:
            skip = False
            continue
        if token in _VALUE_FLAGS:
            skip = True
            continue
        if token.startswith("-"):
            continue
        return i
    return None


def _first_word(argv: Sequence[str]) -> str | None:
    """The first token that is neither a flag nor a flag's value."""
    at = _first_word_at(argv)
    return None if at is None else argv[at]


def _action_in(argv: Sequence[str]) -> str | None:
    """The word right after the command word (``status`` in `snapshot status FILE`):
    the sub-command of a group, when it is one."""
    at = _first_word_at(argv)
    return argv[at + 1] if at is not None and at + 1 < len(argv) else None


def _command_in(argv: Sequence[str]) -> str | None:
    word = _first_word(argv)
    return word if word in COMMANDS else None


def _help_first(argv: Sequence[str]) -> bool:
    """``-h``/``--help`` before the command word: the help is the top level's, which
    lists every command (`etcdtui --help status`)."""
    word = _first_word(argv)
    for token in argv:
        if token == word:
            return False
        if token in ("-h", "--help"):
            return True
    return False


# The one command this parser is built for (None: every command). Command modules ask
# registering(NAME) before they build a costly part of the tree (a group that imports
# another module), and only its leaves get the connection flags.
_narrowed: str | None = None


# The word after the command word while build_parser narrows to one command (None:
# not narrowed): a group may build only the sub-command it names (narrowed_action).
_narrowed_action: str | None = None


def narrowed_action() -> str | None:
    """The word after the command word (``verify`` in `snapshot verify FILE`) when the
    parser being built serves that one command line, else None. A group that knows the
    word as one of its sub-commands may build that one alone; for any other word it
    builds them all (help and a typo's "invalid choice" list every one)."""
    return _narrowed_action


def registering(command: str) -> bool:
    """Whether build_parser wants ``command``'s parser: the command line names it, or
    the parser is built for help, a typo or every command."""
    return _narrowed is None or _narrowed == command


def _modules_for(argv: Sequence[str] | None) -> Sequence[str]:
    """The command modules to register for ``argv``: the command's own; none when the
    console opens (no word at all, no help asked); every one otherwise (help, typos)."""
    if argv is None or _help_first(argv):
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
    g.add_argument(
        "--lang",
        metavar="LANG",
        help=_(
            "language of messages: id (Bahasa Indonesia) or en (default: ui.language in the "
            "config file, then LANGUAGE, LC_ALL, LC_MESSAGES, LANG)"
        ),
    )


def add_output_flag(
    parser: argparse.ArgumentParser, choices: Sequence[str] = ("table", "json")
) -> None:
    parser.add_argument(
        "-o", "--output", choices=list(choices), default=choices[0], help=_("output format")
    )


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    from etcdtui.cli import argparse_i18n

    argparse_i18n.install()
    parser: argparse.ArgumentParser = _Parser(
        prog="etcdtui",
        description=_("A terminal console for operating the etcd clusters behind Kubernetes."),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=_version(),
        help=_("show program's version number and exit"),  # argparse's default is untranslated
    )
    parser.add_argument(
        "--sandbox", action="store_true", help=_("start the local sandbox if needed and open it")
    )
    add_connection_flags(parser)
    subparsers = parser.add_subparsers(dest="command", metavar=_("COMMAND"))
    wanted = _modules_for(argv)
    global _narrowed, _narrowed_action
    # only the command being run gets its full tree (the parser is thrown away after
    # one parse); help and typos see every command
    only = None if argv is None or _help_first(argv) else _command_in(argv)
    _narrowed = only
    _narrowed_action = None if only is None else _action_in(argv or ())
    try:
        for name in COMMAND_MODULES:
            if name in wanted:
                importlib.import_module(name).register(subparsers)
    finally:
        _narrowed = _narrowed_action = None
    _add_flags_to_leaves(subparsers, only, None if only is None else _action_in(argv or ()))
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse's parser, but its help formatter gets the width from here: argparse
    would import shutil (and with it zlib, bz2 and lzma) for every command's start-up
    just to learn the terminal width. Subparsers inherit the class."""

    def _get_formatter(self) -> argparse.HelpFormatter:
        return self.formatter_class(prog=self.prog, width=_help_width())  # type: ignore[call-arg]

    def _print_message(self, message: str, file: Any = None) -> None:
        # argparse swallows write errors here: `--help > /dev/full` would exit 0 with
        # nothing written. Let them reach main(), which says so and exits 74.
        if message:
            (file or sys.stderr).write(message)


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


def _add_flags_to_leaves(
    action: argparse._SubParsersAction[argparse.ArgumentParser],
    only: str | None = None,
    then: str | None = None,
) -> None:
    """The connection flags on every leaf parser (under ``only``, when given: no other
    command's parser is used in this run; and within a group, under its sub-command
    ``then`` when that names one: `snapshot status FILE` uses no other leaf of
    `snapshot`). A word that names no sub-command (help, a typo) narrows nothing."""
    subs = action.choices.values() if only is None else [action.choices.get(only)]
    for sub in {s for s in subs if s is not None}:
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            for n in nested:
                _add_flags_to_leaves(n, then if then in n.choices else None)
        else:
            add_connection_flags(sub, suppress=True)


def _version() -> str:
    from etcdtui import __version__

    return f"etcdtui {__version__}"


def _flag_value(argv: Sequence[str], flag: str) -> str | None:
    """The value of ``flag`` (``--flag V`` or ``--flag=V``; the last one wins)."""
    value = None
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word == flag and i + 1 < len(argv):
            value = argv[i + 1]
        elif word.startswith(flag + "="):
            value = word.partition("=")[2]
    return value


def _config_language(argv: Sequence[str]) -> str | None:
    """``ui.language`` from the config file, read only when the file mentions it (YAML
    costs start-up time). A broken file is reported later by the command itself."""
    from etcdtui.errors import EtcdtuiError
    from etcdtui.paths import config_file_name  # a string: no etcdtui.config, no pathlib

    path = config_file_name(_flag_value(argv, "--config"))
    try:
        from etcdtui.safeio import read_limited

        if b"language" not in read_limited(path):
            return None
        from etcdtui.config import load_config

        return load_config(path).language
    except (OSError, EtcdtuiError):
        return None


def choose_language(argv: Sequence[str]) -> str:
    """Set the messages' language before any text is built: ``--lang``, then the config
    file's ``ui.language``, then LANGUAGE, LC_ALL, LC_MESSAGES and LANG."""
    from etcdtui.i18n import set_language

    return set_language(_flag_value(argv, "--lang") or _config_language(argv))


Console = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None, *, console: Console | None = None) -> None:
    """Run one command. With no command, ``console(args)`` opens the console: the
    entry point (etcdtui.main) passes it, so this package never imports the console's.
    Without it, the help is printed (exit 2)."""
    from etcdtui.errors import EtcdtuiError
    from etcdtui.ops.contexts import follow_sandboxes

    follow_sandboxes()  # saved contexts that dial a sandbox follow its membership
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _dispatch(arguments, console, whole_process=argv is None)
        sys.stdout.flush()  # a full disk shows here, not as a traceback at exit
    except EtcdtuiError as exc:
        _write_stderr(exc.render())
        code = exc.exit_code
    except KeyboardInterrupt:
        _write_stderr(_("interrupted"))
        code = 130
    except BrokenPipeError:  # `etcdtui status -o json | head`
        _silence_stdout()
        code = 0
    except OSError as exc:  # stdout on a full disk (/dev/full), an I/O error, ...
        _silence_stdout()
        where = exc.filename or _("standard output")
        _write_stderr(
            _("error: cannot write {where}: {why}").format(
                where=where, why=exc.strerror or type(exc).__name__
            )
        )
        code = 74  # EX_IOERR
    sys.exit(code)


def _dispatch(
    arguments: list[str], console: Console | None = None, *, whole_process: bool = False
) -> int:
    choose_language(arguments)
    parser = build_parser(arguments)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as done:  # --help, --version and usage errors
        sys.stdout.flush()
        return done.code if isinstance(done.code, int) else 2
    func = getattr(args, "func", None)
    if func is None:
        if console is None:
            parser.print_help(sys.stderr)
            return 2
        return console(args)
    from etcdtui.terminal_text import EscapingStream

    if whole_process:
        import gc

        # What start-up built (modules, the parser) lives until the process ends: out of
        # the collector's sight, its collections during the command and the full ones at
        # exit traverse only what the command creates (`etcdtui status` spent about 7 %
        # of its instructions in the collector, half of them at exit). Not when called
        # with an argv (tests, in-process callers): their process goes on.
        gc.freeze()
        gc.enable()  # etcdtui.main turned it off for the start-up
    # a safety net under the per-field escaping: no raw escape sequence from the cluster
    # or a file reaches the terminal, whatever a command prints (JSON has none to escape)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(out), EscapingStream(err)  # type: ignore[assignment]
    try:
        code: int = func(args)
        sys.stdout.flush()
    finally:
        sys.stdout, sys.stderr = out, err
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _write_stderr(text: str) -> None:
    try:
        print(text, file=sys.stderr)
    except OSError:
        pass
