"""Run by benchmarks/startup_instructions.py, in a pseudo-terminal, from the source tree
being measured (its directory is the current one): ``python -m etcdtui ARGS`` that ends
the process as soon as the console has written its first frame of the members table
(the header row), so that callgrind counts the instructions of start-up only.

Textual's timers of half a second or more are pushed far out: under callgrind the
process runs some 50 times slower, and a timer meant to fire seconds after the first
frame (the first certificate check, user themes) would otherwise fire before it. Not
part of the console: a measuring aid only.
"""

from __future__ import annotations

import os
import runpy
import sys
from typing import Any

sys.path.insert(0, os.getcwd())

from textual.drivers.linux_driver import LinuxDriver
from textual.message_pump import MessagePump

MARK = "CLIENT URLS"  # a column title of the members table
_write = LinuxDriver.write
_set_timer, _set_interval = MessagePump.set_timer, MessagePump.set_interval


def write(self: LinuxDriver, data: str) -> None:
    _write(self, data)
    if MARK in data:
        os._exit(0)


def set_timer(self: MessagePump, delay: float, *args: Any, **kwargs: Any) -> Any:
    return _set_timer(self, delay * 1000 if delay >= 0.5 else delay, *args, **kwargs)


def set_interval(self: MessagePump, interval: float, *args: Any, **kwargs: Any) -> Any:
    return _set_interval(self, interval * 1000 if interval >= 0.5 else interval, *args, **kwargs)


LinuxDriver.write = write  # type: ignore[method-assign]
MessagePump.set_timer = set_timer  # type: ignore[method-assign]
MessagePump.set_interval = set_interval  # type: ignore[method-assign]
sys.argv = ["etcdtui", *sys.argv[1:]]
runpy.run_module("etcdtui", run_name="__main__", alter_sys=True)
