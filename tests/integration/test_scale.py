"""`member scale` against real etcd sandboxes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from etcdtui.cli.procedure_cmds import run_cli
from etcdtui.cluster_data import MemberList
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox

pytestmark = pytest.mark.etcd


def members(sb: Sandbox) -> MemberList:
    async def go() -> MemberList:
        async with ClusterService(sb.settings()) as svc:
            return await svc.members()

    return asyncio.run(go())


def test_scale_three_to_five(
    fresh_cluster: Callable[..., Sandbox], capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    rc = run_cli(["member", "scale", "5", "--sandbox-dir", str(sb.dir), "--execute", "--yes"])
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    after = members(sb)
    assert len(after.members) == 5
    assert not any(m.is_learner for m in after.members)
    # one learner at a time: the second add comes after the first promote
    order = [line for line in out.out.splitlines() if line.startswith("[")]
    first_promote = next(i for i, s in enumerate(order) if "Promote m4" in s)
    second_add = next(i for i, s in enumerate(order) if "Add m5" in s)
    assert first_promote < second_add

    async def healthy() -> bool:
        async with ClusterService(sb.settings()) as svc:
            return all(h.healthy for h in await svc.health())

    assert asyncio.run(healthy())


def test_scale_refuses_even_target(cluster: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    before = members(cluster)
    rc = run_cli(["member", "scale", "4", "--sandbox-dir", str(cluster.dir), "--execute", "--yes"])
    err = capsys.readouterr().err
    assert rc != 0
    assert "4 voters tolerate 1 failure, the same as 3 voters" in err
    assert "--force" in err
    assert members(cluster) == before
