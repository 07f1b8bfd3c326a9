"""Pane 2's per-member metrics on real etcd: the real quota from /metrics (not the 2 GiB
default), latencies, leader changes and a db-size sparkline per member."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.widgets.health_metrics import BARS, sparkline
from tests.support.pilot_helpers import real_app, until


def test_sparkline_scales_between_min_and_max() -> None:
    assert sparkline([]) == ""
    assert sparkline([5, 5, 5]) == BARS[0] * 3
    assert sparkline([0, 7]) == BARS[0] + BARS[-1]
    assert len(sparkline(range(100), width=12)) == 12


@pytest.mark.etcd
async def test_pane_2_shows_real_quota_and_metrics(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = fresh_cluster(3, quota_bytes=16 * 1024 * 1024)
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"), interval=1.0)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("2")

        def rows() -> list[list[str]]:
            if not app.screen.query("#hv-metrics"):
                return []
            t = app.screen.query_one("#hv-metrics", DataTable)
            return [[str(c) for c in t.get_row_at(i)] for i in range(t.row_count)]

        def ready() -> bool:
            r = rows()
            return (
                len(r) == 3
                and all(row[1].startswith("16.0 MiB") for row in r)
                and all(
                    len(row[3]) >= 2
                    for row in r  # at least two scrapes: a trend
                )
            )

        await until(pilot, ready, timeout=60, what="three members' metrics", show=rows)
        assert all(row[10] == "yes" for row in rows())  # etcd_server_has_leader

        async with ClusterService(sb.settings()) as svc:  # writes: WAL fsyncs to measure
            for i in range(30):
                await svc.put(f"k/{i}".encode(), b"v")

        def fsync_measured() -> bool:
            return all(row[4].endswith(("ms", "✖")) for row in rows())

        await until(pilot, fsync_measured, timeout=60, what="wal fsync p99", show=rows)
