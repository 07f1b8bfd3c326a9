"""Real-etcd twins of the console's member-action tests on the fake
(tests/console_fake/test_app_fake.py): the quorum guard, the re-check right before sending,
read-only refusals, move-leader (etcd names the new leader) and update peer URLs (etcd
reports the new URL). Client and peer mTLS; members stopped with SIGSTOP; every answer
checked by asking etcd itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Static

from etcdtui.errors import ReadOnlyMode
from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui import member_actions as ma
from etcdtui.ui.errors import ErrorModal
from etcdtui.ui.screens.modals import MemberActionModal
from tests.support.helpers import etcdctl, wait_for
from tests.support.pilot_helpers import real_app, rows, select_row, type_text, until

pytestmark = pytest.mark.etcd

SIZE = (120, 40)


def _ask(sb: Sandbox, *args: str) -> Any:
    def once() -> Any:
        res = etcdctl(sb, *args, "-w", "json", check=False)
        return json.loads(res.stdout) if res.returncode == 0 else None

    return wait_for(once, timeout=30, what=f"etcdctl {' '.join(args)}")


def etcd_members(sb: Sandbox) -> dict[str, dict[str, Any]]:
    return {m.get("name") or m["peerURLs"][0]: m for m in _ask(sb, "member", "list")["members"]}


def etcd_leader(sb: Sandbox) -> int:
    def agreed() -> int | None:
        leaders = {e["Status"]["leader"] for e in _ask(sb, "endpoint", "status", "--cluster")}
        return int(leaders.pop()) if len(leaders) == 1 and 0 not in leaders else None

    return wait_for(agreed, timeout=30, what="one leader named by every member")


def a_follower(sb: Sandbox) -> str:
    leader = etcd_leader(sb)
    return next(n for n, m in etcd_members(sb).items() if int(m["ID"]) != leader)


async def open_dialog(pilot: Any, app: Any, name: str, key: str) -> MemberActionModal:
    await select_row(pilot, app, name)
    await pilot.press(key)
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
    assert isinstance(modal, MemberActionModal)
    return modal


async def finished(pilot: Any, app: Any, what: str) -> None:
    """Wait until the dialog closed with success; fail with the error it showed."""
    await until(
        pilot,
        lambda: (
            not any(isinstance(s, MemberActionModal) for s in app.screen_stack)
            or isinstance(app.screen, ErrorModal)
        ),
        timeout=60,
        what=what,
    )
    assert not isinstance(app.screen, ErrorModal), app.screen.err.render()


async def settled(pilot: Any, app: Any, healthy: int) -> None:
    await until(
        pilot,
        lambda: len(rows(app)) == 3 and len(app.state.healthy_ids()) == healthy,
        timeout=90,
        what=f"3 members, {healthy} healthy",
        show=lambda: rows(app),
    )


async def test_quorum_guard_on_real_etcd(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """One voter stopped: removing a healthy one is refused in the dialog, Run stays
    disabled, no confirmation is asked for, and etcd still lists every member."""
    sb = fresh_cluster(3)
    sb.settle()
    follower = a_follower(sb)
    down = next(
        n
        for n in ("m1", "m2", "m3")
        if n != follower and int(etcd_members(sb)[n]["ID"]) != etcd_leader(sb)
    )
    before = etcd_members(sb)
    sb.pause(down)
    try:
        app = real_app(sb.settings(timeout=3.0), AuditLog(tmp_path / "audit.jsonl"), 3.0)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot, app, 2)
            modal = await open_dialog(pilot, app, follower, "ctrl+d")
            verdict = str(modal.query_one("#verdict", Static).content)
            assert "only 1 would answer" in verdict
            assert modal.query_one("#run", Button).disabled
            assert not modal.query_one("#confirm", Input).display
            assert app.focused is modal.query_one("#cancel", Button)  # Enter cancels
            await pilot.press("escape")
    finally:
        sb.resume(down)
    assert etcd_members(sb).keys() == before.keys()


async def test_recheck_right_before_sending_on_real_etcd(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """The dialog allowed the remove; a member stops while it is open (polling is
    paused); Enter re-checks with fresh health, refuses, sends nothing, and the refusal
    is in the audit log."""
    sb = fresh_cluster(3)
    sb.settle()
    follower = a_follower(sb)
    leader = etcd_leader(sb)
    other = next(n for n, m in etcd_members(sb).items() if n != follower and int(m["ID"]) != leader)
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = real_app(sb.settings(timeout=2.0), audit, 2.0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot, app, 3)
            modal = await open_dialog(pilot, app, follower, "ctrl+d")
            await type_text(pilot, follower)
            assert not modal.query_one("#run", Button).disabled
            sb.pause(other)
            await pilot.press("enter")
            await until(
                pilot, lambda: isinstance(app.screen, ErrorModal), timeout=60, what="refusal"
            )
            err = app.screen.err  # type: ignore[attr-defined]
            assert err.code == "unhealthy-cluster", err.render()
            assert "only 1 would answer" in err.cause
    finally:
        sb.resume(other)
    assert follower in etcd_members(sb)  # nothing was sent
    [rec] = [r for r in audit.read() if r["action"] == "member-remove"]
    assert not rec["ok"] and rec["params"]["sent"] is False
    assert rec["error"]["code"] == "unhealthy-cluster"


async def test_read_only_refuses_on_real_etcd(cluster: Sandbox, tmp_path: Path) -> None:
    """A read-only session: every member key is refused with the reason, and the
    operation layer refuses too, whatever calls it; etcd sees no change."""
    before = etcd_members(cluster)
    leader = etcd_leader(cluster)
    settings = replace(cluster.settings(), read_only=True)
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = real_app(settings, audit)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app, 3)
        await select_row(pilot, app, a_follower(cluster))
        for key in ("a", "p", "ctrl+d", "u", "l"):
            await pilot.press(key)
            assert app.screen is app.main
        notes = " ".join(f"{n.title} {n.message}" for n in app._notifications)
        assert "read-only" in notes
    follower = etcd_members(cluster)[a_follower(cluster)]
    async with ClusterService(settings) as svc:
        with pytest.raises(ReadOnlyMode):
            await ma.execute(svc, "remove", int(follower["ID"]), audit=audit)
        with pytest.raises(ReadOnlyMode):
            await ma.execute(svc, "move-leader", int(follower["ID"]), audit=audit)
    assert etcd_members(cluster) == before
    assert etcd_leader(cluster) == leader
    assert all(not r["ok"] and r["error"]["code"] == "read-only" for r in audit.read())


async def test_move_leader_and_update_peer_urls_by_keys(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = fresh_cluster(3)
    sb.settle()
    assert sb.state is not None
    follower = a_follower(sb)
    target_id = int(etcd_members(sb)[follower]["ID"])
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = real_app(sb.settings(timeout=3.0), audit, 2.0)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app, 3)

        # move-leader: l, type the name, enter; etcd names the follower leader
        modal = await open_dialog(pilot, app, follower, "l")
        assert modal.query_one("#run", Button).disabled  # not before typing the name
        await type_text(pilot, follower)
        await pilot.press("enter")
        await finished(pilot, app, "move-leader to finish")
        assert etcd_leader(sb) == target_id

        # update peer URLs: the same listener spelled localhost; etcd reports it
        m = sb.state.member(follower)
        alias = f"https://localhost:{m.peer_port}"
        modal = await open_dialog(pilot, app, follower, "u")
        modal.query_one("#urls", Input).value = alias
        modal.query_one("#confirm", Input).focus()
        await type_text(pilot, follower)
        await pilot.press("enter")
        await finished(pilot, app, "update to finish")
    assert etcd_members(sb)[follower]["peerURLs"] == [alias]
    done = [r["action"] for r in audit.read() if r["ok"]]
    assert done == ["move-leader", "member-update"]
