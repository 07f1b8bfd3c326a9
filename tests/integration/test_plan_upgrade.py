"""`etcdtui plan upgrade` reads the live cluster (real etcd, mTLS) and plans leader last."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from etcdtui.services.cluster import ClusterService
from etcdtui.services.procedures.upgrade import parse_version
from etcdtui.services.sandbox import Sandbox
from tests.helpers import conn_flags

pytestmark = pytest.mark.etcd


def cli(sandbox: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *conn_flags(sandbox.settings(timeout=5)), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_plan_upgrade_on_the_sandbox(cluster: Sandbox) -> None:
    async with ClusterService(cluster.settings(timeout=5)) as svc:
        statuses = await svc.statuses()
        leader = await svc.leader()
        names = {m.id: m.name for m in (await svc.members()).members}
    version = parse_version(statuses[0].version)
    assert version is not None
    patch = f"{version[0]}.{version[1]}.{version[2] + 1}"
    out = cli(cluster, "plan", "upgrade", "--to", patch, "-o", "json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["kind"] == "upgrade" and plan["context"]["kind"] == "patch"
    assert plan["context"]["order"][-1] == names[leader or 0]
    assert len([s for s in plan["steps"] if s["id"].startswith("stop-")]) == 3
    md = cli(cluster, "plan", "upgrade", "--to", patch)
    assert md.returncode == 0 and "etcdtui snapshot save" in md.stdout
    skip = cli(cluster, "plan", "upgrade", "--to", f"{version[0]}.{version[1] + 2}.0")
    assert skip.returncode != 0 and "one minor at a time" in skip.stderr
