"""The walk behind `snapshot status`: etcdutl's numbers from one pass over the bbolt tree.

For each top-level bucket in key order, CRC-32C (Castagnoli) over the bucket name and
then every key and value as bbolt's ``ForEach`` yields them (a nested bucket contributes
its key only), the number of keys, and the main revision of the last key of the ``key``
bucket (etcdutl/snapshot/v3_snapshot.go, ``Status``). With ``check`` the same pass is
the structural check in the spirit of bbolt's ``Tx.Check``: page bounds, each page
reached once, keys in order, and every page either in use or free.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator

from etcdtui.i18n import _
from etcdtui.services.snapshots.bolt import (
    BRANCH_PAGE,
    BUCKET_LEAF_FLAG,
    ELEMENT_SIZE,
    LEAF_PAGE,
    MAX_TREE_DEPTH,
    PAGE_HEADER,
    PAGE_HEADER_SIZE,
    TOUCH_BATCH,
    VISITED_RUNS,
    BoltDB,
    Bucket,
)
from etcdtui.services.snapshots.errors import SnapshotCorrupt

try:
    from google_crc32c import extend as _crc32c_extend
except ImportError:  # pragma: no cover - exercised only without the C extension
    _crc32c_extend = None

TYPE_CHECKING = False  # typing costs start-up (see etcdtui/records.py)
if TYPE_CHECKING:
    from typing import Any

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


_extend = _crc32c_extend or _crc32c_py


def crc32c(crc: int, data: bytes | memoryview) -> int:
    """Extend a CRC-32C (Castagnoli) with ``data``; start from 0."""
    if _crc32c_extend is not None:
        return int(_crc32c_extend(crc, data))
    return _crc32c_py(crc, data)


class ScanResult:
    """What :func:`scan` finds (a plain class: importing dataclasses costs start-up)."""

    __slots__ = ("buckets", "hash", "revision", "total_key", "total_size", "warnings")

    def __init__(
        self,
        hash: int | None = 0,
        revision: int = 0,
        total_key: int = 0,
        total_size: int = 0,
        buckets: dict[str, int] | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.hash = hash
        self.revision = revision
        self.total_key = total_key
        self.total_size = total_size
        self.buckets: dict[str, int] = {} if buckets is None else buckets
        self.warnings: list[str] = [] if warnings is None else warnings

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScanResult):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={v!r}" for n, v in zip(self.__slots__, self._fields(), strict=True))
        return f"ScanResult({inner})"


def scan(db: BoltDB, *, check: bool = True, content_hash: bool = True) -> ScanResult:
    """One pass over the file: etcdutl's numbers and, with ``check``, structural checks.

    Without ``content_hash`` the values are not read and ``hash`` is None: the structure,
    the key count and the revision cost only the leaf pages' headers and keys (a value
    that spills over into overflow pages is not touched at all). That is `snapshot
    verify`'s walk: its proof of the content is the sha256.

    Raises :class:`SnapshotCorrupt` on the first structural fault.
    """
    res = ScanResult(total_size=db.tx_size)
    visited = db.new_visited()
    crc = 0
    for name, bucket in _top_buckets(db, visited):
        if content_hash:
            crc = crc32c(crc, name)
        count, crc, last_key = _scan_bucket(db, bucket, visited, crc, name, content_hash)
        res.total_key += count
        res.buckets[name.decode("utf-8", "replace")] = count
        if name == b"key" and last_key is not None:
            if len(last_key) < 8:
                raise SnapshotCorrupt(_("the key bucket holds a key shorter than a revision"))
            res.revision = int.from_bytes(last_key[:8], "big", signed=True)
    res.hash = crc if content_hash else None
    if check:
        _check_pages(db, visited, res)
    return res


_INLINE = -1  # the page "id" of an inline bucket's page in _scan_bucket


def _scan_bucket(
    db: BoltDB, bucket: Bucket, visited: bytearray, crc: int, name: bytes, hashing: bool = True
) -> tuple[int, int, bytes | None]:
    """Count, hash and order-check one top-level bucket, leaf page by leaf page.

    The tree is walked here, in one frame, rather than through
    :meth:`Bucket.leaf_pages` (the same checks in the same order: each leaf is hashed
    as soon as it is entered): a stack of iterators over each branch's children, so a
    leaf page costs no generator switch, no tuple and no call (each measured).

    Elements are decoded straight from one ``unpack_from`` per page (no per-key
    tuples); bbolt lays a leaf's keys and values out back to back (k0 v0 k1 v1 ...),
    so in the usual case the whole page, overflow included, goes to the CRC in one
    call: CRC-32C over a concatenation equals the sequential updates. (The slices are
    copies, as google-crc32c takes only ``bytes``, not a view of the mapping; a
    zero-copy call measured no faster: the page faults behind the copy are the cost,
    and the CRC has to read the pages.) Without ``hashing`` no value is read, and the
    CRC comes back as it went in.
    """
    mm = db.mm
    hwm = db.hwm
    ps = db.page_size
    header = PAGE_HEADER.unpack_from
    seen = visited.find
    ones = VISITED_RUNS
    formats = _U32S
    extend = _extend
    touched = 0
    count = 0
    prev: bytes | None = None
    stack = [iter((_INLINE if bucket.inline is not None else bucket.root,))]
    while stack:
        for pgid in stack[-1]:
            # Bucket.leaf_pages's fast path, inlined; anything unusual goes through
            # enter_page, which raises.
            off = pgid * ps
            if 2 <= pgid < hwm:
                page_id, flags, n, overflow = header(mm, off)
                if overflow:
                    last = pgid + overflow
                    ok = page_id == pgid and last < hwm and seen(1, pgid, last + 1) == -1
                    if ok:
                        visited[pgid : last + 1] = (
                            ones[overflow] if overflow < 64 else b"\x01" * (overflow + 1)
                        )
                        end = (last + 1) * ps
                else:
                    ok = page_id == pgid and not visited[pgid]
                    if ok:
                        visited[pgid] = 1
                        end = off + ps
            else:
                ok = False
            if ok:
                touched += end - off
                if touched >= TOUCH_BATCH:
                    db.touch(touched)
                    touched = 0
            elif pgid == _INLINE and bucket.inline is not None:
                off, end = bucket.inline
                _pid, flags, n, _ov = header(mm, off)
                if flags != LEAF_PAGE:
                    raise SnapshotCorrupt(_("an inline bucket page is not a leaf"))
            else:
                off, flags, n, end = db.enter_page(pgid, visited)
            if flags == LEAF_PAGE:
                if not n:
                    continue
                base = off + PAGE_HEADER_SIZE
                if base + n * ELEMENT_SIZE > end:
                    raise SnapshotCorrupt(
                        _("leaf page at offset {off}: too many elements").format(off=off)
                    )
                raw = (formats.get(n) or _u32s(n)).unpack_from(mm, base)
                count += n
                first = expected = base + raw[1]
                simple = True
                nested: list[tuple[int, int]] | None = None
                eoff = base
                fields = iter(raw)
                # One iterator zipped with itself: the u32s four at a time, no slicing.
                for eflags, pos, ksize, vsize in zip(fields, fields, fields, fields):  # noqa: B905
                    ks = eoff + pos
                    ke = ks + ksize
                    ve = ke + vsize
                    if ve > end:
                        raise SnapshotCorrupt(
                            _("leaf page at offset {off}: element {i} points past the page").format(
                                off=off, i=(eoff - base) // ELEMENT_SIZE
                            )
                        )
                    key = mm[ks:ke]
                    if prev is not None and key <= prev:
                        raise SnapshotCorrupt(
                            _("keys out of order in bucket {name}").format(
                                name=name.decode("utf-8", "replace")
                            )
                        )
                    prev = key
                    if eflags & BUCKET_LEAF_FLAG:
                        simple = False
                        if nested is None:
                            nested = []
                        nested.append((ke, ve))
                    elif ks != expected:
                        simple = False
                    expected = ve
                    eoff += ELEMENT_SIZE
                if hashing and simple:
                    crc = extend(crc, mm[first:expected])
                elif hashing:
                    crc = _hash_elements(mm, raw, base, crc)
                if nested:
                    for ke, ve in nested:
                        # bbolt's ForEach does not descend; walk it only to check its pages.
                        for _leaf in bucket.nested(ke, ve).leaves(visited):
                            pass
            elif flags == BRANCH_PAGE:
                if len(stack) > MAX_TREE_DEPTH:
                    raise SnapshotCorrupt(
                        _("a bucket tree is deeper than {n}").format(n=MAX_TREE_DEPTH)
                    )
                stack.append(iter(db.branch_children(off, n, end, pgid)))
                break  # into the children; this page's siblings resume afterwards
            else:
                raise SnapshotCorrupt(
                    _("page {pgid} has flags {flags:#x}, expected a branch or leaf page").format(
                        pgid=pgid, flags=flags
                    )
                )
        else:
            stack.pop()
    if touched:
        db.touch(touched)
    return count, crc, prev


def _hash_elements(mm: mmap.mmap, raw: tuple[int, ...], base: int, crc: int) -> int:
    """The element-by-element CRC (already bounds-checked): a nested bucket adds its
    key only, a plain element its key and value."""
    for j in range(0, len(raw), 4):
        ks = base + (j // 4) * ELEMENT_SIZE + raw[j + 1]
        ke = ks + raw[j + 2]
        crc = crc32c(crc, mm[ks:ke])
        if not raw[j] & BUCKET_LEAF_FLAG:
            crc = crc32c(crc, mm[ke : ke + raw[j + 3]])
    return crc


_U32S: dict[int, struct.Struct] = {}


def _u32s(elements: int) -> struct.Struct:
    """A compiled ``<I`` times 4 per element, cached for the counts real pages have."""
    fmt = _U32S.get(elements)
    if fmt is None:
        fmt = struct.Struct(f"<{elements * 4}I")
        if elements <= 1024:
            _U32S[elements] = fmt
    return fmt


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
