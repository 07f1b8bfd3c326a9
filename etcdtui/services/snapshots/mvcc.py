"""etcd's MVCC layout inside the bbolt file: live keys at the snapshot's revision.

The ``key`` bucket maps a revision (8-byte big-endian main revision, ``_``, 8-byte
big-endian sub revision, and a trailing ``t`` for a deletion) to an
``mvccpb.KeyValue``. Its keys sort by revision, so the last record of a user key is its
state at the snapshot's revision; a key whose last record is a tombstone is deleted.
The ``meta`` bucket holds the consistent index and the compaction revisions, ``lease``
one record per lease, ``members`` the member list as JSON, ``cluster`` the version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from etcdtui.i18n import _
from etcdtui.services.etcdapi import kv_pb2
from etcdtui.services.snapshots.bolt import BUCKET_LEAF_FLAG, BoltDB
from etcdtui.services.snapshots.errors import SnapshotCorrupt

REV_SIZE = 17
LEN_BITS = 32
_LEN_MASK = (1 << LEN_BITS) - 1
TOMBSTONE = ord("t")


def parse_revision(key: bytes) -> tuple[int, int, bool]:
    """(main, sub, tombstone) from a ``key``-bucket key."""
    if len(key) not in (REV_SIZE, REV_SIZE + 1) or key[8] != ord("_"):
        raise SnapshotCorrupt(
            _("a key-bucket key is not a revision ({n} bytes)").format(n=len(key))
        )
    tomb = len(key) == REV_SIZE + 1
    if tomb and key[REV_SIZE] != TOMBSTONE:
        raise SnapshotCorrupt(_("a key-bucket key has an unknown mark"))
    return (
        int.from_bytes(key[0:8], "big", signed=True),
        int.from_bytes(key[9:17], "big", signed=True),
        tomb,
    )


@dataclass(frozen=True)
class LiveKey:
    key: bytes
    create_revision: int
    mod_revision: int
    version: int
    lease: int
    value: bytes


@dataclass
class KeyspaceIndex:
    """Where each live key's latest record lies in the file (offsets, not copies)."""

    # user key -> value start << LEN_BITS | value length (one int, not a tuple: at a
    # million keys the index is most of the memory)
    latest: dict[bytes, int]
    revision: int
    revisions: int  # records in the key bucket
    tombstones: int  # user keys whose latest record is a deletion


def _parse_kv(raw: bytes) -> Any:
    try:
        return kv_pb2.KeyValue.FromString(raw)
    except Exception as exc:  # protobuf's DecodeError
        raise SnapshotCorrupt(_("a key-bucket value is not a KeyValue record")) from exc


def index_keyspace(db: BoltDB) -> KeyspaceIndex:
    """One pass over the ``key`` bucket; memory grows with the number of user keys."""
    bucket = db.bucket(b"key")
    latest: dict[bytes, int] = {}
    deleted: set[bytes] = set()
    revision = 0
    records = 0
    if bucket is None:
        return KeyspaceIndex(latest, 0, 0, 0)
    mm = db.mm
    for flags, ks, ke, ve in bucket.elements():
        if flags & BUCKET_LEAF_FLAG:
            raise SnapshotCorrupt(_("the key bucket holds a nested bucket"))
        main, _sub, tomb = parse_revision(mm[ks:ke])
        revision = main
        records += 1
        user_key = _parse_kv(mm[ke:ve]).key
        if tomb:
            latest.pop(user_key, None)
            deleted.add(user_key)
        else:
            if ve - ke > _LEN_MASK:
                raise SnapshotCorrupt(_("a key-bucket value is larger than 4 GiB"))
            latest[user_key] = ke << LEN_BITS | (ve - ke)
            deleted.discard(user_key)
    return KeyspaceIndex(latest, revision, records, len(deleted))


def live_keys(db: BoltDB, index: KeyspaceIndex | None = None) -> Iterator[LiveKey]:
    """Live keys in key order, each read from the file when its turn comes."""
    idx = index or index_keyspace(db)
    latest = idx.latest
    for key in sorted(latest):
        packed = latest[key]
        start = packed >> LEN_BITS
        kv = _parse_kv(db.read(start, start + (packed & _LEN_MASK)))
        yield LiveKey(kv.key, kv.create_revision, kv.mod_revision, kv.version, kv.lease, kv.value)


def backend_info(db: BoltDB) -> dict[str, Any]:
    """Small facts from the meta, lease, members and cluster buckets."""
    info: dict[str, Any] = {
        "consistent_index": None,
        "term": None,
        "compact_revision": None,
        "cluster_version": None,
        "storage_version": "",
        "leases": 0,
        "members": [],
    }
    for name, bucket in db.buckets():
        if name == b"meta":
            for k, v in bucket.items():
                if v is None:
                    continue
                if k in (b"consistent_index", b"term") and len(v) == 8:
                    info[k.decode()] = int.from_bytes(v, "big")
                elif k == b"finishedCompactRev" and len(v) >= 8:
                    info["compact_revision"] = int.from_bytes(v[:8], "big", signed=True)
                elif k == b"storageVersion" and re.fullmatch(rb"\d+\.\d+\.\d+\S*", v):
                    info["storage_version"] = v.decode("ascii", "replace")
        elif name == b"lease":
            info["leases"] = bucket.count()
        elif name == b"cluster":
            version = bucket.get(b"clusterVersion")
            if version:
                info["cluster_version"] = version.decode("utf-8", "replace")
        elif name == b"members":
            for _k, v in bucket.items():
                member = _member(v)
                if member is not None:
                    info["members"].append(member)
    return info


def _member(raw: bytes | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    mid = data.get("id")
    return {
        "id": f"{mid:x}" if isinstance(mid, int) else str(mid),
        "name": str(data.get("name", "")),
        "peer_urls": [str(u) for u in data.get("peerURLs") or []],
        "client_urls": [str(u) for u in data.get("clientURLs") or []],
        "is_learner": bool(data.get("isLearner", False)),
    }
