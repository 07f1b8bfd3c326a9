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
from array import array
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
_MASK64 = (1 << 64) - 1
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


def key_hash(key: bytes) -> int:
    """The 64-bit fingerprint :class:`KeyTable` files a user key under. The interpreter's
    own (keyed, per process) hash of bytes: fast, and a crafted file cannot aim at its
    collisions. Equal fingerprints never stand for equal keys on their own: the table
    compares the keys themselves (a test swaps in a tiny hash to prove it)."""
    return hash(key) & _MASK64


_EMPTY, _LIVE, _DELETED = 0, 1, 2
_MIN_SLOTS = 1 << 10


class KeyTable:
    """User key -> where its latest record lies in the file, in about 21 bytes a slot.

    Open addressing over arrays of machine words: the key's 64-bit fingerprint, the
    start and length of its latest ``key``-bucket record, and a state byte (empty, live,
    deleted). Keys themselves are not held: where two fingerprints are equal, the keys
    are read back from the file and compared, so a collision costs a read, never a
    wrong answer. A million keys take about 42 MB (half the slots free at most), where a
    dict of the key bytes took about 150 MB.
    """

    def __init__(self, db: BoltDB, expect: int = 0) -> None:
        self._db = db
        self._hash = key_hash  # looked up here so a test can swap the module's function
        slots = _MIN_SLOTS
        while slots * 2 < expect * 3:  # room for ``expect`` keys without growing
            slots *= 2
        self._alloc(slots)
        self.live = 0
        self.deleted = 0

    def _alloc(self, slots: int) -> None:
        self._mask = slots - 1
        self._fps = array("Q", bytes(8 * slots))
        self._starts = array("Q", bytes(8 * slots))
        self._lens = array("I", bytes(4 * slots))
        self._state = bytearray(slots)
        self._used = 0

    def __len__(self) -> int:
        """Live keys (the old index's ``len(latest)``)."""
        return self.live

    @property
    def slots(self) -> int:
        return self._mask + 1

    def key_at(self, slot: int) -> bytes:
        return self.record_at(slot).key  # type: ignore[no-any-return]

    def record_at(self, slot: int) -> Any:
        start = self._starts[slot]
        return _parse_kv(self._db.read(start, start + self._lens[slot]))

    def find(self, key: bytes, fp: int | None = None) -> tuple[int, Any]:
        """(slot, latest record) of a live ``key``; (-1, None) when the key is absent or
        its latest record is a deletion."""
        fp = self._hash(key) if fp is None else fp
        mask, fps, state = self._mask, self._fps, self._state
        i = fp & mask
        while state[i] != _EMPTY:
            if fps[i] == fp:
                rec = self.record_at(i)
                if rec.key == key:
                    return (i, rec) if state[i] == _LIVE else (-1, None)
            i = (i + 1) & mask
        return -1, None

    def put(self, key: bytes, start: int, length: int, deleted: bool) -> None:
        """Record that ``key``'s latest record is now [start, start + length)."""
        fp = self._hash(key)
        mask, fps, state = self._mask, self._fps, self._state
        i = fp & mask
        while state[i] != _EMPTY:
            if fps[i] == fp and self.key_at(i) == key:
                was = state[i]
                break
            i = (i + 1) & mask
        else:
            was = _EMPTY
            fps[i] = fp
            self._used += 1
        self._starts[i] = start
        self._lens[i] = length
        new = _DELETED if deleted else _LIVE
        state[i] = new
        self.live += (new == _LIVE) - (was == _LIVE)
        self.deleted += (new == _DELETED) - (was == _DELETED)
        if self._used * 3 > (mask + 1) * 2:
            self._grow()

    def _grow(self) -> None:
        fps, starts, lens, state = self._fps, self._starts, self._lens, self._state
        self._alloc(2 * (self._mask + 1))
        mask, nfps, nstate = self._mask, self._fps, self._state
        for j in range(len(state)):
            if state[j] == _EMPTY:
                continue
            fp = fps[j]
            i = fp & mask
            while nstate[i] != _EMPTY:
                i = (i + 1) & mask
            nfps[i] = fp
            self._starts[i] = starts[j]
            self._lens[i] = lens[j]
            nstate[i] = state[j]
            self._used += 1

    def live_slots(self) -> Iterator[int]:
        """Slots of the live keys, in no useful order."""
        state = self._state
        return (i for i in range(len(state)) if state[i] == _LIVE)

    def live_records(self) -> Iterator[Any]:
        """Each live key's latest record (an ``mvccpb.KeyValue``), in no useful order."""
        for i in self.live_slots():
            yield self.record_at(i)


@dataclass
class KeyspaceIndex:
    """Where each live key's latest record lies in the file (offsets, not copies)."""

    latest: KeyTable  # len() is the number of live keys
    revision: int
    revisions: int  # records in the key bucket
    tombstones: int  # user keys whose latest record is a deletion


def _parse_kv(raw: bytes) -> Any:
    try:
        return kv_pb2.KeyValue.FromString(raw)
    except Exception as exc:  # protobuf's DecodeError
        raise SnapshotCorrupt(_("a key-bucket value is not a KeyValue record")) from exc


def index_keyspace(db: BoltDB, *, expect: int = 0) -> KeyspaceIndex:
    """One pass over the ``key`` bucket; memory grows with the number of user keys
    (about 42 bytes each, see :class:`KeyTable`), not with their length. ``expect``:
    keys to make room for at once (a diff's second side), which spares the table's
    growth steps, when the old and the new arrays are both held."""
    bucket = db.bucket(b"key")
    table = KeyTable(db, expect)
    revision = 0
    records = 0
    if bucket is None:
        return KeyspaceIndex(table, 0, 0, 0)
    mm = db.mm
    put = table.put
    for flags, ks, ke, ve in bucket.elements():
        if flags & BUCKET_LEAF_FLAG:
            raise SnapshotCorrupt(_("the key bucket holds a nested bucket"))
        main, _sub, tomb = parse_revision(mm[ks:ke])
        revision = main
        records += 1
        user_key = _parse_kv(mm[ke:ve]).key
        if not tomb and ve - ke > _LEN_MASK:
            raise SnapshotCorrupt(_("a key-bucket value is larger than 4 GiB"))
        put(user_key, ke, min(ve - ke, _LEN_MASK), tomb)
    db.drop_resident()  # the walk is over: records are read with pread from here on
    return KeyspaceIndex(table, revision, records, table.deleted)


def _live_key(kv: Any) -> LiveKey:
    return LiveKey(kv.key, kv.create_revision, kv.mod_revision, kv.version, kv.lease, kv.value)


def live_keys(db: BoltDB, index: KeyspaceIndex | None = None) -> Iterator[LiveKey]:
    """Live keys in key order, each read from the file when its turn comes. The sort
    holds every live key's bytes for a while: where order does not matter, use
    :func:`live_records`, which holds none."""
    table = (index or index_keyspace(db)).latest
    for key in sorted(table.key_at(i) for i in table.live_slots()):
        _slot, kv = table.find(key)
        yield _live_key(kv)


def live_records(db: BoltDB, index: KeyspaceIndex | None = None) -> Iterator[LiveKey]:
    """Live keys in no useful order, in memory that does not grow with the keyspace."""
    table = (index or index_keyspace(db)).latest
    for kv in table.live_records():
        yield _live_key(kv)


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
