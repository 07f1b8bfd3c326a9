"""`etcdtui member add/promote/update/move-leader/remove` end to end on real etcd (client
and peer mTLS), each answer checked by asking etcd itself (etcdctl), plus the CLI's own
guards: typed confirmation, --read-only, and a member add right after the members start
(etcd answers "unhealthy cluster" for a few seconds; etcdtui.ops.members retries within
its deadline)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from etcdtui.services.audit import AuditLog
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags, etcdctl, wait_for

pytestmark = pytest.mark.etcd


def cli(
    sb: Sandbox, *args: str, state: Path | None = None, stdin: Any = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if state is not None:
        env["ETCDTUI_STATE_DIR"] = str(state)
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *conn_flags(sb.settings()), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        stdin=stdin,
    )


def cli_typing(
    sb: Sandbox, answer: str, *args: str, state: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a terminal on standard input, and type ``answer`` into it."""
    master, slave = pty.openpty()
    try:
        os.write(master, (answer + "\n").encode())
        return cli(sb, *args, state=state, stdin=slave)
    finally:
        os.close(slave)
        os.close(master)


def _ask(sb: Sandbox, *args: str) -> Any:
    """etcdctl's JSON answer; an election after a leader change or a removal makes etcdctl
    fail for a moment, so that is waited out (bounded)."""

    def once() -> Any:
        res = etcdctl(sb, *args, "-w", "json", check=False)
        return json.loads(res.stdout) if res.returncode == 0 else None

    return wait_for(once, timeout=30, what=f"etcdctl {' '.join(args)}")


def etcd_members(sb: Sandbox) -> dict[str, dict[str, Any]]:
    """etcd's own member list: name (or peer URL while unstarted) -> member."""
    doc = _ask(sb, "member", "list")
    return {m.get("name") or m["peerURLs"][0]: m for m in doc["members"]}


def etcd_leader(sb: Sandbox) -> int:
    """The leader every member names (etcd's endpoint status of the whole cluster)."""

    def agreed() -> int | None:
        doc = _ask(sb, "endpoint", "status", "--cluster")
        leaders = {e["Status"]["leader"] for e in doc}
        return int(leaders.pop()) if len(leaders) == 1 and 0 not in leaders else None

    return wait_for(agreed, timeout=30, what="one leader named by every member")


