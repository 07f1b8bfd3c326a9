"""The console at 3 a.m., against real etcd with mutual TLS (issue 12, items 4, 5, 11):
the LOST advice names ctrl+r and the newest verified snapshot, the restore prompt is
prefilled and completes paths (also from the snapshots pane), a learner that never
started is advised and removable by the name it was added with, and NOSPACE shows in
the header as refused writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.ui.screens.modals import MemberActionModal
from etcdtui.ui.widgets.header import Badge
from etcdtui.ui.wizard_launch import RestorePrompt
from tests.support.helpers import conn_flags, etcdctl
from tests.support.pilot_helpers import real_app, rows, type_text, until

pytestmark = pytest.mark.etcd


def actions_of(app: Any) -> list[str]:
    return [a.action for a in app.state.advisories(app.default_quota)]


def titles_of(app: Any) -> list[str]:
    return [a.title for a in app.state.advisories(app.default_quota)]


async def test_lost_quorum_advice_and_the_restore_prompt(
    fresh_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    snapdir = tmp_path / "state" / "snapshots"
    snapdir.mkdir(parents=True)
    sb = fresh_cluster(3)
    good = snapdir / "snapshot-20261201.db"
    etcdctl(sb, "snapshot", "save", str(good), endpoints=[sb.settings().endpoints[0]])
    # A newer file that does not verify: the advice must skip it.
    bad = snapdir / "snapshot-20261202.db"
    data = bytearray(good.read_bytes())
    data[4096 + 100] ^= 0xFF
    bad.write_bytes(bytes(data))
    os.utime(bad, (good.stat().st_mtime + 60, good.stat().st_mtime + 60))

    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(140, 45)) as pilot:
        await until(pilot, lambda: len(rows(app)) == 3, timeout=90, what="3 members")
        sb.kill("m2")
        sb.kill("m3")
        await until(
            pilot,
            lambda: any(
                "press ctrl+r to restore from snapshot-20261201.db (verified," in a
                for a in actions_of(app)
            ),
            timeout=90,
            what="the LOST advice naming ctrl+r and the verified snapshot",
            show=lambda: actions_of(app),
        )
        lost = next(a for a in actions_of(app) if "ctrl+r" in a)
        assert "Bring m2, m3 back" in lost

        # ctrl+r: the prompt defaults to the newest verified snapshot
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, RestorePrompt), what="restore prompt")
        field = app.screen.query_one("#wizard-arg", Input)
        await until(pilot, lambda: field.value == str(good), timeout=90, what="prefilled path")
        assert field.has_focus
        # tab completes paths
        field.value = str(snapdir / "snap")
        field.cursor_position = len(field.value)
        await pilot.press("tab")
        assert field.value == str(snapdir / "snapshot-2026120")
        await type_text(pilot, "2")
        await pilot.press("tab")
        assert field.value == str(bad)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main, what="prompt closed")

        # from the snapshots pane: ctrl+r on the highlighted file
        await pilot.press("4")
        pane = app.main.query_one("SnapshotsPane")
        await until(
            pilot,
            lambda: len(pane.entries) == 2,
            timeout=90,
            what="the catalog",
            show=lambda: (
                type(app.screen).__name__,
                app.main.query_one("#panes").current,  # type: ignore[attr-defined]
                pane.directory,
                [e.path.name for e in pane.entries],
            ),
        )
        table = pane.table
        table.focus()
        # the newer file (not the newest verified one ctrl+r elsewhere offers)
        table.move_cursor(row=1)
        assert pane.selected() is not None and pane.selected().path == bad
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, RestorePrompt), what="restore prompt")
        await pilot.pause(0.5)  # the prefilled file stays, whatever the look-up finds
        assert app.screen.query_one("#wizard-arg", Input).value == str(bad)
        await pilot.press("escape")


async def test_snapshot_catalogue_shows_while_calls_to_hung_members_wait(
    fresh_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two members SIGSTOPped (quorum lost, calls to them hang until their deadline): the
    snapshots pane reads its catalogue (local files) while those calls are still waiting;
    nothing in the console puts it behind them (rule 2)."""
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    snapdir = tmp_path / "state" / "snapshots"
    snapdir.mkdir(parents=True)
    sb = fresh_cluster(3)
    good = snapdir / "snapshot-20261201.db"
    etcdctl(sb, "snapshot", "save", str(good), endpoints=[sb.settings().endpoints[0]])
    # a long deadline: the hung calls outlast any wait for local files
    app = real_app(sb.settings(timeout=60.0), AuditLog(tmp_path / "audit.jsonl"))
    hung = [sb.client_url(sb.state.member(n)) for n in ("m2", "m3")]  # type: ignore[union-attr]
    async with app.run_test(size=(140, 45)) as pilot:
        await until(pilot, lambda: len(rows(app)) == 3, timeout=90, what="3 members")
        sb.pause("m2")
        sb.pause("m3")
        try:
            # a poll of each stopped member started after the stop and has not returned
            paused_at = app.clock()

            def waiting() -> dict[str, float | None]:
                return {u: app.state.tracks[u].inflight_since for u in hung}

            await until(
                pilot,
                lambda: all(t is not None and t >= paused_at for t in waiting().values()),
                timeout=90,
                what="polls of the stopped members in flight",
                show=waiting,
            )
            before = waiting()
            await pilot.press("4")
            pane = app.main.query_one("SnapshotsPane")
            await until(
                pilot,
                lambda: [e.path.name for e in pane.entries] == [good.name],
                timeout=90,
                what="the catalog",
                show=lambda: (pane.directory, pane.entries, waiting()),
            )
            # the same calls are still waiting for their deadline: the catalogue did not
            assert waiting() == before
        finally:
            sb.resume("m2")
            sb.resume("m3")


