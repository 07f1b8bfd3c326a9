"""Every name a plan step uses resolves in the one procedure registry.

Real plans are built from fixed facts (no etcd) by every plan builder: replace, scale,
restore (each tool and version path, encrypted or not, over a live cluster or not) and
upgrade (patch and minor, kubeadm or binary). Each step's action, precondition, check and
rollback name must be in :mod:`etcdtui.services.procedures.registry`, so a misspelled
name fails here rather than half way through a run on a real cluster."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from etcdtui.cluster_data import EndpointHealth, EndpointStatus, Member, MemberList
from etcdtui.services.plans import Plan, Ref, Step, Where
from etcdtui.services.procedures.building_blocks import ClusterFacts
from etcdtui.services.procedures.rebuild import (
    RebuildMember,
    RebuildRequest,
    build_rebuild_plan,
)
from etcdtui.services.procedures.registry import REGISTRY, Registry
from etcdtui.services.procedures.replace import ReplaceRequest, build_replace_plan
from etcdtui.services.procedures.restore import (
    RestoreRequest,
    build_restore_plan,
    parse_members,
)
from etcdtui.services.procedures.scale import ScaleRequest, build_scale_plan, parse_new_members
from etcdtui.services.procedures.snapcheck import SnapshotFacts
from etcdtui.services.procedures.upgrade import UpgradeRequest, build_upgrade_plan


def tokens(n: int) -> str:
    return "ab" * n


def clock() -> dt.datetime:
    return dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def facts(*, down: tuple[int, ...] = (), version: str = "3.5.11") -> ClusterFacts:
    members = tuple(
        Member(i, f"m{i}", (f"https://10.0.0.{i}:2380",), (f"https://10.0.0.{i}:2379",), False)
        for i in (1, 2, 3)
    )
    statuses = tuple(
        EndpointStatus(m.client_urls[0], False, error="connection refused")
        if m.id in down
        else EndpointStatus(m.client_urls[0], True, member_id=m.id, leader=1, version=version)
        for m in members
    )
    health = tuple(EndpointHealth(m.client_urls[0], m.id not in down) for m in members)
    return ClusterFacts(MemberList(0xC1, members), statuses, health, 1)


def snap(version: str = "3.5.0", *, encrypted: bool = False) -> SnapshotFacts:
    facts = SnapshotFacts("/backup/snap.db", 24608, "0f" * 32, True, 1234, version)
    return dataclasses.replace(facts, encrypted=encrypted)


def restore(snapshot: SnapshotFacts, **kw: object) -> Plan:
    base: dict[str, object] = {
        "snapshot": Path("/backup/snap.db"),
        "members": parse_members(
            "m1=https://10.0.0.1:2380,m2=https://10.0.0.2:2380,m3=https://10.0.0.3:2380"
        ),
        "tool": "etcdutl",
        "tool_version": "3.5.1",
    }
    base.update(kw)
    req = RestoreRequest(**base)  # type: ignore[arg-type]
    return build_restore_plan(snapshot, req, tokens=tokens, clock=clock)


def upgrade(current: str, target: str, **kw: object) -> Plan:
    req = UpgradeRequest(target, **kw)  # type: ignore[arg-type]
    return build_upgrade_plan(facts(version=current), req, tokens=tokens, clock=clock)


PLANS = {
    "replace": lambda: build_replace_plan(
        facts(down=(2,)), ReplaceRequest("m2"), tokens=tokens, clock=clock
    ),
    "replace-healthy-forced": lambda: build_replace_plan(
        facts(), ReplaceRequest("m3", force=True), tokens=tokens, clock=clock
    ),
    "scale-3-to-5": lambda: build_scale_plan(
        facts(),
        ScaleRequest(
            5, parse_new_members(["m4=https://10.0.0.4:2380", "m5=https://10.0.0.5:2380"])
        ),
        tokens=tokens,
        clock=clock,
    ),
    "restore-etcdutl-3.5.1": lambda: restore(snap()),
    "restore-etcdutl-3.5.10-bump": lambda: restore(snap(), tool_version="3.5.10"),
    "restore-etcdctl-3.4": lambda: restore(snap("3.4.0"), tool="etcdctl", tool_version="3.4.23"),
    "restore-etcdutl-3.6": lambda: restore(snap("3.6.0"), tool_version="3.6.0"),
    "restore-encrypted": lambda: restore(snap(encrypted=True)),
    "restore-over-live-cluster": lambda: restore(snap(), risks=("the keys written since",)),
    "upgrade-patch": lambda: upgrade("3.5.11", "3.5.16"),
    "upgrade-minor-kubeadm": lambda: upgrade("3.4.23", "3.5.16"),
    "upgrade-minor-binary": lambda: upgrade(
        "3.4.23", "3.5.16", kubeadm=False, binary="/usr/local/bin/etcd"
    ),
    "rebuild-from-survivor": lambda: build_rebuild_plan(
        RebuildRequest(
            survivor=RebuildMember(
                "m1", "1", "https://10.0.0.1:2380", "https://10.0.0.1:2379", "/var/lib/etcd"
            ),
            others=tuple(
                RebuildMember(
                    f"m{i}",
                    str(i),
                    f"https://10.0.0.{i}:2380",
                    f"https://10.0.0.{i}:2379",
                    "/var/lib/etcd",
                )
                for i in (2, 3)
            ),
            evidence_rows=("/var/lib/etcd: member 1, most advanced",),
            revision=1234,
        ),
        tokens=tokens,
        clock=clock,
    ),
}


def unresolved(plan: Plan, registry: Registry = REGISTRY) -> list[str]:
    """Every name in ``plan`` that the registry does not know, as ``step: kind name``."""
    bad: list[str] = []
    for step in plan.steps:
        if step.action not in registry.actions:
            bad.append(f"{step.id}: action {step.action}")
        for kind, ref in (("precondition", step.precondition), ("check", step.check)):
            if ref is not None and ref.name not in registry.checks:
                bad.append(f"{step.id}: {kind} {ref.name}")
        if step.rollback is not None and step.rollback.name not in registry.rollbacks:
            bad.append(f"{step.id}: rollback {step.rollback.name}")
    return bad


@pytest.mark.parametrize("name", sorted(PLANS))
def test_every_name_a_plan_uses_resolves(name: str) -> None:
    plan = PLANS[name]()
    assert plan.steps, name
    assert unresolved(plan) == []


def test_the_plans_cover_every_registered_name() -> None:
    """The plans above use every action, check and rollback in the table, so none of
    its entries is dead and each is reached by the check above."""
    steps = [step for build in PLANS.values() for step in build().steps]
    refs = [r for s in steps for r in (s.precondition, s.check) if r is not None]
    assert set(REGISTRY.actions) - {s.action for s in steps} == set()
    assert set(REGISTRY.checks) - {r.name for r in refs} == set()
    assert set(REGISTRY.rollbacks) - {s.rollback.name for s in steps if s.rollback} == set()


def test_adopters_belong_to_registered_actions() -> None:
    assert set(REGISTRY.adopters) <= set(REGISTRY.actions)


def test_a_misspelled_name_is_found() -> None:
    good = PLANS["replace"]()
    step = good.steps[0]
    typo = dataclasses.replace(
        step,
        action=step.action + "x",
        check=Ref("member-is-leaner", "typo"),
        rollback=Ref("remove-new-membr", "typo"),
    )
    plan = dataclasses.replace(good, steps=(typo, *good.steps[1:]))
    assert unresolved(plan) == [
        f"{step.id}: action {step.action}x",
        f"{step.id}: check member-is-leaner",
        f"{step.id}: rollback remove-new-membr",
    ]


def test_extending_the_registry_never_replaces_an_entry() -> None:
    async def noop(ctx: object, step: Step) -> dict[str, str]:
        return {}

    with pytest.raises(ValueError, match=r"member\.remove"):
        REGISTRY.extended(Registry(actions={"member.remove": noop}))  # type: ignore[dict-item]
    extra = REGISTRY.extended(Registry(actions={"test.noop": noop}))  # type: ignore[dict-item]
    probe = Step(id="t", title="t", why="t", where=Where("cluster-api"), action="test.noop")
    assert unresolved(Plan(id="p", title="p", kind="test", steps=(probe,)), extra) == []
    assert "test.noop" not in REGISTRY.actions
