"""Drop reactive watchers whose watching widget is gone.

Textual stores a watcher ``(widget, callback)`` on the *watched* object (its
``__watchers`` dict) and prunes the ones of closed widgets only when that attribute next
changes. A long-lived object whose attribute never changes keeps every watcher, and
with it every widget that ever watched it: the key footer binds each key it builds to
``Footer.compact`` (``data_bind``), rebuilds its keys at every change of bindings, and
so kept every key it ever built (about 13 MiB a minute under faults, found with the
soak; Textual issue 6666). ``prune_closed_watchers`` applies Textual's own rule
(a closing or closed widget is dropped) without waiting for a change.
"""

from __future__ import annotations

from typing import Any


def prune_closed_watchers(*objects: Any) -> int:
    """Remove watchers of closed (or closing) nodes from each object; returns how many."""
    dropped = 0
    for obj in objects:
        watchers = getattr(obj, "__watchers", None)
        if not isinstance(watchers, dict):
            continue
        for name, entries in list(watchers.items()):
            if not isinstance(entries, list):
                continue
            kept = [
                (node, callback)
                for node, callback in entries
                if not (getattr(node, "_closing", False) or getattr(node, "_closed", False))
            ]
            dropped += len(entries) - len(kept)
            entries[:] = kept
            if not kept:
                del watchers[name]
    return dropped


def watcher_count(obj: Any) -> int:
    """How many watchers ``obj`` holds (for tests and benchmarks)."""
    watchers = getattr(obj, "__watchers", None)
    if not isinstance(watchers, dict):
        return 0
    return sum(len(v) for v in watchers.values() if isinstance(v, list))
