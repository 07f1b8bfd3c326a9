"""Audit completeness (issue 12, item 13): snapshot saves (plain, encrypted, refused),
prunes and wizard steps reach the audit log like member actions do. Real etcd, mTLS;
the CLI runs as a separate process, as an operator would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from etcdtui.services.audit import AuditLog
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd


def cli(sb: Sandbox, *args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ETCDTUI_STATE_DIR": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *conn_flags(sb.settings()), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def records(state: Path, action: str) -> list[dict[str, Any]]:
    return [r for r in AuditLog(state / "audit.jsonl").read() if r["action"] == action]


def test_snapshot_saves_and_prunes_are_audited(cluster: Sandbox, tmp_path: Path) -> None:
    state = tmp_path / "state"
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    first, second = snaps / "one.db", snaps / "two.db"

    done = cli(cluster, "snapshot", "save", str(first), state=state)
    assert done.returncode == 0, done.stderr
    sidecar = json.loads((snaps / "one.db.json").read_text())
    [rec] = records(state, "snapshot-save")
    assert rec["ok"] and rec["params"]["path"] == str(first)
    assert rec["result"]["sha256"] == sidecar["sha256"]
    assert rec["cluster_id"] and rec["user"]

    # encrypted with a passphrase: audited, the passphrase never
    pw = tmp_path / "pw"
    pw.write_text("audit-must-not-see-this\n")
    pw.chmod(0o600)
    done = cli(cluster, "snapshot", "save", str(second), "--passphrase-file", str(pw), state=state)
    assert done.returncode == 0, done.stderr
    saves = records(state, "snapshot-save")
    assert len(saves) == 2 and saves[1]["params"]["encrypted"] is True
    assert "audit-must-not-see-this" not in (state / "audit.jsonl").read_text()

    # refused (the file exists): audited as a failure
    done = cli(cluster, "snapshot", "save", str(first), state=state)
    assert done.returncode != 0
    failed = records(state, "snapshot-save")[-1]
    assert not failed["ok"] and failed["error"]["code"]

    # prune keeps the newest; the deletion is audited with the files it removed
    done = cli(cluster, "snapshot", "prune", str(snaps), "--keep", "1", "--yes", state=state)
    assert done.returncode == 0, done.stderr
    [prune] = records(state, "snapshot-prune")
    assert prune["ok"] and prune["params"]["files"] == ["one.db"]
    assert str(first) in prune["result"]["deleted"]
    assert not first.exists() and second.exists()
