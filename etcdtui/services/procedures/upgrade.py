"""`etcdtui plan upgrade --to VERSION`: a rolling upgrade as a Plan.

etcd supports two upgrades only (etcd.io "Upgrading etcd clusters"): a patch upgrade
within a minor, and a minor upgrade one minor at a time, from the most recent patch
of the current minor. The plan:

1. pre-flight: every member healthy and on one version, the patch level the target
   requires, no learner, no alarm, no flag the target refuses, the v2 store check
   when ``--enable-v2`` is set, auth (3.4 to 3.5 cannot roll with auth on);
2. a verified backup first;
3. then one member at a time, followers first and the leader last: stop, swap the
   binary (or image tag), start, and check health and version before the next one;
   every step carries its rollback note;
4. a final check: every member on the target, and HashKV agreeing.

Host steps are the operator's (``operator`` action): the plan prints them as a
runbook; it does not execute them.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import Alarm, Member
from etcdtui.i18n import _
from etcdtui.services.plans import (
    Clock,
    Plan,
    Ref,
    Step,
    TokenSource,
    Where,
    new_plan_id,
    random_token,
    system_clock,
)
from etcdtui.services.procedures.building_blocks import ClusterFacts, url_host, verify_step
from etcdtui.services.procedures.context import ExecContext, StepFailed

Version = tuple[int, int, int]

# Before a minor upgrade, the members must run at least this patch of the old minor.
MIN_PATCH_BEFORE_MINOR: dict[tuple[int, int], Version] = {(3, 6): (3, 5, 26)}
# Flags the target release no longer accepts (etcd's upgrade guides).
REFUSED_FLAGS: dict[tuple[int, int], tuple[str, ...]] = {
    (3, 5): ("--logger=capnslog", "--log-package-levels"),
    (3, 6): ("--enable-v2", "--experimental-enable-v2v3"),
}
MAX_FLAGS_FILE = 1024 * 1024


def parse_version(text: str) -> Version | None:
    m = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", text.strip())
    if not m:
        return None
    a, b, c = (int(x) for x in m.groups())
    return a, b, c


def show(v: Version) -> str:
    return ".".join(str(x) for x in v)


def read_flags(path: str | Path) -> tuple[str, ...]:
    """etcd's flags from a kubeadm static Pod manifest, or a file holding the command
    line. Bounded read; a bad file is a clear error."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_FLAGS_FILE + 1)
    except OSError as exc:
        raise errors.UsageError(
            _("cannot read {path}: {why}").format(path=p, why=exc.strerror or exc),
            fix=_("Point --flags-from at kubeadm's etcd.yaml or a file with etcd's command."),
        ) from None
    if len(raw) > MAX_FLAGS_FILE:
        raise errors.UsageError(_("{path} is larger than 1 MiB").format(path=p))
    text = raw.decode("utf-8", "replace")
    args: list[str] = []
    if "containers:" in text:
        import yaml

        try:
            pod = yaml.safe_load(text)
        except yaml.YAMLError:
            raise errors.UsageError(_("{path} is not valid YAML").format(path=p)) from None
        spec = pod.get("spec") if isinstance(pod, dict) else None
        for c in (spec or {}).get("containers") or []:
            if isinstance(c, dict) and c.get("name") == "etcd":
                args = [str(a) for a in (c.get("command") or []) + (c.get("args") or [])]
    else:
        try:
            args = shlex.split(text, comments=True)
        except ValueError:
            raise errors.UsageError(_("{path}: unbalanced quotes").format(path=p)) from None
    return tuple(a for a in args if a.startswith("--"))


@dataclass(frozen=True)
class UpgradeRequest:
    target: str
    flags: tuple[str, ...] = ()  # etcd's flags, when known
    backup_path: str = "/var/backups/etcd/pre-upgrade.db"
    binary: str | None = None  # the target's etcd, where etcdtui runs host steps (sandbox)
    kubeadm: bool = True  # static Pods (image tag) rather than a binary on the host
    force: bool = False
    auth_enabled: bool | None = None
    alarms: tuple[Alarm, ...] = ()


@dataclass
class Preflight:
    kind: str = ""  # patch | minor
    current: Version | None = None
    findings: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    v2_check: bool = False


