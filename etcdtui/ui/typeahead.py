"""Type-ahead: keys are handed out one at a time, each after the previous one settled.

Textual forwards a key to the focused widget at once, but a key binding runs only when
the key has travelled to that widget and bubbled back up to the screen and the app. In a
burst (a paste, ``tmux send-keys``, keys over a slow SSH link) the app had long
forwarded the rest of the burst to the old widget by then: after ``:`` opened the
command line, ``promote m2`` went to the members table as shortcuts.

``KeyGate`` holds keys back while the previous key is still being handled: until every
message pump of the app and its current screen is idle (bindings run, focus moved, a
pushed dialog mounted and focused). Then the next key is forwarded to whatever has focus
*now*. A human typing never notices; a burst lands key by key where it belongs.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from textual import events

SETTLE_LIMIT_S = 2.0  # a key is released at the latest after this (a stuck widget)
_YIELDS_BEFORE_SLEEP = 20


class KeyGate:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.backlog: deque[events.Event] = deque()
        self.settling = False
        self._task: asyncio.Task[None] | None = None

    def hold(self, event: events.Event) -> bool:
        """True if ``event`` waits in the backlog (the app must not handle it now)."""
        if getattr(event, "_etcdtui_released", False):
            return False
        if self.settling or self.backlog:
            self.backlog.append(event)
            return True
        if not self._quiet():
            # the first key of a burst can arrive while the app is still busy, e.g. a
            # dialog pushed a moment ago is not mounted and focused yet: it waits too
            self.backlog.append(event)
            self.handled()
            return True
        return False

    def handled(self) -> None:
        """The app just dispatched a key: wait for it to settle before the next one."""
        self.settling = True
        self._task = asyncio.get_running_loop().create_task(self._settle())

    def _quiet(self) -> bool:
        app = self.app
        try:
            screen = app.screen
        except Exception:
            return True
        if not screen.is_mounted:
            return False
        for pump in (app, *screen.walk_children(with_self=True)):
            if not pump._message_queue.empty():  # private: no public equivalent
                return False
        return True

    async def _settle(self) -> None:
        deadline = time.monotonic() + SETTLE_LIMIT_S
        quiet_rounds, n = 0, 0
        while time.monotonic() < deadline:
            n += 1
            await asyncio.sleep(0 if n < _YIELDS_BEFORE_SLEEP else 0.002)
            quiet_rounds = quiet_rounds + 1 if self._quiet() else 0
            if quiet_rounds >= 2:  # twice in a row: nothing posted something new
                break
        self.settling = False
        if self.backlog:
            self.app.call_later(self._release)

    async def _release(self) -> None:
        if self.settling or not self.backlog:
            return
        event = self.backlog.popleft()
        event._etcdtui_released = True  # type: ignore[attr-defined]
        await self.app.on_event(event)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.backlog.clear()
