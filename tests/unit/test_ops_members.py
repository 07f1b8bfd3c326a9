"""etcdtui.ops.members without etcd: the rules judge() adds to the what-if, and what
execute() does when etcd keeps answering "unhealthy cluster". The behaviour on real etcd
is in tests/integration/test_ops_members.py and tests/integration/test_same_verdict.py."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from etcdtui import errors
from etcdtui.cluster_data import Member, MemberList
from etcdtui.ops import members as ops
from etcdtui.services.audit import AuditLog
from tests.support.fakes import FakeCluster, fake_settings, scenario

MEMBERS = MemberList(
    0xC1,
    tuple(
        Member(0x10 + i, f"m{i}", (f"https://10.0.0.{i}:2380",), (f"https://10.0.0.{i}:2379",))
        for i in (1, 2, 3)
    ),
)
ALL = frozenset({0x11, 0x12, 0x13})


def judge(kind: str, **kw: object) -> ops.MemberPlan:
    view = ops.ClusterView(MEMBERS, kw.pop("healthy", ALL), kw.pop("leader", 0x11))  # type: ignore[arg-type]
    return ops.judge(ops.MemberRequest(kind, **kw), view, fake_settings())  # type: ignore[arg-type]


def test_add_refuses_a_taken_name_and_a_bad_url() -> None:
    p = judge("add-learner", name="m2", peer_urls="https://10.0.0.9:2380")
    assert not p.allowed and "already exists" in p.reasons[0]
    assert isinstance(p.refusal(), errors.UsageError)
    p = judge("add-learner", name="m9", peer_urls="https://10.0.0.9:2380/path")
    assert not p.allowed and "no path" in p.reasons[0]
    p = judge("add-learner", name="m9", peer_urls="10.0.0.9:2380")  # bare host:port is https
    assert p.allowed and p.peer_urls == ("https://10.0.0.9:2380",)


def test_move_leader_rules() -> None:
    assert judge("move-leader", target="m2").allowed
    p = judge("move-leader", target="m1")  # already the leader: allowed, nothing sent
    assert p.allowed and "nothing will be sent" in p.warnings[0]
    p = judge("move-leader", target="m2", healthy=frozenset({0x11, 0x13}))
    assert not p.allowed and "not healthy" in p.reasons[0]
    p = judge("move-leader", target="m2", leader=None)
    assert not p.allowed and isinstance(p.refusal(), errors.NoLeader)


def test_confirmation_is_asked_for_the_same_three_changes() -> None:
    assert judge("remove", target="m2").confirm_text == "m2"
    assert judge("move-leader", target="m2").confirm_text == "m2"
    assert judge("update-peer-urls", target="m2", peer_urls="https://10.0.0.2:2381").confirm_text
    assert judge("promote", target="m2").confirm_text is None


def test_the_server_error_picks_the_refusal_class() -> None:
    p = judge("remove", target="m2", healthy=frozenset({0x11, 0x12}))
    assert not p.allowed and p.server_error == "etcdserver: unhealthy cluster"
    err = p.refusal()
    assert isinstance(err, errors.UnhealthyCluster) and "Not sent" in err.title


class Unhealthy(FakeCluster):
    """etcd answering "unhealthy cluster" to every add, as right after a start."""

    async def member_add(
        self, peer_urls: Sequence[str], *, learner: bool = True, name: str = ""
    ) -> Member:
        self.sent.append(("add", tuple(peer_urls)))
        raise errors.UnhealthyCluster("etcdserver: unhealthy cluster")


async def test_unhealthy_cluster_is_retried_then_named(tmp_path: Path) -> None:
    svc = Unhealthy(fake_settings(), scenario("healthy"))
    audit = AuditLog(tmp_path / "audit.jsonl")
    req = ops.MemberRequest("add-learner", name="m4", peer_urls="https://10.0.0.4:2380")
    shown: list[str] = []
    with pytest.raises(errors.UnhealthyCluster) as caught:
        await ops.execute(svc, req, audit=audit, progress=shown.append, unhealthy_wait=0.0)
    assert "has not heard from every voter" in caught.value.cause
    assert "reachable on its peer URL" in caught.value.fix
    assert [k for k, _v in svc.sent] == ["add"]
    [rec] = audit.read()
    assert rec["action"] == "member-add" and rec["error"]["code"] == "unhealthy-cluster"

    svc = Unhealthy(fake_settings(), scenario("healthy"))
    with pytest.raises(errors.UnhealthyCluster):
        await ops.execute(svc, req, progress=shown.append, unhealthy_wait=1.2)
    assert len(svc.sent) >= 2  # resent after a re-check while time was left
    assert any("retry in" in line for line in shown)


async def test_read_only_refuses_and_audits(tmp_path: Path) -> None:
    svc = FakeCluster(fake_settings(read_only=True), scenario("healthy"))
    audit = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(errors.ReadOnlyMode):
        await ops.execute(svc, ops.MemberRequest("remove", target="m2"), audit=audit)
    assert svc.sent == []
    [rec] = audit.read()
    assert rec["action"] == "member-remove" and rec["params"]["sent"] is False


class LeaderStops(FakeCluster):
    """A leader removing itself: the change is committed, and the answer is that the
    server stopped."""

    async def member_remove(self, member_id: int) -> MemberList:
        await super().member_remove(member_id)
        raise errors.ClusterError("etcdserver: server stopped")


async def test_a_removal_answered_with_an_error_is_confirmed_by_the_member_list(
    tmp_path: Path,
) -> None:
    svc = LeaderStops(fake_settings(), scenario("healthy"))
    audit = AuditLog(tmp_path / "audit.jsonl")
    out = await ops.execute(svc, ops.MemberRequest("remove", target="m1"), audit=audit)
    assert "server stopped" in out.message and "confirms" in out.message
    assert out.members_after is not None and out.members_after.by_name("m1") is None
    [rec] = audit.read()
    assert rec["ok"] and rec["params"]["confirmed"] is True
