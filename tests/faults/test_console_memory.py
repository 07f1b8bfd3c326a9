"""The console's memory under fault cycles: what it builds per refresh or key press must
not accumulate (found by the soak: RSS grew about 13 MiB a minute under faults).

The cause was the key footer: every rebuild (at each change of bindings: a key that
opens a dialog, a fault that enables or disables actions) left a watcher per key on the
footer, keeping every key widget ever built. Counted here, without timing: after N
cycles of faults and key presses, the live key widgets and the footer's watchers are
those of one footer, not N."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from textual.widgets._footer import FooterKey

from etcdtui.ui.watchers import watcher_count
from etcdtui.ui.widgets.command_line import CommandLine
from etcdtui.ui.widgets.footer import KeyFooter
from tests.support.pilot_helpers import until
from tests.support.screen_apps import make_app, populate

CYCLES = 20


def _footer_keys() -> list[FooterKey]:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, FooterKey)]


async def test_footer_keys_do_not_accumulate_over_fault_cycles() -> None:
    # Only the keys this test builds are counted: an earlier test's app can still be
    # alive in this process (pytest keeps the last failure's traceback, and with it that
    # test's app and its keys, in sys.last_traceback), and CI once failed this test on
    # those keys, not on its own.
    earlier = weakref.WeakSet(_footer_keys())

    def live_footer_keys() -> int:
        return sum(1 for key in _footer_keys() if key not in earlier)

    app: Any
    app, _svc = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await populate(pilot)
        sc = app.service.sc
        footer = app.main.query_one(KeyFooter)
        line = app.main.query_one(CommandLine)
        shown = len(footer.query(FooterKey))
        assert shown > 0
        for cycle in range(CYCLES):
            # a fault and its recovery: the actions on offer change, so do the bindings
            sc.down, sc.leader = ({2, 3}, 0) if cycle % 2 == 0 else (set(), 1)
            await populate(pilot, polls=1)
            # a key that opens the command line and one that closes it: focus moves
            await pilot.press("colon")
            await until(pilot, lambda: line.display, what="command line open")
            await pilot.press("escape")
            await until(pilot, lambda: not line.display, what="command line closed")
        # one footer's keys (per screen that has one), plus a rebuild in flight at most.
        # A rebuild removes the old keys a moment later, on a loaded machine later still:
        # wait (bounded) for the count to settle; keys that accumulate never do.
        counts: list[tuple[int, int]] = []

        def settled() -> bool:
            keys = len(footer.query(FooterKey))
            counts.append((live_footer_keys(), keys))
            return counts[-1][0] <= 3 * max(keys, shown)

        await until(pilot, settled, what="old footer keys released", show=lambda: counts[-1])
        live, keys_now = counts[-1]
        watchers = watcher_count(footer)
    assert live <= 3 * max(keys_now, shown), (live, keys_now, CYCLES)
    assert watchers <= 2 * max(keys_now, shown), (watchers, keys_now)
