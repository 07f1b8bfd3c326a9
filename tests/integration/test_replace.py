"""`member replace --execute --yes` against real etcd sandboxes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from etcdtui.cli.procedure_cmds import run_cli
from etcdtui.cluster_data import MemberList
from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import etcdctl

pytestmark = pytest.mark.etcd


def members(sb: Sandbox) -> MemberList:
    async def go() -> MemberList:
        async with ClusterService(sb.settings()) as svc:
            return await svc.members()

    return asyncio.run(go())


def leader_name(sb: Sandbox) -> str:
    async def go() -> str:
        async with ClusterService(sb.settings()) as svc:
            lid = await svc.leader()
            ml = await svc.members()
        m = ml.by_id(lid or 0)
        assert m is not None
        return m.name

    return asyncio.run(go())


def write_keys(sb: Sandbox, n: int) -> None:
    async def go() -> None:
        async with ClusterService(sb.settings()) as svc:
            for start in range(0, n, 50):
                await asyncio.gather(
                    *(
                        svc.put(f"k/{i:04d}".encode(), b"v" * 32)
                        for i in range(start, min(n, start + 50))
                    )
                )

    asyncio.run(go())


def count_from(sb: Sandbox, endpoint: str) -> int:
    out = etcdctl(sb, "get", "k/", "--prefix", "--keys-only", endpoints=[endpoint]).stdout
    return len([line for line in out.splitlines() if line.startswith("k/")])


def plan_steps(plan_id: str) -> list[dict[str, object]]:
    return [
        r
        for r in AuditLog().read()
        if r["action"] == "plan-step" and r["params"]["plan"] == plan_id
    ]


def replace_and_check(sb: Sandbox, victim: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = members(sb)
    old = before.by_name(victim)
    assert old is not None
    write_keys(sb, 1000)
    seen = len(AuditLog().read())
    sb.kill(victim)
    rc = run_cli(["member", "replace", victim, "--sandbox-dir", str(sb.dir), "--execute", "--yes"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    after = members(sb)
    voters = [m for m in after.members if not m.is_learner]
    assert len(voters) == 3 and len(after.members) == 3
    new = after.by_name(victim)
    assert new is not None and new.id != old.id
    assert count_from(sb, new.client_urls[0]) == 1000
    plan_id = out.out.split("Running plan ", 1)[1].split()[0]
    steps = plan_steps(plan_id)
    assert {s["params"]["step"] for s in steps} >= {"remove", "add-learner", "promote", "verify"}
    assert all(s["ok"] for s in steps)
    mutations = [r for r in AuditLog().read()[seen:] if r["action"] != "plan-step"]
    assert [r["action"] for r in mutations if r["ok"]] == [
        "member-remove",
        "member-add",
        "member-promote",
    ]
    removed = next(r for r in mutations if r["action"] == "member-remove")
    assert removed["params"]["id"] == old.hex_id
    health = json.loads(etcdctl(sb, "endpoint", "health", "-w", "json").stdout)
    assert len(health) == 3 and all(e["health"] for e in health)


def test_replace_failed_follower(
    fresh_cluster: Callable[..., Sandbox], capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    lead = leader_name(sb)
    follower = next(m.name for m in members(sb).members if m.name != lead)
    replace_and_check(sb, follower, capsys)


def test_replace_failed_leader(
    fresh_cluster: Callable[..., Sandbox], capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    replace_and_check(sb, leader_name(sb), capsys)


def test_replace_refused_when_two_of_three_down(
    fresh_cluster: Callable[..., Sandbox], capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    before = members(sb)
    sb.kill("m2")
    sb.kill("m3")
    audit_before = len(AuditLog().read())
    rc = run_cli(["member", "replace", "m2", "--sandbox-dir", str(sb.dir), "--execute", "--yes"])
    err = capsys.readouterr().err
    assert rc != 0
    assert "Quorum is lost" in err or "quorum" in err.lower()
    assert "Traceback" not in err
    assert len(AuditLog().read()) == audit_before  # nothing was attempted
    sb.start("m2")
    sb.start("m3")
    assert members(sb).members == before.members


def test_learner_that_never_starts_is_rolled_back(
    fresh_cluster: Callable[..., Sandbox], capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    sb.kill("m3")
    # 127.0.0.2 is "another host": the executor waits for the operator, nobody starts it.
    rc = run_cli(
        [
            "member",
            "replace",
            "m3",
            "--sandbox-dir",
            str(sb.dir),
            "--execute",
            "--yes",
            "--new-name",
            "m3b",
            "--new-peer-url",
            "https://127.0.0.2:2380",
            "--start-timeout",
            "3",
            "--rollback",
        ]
    )
    out = capsys.readouterr()
    assert rc != 0
    assert "did not take effect" in out.err, out.out + out.err
    assert "rolled back" in out.out
    after = members(sb)
    assert not any(m.is_learner for m in after.members)
    assert sorted(m.name for m in after.members) == ["m1", "m2"]
    assert any(
        r["params"].get("status") == "rolled-back"
        for r in AuditLog().read()
        if r["action"] == "plan-step"
    )


def test_force_replace_of_a_healthy_leader_moves_leadership_first(
    fresh_cluster: Callable[..., Sandbox], capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    lead = leader_name(sb)
    seen = len(AuditLog().read())
    rc = run_cli(
        ["member", "replace", lead, "--sandbox-dir", str(sb.dir), "--execute", "--yes", "--force"]
    )
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    assert "leadership moved to" in out.out
    actions = [r["action"] for r in AuditLog().read()[seen:]]
    assert actions.index("move-leader") < actions.index("member-remove")
    after = members(sb)
    assert len([m for m in after.members if not m.is_learner]) == 3
