"""`status -o json` carries each member's /metrics, scraped over mTLS. Real etcd."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services.cluster import ClusterService
from etcdtui.services.metrics import scrape_all
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd

QUOTA = 16 * 1024 * 1024


def status_json(sandbox: Sandbox) -> tuple[int, dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-m", "etcdtui", *conn_flags(sandbox.settings()), "status", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, json.loads(proc.stdout)


async def test_status_json_shows_the_real_quota_and_metrics(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(3, quota_bytes=QUOTA)
    code, doc = status_json(sandbox)
    assert code == 0
    endpoints = doc["endpoints"]
    assert isinstance(endpoints, list) and len(endpoints) == 3
    for e in endpoints:
        m = e["metrics"]
        assert m["ok"], m
        assert m["quota_backend_bytes"] == QUOTA  # not the 2 GiB default
        assert m["db_total_size_bytes"] > 0 and m["db_in_use_bytes"] > 0
        assert 0 < m["db_quota_usage"] < 1
        assert m["has_leader"] is True
        assert m["leader_changes_seen_total"] >= 1
        assert m["proposals_failed_total"] == 0
        # status's own alarm list is a raft proposal (etcd's Alarm RPC goes through raft),
        # read beside the scrapes: it may be the one proposal in flight at the leader.
        assert m["proposals_pending"] in (0, 1)
        assert m["proposals_applied_total"] > 0
        assert m["wal_fsync_p99_seconds"] is not None
        assert m["backend_commit_p99_seconds"] is not None
        assert isinstance(m["peer_rtt_p99_seconds"], dict)
    assert sum(1 for e in endpoints if e["metrics"]["is_leader"]) == 1
    assert isinstance(doc["advisories"], list)


async def test_a_hung_member_does_not_hold_up_the_others(
    fresh_cluster: Callable[..., Sandbox],
) -> None:
    sandbox = fresh_cluster(3)
    settings = sandbox.settings(timeout=1.5)
    hung = sandbox.state.members[2] if sandbox.state else None
    assert hung is not None
    sandbox.pause(hung.name)
    try:
        result = await scrape_all(list(settings.endpoints), settings, timeout=1.5)
    finally:
        sandbox.resume(hung.name)
    by_url = {m.endpoint: m for m in result}
    bad = by_url[sandbox.client_url(hung)]
    assert not bad.ok and bad.error
    assert sum(1 for m in result if m.ok) == 2
    assert all(m.quota_bytes for m in result if m.ok)


async def test_the_consoles_scrapes_share_one_tls_context_until_a_file_changes(
    cluster: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console scrapes every member at every refresh: the CA, certificate and key are
    read and parsed once, and again only after one of the files changes (rotation)."""
    from etcdtui.services.etcdapi import credentials

    base = cluster.settings()
    files = {}
    for name in ("cacert", "cert", "key"):
        src = getattr(base, name)
        files[name] = tmp_path / Path(src).name
        shutil.copy(src, files[name])
    settings = dataclasses.replace(base, **files)
    real = credentials.ssl_context
    builds: list[object] = []

    def counted(*args: object, **kwargs: object) -> object:
        builds.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(credentials, "ssl_context", counted)
    async with ClusterService(settings) as svc:
        urls = [cluster.client_url(m) for m in cluster.running_members()]
        for _ in range(3):
            for url in urls:
                assert (await svc.scrape_metrics(url)).ok
        assert len(builds) == 1, "nine scrapes, one TLS context"
        # a rotated client certificate: a new file under the same name
        fresh = tmp_path / "rotated.crt"
        shutil.copy(base.cert, fresh)
        os.replace(fresh, files["cert"])
        assert (await svc.scrape_metrics(urls[0])).ok
        assert len(builds) == 2, "the changed file is read again"
        assert (await svc.scrape_metrics(urls[1])).ok
        assert len(builds) == 2
