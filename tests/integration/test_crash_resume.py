"""Resume after a crash (issue 11, items 16-19): every executor step is safe to run again.

The wizard runs as a child process; ``ETCDTUI_TEST_CRASH_AT=STEP:WHERE`` makes it SIGKILL
itself before a step, right after the step was recorded as started, or right after the
step did its work but before that was recorded. Each run is resumed with the next kill
point, so one cluster passes through several crashes; at the end the cluster must be
healthy with every key.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services.executor import load_state
from etcdtui.services.sandbox import Sandbox
from tests.support.crash_helpers import (
    KEYS,
    crash_chain,
    healthy_voters,
    key_count,
    newest_plan,
    wizard,
    write_keys,
)
from tests.support.helpers import etcdctl

pytestmark = [pytest.mark.etcd, pytest.mark.slow]


def test_replace_survives_kills_at_its_step_boundaries(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sb = fresh_cluster(3)
    write_keys(sb)
    sb.kill("m2")
    base = ["member", "replace", "m2", "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    resume = ["member", "replace", "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    plan_id = crash_chain(
        base,
        resume,
        "replace",
        [
            "remove:after",  # removed, not recorded: the resume must not refuse
            "add-learner:after",  # learner added, its ID not recorded
            "start:after",  # learner started: the resume must not restart it
            "catch-up:during",
        ],
    )
    state = load_state(plan_id)
    assert state["results"]["start"].get("adopted") is True
    sb2 = Sandbox(sb.dir)
    assert sb2.state is not None
    alive = [m for m in sb2.state.members if not m.removed]
    assert sorted(m.name for m in alive) == ["m1", "m2", "m3"]
    assert len(healthy_voters(sb2)) == 3
    for m in alive:
        assert key_count(sb2, sb2.client_url(m)) == KEYS
    doc = json.loads(etcdctl(sb2, "member", "list", "-w", "json").stdout)
    assert len(doc["members"]) == 3 and not any(m.get("isLearner") for m in doc["members"])


def test_replace_restarts_a_stopped_learner_from_its_own_data(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sb = fresh_cluster(3)
    write_keys(sb)
    sb.kill("m3")

    def learner_dies_too() -> None:  # the new member's host rebooted with the operator's
        Sandbox(sb.dir).kill("m3")

    base = ["member", "replace", "m3", "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    resume = ["member", "replace", "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    crash_chain(base, resume, "replace", ["start:after"], after={"start:after": learner_dies_too})
    sb2 = Sandbox(sb.dir)
    assert len(healthy_voters(sb2)) == 3
    assert not list(sb2.data_dir("m3").parent.glob("m3.aside-*"))[1:]  # one: the old member's
    assert sb2.state is not None
    for m in sb2.state.members:
        if not m.removed:
            assert key_count(sb2, sb2.client_url(m)) == KEYS


def test_restore_survives_kills_and_its_own_half_written_dir(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = fresh_cluster(3)
    write_keys(sb)
    snap = tmp_path / "snap.db"
    etcdctl(sb, "snapshot", "save", str(snap), endpoints=[sb.settings().endpoints[0]])
    etcdctl(sb, "put", "after-snapshot", "x")
    base = ["restore", str(snap), "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    base.append("--acknowledge-risks")  # the cluster is healthy when the restore starts
    resume = ["restore", "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    res = wizard(base, "move-aside-m2:after")
    assert res.returncode == -signal.SIGKILL, res.stdout[-3000:] + res.stderr[-3000:]
    plan_id = newest_plan("restore")
    res = wizard([*resume, "--resume", plan_id], "restore-m1:during")
    assert res.returncode == -signal.SIGKILL, res.stdout[-3000:] + res.stderr[-3000:]
    # etcdutl was cut off half way: what it leaves is a dir with an incomplete member/
    half = sb.data_dir("m1") / "member" / "snap"
    half.mkdir(parents=True)
    (half / "db").write_bytes(b"\0" * 4096)
    res = wizard([*resume, "--resume", plan_id], "start-m2:after")
    assert res.returncode == -signal.SIGKILL, res.stdout[-3000:] + res.stderr[-3000:]
    res = wizard([*resume, "--resume", plan_id], None)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert load_state(plan_id)["status"] == "done"
    sb2 = Sandbox(sb.dir)
    assert len(healthy_voters(sb2)) == 3
    assert sb2.state is not None
    for m in sb2.state.members:
        assert key_count(sb2, sb2.client_url(m)) == KEYS
    assert etcdctl(sb2, "get", "after-snapshot").stdout.strip() == ""
    kept = list(sb2.data_dir("m1").parent.glob("m1.partial-*"))
    assert len(kept) == 1 and (kept[0] / "member" / "snap" / "db").read_bytes() == b"\0" * 4096


def test_resume_honours_a_new_start_timeout(fresh_cluster: Callable[..., Sandbox]) -> None:
    sb = fresh_cluster(3)
    sb.kill("m3")
    base = ["member", "replace", "m3", "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    res = wizard([*base, "--start-timeout", "5"], "start:before")
    assert res.returncode == -signal.SIGKILL
    plan_id = newest_plan("replace")
    before = load_state(plan_id)["plan"]["steps"]
    start = next(s for s in before if s["id"] == "start")
    assert start["check"]["params"]["timeout"] == 5
    res = wizard(
        [
            "member",
            "replace",
            "--sandbox-dir",
            str(sb.dir),
            "--execute",
            "--yes",
            "--start-timeout",
            "77",
            "--resume",
            plan_id,
        ],
        "start:during",
    )
    assert res.returncode == -signal.SIGKILL
    steps = load_state(plan_id)["plan"]["steps"]
    start = next(s for s in steps if s["id"] == "start")
    catch = next(s for s in steps if s["id"] == "catch-up")
    assert start["check"]["params"]["timeout"] == 77
    assert catch["params"]["timeout"] == 77
    res = wizard(
        [
            "member",
            "replace",
            "--sandbox-dir",
            str(sb.dir),
            "--execute",
            "--yes",
            "--resume",
            plan_id,
        ],
        None,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def test_a_second_wizard_on_the_same_cluster_is_refused_naming_the_holder(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    from etcdtui.services.cluster_lock import ClusterLock, lock_keys

    sb = fresh_cluster(3)
    sb.kill("m3")
    holder = {"plan": "replace-holder1", "kind": "replace", "pid": 4242, "user": "alice"}
    lock = ClusterLock(lock_keys(sb.settings(), None), holder)
    lock.acquire()
    try:
        res = wizard(
            ["member", "replace", "m3", "--sandbox-dir", str(sb.dir), "--execute", "--yes"], None
        )
    finally:
        lock.release()
    assert res.returncode == 2, res.stdout[-2000:] + res.stderr[-2000:]
    assert "replace-holder1" in res.stderr and "4242" in res.stderr and "alice" in res.stderr
    assert "No member has ID" not in res.stderr
    doc = json.loads(etcdctl(sb, "member", "list", "-w", "json").stdout)
    assert len(doc["members"]) == 3  # the refused wizard changed nothing
    # the lock went with its holder: the same wizard now runs to the end
    res = wizard(
        ["member", "replace", "m3", "--sandbox-dir", str(sb.dir), "--execute", "--yes"], None
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert len(healthy_voters(Sandbox(sb.dir))) == 3


def _step_ids(args: list[str]) -> list[str]:
    """The ids of the steps etcdtui runs itself on the sandbox, from the plan's JSON
    runbook (the same plan --execute runs); kube-apiserver steps are the operator's."""
    res = wizard([*args, "-o", "json"], None)
    assert res.returncode == 0, res.stderr[-2000:]
    steps = json.loads(res.stdout)["steps"]
    return [s["id"] for s in steps if s["where"]["kind"] != "apiserver-hosts"]


