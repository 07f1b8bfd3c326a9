"""The console's `:evidence` and `:perf` on real etcd with mTLS: the same use cases as
`etcdtui evidence` and `etcdtui check perf` (etcdtui.ops.checks)."""

from __future__ import annotations

import dataclasses
import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Button, Input, Static

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.perf import PREFIX
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.errors import ErrorModal
from etcdtui.ui.screens.checks_modal import EvidenceModal, PerfModal
from tests.support.pilot_helpers import real_app, type_text, until

pytestmark = pytest.mark.etcd


async def _write(sandbox: Sandbox, prefix: str, n: int) -> None:
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        for i in range(n):
            await svc.put(f"/{prefix}/{i}".encode(), f"value-{prefix}-{i}".encode())


async def _stopped_dirs(sandbox: Sandbox, tmp_path: Path) -> tuple[Path, Path, Path]:
    """An old copy, a newer copy and the newest dir of a 1-member cluster, all stopped."""
    assert sandbox.state is not None
    name = sandbox.state.members[0].name
    copies = []
    for step in ("a", "b"):
        await _write(sandbox, step, 5)
        sandbox.stop_member(name)
        copies.append(tmp_path / f"copy-{step}")
        shutil.copytree(sandbox.data_dir(name), copies[-1])
        sandbox.start(name)
    await _write(sandbox, "c", 5)
    sandbox.stop_member(name)
    return copies[0], copies[1], sandbox.data_dir(name)


