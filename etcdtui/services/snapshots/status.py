"""`snapshot status` and `snapshot verify`, offline and in pure Python.

The numbers are those of ``etcdutl snapshot status -w json`` (etcdutl/snapshot/
v3_snapshot.go, ``Status``):

* ``hash``: CRC-32C (Castagnoli) over, for each top-level bucket in key order, the
  bucket name and then every key and value of that bucket as bbolt's ``ForEach``
  yields them (a nested bucket contributes its key only);
* ``revision``: the main revision of the last key of the ``key`` bucket (keys are
  8-byte big-endian main revision, ``_``, 8-byte sub revision, optional ``t``);
* ``totalKey``: the number of key/value pairs over all top-level buckets;
* ``totalSize``: bbolt's ``Tx.Size()``, the high-water page id times the page size.

``verify`` adds the sha256 trailer that a snapshot taken through the API carries and a
structural check in the spirit of bbolt's ``Tx.Check``: both meta pages, page bounds,
each page reached once, keys in order, and every page either in use or free.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from etcdtui.i18n import _
from etcdtui.services.snapshots.bolt import BUCKET_LEAF_FLAG, TRAILER_SIZE, BoltDB, Bucket
from etcdtui.services.snapshots.errors import SnapshotCorrupt, SnapshotError
from etcdtui.services.snapshots.source import DecryptKeys, open_snapshot

try:
    from google_crc32c import extend as _crc32c_extend
except ImportError:  # pragma: no cover - exercised only without the C extension
    _crc32c_extend = None

_CRC_TABLE: list[int] = []


def _crc32c_py(crc: int, data: bytes | memoryview) -> int:
    if not _CRC_TABLE:
        for n in range(256):
            c = n
            for _i in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _CRC_TABLE.append(c)
    table = _CRC_TABLE
    crc ^= 0xFFFFFFFF
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c(crc: int, data: bytes | memoryview) -> int:
    """Extend a CRC-32C (Castagnoli) with ``data``; start from 0."""
    if _crc32c_extend is not None:
        return int(_crc32c_extend(crc, data))
    return _crc32c_py(crc, data)


@dataclass
class ScanResult:
    hash: int = 0
    revision: int = 0
    total_key: int = 0
    total_size: int = 0
    buckets: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def scan(db: BoltDB, *, check: bool = True) -> ScanResult:
    """One pass over the file: etcdutl's numbers and, with ``check``, structural checks.

    Raises :class:`SnapshotCorrupt` on the first structural fault.
    """
    res = ScanResult(total_size=db.tx_size)
    visited = db.new_visited()
    crc = 0
    for name, bucket in _top_buckets(db, visited):
        crc = crc32c(crc, name)
        count, crc, last_key = _scan_bucket(db, bucket, visited, crc, name)
        res.total_key += count
        res.buckets[name.decode("utf-8", "replace")] = count
        if name == b"key" and last_key is not None:
            if len(last_key) < 8:
                raise SnapshotCorrupt(_("the key bucket holds a key shorter than a revision"))
            res.revision = int.from_bytes(last_key[:8], "big", signed=True)
    res.hash = crc
    if check:
        _check_pages(db, visited, res)
    return res


def _scan_bucket(
    db: BoltDB, bucket: Bucket, visited: bytearray, crc: int, name: bytes
) -> tuple[int, int, bytes | None]:
    mm = db.mm
    count = 0
    prev: bytes | None = None
    for leaf in bucket.leaves(visited):
        if not leaf:
            continue
        count += len(leaf)
        contiguous = True
        expected = leaf[0][1]
        nested = []
        for flags, ks, ke, ve in leaf:
            key = mm[ks:ke]
            if prev is not None and key <= prev:
                raise SnapshotCorrupt(
                    _("keys out of order in bucket {name}").format(
                        name=name.decode("utf-8", "replace")
                    )
                )
            prev = key
            if flags & BUCKET_LEAF_FLAG:
                contiguous = False
                nested.append((ke, ve))
            elif ks != expected:
                contiguous = False
            expected = ve
        if contiguous:
            # bbolt lays out k0 v0 k1 v1 ... back to back: one CRC call for the page.
            crc = crc32c(crc, mm[leaf[0][1] : leaf[-1][3]])
        else:
            for flags, ks, ke, ve in leaf:
                crc = crc32c(crc, mm[ks:ke])
                if not flags & BUCKET_LEAF_FLAG:
                    crc = crc32c(crc, mm[ke:ve])
        for ke, ve in nested:
            # bbolt's ForEach does not descend; walk it only to check its pages.
            sub = bucket.nested(ke, ve)
            for _leaf in sub.leaves(visited):
                pass
    return count, crc, prev


def _check_pages(db: BoltDB, visited: bytearray, res: ScanResult) -> None:
    for m in db.metas:
        if m is None:
            res.warnings.append(_("meta page 1 is missing"))
        elif not m.valid:
            res.warnings.append(
                _("meta page {n} is invalid ({problem}); the other one is used").format(
                    n=m.page, problem=m.problem
                )
            )
    free = db.freelist(visited)
    visited[0:2] = b"\x01\x01"
    if free is None:
        return  # etcd does not sync the freelist: unreachable pages are free by definition
    for pid in free:
        if not 2 <= pid < db.hwm:
            raise SnapshotCorrupt(_("the freelist names page {n}, out of range").format(n=pid))
        if visited[pid]:
            raise SnapshotCorrupt(_("page {n} is both free and in use").format(n=pid))
        visited[pid] = 1
    missing = visited.find(0)
    if missing != -1:
        raise SnapshotCorrupt(_("page {n} is neither reachable nor free").format(n=missing))


def _top_buckets(db: BoltDB, visited: bytearray) -> Iterator[tuple[bytes, Bucket]]:
    root = db.root()
    mm = db.mm
    prev: bytes | None = None
    for flags, ks, ke, ve in root.elements(visited):
        name = bytes(mm[ks:ke])
        if prev is not None and name <= prev:
            raise SnapshotCorrupt(_("top-level buckets out of order"))
        prev = name
        if not flags & BUCKET_LEAF_FLAG:
            raise SnapshotCorrupt(
                _("cannot get hash of bucket {name}: it is a plain key").format(
                    name=name.decode("utf-8", "replace")
                )
            )
        yield name, root.nested(ke, ve)


# --- sha256 trailer -------------------------------------------------------------------


def check_trailer(db: BoltDB) -> tuple[bool, bool | None]:
    """(present, valid): valid is None when there is no trailer.

    Hashes the mapping in chunks and drops each chunk from the process afterwards, so
    the resident size stays small; hashlib releases the GIL, so this can run in a
    thread beside :func:`scan`.
    """
    if not db.has_trailer:
        return False, None
    h = hashlib.sha256()
    end = db.data_size
    chunk = 16 << 20
    with memoryview(db.mm) as view:
        for offset in range(0, end, chunk):
            stop = min(end, offset + chunk)
            h.update(view[offset:stop])
            db.drop_resident(offset, stop - offset)
        trailer = bytes(view[end : end + TRAILER_SIZE])
    return True, h.digest() == trailer


def scan_and_trailer(
    db: BoltDB, *, check: bool = True
) -> tuple[ScanResult | SnapshotCorrupt, bool, bool | None]:
    """:func:`scan` and :func:`check_trailer` at once, the sha256 in a second thread.
    A structural fault is returned, not raised, so the trailer's verdict is kept."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as pool:
        trailer = pool.submit(check_trailer, db)
        res: ScanResult | SnapshotCorrupt
        try:
            res = scan(db, check=check)
        except SnapshotCorrupt as exc:
            res = exc
        present, valid = trailer.result()
    return res, present, valid


