"""What each drill does to a fresh sandbox before the trainee takes over."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from etcdtui.cluster_data import hex_id
from etcdtui.domain.health import elected_leader
from etcdtui.i18n import _
from etcdtui.ops.drills import keyspace
from etcdtui.ops.drills.drill import DrillState
from etcdtui.paths import ensure_private_dir
from etcdtui.safeio import write_private
from etcdtui.services.sandbox import Sandbox

Say = Callable[[str], None]
CONTEXT = "drill"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def run(coro_fn: Callable[..., Any], *args: Any) -> Any:
    return asyncio.run(coro_fn(*args))


async def _put_all(box: Sandbox, items: Sequence[tuple[str, bytes]]) -> None:
    from etcdtui.services.cluster import ClusterService

    async with ClusterService(box.settings(timeout=5.0)) as svc:
        for start in range(0, len(items), 32):
            await asyncio.gather(*(svc.put(k.encode(), v) for k, v in items[start : start + 32]))


def seed(box: Sandbox, generation: str = "base") -> dict[str, str]:
    items = keyspace.objects(generation)
    run(_put_all, box, items)
    return keyspace.manifest(items)


async def _leader_and_members(box: Sandbox) -> tuple[int, dict[str, int], int]:
    from etcdtui.services.cluster import ClusterService

    async with ClusterService(box.settings(timeout=5.0)) as svc:
        statuses = [s for s in await svc.statuses() if s.ok]
        members = await svc.members()
    leader = elected_leader(statuses) or 0
    term = max((s.raft_term for s in statuses), default=0)
    return leader, {m.name: m.id for m in members.members if m.name}, term


def start_box(box: Sandbox, members: int = 3, **kwargs: Any) -> None:
    box.up(members, **kwargs)
    box.settle()


def state_for(name: str, box: Sandbox, manifest: dict[str, str], **facts: Any) -> DrillState:
    return DrillState(
        name=name,
        sandbox_dir=str(box.dir),
        context=CONTEXT,
        started=now_iso(),
        manifest=manifest,
        facts=facts,
    )


def disk_dies(box: Sandbox, root: Path, name: str) -> Path:
    """SIGKILL the member and take its data dir away (kept aside as evidence)."""
    box.kill(name)
    evidence = ensure_private_dir(root / "evidence")
    aside = evidence / f"{name}-disk-{int(time.time())}"
    data = box.data_dir(name)
    if data.exists():
        data.rename(aside)
    return aside


# --- the drills' setups -----------------------------------------------------------------


def member_lost(box: Sandbox, root: Path, say: Say, *, leader: bool = False) -> DrillState:
    start_box(box)
    manifest = seed(box)
    lead, ids, _term = run(_leader_and_members, box)
    names = {v: k for k, v in ids.items()}
    victim = names[lead] if leader else next(n for n, i in sorted(ids.items()) if i != lead)
    say(_("the disk of {name} dies ...").format(name=victim))
    disk_dies(box, root, victim)
    return state_for(
        "leader-lost" if leader else "member-lost",
        box,
        manifest,
        victim=hex_id(ids[victim]),
        victim_name=victim,
    )


def leader_lost(box: Sandbox, root: Path, say: Say) -> DrillState:
    return member_lost(box, root, say, leader=True)


def _age_identity(root: Path) -> tuple[Path, str]:
    import pyrage

    keys = ensure_private_dir(root / "keys")
    identity = pyrage.x25519.Identity.generate()
    path = keys / "backup.agekey"
    write_private(path, f"# public key: {identity.to_public()}\n{identity}\n")
    return path, str(identity.to_public())


async def _save_encrypted(box: Sandbox, path: Path, recipient: str) -> int:
    from etcdtui.services.cluster import ClusterService
    from etcdtui.services.snapshots.crypto import build_encryption
    from etcdtui.services.snapshots.save import save_snapshot

    async with ClusterService(box.settings(timeout=10.0)) as svc:
        result = await save_snapshot(svc, path, encryption=build_encryption([recipient]))
    return int(result.metadata["revision"])


def majority_lost(box: Sandbox, root: Path, say: Say) -> DrillState:
    start_box(box)
    backups = ensure_private_dir(root / "backups")
    identity, recipient = _age_identity(root)
    # a week-old backup: only the namespaces and part of the workload existed then
    items = keyspace.objects("base")
    run(_put_all, box, items[:12])
    today = dt.date.today()
    old = backups / f"etcd-{today - dt.timedelta(days=7):%Y%m%d}.db.age"
    run(_save_encrypted, box, old, recipient)
    run(_put_all, box, items[12:])
    nightly = backups / f"etcd-{today - dt.timedelta(days=1):%Y%m%d}.db.age"
    run(_save_encrypted, box, nightly, recipient)
    # the day's writes after last night's backup: a restore rolls them back
    late = keyspace.objects("late")
    run(_put_all, box, late)
    say(_("two members lose their disks ..."))
    for name in ("m1", "m2"):
        disk_dies(box, root, name)
    state = state_for(
        "majority-lost",
        box,
        keyspace.manifest(items),
        identity=str(identity),
        snapshot=str(nightly),
        decoy=str(old),
        cluster_id=None,
    )
    state.absent = [k for k, _v in late]
    return state


async def _fill_until_nospace(box: Sandbox) -> int:
    from etcdtui.errors import NoSpace
    from etcdtui.services.cluster import ClusterService

    blob = os.urandom(1 << 20)
    async with ClusterService(box.settings(timeout=10.0)) as svc:
        for i in range(200):  # bounded: 16 MiB fills within a few dozen writes
            try:
                await svc.put(b"/registry/events/default/flood", blob[i:] + blob[:i])
            except NoSpace:
                return i
    raise RuntimeError("the quota was never reached")


def nospace(box: Sandbox, root: Path, say: Say) -> DrillState:
    start_box(box, quota_bytes=16 * 1024 * 1024)
    manifest = seed(box)
    say(_("an event storm fills the database ..."))
    writes = run(_fill_until_nospace, box)
    return state_for("nospace", box, manifest, quota=16 * 1024 * 1024, flood_writes=writes)


async def _add_typo_learner(box: Sandbox, url: str) -> int:
    from etcdtui.services.cluster import ClusterService

    async with ClusterService(box.settings(timeout=5.0)) as svc:
        member = await svc.member_add([url], learner=True)
    return member.id


def wrong_peer_url(box: Sandbox, root: Path, say: Say) -> DrillState:
    from etcdtui.services.sandbox_state import free_port

    start_box(box)
    manifest = seed(box)
    typo = f"https://127.0.0.1:{free_port()}"
    say(_("a colleague adds m4 with a typo in its peer URL ..."))
    bad = run(_add_typo_learner, box, typo)
    return state_for("wrong-peer-url", box, manifest, bad=hex_id(bad), bad_url=typo)


def cert_expiring(box: Sandbox, root: Path, say: Say) -> DrillState:
    from etcdtui.services.tls import pki

    start_box(box)
    manifest = seed(box)
    ca = pki.load_issued(box.ca_cert, box.pki_dir / "ca.key")
    crt, key = box.pki_dir / "clients" / "trainee.crt", box.pki_dir / "clients" / "trainee.key"
    ensure_private_dir(crt.parent)
    issued = pki.issue(
        ca,
        "etcdtui-trainee",
        client=True,
        days=365,  # issued a year ago, like kubeadm's client certificates: 2 days left
        not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=363),
    )
    pki.save(issued, crt, key)
    return state_for(
        "cert-expiring",
        box,
        manifest,
        client_cert=str(crt),
        client_key=str(key),
        pki_dir=str(box.pki_dir),
    )


def scale_out(box: Sandbox, root: Path, say: Say) -> DrillState:
    start_box(box)
    return state_for("scale-out", box, seed(box))


def backup_policy(box: Sandbox, root: Path, say: Say) -> DrillState:
    start_box(box)
    manifest = seed(box)
    identity, recipient = _age_identity(root)
    backups = ensure_private_dir(root / "backups")
    return state_for(
        "backup-policy",
        box,
        manifest,
        identity=str(identity),
        recipient=recipient,
        backups=str(backups),
        scratch=str(root / "scratch"),
    )


def slow_member(box: Sandbox, root: Path, say: Say) -> DrillState:
    from etcdtui.services import sandbox_faults

    start_box(box)
    manifest = seed(box)
    lead, ids, term = run(_leader_and_members, box)
    victim = {v: k for k, v in ids.items()}[lead]
    say(_("{name} starts missing its CPU time ...").format(name=victim))
    sandbox_faults.starve(box, victim, duty=0.7, seconds=1800)
    return state_for(
        "slow-member", box, manifest, victim=hex_id(ids[victim]), victim_name=victim, term=term
    )


def partitioned_member(box: Sandbox, root: Path, say: Say) -> DrillState:
    from etcdtui.services import sandbox_faults

    start_box(box, fault_proxy=True)
    manifest = seed(box)
    lead, ids, _term = run(_leader_and_members, box)
    victim = next(n for n, i in sorted(ids.items()) if i != lead)
    say(_("the network cuts {name} off from its peers ...").format(name=victim))
    sandbox_faults.partition(box, victim, mode="drop")
    return state_for("partitioned-member", box, manifest, victim_name=victim)


def upgrade_versions() -> tuple[Path, str, Path, str]:
    """(old bin dir, old version, new bin dir, new version): 3.5.16 to the newest fetched."""
    from etcdtui.errors import UsageError
    from etcdtui.services.etcd_fetch import cache_dir, cached_versions

    have = cached_versions(cache_dir())
    old = dict(have).get("3.5.16")
    newest = next(((v, d) for v, d in have if v.startswith("3.5.") and v != "3.5.16"), None)
    if old is None or newest is None:
        raise UsageError(
            _("the upgrade drill needs etcd 3.5.16 and a newer 3.5 in the etcd cache"),
            fix=_("Run: etcdtui sandbox fetch-etcd 3.5.16 newest"),
        )
    return old, "3.5.16", newest[1], newest[0]


def upgrade(box: Sandbox, root: Path, say: Say) -> DrillState:
    old_dir, old_version, new_dir, new_version = upgrade_versions()
    start_box(box, binary=old_dir / "etcd")
    manifest = seed(box)
    lead, _ids, term = run(_leader_and_members, box)
    backups = ensure_private_dir(root / "backups")
    return state_for(
        "upgrade",
        box,
        manifest,
        target=new_version,
        target_binary=str(new_dir / "etcd"),
        from_version=old_version,
        term=term,
        leader=hex_id(lead),
        backups=str(backups),
    )
