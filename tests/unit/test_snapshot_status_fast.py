"""The fast paths of ``snapshot status``: same answers as the plain ones, no leaks."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from etcdtui.services.snapshots.bolt import BoltDB
from etcdtui.services.snapshots.earlyhash import EarlyHash
from etcdtui.services.snapshots.errors import SnapshotCorrupt, SnapshotError
from etcdtui.services.snapshots.open_file import DecryptKeys
from etcdtui.services.snapshots.scan import scan
from etcdtui.services.snapshots.status import check_trailer, scan_and_trailer, verify
from tests.support.bolt_builder import SAMPLE, build_db, with_trailer


def _write(tmp_path: Path, data: bytes, name: str = "db") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_decrypt_keys_never_show_the_passphrase() -> None:
    keys = DecryptKeys(passphrase="hunter2-secret")
    assert "hunter2-secret" not in repr(keys)
    assert "hunter2-secret" not in str(keys)
    assert keys and not DecryptKeys()
    assert DecryptKeys(["id"]) == DecryptKeys(identities=["id"])


def test_leaf_pages_agree_with_leaves(tmp_path: Path) -> None:
    path = _write(tmp_path, build_db(SAMPLE, leaf_cap=8, branch_cap=3))
    with BoltDB.open(path) as db:
        for _name, bucket in db.buckets():
            pages = [db.leaf_elements(*page) for page in bucket.leaf_pages()]
            assert pages == list(bucket.leaves())


def test_threaded_status_equals_the_parts_and_restores_the_switch_interval(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, with_trailer(build_db(SAMPLE, leaf_cap=8, branch_cap=3)))
    before = sys.getswitchinterval()
    with BoltDB.open(path) as db:
        res, present, valid = scan_and_trailer(db)
        assert not isinstance(res, SnapshotCorrupt)
        assert res == scan(db)
        assert (present, valid) == check_trailer(db) == (True, True)
    assert sys.getswitchinterval() == before
    assert not [t for t in threading.enumerate() if t.name == "sha256"]


def test_a_structural_fault_keeps_the_trailer_verdict(tmp_path: Path) -> None:
    data = bytearray(build_db(SAMPLE, leaf_cap=8, branch_cap=3))
    data[3 * 4096 : 3 * 4096 + 8] = (999).to_bytes(8, "little")  # page 3 claims another id
    path = _write(tmp_path, with_trailer(bytes(data)))
    with BoltDB.open(path) as db:
        res, present, valid = scan_and_trailer(db)
    assert isinstance(res, SnapshotCorrupt)
    assert (present, valid) == (True, True)  # the sha256 covers the damaged bytes too


def test_stopping_the_hash_gives_no_verdict(tmp_path: Path) -> None:
    path = _write(tmp_path, with_trailer(build_db(SAMPLE)))
    stop = threading.Event()
    stop.set()
    with BoltDB.open(path) as db:
        assert check_trailer(db, stop) == (True, None)


def test_concurrent_statuses_put_the_switch_interval_back(tmp_path: Path) -> None:
    path = _write(tmp_path, with_trailer(build_db(SAMPLE, leaf_cap=8, branch_cap=3)))
    before = sys.getswitchinterval()
    results: list[object] = []

    def one() -> None:
        with BoltDB.open(path) as db:
            results.append(scan_and_trailer(db)[1:])

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == [(True, True)] * 4
    assert sys.getswitchinterval() == before


# --- the sha256 started before the reader (earlyhash) -----------------------------------


def _no_early_threads() -> bool:
    from etcdtui.services.snapshots import earlyhash

    # plain _thread threads (threading is not imported for them): counted by earlyhash
    named = [t for t in threading.enumerate() if t.name.startswith("sha256")]
    return not named and earlyhash.running() == 0


def test_an_early_hash_of_the_same_file_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    path = _write(tmp_path, with_trailer(build_db(SAMPLE, leaf_cap=8, branch_cap=3)))
    before = sys.getswitchinterval()
    early = EarlyHash(path)
    with BoltDB.open(path) as db:
        assert early.matches(db.fd)
    res = verify(path, early=early)
    assert (res.ok, res.sha256_present, res.sha256_valid) == (True, True, True)
    assert early.result() == (True, True)  # verify took this hash, not one of its own
    assert sys.getswitchinterval() == before
    assert _no_early_threads()


def test_an_early_hash_of_a_file_replaced_since_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the hash started on a sound file; then the path is replaced by a damaged copy
    # (same size): the verdict must be the damaged file's
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    good = with_trailer(build_db(SAMPLE, leaf_cap=8, branch_cap=3))
    path = _write(tmp_path, good)
    early = EarlyHash(path)
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    other = _write(tmp_path, bytes(bad), "other")
    os.replace(other, path)
    res = verify(path, early=early)
    assert (res.cause, res.sha256_valid) == ("sha256-mismatch", False)
    assert _no_early_threads()


@pytest.mark.parametrize("kind", ["no-trailer", "age", "truncated", "missing"])
def test_an_early_hash_that_does_not_apply_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    db = build_db(SAMPLE)
    data = {
        "no-trailer": db,
        "age": b"age-encryption.org/v1\n" + b"\0" * (4096 * 3 + 32 - 22),
        "truncated": with_trailer(db)[: 2 * 4096 + 32],  # size rule holds, pages missing
        "missing": None,
    }[kind]
    path = str(tmp_path / "db") if data is None else _write(tmp_path, data)
    before = sys.getswitchinterval()
    early = EarlyHash(path)
    try:
        res = verify(path, early=early)
    except SnapshotError:
        res = None
    assert sys.getswitchinterval() == before
    assert _no_early_threads()
    if kind == "no-trailer":
        assert res is not None and res.cause == "no-trailer"
    if kind == "truncated":
        assert res is not None and res.cause == "truncated"


def test_a_running_early_hash_is_counted_until_its_thread_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the hash runs on a plain _thread thread: earlyhash.running() is what shows it
    from etcdtui.services.snapshots import earlyhash

    path = _write(tmp_path, with_trailer(build_db(SAMPLE)))
    entered, release = threading.Event(), threading.Event()

    def held(*args: object) -> tuple[bool, bool | None]:
        entered.set()
        release.wait(30)
        return True, True

    monkeypatch.setattr(earlyhash, "hash_mapping", held)
    early = EarlyHash(path)
    assert entered.wait(30)
    assert earlyhash.running() == 1
    with BoltDB.open(path) as db:
        assert early.matches(db.fd)
    release.set()
    assert early.result() == (True, True)
    assert earlyhash.running() == 0
    fd = os.open(path, os.O_RDONLY)
    try:
        assert not early.matches(fd)  # done: nothing left to take over
    finally:
        os.close(fd)