def preflight(facts: ClusterFacts, req: UpgradeRequest) -> Preflight:
    pf = Preflight()
    target = parse_version(req.target)
    if target is None:
        raise errors.UsageError(
            _("--to {v!r} is not a version like 3.5.16").format(v=req.target),
        )
    members = [m for m in facts.members.members if m.started]
    versions: dict[Version, list[str]] = {}
    for m in members:
        st = facts.status_of(m)
        v = parse_version(st.version) if st else None
        if v is None:
            pf.blockers.append(
                _("{name} does not answer status: its version is unknown").format(name=_label(m))
            )
            continue
        versions.setdefault(v, []).append(_label(m))
    if len(versions) > 1:
        pf.blockers.append(
            _("members run different versions ({list}): finish or undo the last upgrade").format(
                list=", ".join(f"{show(v)}: {','.join(n)}" for v, n in sorted(versions.items()))
            )
        )
    if not versions:
        return pf
    current = min(versions)
    pf.current = current
    pf.findings.append(_("current version {v}, target {t}").format(v=show(current), t=show(target)))
    if target[:2] == current[:2]:
        pf.kind = "patch"
        if target <= current:
            pf.blockers.append(
                _("{t} is not newer than {v}").format(t=show(target), v=show(current))
            )
    elif target[0] == current[0] and target[1] == current[1] + 1:
        pf.kind = "minor"
        floor = MIN_PATCH_BEFORE_MINOR.get(target[:2])
        if floor is not None and current < floor:
            pf.blockers.append(
                _("before {t} every member must run {floor} or later (now {v})").format(
                    t=f"{target[0]}.{target[1]}", floor=show(floor), v=show(current)
                )
            )
        pf.findings.append(
            _("a minor upgrade: etcd advises the most recent {m}.x patch first").format(
                m=f"{current[0]}.{current[1]}"
            )
        )
        if current[:2] == (3, 4) and req.auth_enabled:
            pf.blockers.append(
                _("auth is enabled: a rolling upgrade from 3.4 to 3.5 is not supported with auth")
            )
    else:
        pf.kind = "unsupported"
        pf.blockers.append(
            _("{v} to {t} skips or reverses a minor: etcd upgrades one minor at a time").format(
                v=show(current), t=show(target)
            )
        )
    healthy = facts.healthy_ids()
    sick = [_label(m) for m in members if m.id not in healthy]
    if sick:
        pf.blockers.append(_("not healthy: {names}").format(names=", ".join(sick)))
    learners = [_label(m) for m in facts.members.members if m.is_learner]
    if learners:
        pf.blockers.append(
            _("learners present ({names}): promote or remove them first").format(
                names=", ".join(learners)
            )
        )
    if req.alarms:
        pf.blockers.append(
            _("active alarms ({kinds}): clear them first (etcdtui maintenance nospace)").format(
                kinds=", ".join(sorted({a.kind for a in req.alarms}))
            )
        )
    if req.flags:
        refused = REFUSED_FLAGS.get(target[:2], ()) if pf.kind == "minor" else ()
        for flag in req.flags:
            name = flag.split("=", 1)[0]
            if flag in refused or name in refused:
                pf.blockers.append(_("{t} refuses the flag {f}").format(t=req.target, f=flag))
            if target[:2] >= (3, 6) and name.startswith("--experimental-"):
                pf.findings.append(
                    _("{f} is renamed in 3.6 (the experimental name is deprecated)").format(f=name)
                )
        pf.v2_check = any(
            f.split("=", 1)[0] == "--enable-v2" and not f.endswith("=false") for f in req.flags
        )
    else:
        pf.findings.append(
            _(
                "etcd's flags were not given (--flags-from): check them against the target's "
                "upgrade guide by hand"
            )
        )
    return pf


