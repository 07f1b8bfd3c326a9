"""The one ``--initial-cluster`` builder (etcdtui/domain/membership.py).

etcd compares a joining member's --initial-cluster with the running cluster URL by URL,
so a member with two peer URLs must appear twice (``m1=u1,m1=u2``). The CLI's copy used
to keep only the first peer URL; a member started with its output did not join.
"""

from __future__ import annotations

from etcdtui.cluster_data import EndpointHealth, EndpointStatus, Member, MemberList
from etcdtui.domain.membership import initial_cluster, joining_cluster, member_entries
from etcdtui.services.procedures.building_blocks import ClusterFacts
from etcdtui.services.procedures.replace import ReplaceRequest, build_replace_plan
from etcdtui.services.procedures.scale import ScaleRequest, build_scale_plan, parse_new_members

A1, A2 = "https://10.0.0.1:2380", "https://[fd00::1]:2380"
B1 = "https://10.0.0.2:2380"
C1 = "https://10.0.0.3:2380"
M1 = Member(1, "m1", (A1, A2), ("https://10.0.0.1:2379",))
M2 = Member(2, "m2", (B1,), ("https://10.0.0.2:2379",))
M3 = Member(3, "m3", (C1,), ("https://10.0.0.3:2379",))


def test_every_peer_url_of_every_member() -> None:
    assert initial_cluster([("m1", (A1, A2)), ("m2", B1)]) == f"m1={A1},m1={A2},m2={B1}"


def test_order_is_kept_and_empty_is_empty() -> None:
    assert initial_cluster([("b", "u2"), ("a", "u1")]) == "b=u2,a=u1"
    assert initial_cluster([]) == ""


def test_after_member_add_as_etcdctl_prints_it() -> None:
    """etcdctl member add: every member, every URL, the new one under its given name,
    another never-started member under its empty name."""
    new = Member(9, "", ("https://10.0.0.9:2380",), ())
    other_unstarted = Member(8, "", ("https://10.0.0.8:2380",), ())
    entries = member_entries([M1, M2, other_unstarted, new], {9: "m9"})
    assert initial_cluster(entries) == (
        f"m1={A1},m1={A2},m2={B1},=https://10.0.0.8:2380,m9=https://10.0.0.9:2380"
    )


def test_joining_lists_the_members_before_the_add_then_the_new_one() -> None:
    got = joining_cluster([M1, M2], "m4", ["https://10.0.0.4:2380", "https://10.0.1.4:2380"])
    assert got == (f"m1={A1},m1={A2},m2={B1},m4=https://10.0.0.4:2380,m4=https://10.0.1.4:2380")


def _facts(members: tuple[Member, ...], down: int) -> ClusterFacts:
    statuses, health = [], []
    for m in members:
        url = m.client_urls[0]
        if m.id == down:
            statuses.append(EndpointStatus(url, False, error="connection refused"))
            health.append(EndpointHealth(url, False, error="connection refused"))
        else:
            statuses.append(EndpointStatus(url, True, member_id=m.id, leader=1, version="3.5.11"))
            health.append(EndpointHealth(url, True))
    return ClusterFacts(MemberList(0xC1, members), tuple(statuses), tuple(health), 1)


def test_replace_plan_keeps_every_peer_url_of_the_survivors() -> None:
    plan = build_replace_plan(
        _facts((M1, M2, M3), down=2), ReplaceRequest(member="m2", etcdctl_env={})
    )
    start = plan.step("start")
    assert f"--initial-cluster=m1={A1},m1={A2},m3={C1},m2={B1}" in start.shown_command


def test_scale_plan_keeps_every_peer_url_of_the_voters() -> None:
    new = parse_new_members(["m4=https://10.0.0.4:2380", "m5=https://10.0.0.5:2380"])
    plan = build_scale_plan(
        _facts((M1, M2, M3), down=0),
        ScaleRequest(target=5, new_members=new, etcdctl_env={}),
    )
    commands = " ".join(s.shown_command for s in plan.steps)
    assert f"--initial-cluster=m1={A1},m1={A2},m2={B1},m3={C1},m4=https://10.0.0.4:2380" in commands
