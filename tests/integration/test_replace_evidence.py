"""`member replace --evidence DIR...` while quorum holds: the evidence picks the member
whose data diverged (its db changed behind etcd's back), refuses to replace the most
advanced survivor, and shows its table in the plan. Real etcd, client and peer mTLS."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services import consistency
from etcdtui.services.cluster import ClusterService
from etcdtui.services.evidence import gather
from etcdtui.services.sandbox import Sandbox

pytestmark = pytest.mark.etcd

ORIGINAL = b"original-payload-0123456789"
TAMPERED = b"TAMPERED-payload-0123456789"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=400,
        stdin=subprocess.DEVNULL,
    )


async def test_replace_with_evidence_targets_the_diverged_member(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(3)
    assert sandbox.state is not None
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        await svc.put(b"/payload", ORIGINAL)
        for i in range(20):
            await svc.put(f"/other/{i}".encode(), b"x")
    names = [m.name for m in sandbox.state.members]
    victim = names[2]
    sandbox.stop_member(victim)  # its db is changed behind etcd's back
    db = sandbox.data_dir(victim) / "member" / "snap" / "db"
    db.write_bytes(db.read_bytes().replace(ORIGINAL, TAMPERED))
    sandbox.start(victim)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        for i in range(5):
            await svc.put(f"/later/{i}".encode(), b"y")
    dirs = [str(sandbox.data_dir(n)) for n in names]
    flags = ["--sandbox-dir", str(sandbox.dir)]

    found = gather(dirs)
    assert [Path(d.path).name for d in found.dirs if d.diverged_from] == [victim]
    assert found.best is not None
    best_name = Path(found.best.path).name

    # the most advanced survivor is never replaced: what, why, and the fix
    refused = cli("member", "replace", best_name, "--evidence", *dirs, *flags)
    assert refused.returncode != 0
    assert "most advanced" in refused.stderr and "throw away" in refused.stderr
    assert f"member replace {victim}" in refused.stderr

    # no name: the evidence names the member whose data diverged, though it answers
    plan = cli("plan", "replace", "--evidence", *dirs, *flags, "-o", "json")
    assert plan.returncode == 0, plan.stderr
    doc = json.loads(plan.stdout)
    assert doc["kind"] == "replace" and doc["context"]["member"]["name"] == victim
    assert "diverged" in doc["summary"][0]
    assert sum(1 for line in doc["summary"] if line.startswith("Evidence: ")) == 3
    assert any("DIVERGED" in line and victim in line for line in doc["summary"])

    run = cli("member", "replace", "--evidence", *dirs, *flags, "--execute", "--yes")
    assert run.returncode == 0, run.stdout + run.stderr
    sandbox = Sandbox(sandbox.dir)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        ml = await svc.members()
        report = await consistency.check(svc)
        payload = await svc.get(b"/payload")
    assert sorted(m.name for m in ml.members) == sorted(names)
    assert not any(m.is_learner for m in ml.members)
    assert report.consistent, report.as_dict()  # the diverged copy is gone
    assert payload.kvs[0].value == ORIGINAL
