"""The bbolt reader against exact files: numbers, damage, and fuzzing.

Files come from the test writer in test_bolt_writer.py; each damage test patches one
field and checks that the reader names the fault with SnapshotCorrupt (never an
IndexError, struct.error or a hang).
"""

from __future__ import annotations

import os
import random
import struct
from pathlib import Path

import google_crc32c
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etcdtui.services.snapshots.bolt import BoltDB
from etcdtui.services.snapshots.errors import (
    NotBoltFile,
    SnapshotCorrupt,
    SnapshotEmpty,
    SnapshotTruncated,
)
from etcdtui.services.snapshots.scan import _crc32c_py, crc32c, scan
from etcdtui.services.snapshots.status import snapshot_status, verify
from tests.support.bolt_builder import (
    BRANCH,
    LEAF,
    SAMPLE,
    BoltWriter,
    Tree,
    _branch_body,
    _leaf_body,
    build_db,
    read_all,
    with_trailer,
)

PS = 4096


def rev(main: int, sub: int = 0, tomb: bool = False) -> bytes:
    return main.to_bytes(8, "big") + b"_" + sub.to_bytes(8, "big") + (b"t" if tomb else b"")


def write(tmp_path: Path, data: bytes, name: str = "db") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def reference(tree: Tree) -> tuple[int, int]:
    """etcdutl's hash and key count, computed the simple way over the whole stream."""
    stream = bytearray()
    count = 0
    for name in sorted(tree):
        stream += name
        bucket = tree[name]
        assert isinstance(bucket, dict)
        for key in sorted(bucket):
            value = bucket[key]
            stream += key + (value if isinstance(value, bytes) else b"")
            count += 1
    return google_crc32c.value(bytes(stream)), count