def build_upgrade_plan(
    facts: ClusterFacts,
    req: UpgradeRequest,
    *,
    tokens: TokenSource = random_token,
    clock: Clock = system_clock,
) -> Plan:
    pf = preflight(facts, req)
    if pf.blockers and not req.force:
        raise errors.PreconditionFailed(
            "; ".join(pf.blockers),
            title=_("Upgrade pre-flight failed"),
            fix=_("Fix the items above, or add --force to plan it anyway."),
        )
    voters = [m for m in facts.members.members if m.started and not m.is_learner]
    order = sorted(voters, key=lambda m: (m.id == facts.leader_id, _label(m)))
    steps: list[Step] = [
        Step(
            id="preflight",
            title=_("Pre-flight: health, versions, learners, alarms"),
            why=_("An upgrade starts only from a healthy cluster on one version."),
            where=Where("cluster-api"),
            action="cluster.verify-voters",
            display="etcdtui status && etcdtui alarms",
            params={"voters": len(voters)},
            check=Ref(
                "voters-healthy",
                _("{n} voters, all healthy").format(n=len(voters)),
                {"voters": len(voters), "timeout": 30.0},
            ),
        )
    ]
    if pf.v2_check:
        steps.append(
            Step(
                id="v2store",
                title=_("Check the v2 store for custom data"),
                why=_("3.6 drops the v2 store: custom v2 data must be migrated or removed."),
                where=Where("host", "each member"),
                action="operator",
                display="etcdutl check v2store --data-dir /var/lib/etcd",
            )
        )
    steps.append(
        Step(
            id="backup",
            title=_("Take and verify a backup"),
            why=_("The only way back from a failed minor upgrade is a restore."),
            where=Where("host", "local"),
            action="upgrade.backup",
            params={"path": req.backup_path},
            display=(
                f"etcdtui snapshot save {shlex.quote(req.backup_path)} && "
                f"etcdtui snapshot verify {shlex.quote(req.backup_path)}"
            ),
        )
    )
    for i, m in enumerate(order, 1):
        name = _label(m)
        leader = m.id == facts.leader_id
        host = url_host(m.peer_urls[0]) if m.peer_urls else name
        if req.kubeadm:
            swap = (
                f"sed -i 's#\\(image: .*/etcd:\\).*#\\1{req.target}-0#' "
                "/etc/kubernetes/manifests/etcd.yaml"
            )
            stop = "kubelet restarts the static Pod when its manifest changes"
        else:
            swap = f"install -m 0755 etcd-v{req.target}/etcd /usr/local/bin/etcd"
            stop = "systemctl stop etcd"
        rollback = (
            _("put the old binary or image back and start it on the same data dir")
            if pf.kind == "patch" or i < len(order)
            else _(
                "after the last member the cluster version moves to {t}: going back needs "
                "a restore from the backup"
            ).format(t=".".join(req.target.split(".")[:2]))
        )
        notes: tuple[str, ...] = (_("rollback: {r}").format(r=rollback),)
        if leader:
            notes += (
                _(
                    "{name} leads: `etcdtui member move-leader` to an upgraded member first "
                    "shortens the write pause"
                ).format(name=name),
            )
        steps += [
            Step(
                id=f"stop-{i}",
                title=_("Stop {name}").format(name=name),
                why=_("One member at a time: the others keep the quorum."),
                where=Where("host", host),
                action="host.stop-etcd",
                params={"name": name},
                display=stop,
                destructive=True,
                notes=notes,
            ),
            Step(
                id=f"swap-{i}",
                title=_("Install etcd {v} on {name}").format(v=req.target, name=name),
                why=_("Same data dir, same flags; only the binary changes."),
                where=Where("host", host),
                action="upgrade.swap-binary",
                params={"name": name, "binary": req.binary, "version": req.target},
                display=swap,
                notes=notes,
            ),
            Step(
                id=f"start-{i}",
                title=_("Start {name}").format(name=name),
                why=_("It rejoins with its own data dir and catches up from the leader."),
                where=Where("host", host),
                action="host.start-etcd",
                params={"name": name},
                display="systemctl start etcd" if not req.kubeadm else "crictl ps --name etcd",
                notes=notes,
            ),
            Step(
                id=f"check-{i}",
                title=_("Wait until {name} is healthy on {v}, and every voter with it").format(
                    name=name, v=req.target
                ),
                why=_("Stop here if any member is unhealthy or still on the old version."),
                where=Where("cluster-api"),
                action="upgrade.check-member",
                display="etcdtui status -o json | jq '.endpoints[] | {endpoint, version, healthy}'",
                params={
                    "member_id": f"{m.id:x}",
                    "name": name,
                    "version": req.target,
                    "voters": len(voters),
                    "timeout": 90.0,
                },
            ),
        ]
    steps.append(verify_step("verify", len(voters)))
    steps.append(
        Step(
            id="consistency",
            title=_("Check that every member holds the same data"),
            why=_("HashKV agreeing on every member closes the upgrade."),
            where=Where("cluster-api"),
            action="upgrade.consistency",
            display="etcdtui check consistency",
        )
    )
    warnings = tuple(pf.blockers)  # only present when forced
    return Plan(
        id=new_plan_id("upgrade", tokens),
        title=_("Upgrade etcd to {v} ({kind})").format(v=req.target, kind=pf.kind),
        kind="upgrade",
        steps=tuple(steps),
        context=_context(facts, req, pf, order),
        summary=tuple(pf.findings),
        warnings=warnings,
        created=clock().isoformat(timespec="seconds"),
    )


