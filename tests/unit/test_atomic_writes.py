"""Every file etcdtui writes whole goes through etcdtui/safeio.py: write_private (0600,
a .part beside it, fsync of the file and the directory, then rename) or, when two files
are committed together (a snapshot and its sidecar), stage_private + fsync_dir.
A source scan finds writes that go around it; the few that may are named here."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from etcdtui.safeio import stage_private, write_private

PKG = Path(__file__).resolve().parents[2] / "etcdtui"

# (file, what) -> why it may write on its own
ALLOWED = {
    ("services/etcd_fetch.py", ".write_text("): "apt's sources.list in a private scratch root",
    ("services/sandbox_proxy.py", ".write_text("): "the proxy's ack file: standard library only",
}
PATTERNS = ("json.dump(", ".write_text(", "O_TRUNC")


def test_no_whole_file_write_around_safeio() -> None:
    found = set()
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(PKG).as_posix()
        if rel == "safeio.py":
            continue
        text = p.read_text()
        for pat in PATTERNS:
            if pat in text:
                found.add((rel, pat))
    assert found == set(ALLOWED), sorted(found ^ set(ALLOWED))


def test_write_private_is_0600_and_leaves_no_part(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    os.chmod(target, 0o644)
    write_private(target, '{"a": 1}')
    assert target.read_text() == '{"a": 1}'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_write_private_takes_plain_and_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the verification cache is written through a string path; a bare name is
    # written beside the working directory, and a missing directory is made 0700
    monkeypatch.chdir(tmp_path)
    write_private("bare.json", "1")
    write_private(os.path.join("new", "deeper", "state.json"), "2")
    write_private("trailing.json/", "3")  # what Path("trailing.json/") names
    assert (tmp_path / "bare.json").read_text() == "1"
    assert (tmp_path / "new" / "deeper" / "state.json").read_text() == "2"
    assert stat.S_IMODE((tmp_path / "new" / "deeper").stat().st_mode) == 0o700
    assert (tmp_path / "trailing.json").read_text() == "3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.json", "new", "trailing.json"]
    assert [p.name for p in (tmp_path / "new" / "deeper").iterdir()] == ["state.json"]


def test_write_private_leaves_no_part_when_the_rename_fails(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("x")  # a non-empty directory cannot be replaced
    with pytest.raises(OSError):
        write_private(str(target), "data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_stage_private_never_touches_an_existing_part(tmp_path: Path) -> None:
    part = tmp_path / "x.json.part"
    part.write_text("someone else's")
    with pytest.raises(FileExistsError):
        stage_private(part, "mine")
    assert part.read_text() == "someone else's"
    fresh = tmp_path / "y.json.part"
    stage_private(fresh, "mine")
    assert fresh.read_text() == "mine" and stat.S_IMODE(fresh.stat().st_mode) == 0o600
