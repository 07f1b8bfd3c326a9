"""Console start-up (issue 13): what the first populated members table needs is loaded,
what only an action, a dialog or another pane needs is not. Checked in a fresh
interpreter (the test process has every module loaded already)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, json, sys
from tests.support.screen_apps import fake_app, populate
from etcdtui.ui.widgets.members import MembersTable

async def main():
    app = fake_app("healthy")
    async with app.run_test(size=(120, 40)) as pilot:
        await populate(pilot)
        table = app.screen.query_one(MembersTable)
        assert table.row_count == 3, table.row_count
        print(json.dumps(sorted(sys.modules)))

asyncio.run(main())
"""


def test_the_first_members_table_loads_no_member_change_module(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ETCDTUI_CONFIG_DIR": str(tmp_path / "config"),
        "ETCDTUI_STATE_DIR": str(tmp_path / "state"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr
    mods = set(json.loads(proc.stdout.splitlines()[-1]))
    assert "etcdtui.ui.widgets.members" in mods  # the probe did show the table
    # the member verdicts and plans are needed when a member key is pressed, not before;
    # the audit log when an action is recorded; the consistency check when the sentinel
    # first runs (two refreshes after start-up) or `:check` asks for it
    lazy = {
        "etcdtui.ops.members",
        "etcdtui.ops.member_verdict",
        "etcdtui.ops.audit",
        "etcdtui.services.audit",
        "etcdtui.services.consistency",
    }
    assert not lazy & mods, sorted(lazy & mods)
