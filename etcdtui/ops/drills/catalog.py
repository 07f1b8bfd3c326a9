"""The drills: briefings written like incident pages, objectives, hints."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from etcdtui.i18n import N_, _
from etcdtui.ops.drills import checks, setups
from etcdtui.ops.drills.drill import Drill, DrillState, DrillView, Outcome, sha
from etcdtui.safeio import read_limited


def _cert_renewed(view: DrillView, state: DrillState) -> Outcome:
    from cryptography import x509

    from etcdtui.config import load_config
    from etcdtui.services.tls import pki

    ctx = load_config().contexts.get(state.context)
    cert_path = ctx.cert if ctx and ctx.cert else Path(state.facts["client_cert"])
    key_path = ctx.key if ctx and ctx.key else Path(state.facts["client_key"])
    try:
        cert = x509.load_pem_x509_certificate(read_limited(cert_path))
        ca = x509.load_pem_x509_certificate(read_limited(Path(state.facts["pki_dir"]) / "ca.crt"))
        key = pki.load_issued(cert_path, key_path).key
    except (OSError, ValueError) as exc:
        return Outcome(False, _("the context's certificate cannot be read: {why}").format(why=exc))
    left = cert.not_valid_after_utc - dt.datetime.now(dt.UTC)
    if left < dt.timedelta(days=30):
        return Outcome(
            False, _("{path} expires in {days} days").format(path=cert_path, days=left.days)
        )
    if not pki.issued_by(cert, ca) or not pki.key_matches_cert(cert, key):
        return Outcome(
            False, _("{path} is not a pair issued by the cluster CA").format(path=cert_path)
        )
    if view.members is None:
        return Outcome(
            False, _("the cluster refuses the certificate: {why}").format(why=view.error)
        )
    return Outcome(
        True, _("{path} is valid for {days} more days").format(path=cert_path, days=left.days)
    )


def _m4_joined(view: DrillView, state: DrillState) -> Outcome:
    if view.members is None:
        return Outcome(False, _("the cluster does not answer: {why}").format(why=view.error))
    started = [m for m in view.members.members if m.name]
    if len(started) < 4:
        return Outcome(
            False, _("{n} started members: the new member has not joined").format(n=len(started))
        )
    return Outcome(True, _("{n} started members").format(n=len(started)))


def _writes_accepted(view: DrillView, state: DrillState) -> Outcome:
    return (
        Outcome(True, _("a write was accepted"))
        if state.facts.get("probe_write_ok")
        else Outcome(
            False, _("a write was refused: {why}").format(why=state.facts.get("probe_error") or "?")
        )
    )


def _backup_files(state: DrillState) -> list[Path]:
    folder = Path(state.facts["backups"])
    began = dt.datetime.fromisoformat(state.started).timestamp()
    try:
        files = [p for p in folder.iterdir() if p.is_file() and not p.is_symlink()]
    except OSError:
        return []
    return sorted(
        (
            p
            for p in files
            if p.stat().st_mtime >= began - 1 and not p.name.endswith((".part", ".json"))
        ),
        key=lambda p: p.stat().st_mtime,
    )


def _snapshot_keys(path: Path, identity: Path) -> dict[str, str]:
    from etcdtui.services.snapshots.mvcc import live_keys
    from etcdtui.services.snapshots.open_file import DecryptKeys, load_identities, open_snapshot

    with open_snapshot(path, DecryptKeys(load_identities(identity))) as db:
        return {k.key.decode(errors="replace"): sha(k.value) for k in live_keys(db)}


def _backup_encrypted_verified(view: DrillView, state: DrillState) -> Outcome:
    from etcdtui.services.snapshots.open_file import DecryptKeys, encryption_of, load_identities
    from etcdtui.services.snapshots.status import verify

    files = _backup_files(state)
    if not files:
        return Outcome(False, _("no new snapshot in {dir}").format(dir=state.facts["backups"]))
    newest = files[-1]
    if encryption_of(str(newest)) != "age":
        return Outcome(False, _("{file} is not age-encrypted").format(file=newest.name))
    try:
        res = verify(newest, DecryptKeys(load_identities(state.facts["identity"])))
    except Exception as exc:
        return Outcome(False, _("{file} cannot be opened: {why}").format(file=newest.name, why=exc))
    if not res.ok:
        return Outcome(False, f"{newest.name}: {res.message}")
    keys = _snapshot_keys(newest, Path(state.facts["identity"]))
    missing = [k for k, h in state.manifest.items() if keys.get(k) != h]
    if missing:
        return Outcome(False, _("{file} lacks {n} keys").format(file=newest.name, n=len(missing)))
    return Outcome(True, _("{file}: encrypted, verified, complete").format(file=newest.name))


def _scratch_restored(view: DrillView, state: DrillState) -> Outcome:
    import asyncio

    from etcdtui.ops.drills.runner import gather_view
    from etcdtui.services.sandbox import Sandbox

    scratch = Sandbox(Path(state.facts["scratch"]))
    if not scratch.exists():
        return Outcome(False, _("no scratch sandbox in {dir}").format(dir=scratch.dir))
    try:
        seen = asyncio.run(gather_view(scratch.settings(timeout=3.0), state))
    except Exception as exc:
        return Outcome(False, _("the scratch sandbox does not answer: {why}").format(why=exc))
    if seen.members is None:
        return Outcome(
            False, _("the scratch sandbox does not answer: {why}").format(why=seen.error)
        )
    if view.members is not None and seen.members.cluster_id == view.members.cluster_id:
        return Outcome(False, _("the scratch sandbox is the drill cluster itself"))
    missing = [k for k, h in state.manifest.items() if seen.values.get(k) != h]
    if missing:
        return Outcome(False, _("the scratch cluster lacks {n} keys").format(n=len(missing)))
    return Outcome(True, _("the scratch cluster holds every key"))


def _process_start(pid: int) -> float | None:
    """When a process started, in seconds since the epoch, to the clock tick (/proc's
    start time counts from boot; the boot instant comes from CLOCK_BOOTTIME, not from
    /proc/stat's whole-second btime)."""
    import time

    try:
        fields = read_limited(f"/proc/{pid}/stat", 1 << 16).decode().rsplit(")", 1)[1].split()
        ticks = int(fields[19])
    except (OSError, IndexError, ValueError):
        return None
    booted = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    return booted + ticks / os.sysconf("SC_CLK_TCK")


def _upgraded_starts(state: DrillState) -> list[float]:
    from etcdtui.services.sandbox import Sandbox

    box = Sandbox(Path(state.sandbox_dir))
    starts = []
    for m in box.running_members():
        try:
            exe = os.readlink(f"/proc/{m.pid}/exe")
        except OSError:
            continue
        if Path(exe).resolve() == Path(state.facts["target_binary"]).resolve() and m.pid:
            when = _process_start(m.pid)
            if when is not None:
                starts.append(when)
    return starts


def _backup_before_upgrade(view: DrillView, state: DrillState) -> Outcome:
    from etcdtui.services.snapshots.status import verify

    starts = _upgraded_starts(state)
    if not starts:
        return Outcome(False, _("no member runs the new version yet"))
    first = min(starts)
    for p in _backup_files(state):
        if p.stat().st_mtime < first:
            try:
                res = verify(p)
            except Exception as exc:
                return Outcome(False, f"{p.name}: {exc}")
            if res.ok:
                return Outcome(True, _("{file} was taken and verifies").format(file=p.name))
    return Outcome(False, _("no verified snapshot in backups/ from before the first restart"))


def _leader_last(view: DrillView, state: DrillState) -> Outcome:
    terms = [s.raft_term for s in view.statuses if s.ok]
    if not terms:
        return Outcome(False, _("no member answers"))
    elections = max(terms) - int(state.facts["term"])
    if elections > 1:
        return Outcome(
            False,
            _("{n} elections during the upgrade: the leader was not upgraded last").format(
                n=elections
            ),
        )
    return Outcome(True, _("{n} election(s): the leader went last").format(n=elections))


def _no_partition(view: DrillView, state: DrillState) -> Outcome:
    if view.members is None:
        return Outcome(False, _("the cluster does not answer: {why}").format(why=view.error))
    victim = state.facts["victim_name"]
    m = view.members.by_name(victim)
    if m is None:
        return Outcome(True, _("{name} was replaced").format(name=victim))
    if m.id in view.healthy_ids():
        return Outcome(True, _("{name} answers linearizable reads again").format(name=victim))
    return Outcome(False, _("{name} still fails linearizable reads").format(name=victim))


VOTERS3 = checks.voters_healthy(3)
KEYS = checks.keys_intact()

DRILLS: tuple[Drill, ...] = (
    Drill(
        "member-lost",
        N_("A follower's disk died"),
        N_(
            "PAGER 03:12 etcd-member-down: 1 of 3 etcd members is not responding.\n"
            "The node's disk failed; the member's process is gone and its data dir is empty. "
            "The cluster still has quorum, but one more failure stops the Kubernetes control "
            "plane. Replace the failed member, one step at a time, without losing a key."
        ),
        (
            VOTERS3,
            checks.member_gone("victim", N_("The failed member is no longer listed")),
            checks.no_learners(),
            KEYS,
        ),
        (
            N_("Look at the members pane: which member is unreachable? (etcdtui --context drill)"),
            N_("Remove the failed member first, then add the replacement as a learner."),
            N_(
                "The guided way: press R on the failed member, or run "
                "`etcdtui member replace NAME --sandbox-dir DIR --execute`."
            ),
        ),
        setups.member_lost,
    ),
    Drill(
        "leader-lost",
        N_("The leader's disk died"),
        N_(
            "PAGER 04:40 etcd-leader-changes: leadership moved and one member stopped "
            "answering. The member that was leader lost its disk. A new leader was elected. "
            "Replace the failed member without losing a key."
        ),
        (
            VOTERS3,
            checks.member_gone("victim", N_("The failed member is no longer listed")),
            checks.no_learners(),
            KEYS,
        ),
        (
            N_("Who leads now? The header shows the leader; the old one is unreachable."),
            N_("Replacing a failed former leader is the same procedure as for a follower."),
            N_("Press R on the failed member, or run `etcdtui member replace NAME ...`."),
        ),
        setups.leader_lost,
    ),
    Drill(
        "majority-lost",
        N_("Two of three members are gone for good"),
        N_(
            "PAGER 02:05 kube-apiserver-down: the API server cannot reach etcd.\n"
            "Two of the three members lost their disks; quorum is lost and cannot come back. "
            "Last night's backup is in the drill's backups/ folder, encrypted with age; the "
            "identity file is in keys/backup.agekey. Restore the cluster from last night's "
            "snapshot (not an older one). Writes made after the backup are lost by design."
        ),
        (VOTERS3, checks.no_learners(), KEYS),
        (
            N_("With quorum lost, membership changes are impossible: a restore is the way."),
            N_(
                "Pick the newest backup, and verify it first (etcdtui snapshot verify FILE "
                "--identity KEYFILE)."
            ),
            N_("etcdtui restore FILE --identity KEYFILE --sandbox-dir DIR --execute"),
        ),
        setups.majority_lost,
    ),
    Drill(
        "nospace",
        N_("The database hit its quota"),
        N_(
            "PAGER 11:30 etcd-nospace: etcdserver: mvcc: database space exceeded.\n"
            "An event storm filled the 16 MiB quota; every write fails and the NOSPACE alarm "
            "is raised. Recover: make room and get writes flowing again, without losing a key."
        ),
        (
            checks.no_alarms(),
            checks.custom("writes", N_("Writes are accepted again"), _writes_accepted),
            VOTERS3,
            KEYS,
        ),
        (
            N_("Raising the quota alone does nothing while the alarm is active."),
            N_("Compact to the current revision, then defragment one member at a time."),
            N_("Finally disarm the alarm (etcdtui maintenance nospace does all three)."),
        ),
        setups.nospace,
        probe=lambda state: probe_write(state),
    ),
    Drill(
        "wrong-peer-url",
        N_("A member was added with a typo in its peer URL"),
        N_(
            "TICKET: yesterday a colleague added a fourth member, m4, but typed its peer URL "
            "wrong. It never started, and every further add is refused because of it. "
            "Clean it up, then add the new member correctly."
        ),
        (
            checks.member_gone("bad", N_("The botched member is removed")),
            checks.no_unstarted_members(),
            checks.custom("joined", N_("A correctly added member has joined"), _m4_joined),
            checks.voters_healthy(),
            KEYS,
        ),
        (
            N_("The member list shows an entry without a name: it never started."),
            N_("Remove it by its hex ID while quorum holds."),
            N_("Then grow the cluster properly, e.g. `etcdtui member scale 5 --sandbox-dir DIR`."),
        ),
        setups.wrong_peer_url,
    ),
    Drill(
        "cert-expiring",
        N_("The operator's client certificate expires in 2 days"),
        N_(
            "ALERT: etcdtui-operator certificate expires in 2 days (clients/trainee.crt). "
            "When it expires, nobody can operate etcd. Renew it from the cluster CA with the "
            "PKI tool and make sure the drill context uses the new certificate."
        ),
        (
            checks.custom(
                "cert", N_("The context's client certificate is valid for 30+ days"), _cert_renewed
            ),
            VOTERS3,
        ),
        (
            N_("`etcdtui certs --context drill` shows every certificate and its expiry."),
            N_("`etcdtui pki renew DIR` re-issues what expires soon and keeps the old as .bak."),
        ),
        setups.cert_expiring,
    ),
    Drill(
        "scale-out",
        N_("Grow the cluster from 3 to 5 members"),
        N_(
            "CHANGE: the platform team wants to tolerate two failures. Grow the cluster from "
            "3 to 5 voting members, one learner at a time, without ever risking quorum."
        ),
        (checks.voters_healthy(5), checks.no_learners(), KEYS),
        (
            N_("Four voters tolerate no more failures than three: finish at five."),
            N_("`etcdtui member scale 5 --sandbox-dir DIR` adds one learner at a time."),
        ),
        setups.scale_out,
    ),
    Drill(
        "backup-policy",
        N_("Prove the backups restore"),
        N_(
            "AUDIT: backups must be encrypted, verified, and proven to restore. Take an "
            "age-encrypted snapshot into the drill's backups/ folder (the recipient's "
            "identity is keys/backup.agekey), verify it, and restore it into a scratch "
            "sandbox in the drill's scratch/ folder to prove it."
        ),
        (
            checks.custom(
                "backup",
                N_("A new encrypted snapshot verifies and is complete"),
                _backup_encrypted_verified,
            ),
            checks.custom(
                "scratch",
                N_("A scratch cluster restored from it holds every key"),
                _scratch_restored,
            ),
            VOTERS3,
        ),
        (
            N_(
                "`etcdtui snapshot save FILE --encrypt-to RECIPIENT` (the public key is in the "
                "identity file's first line)."
            ),
            N_("`etcdtui sandbox up --dir SCRATCH`, then restore into it with --sandbox-dir."),
        ),
        setups.backup_policy,
    ),
    Drill(
        "slow-member",
        N_("A starved member causes leader elections"),
        N_(
            "PAGER 14:20 etcd-high-leader-changes: 4 or more leader changes in 15 minutes; "
            "writes are slow. One member is not getting its CPU time (a noisy neighbour), "
            "so its heartbeats arrive late. Find it from the metrics, then take it out of "
            "rotation safely: move the leadership away from it, then replace it."
        ),
        (
            checks.member_gone("victim", N_("The starved member was replaced")),
            VOTERS3,
            checks.no_learners(),
            KEYS,
        ),
        (
            N_("Pane 2 shows leader changes per member; the advisory names heartbeat starvation."),
            N_(
                "Move the leadership away first (m on another member, or "
                "`etcdtui member move-leader`)."
            ),
            N_(
                "Then replace it: "
                "`etcdtui member replace NAME --force --sandbox-dir DIR --execute`."
            ),
        ),
        setups.slow_member,
    ),
    Drill(
        "partitioned-member",
        N_("A member is cut off from its peers"),
        N_(
            "PAGER 09:05 etcd-member-unhealthy: one member fails health checks, yet its own "
            "status endpoint still answers. The network between it and its peers is broken. "
            "Find it (its status answers, its linearizable reads fail), then heal or "
            "replace it."
        ),
        (VOTERS3, checks.custom("reachable", N_("No member is cut off"), _no_partition), KEYS),
        (
            N_("Compare pane 1's health column with each member's status: one disagrees."),
            N_("`etcdtui sandbox status -o json` lists the active faults of the sandbox."),
            N_("`etcdtui sandbox heal NAME` restores the network; or replace the member."),
        ),
        setups.partitioned_member,
    ),
    Drill(
        "upgrade",
        N_("Roll the cluster to a newer etcd"),
        N_(
            "CHANGE: the cluster runs etcd 3.5.16; the target is the newest 3.5 in the etcd "
            "cache. Take a backup first, then upgrade one member at a time with health checks "
            "in between, the leader last. No key may be lost."
        ),
        (
            checks.versions_are("target"),
            checks.custom(
                "backup-first",
                N_("A verified backup was taken before the first restart"),
                _backup_before_upgrade,
            ),
            checks.custom("leader-last", N_("The leader was upgraded last"), _leader_last),
            VOTERS3,
            KEYS,
        ),
        (
            N_("`etcdtui plan upgrade --to VERSION` prints the plan: pre-flight, backup, members."),
            N_("Save the backup into the drill's backups/ folder (--backup FILE)."),
            N_(
                "`etcdtui plan upgrade --to VERSION --backup FILE --execute --sandbox-dir DIR "
                "--etcd-binary PATH` runs it on the sandbox, leader last."
            ),
        ),
        setups.upgrade,
    ),
)


def probe_write(state: DrillState) -> None:
    """The nospace drill proves writes flow with one real write (not a seeded key)."""
    import asyncio

    from etcdtui.errors import EtcdtuiError
    from etcdtui.ops.drills.runner import drill_settings
    from etcdtui.services.cluster import ClusterService

    async def go() -> None:
        async with ClusterService(drill_settings(state)) as svc:
            await svc.put(b"/drill/probe", json.dumps({"pid": os.getpid()}).encode())

    try:
        asyncio.run(go())
        state.facts["probe_write_ok"], state.facts["probe_error"] = True, None
    except EtcdtuiError as exc:
        state.facts["probe_write_ok"], state.facts["probe_error"] = False, exc.cause
