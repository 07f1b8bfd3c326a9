"""The guided wizards wired into the console, on real etcd sandboxes.

* `:replace m2` after killing a follower: walk the wizard to the end (typed
  confirmation at the remove), 3 healthy voters again with a new member, audit entries;
* read-only: `:scale 5` shows the plan and executes nothing; `:replace` of a healthy
  member is refused with the reason;
* leave and resume: start a replace with the members-pane key, leave at the
  confirmation, resume via `:wizards`, finish.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from etcdtui.ops.plan_requests import find_sandbox
from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.executor import plan_state_dir
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.app import EtcdtuiApp
from etcdtui.ui.errors import ErrorModal
from etcdtui.ui.wizard import WizardScreen
from etcdtui.ui.wizard_launch import WizardListScreen, saved_wizards
from tests.support.helpers import etcdctl
from tests.support.pilot_helpers import real_app, rows, select_row, until
from tests.support.wizard_apps import command, rail


async def follower(sb: Sandbox) -> str:
    async with ClusterService(sb.settings()) as svc:
        ms = await svc.members()
        leader = await svc.leader()
    return next(m.name for m in ms.members if m.id != leader and m.name != "m1")


async def voters(sb: Sandbox) -> tuple[list[Any], list[Any]]:
    """(members, healthy endpoints) as the cluster reports them now."""
    async with ClusterService(sb.settings()) as svc:
        ms = await svc.members()
        health = await svc.health([u for m in ms.members for u in m.client_urls])
    return list(ms.members), [h for h in health if h.healthy]


async def wizard_on_screen(pilot: Pilot[Any]) -> WizardScreen:
    screen = await until(
        pilot,
        lambda: pilot.app.screen if isinstance(pilot.app.screen, WizardScreen) else None,
        timeout=30,
        what="the wizard screen",
        show=lambda: [n.message for n in pilot.app._notifications],
    )
    assert isinstance(screen, WizardScreen)
    return screen


async def confirm(pilot: Pilot[Any], screen: WizardScreen, name: str) -> None:
    await until(pilot, lambda: screen._pending is not None, timeout=60, what="confirmation")
    assert screen._pending is not None and screen._pending.word == name
    await pilot.press(*name, "enter")


async def run_to_end(pilot: Pilot[Any], screen: WizardScreen) -> None:
    ex = screen.executor
    assert ex is not None
    await until(
        pilot,
        lambda: ex.status in ("done", "failed") and not screen.running,
        timeout=120,
        what="plan end",
        show=lambda: ex.results,
    )
    await pilot.pause()
    assert ex.status == "done", ex.results
    assert all(line[0] in "✔↷" for line in rail(screen)), rail(screen)


async def assert_replaced(sb: Sandbox, name: str, old_id: int) -> None:
    members, healthy = await voters(sb)
    assert len([m for m in members if not m.is_learner]) == 3
    assert len(healthy) == 3
    new = next(m for m in members if m.name == name)
    assert new.id != old_id and not new.is_learner


async def kill_a_follower(fresh_cluster: Callable[..., Sandbox]) -> tuple[Sandbox, str, int]:
    """A fresh 3-member sandbox with one follower SIGKILLed: (sandbox, name, its old ID)."""
    sb = await asyncio.to_thread(fresh_cluster, 3)
    name = await follower(sb)
    members, _h = await voters(sb)
    old_id = next(m.id for m in members if m.name == name)
    await asyncio.to_thread(sb.kill, name)
    return sb, name, old_id


def plan_steps_audited(audit: AuditLog, plan_id: str) -> set[str]:
    return {
        r["params"]["step"]
        for r in audit.read(limit=1000)
        if r.get("action") == "plan-step" and r["params"].get("plan") == plan_id
    }


@pytest.mark.etcd
async def test_replace_a_killed_follower_from_the_command_line(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb, name, old_id = await kill_a_follower(fresh_cluster)
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = real_app(sb.settings(), audit)
    assert find_sandbox(sb.settings()) is not None
    async with app.run_test(size=(150, 45)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="member list")
        await command(pilot, f"replace {name}")
        screen = await wizard_on_screen(pilot)
        assert not screen.read_only and app.poller is not None and app.poller.paused
        assert "Replace failed member" in screen.plan.title
        await pilot.press("x")
        await confirm(pilot, screen, name)
        await run_to_end(pilot, screen)
        plan_id = screen.plan.id
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, WizardScreen), what="main screen")
        assert app.poller is not None and not app.poller.paused
    await assert_replaced(sb, name, old_id)
    steps = plan_steps_audited(audit, plan_id)
    assert {"detect", "quorum", "remove", "verify"} <= steps, steps


@pytest.mark.etcd
async def test_read_only_shows_plans_and_executes_nothing(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    # its own cluster: the shared one's members are replaced by other tests on the same
    # worker, and a plan built while that happens dialled an endpoint that had just gone
    cluster = fresh_cluster(3)
    settings = dataclasses.replace(cluster.settings(), read_only=True)
    audit = AuditLog(tmp_path / "audit.jsonl")
    before = {w.id for w in saved_wizards()}
    app = real_app(settings, audit)
    async with app.run_test(size=(150, 45)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="member list")
        await command(pilot, "scale 5")
        screen = await wizard_on_screen(pilot)
        assert screen.read_only and screen.executor is None
        lines = rail(screen)
        assert any("learner" in line.lower() for line in lines), lines
        await pilot.press("x")
        await until(
            pilot,
            lambda: any("Read-only" in n.message for n in app._notifications),
            what="the read-only refusal",
        )
        assert not screen.running and all(line.startswith("·") for line in rail(screen))
        assert any("Read-only" in n.message for n in app._notifications)
        await pilot.press("escape")
        # the restore plan is shown too, from a real snapshot of this cluster
        snap = tmp_path / "one.db"
        first = cluster.settings().endpoints[0]
        await asyncio.to_thread(etcdctl, cluster, "snapshot", "save", str(snap), endpoints=[first])
        await until(pilot, lambda: not isinstance(app.screen, WizardScreen), what="left")
        await command(pilot, f"restore {snap}")
        screen = await wizard_on_screen(pilot)
        assert screen.read_only and screen.plan.kind == "restore"
        assert any("snapshot restore" in s.shown_command for s in screen.plan.steps)
        await pilot.press("x", "escape")
        await until(pilot, lambda: not isinstance(app.screen, WizardScreen), what="left")
        # a healthy member is not replaced: the refusal says why
        await command(pilot, "replace m2")
        modal = await until(
            pilot,
            lambda: app.screen if isinstance(app.screen, ErrorModal) else None,
            what="refusal",
        )
        assert "not failed" in modal.err.title.lower() or "answers" in modal.err.cause
    members, healthy = await voters(cluster)
    assert len(members) == 3 and len(healthy) == 3
    assert {w.id for w in saved_wizards()} == before  # nothing persisted, nothing run
    assert not audit.read(limit=10)


@pytest.mark.etcd
async def test_leave_the_wizard_and_resume_it_from_the_wizards_list(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb, name, old_id = await kill_a_follower(fresh_cluster)
    audit = AuditLog(tmp_path / "audit.jsonl")
    app: EtcdtuiApp = real_app(sb.settings(), audit)
    async with app.run_test(size=(150, 45)) as pilot:
        await until(pilot, lambda: name in rows(app), what="member rows")
        await select_row(pilot, app, name)
        await pilot.press("R")  # "replace this member" on the members pane
        screen = await wizard_on_screen(pilot)
        await pilot.press("x")
        await until(pilot, lambda: screen._pending is not None, timeout=60, what="confirmation")
        plan_id = screen.plan.id
        done_before = [line for line in rail(screen) if line[0] in "✔↷"]
        assert len(done_before) >= 3, rail(screen)  # detect, quorum, move-leader (+ skipped)
        await pilot.press("escape")  # leave at the destructive step: nothing removed
        await until(pilot, lambda: not isinstance(app.screen, WizardScreen), what="left")
        await until(pilot, lambda: not screen.is_attached, what="wizard gone")
        members_now, _h = await voters(sb)
        assert any(m.id == old_id for m in members_now)  # the remove did not happen
        assert (plan_state_dir() / f"{plan_id}.json").exists()

        await command(pilot, "wizards")
        listing = await until(
            pilot,
            lambda: app.screen if isinstance(app.screen, WizardListScreen) else None,
            what="wizards list",
        )
        table = listing.query_one(DataTable)
        ids = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert plan_id in ids
        table.move_cursor(row=ids.index(plan_id))
        await pilot.press("enter")
        resumed = await wizard_on_screen(pilot)
        assert resumed.plan.id == plan_id and resumed is not screen
        lines = rail(resumed)
        assert lines[: len(done_before)] == done_before, lines  # continues at the right step
        assert resumed.plan.steps[resumed._first_open()].id == "remove"
        await pilot.press("x")
        await confirm(pilot, resumed, name)
        await run_to_end(pilot, resumed)
    await assert_replaced(sb, name, old_id)
    assert {"remove", "verify"} <= plan_steps_audited(audit, plan_id)
