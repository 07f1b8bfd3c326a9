"""etcd's --listen-metrics-urls: /metrics on a URL of its own (http, or https with the
client TLS settings). A sandbox started with `--listen-metrics` serves it there, the
context's `metrics-urls` names those URLs, and the scrape comes from them, not from the
client port. Real etcd 3.5."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from etcdtui.config import load_config
from etcdtui.ops.contexts import register_context
from etcdtui.services.cluster import ClusterService
from etcdtui.services.metrics import scrape_all
from etcdtui.services.sandbox import Sandbox

pytestmark = pytest.mark.etcd


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_metrics_come_from_the_metrics_urls(
    fresh_cluster: Callable[..., Sandbox], scheme: str
) -> None:
    sandbox = fresh_cluster(3, listen_metrics=scheme)
    settings = sandbox.settings()
    client_ports = {urlsplit(u).port for u in settings.endpoints}
    assert len(settings.metrics_urls) == 3
    assert all(urlsplit(u).scheme == scheme for u in settings.metrics_urls)
    assert not {urlsplit(u).port for u in settings.metrics_urls} & client_ports
    async with ClusterService(settings) as svc:
        urls = svc.metrics_urls()
        members = {m.id for m in (await svc.members()).members}
    assert urls == list(settings.metrics_urls)  # not the client endpoints
    scraped = await scrape_all(urls, settings)
    assert all(m.ok for m in scraped), [m.error for m in scraped]
    assert {m.endpoint for m in scraped} == set(settings.metrics_urls)  # where it came from
    assert {m.member_id for m in scraped} == members  # every member, once (etcd_server_id)
    assert all(m.has_leader for m in scraped)


async def test_status_json_scrapes_the_context_metrics_urls(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sandbox = fresh_cluster(3, listen_metrics="http")
    config = tmp_path / "config.yaml"
    register_context(sandbox, "metrics-sandbox", config)
    ctx = load_config(config).contexts["metrics-sandbox"]
    assert ctx.metrics_urls == sandbox.settings().metrics_urls  # written and read back
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "etcdtui",
            "--config",
            str(config),
            "--context",
            "metrics-sandbox",
            "status",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    by_member = {e["member_id"]: e for e in doc["endpoints"]}
    assert len(by_member) == 3
    urls = set(ctx.metrics_urls)
    for e in by_member.values():
        m = e["metrics"]
        assert m["ok"], m
        assert m["url"] in urls  # the metrics URL, not the client endpoint
        assert m["url"] != e["endpoint"]
        assert m["quota_backend_bytes"] and m["has_leader"] is True
    assert {e["metrics"]["url"] for e in by_member.values()} == urls


def _spy_on_scrapes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every URL /metrics is read from (the real scrape still runs)."""
    from etcdtui.services import metrics

    seen: list[str] = []
    real = metrics.scrape

    async def spy(url: str, *a: object, **kw: object) -> metrics.MemberMetrics:
        seen.append(url)
        return await real(url, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(metrics, "scrape", spy)
    return seen


async def test_check_perf_scrapes_the_metrics_urls(
    fresh_cluster: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    from etcdtui.services.perf import run_perf

    sandbox = fresh_cluster(3, listen_metrics="http")
    settings = sandbox.settings(timeout=5)
    seen = _spy_on_scrapes(monkeypatch)
    async with ClusterService(settings) as svc:
        result = await run_perf(svc, duration_s=1.0, clients=2, rate=20)
    client_ports = {urlsplit(u).port for u in settings.endpoints}
    assert seen and set(seen) == set(settings.metrics_urls)  # before and after the load
    assert not {urlsplit(u).port for u in seen} & client_ports  # never the client port
    # the disk criteria were judged from those scrapes
    assert result.wal_fsync_p99 is not None and result.backend_commit_p99 is not None


async def test_maintenance_defrag_scrapes_the_metrics_urls(
    fresh_cluster: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    from etcdtui.services.maintenance import Maintenance

    quota = 32 * 1024 * 1024
    sandbox = fresh_cluster(3, listen_metrics="http", quota_bytes=quota)
    settings = sandbox.settings(timeout=5)
    seen = _spy_on_scrapes(monkeypatch)
    async with ClusterService(settings) as svc:
        m = Maintenance(svc, settle_s=0.1)
        plan = await m.plan_defrag()
        results = await m.run_defrag(plan)
    client_ports = {urlsplit(u).port for u in settings.endpoints}
    assert seen and set(seen) == set(settings.metrics_urls)
    assert not {urlsplit(u).port for u in seen} & client_ports
    # the real quota, from /metrics on the metrics URLs (etcd 3.5's status has none)
    assert len(plan.order) == 3
    assert all(s.quota_known and s.quota == quota for s in plan.order)
    assert len(results) == 3 and all(r.ok for r in results)
