"""The fault verbs by hand: `etcdtui sandbox partition|heal|starve`, `status -o json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from etcdtui.services.sandbox import Sandbox
from tests.support.faults import processes_mentioning


def sandbox_cli(sb: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", "sandbox", *args, "--dir", str(sb.dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )


def _status(sb: Sandbox) -> dict[str, object]:
    proc = sandbox_cli(sb, "status", "-o", "json")
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


@pytest.mark.flaky(
    reruns=1,
    reruns_delay=2,
    reason=(
        "partition and CPU starvation act through etcd's election and heartbeat timers; a "
        "loaded CI host shifts them"
    ),
)
def test_partition_heal_starve_by_hand(faulty: Callable[..., Sandbox]) -> None:
    sb = faulty(3)
    doc = _status(sb)
    assert doc["fault_proxy"] is True and doc["fault_proxy_running"] is True
    assert doc["faults"] == []
    # every member advertises its proxy port and listens on its own
    for m in sb.state.members:  # type: ignore[union-attr]
        assert m.proxy_port and m.peer_url.endswith(f":{m.proxy_port}")
        assert m.listen_peer_url.endswith(f":{m.peer_port}")

    proc = sandbox_cli(sb, "partition", "m2", "--from", "m1", "--mode", "delay=200")
    assert proc.returncode == 0, proc.stderr
    assert "m2" in proc.stdout and "m1" in proc.stdout
    proc = sandbox_cli(sb, "partition", "m3", "--mode", "blackhole")
    assert proc.returncode == 0, proc.stderr
    faults = _status(sb)["faults"]
    assert [(f["member"], f["from"], f["mode"]) for f in faults] == [  # type: ignore[union-attr,index]
        ("m2", "m1", "delay=200"),
        ("m3", None, "blackhole"),
    ]
    # heal one member: only its faults end
    proc = sandbox_cli(sb, "heal", "m3")
    assert proc.returncode == 0 and "m3" in proc.stdout
    assert [f["member"] for f in _status(sb)["faults"]] == ["m2"]  # type: ignore[union-attr,index]

    proc = sandbox_cli(sb, "starve", "m1", "--duty", "0.5", "--period", "0.4", "--for", "30")
    assert proc.returncode == 0, proc.stderr
    # pauses of 0.2 s cannot be sure of an election: said, in the flags' words
    assert "0.2 s, less than twice the election timeout (2.0 s)" in proc.stderr
    assert "--period" in proc.stderr
    starved = [f for f in _status(sb)["faults"] if f["kind"] == "starve"]  # type: ignore[union-attr,index]
    assert len(starved) == 1 and starved[0]["member"] == "m1"
    starver = int(starved[0]["pid"])
    assert processes_mentioning("etcdtui.services.sandbox_starve")
    proc = sandbox_cli(sb, "heal")
    assert proc.returncode == 0
    assert _status(sb)["faults"] == []
    assert not os.path.exists(f"/proc/{starver}") or "Z" in open(f"/proc/{starver}/stat").read()
    assert not sb.is_paused(sb.state.member("m1"))  # type: ignore[union-attr]
    # the cluster is whole again
    sb.wait_healthy(timeout=30)

    # bad input: exit 2 and a message naming the flag
    bad = sandbox_cli(sb, "partition", "m2", "--mode", "slow")
    assert bad.returncode == 2
    assert "--mode" in bad.stderr and "delay=MS" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad = sandbox_cli(sb, "partition", "m9", "--mode", "drop")
    assert bad.returncode != 0 and "m9" in bad.stderr and "Traceback" not in bad.stderr
    bad = sandbox_cli(sb, "starve", "m2", "--duty", "1.5")
    assert bad.returncode == 2 and "--duty" in bad.stderr

    # down stops the proxy by PID
    proxy_pid = sb.state.proxy_pid  # type: ignore[union-attr]
    sb.down()
    assert proxy_pid and not processes_mentioning(f"sandbox_proxy {sb.dir}")


def test_partition_without_the_proxy_is_refused_clearly(faulty: Callable[..., Sandbox]) -> None:
    sb = faulty(1, fault_proxy=False)
    proc = sandbox_cli(sb, "partition", "m1", "--mode", "drop")
    assert proc.returncode != 0
    assert "fault proxy" in proc.stderr and "--fault-proxy" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _status(sb)["faults"] == []
