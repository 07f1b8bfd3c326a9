"""`etcdtui plan upgrade` reads the live cluster (real etcd, mTLS) and plans leader last."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services.cluster import ClusterService
from etcdtui.services.procedures.upgrade import parse_version
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd


def cli(sandbox: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *conn_flags(sandbox.settings(timeout=5)), *args],
        capture_output=True,
        text=True,
        timeout=600,
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


BIN = Path("/root/.cache/etcdtui/etcd")


@pytest.mark.skipif(
    not all((BIN / v / "etcd").is_file() for v in ("3.4.23", "3.5.16", "3.5.30")),
    reason="needs the cached etcd 3.4.23, 3.5.16 and 3.5.30 binaries",
)
async def test_upgrade_34_to_35_to_latest_on_the_sandbox_keeps_every_key(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sandbox = fresh_cluster(3, binary=BIN / "3.4.23" / "etcd")
    written = {f"/up/{i:03d}".encode(): f"v{i}".encode() for i in range(50)}
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        for k, v in written.items():
            await svc.put(k, v)
        assert {s.version for s in await svc.statuses()} == {"3.4.23"}
    for step, target in enumerate(("3.5.16", "3.5.30")):
        async with ClusterService(sandbox.settings(timeout=5)) as svc:
            leader = await svc.leader()
            leader_name = {m.id: m.name for m in (await svc.members()).members}[leader or 0]
        out = cli(
            sandbox,
            "plan",
            "upgrade",
            "--to",
            target,
            "--systemd",
            "--execute",
            "--yes",
            "--etcd-binary",
            str(BIN / target / "etcd"),
            "--sandbox-dir",
            str(sandbox.dir),
            "--backup",
            str(tmp_path / f"before-{target}.db"),
        )
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        assert (tmp_path / f"before-{target}.db").is_file()
        async with ClusterService(sandbox.settings(timeout=5)) as svc:
            assert {s.version for s in await svc.statuses()} == {target}
            for k, v in written.items():
                assert (await svc.get(k)).kvs[0].value == v, (target, k)
            await svc.put(f"/after/{step}".encode(), b"writes work")
        # leader last: the member that led when the plan was made is stopped last
        stops = [
            line for line in out.stdout.splitlines() if line.startswith("[") and "] Stop " in line
        ]
        assert len(stops) == 3 and stops[-1].endswith(f"Stop {leader_name}")
