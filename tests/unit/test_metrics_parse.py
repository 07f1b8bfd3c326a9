"""Prometheus text parsing, histogram quantiles, rules and metric advisories (pure)."""

from __future__ import annotations

import pytest

from etcdtui import errors
from etcdtui.services.advisories import metrics_advice
from etcdtui.services.defrag_rules import compile_rule
from etcdtui.services.metrics import Histogram, MemberMetrics, reduce
from tests.support.metrics_reference import SCRAPE


def test_reduce_reads_the_real_quota_and_counters() -> None:
    m = reduce("https://x:2379", SCRAPE)
    assert m.quota_bytes == 16 * 1024 * 1024
    assert m.db_size == 16_000_000 and m.db_size_in_use == 4_000_000
    assert m.has_leader is False and m.leader_changes == 7
    assert m.member_id == 0x8E9E05C52164694D
    assert m.proposals_failed == 2 and m.proposals_pending == 1


def test_histogram_p99_interpolates_inside_the_bucket() -> None:
    m = reduce("u", SCRAPE)
    # rank 99 of 100 lies in (1, 2], 9 of its 10 observations in: 1 + 0.9
    assert m.p99("wal_fsync") == pytest.approx(1.9)
    rtt = m.peer_rtt_p99()
    assert rtt["a1"] == pytest.approx(0.099) and rtt["b2"] == pytest.approx(0.199)


def test_histogram_window_uses_the_difference() -> None:
    early = Histogram(((0.01, 1000.0), (1.0, 1000.0), (float("inf"), 1000.0)))
    late = Histogram(((0.01, 1000.0), (1.0, 1005.0), (float("inf"), 1005.0)))
    lifetime = late.quantile(0.99)
    assert lifetime is not None and lifetime <= 0.01  # since start: fast
    assert late.minus(early).quantile(0.99) == pytest.approx(0.99109, rel=1e-3)  # lately: slow
    assert Histogram(()).quantile(0.99) is None


def test_metric_advisories_cite_threshold_cause_and_fix() -> None:
    m = reduce("https://x:2379", SCRAPE)
    out = {a.code: a for a in metrics_advice(None, [m], leader_changes_in_window={m.endpoint: 5})}
    assert {"no-leader", "slow-wal-fsync", "frequent-leader-changes", "db-at-quota"} <= set(out)
    fsync = out["slow-wal-fsync"]
    assert "500 ms" in fsync.why and "disk" in fsync.why and fsync.fix
    assert "maintenance nospace" in out["db-at-quota"].fix
    assert "slow-peer-rtt" in out  # b2 at 199 ms > 150 ms
    assert metrics_advice(None, [MemberMetrics("u", False, "down")]) == ()


def test_rules_are_evaluated_safely() -> None:
    rule = compile_rule("dbQuotaUsage > 0.8 || dbSizeFree > 100*1024*1024 && !(dbSize < 10)")
    assert rule(
        {"dbSize": 90, "dbSizeInUse": 10, "dbSizeFree": 80, "dbQuota": 100, "dbQuotaUsage": 0.9}
    )
    assert not rule(
        {"dbSize": 50, "dbSizeInUse": 40, "dbSizeFree": 10, "dbQuota": 100, "dbQuotaUsage": 0.5}
    )
    for bad in ("__import__('os')", "dbSize.real > 1", "foo > 1", "dbSize >", "x" * 600):
        with pytest.raises(errors.UsageError):
            compile_rule(bad)
