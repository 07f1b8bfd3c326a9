"""The `etcdtui` command (and `python -m etcdtui`): the CLI reads the command line and
runs a command; with no command it calls back here and the console opens.

This module sits above both faces, so the CLI never imports the console and the
console never imports the CLI (the layers contract in pyproject.toml)."""

from __future__ import annotations

# typing and argparse are imported for the checker only: `snapshot verify` starts its
# hash before anything else loads (see main), and typing alone costs a few ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence


def open_console(args: argparse.Namespace) -> int:
    from etcdtui.ui.launch import run_console

    return run_console(args)


def main(argv: Sequence[str] | None = None) -> None:
    import sys

    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] != ["snapshot"]:
        from etcdtui.cli import main as run

        run(argv, console=open_console)
        return
    import gc

    # The offline snapshot commands race etcdutl and openssl: while the modules and the
    # parser are built (nothing there is garbage) the collector stays off; the CLI
    # freezes what they built and turns it back on before the command runs (a whole
    # process only: an in-process caller's collector is left alone).
    collecting = argv is None and gc.isenabled()
    if collecting:
        gc.disable()
    from etcdtui.services.snapshots import earlyhash

    try:
        # `snapshot verify FILE`'s floor is the sha256 of FILE: start it before the CLI
        # is even imported (the command takes the job over; earlyhash.start_for_argv).
        earlyhash.start_for_argv(words)
        from etcdtui.cli import main as run

        run(argv, console=open_console)
    finally:
        if collecting:
            gc.enable()
        earlyhash.drop_pending()
