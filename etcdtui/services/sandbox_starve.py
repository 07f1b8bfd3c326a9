"""Starve a sandbox member of CPU: a bounded SIGSTOP/SIGCONT duty cycle.

Run by the sandbox as ``python -m etcdtui.services.sandbox_starve PID DATA_DIR DUTY PERIOD
SECONDS``. Each period the member is stopped for DUTY x PERIOD seconds and then runs for the
rest, so its heartbeats and votes arrive late, as on a host without CPU or disk time. It
acts only while PID's command line names DATA_DIR (the member's own data dir), stops after
SECONDS, and always leaves the member running (SIGCONT) when it ends, on SIGTERM too.
Standard library only.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

STEP_S = 0.02


def _owns(pid: int, data_dir: str) -> bool:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"--data-dir={data_dir}".encode() in args


def run(pid: int, data_dir: str, duty: float, period: float, seconds: float) -> int:
    stop = False

    def on_term(_sig: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    end = time.monotonic() + seconds
    try:
        while not stop and time.monotonic() < end and _owns(pid, data_dir):
            os.kill(pid, signal.SIGSTOP)
            _sleep(duty * period, lambda: stop)
            os.kill(pid, signal.SIGCONT)
            _sleep((1.0 - duty) * period, lambda: stop)
    except ProcessLookupError:
        return 0
    finally:
        try:
            if _owns(pid, data_dir):
                os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    return 0


def _sleep(seconds: float, stopped: object) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not stopped():  # type: ignore[operator]
        time.sleep(min(STEP_S, max(0.0, end - time.monotonic())))


def main(argv: list[str]) -> int:
    try:
        pid, data_dir = int(argv[0]), argv[1]
        duty, period, seconds = float(argv[2]), float(argv[3]), float(argv[4])
    except (IndexError, ValueError):
        print(
            "usage: python -m etcdtui.services.sandbox_starve PID DATA_DIR DUTY PERIOD SECONDS",
            file=sys.stderr,
        )
        return 2
    return run(pid, data_dir, duty, period, seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
