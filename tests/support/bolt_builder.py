"""A tiny bbolt *writer* for tests (moved from tests/unit/test_bolt_writer.py).

The writer lays pages out the way bbolt does (page header, element array, keys and
values back to back; meta pages 0 and 1 with an FNV-64a checksum; branch pages above
several leaves; overflow pages for big values; inline buckets inside a value), so unit
tests can build exact files, then damage them precisely. It is test code, not a
general bbolt writer.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from etcdtui.services.snapshots.bolt import (
    BoltDB,
    fnv64a,
)

Tree = dict[bytes, "bytes | int | Tree"]

BRANCH, LEAF, META, FREELIST = 0x01, 0x02, 0x04, 0x10
NO_FREELIST = 0xFFFF_FFFF_FFFF_FFFF


def _leaf_body(items: list[tuple[int, bytes, bytes]]) -> bytes:
    """Element array plus data of a leaf page (without the 16-byte page header)."""
    n = len(items)
    elems = bytearray()
    data = bytearray()
    for i, (flags, key, value) in enumerate(items):
        pos = (n - i) * 16 + len(data)  # from this element to its key
        elems += struct.pack("<IIII", flags, pos, len(key), len(value))
        data += key + value
    return bytes(elems + data)


def _branch_body(children: list[tuple[bytes, int]]) -> bytes:
    n = len(children)
    elems = bytearray()
    data = bytearray()
    for i, (key, pgid) in enumerate(children):
        pos = (n - i) * 16 + len(data)
        elems += struct.pack("<IIQ", pos, len(key), pgid)
        data += key
    return bytes(elems + data)


@dataclass
class BoltWriter:
    page_size: int = 4096
    leaf_cap: int = 64  # items per leaf page
    branch_cap: int = 64  # children per branch page
    inline_limit: int = 256  # buckets whose inline page is smaller than this go inline
    pages: dict[int, bytes] = field(default_factory=dict)
    next_pgid: int = 3  # 0, 1: meta; 2: freelist

    def _put(self, flags: int, count: int, body: bytes) -> int:
        total = 16 + len(body)
        n = max(1, -(-total // self.page_size))
        pgid = self.next_pgid
        self.next_pgid += n
        raw = struct.pack("<QHHI", pgid, flags, count, n - 1) + body
        self.pages[pgid] = raw + bytes(n * self.page_size - len(raw))
        return pgid

    def _items(self, tree: Tree) -> list[tuple[int, bytes, bytes]]:
        out = []
        for key in sorted(tree):
            value = tree[key]
            if isinstance(value, dict):
                out.append((1, key, self.bucket_value(value)))
            elif isinstance(value, int):  # a bucket whose tree the test built by hand
                out.append((1, key, struct.pack("<QQ", value, 0)))
            else:
                out.append((0, key, value))
        return out

    def bucket_value(self, tree: Tree) -> bytes:
        items = self._items(tree)
        inline = struct.pack("<QHHI", 0, LEAF, len(items), 0) + _leaf_body(items)
        if len(inline) < self.inline_limit and not any(f for f, _k, _v in items):
            return struct.pack("<QQ", 0, 0) + inline
        return struct.pack("<QQ", self.tree(items), 0)

    def tree(self, items: list[tuple[int, bytes, bytes]]) -> int:
        if not items:
            return self._put(LEAF, 0, b"")
        level: list[tuple[bytes, int]] = []
        for i in range(0, len(items), self.leaf_cap):
            leaf = items[i : i + self.leaf_cap]
            level.append((leaf[0][1], self._put(LEAF, len(leaf), _leaf_body(leaf))))
        while len(level) > 1:
            upper: list[tuple[bytes, int]] = []
            for i in range(0, len(level), self.branch_cap):
                chunk = level[i : i + self.branch_cap]
                upper.append((chunk[0][0], self._put(BRANCH, len(chunk), _branch_body(chunk))))
            level = upper
        return level[0][1]

    def meta(self, page: int, root: int, hwm: int, txid: int, freelist: int) -> bytes:
        body = struct.pack(
            "<IIIIQQQQQ", 0xED0CDAED, 2, self.page_size, 0, root, 0, freelist, hwm, txid
        )
        body += struct.pack("<Q", fnv64a(body))
        raw = struct.pack("<QHHI", page, META, 0, 0) + body
        return raw + bytes(self.page_size - len(raw))

    def build(
        self,
        buckets: Tree,
        *,
        freelist: bool = True,
        free: tuple[int, ...] = (),
        extra_pages: int = 0,
    ) -> bytes:
        root = self.tree(self._items(buckets))
        self.next_pgid += extra_pages
        hwm = self.next_pgid
        if freelist:
            ids = list(free)
            body = struct.pack(f"<{len(ids)}Q", *ids)
            self.pages[2] = (struct.pack("<QHHI", 2, FREELIST, len(ids), 0) + body).ljust(
                self.page_size, b"\0"
            )
        out = bytearray(hwm * self.page_size)
        fl = 2 if freelist else NO_FREELIST
        out[0 : self.page_size] = self.meta(0, root, hwm, 4, fl)
        out[self.page_size : 2 * self.page_size] = self.meta(1, root, hwm, 5, fl)
        for pgid, raw in self.pages.items():
            out[pgid * self.page_size : pgid * self.page_size + len(raw)] = raw
        return bytes(out)


def build_db(
    buckets: Tree,
    *,
    page_size: int = 4096,
    leaf_cap: int = 64,
    branch_cap: int = 64,
    freelist: bool = True,
    extra_pages: int = 0,
) -> bytes:
    w = BoltWriter(page_size=page_size, leaf_cap=leaf_cap, branch_cap=branch_cap)
    return w.build(buckets, freelist=freelist, extra_pages=extra_pages)


def with_trailer(data: bytes) -> bytes:
    return data + hashlib.sha256(data).digest()


def read_all(path: str) -> dict[bytes, object]:
    with BoltDB.open(path) as db:
        return {name: _read_bucket(b) for name, b in db.buckets()}


def _read_bucket(bucket: object) -> dict[bytes, object]:
    out: dict[bytes, object] = {}
    for key, value in bucket.items():  # type: ignore[attr-defined]
        out[key] = _read_bucket(bucket.bucket(key)) if value is None else value  # type: ignore[attr-defined]
    return out


SAMPLE: Tree = {
    b"alpha": {b"a": b"1", b"b": b"22"},
    b"big": {b"k%05d" % i: b"v" * (i % 50) for i in range(500)},
    b"huge": {b"x": b"X" * 10000, b"y": b"Y" * 5},
    b"nested": {
        b"child": {b"c1": b"one"},
        b"plain": b"p",
        b"tree": {b"t%03d" % i: b"w" * 30 for i in range(200)},
    },
}
