"""The same verdict everywhere (issue 13, item 2): one cluster state, three faces, one
answer. Each state is a real sandbox (client and peer mTLS; members stopped with
SIGSTOP), and each face is asked the way an operator asks it:

* the CLI: ``etcdtui member remove|promote NAME --what-if -o json`` in a process;
* the wizard: the replace wizard's plan builder (``etcdtui.ops.plan_requests``), whose first
  membership change is removing the failed member;
* the console: a Pilot app on the same cluster, the member selected with the arrow keys
  and the dialog opened with its key; the verdict is the one the dialog shows.

All three must give the same allowed/refused, the same reasons and etcd's same error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from etcdtui.errors import EtcdtuiError
from etcdtui.ops import plan_requests
from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.procedures.building_blocks import gather
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.screens.modals import MemberActionModal
from tests.support.helpers import conn_flags
from tests.support.pilot_helpers import real_app, rows, select_row, until

pytestmark = pytest.mark.etcd

KEYS = {"remove": "ctrl+d", "promote": "p"}
TIMEOUT = 3.0
SAME = ("allowed", "reasons", "server_error", "before", "after")


def cli_verdict(sb: Sandbox, kind: str, member: str) -> dict[str, Any]:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "etcdtui",
            *conn_flags(sb.settings()),
            "--timeout",
            str(TIMEOUT),
            "member",
            kind,
            member,
            "--what-if",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )
    doc: dict[str, Any] = json.loads(res.stdout)
    assert res.returncode == (0 if doc["allowed"] else 1), res.stderr
    return doc


async def wizard_verdict(sb: Sandbox, member: str) -> tuple[dict[str, Any], EtcdtuiError | None]:
    """The replace wizard on ``member``: the verdict it judged the remove with, and the
    refusal its plan builder raised (None when it built a plan)."""
    settings = sb.settings(timeout=TIMEOUT)
    sandbox = plan_requests.find_sandbox(settings)
    assert sandbox is not None and sandbox.dir == sb.dir, (
        settings,
        Sandbox(sb.dir).state,
    )

    async with ClusterService(settings) as svc:
        facts = await gather(svc)
        verdict = plan_requests.replace_verdict(
            facts, plan_requests.replace_target(facts, member), settings
        )
        inp = plan_requests.ReplaceInput(member=member, force=True)
        try:
            await plan_requests.replace_plan(svc, settings, sandbox, inp)
        except EtcdtuiError as exc:
            return verdict.verdict(), exc
        return verdict.verdict(), None


async def console_verdict(
    sb: Sandbox, kind: str, member: str, healthy: int, tmp_path: Path, *, unstarted: bool
) -> tuple[dict[str, Any], str]:
    row = member + " (unstarted)" if unstarted else member
    """The verdict the console's dialog shows, and its text, once the console sees
    ``healthy`` healthy members. An unstarted member is listed as "NAME (unstarted)"."""
    # a loaded CI host answers slowly: generous deadlines, so "healthy" means the same to
    # every face (the console calls a poll still in flight after one interval down)
    app = real_app(sb.settings(timeout=TIMEOUT), AuditLog(tmp_path / "audit.jsonl"), interval=3.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: row in rows(app) and len(app.state.healthy_ids()) == healthy,
            timeout=120,
            what=f"{member} listed and {healthy} healthy",
            show=lambda: (rows(app), app.state.healthy_ids()),
        )
        await select_row(pilot, app, row)
        await pilot.press(KEYS[kind])
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, MemberActionModal)
                and app.screen.query("#command")
                and str(app.screen.query_one("#command", Static).content)
            ),
            what="the dialog, planned",
        )
        modal = app.screen
        assert isinstance(modal, MemberActionModal) and modal.kind == kind
        verdict = modal._plan().verdict()
        text = str(modal.query_one("#verdict", Static).content)
        await pilot.press("escape")
        return verdict, text


async def same_everywhere(
    sb: Sandbox,
    kind: str,
    member: str,
    healthy: int,
    tmp_path: Path,
    *,
    allowed: bool,
    unstarted: bool = False,
) -> dict[str, Any]:
    cli = cli_verdict(sb, kind, member)
    console, shown = await console_verdict(sb, kind, member, healthy, tmp_path, unstarted=unstarted)
    assert {k: console[k] for k in SAME} == {k: cli[k] for k in SAME}
    assert cli["allowed"] is allowed, cli
    for reason in cli["reasons"]:
        assert reason in shown  # the console shows the same words
    if kind == "remove":
        verdict, refusal = await wizard_verdict(sb, member)
        assert {k: verdict[k] for k in SAME} == {k: cli[k] for k in SAME}
        if allowed:
            assert refusal is None, refusal.render() if refusal else ""
        else:
            assert refusal is not None
            assert refusal.cause == " ".join(cli["reasons"])
            if cli["server_error"]:
                assert cli["server_error"] in refusal.title
    return cli


async def test_same_verdict_three_members(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = fresh_cluster(3)
    sb.settle()

    # healthy 3/3: removing a member is allowed everywhere
    v = await same_everywhere(sb, "remove", "m2", 3, tmp_path, allowed=True)
    assert (v["before"]["voters"], v["after"]["voters"]) == (3, 2)

    # an unstarted learner: promoting it is refused (etcd: not in sync), removing it is not
    async with ClusterService(sb.settings()) as svc:
        await svc.member_add(["https://127.0.0.1:1"], learner=True, name="m4")
    v = await same_everywhere(sb, "promote", "m4", 3, tmp_path, allowed=False, unstarted=True)
    assert "never started" in v["reasons"][0]
    await same_everywhere(sb, "remove", "m4", 3, tmp_path, allowed=True, unstarted=True)
    async with ClusterService(sb.settings()) as svc:
        added = next(m for m in (await svc.members()).members if not m.name)
        await svc.member_remove(added.id)

    # one voter down: removing a healthy one is refused, removing the failed one is not
    sb.pause("m3")
    try:
        v = await same_everywhere(sb, "remove", "m2", 2, tmp_path, allowed=False)
        assert "only 1 would answer" in v["reasons"][0]
        assert v["server_error"] == "etcdserver: unhealthy cluster"
        await same_everywhere(sb, "remove", "m3", 2, tmp_path, allowed=True)

        # two of three down: quorum is lost, nothing is committable (and m1's linearizable
        # health read fails too: no member counts as healthy)
        sb.pause("m2")
        try:
            v = await same_everywhere(sb, "remove", "m3", 0, tmp_path, allowed=False)
            assert "Quorum is lost" in v["reasons"][0]
        finally:
            sb.resume("m2")
    finally:
        sb.resume("m3")


async def test_same_verdict_even_count(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = fresh_cluster(4)
    sb.settle()
    # 4 voters: removing one is allowed and ends at an odd size
    v = await same_everywhere(sb, "remove", "m4", 4, tmp_path, allowed=True)
    assert (v["before"]["voters"], v["after"]["voters"]) == (4, 3)
    # one of 4 down: removing a healthy member leaves 3 voters, 2 answering: allowed, with
    # the advice to remove the failed one instead
    sb.pause("m4")
    try:
        v = await same_everywhere(sb, "remove", "m2", 3, tmp_path, allowed=True)
        assert (v["after"]["voters"], v["after"]["healthy"]) == (3, 2)
    finally:
        sb.resume("m4")
