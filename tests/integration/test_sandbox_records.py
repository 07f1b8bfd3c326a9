"""Issue 11, smaller items and item 18: the sandbox's own records follow the cluster.

* a member removed behind the sandbox's back (console, etcdctl, rollback) no longer
  makes `sandbox up` fail with "exited during start-up";
* the registered sandbox context follows membership changes;
* `etcdtui --sandbox` writes the context `sandbox status` tells the operator to use (the
  console test: tests/console_etcd/test_console_sandbox_context.py);
* re-running a restore that stopped half way refuses to guess the members from the
  records and points at --resume; the records were reconciled with the cluster first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.config import load_config
from etcdtui.services.executor import load_state
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags, etcdctl

pytestmark = pytest.mark.etcd


def cli(*args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ETCDTUI_TEST_CRASH_AT"}
    if crash_at:
        env["ETCDTUI_TEST_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def remove_behind_the_sandbox(sb: Sandbox, name: str) -> None:
    """`member remove` as the console or etcdctl does it: the sandbox is not told."""
    sb.settle()  # etcd refuses membership changes for 5 s after a start
    lead = cli(*conn_flags(sb.settings()), "member", "move-leader", "m1", "--yes")
    assert lead.returncode == 0, lead.stderr  # the victim is a follower: a clean remove
    res = None
    for _attempt in range(8):  # the new leader also waits 5 s before it reconfigures
        res = cli(*conn_flags(sb.settings()), "member", "remove", name, "--yes")
        if res.returncode == 0 or "unhealthy cluster" not in res.stderr:
            break
        time.sleep(1.5)
    assert res is not None and res.returncode == 0, res.stderr if res else ""


def test_sandbox_up_after_a_removal_outside_the_sandbox(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sb = fresh_cluster(3)
    up = cli("sandbox", "up", "--dir", str(sb.dir))  # registers the "sandbox" context
    assert up.returncode == 0, up.stderr
    assert sb.state is not None
    m3_url = sb.client_url(sb.state.member("m3"))
    assert m3_url in load_config().contexts["sandbox"].endpoints
    remove_behind_the_sandbox(sb, "m3")
    down = cli("sandbox", "down", "--dir", str(sb.dir))
    assert down.returncode == 0
    up = cli("sandbox", "up", "--dir", str(sb.dir))
    # two voters tolerate no failure: `sandbox up` reports at-risk with exit 1
    assert "exited during start-up" not in up.stderr
    assert "quorum: at-risk (2/2 healthy" in up.stdout, up.stdout + up.stderr
    assert "permanently removed" in up.stderr
    again = Sandbox(sb.dir)
    assert again.state is not None and again.state.member("m3").removed
    assert m3_url not in load_config().contexts["sandbox"].endpoints
    assert len(load_config().contexts["sandbox"].endpoints) == 2


def test_rerunning_a_stopped_restore_points_to_resume(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = fresh_cluster(3)
    etcdctl(sb, "put", "kept", "yes")
    assert sb.state is not None
    # removed behind the sandbox's back: its record drifts
    remove_behind_the_sandbox(sb, "m3")
    snap = tmp_path / "snap.db"
    etcdctl(sb, "snapshot", "save", str(snap), endpoints=[sb.settings().endpoints[0]])
    args = ["restore", str(snap), "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    first = cli(*args, "--acknowledge-risks", crash_at="restore-m1:during")
    assert first.returncode == -signal.SIGKILL, first.stdout[-2000:] + first.stderr[-2000:]
    records = Sandbox(sb.dir)
    assert records.state is not None and records.state.member("m3").removed
    rerun = cli(*args, "--acknowledge-risks")
    assert rerun.returncode == 2, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert "--resume" in rerun.stderr
    plan_id = rerun.stderr.split("--resume ")[1].split()[0]
    assert load_state(plan_id)["plan"]["kind"] == "restore"
    done = cli("restore", "--sandbox-dir", str(sb.dir), "--execute", "--yes", "--resume", plan_id)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    doc = etcdctl(Sandbox(sb.dir), "member", "list").stdout
    assert sorted(line.split(", ")[2] for line in doc.splitlines()) == ["m1", "m2"]
    assert etcdctl(Sandbox(sb.dir), "get", "kept", "--print-value-only").stdout.strip() == "yes"


def test_the_sandbox_context_follows_a_scale(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = fresh_cluster(1)
    monkeypatch.setenv("ETCDTUI_CONFIG_DIR", str(tmp_path / "config"))
    own = tmp_path / "config" / "config.yaml"  # the operator's file, with comments
    own.parent.mkdir()
    own.write_text("# mine: keep this comment\nui:\n  theme: etcdtui-dark   # dark\n")
    before = own.read_bytes()
    cli("sandbox", "up", "--dir", str(sb.dir))  # registers the context (1 voter: exit 1)
    assert len(load_config().contexts["sandbox"].endpoints) == 1
    sb.settle()
    res = cli("member", "scale", "3", "--sandbox-dir", str(sb.dir), "--execute", "--yes")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    now = Sandbox(sb.dir)
    assert set(load_config().contexts["sandbox"].endpoints) == set(now.settings().endpoints)
    assert len(now.settings().endpoints) == 3
    assert own.read_bytes() == before  # sandbox up and the scale left it byte for byte
