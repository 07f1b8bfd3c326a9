"""Issue 11 item 2: a restore over a cluster that answers needs an explicit
acknowledgement, and its plan says what it would roll back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from etcdtui.cli.procedure_cmds import run_cli
from etcdtui.errors import EtcdtuiError
from etcdtui.services.cluster import ClusterService
from etcdtui.services.executor import AutoOperator, Executor
from etcdtui.services.plans import Plan, Step, Where
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import etcdctl

pytestmark = pytest.mark.etcd


def put_many(sb: Sandbox, prefix: str, n: int) -> None:
    async def go() -> None:
        async with ClusterService(sb.settings()) as svc:
            for start in range(0, n, 100):
                await asyncio.gather(
                    *(
                        svc.put(f"{prefix}{i:05d}".encode(), b"x")
                        for i in range(start, min(n, start + 100))
                    )
                )

    asyncio.run(go())


def count(sb: Sandbox, prefix: str) -> int:
    out = etcdctl(sb, "get", prefix, "--prefix", "--keys-only").stdout
    return len([line for line in out.splitlines() if line.startswith(prefix)])


def test_restore_over_a_healthy_cluster_needs_acknowledgement(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(1)
    put_many(sb, "/registry/configmaps/default/old-", 20)
    snap = tmp_path / "snap.db"
    etcdctl(sb, "snapshot", "save", str(snap))
    put_many(sb, "/registry/pods/default/new-", 1100)

    rc = run_cli(["restore", str(snap), "--sandbox-dir", str(sb.dir), "-o", "json"])
    out = capsys.readouterr().out
    assert rc == 0
    plan = json.loads(out)
    text = " ".join(plan["warnings"])
    assert "healthy" in text
    assert "revisions behind" in text
    assert "delete 1100 created since the snapshot" in text
    assert "pods 1100/0/0" in text
    assert plan["steps"][0]["id"] == "acknowledge"

    rc = run_cli(["restore", str(snap), "--sandbox-dir", str(sb.dir), "--execute", "--yes"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "--acknowledge-risks" in err
    assert count(sb, "/registry/pods/") == 1100  # nothing was rolled back

    rc = run_cli(
        [
            "restore",
            str(snap),
            "--sandbox-dir",
            str(sb.dir),
            "--execute",
            "--yes",
            "--acknowledge-risks",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.out[-2000:] + captured.err[-2000:]
    assert count(sb, "/registry/pods/") == 0
    assert count(sb, "/registry/configmaps/") == 20


def test_restore_plan_warns_about_another_clusters_snapshot(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = fresh_cluster(1), fresh_cluster(1)
    other = tmp_path / "other.db"
    etcdctl(b, "snapshot", "save", str(other))
    rc = run_cli(["restore", str(other), "--sandbox-dir", str(a.dir), "-o", "json"])
    out = capsys.readouterr().out
    assert rc == 0
    assert any("another cluster" in w for w in json.loads(out)["warnings"])


class _Asker(AutoOperator):
    def __init__(self, answer: bool) -> None:
        super().__init__()
        self.answer = answer
        self.asked: list[str] = []

    async def confirm(self, step: Any) -> bool:
        self.asked.append(step.id)
        return self.answer


def _ack_plan() -> Plan:
    step = Step(
        id="acknowledge",
        title="ack",
        why="risky",
        where=Where("host", "local"),
        action="plan.acknowledge",
        params={"name": "ROLLBACK", "ack": True},
        destructive=True,
    )
    return Plan(id="restore-acktest", title="t", kind="restore", steps=(step,))


@pytest.mark.parametrize(
    ("answer", "assume_yes", "acknowledged", "ok"),
    [
        (False, False, False, False),  # console: the operator did not type the word
        (True, True, False, False),  # --yes alone never passes it
        (True, False, False, True),  # console: typed
        (False, True, True, True),  # CLI: --yes --acknowledge-risks
    ],
)
async def test_acknowledgement_is_more_than_yes(
    cluster: Sandbox, answer: bool, assume_yes: bool, acknowledged: bool, ok: bool
) -> None:
    op = _Asker(answer)
    ex = Executor(
        _ack_plan(),
        cluster.settings(),
        operator=op,
        assume_yes=assume_yes,
        acknowledged=acknowledged,
    )
    if ok:
        assert (await ex.run())["status"] == "done"
    else:
        with pytest.raises(EtcdtuiError, match="acknowledge"):
            await ex.run()
