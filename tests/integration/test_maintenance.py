"""`etcdtui maintenance nospace|defrag|compact` and `alarms disarm` on real etcd, mTLS."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from etcdtui import errors
from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.maintenance import DefragAborted, DefragResult, Maintenance
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags, eventually
from tests.support.helpers import fill_to_nospace as _fill_to_nospace

pytestmark = pytest.mark.etcd

QUOTA = 16 * 1024 * 1024


def cli(sandbox: Sandbox, *args: str, read_only: bool = False) -> subprocess.CompletedProcess[str]:
    flags = conn_flags(sandbox.settings(timeout=5))
    if read_only:
        flags.append("--read-only")
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *flags, *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


async def test_nospace_recovers_a_full_cluster(fresh_cluster: Callable[..., Sandbox]) -> None:
    sandbox = fresh_cluster(3, quota_bytes=QUOTA)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        kept = await _fill_to_nospace(svc)
        assert kept, "nothing was written before NOSPACE"
        assert "NOSPACE" in {a.kind for a in await svc.alarms()}

    # the dry run changes nothing, shows the runbook and explains the quota
    plan = cli(sandbox, "maintenance", "nospace")
    assert plan.returncode == 0, plan.stderr
    assert "etcdctl alarm disarm" in plan.stdout
    assert "quota-backend-bytes alone does nothing" in plan.stdout
    # a read-only session is refused
    refused = cli(sandbox, "maintenance", "nospace", "--execute", "--yes", read_only=True)
    assert refused.returncode != 0 and "read-only" in refused.stderr
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        assert "NOSPACE" in {a.kind for a in await svc.alarms()}

    done = cli(
        sandbox, "maintenance", "nospace", "--execute", "--yes", "--wait", "0.5", "-o", "json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["write_ok"] is True
    assert {a["alarm"] for a in report["disarmed"]} == {"NOSPACE"}
    assert len(report["defrag"]) == 3

    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        assert await svc.alarms() == ()
        await svc.put(b"/after", b"writes work again")
        for key, value in kept.items():
            got = (await svc.get(key)).kvs
            assert got and got[0].value == value, key


async def _shrinkable(svc: ClusterService) -> None:
    blob = os.urandom(256 * 1024)
    for i in range(24):
        await svc.put(f"/junk/{i}".encode(), blob)
    for i in range(24):
        await svc.delete(f"/junk/{i}".encode())
    await svc.put(b"/survivor", b"still here")


async def test_defrag_all_shrinks_every_member_leader_last(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(3)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        await _shrinkable(svc)
        leader = await svc.leader()

    compact = cli(sandbox, "maintenance", "compact", "--execute", "--yes")
    assert compact.returncode == 0, compact.stderr
    dry = cli(sandbox, "maintenance", "defrag", "--all", "-o", "json")
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["executed"] is False and "results" not in planned
    assert planned["plan"]["order"][-1]["role"] == "leader"
    assert all(c.endswith(" defrag") for c in planned["plan"]["etcdctl"])

    done = cli(
        sandbox,
        "maintenance",
        "defrag",
        "--all",
        "--execute",
        "--yes",
        "--wait",
        "0.5",
        "-o",
        "json",
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert len(results) == 3
    for r in results:
        assert r["ok"] and r["after"]["db_size"] < r["before"]["db_size"], r
        assert r["blocked_seconds"] is not None

    urls = set(sandbox.settings().endpoints)
    records = [
        r
        for r in AuditLog().read()
        if r["action"] == "defragment" and r["params"]["endpoint"] in urls
    ]
    assert [r["params"]["order"] for r in records[-3:]] == [1, 2, 3]
    last = records[-1]["params"]
    assert last["was_leader"] is True and last["member_id"] == f"{leader:x}"
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        assert (await svc.get(b"/survivor")).kvs[0].value == b"still here"


async def test_defrag_stops_when_a_member_is_paused_mid_run(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(3)
    paused: list[str] = []
    async with ClusterService(sandbox.settings(timeout=2), audit=AuditLog()) as svc:
        await _shrinkable(svc)
        m = Maintenance(svc, settle_s=0.2)
        plan = await m.plan_defrag()
        assert plan.order[-1].is_leader
        victim = plan.order[1].name  # the second member in line

        async def pause_next(result: DefragResult) -> None:
            if not paused:
                sandbox.pause(victim)
                paused.append(victim)

        try:
            with pytest.raises(DefragAborted) as caught:
                await m.run_defrag(plan, hook=pause_next)
        finally:
            if paused:
                sandbox.resume(victim)
    assert [r.member.name for r in caught.value.results] == [plan.order[0].name]
    assert victim in caught.value.cause
    urls = set(sandbox.settings().endpoints)
    done = [
        r["params"]["member"]
        for r in AuditLog().read()
        if r["action"] == "defragment" and r["params"]["endpoint"] in urls
    ]
    assert done == [plan.order[0].name]  # neither the paused member nor the leader


async def test_alarms_disarm_and_compact_are_plans_without_execute(cluster: Sandbox) -> None:
    async with ClusterService(cluster.settings(timeout=5)) as svc:
        before = (await svc.get(b"\0", keys_only=True, limit=1)).header.revision
    out = cli(cluster, "alarms", "disarm")
    assert out.returncode == 0 and "etcdctl alarm disarm" in out.stdout
    out = cli(cluster, "maintenance", "compact", "--retain", "5", "-o", "json")
    doc = json.loads(out.stdout)
    assert doc["executed"] is False and doc["result"] is None
    assert doc["target"] == max(0, doc["head"] - 5) and doc["head"] >= before
    bad = cli(cluster, "maintenance", "defrag", "--all", "--rule", "__import__('os')")
    assert bad.returncode == 2 and "--rule" in bad.stderr
    ro = cli(cluster, "alarms", "disarm", "--execute", "--yes", read_only=True)
    assert ro.returncode != 0 and "read-only" in ro.stderr


async def test_defrag_moves_leadership_away_before_the_leader(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(3)
    sandbox.settle()  # etcd refuses MoveLeader right after start-up
    async with ClusterService(sandbox.settings(timeout=5), audit=AuditLog()) as svc:
        before = await svc.leader()
        m = Maintenance(svc, settle_s=0.2)
        plan = await m.plan_defrag(move_leader=True)
        assert plan.order[-1].member_id == before and plan.move_leader_to is not None
        assert plan.commands()[-2].startswith("etcdctl move-leader")
        results = await m.run_defrag(plan)
        assert [r.ok for r in results] == [True, True, True]
        assert await svc.leader() == plan.move_leader_to.member_id
    urls = set(sandbox.settings().endpoints)
    mine = [
        r
        for r in AuditLog().read()
        if r["action"] in ("defragment", "move-leader")
        and (r["action"] == "move-leader" or r["params"]["endpoint"] in urls)
    ][-4:]
    assert [r["action"] for r in mine] == ["defragment", "defragment", "move-leader", "defragment"]


async def test_defrag_handles_a_learner_explicitly(fresh_cluster: Callable[..., Sandbox]) -> None:
    sandbox = fresh_cluster(3)
    sandbox.settle()
    assert sandbox.state is not None
    new = sandbox.new_member("m4")
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        for attempt in range(60):  # bounded (30 s): etcd refuses reconfiguration for a while
            try:
                await svc.member_add([new.peer_url], learner=True)
                break
            except errors.UnhealthyCluster:
                if attempt == 59:
                    raise
                await asyncio.sleep(0.5)
    initial = ",".join(f"{m.name}={m.peer_url}" for m in [*sandbox.state.members, new])
    sandbox.join(new, initial)
    async with ClusterService(sandbox.settings(timeout=5), audit=AuditLog()) as svc:

        async def learner_healthy() -> bool:
            # started (it published its name through raft) and healthy by the rule the
            # defrag's precondition uses: a learner that just started may not answer yet
            reading = await svc.overview()
            listed = reading.members.by_name("m4") if reading.members is not None else None
            return listed is not None and listed.started and listed.id in reading.healthy_ids()

        await eventually(learner_healthy, timeout=60, what="m4 started and healthy")
        m = Maintenance(svc, settle_s=0.2)
        plan = await m.plan_defrag()
        assert [x.name for x, _why in plan.skipped] == ["m4"]  # etcd refuses it on learners
        assert "learner" in plan.skipped[0][1]
        assert any("etcdutl defrag" in n for n in plan.notes)
        assert not any(x.is_learner for x in plan.order) and plan.order[-1].is_leader
        results = await m.run_defrag(plan)
        assert len(results) == 3 and all(r.ok for r in results)
        named = await m.plan_defrag(["m4"])
        assert named.order == () and named.skipped[0][0].name == "m4"
