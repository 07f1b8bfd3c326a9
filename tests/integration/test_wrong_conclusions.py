"""Issue 11, "wrong conclusions": answers that claimed more than the cluster proved.

* hashkv with no answer is not "consistent";
* member update --peer-urls runs the same what-if as the other member actions;
* inspect and diff warn when the sha256 trailer is wrong or damaged;
* auth and permission errors are their own state, never "quorum lost".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from etcdtui.services.sandbox import Sandbox
from tests.helpers import conn_flags, etcdctl

pytestmark = pytest.mark.etcd


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or dict(os.environ),
        stdin=subprocess.DEVNULL,
    )


# --- 13: hashkv -----------------------------------------------------------------------------


def test_hashkv_with_every_member_failing_is_not_consistent(cluster: Sandbox) -> None:
    flags = conn_flags(cluster.settings())
    res = cli(*flags, "hashkv", "--revision", "999999999", "-o", "json")
    doc = json.loads(res.stdout)
    assert all(m["error"] for m in doc["members"])
    assert doc["consistent"] is False
    assert doc["state"] == "no-answer"
    assert res.returncode == 1
    text = cli(*flags, "hashkv", "--revision", "999999999")
    assert text.returncode == 1
    assert "NOT VERIFIED" in text.stderr


def test_hashkv_healthy_cluster_is_consistent(cluster: Sandbox) -> None:
    res = cli(*conn_flags(cluster.settings()), "hashkv", "-o", "json")
    doc = json.loads(res.stdout)
    assert res.returncode == 0, res.stderr
    assert doc["consistent"] is True and doc["state"] == "consistent"