def status_of(db: BoltDB, *, check: bool = True) -> dict[str, Any]:
    res, present, valid = scan_and_trailer(db, check=check)
    if isinstance(res, SnapshotCorrupt):
        raise res
    return {
        "hash": res.hash,
        "revision": res.revision,
        "totalKey": res.total_key,
        "totalSize": res.total_size,
        "sha256": {"present": present, "valid": valid},
    }


def snapshot_status(
    path: str | os.PathLike[str], keys: DecryptKeys | None = None
) -> dict[str, Any]:
    """The numbers of ``etcdutl snapshot status -w json`` plus the sha256 trailer state."""
    with open_snapshot(path, keys) as db:
        return status_of(db)


# --- verify ---------------------------------------------------------------------------

CAUSE_OK = "ok"
CAUSE_NO_TRAILER = "no-trailer"
CAUSE_SHA_MISMATCH = "sha256-mismatch"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    cause: str  # ok, no-trailer, sha256-mismatch, truncated, not-bolt, empty, corrupt, ...
    message: str
    severity: str  # "ok", "warning" or "error"
    sha256_present: bool = False
    sha256_valid: bool | None = None
    warnings: tuple[str, ...] = ()
    status: dict[str, Any] | None = None
    encrypted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cause": self.cause,
            "severity": self.severity,
            "message": self.message,
            "sha256": {"present": self.sha256_present, "valid": self.sha256_valid},
            "warnings": list(self.warnings),
            "status": self.status,
            "encrypted": self.encrypted,
        }


