"""The console's wizards use the evidence read this session (`:evidence DIR...`): `:replace`
without a name plans the replacement of the member whose data diverged, and `r` in the
evidence window plans the rebuild, refused (with the reason) while quorum holds. Real
etcd with mTLS."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.errors import ErrorModal
from etcdtui.ui.screens.checks_modal import EvidenceModal
from tests.support.pilot_helpers import real_app, until

pytestmark = pytest.mark.etcd

ORIGINAL = b"original-payload-0123456789"
TAMPERED = b"TAMPERED-payload-0123456789"


def _errors(app: Any) -> list[str]:
    out = [str(n.message) for n in app._notifications]
    if isinstance(app.screen, ErrorModal):
        out.append(" ".join(str(w.render()) for w in app.screen.query(Static)))
    return out


async def _diverged(sandbox: Sandbox) -> str:
    """Change one member's db behind etcd's back; the others move on. Its name."""
    assert sandbox.state is not None
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        await svc.put(b"/payload", ORIGINAL)
        for i in range(10):
            await svc.put(f"/other/{i}".encode(), b"x")
    victim = sandbox.state.members[2].name
    sandbox.stop_member(victim)
    db = sandbox.data_dir(victim) / "member" / "snap" / "db"
    db.write_bytes(db.read_bytes().replace(ORIGINAL, TAMPERED))
    sandbox.start(victim)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        await svc.put(b"/later", b"y")
    return victim


async def test_session_evidence_guides_replace_and_rebuild(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from etcdtui.ui.wizard import WizardScreen

    sandbox = fresh_cluster(3)
    victim = await _diverged(sandbox)
    assert sandbox.state is not None
    dirs = " ".join(str(sandbox.data_dir(m.name)) for m in sandbox.state.members)
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    app = real_app(sandbox.settings(timeout=5), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="members")
        assert app.evidence_dirs == ()
        await pilot.press("colon", *f"evidence {dirs}", "enter")
        await until(pilot, lambda: isinstance(app.screen, EvidenceModal), what="the modal")
        modal = app.screen
        await until(pilot, lambda: modal.outcome is not None, timeout=60, what="the evidence")
        assert len(app.evidence_dirs) == 3

        # r: the rebuild is refused while quorum holds, and says to replace instead
        await pilot.press("r")
        await until(pilot, lambda: any("quorum" in e for e in _errors(app)), what="refusal")
        assert any("still has quorum" in e for e in _errors(app)), _errors(app)
        assert not isinstance(app.screen, WizardScreen)
        if isinstance(app.screen, ErrorModal):
            await pilot.press("escape")

        # :replace with no name: the evidence picks the member whose data diverged
        await pilot.press("colon", *"replace", "enter")
        await until(
            pilot,
            lambda: isinstance(app.screen, (WizardScreen, ErrorModal)),
            timeout=60,
            what="the replace wizard",
        )
        assert isinstance(app.screen, WizardScreen), _errors(app)
        plan = app.screen.plan
        assert plan.kind == "replace" and plan.context["member"]["name"] == victim
        assert "diverged" in plan.summary[0]
        assert any(line.startswith("Evidence: ") for line in plan.summary)
