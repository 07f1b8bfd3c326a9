"""A read-only reader for bbolt files: etcd's backend database and its snapshots.

The file is opened ``O_RDONLY`` and mapped with ``mmap(ACCESS_READ)``: nothing is ever
written, so it is safe to point at a live member's ``member/snap/db`` (a live file may
change under the reader; damage then shows up as :class:`SnapshotCorrupt`, never as a
crash). Nothing is loaded into memory as a whole: pages are read where they lie, and
the mapping is dropped from the process every few tens of MB so the resident size
stays small however big the file is.

Layout facts used here (bbolt on-disk format, version 2, little-endian):

* every page starts with a 16-byte header: id u64, flags u16, count u16, overflow u32;
  a page and its ``overflow`` following pages form one logical page;
* pages 0 and 1 hold a meta record after the header: magic, version, page size, flags,
  root bucket (root pgid, sequence), freelist pgid, high-water pgid, txid and an
  FNV-64a checksum of the 56 bytes before it; the valid meta with the higher txid wins;
* branch elements are pos u32, ksize u32, child pgid u64; leaf elements are flags u32,
  pos u32, ksize u32, vsize u32; ``pos`` counts from the element's own address;
* a leaf element with flag 0x01 is a nested bucket whose value starts with a 16-byte
  header (root pgid, sequence); root 0 means the bucket's page follows inline.

Every offset is checked against the page it belongs to before it is used, every page
id against the high-water mark and the file size, and each page may be entered once
per walk (cycles and shared pages are refused), so hostile input ends in
:class:`SnapshotCorrupt` rather than an IndexError, a hang or an out-of-bounds read.
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
from collections.abc import Iterator
from operator import add as _add
from types import TracebackType

from etcdtui.i18n import _
from etcdtui.records import NamedTuple  # typing's, without importing typing
from etcdtui.services.snapshots.errors import (
    NotBoltFile,
    SnapshotCorrupt,
    SnapshotEmpty,
    SnapshotTruncated,
    SnapshotUnreadable,
)

MAGIC = 0xED0CDAED
VERSION = 2
NO_FREELIST = 0xFFFF_FFFF_FFFF_FFFF
TRAILER_SIZE = 32  # sha256 appended by the snapshot API
PAGE_HEADER_SIZE = 16
ELEMENT_SIZE = 16  # branch and leaf elements are both 16 bytes
META_SIZE = 64
META_CHECKSUMMED = 56
BUCKET_HEADER_SIZE = 16

BRANCH_PAGE = 0x01
LEAF_PAGE = 0x02
META_PAGE = 0x04
FREELIST_PAGE = 0x10
BUCKET_LEAF_FLAG = 0x01

MAX_TREE_DEPTH = 64
MAX_BUCKET_NESTING = 32
MIN_PAGE_SIZE = 512
MAX_PAGE_SIZE = 1 << 20
# Drop the mapping from the process after touching this many bytes of pages.
RSS_BUDGET = 32 << 20
TOUCH_BATCH = 1 << 20  # leaf_pages reports touched bytes in batches of this
VISITED_RUNS = [b"\x01" * (n + 1) for n in range(64)]  # visited marks for a page and n overflow

PAGE_HEADER = struct.Struct("<QHHI")
_META = struct.Struct("<IIIIQQQQQQ")
_BRANCH = struct.Struct("<IIQ")
_BUCKET = struct.Struct("<QQ")
_U64 = struct.Struct("<Q")
_BRANCHES: dict[int, struct.Struct] = {}


def _branch_struct(count: int) -> struct.Struct:
    """``<IIQ`` times ``count``, compiled once per element count seen."""
    fmt = _BRANCHES.get(count)
    if fmt is None:
        fmt = struct.Struct("<" + "IIQ" * count)
        if count <= 1024:
            _BRANCHES[count] = fmt
    return fmt


_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = 0xFFFF_FFFF_FFFF_FFFF

# (flags, key start, key end, value end): absolute offsets into the mapping.
Element = tuple[int, int, int, int]


def fnv64a(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK64
    return h


def has_trailer(size: int) -> bool:
    """etcd's rule: a file whose size is 32 past a multiple of 512 ends with a sha256."""
    return size % 512 == TRAILER_SIZE


class Meta(NamedTuple):
    """One meta page (a NamedTuple rather than a dataclass: importing dataclasses is a
    measurable share of a short command's start-up)."""

    page: int
    magic: int
    version: int
    page_size: int
    flags: int
    root: int
    sequence: int
    freelist: int
    pgid: int  # high-water mark: number of pages in use
    txid: int
    checksum: int
    problem: str | None  # None when magic, version and checksum are right

    @property
    def valid(self) -> bool:
        return self.problem is None