def _context(
    facts: ClusterFacts, req: UpgradeRequest, pf: Preflight, order: Sequence[Member]
) -> Mapping[str, Any]:
    return {
        "target": req.target,
        "from": show(pf.current) if pf.current else None,
        "kind": pf.kind,
        "order": [_label(m) for m in order],
        "leader": next((_label(m) for m in order if m.id == facts.leader_id), None),
    }


def _label(m: Member) -> str:
    return m.name or m.hex_id


# --- executor actions (run by etcdtui where it may: the sandbox, the cluster API) ----------


async def backup(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    """Save and verify a snapshot; a verified one already there is kept (re-runnable)."""
    from etcdtui.services.snapshots.save import save_snapshot
    from etcdtui.services.snapshots.status import verify

    path = Path(str(step.params["path"]))
    if path.exists():
        if (await asyncio.to_thread(verify, path)).ok:
            return {"detail": _("{p} exists and verifies: kept").format(p=path)}
        raise StepFailed(
            _("{p} exists and does not verify").format(p=path),
            fix=_("Move it aside, or plan with another --backup path."),
        )
    await save_snapshot(ctx.cluster, path)
    result = await asyncio.to_thread(verify, path)
    if not result.ok:
        raise StepFailed(
            _("the backup {p} does not verify: {why}").format(p=path, why=result.message)
        )
    return {"detail": _("saved and verified {p}").format(p=path)}


async def swap_binary(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    from etcdtui.services.binaries import binary_version

    binary = step.params.get("binary")
    swap = getattr(ctx.host, "swap_binary", None)
    if not binary or swap is None:
        raise StepFailed(
            _("etcdtui cannot install etcd here: give --etcd-binary (sandbox only)"),
        )
    found = await asyncio.to_thread(binary_version, Path(str(binary)))
    want = str(step.params["version"])
    if parse_version(found) != parse_version(want):
        raise StepFailed(
            _("{b} is etcd {found}, not {want}").format(b=binary, found=found, want=want)
        )
    return {"detail": await asyncio.to_thread(swap, str(step.params["name"]), str(binary))}


async def check_member(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    p = step.params
    member_id = ctx.member_id(p["member_id"])
    want = parse_version(str(p["version"]))
    deadline = time.monotonic() + float(p.get("timeout", 90.0))
    why = ""
    while time.monotonic() < deadline:
        await ctx.cluster.members()
        statuses = await ctx.cluster.statuses()
        health = await ctx.cluster.health()
        mine = next((st for st in statuses if st.ok and st.member_id == member_id), None)
        sick = [h.endpoint for h in health if not h.healthy]
        if mine is None:
            why = _("{name} does not answer yet").format(name=p["name"])
        elif parse_version(mine.version) != want:
            why = _("{name} runs {v}").format(name=p["name"], v=mine.version)
        elif sick or len(health) < int(p.get("voters", 0)):
            why = _("not every member is healthy yet ({list})").format(list=", ".join(sick))
        else:
            return {"detail": _("{name} healthy on {v}").format(name=p["name"], v=mine.version)}
        await asyncio.sleep(1.0)
    raise StepFailed(
        _("{name} did not come back healthy on {v}: {why}").format(
            name=p["name"], v=p["version"], why=why
        )
    )


async def check_consistency(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    from etcdtui.services import consistency

    report = await consistency.check(ctx.cluster)
    if not report.consistent:
        raise StepFailed(consistency.describe(report))
    return {"detail": consistency.describe(report)}
