"""Stopping a child process by its PID: SIGTERM, a bounded wait, then SIGKILL; always
reaped, so no zombie is left behind."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable


def reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it has exited (never waits)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def terminate(
    pid: int, gone: Callable[[], bool], *, timeout: float, poll: float, resume: bool = False
) -> None:
    """SIGTERM ``pid`` and wait up to ``timeout`` seconds (checking every ``poll``) until
    ``gone()``; SIGKILL it after that. ``resume`` sends SIGCONT first: a paused process
    cannot handle SIGTERM."""
    try:
        if resume:
            os.kill(pid, signal.SIGCONT)
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap(pid)
        if gone():
            reap(pid)
            return
        time.sleep(poll)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    reap(pid)