LONG_STEPS = ("catch-up", "start")  # killed inside as well as after


def test_replace_survives_a_kill_after_every_step(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    """One cluster, one replace, killed once after every step's work (before it was
    recorded) and inside the long ones; each run resumes the previous one."""
    sb = fresh_cluster(3)
    write_keys(sb)
    sb.kill("m2")
    plan = ["member", "replace", "m2", "--sandbox-dir", str(sb.dir)]
    ids = _step_ids(plan)
    points = []
    for sid in ids[:-1]:  # after the last step there is nothing left to resume
        if sid in LONG_STEPS:
            points.append(f"{sid}:during")
        points.append(f"{sid}:after")
    resume = ["member", "replace", "--sandbox-dir", str(sb.dir), "--execute", "--yes"]
    crash_chain([*plan, "--execute", "--yes"], resume, "replace", points)
    sb2 = Sandbox(sb.dir)
    assert sb2.state is not None
    alive = [m for m in sb2.state.members if not m.removed]
    assert sorted(m.name for m in alive) == ["m1", "m2", "m3"]
    assert len(healthy_voters(sb2)) == 3
    for m in alive:
        assert key_count(sb2, sb2.client_url(m)) == KEYS


def test_restore_survives_a_kill_after_every_step(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = fresh_cluster(3)
    write_keys(sb)
    snap = tmp_path / "snap.db"
    etcdctl(sb, "snapshot", "save", str(snap), endpoints=[sb.settings().endpoints[0]])
    etcdctl(sb, "put", "after-snapshot", "x")
    plan = ["restore", str(snap), "--sandbox-dir", str(sb.dir)]
    ids = _step_ids(plan)
    points = []
    for sid in ids[:-1]:
        if sid.startswith("restore-"):
            points.append(f"{sid}:during")
        points.append(f"{sid}:after")
    # killed right after the acknowledgement, a resume asks for it again: the flag again
    resume = ["restore", "--sandbox-dir", str(sb.dir), "--execute", "--yes", "--acknowledge-risks"]
    first = [*plan, "--execute", "--yes", "--acknowledge-risks"]
    crash_chain(first, resume, "restore", points)
    sb2 = Sandbox(sb.dir)
    assert len(healthy_voters(sb2)) == 3
    assert sb2.state is not None
    for m in sb2.state.members:
        if not m.removed:
            assert key_count(sb2, sb2.client_url(m)) == KEYS
    assert etcdctl(sb2, "get", "after-snapshot").stdout.strip() == ""
