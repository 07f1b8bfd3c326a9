"""Each drill on real etcd: the checker fails after the fault, a wrong fix does not
satisfy it, and the reference solution does.

Every drill runs in its own sandbox under the test's state dir; the drill's sandbox
is stopped by PID at the end of each test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from etcdtui.cli import main
from etcdtui.cli.procedure_cmds import run_cli
from etcdtui.ops.drills import runner
from etcdtui.ops.drills.drill import DrillState
from etcdtui.paths import state_dir
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox

pytestmark = [pytest.mark.etcd, pytest.mark.drill]


@pytest.fixture(autouse=True)
def own_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ETCDTUI_CONFIG_DIR", str(tmp_path / "config"))
    try:
        yield
    finally:
        for d in (runner.sandbox_dir(), runner.drills_dir() / "scratch"):
            Sandbox(d).down()


def cli(*argv: str) -> int:
    try:
        return int(main(list(argv)) or 0)
    except SystemExit as exc:
        return int(exc.code or 0)


def failing(state: DrillState) -> set[str]:
    return {r.code for r in runner.check(state) if not r.ok}


def box(state: DrillState) -> str:
    return state.sandbox_dir


def test_member_lost(capsys: pytest.CaptureFixture[str]) -> None:
    state = runner.start("member-lost")
    assert {"voters-healthy", "victim-removed"} <= failing(state)
    # wrong fix: bring up a fourth member instead of replacing the dead one
    assert run_cli(["member", "scale", "5", "--sandbox-dir", box(state), "--execute", "--yes"]) != 0
    assert "victim-removed" in failing(state)
    name = state.facts["victim_name"]
    rc = run_cli(["member", "replace", name, "--sandbox-dir", box(state), "--execute", "--yes"])
    assert rc == 0, capsys.readouterr()
    assert failing(runner.load_state()) == set()
    assert cli("drill", "check") == 0
    report = runner.report(runner.load_state())
    assert report["passed"] and report["finished"]
    assert any(a["action"] for a in report["actions"])  # the replace steps were audited


def test_leader_lost_and_refusal_on_a_real_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    # drills are refused against anything but a sandbox
    rc = cli("--endpoints", "https://127.0.0.1:1", "drill", "start", "leader-lost")
    assert rc != 0
    assert "only on a sandbox" in capsys.readouterr().err
    assert not runner.state_path().exists()

    state = runner.start("leader-lost")
    assert "victim-removed" in failing(state)
    name = state.facts["victim_name"]
    # wrong fix: grow the cluster around the dead member instead of replacing it
    assert run_cli(["member", "scale", "5", "--sandbox-dir", box(state), "--execute", "--yes"]) != 0
    assert "victim-removed" in failing(state)
    rc = run_cli(["member", "replace", name, "--sandbox-dir", box(state), "--execute", "--yes"])
    assert rc == 0, capsys.readouterr()
    assert failing(state) == set()


def test_scale_out(capsys: pytest.CaptureFixture[str]) -> None:
    state = runner.start("scale-out")
    assert failing(state) == {"voters-healthy"}
    # wrong fix: stop at an even size
    argv = ["member", "scale", "4", "--sandbox-dir", box(state), "--execute", "--yes", "--force"]
    assert run_cli(argv) == 0, capsys.readouterr()
    assert "voters-healthy" in failing(state)
    assert run_cli(["member", "scale", "5", "--sandbox-dir", box(state), "--execute", "--yes"]) == 0
    assert failing(state) == set()


def test_wrong_peer_url(capsys: pytest.CaptureFixture[str]) -> None:
    state = runner.start("wrong-peer-url")
    assert {"bad-removed", "no-unstarted", "joined"} <= failing(state)
    # reference: remove the never-started learner by its hex ID, then grow properly
    assert cli("--context", "drill", "member", "remove", state.facts["bad"], "--yes") == 0, (
        capsys.readouterr()
    )
    assert "bad-removed" not in failing(state)
    assert "joined" in failing(state)  # half a fix: the member the colleague wanted is missing
    assert run_cli(["member", "scale", "5", "--sandbox-dir", box(state), "--execute", "--yes"]) == 0
    assert failing(state) == set()


def test_nospace_raising_the_quota_alone_is_not_enough() -> None:
    state = runner.start("nospace")
    assert {"no-alarms", "writes"} <= failing(state)
    sb = Sandbox(Path(box(state)))
    assert sb.state is not None
    # wrong fix: restart every member with a bigger quota; the alarm stays
    sb.down()
    sb.state.quota_bytes = 256 * 1024 * 1024
    sb._save()
    Sandbox(Path(box(state))).up(3)
    assert {"no-alarms", "writes"} <= failing(state)

    async def recover() -> None:  # reference: compact, defragment each member, disarm
        async with ClusterService(runner.drill_settings(state, timeout=10.0)) as svc:
            statuses = [s for s in await svc.statuses() if s.ok]
            await svc.compact(max(s.revision for s in statuses))
            for s in statuses:
                await svc.defragment(s.endpoint)
            await svc.disarm_alarms()

    asyncio.run(recover())
    assert failing(state) == set()


def test_cert_expiring() -> None:
    state = runner.start("cert-expiring")
    assert failing(state) == {"cert"}
    # wrong fix: a renewal that lasts ten days only moves the page to next week
    assert (
        cli("pki", "renew", state.facts["pki_dir"], "--expiring-within", "30d", "--days", "10") == 0
    )
    assert failing(state) == {"cert"}
    assert cli("pki", "renew", state.facts["pki_dir"], "--expiring-within", "30d") == 0
    assert failing(state) == set()
    assert Path(state.facts["client_cert"] + ".bak").exists()  # the old pair is kept


def test_backup_policy(capsys: pytest.CaptureFixture[str]) -> None:
    state = runner.start("backup-policy")
    assert {"backup", "scratch"} <= failing(state)
    backups = Path(state.facts["backups"])
    plain = backups / "plain.db"
    assert cli("--context", "drill", "snapshot", "save", str(plain)) == 0
    assert "backup" in failing(state)  # not encrypted: not good enough
    snap = backups / "etcd-drill.db.age"
    rc = cli(
        "--context",
        "drill",
        "snapshot",
        "save",
        str(snap),
        "--encrypt-to",
        state.facts["recipient"],
    )
    assert rc == 0, capsys.readouterr()
    assert "backup" not in failing(state)
    assert "scratch" in failing(state)
    scratch = state.facts["scratch"]
    assert cli("sandbox", "up", "--dir", scratch, "--context-name", "scratch") == 0
    Sandbox(Path(scratch)).down()
    rc = run_cli(
        [
            "restore",
            str(snap),
            "--identity",
            state.facts["identity"],
            "--sandbox-dir",
            scratch,
            "--execute",
            "--yes",
        ]
    )
    assert rc == 0, capsys.readouterr()
    assert failing(state) == set()


def test_majority_lost_wrong_snapshot_then_right_one(capsys: pytest.CaptureFixture[str]) -> None:
    state = runner.start("majority-lost")
    assert {"voters-healthy", "keys-intact"} <= failing(state)
    sb = Sandbox(Path(box(state)))
    for m in sb.running_members():
        sb.kill(m.name)
    identity = state.facts["identity"]
    # wrong fix: the week-old backup
    argv = ["restore", state.facts["decoy"], "--identity", identity, "--sandbox-dir", box(state)]
    assert run_cli([*argv, "--execute", "--yes"]) == 0, capsys.readouterr()
    assert "keys-intact" in failing(state)
    for m in Sandbox(Path(box(state))).running_members():
        Sandbox(Path(box(state))).kill(m.name)
    argv = ["restore", state.facts["snapshot"], "--identity", identity, "--sandbox-dir", box(state)]
    assert run_cli([*argv, "--execute", "--yes"]) == 0, capsys.readouterr()
    assert failing(state) == set()
    assert state_dir().exists()


def _leader_name(state: DrillState) -> str:
    from etcdtui.cluster_data import EndpointStatus

    async def go() -> str:
        async with ClusterService(runner.drill_settings(state)) as svc:
            statuses: list[EndpointStatus] = [s for s in await svc.statuses() if s.ok]
            members = await svc.members()
        top = max(statuses, key=lambda s: s.raft_term)
        m = members.by_id(top.leader)
        assert m is not None
        return m.name

    return asyncio.run(go())


@pytest.mark.flaky(
    reruns=1,
    reruns_delay=2,
    reason=(
        "the drill starves a member's CPU (a timing fault): the elections it causes depend on"
        " the host's load"
    ),
)
def test_slow_member(capsys: pytest.CaptureFixture[str]) -> None:
    state = runner.start("slow-member")
    assert "victim-removed" in failing(state)
    victim = state.facts["victim_name"]
    # wrong fix: stop the starvation only; the slow member stays in rotation
    assert cli("sandbox", "heal", "--dir", box(state), victim) == 0
    assert "victim-removed" in failing(state)
    # reference: move the leadership away from the starved member, then replace it
    if _leader_name(state) == victim:
        other = next(n for n in ("m1", "m2", "m3") if n != victim)
        assert cli("--context", "drill", "member", "move-leader", other, "--yes") == 0, (
            capsys.readouterr()
        )
    argv = ["member", "replace", victim, "--force", "--sandbox-dir", box(state)]
    assert run_cli([*argv, "--execute", "--yes"]) == 0, capsys.readouterr()
    assert failing(state) == set()


@pytest.mark.flaky(
    reruns=1,
    reruns_delay=2,
    reason=(
        "the drill partitions a member (a timing fault): when the others notice depends on "
        "etcd's timers and the host's load"
    ),
)
def test_partitioned_member() -> None:
    state = runner.start("partitioned-member")
    assert {"voters-healthy", "reachable"} <= failing(state)
    # wrong fix: restart the cut-off member; the network is still broken
    sb = Sandbox(Path(box(state)))
    sb.stop_member(state.facts["victim_name"])
    with contextlib.suppress(Exception):  # it starts, but cannot reach its peers
        sb.start(state.facts["victim_name"], wait=5)
    assert "reachable" in failing(state)
    assert cli("sandbox", "heal", "--dir", box(state), state.facts["victim_name"]) == 0

    from tests.support.helpers import wait_for

    wait_for(lambda: not failing(state), timeout=30, what="the healed member to catch up")


def _manual_upgrade(state: DrillState, order: list[str]) -> None:
    sb = Sandbox(Path(box(state)))
    for name in order:
        sb.stop_member(name)
        sb.set_member_binary(name, Path(state.facts["target_binary"]))
        sb.start(name)
        sb.settle()


def test_upgrade_leader_first_fails_then_leader_last_passes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = runner.start("upgrade")
    assert {"versions", "backup-first"} <= failing(state)
    backup = Path(state.facts["backups"]) / "pre-upgrade.db"
    assert cli("--context", "drill", "snapshot", "save", str(backup)) == 0
    # wrong fix: the leader first, then the others
    leader = _leader_name(state)
    _manual_upgrade(state, [leader, *(n for n in ("m1", "m2", "m3") if n != leader)])
    assert "leader-last" in failing(state)

    state = runner.reset()
    backup = Path(state.facts["backups"]) / "pre-upgrade.db"
    rc = cli(
        "--context",
        "drill",
        "plan",
        "upgrade",
        "--to",
        state.facts["target"],
        "--backup",
        str(backup),
        "--execute",
        "--yes",
        "--sandbox-dir",
        box(state),
        "--etcd-binary",
        state.facts["target_binary"],
    )
    assert rc == 0, capsys.readouterr()
    assert failing(state) == set()
