"""Advisories: each rule fires when it should, and only then."""

from __future__ import annotations

from etcdtui.models import Alarm, EndpointStatus, Member, MemberList
from etcdtui.services.advisories import (
    DEFAULT_QUOTA_BYTES,
    advise,
    below_minimum,
    parse_version,
)


def _members(n: int, learners: int = 0) -> MemberList:
    ms = [
        Member(i, f"m{i}", (f"https://h{i}:2380",), (f"https://h{i}:2379",))
        for i in range(1, n + 1)
    ]
    ms += [
        Member(100 + i, f"l{i}", (f"https://l{i}:2380",), (f"https://l{i}:2379",), True)
        for i in range(learners)
    ]
    return MemberList(7, tuple(ms))


def _status(mid: int, version: str = "3.5.13", db: int = 1 << 20, quota: int = 0) -> EndpointStatus:
    return EndpointStatus(
        f"https://h{mid}:2379",
        True,
        member_id=mid,
        leader=1,
        version=version,
        db_size=db,
        db_size_quota=quota,
    )


def codes(advice: tuple[object, ...]) -> list[str]:
    return [a.code for a in advice]  # type: ignore[attr-defined]


def test_healthy_odd_cluster_has_no_advice() -> None:
    ms = _members(3)
    st = {i: _status(i) for i in (1, 2, 3)}
    assert advise(ms, st, {1, 2, 3}) == ()


def test_even_voters_and_tolerance_zero() -> None:
    ms = _members(4)
    st = {i: _status(i) for i in (1, 2, 3, 4)}
    out = advise(ms, st, {1, 2, 3})  # 4 voters, 3 healthy, needs 3: tolerance 0
    assert codes(out) == ["tolerance-zero", "even-voters"]
    assert "one more failure loses quorum" in out[0].why


def test_learners_do_not_count_as_voters() -> None:
    ms = _members(3, learners=1)
    st = {i: _status(i) for i in (1, 2, 3)}
    assert "even-voters" not in codes(advise(ms, st, {1, 2, 3, 100}))


def test_quorum_lost_is_an_error() -> None:
    out = advise(_members(3), {1: _status(1)}, {1})
    assert out[0].code == "quorum-lost" and out[0].level == "error"


def test_versions() -> None:
    assert parse_version("v3.5.1") == (3, 5, 1)
    assert parse_version("garbage") is None
    assert below_minimum((3, 4, 28)) and not below_minimum((3, 4, 29))
    assert below_minimum((3, 5, 10)) and not below_minimum((3, 5, 11))
    assert below_minimum((3, 3, 25)) and not below_minimum((3, 6, 0))
    ms = _members(3)
    st = {1: _status(1, "3.5.1"), 2: _status(2, "3.5.13"), 3: _status(3, "3.5.13")}
    out = advise(ms, st, {1, 2, 3})
    assert codes(out) == ["inconsistency-bug", "old-version", "mixed-versions"]
    assert "m1" in out[0].title and "m2" not in out[0].title


def test_unreachable_only_after_threshold() -> None:
    ms = _members(3)
    st = {i: _status(i) for i in (1, 2)}
    assert "unreachable" not in codes(advise(ms, st, {1, 2}, unreachable_for={3: 4.0}))
    out = advise(ms, st, {1, 2}, unreachable_for={3: 12.7})
    hit = [a for a in out if a.code == "unreachable"]
    assert hit and hit[0].title == "m3 unreachable for 12 s"


def test_db_above_80_percent_of_quota_with_3_5_default() -> None:
    ms = _members(3)
    big = int(DEFAULT_QUOTA_BYTES * 0.85)
    st = {1: _status(1, db=big), 2: _status(2), 3: _status(3, db=90, quota=100)}
    out = [a for a in advise(ms, st, {1, 2, 3}) if a.code == "db-near-quota"]
    assert [a.title for a in out] == ["m1: db at 85% of quota", "m3: db at 90% of quota"]


def test_alarms_listed_with_why() -> None:
    out = advise(_members(3), {i: _status(i) for i in (1, 2, 3)}, {1, 2, 3}, (Alarm(2, "NOSPACE"),))
    assert codes(out) == ["alarm-nospace"]
    assert "m2" in out[0].title and "disarm" in out[0].why


def test_leader_churn_names_heartbeat_starvation() -> None:
    ms = _members(3)
    st = {i: _status(i) for i in (1, 2, 3)}
    assert "leader-churn" not in codes(advise(ms, st, {1, 2, 3}, leader_changes=2))
    out = advise(ms, st, {1, 2, 3}, leader_changes=4)
    churn = [a for a in out if a.code == "leader-churn"]
    assert len(churn) == 1 and "4 leader changes" in churn[0].title
    assert "heartbeat starvation" in churn[0].why