def verify(path: str | os.PathLike[str], keys: DecryptKeys | None = None) -> VerifyResult:
    """Is this a snapshot one can restore from? ``ok`` only with a valid trailer and a
    sound bbolt structure. Decryption and usage problems still raise."""
    encrypted = False
    try:
        with open_snapshot(path, keys) as db:
            encrypted = db.encrypted
            return _verify_db(db)
    except SnapshotCorrupt as exc:
        return VerifyResult(False, exc.reason, exc.cause, "error", encrypted=encrypted)


def _verify_db(db: BoltDB) -> VerifyResult:
    extra = db.data_size - db.tx_size
    if not db.has_trailer and 0 < extra < TRAILER_SIZE:
        return VerifyResult(
            False,
            "truncated",
            _("the file ends {n} bytes into its sha256 trailer").format(n=extra),
            "error",
            encrypted=db.encrypted,
        )
    res, present, valid = scan_and_trailer(db, check=True)
    if isinstance(res, SnapshotCorrupt):
        exc = res
        if present and not valid:
            return VerifyResult(
                False,
                CAUSE_SHA_MISMATCH,
                _(
                    "sha256 mismatch: the file was changed or damaged after it was saved ({e})"
                ).format(e=exc.cause),
                "error",
                present,
                valid,
                encrypted=db.encrypted,
            )
        return VerifyResult(
            False, exc.reason, exc.cause, "error", present, valid, encrypted=db.encrypted
        )
    status = {
        "hash": res.hash,
        "revision": res.revision,
        "totalKey": res.total_key,
        "totalSize": res.total_size,
    }
    common: dict[str, Any] = {
        "sha256_present": present,
        "sha256_valid": valid,
        "warnings": tuple(res.warnings),
        "status": status,
        "encrypted": db.encrypted,
    }
    if present and not valid:
        msg = _("sha256 mismatch: the file was changed or damaged after it was saved")
        return VerifyResult(False, CAUSE_SHA_MISMATCH, msg, "error", **common)
    if not present:
        if db.file_size % db.page_size:
            msg = _(
                "no sha256 trailer and the size is not a whole number of pages: the file is "
                "cut short or has bytes appended"
            )
            return VerifyResult(False, "truncated", msg, "error", **common)
        msg = _(
            "no sha256 trailer: this is a raw copy of a member's db file, not a snapshot taken "
            "through the API. Its structure is sound, but restoring it needs "
            "--skip-hash-check and nothing proves it is complete."
        )
        return VerifyResult(False, CAUSE_NO_TRAILER, msg, "warning", **common)
    return VerifyResult(
        True, CAUSE_OK, _("snapshot is sound: sha256 trailer matches"), "ok", **common
    )


__all__ = [
    "ScanResult",
    "SnapshotError",
    "VerifyResult",
    "check_trailer",
    "crc32c",
    "scan",
    "snapshot_status",
    "status_of",
    "verify",
]