def _plausible_page_size(n: int) -> bool:
    return MIN_PAGE_SIZE <= n <= MAX_PAGE_SIZE and n & (n - 1) == 0


class BoltDB:
    """An open bbolt file. Use :meth:`open` (or pass a readable file descriptor)."""

    def __init__(self, fd: int, *, name: str = "", owns_fd: bool = False) -> None:
        self.name = name
        self.encrypted = False  # set by the opener when the file was age-decrypted
        self._fd = fd
        self._owns_fd = owns_fd
        self._mm: mmap.mmap | None = None
        self._touched = 0
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SnapshotUnreadable(_("{name} is not a regular file").format(name=name))
        self.file_size = st.st_size
        if self.file_size == 0:
            raise SnapshotEmpty(_("{name} is empty (0 bytes)").format(name=name))
        self._mm = mmap.mmap(fd, self.file_size, access=mmap.ACCESS_READ)
        self.has_trailer = has_trailer(self.file_size)
        self.data_size = self.file_size - TRAILER_SIZE if self.has_trailer else self.file_size
        self.metas = self._read_metas()
        self.meta = self._choose_meta()
        self.page_size = self.meta.page_size
        self.hwm = self.meta.pgid
        self._check_meta_bounds()

    # --- opening and closing -----------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> BoltDB:
        name = str(path)
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer (regular files ignore it)
            fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError as exc:
            raise SnapshotUnreadable(_("no such file: {name}").format(name=name)) from exc
        except IsADirectoryError as exc:
            raise SnapshotUnreadable(_("{name} is a directory").format(name=name)) from exc
        except OSError as exc:
            raise SnapshotUnreadable(
                _("cannot open {name}: {err}").format(name=name, err=exc.strerror)
            ) from exc
        try:
            return cls(fd, name=name, owns_fd=True)
        except BaseException:
            os.close(fd)
            raise

    def close(self) -> None:
        if self._mm is not None:
            try:
                self._mm.close()
            except BufferError:
                pass  # a caller still holds a memoryview; the mapping goes with it
            self._mm = None
        if self._owns_fd:
            os.close(self._fd)
            self._owns_fd = False

    def __enter__(self) -> BoltDB:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def mm(self) -> mmap.mmap:
        if self._mm is None:
            raise ValueError("BoltDB is closed")
        return self._mm

    @property
    def fd(self) -> int:
        """The open file (read-only): its identity, for positional reads."""
        if self._mm is None:
            raise ValueError("BoltDB is closed")
        return self._fd

    @property
    def tx_size(self) -> int:
        """Bytes in use: what bbolt's Tx.Size() and etcdutl's totalSize report."""
        return self.hwm * self.page_size

    # --- meta pages ----------------------------------------------------------------

    def _meta_at(self, offset: int, page: int) -> Meta | None:
        if offset + PAGE_HEADER_SIZE + META_SIZE > self.data_size:
            return None
        start = offset + PAGE_HEADER_SIZE
        fields = _META.unpack_from(self.mm, start)
        magic, version, page_size = fields[0], fields[1], fields[2]
        problem: str | None = None
        if magic != MAGIC:
            problem = _("bad magic number {magic:#010x}").format(magic=magic)
        elif version != VERSION:
            problem = _("unsupported bbolt version {v}").format(v=version)
        elif fnv64a(self.mm[start : start + META_CHECKSUMMED]) != fields[9]:
            problem = _("checksum mismatch")
        elif not _plausible_page_size(page_size):
            problem = _("implausible page size {n}").format(n=page_size)
        return Meta(
            page=page,
            magic=magic,
            version=version,
            page_size=page_size,
            flags=fields[3],
            root=fields[4],
            sequence=fields[5],
            freelist=fields[6],
            pgid=fields[7],
            txid=fields[8],
            checksum=fields[9],
            problem=problem,
        )

    def _read_metas(self) -> tuple[Meta, Meta | None]:
        first = self._meta_at(0, 0)
        if first is None:
            if self.data_size >= 20 and struct.unpack_from("<I", self.mm, 16)[0] == MAGIC:
                raise SnapshotTruncated(
                    _("{name} ends inside its first meta page ({n} bytes)").format(
                        name=self.name, n=self.file_size
                    )
                )
            raise NotBoltFile(
                _("{name} is too small to be a bbolt file ({n} bytes)").format(
                    name=self.name, n=self.file_size
                )
            )
        sizes = [first.page_size] if _plausible_page_size(first.page_size) else []
        sizes += [n for n in (4096, 8192, 16384, 32768, 65536, 2048, 1024) if n not in sizes]
        second: Meta | None = None
        for size in sizes:
            candidate = self._meta_at(size, 1)
            if candidate is None:
                continue
            if candidate.valid and candidate.page_size == size:
                return first, candidate
            if second is None and candidate.magic == MAGIC:
                second = candidate
        return first, second

    def _choose_meta(self) -> Meta:
        valid = [m for m in self.metas if m is not None and m.valid]
        if valid:
            if len(valid) == 2 and valid[0].page_size != valid[1].page_size:
                raise SnapshotCorrupt(_("the two meta pages disagree on the page size"))
            return max(valid, key=lambda m: m.txid)
        if all(m is None or m.magic != MAGIC for m in self.metas):
            raise NotBoltFile(
                _("{name} has no bbolt magic number: it is not a bbolt file").format(name=self.name)
            )
        if self.metas[1] is None and self.data_size < 2 * (self.metas[0].page_size or 4096):
            raise SnapshotTruncated(
                _("{name} ends before its second meta page").format(name=self.name)
            )
        problems = "; ".join(
            _("meta page {n}: {problem}").format(n=m.page, problem=m.problem)
            for m in self.metas
            if m is not None
        )
        raise SnapshotCorrupt(_("no valid meta page ({problems})").format(problems=problems))

    def _check_meta_bounds(self) -> None:
        m = self.meta
        if m.pgid < 3:
            raise SnapshotCorrupt(_("meta page: high-water mark {n} is too small").format(n=m.pgid))
        needed = m.pgid * m.page_size
        if needed > self.data_size:
            raise SnapshotTruncated(
                _(
                    "the database needs {needed} bytes ({pages} pages of {size}) but the file "
                    "holds only {have}"
                ).format(needed=needed, pages=m.pgid, size=m.page_size, have=self.data_size)
            )
        if not 2 <= m.root < m.pgid:
            raise SnapshotCorrupt(_("meta page: root page {n} is out of range").format(n=m.root))
        if m.freelist != NO_FREELIST and not 2 <= m.freelist < m.pgid:
            raise SnapshotCorrupt(
                _("meta page: freelist page {n} is out of range").format(n=m.freelist)
            )

    # --- pages ---------------------------------------------------------------------

    def new_visited(self) -> bytearray:
        """One byte per page: the set of pages entered during one walk."""
        return bytearray(self.hwm)

    def enter_page(self, pgid: int, visited: bytearray) -> tuple[int, int, int, int]:
        """Check and mark page ``pgid``; return (offset, flags, count, end offset)."""
        hwm = self.hwm
        if pgid < 2 or pgid >= hwm:
            raise SnapshotCorrupt(
                _("page {pgid} is outside the database (pages 2 to {last})").format(
                    pgid=pgid, last=hwm - 1
                )
            )
        ps = self.page_size
        off = pgid * ps
        page_id, flags, count, overflow = PAGE_HEADER.unpack_from(self.mm, off)
        if page_id != pgid:
            raise SnapshotCorrupt(
                _("page {pgid} carries the id {other}").format(pgid=pgid, other=page_id)
            )
        last = pgid + overflow
        if last >= hwm:
            raise SnapshotCorrupt(
                _("page {pgid} overflows past the high-water mark").format(pgid=pgid)
            )
        if visited[pgid] or (overflow and visited.find(1, pgid, last + 1) != -1):
            raise SnapshotCorrupt(
                _("page {pgid} is reached twice (a cycle or a shared page)").format(pgid=pgid)
            )
        if overflow:
            visited[pgid : last + 1] = b"\x01" * (overflow + 1)
        else:
            visited[pgid] = 1
        self.touch((overflow + 1) * ps)
        return off, flags, count, (last + 1) * ps

    def read(self, start: int, end: int) -> bytes:
        """Bytes [start, end) read with pread, not through the mapping: for random
        access, where faulting pages in (with the kernel's fault-around) would grow
        the resident size far beyond what is read."""
        if not 0 <= start <= end <= self.data_size:
            raise SnapshotCorrupt(_("a read past the end of the database was refused"))
        data = os.pread(self._fd, end - start, start)
        if len(data) != end - start:
            raise SnapshotCorrupt(_("the file shrank while it was read"), reason="truncated")
        return data

    def touch(self, nbytes: int) -> None:
        """Account for ``nbytes`` read from the mapping; drop it when over budget."""
        self._touched += nbytes
        if self._touched >= RSS_BUDGET:
            self._touched = 0
            self.drop_resident()

    def drop_resident(self, start: int = 0, length: int = 0) -> None:
        """Let the kernel take back mapped pages (they stay in the page cache). The
        mapping stays valid: a later read faults the page in again."""
        if self._mm is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        aligned = start - start % mmap.PAGESIZE
        length = (length + start - aligned) if length else self.file_size - aligned
        try:
            self._mm.madvise(mmap.MADV_DONTNEED, aligned, length)
        except (OSError, ValueError):
            pass

    def leaf_elements(self, off: int, count: int, end: int) -> list[Element]:
        """The elements of the leaf page at ``off``; every one lies before ``end``."""
        base = off + PAGE_HEADER_SIZE
        if base + count * ELEMENT_SIZE > end:
            raise SnapshotCorrupt(_("leaf page at offset {off}: too many elements").format(off=off))
        if count == 0:
            return []
        raw = struct.unpack_from(f"<{count * 4}I", self.mm, base)
        out: list[Element] = []
        append = out.append
        for i in range(count):
            j = i * 4
            ks = base + i * ELEMENT_SIZE + raw[j + 1]
            ke = ks + raw[j + 2]
            ve = ke + raw[j + 3]
            if ve > end:
                raise SnapshotCorrupt(
                    _("leaf page at offset {off}: element {i} points past the page").format(
                        off=off, i=i
                    )
                )
            append((raw[j], ks, ke, ve))
        return out

    def branch_children(self, off: int, count: int, end: int, pgid: int) -> list[int]:
        base = off + PAGE_HEADER_SIZE
        if count == 0:
            raise SnapshotCorrupt(_("branch page {pgid} has no elements").format(pgid=pgid))
        if base + count * ELEMENT_SIZE > end:
            raise SnapshotCorrupt(_("branch page {pgid}: too many elements").format(pgid=pgid))
        # One unpack for the whole page (pos, ksize, child per element), then the bounds
        # of every key at C speed: element i's key ends at base + 16 i + pos + ksize.
        raw = _branch_struct(count).unpack_from(self.mm, base)
        key_ends = map(_add, map(_add, raw[0::3], raw[1::3]), range(base, end, ELEMENT_SIZE))
        if max(key_ends) > end:
            for i in range(count):
                if base + i * ELEMENT_SIZE + raw[3 * i] + raw[3 * i + 1] > end:
                    raise SnapshotCorrupt(
                        _("branch page {pgid}: key {i} points past the page").format(pgid=pgid, i=i)
                    )
        return list(raw[2::3])

    def freelist(self, visited: bytearray) -> list[int] | None:
        """Free page ids recorded in the file, or None when the freelist is not synced."""
        fl = self.meta.freelist
        if fl == NO_FREELIST:
            return None
        off, flags, count, end = self.enter_page(fl, visited)
        if flags != FREELIST_PAGE:
            raise SnapshotCorrupt(
                _("page {pgid} should be the freelist but has flags {flags:#x}").format(
                    pgid=fl, flags=flags
                )
            )
        base = off + PAGE_HEADER_SIZE
        n = count
        if count == 0xFFFF:
            if base + 8 > end:
                raise SnapshotCorrupt(_("freelist page {pgid} is cut short").format(pgid=fl))
            n = _U64.unpack_from(self.mm, base)[0]
            base += 8
        if base + 8 * n > end:
            raise SnapshotCorrupt(_("freelist page {pgid}: too many entries").format(pgid=fl))
        return list(struct.unpack_from(f"<{n}Q", self.mm, base)) if n else []

    # --- buckets -------------------------------------------------------------------

    def root(self) -> Bucket:
        return Bucket(self, self.meta.root)

    def buckets(self) -> Iterator[tuple[bytes, Bucket]]:
        """Top-level buckets in key order (etcd: alarm, auth, ..., key, lease, meta...)."""
        root = self.root()
        for flags, ks, ke, ve in root.elements():
            if not flags & BUCKET_LEAF_FLAG:
                raise SnapshotCorrupt(
                    _("the root holds a plain key {key!r}, not a bucket").format(
                        key=bytes(self.mm[ks:ke])
                    )
                )
            yield bytes(self.mm[ks:ke]), root.nested(ke, ve)

    def bucket(self, name: bytes) -> Bucket | None:
        for bname, b in self.buckets():
            if bname == name:
                return b
        return None