async def test_unstarted_learner_is_advised_and_removed_by_its_added_name(
    fresh_cluster: Any, tmp_path: Path
) -> None:
    sb = fresh_cluster(3)
    sb.settle()
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = real_app(sb.settings(), audit)
    new = sb.new_member("m4")
    async with app.run_test(size=(140, 45)) as pilot:
        await until(pilot, lambda: len(rows(app)) == 3, timeout=90, what="3 members")
        async with ClusterService(sb.settings(), audit=audit) as svc:
            added = await svc.member_add([new.peer_url], learner=True, name="m4")
        assert [r["params"].get("name") for r in audit.read()] == ["m4"]
        want = f"Learner m4 ({added.hex_id}) was added but never started"
        await until(
            pilot,
            lambda: want in titles_of(app),
            timeout=90,
            what="the unstarted-learner advice",
            show=lambda: titles_of(app),
        )
        action = next(a for a in actions_of(app) if ":remove m4" in a)
        assert "ctrl+d" in action
        assert "m4 (unstarted)" in rows(app)  # the row shows the name it was added with

        # `:remove m4` addresses it by that name
        app.main.action_member_action("remove", "m4")
        await until(pilot, lambda: isinstance(app.screen, MemberActionModal), what="remove")
        modal = app.screen
        assert modal.target is not None and modal.target.id == added.id  # type: ignore[attr-defined]
        await type_text(pilot, added.hex_id)
        await pilot.press("enter")
        await until(
            pilot,
            lambda: all(r.key != added.hex_id for r in rows(app).values()),
            timeout=90,
            what="the learner removed",
        )
    assert [r["action"] for r in audit.read() if r["ok"]][-1] == "member-remove"

    # The CLI too: add m5, then remove it by that name before it ever starts.
    env = dict(os.environ)
    flags = conn_flags(sb.settings())
    other = sb.new_member("m5")
    run = [sys.executable, "-m", "etcdtui", *flags, "member"]
    done = subprocess.run(
        [*run, "add", "m5", "--peer-urls", other.peer_url],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [*run, "remove", "m5", "--yes"], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert other.peer_url not in etcdctl(sb, "member", "list").stdout


async def test_nospace_badge_says_writes_refused_and_maintenance_is_audited(
    fresh_cluster: Any, tmp_path: Path
) -> None:
    from etcdtui import errors

    sb = fresh_cluster(1, quota_bytes=16 * 1024 * 1024)
    value = os.urandom(512 * 1024)
    audit = AuditLog(tmp_path / "audit.jsonl")
    async with ClusterService(sb.settings(timeout=5)) as svc:
        for i in range(200):  # bounded: 100 MB at most against a 16 MB quota
            try:
                await svc.put(f"/fill/{i % 8}".encode(), value)
            except errors.NoSpace:
                break
        assert [a.kind for a in await svc.alarms()] == ["NOSPACE"]

    app = real_app(sb.settings(), audit)
    async with app.run_test(size=(140, 45)) as pilot:
        badge = app.main.query_one("#hdr-quorum", Badge)
        await until(
            pilot,
            lambda: "writes refused" in str(badge.content),
            timeout=90,
            what="the NOSPACE badge",
            show=lambda: str(badge.content),
        )
        assert badge.has_class("-lost")
        # the documented recovery, through the service the console uses, audited
        async with ClusterService(sb.settings(), audit=audit) as svc:
            head = (await svc.get(b"/fill/0")).header.revision
            await svc.compact(head)
            for url in svc.all_endpoints():
                await svc.defragment(url)
            await svc.disarm_alarms()
        await until(
            pilot,
            lambda: "writes refused" not in str(badge.content),
            timeout=90,
            what="the badge back to normal",
        )
    done = [r["action"] for r in audit.read() if r["ok"]]
    assert done == ["compact", "defragment", "alarm-disarm"]
