"""`snapshot ls` and `snapshot prune` over a directory of files built by the test."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest

from etcdtui.services.snapshots.catalog import (
    FAILED,
    RAW,
    SIDECAR_MATCH,
    UNCHECKED,
    VERIFIED,
    list_snapshots,
    plan_prune,
)
from etcdtui.services.snapshots.errors import SnapshotError
from etcdtui.services.snapshots.open_file import DecryptKeys
from tests.support.bolt_builder import SAMPLE, build_db, with_trailer

GOOD = with_trailer(build_db(SAMPLE))


def _put(directory: Path, name: str, data: bytes, day: int | None, **sidecar: object) -> Path:
    path = directory / name
    path.write_bytes(data)
    if day is not None:
        meta = {"time": f"2024-01-{day:02d}T00:00:00Z", "revision": 100 + day, **sidecar}
        (directory / f"{name}.json").write_text(json.dumps(meta))
    return path


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    ident = pyrage.x25519.Identity.generate()
    (tmp_path / "id.txt").write_text(str(ident) + "\n")
    encrypted = pyrage.encrypt(GOOD, [ident.to_public()])
    d = tmp_path / "snaps"
    d.mkdir()
    _put(d, "01-good.db", GOOD, 1)
    _put(d, "02-raw.db", GOOD[:-32], 2)
    bad = bytearray(GOOD)
    bad[GOOD.index(b"YYYYY")] ^= 1
    _put(d, "03-flipped.db", bytes(bad), 3)
    _put(
        d,
        "04-enc.db.age",
        encrypted,
        4,
        sha256=hashlib.sha256(encrypted).hexdigest(),
        recipients=[str(ident.to_public())],
    )
    _put(d, "05-enc-nosidecar.db.age", encrypted, None)
    _put(d, "06-good.db", GOOD, 6)
    _put(d, "07-tampered.db.age", encrypted + b"x", 7, sha256=hashlib.sha256(encrypted).hexdigest())
    (d / "notes.txt").write_text("not a snapshot")
    (d / "08-partial.db.part").write_bytes(GOOD[:100])
    return d


def test_ls_states(catalog_dir: Path) -> None:
    entries = list_snapshots(catalog_dir)
    states = {e.path.name: e.state for e in entries}
    assert states == {
        "01-good.db": VERIFIED,
        "02-raw.db": RAW,
        "03-flipped.db": FAILED,
        "04-enc.db.age": SIDECAR_MATCH,
        "05-enc-nosidecar.db.age": UNCHECKED,
        "06-good.db": VERIFIED,
        "07-tampered.db.age": FAILED,
    }
    by_name = {e.path.name: e for e in entries}
    assert by_name["03-flipped.db"].cause == "sha256-mismatch"
    assert by_name["07-tampered.db.age"].cause == "sidecar-sha256-mismatch"
    assert by_name["05-enc-nosidecar.db.age"].recipients == ["X25519"]
    assert by_name["04-enc.db.age"].encryption == "age"
    assert [e.path.name for e in entries][:4] == [
        "01-good.db",
        "02-raw.db",
        "03-flipped.db",
        "04-enc.db.age",
    ]


def test_ls_with_an_identity_verifies_encrypted_files(catalog_dir: Path) -> None:
    ident = pyrage.x25519.Identity.from_str((catalog_dir.parent / "id.txt").read_text().strip())
    entries = list_snapshots(catalog_dir, keys=DecryptKeys([ident]))
    states = {e.path.name: e.state for e in entries}
    assert states["05-enc-nosidecar.db.age"] == VERIFIED
    assert states["04-enc.db.age"] == VERIFIED


def test_prune_keeps_the_newest_verified_snapshot(tmp_path: Path) -> None:
    d = tmp_path / "s"
    d.mkdir()
    bad = bytearray(GOOD)
    bad[GOOD.index(b"YYYYY")] ^= 1
    _put(d, "a.db", GOOD, 1)
    _put(d, "b.db", GOOD, 2)
    _put(d, "c.db", bytes(bad), 3)
    _put(d, "d.db", bytes(bad), 4)
    entries = list_snapshots(d)
    assert [e.path.name for e in plan_prune(entries, 1)] == ["a.db", "c.db", "d.db"]
    assert [e.path.name for e in plan_prune(entries, 3)] == ["a.db"]
    assert plan_prune(entries, 4) == []
    with pytest.raises(SnapshotError):
        plan_prune(entries, 0)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", "snapshot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_prune_cli_asks_then_deletes_files_and_sidecars(catalog_dir: Path) -> None:
    before = sorted(p.name for p in catalog_dir.iterdir())
    refused = _cli("prune", str(catalog_dir), "--keep", "2")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert sorted(p.name for p in catalog_dir.iterdir()) == before
    done = _cli("prune", str(catalog_dir), "--keep", "2", "--yes")
    assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in catalog_dir.iterdir())
    # Newest first by sidecar time (mtime without one): 05 (now), 07, 06... keep 2, but the
    # newest verified one (06) is never deleted, so 07 goes although it is newer.
    assert "05-enc-nosidecar.db.age" in left and "06-good.db" in left and "06-good.db.json" in left
    assert "07-tampered.db.age" not in left and "07-tampered.db.age.json" not in left
    assert "01-good.db" not in left and "01-good.db.json" not in left
    assert "notes.txt" in left and "08-partial.db.part" in left


def test_ls_cli_json(catalog_dir: Path) -> None:
    out = _cli("ls", str(catalog_dir), "-o", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {r["name"]: r["state"] for r in rows}["06-good.db"] == VERIFIED
    assert all(r["age_seconds"] >= 0 for r in rows)
