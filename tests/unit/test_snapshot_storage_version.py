"""`snapshot status` reports the storage version etcd 3.6+ records, as etcdutl 3.6 does.

etcd 3.6 binaries cannot run here, so the files are built with the test bbolt writer the
way etcd 3.6 lays them out: ``meta/storageVersion`` = "3.6.0" (server/storage/schema/
version.go, UnsafeSetStorageVersion writes major.minor.0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from etcdtui.services.snapshots import k8s
from etcdtui.services.snapshots.status import snapshot_status, verify
from tests.support.bolt_builder import build_db, with_trailer

REV = (5).to_bytes(8, "big") + b"_" + (0).to_bytes(8, "big")


def _db(meta: dict[bytes, bytes]) -> bytes:
    return with_trailer(
        build_db(
            {
                b"key": {REV: b""},
                b"meta": {b"consistent_index": (9).to_bytes(8, "big"), **meta},
                b"cluster": {b"clusterVersion": b"3.6.0"},
            }
        )
    )


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({b"storageVersion": b"3.6.0"}, "3.6.0"),
        ({b"storageVersion": b"3.7.0"}, "3.7.0"),
        ({}, ""),  # written by 3.5 or older
        ({b"storageVersion": b"not a version"}, ""),  # etcdutl: unparsable -> empty
        ({b"storageVersion": b"\x1b]0;x\x07"}, ""),
    ],
)
def test_status_version_field(tmp_path: Path, meta: dict[bytes, bytes], expected: str) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(_db(meta))
    st = snapshot_status(path)
    assert st["version"] == expected
    res = verify(path)
    assert res.status is not None and res.status["version"] == expected


def test_inspect_labels_storage_and_cluster_version(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(_db({b"storageVersion": b"3.6.0"}))
    report = k8s.inspect(str(path))
    assert report["storage_version"] == "3.6.0"
    assert report["cluster_version"] == "3.6.0"
