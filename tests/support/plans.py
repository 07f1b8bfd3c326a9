"""Fixed cluster facts and plan builders for tests (no etcd): a 3-member cluster with m2
down, a fixed clock and tokens, the replace plan and a restore request built from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from etcdtui.cluster_data import EndpointHealth, EndpointStatus, Member, MemberList
from etcdtui.services.plans import Plan
from etcdtui.services.procedures.building_blocks import ClusterFacts
from etcdtui.services.procedures.replace import ReplaceRequest, build_replace_plan
from etcdtui.services.procedures.restore import RestoreRequest, parse_members
from etcdtui.services.procedures.snapcheck import SnapshotFacts

IDS = {"m1": 0x8E9E05C52164694D, "m2": 0x91BC3C398FB3C146, "m3": 0xFD422379FDA50E48}
ENV = {"ETCDCTL_API": "3", "ETCDCTL_ENDPOINTS": "https://10.0.0.1:2379,https://10.0.0.3:2379"}


def tokens(n: int) -> str:
    return "ab" * n


def clock() -> dt.datetime:
    return dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def member(name: str, i: int, learner: bool = False) -> Member:
    return Member(
        IDS.get(name, 0x1000 + i),
        name,
        (f"https://10.0.0.{i}:2380",),
        (f"https://10.0.0.{i}:2379",),
        learner,
    )


def facts(down: tuple[str, ...] = ("m2",), leader: str = "m1") -> ClusterFacts:
    ms = tuple(member(n, i) for i, n in enumerate(("m1", "m2", "m3"), 1))
    statuses, health = [], []
    for m in ms:
        url = m.client_urls[0]
        if m.name in down:
            statuses.append(EndpointStatus(url, False, error="connection refused"))
            health.append(EndpointHealth(url, False, error="connection refused"))
        else:
            statuses.append(
                EndpointStatus(
                    url, True, member_id=m.id, leader=IDS[leader], version="3.5.11", revision=42
                )
            )
            health.append(EndpointHealth(url, True))
    return ClusterFacts(MemberList(0xC1, ms), tuple(statuses), tuple(health), IDS[leader])


def replace_plan(**kw: object) -> Plan:
    req = ReplaceRequest(member="m2", etcdctl_env=ENV, **kw)  # type: ignore[arg-type]
    return build_replace_plan(facts(), req, tokens=tokens, clock=clock)


def snap_facts(version: str = "3.5.0") -> SnapshotFacts:
    return SnapshotFacts("/backup/snap.db", 24608, "0f" * 32, True, 1234, version)


def restore_request(**kw: object) -> RestoreRequest:
    base: dict[str, object] = {
        "snapshot": Path("/backup/snap.db"),
        "members": parse_members(
            "m1=https://10.0.0.1:2380,m2=https://10.0.0.2:2380,m3=https://10.0.0.3:2380"
        ),
        "tool": "etcdutl",
        "tool_version": "3.5.1",
    }
    base.update(kw)
    return RestoreRequest(**base)  # type: ignore[arg-type]
