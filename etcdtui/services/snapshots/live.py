"""The live side of ``snapshot diff A --live``: the cluster's keys, paged, at one revision."""

from __future__ import annotations

from typing import Any

from etcdtui.services.snapshots.diff import Entry, value_hash

PAGE = 1000


async def live_entries(service: Any, *, page: int = PAGE) -> tuple[list[Entry], int]:
    """(key, mod_revision, value hash) of every key, read in pages pinned to the revision
    of the first page, so the listing is one consistent cut. Values are hashed at once
    and never kept."""
    entries: list[Entry] = []
    start = b"\x00"
    revision = 0
    while True:
        resp = await service.get(start, b"\x00", limit=page, revision=revision)
        if revision == 0:
            revision = int(resp.header.revision)
        for kv in resp.kvs:
            entries.append((bytes(kv.key), int(kv.mod_revision), value_hash(bytes(kv.value))))
        if not resp.more or not resp.kvs:
            return entries, revision
        start = bytes(resp.kvs[-1].key) + b"\x00"
