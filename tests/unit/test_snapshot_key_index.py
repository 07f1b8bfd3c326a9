"""The compact key index behind `snapshot inspect` and `snapshot diff` (issue 16): keys
filed under 64-bit fingerprints, compared in full where fingerprints meet. The same
answers as the dict of key bytes it replaced, whatever the hash does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etcdtui.services.snapshots import k8s, mvcc
from etcdtui.services.snapshots.bolt import BoltDB
from etcdtui.services.snapshots.diff import diff
from tests.support.k8s_builders import OPS, etcd_like, k8s_object
from tests.support.snapshot_reference import reference_diff, reference_entries

RESOURCES = ("pods", "configmaps", "secrets", "leases", "deployments", "minions")


def _key(i: int) -> bytes:
    res = RESOURCES[i % len(RESOURCES)]
    if res == "minions":
        return f"/registry/minions/node-{i}".encode()
    return f"/registry/{res}/ns-{i % 7}/obj-{i}".encode()


def _pair(tmp_path: Path, n: int) -> tuple[str, str]:
    """A: n objects, some updated and some deleted on the way. B: A, then every 5th
    changed, every 7th deleted, n/10 added under two more resources, and one key
    written again with the same value (a new mod_revision: changed)."""
    ops: list[tuple[str, bytes, bytes]] = list(OPS)
    for i in range(n):
        ops.append(("put", _key(i), k8s_object("v1", "Pod", f"obj-{i}", f"ns-{i % 7}")))
    for i in range(0, n, 3):
        ops.append(("put", _key(i), k8s_object("v1", "Pod", f"obj-{i}", "x", payload=b"2")))
    for i in range(1, n, 11):
        ops.append(("del", _key(i), b""))
    later = list(ops)
    for i in range(0, n, 5):
        later.append(("put", _key(i), k8s_object("v1", "Pod", f"obj-{i}", "x", payload=b"3")))
    for i in range(2, n, 7):
        later.append(("del", _key(i), b""))
    for j in range(n // 10):
        res = ("statefulsets", "services/specs")[j % 2]
        later.append(("put", f"/registry/{res}/ns-{j % 3}/new-{j}".encode(), b"k8s\x00new"))
    later.append(("put", _key(4), dict((k, v) for _op, k, v in ops if v)[_key(4)]))
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    a.write_bytes(etcd_like(ops))
    b.write_bytes(etcd_like(later))
    return str(a), str(b)


def _without_files(report: dict[str, object]) -> str:
    return json.dumps({k: v for k, v in report.items() if k not in ("a", "b")}, indent=2)


@pytest.mark.parametrize("limit", [0, 5, 1000])
def test_diff_is_byte_identical_to_the_dict_index(tmp_path: Path, limit: int) -> None:
    a, b = _pair(tmp_path, 1500)  # past the first growth of the table (1024 slots)
    report = diff(a, b, limit=limit)
    assert _without_files(report) == _without_files(reference_diff(a, b, limit=limit))
    summary = report["summary"]
    assert summary["added"] and summary["removed"] and summary["changed"]
    # written again with the same value: a new mod_revision, so a restore reverts it
    assert "/registry/deployments/ns-4/obj-4" in report["keys"]["changed"] or limit < 1000


@pytest.mark.parametrize(
    "tiny_hash",
    [lambda key: 7, lambda key: len(key) % 5, lambda key: key[-1] & 3],
    ids=["all-collide", "by-length", "last-byte"],
)
def test_colliding_fingerprints_hide_no_difference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_hash: object
) -> None:
    a, b = _pair(tmp_path, 300)
    expected = _without_files(reference_diff(a, b))
    monkeypatch.setattr(mvcc, "key_hash", tiny_hash)
    assert _without_files(diff(a, b)) == expected
    with BoltDB.open(a) as db:
        idx = mvcc.index_keyspace(db)
        assert [kv.key for kv in mvcc.live_keys(db, idx)] == [e[0] for e in reference_entries(db)]
        assert len(idx.latest) == len(reference_entries(db))


def test_one_changed_key_among_colliding_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two keys share a fingerprint; only one of them changes, and that one is reported."""
    ops = [
        ("put", b"/registry/pods/a/x", b"k8s\x00one"),
        ("put", b"/registry/pods/b/y", b"k8s\x00two"),
    ]
    pa, pb = tmp_path / "a.db", tmp_path / "b.db"
    pa.write_bytes(etcd_like(ops))
    pb.write_bytes(etcd_like([*ops, ("put", b"/registry/pods/b/y", b"k8s\x00three")]))
    monkeypatch.setattr(mvcc, "key_hash", lambda key: 42)
    report = diff(str(pa), str(pb))
    assert report["summary"] == {"added": 0, "removed": 0, "changed": 1, "unchanged": 1}
    assert report["keys"]["changed"] == ["/registry/pods/b/y"]


def test_inspect_counts_do_not_depend_on_the_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _b = _pair(tmp_path, 400)
    before = k8s.inspect(a)
    monkeypatch.setattr(mvcc, "key_hash", lambda key: len(key))
    after = k8s.inspect(a)
    assert json.dumps(after) == json.dumps(before)
    assert before["keys"]["live"] > 300 and before["keys"]["deleted"] > 0
