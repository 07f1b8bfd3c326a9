"""`etcdtui check consistency` on real etcd: passes when healthy, names a member whose
data was changed behind etcd's back."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest

from etcdtui.services import consistency
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd

ORIGINAL = b"ORIGINAL-VALUE-0123456789"
TAMPERED = b"TAMPERED-VALUE-9876543210"


def check(sandbox: Sandbox, *extra: str) -> subprocess.CompletedProcess[str]:
    flags = conn_flags(sandbox.settings(timeout=5))
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *flags, "check", "consistency", *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_consistency_passes_on_a_healthy_cluster(cluster: Sandbox) -> None:
    out = check(cluster, "-o", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["consistent"] is True and doc["mismatched"] == []
    assert len(doc["members"]) == 3
    assert len({m["hash"] for m in doc["members"]}) == 1
    assert cluster.settings().read_only is False  # the check itself needs no write access
    ro = subprocess.run(
        [
            sys.executable,
            "-m",
            "etcdtui",
            *conn_flags(cluster.settings()),
            "--read-only",
            "check",
            "consistency",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ro.returncode == 0, ro.stderr


async def test_consistency_names_a_member_changed_behind_etcds_back(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(3)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        await svc.put(b"/payload", ORIGINAL)
        for i in range(20):
            await svc.put(f"/other/{i}".encode(), b"x")
    assert sandbox.state is not None
    victim = sandbox.state.members[2]
    sandbox.stop_member(victim.name)
    db = sandbox.data_dir(victim.name) / "member" / "snap" / "db"
    raw = db.read_bytes()
    assert ORIGINAL in raw
    db.write_bytes(raw.replace(ORIGINAL, TAMPERED))  # same length: bbolt does not notice
    sandbox.start(victim.name)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:  # the others move on
        for i in range(5):
            await svc.put(f"/later/{i}".encode(), b"y")
        report = await consistency.check(svc)
    assert [report.name(h.member_id) for h in report.mismatched] == [victim.name]

    out = check(sandbox, "-o", "json")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["consistent"] is False and doc["mismatched"] == [victim.name]
    table = check(sandbox)
    assert table.returncode == 1 and victim.name in table.stderr
