"""Two operators (fault scenario 15's second half): a snapshot save while a restore holds
the cluster is refused, names the restore, and leaves no file; while a replace holds it
(quorum kept, nothing torn down) the save goes ahead. Real etcd, real flock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from etcdtui.services.cluster import ClusterService
from etcdtui.services.cluster_lock import ClusterLock, lock_keys
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd


async def _cluster_id(sb: Sandbox) -> int:
    async with ClusterService(sb.settings(timeout=5)) as svc:
        return (await svc.members()).cluster_id


def _save(sb: Sandbox, target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "etcdtui",
            "snapshot",
            "save",
            str(target),
            *conn_flags(sb.settings()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("kind", ["restore", "replace"])
async def test_a_save_waits_for_a_restore_not_for_a_replace(
    cluster: Sandbox, tmp_path: Path, kind: str
) -> None:
    holder = {"plan": f"{kind}-test", "kind": kind, "pid": os.getpid(), "user": "op2"}
    lock = ClusterLock(lock_keys(cluster.settings(), await _cluster_id(cluster)), holder)
    lock.acquire()
    try:
        target = tmp_path / "during.db"
        done = _save(cluster, target)
    finally:
        lock.release()
    if kind == "restore":
        assert done.returncode == 2, done.stderr
        assert "restore restore-test is rebuilding this cluster" in done.stderr
        assert "restore-in-progress" in done.stderr  # the docs anchor names the code
        assert not target.exists() and not target.with_name("during.db.part").exists()
        assert _save(cluster, target).returncode == 0  # once the restore let go
    else:
        assert done.returncode == 0, done.stderr
    assert target.stat().st_size > 0
