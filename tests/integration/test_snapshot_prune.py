"""`snapshot prune` on snapshots saved from real etcd: links are never followed or counted,
a linked file is never deleted, the order is the snapshot's own, and a prune that would
leave no verified snapshot is refused (issue 11, item 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd


def _etcdtui(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def three_saves(cluster: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Three snapshots saved by `etcdtui snapshot save`, as bytes with their sidecars."""
    d = tmp_path_factory.mktemp("saves")
    flags = conn_flags(cluster.settings())
    out = []
    for i in (1, 2, 3):
        done = _etcdtui("snapshot", "save", str(d / f"snap-{i}.db"), *flags)
        assert done.returncode == 0, done.stderr
        out.append((d / f"snap-{i}.db").read_bytes())
        out.append((d / f"snap-{i}.db.json").read_bytes())
    return out


def _lay_out(d: Path, saves: list[bytes], *, day_of: dict[int, int] | None = None) -> None:
    """Write the three saves into ``d``; ``day_of`` rewrites their recorded times."""
    d.mkdir(exist_ok=True)
    for i in (1, 2, 3):
        (d / f"snap-{i}.db").write_bytes(saves[2 * (i - 1)])
        meta = json.loads(saves[2 * (i - 1) + 1])
        if day_of:
            meta["time"] = f"2024-01-{day_of[i]:02d}T00:00:00Z"
        (d / f"snap-{i}.db.json").write_text(json.dumps(meta))


def test_a_link_is_not_a_snapshot_and_its_target_survives(
    three_saves: list[bytes], tmp_path: Path
) -> None:
    d = tmp_path / "backups"
    _lay_out(d, three_saves)
    os.symlink("snap-3.db", d / "zz-latest.db")
    # the link's target is the newest by mtime; touching it makes the link look newest
    os.utime(d / "snap-3.db")
    done = _etcdtui("snapshot", "prune", str(d), "--keep", "1", "--yes")
    assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in d.iterdir())
    assert left == ["snap-3.db", "snap-3.db.json", "zz-latest.db"]
    assert (d / "zz-latest.db").is_symlink() and (d / "zz-latest.db").exists()
    assert "zz-latest.db is a symbolic link" in done.stdout


def test_the_target_of_a_link_is_kept_even_when_it_is_old(
    three_saves: list[bytes], tmp_path: Path
) -> None:
    d = tmp_path / "backups"
    _lay_out(d, three_saves)
    os.symlink("snap-1.db", d / "first.db")
    done = _etcdtui("snapshot", "prune", str(d), "--keep", "1", "--yes")
    assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in d.iterdir())
    assert "snap-1.db" in left and (d / "first.db").exists()
    assert "snap-3.db" in left  # the newest verified one
    assert "snap-2.db" not in left


def test_a_link_to_a_file_outside_is_neither_counted_nor_followed(
    three_saves: list[bytes], tmp_path: Path
) -> None:
    d = tmp_path / "backups"
    _lay_out(d, three_saves)
    outside = tmp_path / "elsewhere.db"
    outside.write_bytes(three_saves[4])
    os.symlink(outside, d / "zz-outside.db")
    done = _etcdtui("snapshot", "prune", str(d), "--keep", "1", "--yes")
    assert done.returncode == 0, done.stderr
    assert outside.exists()
    left = sorted(p.name for p in d.iterdir())
    assert left == ["snap-3.db", "snap-3.db.json", "zz-outside.db"]


def test_order_is_the_recorded_time_not_the_file_mtime(
    three_saves: list[bytes], tmp_path: Path
) -> None:
    d = tmp_path / "backups"
    # snap-1 recorded newest, although its file was written first
    _lay_out(d, three_saves, day_of={1: 9, 2: 2, 3: 3})
    os.utime(d / "snap-1.db", (0, 0))
    done = _etcdtui("snapshot", "prune", str(d), "--keep", "1", "--yes")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in d.iterdir()) == ["snap-1.db", "snap-1.db.json"]


def test_the_plan_names_every_file_before_deleting(
    three_saves: list[bytes], tmp_path: Path
) -> None:
    d = tmp_path / "backups"
    _lay_out(d, three_saves)
    asked = _etcdtui("snapshot", "prune", str(d), "--keep", "2")
    assert asked.returncode == 2
    for name in ("snap-1.db", "snap-1.db.json"):
        assert str(d / name) in asked.stdout
    assert str(d / "snap-2.db") not in asked.stdout
    assert len(list(d.iterdir())) == 6  # nothing deleted without --yes


def test_refuses_when_no_verified_snapshot_would_remain(
    three_saves: list[bytes], tmp_path: Path
) -> None:
    d = tmp_path / "backups"
    _lay_out(d, three_saves)
    for i in (1, 2, 3):  # flip a byte in each: none verifies any more
        p = d / f"snap-{i}.db"
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))
    done = _etcdtui("snapshot", "prune", str(d), "--keep", "1", "--yes")
    assert done.returncode == 2
    assert "verified" in done.stderr
    assert len(list(d.iterdir())) == 6


def test_keep_zero_is_a_usage_error(tmp_path: Path) -> None:
    done = _etcdtui("snapshot", "prune", str(tmp_path), "--keep", "0", "--yes")
    assert done.returncode == 2 and "--keep" in done.stderr


def test_an_empty_directory_has_nothing_to_prune(tmp_path: Path) -> None:
    done = _etcdtui("snapshot", "prune", str(tmp_path), "--keep", "1", "--yes")
    assert done.returncode == 0 and "nothing to prune" in done.stdout
