"""`snapshot status` reports the last verification of this exact file, from the cache
that `snapshot verify` writes (or the save sidecar), and never for a changed file."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from etcdtui.services.snapshots import verified
from etcdtui.services.snapshots.status import snapshot_status, verify
from tests.support.bolt_builder import Tree, build_db, with_trailer

TREE: Tree = {
    b"key": {b"\x00" * 8 + b"_" + b"\x00" * 8: b"v"},
    b"meta": {b"consistent_index": b"1"},
}


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "state"
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(d))
    return d


def snap(tmp_path: Path, name: str = "a.db") -> Path:
    p = tmp_path / name
    p.write_bytes(with_trailer(build_db(TREE)))
    return p


def last(path: Path) -> object:
    return snapshot_status(path)["sha256"]["verified"]


def test_status_does_not_claim_a_check_it_did_not_make(state: Path, tmp_path: Path) -> None:
    p = snap(tmp_path)
    sha = snapshot_status(p)["sha256"]
    assert sha["present"] is True
    assert sha["valid"] is None  # not hashed in this run
    assert sha["state"] == "unchecked"
    assert sha["verified"] is None
    assert not (state / verified.CACHE_NAME).exists()  # status writes nothing


def test_verify_is_recorded_and_reported_by_status(state: Path, tmp_path: Path) -> None:
    p = snap(tmp_path)
    assert verify(p).ok
    rec = last(p)
    assert isinstance(rec, dict)
    assert rec["result"] == "ok"
    assert rec["source"] == "cache"
    assert rec["at"]
    cache = state / verified.CACHE_NAME
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert not [f for f in state.iterdir() if f.name.endswith(".part")]


@pytest.mark.parametrize("change", ["mtime", "size", "replaced", "moved"])
def test_a_changed_file_is_not_reported_as_verified(
    state: Path, tmp_path: Path, change: str
) -> None:
    p = snap(tmp_path)
    assert verify(p).ok
    assert last(p) is not None
    st = p.stat()
    if change == "mtime":
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    elif change == "size":
        with open(p, "ab") as f:
            f.write(b"\0" * 4096)
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: size alone counts
    elif change == "replaced":
        other = tmp_path / "copy.db"
        shutil.copy2(p, other)  # same bytes, size and mtime; another inode
        os.replace(other, p)
    else:
        p = p.rename(tmp_path / "b.db")
    assert last(p) is None


def test_a_record_for_the_same_inode_on_another_device_does_not_apply(
    state: Path, tmp_path: Path
) -> None:
    # the same path, size, mtime and inode number on another filesystem (a different
    # disk mounted over the directory) is another file
    p = snap(tmp_path)
    assert verify(p).ok
    cache = state / verified.CACHE_NAME
    data = json.loads(cache.read_text())
    (entry,) = data["entries"].values()
    assert entry["dev"] == p.stat().st_dev
    assert last(p) is not None
    entry["dev"] += 1
    cache.write_text(json.dumps(data))
    assert last(p) is None


def test_a_sidecar_written_before_the_device_was_recorded_still_applies(
    state: Path, tmp_path: Path
) -> None:
    p = snap(tmp_path)
    fd = os.open(p, os.O_RDONLY)
    try:
        rec = verified.sidecar_record(fd, p)
    finally:
        os.close(fd)
    assert rec.pop("dev") == p.stat().st_dev
    Path(str(p) + ".json").write_text(json.dumps({"verified": rec}))
    got = last(p)
    assert isinstance(got, dict) and got["source"] == "sidecar"
    rec["dev"] = p.stat().st_dev + 1  # one that names another device does not
    Path(str(p) + ".json").write_text(json.dumps({"verified": rec}))
    assert last(p) is None


def test_a_failed_verify_is_reported_as_a_problem(state: Path, tmp_path: Path) -> None:
    p = snap(tmp_path)
    data = bytearray(p.read_bytes())
    data[-1] ^= 0xFF  # damage the trailer
    p.write_bytes(bytes(data))
    res = verify(p)
    assert not res.ok
    sha = snapshot_status(p)["sha256"]
    assert sha["verified"]["result"] == "sha256-mismatch"
    assert sha["problem"] and "failed" in sha["problem"]
    full = snapshot_status(p, verify=True)["sha256"]
    assert full["valid"] is False
    assert full["state"] == "mismatch"


def test_cache_is_bounded(state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verified, "MAX_ENTRIES", 3)
    files = [snap(tmp_path, f"s{i}.db") for i in range(5)]
    for f in files:
        verify(f)
    entries = json.loads((state / verified.CACHE_NAME).read_text())["entries"]
    assert len(entries) == 3
    assert last(files[-1]) is not None


@pytest.mark.parametrize("garbage", [b"{not json", b"[]", b"x" * (verified.MAX_CACHE_BYTES + 10)])
def test_damaged_cache_counts_as_empty(state: Path, tmp_path: Path, garbage: bytes) -> None:
    p = snap(tmp_path)
    state.mkdir(parents=True)
    (state / verified.CACHE_NAME).write_bytes(garbage)
    assert last(p) is None
    assert verify(p).ok
    assert last(p) is not None


def test_sidecar_record_applies_to_the_same_file_only(state: Path, tmp_path: Path) -> None:
    p = snap(tmp_path)
    fd = os.open(p, os.O_RDONLY)
    try:
        rec = verified.sidecar_record(fd, p)
    finally:
        os.close(fd)
    Path(str(p) + ".json").write_text(json.dumps({"verified": rec}))
    got = last(p)
    assert isinstance(got, dict)
    assert (got["source"], got["result"]) == ("sidecar", verified.RESULT_SAVE_TRAILER_OK)
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert last(p) is None


def test_cli_status_and_verify_flag(state: Path, tmp_path: Path) -> None:
    p = snap(tmp_path)
    env = {**os.environ, "ETCDTUI_STATE_DIR": str(state)}

    def status(*extra: str) -> dict[str, object]:
        out = subprocess.run(
            [sys.executable, "-m", "etcdtui", "snapshot", "status", "-o", "json", *extra, str(p)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        ).stdout
        sha = json.loads(out)["sha256"]
        assert isinstance(sha, dict)
        return sha

    assert status()["verified"] is None
    checked = status("--verify")
    assert checked["valid"] is True
    assert checked["verified"]["result"] == "ok"  # type: ignore[index]
    again = status()
    assert again["valid"] is None
    assert again["verified"]["result"] == "ok"  # type: ignore[index]


def test_now_text_is_utc_iso_to_the_second() -> None:
    from datetime import UTC, datetime, timedelta

    from etcdtui.services.snapshots.verified import now_text

    before = datetime.now(UTC).replace(microsecond=0)
    text = now_text()
    after = datetime.now(UTC)
    assert text.endswith("Z") and len(text) == len("2026-12-03T06:55:24Z")
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert before <= at <= after + timedelta(seconds=1)
