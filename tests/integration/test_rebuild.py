"""`etcdtui plan rebuild --evidence DIR...` after a real quorum loss: the evidence names
the most advanced survivor, which starts with --force-new-cluster; the other members join
again, one at a time, with empty data dirs. Real etcd, client and peer mTLS."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.evidence import gather
from etcdtui.services.sandbox import Sandbox

pytestmark = pytest.mark.etcd


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=400,
        stdin=subprocess.DEVNULL,
    )


async def _write(sandbox: Sandbox, prefix: str, n: int) -> None:
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        for i in range(n):
            await svc.put(f"/{prefix}/{i:03d}".encode(), f"value-{prefix}-{i}".encode())


async def _keys(sandbox: Sandbox) -> dict[bytes, bytes]:
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        got = await svc.get(b"/", b"0")
    return {kv.key: kv.value for kv in got.kvs}


async def test_rebuild_from_the_most_advanced_survivor(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sandbox = fresh_cluster(3)
    assert sandbox.state is not None
    m1, m2, m3 = (m.name for m in sandbox.state.members)
    dirs = [str(sandbox.data_dir(n)) for n in (m1, m2, m3)]
    flags = ["--sandbox-dir", str(sandbox.dir)]
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        cluster_id = (await svc.members()).cluster_id

    # quorum holds: a rebuild is refused, and says to replace instead
    healthy = cli("plan", "rebuild", "--evidence", *dirs, *flags)
    assert healthy.returncode != 0
    assert "still has quorum" in healthy.stderr and "member replace" in healthy.stderr

    await _write(sandbox, "a", 20)
    sandbox.stop_member(m3)  # m3 falls behind
    await _write(sandbox, "b", 20)
    written = await _keys(sandbox)
    assert len(written) == 40
    sandbox.stop_member(m2)  # quorum lost: m1 runs alone and cannot commit

    found = gather(dirs)
    assert found.best is not None and found.best.path != dirs[2]  # never the one behind
    said = cli("evidence", *dirs, "-o", "json")
    assert json.loads(said.stdout)["rebuild_command"].startswith("etcdtui plan rebuild --evidence")
    survivor = Path(found.best.path).name
    by = {d.path: d for d in found.dirs}
    assert (by[dirs[2]].revision or 0) < (found.best.revision or 0)

    # nothing configured (a bastion after the loss): the dirs themselves name the members
    bare = subprocess.run(
        [sys.executable, "-m", "etcdtui", "plan", "rebuild", "--evidence", *dirs],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={
            **os.environ,
            "ETCDTUI_CONFIG_DIR": str(tmp_path / "no-config"),
            "ETCDTUI_SANDBOX_DIR": str(tmp_path / "no-sandbox"),
        },
    )
    assert bare.returncode == 0, bare.stderr
    assert "--force-new-cluster" in bare.stdout and f"--name={survivor}" in bare.stdout

    plan = cli("plan", "rebuild", "--evidence", *dirs, *flags, "-o", "json")
    assert plan.returncode == 0, plan.stderr
    doc = json.loads(plan.stdout)
    assert doc["kind"] == "rebuild" and doc["context"]["survivor"]["name"] == survivor
    forced = next(s for s in doc["steps"] if s["id"] == "force-new-cluster")
    assert "--force-new-cluster" in forced["display"] and f"--name={survivor}" in forced["display"]
    assert any(found.best.path in line for line in doc["summary"])  # the evidence table
    ids = [s["id"] for s in doc["steps"]]
    assert ids.index("restart-start") < min(i for i, s in enumerate(ids) if "add-learner" in s)

    ro = cli("--read-only", "plan", "rebuild", "--evidence", *dirs, *flags, "--execute", "--yes")
    assert ro.returncode != 0 and "read-only" in ro.stderr

    run = cli("plan", "rebuild", "--evidence", *dirs, *flags, "--execute", "--yes")
    assert run.returncode == 0, run.stdout + run.stderr

    sandbox = Sandbox(sandbox.dir)  # the run changed the records
    assert sandbox.state is not None
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        ml = await svc.members()
        health = await svc.health()
    assert sorted(m.name for m in ml.members) == sorted((m1, m2, m3))
    assert not any(m.is_learner for m in ml.members)
    assert all(h.healthy for h in health) and len(health) == 3
    assert ml.cluster_id == cluster_id  # the same cluster, rebuilt
    assert await _keys(sandbox) == written  # every key written before is there
    # nothing deleted: the others' old dirs moved aside, the survivor's copied first
    data = sandbox.dir / "data"
    for name in (m1, m2, m3):
        kept = list(data.glob(f"{name}.before-rebuild-*"))
        assert len(kept) == 1 and (kept[0] / "member" / "snap" / "db").is_file(), name
    steps = [
        r["params"]["step"]
        for r in AuditLog().read()
        if r["action"] == "plan-step" and r["params"]["kind"] == "rebuild"
    ]
    assert "force-new-cluster" in steps and "verify" in steps

    # the survivor runs without --force-new-cluster now: a restart keeps the members
    sandbox.stop_member(survivor)
    sandbox.start(survivor)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        assert len((await svc.members()).members) == 3
        await asyncio.wait_for(svc.put(b"/after", b"ok"), 10)


async def test_rebuild_resumes_after_a_crash_at_each_kind_of_boundary(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    """SIGKILLed right after forcing the survivor, after restarting it, and after adding a
    member: each resume recognises the work already done (the survivor already alone,
    the learner already added) and finishes with every key."""
    from tests.support.crash_helpers import crash_chain

    sandbox = fresh_cluster(3)
    assert sandbox.state is not None
    m1, m2, m3 = (m.name for m in sandbox.state.members)
    dirs = [str(sandbox.data_dir(n)) for n in (m1, m2, m3)]
    await _write(sandbox, "a", 30)
    written = await _keys(sandbox)
    sandbox.stop_member(m2)
    sandbox.stop_member(m3)
    found = gather(dirs)
    assert found.best is not None
    survivor = Path(found.best.path).name
    joiner = next(n for n in (m1, m2, m3) if n != survivor)
    flags = ["--sandbox-dir", str(sandbox.dir)]
    crash_chain(
        ["plan", "rebuild", "--evidence", *dirs, *flags, "--execute", "--yes"],
        ["plan", "rebuild", *flags, "--execute", "--yes"],
        "rebuild",
        ["force-new-cluster:after", "restart-start:after", f"{joiner}-add-learner:after"],
    )
    sandbox = Sandbox(sandbox.dir)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        ml = await svc.members()
        health = await svc.health()
    assert sorted(m.name for m in ml.members) == sorted((m1, m2, m3))
    assert not any(m.is_learner for m in ml.members)  # no second learner was added
    assert all(h.healthy for h in health) and len(health) == 3
    assert await _keys(sandbox) == written
