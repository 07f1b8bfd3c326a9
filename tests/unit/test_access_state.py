"""Issue 11 item 11, the console's face: endpoints that refuse our credentials are
unknown, not down, and no member action is judged (or advised) on them.

The service layer is tested against real etcd with auth on in
tests/integration/test_wrong_conclusions.py; this fixes the console's reading of the
same answers."""

from __future__ import annotations

from etcdtui.cluster_data import (
    ConnectionSettings,
    EndpointHealth,
    EndpointStatus,
    Member,
    MemberList,
)
from etcdtui.ui import member_actions as ma
from etcdtui.ui.state import ClusterState

URLS = [f"https://127.0.0.1:{2379 + i}" for i in range(3)]
MEMBERS = MemberList(
    0xC1,
    tuple(
        Member(0x10 + i, f"m{i + 1}", (f"https://127.0.0.1:{2380 + i}",), (URLS[i],))
        for i in range(3)
    ),
)
DENIED = "etcdserver: permission denied"


def denied_state() -> ClusterState:
    st = ClusterState(clock=lambda: 100.0, interval=2.0)
    st.apply_members(MEMBERS, (), None)
    for url in URLS:
        st.apply_endpoint(
            url,
            EndpointStatus(url, False, DENIED, "permission-denied"),
            EndpointHealth(url, True),
        )
    return st


def test_denied_endpoints_are_unknown_not_lost() -> None:
    st = denied_state()
    text, state = st.badge()
    assert state == "unknown" and "access denied" in text
    assert "LOST" not in text
    assert all(st.member_ok(m) is None for m in MEMBERS.members)
    assert all("access denied" in r.health for r in st.rows())
    assert st.access_error() == DENIED


def test_member_action_refused_without_restore_advice() -> None:
    st = denied_state()
    plan = ma.plan(
        "remove",
        MEMBERS,
        st.healthy_ids(),
        None,
        ConnectionSettings(endpoints=tuple(URLS)),
        MEMBERS.members[2],
        access_error=st.access_error(),
    )
    assert not plan.allowed
    text = " ".join(plan.reasons) + " " + (plan.fix or "")
    assert "credentials" in text and "not quorum loss" in text
    assert "restore the cluster" not in text.lower()