class Bucket:
    """One bucket: a B+tree rooted at a page, or an inline page inside a value."""

    def __init__(
        self, db: BoltDB, root: int, *, inline: tuple[int, int] | None = None, depth: int = 0
    ) -> None:
        self.db = db
        self.root = root
        self.inline = inline  # (offset of the inline page, end of the value)
        self.depth = depth

    def nested(self, value_start: int, value_end: int) -> Bucket:
        """The bucket whose header is the value at [value_start, value_end)."""
        if self.depth + 1 > MAX_BUCKET_NESTING:
            raise SnapshotCorrupt(_("buckets are nested too deep"))
        if value_end - value_start < BUCKET_HEADER_SIZE:
            raise SnapshotCorrupt(_("a bucket value is shorter than a bucket header"))
        root, _seq = _BUCKET.unpack_from(self.db.mm, value_start)
        if root == 0:
            page = value_start + BUCKET_HEADER_SIZE
            if page + PAGE_HEADER_SIZE > value_end:
                raise SnapshotCorrupt(_("an inline bucket is cut short"))
            return Bucket(self.db, 0, inline=(page, value_end), depth=self.depth + 1)
        return Bucket(self.db, root, depth=self.depth + 1)

    def leaf_pages(self, visited: bytearray | None = None) -> Iterator[tuple[int, int, int]]:
        """Each leaf page as (offset, element count, end offset), in key order. The
        page is entered (bounds, id and cycle checks) but its elements are not read:
        see :meth:`BoltDB.leaf_elements` for that."""
        db = self.db
        if self.inline is not None:
            off, end = self.inline
            _pid, flags, count, _ov = PAGE_HEADER.unpack_from(db.mm, off)
            if flags != LEAF_PAGE:
                raise SnapshotCorrupt(_("an inline bucket page is not a leaf"))
            yield off, count, end
            return
        if visited is None:
            visited = db.new_visited()
        # enter_page's checks, inlined for the common case (this loop runs once per page
        # of the file); anything unusual goes through enter_page, which raises.
        mm = db.mm
        hwm = db.hwm
        ps = db.page_size
        header = PAGE_HEADER.unpack_from
        seen = visited.find
        touched = 0
        stack = [(self.root, 0)]
        pop = stack.pop
        while stack:
            pgid, depth = pop()
            off = pgid * ps
            if 2 <= pgid < hwm:
                page_id, flags, count, overflow = header(mm, off)
                last = pgid + overflow
                ok = page_id == pgid and last < hwm and seen(1, pgid, last + 1) == -1
            else:
                ok = False
            if ok:
                if overflow:
                    visited[pgid : last + 1] = (
                        VISITED_RUNS[overflow] if overflow < 64 else b"\x01" * (overflow + 1)
                    )
                else:
                    visited[pgid] = 1
                end = (last + 1) * ps
                touched += end - off
                if touched >= TOUCH_BATCH:
                    db.touch(touched)
                    touched = 0
            else:
                off, flags, count, end = db.enter_page(pgid, visited)
            if flags == LEAF_PAGE:
                yield off, count, end
            elif flags == BRANCH_PAGE:
                if depth >= MAX_TREE_DEPTH:
                    raise SnapshotCorrupt(
                        _("a bucket tree is deeper than {n}").format(n=MAX_TREE_DEPTH)
                    )
                children = db.branch_children(off, count, end, pgid)
                stack.extend([(child, depth + 1) for child in reversed(children)])
            else:
                raise SnapshotCorrupt(
                    _("page {pgid} has flags {flags:#x}, expected a branch or leaf page").format(
                        pgid=pgid, flags=flags
                    )
                )
        if touched:
            db.touch(touched)

    def leaves(self, visited: bytearray | None = None) -> Iterator[list[Element]]:
        """Each leaf page's elements, in key order."""
        leaf_elements = self.db.leaf_elements
        for off, count, end in self.leaf_pages(visited):
            yield leaf_elements(off, count, end)

    def elements(self, visited: bytearray | None = None) -> Iterator[Element]:
        for leaf in self.leaves(visited):
            yield from leaf

    def items(self) -> Iterator[tuple[bytes, bytes | None]]:
        """(key, value) pairs in key order; the value is None for a nested bucket."""
        mm = self.db.mm
        for flags, ks, ke, ve in self.elements():
            yield bytes(mm[ks:ke]), None if flags & BUCKET_LEAF_FLAG else bytes(mm[ke:ve])

    def keys(self) -> Iterator[bytes]:
        mm = self.db.mm
        for _flags, ks, ke, _ve in self.elements():
            yield bytes(mm[ks:ke])

    def count(self) -> int:
        return sum(len(leaf) for leaf in self.leaves())

    def get(self, key: bytes) -> bytes | None:
        for k, v in self.items():
            if k == key:
                return v
        return None

    def bucket(self, name: bytes) -> Bucket | None:
        mm = self.db.mm
        for flags, ks, ke, ve in self.elements():
            if flags & BUCKET_LEAF_FLAG and mm[ks:ke] == name:
                return self.nested(ke, ve)
        return None
