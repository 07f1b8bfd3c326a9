"""Checks that the reader reads what the test bbolt writer (tests/support/bolt_builder.py)
wrote: branch pages, overflow pages, inline buckets."""

from __future__ import annotations

import struct

from etcdtui.services.snapshots.bolt import BoltDB
from tests.support.bolt_builder import BRANCH, LEAF, SAMPLE, build_db, read_all


def test_reader_reads_back_what_the_writer_wrote(tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "db"
    path.write_bytes(build_db(SAMPLE, leaf_cap=16, branch_cap=4))
    assert read_all(str(path)) == SAMPLE


def test_writer_uses_branch_overflow_and_inline_pages(tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "db"
    path.write_bytes(build_db(SAMPLE, leaf_cap=16, branch_cap=4))
    with BoltDB.open(str(path)) as db:
        flags = set()
        overflow = 0
        for pgid in range(2, db.hwm):
            pid, fl, _count, ov = struct.unpack_from("<QHHI", db.mm, pgid * db.page_size)
            if pid == pgid:
                flags.add(fl)
                overflow = max(overflow, ov)
        nested = db.bucket(b"nested")
        assert nested is not None
        child = nested.bucket(b"child")
    assert {BRANCH, LEAF} <= flags
    assert overflow >= 2  # the 10 kB value spans three 4 kB pages
    assert child is not None and child.inline is not None
