"""Console behaviour against real etcd (mutual TLS on 127.0.0.1), driven by keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from etcdtui.services.audit import AuditLog
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.errors import ErrorModal
from etcdtui.ui.screens.modals import MemberActionModal
from etcdtui.ui.widgets.command_line import CommandLine
from tests.support.helpers import etcdctl, wait_for
from tests.support.pilot_helpers import real_app, rows, select_row, type_text, until

pytestmark = pytest.mark.etcd


def _member_names(sandbox: Sandbox) -> list[str]:
    out = etcdctl(sandbox, "member", "list", "-w", "simple").stdout
    return sorted(line.split(", ")[2] for line in out.splitlines() if line.strip())


async def _run_modal(pilot: Any, app: Any) -> None:
    """Wait for the action modal to close with success, or fail with the error shown."""
    await until(
        pilot,
        lambda: (
            not any(isinstance(s, MemberActionModal) for s in app.screen_stack)
            or isinstance(app.screen, ErrorModal)
        ),
        timeout=60,
        what="member action to finish",
    )
    errors = [s.err.render() for s in app.screen_stack if isinstance(s, ErrorModal)]
    if errors:
        raise AssertionError(f"member action failed: {errors}")


async def test_add_promote_remove_learner_by_keys(fresh_cluster: Any, tmp_path: Path) -> None:
    sandbox = fresh_cluster()
    sandbox.settle()  # etcd refuses reconfiguration in the first 5 s after a start
    before = _member_names(sandbox)
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = real_app(sandbox.settings(), audit)
    new = sandbox.new_member("m4")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: len(rows(app)) == 3 and app.state.leader_id(),
            what="3 members and a leader",
        )
        # add learner: a, name, tab, peer URL, enter
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, MemberActionModal))
        await type_text(pilot, "m4")
        await pilot.press("tab")
        await type_text(pilot, new.peer_url)
        await pilot.press("enter")
        await _run_modal(pilot, app)
        assert sandbox.state is not None
        initial = (
            ",".join(f"{m.name}={m.peer_url}" for m in sandbox.state.members if not m.removed)
            + f",m4={new.peer_url}"
        )
        # Followers apply the add a moment after the leader answers; a joining member
        # asks any peer for the member list, so wait until every member knows it.
        for ep in sandbox.settings().endpoints:
            wait_for(
                lambda ep=ep: (
                    new.peer_url in etcdctl(sandbox, "member", "list", endpoints=[ep]).stdout
                ),
                timeout=60,
                what=f"{ep} to apply the add",
            )
        sandbox.join(new, initial)
        await until(
            pilot,
            lambda: (
                "m4" in rows(app)
                and rows(app)["m4"].health.startswith("✔")
                and rows(app)["m4"].lag == "0"
            ),
            timeout=60,
            what="learner m4 in sync",
            show=lambda: rows(app),
        )
        assert rows(app)["m4"].role == "learner"
        # promote: select m4, p, enter on Run
        await select_row(pilot, app, "m4")
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, MemberActionModal))
        await pilot.press("enter")
        await _run_modal(pilot, app)
        await until(
            pilot,
            lambda: "m4" in rows(app) and rows(app)["m4"].role != "learner",
            timeout=30,
            what="m4 shown as a voter",
        )
        # remove: select m4, ctrl+d, type the name, enter. etcd refuses a remove with
        # "unhealthy cluster" until the leader has seen the members active for 5 s;
        # an overloaded CI host can hit that window, so that one refusal is retried.
        for attempt in range(3):
            await select_row(pilot, app, "m4")
            await pilot.press("ctrl+d")
            await until(pilot, lambda: isinstance(app.screen, MemberActionModal))
            await type_text(pilot, "m4")
            await pilot.press("enter")
            try:
                await _run_modal(pilot, app)
                break
            except AssertionError as exc:
                if "unhealthy cluster" not in str(exc) or attempt == 2:
                    raise
                await pilot.press("escape")  # the error modal
                await pilot.press("escape")  # the action modal
                await until(pilot, lambda: app.screen is app.main)
                await pilot.pause(2.0)
        sandbox.mark_removed("m4")
        await until(pilot, lambda: "m4" not in rows(app), timeout=30, what="m4 gone")
    records = audit.read()
    ok = [r["action"] for r in records if r["ok"]]
    assert ok == ["member-add", "member-promote", "member-remove"]
    refused = [r for r in records if not r["ok"]]  # only the retried 5 s-window refusal
    assert all(
        r["action"] == "member-remove" and r["error"]["code"] == "unhealthy-cluster"
        for r in refused
    ), refused
    assert records[-1]["members_after"] is not None
    assert sorted(m["name"] for m in records[-1]["members_after"]) == before
    assert _member_names(sandbox) == before


async def test_paused_member_keeps_ui_responsive(cluster: Sandbox, tmp_path: Path) -> None:
    interval = 1.0
    app = real_app(cluster.settings(), AuditLog(tmp_path / "audit.jsonl"), interval=interval)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: (
                len(rows(app)) == 3 and all(r.health.startswith("✔") for r in rows(app).values())
            ),
            what="3 healthy rows",
        )
        # pause a follower: a paused leader also stalls the others for an election
        paused = await _a_follower(cluster)
        others = [n for n in ("m1", "m2", "m3") if n != paused]
        cluster.pause(paused)
        try:
            # the poll's deadline fires for the paused member: it is shown unreachable
            # (a bounded wait, not a speed check; speed targets live in benchmarks/)
            await until(
                pilot,
                lambda: "unreachable" in rows(app)[paused].health,
                what=f"{paused} shown unreachable",
            )
            for name in others:
                assert rows(app)[name].health.startswith("✔"), rows(app)[name]
            # key presses are handled while the member hangs (each awaited as a condition:
            # a loaded machine may take a moment to push or pop a screen)
            line = app.main.query_one(CommandLine)
            await pilot.press("colon")
            await until(pilot, lambda: line.display, what="the command line to open")
            await pilot.press("escape")
            await until(pilot, lambda: not line.display, what="the command line to close")
            await pilot.press("question_mark")
            await until(
                pilot, lambda: type(app.screen).__name__ == "HelpScreen", what="the help screen"
            )
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.main, what="the help screen to close")
        finally:
            cluster.resume(paused)
        await until(
            pilot,
            lambda: rows(app)[paused].health.startswith("✔"),
            timeout=30,
            what=f"{paused} healthy again",
        )
    wait_for(
        lambda: etcdctl(cluster, "endpoint", "health", check=False).returncode == 0,
        timeout=30,
        what="cluster healthy after resume",
    )


async def test_nothing_configured_offers_sandbox_and_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from etcdtui.config import NothingConfigured
    from etcdtui.ui.app import EtcdtuiApp
    from etcdtui.ui.screens.start import NothingConfiguredScreen

    monkeypatch.setenv("ETCDTUI_SANDBOX_DIR", str(tmp_path / "sandbox"))
    app = EtcdtuiApp(None, nothing_configured=NothingConfigured("nothing here"), theme_dirs=[])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            assert isinstance(app.screen, NothingConfiguredScreen)
            await pilot.press("s")
            await until(
                pilot,
                lambda: (
                    len(rows(app)) == 3
                    and all(r.health.startswith("✔") for r in rows(app).values())
                ),
                timeout=90,
                what="the sandbox members in the table",
            )
            assert app.settings is not None and app.settings.source == "sandbox"
            assert app.screen is app.main
    finally:
        Sandbox(tmp_path / "sandbox").down()


async def _a_follower(sandbox: Sandbox) -> str:
    from etcdtui.services.cluster import ClusterService

    async with ClusterService(sandbox.settings()) as svc:
        statuses = await svc.statuses()
    leader_urls = {s.endpoint for s in statuses if s.is_leader}
    return next(m.name for m in sandbox.state.members if sandbox.client_url(m) not in leader_urls)
