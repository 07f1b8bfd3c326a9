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
    import gc
    import sys

    paused = argv is None and gc.isenabled()
    if paused:
        # The process's own command: its start-up (imports, the parser) builds
        # long-lived objects and next to no garbage, yet the cyclic collector ran over
        # them again and again (about 3 % of `etcdtui status`'s instructions). It is
        # back on once a command starts (etcdtui.cli._dispatch), or once the console's
        # first poll is on screen (ui/launch.py, EtcdtuiApp.resume_gc), and at the
        # latest when this returns (--help, a usage error).
        gc.disable()
    try:
        _run(argv, sys.argv[1:] if argv is None else argv)
    finally:
        if paused:
            gc.enable()


def _run(argv: Sequence[str] | None, words: Sequence[str]) -> None:
    if words[:1] != ["snapshot"]:
        from etcdtui.cli import main as run

        run(argv, console=open_console)
        return
    from etcdtui.services.snapshots import earlyhash

    try:
        # `snapshot verify FILE`'s floor is the sha256 of FILE: start it before the CLI
        # is even imported (the command takes the job over; earlyhash.start_for_argv).
        earlyhash.start_for_argv(list(words))
        from etcdtui.cli import main as run

        run(argv, console=open_console)
    finally:
        earlyhash.drop_pending()
