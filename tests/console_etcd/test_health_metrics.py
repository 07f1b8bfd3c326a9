"""Pane 2's signals on real etcd: the real quota from /metrics (not the 2 GiB default),
one row per signal with a value and a sparkline per member, and the trend growing when
the cluster does work."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.widgets.health_metrics import SIGNALS
from tests.support.pilot_helpers import real_app, until


def signal_rows(app: object) -> dict[str, list[str]]:
    screen = app.screen  # type: ignore[attr-defined]
    if not screen.query("#hv-metrics"):
        return {}
    t = screen.query_one("#hv-metrics", DataTable)
    keys = [str(k.value) for k in t.rows]
    return {k: [str(c) for c in t.get_row(k)] for k in keys}


@pytest.mark.etcd
async def test_pane_2_shows_real_quota_and_signals(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = fresh_cluster(3, quota_bytes=16 * 1024 * 1024)
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"), interval=1.0)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("2")

        def health() -> list[list[str]]:
            if not app.screen.query("#hv-table"):
                return []
            t = app.screen.query_one("#hv-table", DataTable)
            return [[str(c) for c in t.get_row_at(i)] for i in range(t.row_count)]

        await until(
            pilot,
            lambda: len(health()) == 3 and all(r[8] == "16.0 MiB" for r in health()),
            timeout=60,
            what="the real 16 MiB quota from /metrics in the health table",
            show=health,
        )
        assert [s.key for s in SIGNALS] == list(signal_rows(app))  # one row per signal

        def cells(key: str) -> list[str]:
            return signal_rows(app).get(key, [])[2:]  # after SIGNAL and ALERT

        await until(
            pilot,
            lambda: (
                len(cells("no_leader")) == 3
                and all(c.split()[0] == "yes" for c in cells("no_leader"))
                and all(c.split()[0].isdigit() for c in cells("proposals_applied"))  # 2 scrapes
            ),
            timeout=60,
            what="etcd_server_has_leader on every member",
            show=lambda: signal_rows(app),
        )
        applied_before = [int(c.split()[0]) for c in cells("proposals_applied")]

        async with ClusterService(sb.settings()) as svc:  # writes: WAL fsyncs to measure
            for i in range(30):
                await svc.put(f"k/{i}".encode(), b"v")

        def measured() -> bool:
            fsync, applied = cells("wal_fsync"), cells("proposals_applied")
            return (
                len(fsync) == 3
                and all(c.split()[0].endswith(("ms", "s", "✖", "▲")) for c in fsync)
                and all(
                    int(c.split()[0]) >= before + 30
                    and len(c.split()[1]) >= 2  # the trend moved: two bars at least
                    for c, before in zip(applied, applied_before, strict=True)
                )
            )

        await until(
            pilot,
            measured,
            timeout=60,
            what="wal fsync p99 and the applied trend",
            show=lambda: signal_rows(app),
        )


@pytest.mark.etcd
async def test_pane_2_scrapes_the_metrics_urls(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """With --listen-metrics-urls the console scrapes those URLs (and only those), and
    each scrape lands on its member by the ID /metrics reports."""
    sb = fresh_cluster(3, listen_metrics="https")
    settings = sb.settings()
    app = real_app(settings, AuditLog(tmp_path / "audit.jsonl"), interval=1.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")

        def cells(key: str) -> list[str]:
            return signal_rows(app).get(key, [])[2:]

        await until(
            pilot,
            lambda: (
                len(cells("no_leader")) == 3
                and all(c.split()[0] == "yes" for c in cells("no_leader"))
            ),
            timeout=60,
            what="has leader from each member's metrics URL",
            show=lambda: signal_rows(app),
        )
        assert app.poller is not None
        assert set(app.poller._metric_loops) == set(settings.metrics_urls)
        assert set(app.state.metrics) == set(settings.metrics_urls)
