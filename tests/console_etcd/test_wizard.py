"""The wizard screen: a Pilot walk of a replacement on a real sandbox. Its read-only display
(no etcd) is in tests/console_fake/test_wizard.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from etcdtui.services.cluster import ClusterService
from etcdtui.services.executor import Executor
from etcdtui.services.plans import Plan
from etcdtui.services.procedures.building_blocks import MemberTLS, etcdctl_env
from etcdtui.services.procedures.replace import ReplaceRequest, plan_replace
from etcdtui.services.procedures.sandbox_host import SandboxHost
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.wizard import WizardScreen
from tests.support.pilot_helpers import until
from tests.support.wizard_apps import Host, rail


@pytest.mark.etcd
async def test_pilot_walks_a_replacement_on_the_sandbox(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sb = await asyncio.to_thread(fresh_cluster, 3)
    await asyncio.to_thread(sb.kill, "m3")
    settings = sb.settings()
    crt, key = sb.member_cert("m3", "server")
    pcrt, pkey = sb.member_cert("m3", "peer")
    req = ReplaceRequest(
        "m3",
        tls=MemberTLS(str(crt), str(key), str(pcrt), str(pkey), str(sb.ca_cert)),
        data_dir=str(sb.data_dir("m3")),
        etcd_binary=str(sb.binary()),
        etcdctl_env=etcdctl_env(settings),
    )
    async with ClusterService(settings) as svc:
        plan: Plan = await plan_replace(svc, req)
    ex = Executor(plan, settings, operator=None, host=SandboxHost(sb))  # type: ignore[arg-type]
    screen = WizardScreen(plan, ex)
    async with Host(screen).run_test(size=(140, 45)) as pilot:
        await pilot.press("x")
        # the remove is destructive: the wizard waits for the member name to be typed
        await until(pilot, lambda: screen._pending is not None, timeout=30, what="confirm")
        assert screen._pending is not None and screen._pending.word == "m3"
        await pilot.press("m", "3", "enter")
        await until(
            pilot,
            lambda: ex.status in ("done", "failed"),
            timeout=90,
            what="plan end",
            show=lambda: ex.results,
        )
        await pilot.pause()
        assert ex.status == "done", ex.results
        lines: list[Any] = rail(screen)
        assert all(line[0] in "✔↷" for line in lines), lines
    async with ClusterService(sb.settings()) as svc:
        ms = await svc.members()
    assert len([m for m in ms.members if not m.is_learner]) == 3
