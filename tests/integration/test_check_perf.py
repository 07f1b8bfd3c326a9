"""`etcdtui check perf`: bounded load on loopback, cleaned up, refused where it must be."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.perf import PREFIX
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


async def test_check_perf_runs_a_bounded_load_and_cleans_up(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(1)
    flags = conn_flags(sandbox.settings(timeout=5))
    out = cli(
        *flags, "check", "perf", "--duration", "2", "--rate", "50", "--clients", "5", "-o", "json"
    )
    assert out.returncode in (0, 1), out.stderr  # pass or fail depends on this machine's disk
    doc = json.loads(out.stdout)
    assert doc["passed"] is (out.returncode == 0)
    assert doc["writes_ok"] + doc["writes_failed"] == 100  # bounded: rate x duration
    assert doc["keys_deleted"] == doc["writes_ok"] > 0
    assert {c["name"] for c in doc["checks"]} >= {"throughput", "slowest", "stddev", "wal_fsync"}
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        left = await svc.get(PREFIX, PREFIX[:-1] + b"0", keys_only=True)
        assert left.count == 0
    assert any(r["action"] == "check-perf" for r in AuditLog().read())


def test_check_perf_is_refused_read_only_and_on_protected_contexts(cluster: Sandbox) -> None:
    flags = conn_flags(cluster.settings())
    ro = cli(*flags, "--read-only", "check", "perf", "--duration", "1")
    assert ro.returncode != 0 and "read-only" in ro.stderr
    ro_forced = cli(*flags, "--read-only", "check", "perf", "--duration", "1", "--force")
    assert ro_forced.returncode != 0 and "read-only" in ro_forced.stderr  # never on read-only
    far = ["--endpoints", "https://192.0.2.10:2379", *flags[2:]]
    prot = cli(*far, "check", "perf", "--duration", "1")
    assert prot.returncode != 0 and "--force" in prot.stderr
    bad = cli(*flags, "check", "perf", "--duration", "600")
    assert bad.returncode == 2 and "--duration" in bad.stderr