def _text(app: Any, selector: str) -> str:
    """What a Static on the current screen holds, as plain text (a table rendered wide)."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str):
        return content
    console = Console(width=400, file=io.StringIO(), record=True)
    console.print(content)
    return console.export_text()


async def test_evidence_names_the_most_advanced_dir_and_feeds_the_restore_wizard(
    cluster: Sandbox,
    fresh_cluster: Callable[..., Sandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from etcdtui.ui.wizard import WizardScreen

    old, newer, newest = await _stopped_dirs(fresh_cluster(1), tmp_path)
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = real_app(cluster.settings(timeout=5), audit)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="members")
        await pilot.press("colon", *f"evidence {newer} {newest} {old}", "enter")
        await until(pilot, lambda: isinstance(app.screen, EvidenceModal), what="the modal")
        modal = app.screen
        await until(pilot, lambda: modal.outcome is not None, timeout=60, what="the evidence")
        assert f"most advanced: {newest}" in _text(app, "#verdict")
        results = _text(app, "#results")
        assert f"* {newest}" in results and "DIVERGED" not in results
        assert not app.screen.query_one("#copy", Button).disabled
        await pilot.press("c")
        await until(
            pilot,
            lambda: isinstance(app.screen, (WizardScreen, ErrorModal)),
            timeout=60,
            what="the restore wizard",
        )
        assert isinstance(app.screen, WizardScreen), _errors(app)
        plan = app.screen.plan
        assert plan.kind == "restore"
    copies = list((tmp_path / "state" / "evidence").iterdir())
    assert len(copies) == 1
    copy = copies[0]
    assert str(copy) in str(plan.context) or any(str(copy) in str(s) for s in plan.steps)
    assert copy.read_bytes() == (newest / "member" / "snap" / "db").read_bytes()
    assert copy.stat().st_mode & 0o777 == 0o600
    entry = [r for r in audit.read() if r["action"] == "evidence-copy"]
    assert entry and entry[0]["params"]["chosen"] == str(newest)


async def test_evidence_refuses_to_copy_from_diverged_dirs(
    cluster: Sandbox,
    fresh_cluster: Callable[..., Sandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _old, _newer, newest = await _stopped_dirs(fresh_cluster(1), tmp_path)
    good, odd, good2 = (tmp_path / n for n in ("good", "odd", "good2"))
    for d in (good, odd, good2):
        shutil.copytree(newest, d)
    db = odd / "member" / "snap" / "db"
    db.write_bytes(db.read_bytes().replace(b"value-b-3", b"VALUE-X-3"))
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    app = real_app(cluster.settings(timeout=5), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="members")
        await pilot.press("colon", *f"evidence {good} {odd} {good2}", "enter")
        await until(pilot, lambda: isinstance(app.screen, EvidenceModal), what="the modal")
        modal = app.screen
        await until(pilot, lambda: modal.outcome is not None, timeout=60, what="the evidence")
        assert "DIVERGED" in _text(app, "#results")
        assert "diverged" in _text(app, "#verdict")
        assert app.screen.query_one("#copy", Button).disabled
        await pilot.press("c")
        await pilot.pause(0.3)
        assert app.screen is modal  # nothing was copied, no wizard opened
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, EvidenceModal), what="closed")
    # the copy is what creates the evidence folder: no copy, no folder
    assert not (tmp_path / "state" / "evidence").exists()


async def test_evidence_without_dirs_says_how_to_type_it(cluster: Sandbox, tmp_path: Path) -> None:
    app = real_app(cluster.settings(timeout=5), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="members")
        await pilot.press("colon", *"evidence", "enter")
        await until(pilot, lambda: _errors(app), what="the error")
        assert any(":evidence DIR" in e for e in _errors(app))


def _errors(app: Any) -> list[str]:
    """Error notifications and error dialogs the app is showing, as text."""
    out = [str(n.message) for n in app._notifications]
    if isinstance(app.screen, ErrorModal):
        out.append(" ".join(str(w.render()) for w in app.screen.query(Static)))
    return out


async def test_perf_runs_the_bounded_load_and_deletes_its_keys(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sandbox = fresh_cluster(3)
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = real_app(sandbox.settings(timeout=5), audit)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="members")
        await pilot.press("colon", *"perf", "enter")
        await until(pilot, lambda: isinstance(app.screen, PerfModal), what="the modal")
        run = app.screen.query_one("#run", Button)
        assert run.disabled  # nothing runs before the word is typed
        app.screen.query_one("#confirm", Input).focus()
        await type_text(pilot, "perf")
        await until(pilot, lambda: not run.disabled, what="run enabled by the typed word")
        await pilot.press("enter")
        modal = app.screen
        await until(
            pilot,
            lambda: modal.outcome is not None or isinstance(app.screen, ErrorModal),
            timeout=120,
            what="the load to finish",
        )
        assert isinstance(app.screen, PerfModal)
        results = _text(app, "#results")
        for check in ("throughput", "slowest", "stddev"):
            assert check in results
        assert ("PASS" in _text(app, "#verdict")) != ("FAIL" in _text(app, "#verdict"))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, PerfModal), what="closed")
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        left = await svc.get(PREFIX, PREFIX[:-1] + b"0", keys_only=True)
        assert not left.kvs  # every test key was deleted
    assert any(r["action"] == "check-perf" for r in audit.read())


async def test_perf_is_refused_read_only_and_asks_for_the_context_on_a_protected_one(
    cluster: Sandbox, tmp_path: Path
) -> None:
    settings = dataclasses.replace(cluster.settings(timeout=5), read_only=True)
    app = real_app(settings, AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="members")
        await pilot.press("colon", *"perf", "enter")
        await until(pilot, lambda: _errors(app), what="the refusal")
        assert any("read-only" in e for e in _errors(app))
        assert not isinstance(app.screen, PerfModal)

    protected = dataclasses.replace(cluster.settings(timeout=5), source="kubeadm", context="prod")
    app = real_app(protected, AuditLog(tmp_path / "audit2.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="members")
        await pilot.press("colon", *"perf", "enter")
        await until(pilot, lambda: isinstance(app.screen, PerfModal), what="the modal")
        app.screen.query_one("#confirm", Input).focus()
        await type_text(pilot, "perf")
        typed = app.screen.query_one("#confirm", Input)
        await until(pilot, lambda: typed.value == "perf", what="perf typed")
        await pilot.pause()  # its Changed message handled
        assert app.screen.query_one("#run", Button).disabled  # "perf" is not enough here
        app.screen.query_one("#confirm", Input).value = ""
        await type_text(pilot, "prod")
        run = app.screen.query_one("#run", Button)
        await until(pilot, lambda: not run.disabled, what="run enabled by the context's name")
        await pilot.press("escape")


async def test_perf_with_an_unknown_load_names_the_loads(cluster: Sandbox, tmp_path: Path) -> None:
    app = real_app(cluster.settings(timeout=5), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="members")
        await pilot.press("colon", *"perf huge", "enter")
        await until(pilot, lambda: _errors(app), what="the error")
        text = " ".join(_errors(app))
        assert "huge" in text and ":perf m" in text
        assert not isinstance(app.screen, PerfModal)