def test_member_add_right_after_the_members_start(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """No settle(): etcd answers "unhealthy cluster" until its peers have been connected
    for 5 s. The CLI used to fail there; now it re-checks and resends within its deadline."""
    sb = fresh_cluster(3)
    new = sb.new_member("m4")
    res = cli(sb, "member", "add", "m4", "--peer-urls", new.peer_url, "-o", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["member"]["is_learner"] is True
    members = etcd_members(sb)
    assert new.peer_url in members and members[new.peer_url].get("isLearner") is True


def test_member_commands_end_to_end(fresh_cluster: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = fresh_cluster(3)
    sb.settle()
    state = tmp_path / "state"
    assert sb.state is not None
    new = sb.new_member("m4")

    # add: a learner, with the flags to start it
    res = cli(sb, "member", "add", "m4", "--peer-urls", new.peer_url, state=state)
    assert res.returncode == 0, res.stderr
    assert "ETCD_INITIAL_CLUSTER_STATE=existing" in res.stdout
    initial = next(
        line.split("=", 1)[1].strip('"')
        for line in res.stdout.splitlines()
        if line.strip().startswith("ETCD_INITIAL_CLUSTER=")
    )
    for m in sb.state.members:
        assert f"{m.name}={m.peer_url}" in initial
    assert initial.endswith(f"m4={new.peer_url}")

    def knows_m4(ep: str) -> bool:
        return new.peer_url in etcdctl(sb, "member", "list", endpoints=[ep]).stdout

    for ep in sb.settings().endpoints:  # a joining member asks any peer for the list
        wait_for(lambda: knows_m4(ep), what=f"{ep} to apply the add")  # noqa: B023
    sb.join(new, initial)

    # promote: etcd reports it a voter
    res = cli(sb, "member", "promote", "m4", state=state)
    assert res.returncode == 0, res.stderr
    assert etcd_members(sb)["m4"].get("isLearner", False) is False

    # update peer URLs: etcd reports the new one (the same listener, spelled localhost)
    alias = f"https://localhost:{new.peer_port}"
    res = cli(sb, "member", "update", "m4", "--peer-urls", alias, "--yes", state=state)
    assert res.returncode == 0, res.stderr
    assert etcd_members(sb)["m4"]["peerURLs"] == [alias]

    # move-leader: etcd names m4 the leader
    sb.wait_healthy()
    m4_id = int(etcd_members(sb)["m4"]["ID"])
    res = cli(sb, "member", "move-leader", "m4", "--yes", state=state)
    assert res.returncode == 0, res.stderr
    assert etcd_leader(sb) == m4_id

    # remove the leader m4: refused without --yes (no terminal to type its name) ...
    res = cli(sb, "member", "remove", "m4", state=state)
    assert res.returncode != 0 and "not a terminal" in res.stderr
    assert "m4" in etcd_members(sb)
    # ... and done with it
    res = cli(sb, "member", "remove", "m4", "--yes", "-o", "json", state=state)
    assert res.returncode == 0, res.stderr
    sb.mark_removed("m4")
    assert sorted(etcd_members(sb)) == ["m1", "m2", "m3"]
    assert etcd_leader(sb) != m4_id

    done = [r["action"] for r in AuditLog(state / "audit.jsonl").read() if r["ok"]]
    assert done == ["member-add", "member-promote", "member-update", "move-leader", "member-remove"]


def test_typed_confirmation_and_read_only(cluster: Sandbox, tmp_path: Path) -> None:
    """Nothing changes on the shared cluster: every attempt here is refused."""
    before = etcd_members(cluster)
    leader = etcd_leader(cluster)
    follower = next(n for n, m in before.items() if int(m["ID"]) != leader)
    state = tmp_path / "state"

    # the wrong name typed at the prompt: refused, nothing sent
    res = cli_typing(cluster, "not-" + follower, "member", "remove", follower)
    assert res.returncode != 0
    assert "nothing was changed" in res.stderr and "Traceback" not in res.stderr
    res = cli_typing(cluster, "nope", "member", "move-leader", follower)
    assert res.returncode != 0 and "nothing was changed" in res.stderr
    assert etcd_members(cluster) == before
    assert etcd_leader(cluster) == leader

    # --read-only: refused before dialling, exit 2, in the CLI's words
    new_url = "https://127.0.0.1:1"
    audit_path = state / "audit.jsonl"
    audited = AuditLog(audit_path).read()  # [] when there is no log yet
    for args in (
        ("member", "remove", follower, "--yes"),
        ("member", "add", "m9", "--peer-urls", new_url),
        ("member", "update", follower, "--peer-urls", new_url, "--yes"),
        ("member", "move-leader", follower, "--yes"),
        ("member", "promote", follower),
    ):
        res = cli(cluster, "--read-only", *args, state=state)
        assert res.returncode == 2, (args, res.stderr)
        assert "read-only" in res.stderr
    assert etcd_members(cluster) == before
    assert etcd_leader(cluster) == leader
    # nothing was sent, so nothing new is in the audit log
    assert AuditLog(audit_path).read() == audited


def test_refusal_is_audited_and_names_the_cause(cluster: Sandbox, tmp_path: Path) -> None:
    """Removing the only-learner-less member twice over? No: promote a voter. etcd would
    refuse it; etcdtui does not send it, says why, and records the refusal."""
    state = tmp_path / "state"
    res = cli(cluster, "member", "promote", "m1", state=state)
    assert res.returncode != 0
    assert "already a voting member" in res.stderr
    assert "can only promote a learner member" in res.stderr  # etcd's own words
    [rec] = AuditLog(state / "audit.jsonl").read()
    assert rec["action"] == "member-promote" and not rec["ok"]
    assert rec["params"]["sent"] is False and rec["error"]["code"] == "not-learner"


def test_typed_confirmation_accepts_the_right_name(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """The other half of the prompt: the member's name typed at the terminal (no --yes)
    sends the change; etcd names that member the leader, and the audit log has it."""
    sb = fresh_cluster(3)
    sb.settle()
    leader = etcd_leader(sb)
    follower, member = next((n, m) for n, m in etcd_members(sb).items() if int(m["ID"]) != leader)
    state = tmp_path / "state"
    res = cli_typing(sb, follower, "member", "move-leader", follower, state=state)
    assert res.returncode == 0, res.stderr
    assert etcd_leader(sb) == int(member["ID"])
    done = [r["action"] for r in AuditLog(state / "audit.jsonl").read() if r["ok"]]
    assert done == ["move-leader"]
