"""`restore --execute --yes` and its refusals against real etcd sandboxes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.cli.procedure_cmds import run_cli
from etcdtui.cluster_data import MemberList
from etcdtui.services.cluster import ClusterService
from etcdtui.services.executor import plan_state_dir
from etcdtui.services.procedures.snapcheck import verify_snapshot
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import etcdctl

pytestmark = pytest.mark.etcd


def members(sb: Sandbox) -> MemberList:
    async def go() -> MemberList:
        async with ClusterService(sb.settings()) as svc:
            return await svc.members()

    return asyncio.run(go())


def put_many(sb: Sandbox, prefix: str, n: int) -> None:
    async def go() -> None:
        async with ClusterService(sb.settings()) as svc:
            await asyncio.gather(*(svc.put(f"{prefix}{i:03d}".encode(), b"x") for i in range(n)))

    asyncio.run(go())


def keys(sb: Sandbox, prefix: str) -> list[str]:
    out = etcdctl(sb, "get", prefix, "--prefix", "--keys-only").stdout
    return [line for line in out.splitlines() if line]


def revision(sb: Sandbox) -> int:
    async def go() -> int:
        async with ClusterService(sb.settings()) as svc:
            return max(s.revision for s in await svc.statuses() if s.ok)

    return asyncio.run(go())


def save_snapshot(sb: Sandbox, path: Path) -> None:
    etcdctl(sb, "snapshot", "save", str(path), endpoints=[sb.settings().endpoints[0]])


def plan_state_files() -> set[str]:
    return {p.name for p in plan_state_dir().glob("*.json")} if plan_state_dir().exists() else set()


def test_restore_end_to_end(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    put_many(sb, "a/", 50)
    snap = tmp_path / "snap.db"
    save_snapshot(sb, snap)
    snap_rev = verify_snapshot(snap).revision
    put_many(sb, "b/", 50)
    old_id = members(sb).cluster_id
    assert sb.state is not None
    for m in sb.state.members:
        sb.kill(m.name)
    lost = tmp_path / "lost"
    lost.mkdir()
    for name in ("m1", "m2"):  # m3 keeps its old dir: the plan must move it aside
        sb.data_dir(name).rename(lost / name)

    rc = run_cli(["restore", str(snap), "--sandbox-dir", str(sb.dir), "--execute", "--yes"])
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err

    after = members(sb)
    assert after.cluster_id != old_id
    assert sorted(m.name for m in after.members) == ["m1", "m2", "m3"]
    health = etcdctl(sb, "endpoint", "health").stderr + etcdctl(sb, "endpoint", "health").stdout
    assert health.count("is healthy") == 3
    assert len(keys(sb, "a/")) == 50
    assert keys(sb, "b/") == []
    assert revision(sb) >= snap_rev
    kept = list(sb.data_dir("m3").parent.glob("m3.before-restore-*"))
    assert len(kept) == 1 and (kept[0] / "member").is_dir()


def test_restore_refuses_corrupt_snapshot(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    snap = tmp_path / "snap.db"
    save_snapshot(sb, snap)
    data = bytearray(snap.read_bytes())
    data[4096 + 100] ^= 0xFF
    snap.write_bytes(bytes(data))
    before, files = members(sb), plan_state_files()
    rc = run_cli(["restore", str(snap), "--sandbox-dir", str(sb.dir), "--execute", "--yes"])
    err = capsys.readouterr().err
    assert rc != 0
    assert "sha256" in err and "corrupt" in err.lower()
    assert members(sb) == before  # still running, same cluster
    assert plan_state_files() == files


def test_restore_refuses_existing_data_dir(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    snap = tmp_path / "snap.db"
    save_snapshot(sb, snap)
    target = tmp_path / "target"
    for name in ("m1", "m2", "m3"):
        (target / name).mkdir(parents=True)
        (target / name / "precious").write_text("keep me")
    before = members(sb)
    rc = run_cli(
        [
            "restore",
            str(snap),
            "--sandbox-dir",
            str(sb.dir),
            "--execute",
            "--yes",
            "--data-dir-template",
            str(target / "{name}"),
        ]
    )
    err = capsys.readouterr().err
    assert rc != 0
    assert "already exists" in err and str(target) in err
    assert (target / "m1" / "precious").read_text() == "keep me"
    assert members(sb) == before
