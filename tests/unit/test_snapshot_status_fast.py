"""The fast paths of ``snapshot status``: same answers as the plain ones, no leaks."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from etcdtui.services.snapshots.bolt import BoltDB
from etcdtui.services.snapshots.errors import SnapshotCorrupt
from etcdtui.services.snapshots.source import DecryptKeys
from etcdtui.services.snapshots.status import check_trailer, scan, scan_and_trailer
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
