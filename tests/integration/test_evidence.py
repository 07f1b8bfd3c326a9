"""`etcdtui evidence DATA_DIR...` on real etcd data dirs stopped at different points."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services.cluster import ClusterService
from etcdtui.services.evidence import gather
from etcdtui.services.sandbox import Sandbox

pytestmark = pytest.mark.etcd


def _digest(d: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(d.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(d)).encode() + p.read_bytes())
    return h.hexdigest()


async def _write(sandbox: Sandbox, prefix: str, n: int) -> None:
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        for i in range(n):
            await svc.put(f"/{prefix}/{i}".encode(), f"value-{prefix}-{i}".encode())


async def test_evidence_picks_the_most_advanced_of_three(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sandbox = fresh_cluster(3)
    assert sandbox.state is not None
    m1, m2, m3 = (m.name for m in sandbox.state.members)
    copies: list[Path] = []
    for step in ("a", "b"):  # copies of m3's dir, stopped at two different points
        await _write(sandbox, step, 10)
        sandbox.stop_member(m3)
        copies.append(tmp_path / f"m3-after-{step}")
        shutil.copytree(sandbox.data_dir(m3), copies[-1])
        sandbox.start(m3)
    await _write(sandbox, "c", 10)
    sandbox.stop_member(m1)
    sandbox.stop_member(m2)
    sandbox.stop_member(m3)
    newest = sandbox.data_dir(m1)
    dirs = [copies[1], newest, copies[0]]  # not in order
    before = [_digest(d) for d in dirs]

    ev = gather(dirs)
    assert ev.best is not None and ev.best.path == str(newest)
    by = {d.path: d for d in ev.dirs}
    oldest, middle, best = by[str(copies[0])], by[str(copies[1])], by[str(newest)]
    assert oldest.revision is not None and middle.revision is not None
    assert best.revision is not None
    assert oldest.revision < middle.revision < best.revision
    assert oldest.consistent_index is not None and middle.consistent_index is not None
    assert best.consistent_index is not None
    assert oldest.consistent_index < middle.consistent_index < best.consistent_index
    assert all(not d.diverged_from for d in ev.dirs)
    for d in ev.dirs:
        assert d.wal is not None and d.wal.commit and d.wal.term and d.wal.cluster_id
        assert d.wal.commit >= (d.consistent_index or 0)
        assert {m["name"] for m in d.members} == {m1, m2, m3}
    assert len({d.wal.cluster_id for d in ev.dirs if d.wal}) == 1
    assert [_digest(d) for d in dirs] == before  # read-only: not one byte changed

    proc = subprocess.run(
        [sys.executable, "-m", "etcdtui", "evidence", *map(str, dirs), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["most_advanced"] == str(newest)

    # the choice feeds the restore plan: a copy of its db, then `etcdtui restore COPY`
    copy = tmp_path / "chosen.db"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "etcdtui",
            "evidence",
            *map(str, dirs),
            "--copy-to",
            str(copy),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["restore_command"] == f"etcdtui restore {copy}"
    assert copy.read_bytes() == (newest / "member" / "snap" / "db").read_bytes()
    assert copy.stat().st_mode & 0o777 == 0o600
    assert [_digest(d) for d in dirs] == before
    plan = subprocess.run(
        [
            sys.executable,
            "-m",
            "etcdtui",
            "restore",
            str(copy),
            "--members",
            "m1=https://127.0.0.1:2380",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert plan.returncode == 0, plan.stderr
    assert "--skip-hash-check" in plan.stdout  # a raw db copy, as the docs say
    again = subprocess.run(
        [sys.executable, "-m", "etcdtui", "evidence", *map(str, dirs), "--copy-to", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2 and "never overwrites" in again.stderr


async def test_evidence_flags_a_diverged_copy(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sandbox = fresh_cluster(1)
    assert sandbox.state is not None
    name = sandbox.state.members[0].name
    await _write(sandbox, "a", 10)
    sandbox.stop_member(name)
    good = tmp_path / "good"
    odd = tmp_path / "odd"
    shutil.copytree(sandbox.data_dir(name), good)
    shutil.copytree(sandbox.data_dir(name), odd)
    db = odd / "member" / "snap" / "db"
    raw = db.read_bytes()
    assert b"value-a-3" in raw
    db.write_bytes(raw.replace(b"value-a-3", b"VALUE-X-3"))
    good2 = tmp_path / "good2"
    shutil.copytree(good, good2)
    ev = gather([good, odd, good2])
    flagged = [d.path for d in ev.dirs if d.diverged_from]
    assert flagged == [str(odd)]
    assert ev.best is not None and ev.best.path != str(odd)
    proc = subprocess.run(
        [sys.executable, "-m", "etcdtui", "evidence", str(good), str(odd), str(good2)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "DIVERGED" in proc.stdout
    assert "do not rebuild" in proc.stderr  # no "most advanced: rebuild from it" advice
    copy = tmp_path / "chosen.db"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "etcdtui",
            "evidence",
            str(good),
            str(odd),
            str(good2),
            "--copy-to",
            str(copy),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "diverged" in json.loads(proc.stdout)["copy_refused"]
    assert not copy.exists() and not copy.with_name("chosen.db.part").exists()


def test_evidence_on_a_dir_that_is_not_etcd(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "etcdtui", "evidence", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "member/snap/db" in proc.stdout
    assert "Traceback" not in proc.stderr
