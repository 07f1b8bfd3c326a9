"""Compare two keyspaces: "what would a restore of A roll back?".

Both sides are streams of ``(key, mod_revision, value_hash)`` for live keys. A snapshot
gives one with :func:`snapshot_entries`; a live cluster can give one from a paged range
read (hash each value with :func:`value_hash`) and be passed to :func:`diff_entries`.

Direction: A is the older state (the snapshot one would restore), B the newer one.
``added`` keys exist in B only (a restore of A deletes them), ``removed`` keys exist in A
only (a restore brings them back), ``changed`` keys differ in value or mod_revision
(a restore reverts them). Only keys are listed, never values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from etcdtui.services.snapshots.bolt import BoltDB
from etcdtui.services.snapshots.k8s import OTHER, resource_of
from etcdtui.services.snapshots.mvcc import KeyspaceIndex, index_keyspace, live_keys
from etcdtui.services.snapshots.open_file import DecryptKeys, open_snapshot
from etcdtui.services.snapshots.status import trailer_report, with_trailer_report

Entry = tuple[bytes, int, bytes]
KINDS = ("added", "removed", "changed")


def value_hash(value: bytes) -> bytes:
    """The value fingerprint both sides of a diff must use."""
    return hashlib.blake2b(value, digest_size=16).digest()


def snapshot_entries(db: BoltDB) -> Iterator[Entry]:
    for kv in live_keys(db, index_keyspace(db)):
        yield kv.key, kv.mod_revision, value_hash(kv.value)


def _group(by_resource: dict[str, Any], key: bytes, kind: str) -> None:
    res = resource_of(key)
    name, namespace = res if res is not None else (OTHER, None)
    slot = by_resource.setdefault(name, {**dict.fromkeys(KINDS, 0), "namespaces": {}})
    slot[kind] += 1
    if namespace is not None:
        ns = slot["namespaces"].setdefault(namespace, dict.fromkeys(KINDS, 0))
        ns[kind] += 1


def diff_entries(a: Iterable[Entry], b: Iterable[Entry], *, limit: int = 1000) -> dict[str, Any]:
    """Counts per resource and namespace, plus up to ``limit`` keys of each kind.
    The streams may come in any order (A is held in memory); :func:`diff_sorted` is
    the same for two key-ordered streams in constant memory."""
    older: dict[bytes, tuple[int, bytes]] = {key: (rev, h) for key, rev, h in a}

    def pairs() -> Iterator[tuple[bytes, str | None]]:
        for key, rev, h in b:
            before = older.pop(key, None)
            if before is None:
                yield key, "added"
            else:
                yield key, None if before == (rev, h) else "changed"
        for key in older:
            yield key, "removed"

    return _report(pairs(), limit)


def diff_sorted(a: Iterable[Entry], b: Iterable[Entry], *, limit: int = 1000) -> dict[str, Any]:
    """:func:`diff_entries` for two streams in ascending key order (snapshots through
    :func:`live_keys`, etcd's range reads): a merge that holds neither side. A stream
    out of order raises ValueError."""

    def ordered(stream: Iterable[Entry]) -> Iterator[Entry]:
        prev: bytes | None = None
        for entry in stream:
            if prev is not None and entry[0] <= prev:
                raise ValueError("diff_sorted needs keys in ascending order")
            prev = entry[0]
            yield entry

    def pairs() -> Iterator[tuple[bytes, str | None]]:
        ia, ib = ordered(a), ordered(b)
        x, y = next(ia, None), next(ib, None)
        while x is not None or y is not None:
            if y is None or (x is not None and x[0] < y[0]):
                yield x[0], "removed"  # type: ignore[index]
                x = next(ia, None)
            elif x is None or y[0] < x[0]:
                yield y[0], "added"
                y = next(ib, None)
            else:
                yield x[0], None if x[1:] == y[1:] else "changed"
                x, y = next(ia, None), next(ib, None)

    return _report(pairs(), limit)


def _report(pairs: Iterable[tuple[bytes, str | None]], limit: int) -> dict[str, Any]:
    """Count ``(key, kind)`` pairs (kind None: unchanged); keep ``limit`` keys per kind
    (the smallest, so the listing is the same whatever the input order)."""
    found: dict[str, list[bytes]] = {kind: [] for kind in KINDS}
    counts = dict.fromkeys(KINDS, 0)
    unchanged = 0
    by_resource: dict[str, Any] = {}
    truncated = False
    for key, kind in pairs:
        if kind is None:
            unchanged += 1
            continue
        counts[kind] += 1
        keep = found[kind]
        keep.append(key)
        if len(keep) > 2 * limit + 64:  # bounded: sort and cut now and then
            keep.sort()
            del keep[limit + 1 :]
        _group(by_resource, key, kind)
    keys: dict[str, list[str]] = {}
    for kind in KINDS:
        found[kind].sort()
        truncated = truncated or counts[kind] > limit
        keys[kind] = [k.decode("utf-8", "replace") for k in found[kind][:limit]]
    for slot in by_resource.values():
        slot["namespaces"] = dict(sorted(slot["namespaces"].items()))
    return {
        "summary": {**counts, "unchanged": unchanged},
        "by_resource": dict(sorted(by_resource.items())),
        "keys": keys,
        "truncated": truncated,
    }


def diff_indexes(a: KeyspaceIndex, b: KeyspaceIndex, *, limit: int = 1000) -> dict[str, Any]:
    """:func:`diff_sorted` of two snapshots' live keys without holding their keys: each
    live record of B is looked up in A's :class:`KeyTable` (keys compared in full where
    fingerprints meet), A's records that no B key met are the removed ones. Records are
    read in the tables' order, not the keys', which the report does not depend on."""
    ta, tb = a.latest, b.latest
    met = bytearray(ta.slots)

    def pairs() -> Iterator[tuple[bytes, str | None]]:
        for y in tb.live_records():
            slot, x = ta.find(y.key)
            if slot < 0:
                yield y.key, "added"
                continue
            met[slot] = 1
            same = x.mod_revision == y.mod_revision and x.value == y.value
            yield y.key, None if same else "changed"
        for slot in ta.live_slots():
            if not met[slot]:
                yield ta.key_at(slot), "removed"

    return _report(pairs(), limit)


def diff(
    path_a: str,
    path_b: str,
    keys_a: DecryptKeys | None = None,
    keys_b: DecryptKeys | None = None,
    *,
    limit: int = 1000,
) -> dict[str, Any]:
    """Diff two snapshot files (A older, B newer)."""
    with open_snapshot(path_a, keys_a) as db_a, open_snapshot(path_b, keys_b) as db_b:

        def both(_db: BoltDB) -> tuple[dict[str, Any], Any, Any, dict[str, Any]]:
            idx_a = index_keyspace(db_a)
            idx_b = index_keyspace(db_b, expect=len(idx_a.latest) + idx_a.tombstones)
            out = diff_indexes(idx_a, idx_b, limit=limit)
            return out, idx_a, idx_b, trailer_report(db_b)

        (out, idx_a, idx_b, sha_b), sha_a = with_trailer_report(db_a, both)
        out["a"] = {"path": path_a, "revision": idx_a.revision, "sha256": sha_a}
        out["b"] = {"path": path_b, "revision": idx_b.revision, "sha256": sha_b}
        return out


def diff_live(
    path_a: str,
    live: Iterable[Entry],
    keys_a: DecryptKeys | None = None,
    *,
    live_revision: int | None = None,
    limit: int = 1000,
) -> dict[str, Any]:
    """Diff a snapshot (A) against live entries (B): the hook for ``diff A --live``."""
    with open_snapshot(path_a, keys_a) as db_a:

        def one(_db: BoltDB) -> tuple[dict[str, Any], Any]:
            idx_a = index_keyspace(db_a)
            a = ((kv.key, kv.mod_revision, value_hash(kv.value)) for kv in live_keys(db_a, idx_a))
            return diff_entries(a, live, limit=limit), idx_a

        (out, idx_a), sha_a = with_trailer_report(db_a, one)
        out["a"] = {"path": path_a, "revision": idx_a.revision, "sha256": sha_a}
        out["b"] = {"path": "live", "revision": live_revision}
        return out
