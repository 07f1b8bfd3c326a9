"""Scenario 7: a learner added with a peer URL nothing listens on.

The console shows it as never started (by the name it was added with), its advisory
says so, promoting it is refused, and the console's own remove rolls it back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.screens.modals import MemberActionModal
from tests.support.faults import AckWriter, cli, probe_keys, verify_acked
from tests.support.pilot_helpers import real_app, rows, type_text, until


async def test_unstarted_learner_shown_advised_refused_and_rolled_back(
    faulty: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = faulty(3, fault_proxy=False)
    sb.settle()
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = real_app(sb.settings(), audit)
    unused = sb.new_member("m4")  # its peer URL: a port nothing listens on
    writer = AckWriter(sb, "/faults/s7")
    with writer:
        async with app.run_test(size=(140, 45)) as pilot:
            await until(pilot, lambda: len(rows(app)) == 3, what="3 members")
            async with ClusterService(sb.settings(timeout=3.0), audit=audit) as svc:
                added = await svc.member_add([unused.peer_url], learner=True, name="m4")
                # the service layer: a learner without a name, never started
                listed = (await svc.members()).by_id(added.id)
            assert listed is not None and listed.is_learner and not listed.name
            # the console: a row by the name it was added with, and an advisory
            want = f"Learner m4 ({added.hex_id}) was added but never started"
            await until(
                pilot,
                lambda: want in [a.title for a in app.state.advisories(app.default_quota)],
                timeout=30,
                what="the unstarted-learner advisory",
                show=lambda: [a.title for a in app.state.advisories(app.default_quota)],
            )
            assert "m4 (unstarted)" in rows(app), rows(app)
            assert rows(app)["m4 (unstarted)"].level == "unstarted"
            await probe_keys(pilot, app, "7 unstarted learner")
            # promoting what never started is refused, and nothing changes
            proc = await asyncio.to_thread(cli, sb, "member", "promote", "m4", "--yes")
            out = proc.stdout + proc.stderr
            assert proc.returncode != 0, out
            assert "Traceback" not in out
            async with ClusterService(sb.settings(timeout=3.0)) as svc:
                still = (await svc.members()).by_id(added.id)
            assert still is not None and still.is_learner
            # the console rolls it back: remove, by the name it was added with
            app.main.action_member_action("remove", "m4")
            await until(pilot, lambda: isinstance(app.screen, MemberActionModal), what="remove")
            await type_text(pilot, added.hex_id)
            await pilot.press("enter")
            await until(
                pilot,
                lambda: (
                    len(rows(app)) == 3
                    and all(r.id_hex != added.hex_id for r in rows(app).values())
                ),
                timeout=30,
                what="the learner removed",
                show=lambda: rows(app),
            )
            await until(
                pilot,
                lambda: all(r.health.startswith("✔") for r in rows(app).values()),
                timeout=30,
                what="3 healthy rows",
            )
    records = audit.read()
    assert [r["action"] for r in records if r.get("ok")][-1:] == ["member-remove"], records
    async with ClusterService(sb.settings(timeout=3.0)) as svc:
        assert len((await svc.members()).members) == 3
    log = writer.stop()
    assert verify_acked(sb, log) > 0
