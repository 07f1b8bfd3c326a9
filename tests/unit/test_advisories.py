"""Advisories: each rule fires when it should, and only then."""

from __future__ import annotations

from pathlib import Path

from etcdtui.cluster_data import Alarm, EndpointStatus, Member, MemberList
from etcdtui.services.advisories import (
    DEFAULT_QUOTA_BYTES,
    advise,
    below_minimum,
    parse_version,
)
from etcdtui.services.tls import posture


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


# --- upgrade gates (etcdtui/services/versions.py, docs/etcd-versions.md) ---------------------


def test_a_current_35_cluster_gets_no_gate_advice_in_the_pane() -> None:
    ms = _members(3)
    st = {i: _status(i, "3.5.30") for i in (1, 2, 3)}
    assert advise(ms, st, {1, 2, 3}) == ()


def test_minor_upgrade_under_way_below_the_gate_names_gate_and_source() -> None:
    ms = _members(3)
    st = {1: _status(1, "3.6.14"), 2: _status(2, "3.5.30"), 3: _status(3, "3.5.32")}
    out = advise(ms, st, {1, 2, 3})
    assert codes(out) == ["mixed-versions", "upgrade-gate"]
    gate = out[1]
    assert gate.level == "info"
    assert "m2 3.5.30" in gate.title and "m3" not in gate.title
    assert "3.5.32" in gate.why and "upgrade_3_6.md" in gate.why


def test_minor_upgrade_at_the_gate_has_no_gate_advice() -> None:
    ms = _members(3)
    st = {1: _status(1, "3.7.1"), 2: _status(2, "3.6.11"), 3: _status(3, "3.6.14")}
    assert codes(advise(ms, st, {1, 2, 3})) == ["mixed-versions"]


def test_gate_advice_is_a_warning_when_the_member_is_below_the_minimum() -> None:
    ms = _members(3)
    st = {1: _status(1, "3.6.0"), 2: _status(2, "3.5.9"), 3: _status(3, "3.6.0")}
    out = advise(ms, st, {1, 2, 3})
    assert codes(out) == ["old-version", "mixed-versions", "upgrade-gate"]
    assert out[2].level == "warning"
    # the old-version advice also names the gate to the next minor, with its source
    assert "3.5.32" in out[0].why and "upgrade_3_6.md" in out[0].why


def _scan_versions(*vs: str) -> tuple[list[posture.Finding], list[str]]:
    findings: list[posture.Finding] = []
    passed: list[str] = []
    statuses = [_status(i, v) for i, v in enumerate(vs, 1)]
    posture._version_checks(statuses, findings, passed)
    return findings, passed


def test_security_scan_reports_the_gate_as_info() -> None:
    findings, passed = _scan_versions("3.5.30", "3.5.30", "3.5.33")
    (f,) = findings
    assert (f.id, f.severity) == ("version-upgrade-gate", "info")
    assert "3.5.30" in f.title and "3.5.33" not in f.evidence.split(";")[0]
    assert "3.5.32" in f.evidence and "upgrade_3_6.md" in f.evidence
    assert "version" in passed


def test_security_scan_gate_for_36_to_37() -> None:
    findings, _ = _scan_versions("3.6.10")
    (f,) = findings
    assert "3.6.11" in f.evidence and "upgrade_3_7.md" in f.evidence


def test_security_scan_no_gate_finding_at_or_above_the_gate() -> None:
    for v in ("3.5.32", "3.6.11", "3.7.1", "3.4.39"):
        findings, passed = _scan_versions(v)
        assert findings == [] and passed == ["version"], v


def test_security_scan_gate_is_low_when_below_minimum_and_keeps_old_ids() -> None:
    findings, passed = _scan_versions("3.5.1")
    ids = {f.id: f.severity for f in findings}
    assert ids == {
        "version-data-inconsistency": "critical",
        "version-below-minimum": "high",
        "version-upgrade-gate": "low",
    }
    assert passed == []


# --- next steps (issue 12, item 4) and unstarted members (item 5) -------------------------