def pages_with_flag(data: bytes, flag: int) -> list[int]:
    out = []
    for pgid in range(2, len(data) // PS):
        pid, flags, _c, _o = struct.unpack_from("<QHHI", data, pgid * PS)
        if pid == pgid and flags == flag:
            out.append(pgid)
    return out


# --- numbers ------------------------------------------------------------------------------


def test_crc32c_matches_the_castagnoli_check_value() -> None:
    assert crc32c(0, b"123456789") == 0xE3069283
    blob = random.Random(7).randbytes(5000)
    assert _crc32c_py(0, blob) == google_crc32c.value(blob)
    assert crc32c(crc32c(0, blob[:1234]), blob[1234:]) == google_crc32c.value(blob)


def test_status_numbers_follow_etcdutl_rules(tmp_path: Path) -> None:
    key_bucket: dict[bytes, bytes | int | Tree] = {
        rev(i, j): b"kv%d" % i for i in range(1, 40) for j in range(2)
    }
    key_bucket[rev(41, 0, tomb=True)] = b"gone"
    tree: Tree = {**SAMPLE, b"key": key_bucket}
    path = write(tmp_path, with_trailer(build_db(tree, leaf_cap=8, branch_cap=3)))
    expect_hash, expect_count = reference(tree)
    st_ = snapshot_status(path)
    assert st_["hash"] == expect_hash
    assert st_["totalKey"] == expect_count
    assert st_["revision"] == 41
    assert st_["totalSize"] == (os.path.getsize(path) - 32)
    # status does not hash the file: the trailer is present, not checked in this run
    assert st_["sha256"] == {
        "present": True,
        "valid": None,
        "state": "unchecked",
        "problem": None,
        "verified": None,
    }
    full = snapshot_status(path, verify=True)
    assert {k: full["sha256"][k] for k in ("present", "valid", "state", "problem")} == {
        "present": True,
        "valid": True,
        "state": "valid",
        "problem": None,
    }
    assert full["sha256"]["verified"]["result"] == "ok"
    assert {k: full[k] for k in ("hash", "totalKey", "revision", "totalSize")} == {
        k: st_[k] for k in ("hash", "totalKey", "revision", "totalSize")
    }


def test_total_size_is_the_high_water_mark_not_the_file_size(tmp_path: Path) -> None:
    data = build_db({b"a": {b"k": b"v"}}) + bytes(3 * PS)  # a raw db grows past its pages
    path = write(tmp_path, data)
    with BoltDB.open(path) as db:
        assert scan(db).total_size == db.hwm * PS < len(data)


# --- verify causes ------------------------------------------------------------------------


def test_verify_names_each_cause(tmp_path: Path) -> None:
    good = with_trailer(build_db(SAMPLE, leaf_cap=16))
    assert verify(write(tmp_path, good, "good")).cause == "ok"
    assert verify(write(tmp_path, good, "good")).ok
    flipped = bytearray(good)
    flipped[good.index(b"YYYYY")] ^= 0x01  # a value byte: structure intact, hash not
    assert verify(write(tmp_path, bytes(flipped), "flip")).cause == "sha256-mismatch"
    raw = verify(write(tmp_path, good[:-32], "raw"))
    assert (raw.ok, raw.cause, raw.severity) == (False, "no-trailer", "warning")
    assert "--skip-hash-check" in raw.message
    assert verify(write(tmp_path, good[: len(good) // 2], "half")).cause == "truncated"
    assert verify(write(tmp_path, good[:-10], "cut-trailer")).cause == "truncated"
    assert verify(write(tmp_path, b"", "empty")).cause == "empty"
    assert verify(write(tmp_path, random.Random(1).randbytes(9000), "rnd")).cause == "not-bolt"
    assert verify(write(tmp_path, b"hello", "tiny")).cause == "not-bolt"


def test_open_errors_are_typed(tmp_path: Path) -> None:
    with pytest.raises(SnapshotEmpty):
        BoltDB.open(write(tmp_path, b""))
    with pytest.raises(NotBoltFile):
        BoltDB.open(write(tmp_path, bytes(10000), "zeros"))
    good = build_db(SAMPLE)
    with pytest.raises(SnapshotTruncated):
        BoltDB.open(write(tmp_path, good[: 3 * PS], "short"))
    with pytest.raises(SnapshotTruncated):
        BoltDB.open(write(tmp_path, good[:50], "short-meta"))


# --- meta pages ---------------------------------------------------------------------------


def test_one_bad_meta_falls_back_to_the_other(tmp_path: Path) -> None:
    data = bytearray(with_trailer(build_db(SAMPLE)))
    data[PS + 16 + 40] ^= 0xFF  # meta 1 (the newer txid): corrupt its high-water field
    body = bytes(data[:-32])
    import hashlib

    data[-32:] = hashlib.sha256(body).digest()
    path = write(tmp_path, bytes(data))
    with BoltDB.open(path) as db:
        assert db.meta.page == 0
        assert not db.metas[1].valid  # type: ignore[union-attr]
    res = verify(path)
    assert res.ok
    assert any("meta page 1" in w for w in res.warnings)


def test_bad_meta0_still_finds_meta1_by_page_size(tmp_path: Path) -> None:
    data = bytearray(build_db(SAMPLE, page_size=8192))
    data[16:20] = b"\0\0\0\0"  # meta 0 magic gone
    with BoltDB.open(write(tmp_path, bytes(data))) as db:
        assert (db.meta.page, db.page_size) == (1, 8192)


def test_both_metas_bad(tmp_path: Path) -> None:
    data = bytearray(build_db(SAMPLE))
    data[16 + 8] ^= 1  # page size field of meta 0: checksum now wrong
    data[PS + 16 + 8] ^= 1
    with pytest.raises(SnapshotCorrupt, match="no valid meta page"):
        BoltDB.open(write(tmp_path, bytes(data)))


# --- damaged pages -----------------------------------------------------------------------


def _patch_and_scan(tmp_path: Path, data: bytearray, match: str) -> None:
    path = write(tmp_path, bytes(data), "patched")
    with pytest.raises(SnapshotCorrupt, match=match):
        with BoltDB.open(path) as db:
            scan(db)


def test_branch_pointing_to_itself_is_a_cycle(tmp_path: Path) -> None:
    data = bytearray(build_db(SAMPLE, leaf_cap=8, branch_cap=4))
    pgid = pages_with_flag(bytes(data), BRANCH)[0]
    struct.pack_into("<Q", data, pgid * PS + 16 + 8, pgid)
    _patch_and_scan(tmp_path, data, "reached twice")


def test_child_outside_the_file(tmp_path: Path) -> None:
    data = bytearray(build_db(SAMPLE, leaf_cap=8, branch_cap=4))
    pgid = pages_with_flag(bytes(data), BRANCH)[0]
    struct.pack_into("<Q", data, pgid * PS + 16 + 8, 10**12)
    _patch_and_scan(tmp_path, data, "outside the database")


def test_page_with_a_foreign_id(tmp_path: Path) -> None:
    data = bytearray(build_db(SAMPLE, leaf_cap=8))
    pgid = pages_with_flag(bytes(data), LEAF)[0]
    struct.pack_into("<Q", data, pgid * PS, pgid + 1)
    _patch_and_scan(tmp_path, data, "carries the id")


def test_element_pointing_past_its_page(tmp_path: Path) -> None:
    data = bytearray(build_db(SAMPLE, leaf_cap=8))
    pgid = pages_with_flag(bytes(data), LEAF)[0]
    struct.pack_into("<I", data, pgid * PS + 16 + 4, 0xFFFFFF00)  # pos of element 0
    _patch_and_scan(tmp_path, data, "points past the page")


@pytest.mark.parametrize("element", [0, 1, -1])
def test_branch_key_pointing_past_its_page(tmp_path: Path, element: int) -> None:
    data = bytearray(build_db(SAMPLE, leaf_cap=8, branch_cap=4))
    pgid = pages_with_flag(bytes(data), BRANCH)[0]
    count = struct.unpack_from("<H", data, pgid * PS + 10)[0]
    i = element % count
    struct.pack_into("<I", data, pgid * PS + 16 + 16 * i + 4, PS)  # ksize of element i
    _patch_and_scan(tmp_path, data, f"branch page {pgid}: key {i} points past the page")


def test_overflow_past_the_high_water_mark(tmp_path: Path) -> None:
    data = bytearray(build_db(SAMPLE, leaf_cap=8))
    pgid = pages_with_flag(bytes(data), LEAF)[0]
    struct.pack_into("<I", data, pgid * PS + 12, 0xFFFFFFFF)
    _patch_and_scan(tmp_path, data, "overflows past")


def test_unknown_page_type(tmp_path: Path) -> None:
    data = bytearray(build_db(SAMPLE, leaf_cap=8))
    pgid = pages_with_flag(bytes(data), LEAF)[0]
    struct.pack_into("<H", data, pgid * PS + 8, 0x08)
    _patch_and_scan(tmp_path, data, "expected a branch or leaf")


def test_tree_deeper_than_the_limit(tmp_path: Path) -> None:
    w = BoltWriter()
    top = w._put(LEAF, 1, _leaf_body([(0, b"k", b"v")]))
    for _ in range(70):  # distinct pages: no cycle, only depth
        top = w._put(BRANCH, 1, _branch_body([(b"k", top)]))
    data = bytearray(w.build({b"deep": top}))
    _patch_and_scan(tmp_path, data, "deeper than")


def test_keys_out_of_order(tmp_path: Path) -> None:
    w = BoltWriter()
    root = w.tree([(0, b"b", b"1"), (0, b"a", b"2")])
    _patch_and_scan(tmp_path, bytearray(w.build({b"bad": root})), "out of order")


def test_plain_key_at_the_root_is_refused_like_etcdutl(tmp_path: Path) -> None:
    data = bytearray(build_db({b"a": {b"k": b"v"}, b"plain": b"value"}))  # type: ignore[dict-item]
    _patch_and_scan(tmp_path, data, "plain key")


def test_freelist_accounts_for_every_page(tmp_path: Path) -> None:
    w = BoltWriter()
    ok = w.build(SAMPLE, freelist=True, extra_pages=1)
    hwm = len(ok) // PS
    leaked = verify(write(tmp_path, with_trailer(ok), "leaked"))
    assert (leaked.cause, "neither reachable nor free" in leaked.message) == ("corrupt", True)
    w2 = BoltWriter()
    freed = w2.build(SAMPLE, freelist=True, free=(hwm - 1,), extra_pages=1)
    assert verify(write(tmp_path, with_trailer(freed), "freed")).ok
    w3 = BoltWriter()
    double = w3.build(SAMPLE, freelist=True, free=(3,))
    res = verify(write(tmp_path, with_trailer(double), "double"))
    assert "both free and in use" in res.message


def test_freelist_with_large_count_form(tmp_path: Path) -> None:
    w = BoltWriter()
    data = bytearray(w.build(SAMPLE, freelist=True, extra_pages=1))
    hwm = len(data) // PS
    # count 0xFFFF means: the real count is the first u64 of the page body.
    page = struct.pack("<QHHI", 2, 0x10, 0xFFFF, 0) + struct.pack("<QQ", 1, hwm - 1)
    data[2 * PS : 2 * PS + len(page)] = page
    assert verify(write(tmp_path, with_trailer(bytes(data)))).ok


def test_live_file_is_never_opened_for_writing(tmp_path: Path) -> None:
    path = write(tmp_path, build_db(SAMPLE))
    os.chmod(path, 0o400)
    before = os.stat(path)
    assert read_all(path) == SAMPLE
    after = os.stat(path)
    assert (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)


# --- fuzzing ------------------------------------------------------------------------------

# SnapshotCorrupt's stable reasons (etcdtui.services.snapshots.errors and the reader's own)
CORRUPT_REASONS = {"corrupt", "empty", "not-bolt", "truncated"}

FUZZ_BASE = with_trailer(build_db(SAMPLE, leaf_cap=8, branch_cap=3))


def _exercise(path: str) -> None:
    """Everything a command does with a file. Every failure is a SnapshotCorrupt with a
    stable reason and a cause (any other exception fails the test), or, for a file that
    starts like an age file, the typed "this is encrypted" error; every success is
    well-formed: in-bounds elements, counts that add up, a verdict that agrees with itself."""
    from etcdtui.services.snapshots.errors import EncryptedSnapshotError
    from etcdtui.services.snapshots.open_file import encryption_of

    size = os.path.getsize(path)
    try:
        with BoltDB.open(path) as db:
            for _name, bucket in db.buckets():
                for flags, ks, ke, ve in bucket.elements():
                    assert isinstance(flags, int) and 0 <= ks <= ke <= ve <= size
            res = scan(db)
            assert res.total_size == db.tx_size > 0
            assert sum(res.buckets.values()) == res.total_key >= 0
            assert 0 <= res.hash < 2**32 and res.revision >= 0
    except SnapshotCorrupt as exc:
        assert exc.reason in CORRUPT_REASONS and exc.cause.strip(), (exc.reason, exc.cause)
    try:
        result = verify(path)
    except EncryptedSnapshotError:
        assert encryption_of(path) == "age"  # only when the bytes really start like age
        return
    assert isinstance(result.ok, bool) and result.cause and result.message
    assert result.severity in ("ok", "warning", "error")
    if result.ok:
        assert result.sha256_present and result.sha256_valid is True
    else:
        assert result.severity != "ok" and result.cause != "ok"


def test_a_page_that_starts_like_an_age_file_gets_the_encrypted_error(tmp_path: Path) -> None:
    """Found by the fuzz test below: the age armor line written over page 0."""
    from etcdtui.services.snapshots.errors import IdentityRequired
    from etcdtui.services.snapshots.open_file import AGE_ARMOR

    data = bytearray(FUZZ_BASE)
    data[: len(AGE_ARMOR)] = AGE_ARMOR
    path = write(tmp_path, bytes(data), "armored")
    _exercise(path)
    with pytest.raises(IdentityRequired):
        verify(path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(min_value=0, max_value=len(FUZZ_BASE)),
    flips=st.lists(st.tuples(st.integers(0, len(FUZZ_BASE) - 1), st.integers(0, 7)), max_size=8),
)
def test_fuzz_truncation_and_bit_flips(
    tmp_path: Path, cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(FUZZ_BASE[:cut])
    for pos, bit in flips:
        if pos < len(data):
            data[pos] ^= 1 << bit
    _exercise(write(tmp_path, bytes(data), "fuzz"))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.binary(min_size=0, max_size=200),
    page=st.integers(min_value=0, max_value=len(FUZZ_BASE) // PS - 1),
)
def test_fuzz_random_page_headers(tmp_path: Path, header: bytes, page: int) -> None:
    data = bytearray(FUZZ_BASE)
    data[page * PS : page * PS + len(header)] = header[:PS]
    _exercise(write(tmp_path, bytes(data[: len(FUZZ_BASE)]), "fuzz"))


def test_fifo_and_directory_are_refused_without_blocking(tmp_path: Path) -> None:
    from etcdtui.services.snapshots.errors import SnapshotUnreadable

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(SnapshotUnreadable, match="not a regular file"):
        snapshot_status(fifo)  # no writer: opening it must not wait for one
    with pytest.raises(SnapshotUnreadable):
        snapshot_status(tmp_path)


# --- the structure walk without etcdutl's content hash (`snapshot verify`) -------------


def _outcome(path: str, content_hash: bool) -> object:
    """What scan says about the file: its numbers (hash left out) or the fault's words."""
    try:
        with BoltDB.open(path) as db:
            res = scan(db, content_hash=content_hash)
    except SnapshotCorrupt as exc:
        return (exc.reason, exc.cause)
    assert (res.hash is None) == (not content_hash)
    return (res.revision, res.total_key, res.total_size, res.buckets, res.warnings)


def test_the_walk_without_the_content_hash_finds_the_same_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, build_db(SAMPLE, leaf_cap=8, branch_cap=3))
    with BoltDB.open(path) as db:
        full, walk = scan(db), scan(db, content_hash=False)
    assert full.hash == reference(SAMPLE)[0] and walk.hash is None
    assert (walk.revision, walk.total_key, walk.buckets) == (
        full.revision,
        full.total_key,
        full.buckets,
    )


def test_the_walk_without_the_content_hash_refuses_what_the_full_walk_refuses(
    tmp_path: Path,
) -> None:
    """Every damaged copy: both walks name the same fault, or both pass with the same
    numbers. Only the content hash is left out, never a check."""
    good = build_db(SAMPLE, leaf_cap=8, branch_cap=3)
    rng = random.Random(1603)
    refused = 0
    for i in range(400):
        data = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            # mostly the first bytes of a page: headers, element arrays and keys
            at = rng.randrange(2, len(data) // PS) * PS + min(rng.randrange(0, 200), PS - 1)
            data[at] ^= 1 << rng.randrange(8)
        path = write(tmp_path, bytes(data), f"d{i}")
        full, walk = _outcome(path, True), _outcome(path, False)
        assert full == walk, (i, full, walk)
        refused += isinstance(full, tuple) and isinstance(full[0], str)
    assert refused > 100  # the damage was real often enough for the comparison to count


def test_a_damaged_value_is_left_to_the_sha256(tmp_path: Path) -> None:
    """The walk beside the sha256 does not read values: a flipped value byte passes the
    structure (etcdutl's status passes it too), the content hash moves, and the sha256
    trailer is what refuses the file."""
    good = build_db(SAMPLE, leaf_cap=8, branch_cap=3)
    data = bytearray(good)
    at = data.index(b"X" * 100) + 50  # inside "huge"/"x", a value in overflow pages
    data[at] ^= 0x01
    trailer = with_trailer(good)[len(good) :]
    intact = write(tmp_path, good + trailer, "intact")
    flipped = write(tmp_path, bytes(data) + trailer, "flipped")
    assert _outcome(flipped, False) == _outcome(intact, False)
    with BoltDB.open(flipped) as db:
        assert scan(db).hash != reference(SAMPLE)[0]
    res = verify(flipped, content_hash=False)
    assert (res.ok, res.cause) == (False, "sha256-mismatch")
    assert verify(intact, content_hash=False).ok
