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