def _every_advisory() -> tuple[object, ...]:
    """One refresh that trips every rule at once."""
    ms = MemberList(
        7,
        (
            *_members(4).members,
            Member(0xABC, "", ("https://h9:2380",), (), True),  # added, never started
        ),
    )
    st = {
        1: _status(1, version="3.5.1", db=int(DEFAULT_QUOTA_BYTES * 0.9)),
        2: _status(2, version="3.4.20"),
    }
    return advise(
        ms,
        st,
        {1},
        (Alarm(1, "NOSPACE"), Alarm(2, "CORRUPT")),
        unreachable_for={3: 60.0},
        added_names={0xABC: "m9"},
    )


def test_every_advisory_names_its_next_step() -> None:
    out = _every_advisory()
    assert {
        "quorum-lost",
        "even-voters",
        "member-not-started",
        "alarm-nospace",
        "alarm-corrupt",
        "unreachable",
        "inconsistency-bug",
        "old-version",
        "mixed-versions",
        "db-near-quota",
    } <= set(codes(out))
    for a in out:
        assert a.action, f"{a.code} has no next step"  # type: ignore[attr-defined]
        assert a.as_dict()["action"] == a.action  # type: ignore[attr-defined]


def test_quorum_lost_offers_ctrl_r_with_the_newest_verified_snapshot() -> None:
    from etcdtui.services.advisories import SnapshotHint

    ms = _members(3)
    hint = SnapshotHint("snapshot-20261201.db", "/s/snapshot-20261201.db", 12 * 60 + 5, "verified")
    out = advise(ms, {1: _status(1)}, set(), restore_from=hint)
    lost = next(a for a in out if a.code == "quorum-lost")
    assert "Bring m2, m3 back" in lost.action  # m1 answers; m2 and m3 do not
    assert "press ctrl+r to restore from snapshot-20261201.db (verified, 12 min old)" in (
        lost.action
    )
    none = next(a for a in advise(ms, {}, set()) if a.code == "quorum-lost")
    assert "press ctrl+r" in none.action and "no verified snapshot" in none.action


def test_tolerance_zero_names_the_member_to_replace() -> None:
    ms = _members(3)
    st = {1: _status(1), 3: _status(3)}
    out = advise(ms, st, {1, 3})
    tz = next(a for a in out if a.code == "tolerance-zero")
    assert tz.action == "Press R on m2 (:replace m2) to replace it."


def test_unstarted_learner_is_flagged_by_its_added_name() -> None:
    ms = MemberList(7, (*_members(3).members, Member(0xABC, "", ("https://h9:2380",), (), True)))
    st = {i: _status(i) for i in (1, 2, 3)}
    out = advise(ms, st, {1, 2, 3}, added_names={0xABC: "m4"})
    assert codes(out) == ["member-not-started"]
    assert out[0].title == "Learner m4 (abc) was added but never started"
    assert ":remove m4" in out[0].action
    # without the name, the hex ID addresses it
    bare = advise(ms, st, {1, 2, 3})
    assert ":remove abc" in bare[0].action


def test_complete_path(tmp_path: Path) -> None:
    from etcdtui.ui.wizard_launch import complete_path

    (tmp_path / "snapshot-20261201.db").write_bytes(b"x")
    (tmp_path / "snapshot-20261202.db").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    text, names = complete_path(str(tmp_path / "sn"))
    assert text == str(tmp_path / "snapshot-2026120")
    assert names == ["snapshot-20261201.db", "snapshot-20261202.db"]
    text, names = complete_path(str(tmp_path / "su"))
    assert text == str(tmp_path / "sub") + "/" and names == ["sub/"]
    assert complete_path(str(tmp_path / "nothing"))[1] == []


def test_leader_churn_names_heartbeat_starvation() -> None:
    ms = _members(3)
    st = {i: _status(i) for i in (1, 2, 3)}
    assert "leader-churn" not in codes(advise(ms, st, {1, 2, 3}, leader_changes=2))
    out = advise(ms, st, {1, 2, 3}, leader_changes=4)
    churn = [a for a in out if a.code == "leader-churn"]
    assert len(churn) == 1 and "4 leader changes" in churn[0].title
    assert "heartbeat starvation" in churn[0].why
