"""Helpers for Pilot tests against real etcd."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.css.query import NoMatches
from textual.pilot import Pilot

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.services.audit import AuditLog
from etcdtui.ui.app import EtcdtuiApp
from etcdtui.ui.console_service import ConsoleService
from etcdtui.ui.state import MemberRow


def real_app(settings: ConnectionSettings, audit: AuditLog, interval: float = 1.0) -> EtcdtuiApp:
    return EtcdtuiApp(
        settings,
        service_factory=lambda s: ConsoleService(s, audit=audit),
        refresh_interval=interval,
        audit_log=audit,
        theme_dirs=[],
    )


async def until(
    pilot: Pilot[Any],
    pred: Callable[[], Any],
    *,
    timeout: float = 30.0,
    what: str = "condition",
    show: Callable[[], Any] | None = None,
) -> Any:
    """Let the app run until ``pred()`` is truthy; fail after ``timeout`` seconds.

    A widget the predicate asks for that is not mounted yet (``NoMatches``) means "not
    yet". Once the predicate holds, the screen on top is also given the time to finish
    mounting its children, so a test that found "the dialog is open" can query the
    dialog's widgets at once, however loaded the machine is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = pred()
        except NoMatches:
            value = None
        if value:
            while not pilot.app.screen.is_mounted and time.monotonic() < deadline:
                await pilot.pause(0.05)
            await pilot.pause()
            return value
        await pilot.pause(0.1)
    extra = f": {show()!r}" if show else ""
    raise AssertionError(f"timed out waiting for {what}{extra}")


def rows(app: EtcdtuiApp) -> dict[str, MemberRow]:
    return {r.name: r for r in app.state.rows()}


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)


async def select_row(pilot: Pilot[Any], app: EtcdtuiApp, name: str) -> None:
    """Move the members-table cursor to ``name``: Home, then Down until it is selected.

    A poll can reorder the rows while the keys are pressed (a learner that starts gets
    its name and moves to its sorted place), so a pass that misses starts again from
    the top."""
    from etcdtui.ui.widgets.members import MembersTable

    table = app.main.query_one(MembersTable)
    table.focus()
    want = rows(app)[name].key
    seen: list[str | None] = []
    for _pass in range(3):
        await pilot.press("home")
        for _ in range(table.row_count + 1):
            if table.selected_key() == want:
                return
            seen.append(table.selected_key())
            await pilot.press("down")
    shown = [str(k.value) for k in table.rows]
    raise AssertionError(
        f"row {name} ({want}) not reachable with the arrow keys: screen={app.screen!r} "
        f"focused={app.focused!r} table rows={shown} cursor went {seen}"
    )
