"""The executor without etcd: step order, preconditions, audit, persisted state, resume.

Steps here use actions and checks registered by the test itself, so no call reaches
the (unreachable) endpoint in the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.services.audit import AuditLog
from etcdtui.services.executor import (
    AutoOperator,
    Executor,
    WizardStateError,
    load_state,
    state_path,
)
from etcdtui.services.plans import Plan, Ref, Step, Where
from etcdtui.services.procedures.context import CheckResult, ExecContext, StepFailed
from etcdtui.services.procedures.registry import REGISTRY, Registry

SETTINGS = ConnectionSettings(endpoints=("https://127.0.0.1:9",), insecure=False)
CALLS: list[str] = []
FLAGS: dict[str, bool] = {}


async def _record(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    CALLS.append(step.id)
    ctx.vars[step.id] = len(CALLS)
    return {"detail": f"ran {step.id}"}


async def _fail_unless(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    CALLS.append(step.id)
    if not FLAGS.get("ok"):
        raise StepFailed("the flag is not set")
    return {"detail": "flag set"}


async def _flag(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    return CheckResult(bool(FLAGS.get(str(params["name"]))), f"flag {params['name']}")


TEST_REGISTRY = REGISTRY.extended(
    Registry(
        actions={"test.record": _record, "test.fail-unless-flag": _fail_unless},
        checks={"test.flag": _flag},
    )
)


def make_plan(plan_id: str, *steps: Step) -> Plan:
    return Plan(id=plan_id, title="test plan", kind="test", steps=steps)


def step(sid: str, act: str = "test.record", **kw: Any) -> Step:
    return Step(
        id=sid, title=f"step {sid}", why="because", where=Where("cluster-api"), action=act, **kw
    )


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    FLAGS.clear()


async def test_runs_steps_in_order_audits_and_persists() -> None:
    plan = make_plan("t-order", step("a"), step("b"))
    ex = Executor(plan, SETTINGS, operator=AutoOperator(), registry=TEST_REGISTRY)
    state = await ex.run()
    assert CALLS == ["a", "b"]
    assert state["status"] == "done"
    assert load_state("t-order")["results"]["b"]["detail"] == "ran b"
    records = [
        r
        for r in AuditLog().read()
        if r["action"] == "plan-step" and r["params"]["plan"] == "t-order"
    ]
    assert [r["params"]["step"] for r in records] == ["a", "b"]
    assert all(r["ok"] for r in records)


async def test_failed_precondition_stops_before_the_step() -> None:
    guarded = step("b", precondition=Ref("test.flag", "the flag is up", {"name": "up"}))
    ex = Executor(
        make_plan("t-pre", step("a"), guarded),
        SETTINGS,
        operator=AutoOperator(),
        registry=TEST_REGISTRY,
    )
    with pytest.raises(errors.PreconditionFailed) as exc:
        await ex.run()
    assert CALLS == ["a"]  # b never ran
    assert "the flag is up" in exc.value.cause
    saved = load_state("t-pre")
    assert saved["status"] == "failed" and saved["current"] == "b"


async def test_resume_continues_at_the_failed_step() -> None:
    plan = make_plan("t-resume", step("a"), step("b", "test.fail-unless-flag"), step("c"))
    with pytest.raises(StepFailed):
        await Executor(plan, SETTINGS, operator=AutoOperator(), registry=TEST_REGISTRY).run()
    assert CALLS == ["a", "b"]
    FLAGS["ok"] = True
    resumed = Executor.resume("t-resume", SETTINGS, operator=AutoOperator(), registry=TEST_REGISTRY)
    assert resumed.vars == {"a": 1}  # values from before the drop survive
    await resumed.run()
    assert CALLS == ["a", "b", "b", "c"]  # a is not repeated


async def test_operator_step_for_another_host_waits_for_its_check() -> None:
    remote = Step(
        id="r",
        title="on host x",
        why="w",
        where=Where("host", "10.9.9.9"),
        action="operator",
        display="systemctl start etcd",
        check=Ref("test.flag", "etcd answers", {"name": "never", "timeout": 0.3, "interval": 0.1}),
    )
    op = AutoOperator()
    with pytest.raises(StepFailed) as exc:
        await Executor(
            make_plan("t-remote", remote), SETTINGS, operator=op, registry=TEST_REGISTRY
        ).run()
    assert "etcd answers" in exc.value.cause
    assert any("systemctl start etcd" in line for line in op.lines)


async def test_destructive_step_needs_confirmation() -> None:
    class No(AutoOperator):
        async def confirm(self, step: Step) -> bool:
            return False

    plan = make_plan("t-confirm", step("a", destructive=True))
    with pytest.raises(errors.EtcdtuiError) as exc:
        await Executor(plan, SETTINGS, operator=No(), registry=TEST_REGISTRY).run()
    assert exc.value.code == "plan-aborted"
    assert CALLS == []


def test_resume_of_unknown_id_is_a_clear_error() -> None:
    with pytest.raises(WizardStateError) as exc:
        load_state("nope-123")
    assert "nope-123" in exc.value.cause
    with pytest.raises(WizardStateError):
        state_path("../etc/passwd")
