"""The console's quota comes from /metrics, not from the 2 GiB default."""

from __future__ import annotations

from etcdtui.cluster_data import EndpointHealth, EndpointStatus, Member, MemberList
from etcdtui.services.advisories import DEFAULT_QUOTA_BYTES
from etcdtui.services.metrics import MemberMetrics
from etcdtui.ui.state import ClusterState

MiB = 1024 * 1024
URL = "https://127.0.0.1:2379"


def _state() -> ClusterState:
    state = ClusterState(clock=lambda: 100.0, interval=1.0)
    m = Member(1, "m1", ("https://127.0.0.1:2380",), (URL,), False)
    state.apply_members(MemberList(7, (m,)), (), None)
    st = EndpointStatus(URL, True, member_id=1, leader=1, db_size=16 * MiB, db_size_in_use=15 * MiB)
    state.apply_endpoint(URL, st, EndpointHealth(URL, True))
    return state


def test_quota_is_the_scraped_one() -> None:
    state = _state()
    assert state.quota(DEFAULT_QUOTA_BYTES) == (16 * MiB, DEFAULT_QUOTA_BYTES)  # not scraped yet
    state.apply_metrics(
        URL,
        MemberMetrics(
            URL, True, member_id=1, quota_bytes=16 * MiB, db_size=16 * MiB, db_size_in_use=15 * MiB
        ),
    )
    assert state.quota(DEFAULT_QUOTA_BYTES) == (16 * MiB, 16 * MiB)
    codes = {a.code for a in state.advisories(DEFAULT_QUOTA_BYTES)}
    assert {"db-near-quota", "db-at-quota"} <= codes


def test_a_failed_scrape_keeps_the_fallback() -> None:
    state = _state()
    state.apply_metrics(URL, MemberMetrics(URL, False, "refused"))
    assert state.quota(DEFAULT_QUOTA_BYTES)[1] == DEFAULT_QUOTA_BYTES
