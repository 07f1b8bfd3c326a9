"""The snapshot diff as it was before the compact key index (issue 16): a dict of every
live key's bytes per side, then a merge of the two key-ordered streams. Tests compare
the current :func:`etcdtui.services.snapshots.diff.diff` with it, output for output."""

from __future__ import annotations

from typing import Any

from etcdtui.services.etcdapi import kv_pb2
from etcdtui.services.snapshots.bolt import BoltDB
from etcdtui.services.snapshots.diff import diff_sorted, value_hash
from etcdtui.services.snapshots.mvcc import parse_revision


def reference_entries(db: BoltDB) -> list[tuple[bytes, int, bytes]]:
    """(key, mod_revision, value hash) of each live key, in key order."""
    latest: dict[bytes, tuple[int, int]] = {}
    bucket = db.bucket(b"key")
    assert bucket is not None
    for _flags, ks, ke, ve in bucket.elements():
        _main, _sub, tomb = parse_revision(db.mm[ks:ke])
        key = kv_pb2.KeyValue.FromString(db.mm[ke:ve]).key
        if tomb:
            latest.pop(key, None)
        else:
            latest[key] = (ke, ve)
    out = []
    for key in sorted(latest):
        kv = kv_pb2.KeyValue.FromString(db.read(*latest[key]))
        out.append((key, kv.mod_revision, value_hash(kv.value)))
    return out


def reference_diff(path_a: str, path_b: str, *, limit: int = 1000) -> dict[str, Any]:
    """What ``diff`` reported before, without the ``a``/``b`` file facts."""
    with BoltDB.open(path_a) as db_a, BoltDB.open(path_b) as db_b:
        return diff_sorted(reference_entries(db_a), reference_entries(db_b), limit=limit)
