"""The upgrade plan's pre-flight rules and order (pure: facts built by hand)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from etcdtui import errors
from etcdtui.cluster_data import Alarm, EndpointHealth, EndpointStatus, Member, MemberList
from etcdtui.services.procedures.building_blocks import ClusterFacts
from etcdtui.services.procedures.upgrade import (
    UpgradeRequest,
    build_upgrade_plan,
    preflight,
    read_flags,
)


def _facts(
    version: str = "3.4.23",
    *,
    learner: bool = False,
    versions: dict[int, str] | None = None,
    sick: int | None = None,
) -> ClusterFacts:
    members = [
        Member(i, f"m{i}", (f"https://10.0.0.{i}:2380",), (f"https://10.0.0.{i}:2379",), False)
        for i in (1, 2, 3)
    ]
    if learner:
        members.append(
            Member(4, "m4", ("https://10.0.0.4:2380",), ("https://10.0.0.4:2379",), True)
        )
    statuses = tuple(
        EndpointStatus(
            m.client_urls[0],
            True,
            member_id=m.id,
            leader=2,
            version=(versions or {}).get(m.id, version),
            is_learner=m.is_learner,
        )
        for m in members
    )
    health = tuple(EndpointHealth(m.client_urls[0], m.id != sick) for m in members)
    return ClusterFacts(MemberList(9, tuple(members)), statuses, health, 2)


def _plan(facts: ClusterFacts, **kw: object) -> object:
    return build_upgrade_plan(
        facts,
        UpgradeRequest(**kw),  # type: ignore[arg-type]
        tokens=lambda n: "ab" * n,
        clock=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


def test_minor_upgrade_goes_leader_last_with_backup_first() -> None:
    plan = _plan(_facts("3.4.23"), target="3.5.16")
    d = plan.as_dict()  # type: ignore[attr-defined]
    assert d["context"]["kind"] == "minor" and d["context"]["order"] == ["m1", "m3", "m2"]
    ids = [s["id"] for s in d["steps"]]
    assert ids.index("backup") < ids.index("stop-1")
    assert ids[-2:] == ["verify", "consistency"]
    assert all(
        any("rollback" in n for n in s["notes"]) for s in d["steps"] if s["id"].startswith("stop-")
    )
    last_stop = next(s for s in d["steps"] if s["id"] == "stop-3")
    assert any("restore" in n for n in last_stop["notes"])  # no way back after the last one


@pytest.mark.parametrize(
    ("facts", "target", "why"),
    [
        (_facts("3.4.23"), "3.6.0", "one minor at a time"),
        (_facts("3.5.16"), "3.6.0", "3.5.26"),
        (_facts("3.5.30"), "3.5.16", "not newer"),
        (_facts("3.5.30", learner=True), "3.5.31", "learners"),
        (_facts("3.5.30", versions={3: "3.5.29"}), "3.5.31", "different versions"),
        (_facts("3.5.30", sick=1), "3.5.31", "not healthy"),
    ],
)
def test_preflight_blocks(facts: ClusterFacts, target: str, why: str) -> None:
    with pytest.raises(errors.PreconditionFailed) as caught:
        _plan(facts, target=target)
    assert why in caught.value.cause
    forced = _plan(facts, target=target, force=True)
    assert any(why in w for w in forced.warnings)  # type: ignore[attr-defined]


def test_alarms_auth_and_flags(tmp_path: Path) -> None:
    pf = preflight(_facts("3.5.30"), UpgradeRequest("3.5.31", alarms=(Alarm(1, "NOSPACE"),)))
    assert any("NOSPACE" in b for b in pf.blockers)
    pf = preflight(_facts("3.4.23"), UpgradeRequest("3.5.16", auth_enabled=True))
    assert any("auth" in b for b in pf.blockers)
    manifest = tmp_path / "etcd.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: etcd\n    command:\n"
        "    - etcd\n    - --logger=capnslog\n    - --enable-v2=true\n"
        "    - --experimental-initial-corrupt-check=true\n"
    )
    flags = read_flags(manifest)
    assert "--logger=capnslog" in flags
    pf = preflight(_facts("3.4.23"), UpgradeRequest("3.5.16", flags=flags))
    assert any("--logger=capnslog" in b for b in pf.blockers)
    pf = preflight(_facts("3.5.30"), UpgradeRequest("3.6.0", flags=flags))
    assert pf.v2_check and any("--enable-v2" in b for b in pf.blockers)
    assert any("experimental" in f for f in pf.findings)
    with pytest.raises(errors.UsageError):
        read_flags(tmp_path / "missing.yaml")
    with pytest.raises(errors.UsageError):
        preflight(_facts(), UpgradeRequest("latest"))
