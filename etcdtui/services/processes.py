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


def wait_gone(pid: int, gone: Callable[[], bool], *, timeout: float, poll: float) -> bool:
    """Wait up to ``timeout`` seconds until ``gone()``, reaping ``pid`` as it goes.

    A signal reaches a (multi-threaded) process asynchronously: right after ``kill()``
    the process can still be running, and a caller that checks "is it running?" too
    early sees the old process. True once it is gone."""
    deadline = time.monotonic() + timeout
    while True:
        reap(pid)
        if gone():
            reap(pid)
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)


def terminate(
    pid: int, gone: Callable[[], bool], *, timeout: float, poll: float, resume: bool = False
) -> None:
    """SIGTERM ``pid`` and wait up to ``timeout`` seconds (checking every ``poll``) until
    ``gone()``; SIGKILL it after that, and wait (bounded) for the SIGKILL to take effect.
    ``resume`` sends SIGCONT first: a paused process cannot handle SIGTERM."""
    try:
        if resume:
            os.kill(pid, signal.SIGCONT)
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if wait_gone(pid, gone, timeout=timeout, poll=poll):
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    wait_gone(pid, gone, timeout=KILL_WAIT_S, poll=poll)


KILL_WAIT_S = 10.0
"""How long a SIGKILLed process may take to go (it can sit in an uninterruptible
disk wait, e.g. an fsync, before the signal takes effect)."""
