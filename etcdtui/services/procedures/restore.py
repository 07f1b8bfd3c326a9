"""Restore a whole cluster from ONE snapshot: etcd's "Disaster recovery" guide
(etcd.io/docs/v3.5/op-guide/recovery/, "Restoring a cluster") and Kubernetes' "Operating
etcd clusters for Kubernetes" (kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/,
"Restoring an etcd cluster").

Pre-checks at plan time: the snapshot verifies (sha256 trailer, bbolt structure), its
etcd version has the restore tool's major.minor, and no target data dir exists unless
it is a member's own data dir that the plan moves aside first (never deleted).
"""

from __future__ import annotations

import asyncio
import os
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import hex_id
from etcdtui.domain.membership import initial_cluster
from etcdtui.i18n import N_, _
from etcdtui.safeio import file_sha256
from etcdtui.services import versions
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
from etcdtui.services.procedures.building_blocks import (
    member_etcd_step,
    move_aside_step,
    start_apiservers_step,
    stop_apiservers_step,
    url_host,
)
from etcdtui.services.procedures.context import CheckResult, ExecContext, StepFailed
from etcdtui.services.procedures.host_actions import host_call
from etcdtui.services.procedures.snapcheck import SnapshotFacts
from etcdtui.services.snapshots.open_file import DecryptKeys

BUMP_REVISION = 1_000_000_000
ACK_WORD = "ROLLBACK"  # what the console operator types to accept the restore's risks
# A snapshot more than this many revisions behind the live cluster rolls back a lot.
LOCAL = "local"  # Where.host of steps that run where etcdtui runs


class RestoreRefused(errors.EtcdtuiError):
    code = "restore-refused"
    default_title = N_("Restore refused")


@dataclass(frozen=True)
class RestoreMember:
    name: str
    peer_url: str
    client_url: str


@dataclass(frozen=True)
class RestoreRequest:
    snapshot: Path
    members: tuple[RestoreMember, ...]
    data_dir_template: str = "/var/lib/etcd"
    tool: str = "etcdutl"  # path or name of etcdutl (3.5+) or etcdctl (3.4)
    tool_version: str = "3.5.1"
    cluster_version: str | None = None  # the live cluster's, when it answers
    old_cluster_id: int | None = None
    current_data_dirs: Mapping[str, str] = field(default_factory=dict)  # name -> live dir
    check_local_dirs: bool = False  # the hosts are this machine: check paths now
    force: bool = False
    # What restoring over the live cluster would cost (see restore_risks): when there is
    # any, the plan starts with a step that only an explicit acknowledgement passes.
    risks: tuple[str, ...] = ()


def bump_supported(tool: str, version: str) -> bool:
    """``--bump-revision``/``--mark-compacted``: see versions.supports_bump_revision."""
    return versions.supports_bump_revision(tool, version)


def parse_members(text: str) -> tuple[RestoreMember, ...]:
    """``name=peerURL[,name=peerURL...]``; the client URL is the peer host on 2379."""
    from etcdtui.services.procedures.building_blocks import default_client_url

    out = []
    for item in [p.strip() for p in text.split(",") if p.strip()]:
        name, sep, url = item.partition("=")
        if not sep or not name or not url.startswith(("https://", "http://")):
            raise errors.UsageError(
                _("{item!r} is not name=peerURL").format(item=item),
                fix=_("Use --members m1=https://10.0.0.1:2380,m2=https://10.0.0.2:2380,..."),
                console_fix=_("Name each member as name=peerURL, e.g. m1=https://10.0.0.1:2380."),
            )
        out.append(RestoreMember(name, url, default_client_url(url)))
    if len({m.name for m in out}) != len(out):
        raise errors.UsageError(_("member names in --members must be unique"))
    return tuple(out)


def data_dir_for(template: str, name: str) -> str:
    return template.replace("{name}", name)


def precheck(snap: SnapshotFacts, req: RestoreRequest) -> list[str]:
    """Refusals raise; warnings are returned."""
    warnings: list[str] = []
    tool_mm = ".".join(req.tool_version.split(".")[:2])
    target = req.cluster_version or snap.cluster_version or req.tool_version
    why_not = versions.offline_tool_problem(req.tool, req.tool_version, target)
    if why_not:
        # Not overridable with --force: the command does not exist in that tool.
        raise RestoreRefused(
            why_not,
            fix=_(
                "Restore with {good} of the cluster's minor version (pass its path with --tool)."
            ).format(good=versions.restore_tool(target)),
            console_fix=_(
                "Restore with {good} of the cluster's minor version: plan the restore with "
                "`etcdtui restore` in a shell, which takes the tool's path "
                "(docs/procedures.md)."
            ).format(good=versions.restore_tool(target)),
        )
    if snap.major_minor and snap.major_minor != tool_mm and not req.force:
        raise RestoreRefused(
            _(
                "the snapshot's cluster version is {snap} (the major.minor recorded in the "
                "file), the restore tool is {tool} {ver}: Kubernetes supports restoring only "
                "with the same major.minor"
            ).format(snap=snap.major_minor, tool=Path(req.tool).name, ver=req.tool_version),
            fix=_(
                "Use {tool} {mm}.x (pass its path with --tool), or --force if you know better."
            ).format(tool=Path(req.tool).name, mm=snap.major_minor),
            console_fix=_(
                "Use {tool} {mm}.x: plan the restore with `etcdtui restore` in a shell, "
                "which takes the tool's path (docs/procedures.md)."
            ).format(tool=Path(req.tool).name, mm=snap.major_minor),
        )
    if req.cluster_version:
        cl_mm = ".".join(req.cluster_version.split(".")[:2])
        if cl_mm != tool_mm and not req.force:
            raise RestoreRefused(
                _("the cluster runs etcd {cl}, the restore tool is {ver}").format(
                    cl=req.cluster_version, ver=req.tool_version
                ),
                fix=_("Restore with the tool of the cluster's major.minor version."),
            )
    if not snap.has_trailer:
        warnings.append(
            _(
                "The file has no sha256 trailer (a raw copy of member/snap/db?): "
                "restore runs with --skip-hash-check."
            )
        )
    if not bump_supported(req.tool, req.tool_version):
        warnings.append(
            _(
                "{tool} {ver} cannot --bump-revision/--mark-compacted (needs etcdutl 3.5.10+; "
                "on 3.4, etcdctl 3.4.27+): clients will see the revision go back to {rev}, "
                "and Kubernetes watch caches go stale. Restart every kube-apiserver, and "
                "kubelets and controllers that watch, after the restore."
            ).format(tool=Path(req.tool).name, ver=req.tool_version, rev=snap.revision)
        )
    if not req.members:
        raise errors.UsageError(
            _("no members to restore"),
            fix=_("Pass --members name=peerURL,... when the cluster does not answer."),
            console_fix=_(
                "Bring the cluster back so it answers, or plan the restore with `etcdtui "
                "restore` in a shell, naming the members (docs/procedures.md)."
            ),
        )
    if req.check_local_dirs:
        for m in req.members:
            target = data_dir_for(req.data_dir_template, m.name)
            if os.path.lexists(target) and req.current_data_dirs.get(m.name) != target:
                raise RestoreRefused(
                    _(
                        "the target data dir {dir} for {name} already exists; restore never "
                        "writes into an existing dir"
                    ).format(dir=target, name=m.name),
                    fix=_(
                        "Move it aside yourself or choose another --data-dir-template; "
                        "etcdtui only moves a member's own live data dir aside."
                    ),
                    console_fix=_(
                        "Move it aside yourself, then try again; etcdtui only moves a "
                        "member's own live data dir aside."
                    ),
                )
    return warnings


def restore_argv(
    req: RestoreRequest, snap: SnapshotFacts, m: RestoreMember, token: str
) -> tuple[tuple[str, ...], dict[str, str]]:
    cluster = initial_cluster([(x.name, x.peer_url) for x in req.members])
    argv = [
        req.tool,
        "snapshot",
        "restore",
        str(req.snapshot),
        f"--name={m.name}",
        f"--initial-cluster={cluster}",
        f"--initial-cluster-token={token}",
        f"--initial-advertise-peer-urls={m.peer_url}",
        f"--data-dir={data_dir_for(req.data_dir_template, m.name)}",
    ]
    if bump_supported(req.tool, req.tool_version):
        argv += [f"--bump-revision={BUMP_REVISION}", "--mark-compacted"]
    if not snap.has_trailer:
        argv.append("--skip-hash-check")
    env = {"ETCDCTL_API": "3"} if Path(req.tool).name == "etcdctl" else {}
    return tuple(argv), env


def _restore_run(argv: tuple[str, ...], snap: SnapshotFacts) -> dict[str, Any]:
    """How a restore step runs: a plain file goes to the tool as it is; an age-encrypted
    one is decrypted into an anonymous in-memory file whose descriptor the tool reads as
    ``/dev/fd/N`` (see :func:`run_decrypted`), so no plaintext file ever has a name."""
    if not snap.encrypted:
        return {"action": "host.run", "command": argv}
    arg = 3  # tool snapshot restore FILE ...
    src = argv[arg]
    by_hand = shlex.join((*argv[:arg], "/dev/shm/etcd-restore.db", *argv[arg + 1 :]))
    display = "\n".join(
        (
            "# "
            + _(
                "{file} is age-encrypted; etcdtui decrypts it into memory when it runs this "
                "step. By hand, decrypt onto a RAM-backed file system and remove it after:"
            ).format(file=Path(snap.path).name),
            f"age --decrypt -i IDENTITY -o /dev/shm/etcd-restore.db {shlex.quote(src)}",
            by_hand,
            "rm -f /dev/shm/etcd-restore.db",
        )
    )
    return {
        "action": "restore.run-decrypted",
        "command": argv,
        "display": display,
        "params": {"snapshot": src, "arg": arg},
    }


def build_restore_plan(
    snap: SnapshotFacts,
    req: RestoreRequest,
    *,
    tokens: TokenSource = random_token,
    clock: Clock = system_clock,
) -> Plan:
    warnings = precheck(snap, req) + list(req.risks)
    token = f"etcd-restore-{tokens(6)}"
    stamp = tokens(3)
    hosts = sorted({url_host(m.peer_url) for m in req.members})
    steps: list[Step] = []
    if req.risks:
        steps.append(
            Step(
                id="acknowledge",
                title=_("Acknowledge what this restore throws away"),
                why=" ".join(req.risks),
                where=Where("host", LOCAL),
                action="plan.acknowledge",
                display=_("# a restore replaces the live data; see the warnings"),
                params={"name": ACK_WORD, "ack": True},
                destructive=True,
            )
        )
    steps += [
        Step(
            id="verify-snapshot",
            title=_("Verify the snapshot file"),
            why=_(
                "A damaged file restores a damaged cluster; the trailer and the bbolt "
                "structure are checked again right before anything is stopped."
            ),
            where=Where("host", LOCAL),
            action="restore.verify-snapshot",
            display=f"etcdtui snapshot verify {snap.path}",
            params={"path": snap.path, "sha256": snap.sha256},
        ),
    ]
    for h in hosts:
        steps.append(
            Step(
                id=f"sha256-{h}",
                title=_("Check the snapshot copy on {host}").format(host=h),
                why=_("Every member must be restored from the SAME file."),
                where=Where("host", h),
                action="restore.sha256",
                display=f"sha256sum {snap.path}  # " + _("expect") + f" {snap.sha256}",
                params={"path": snap.path, "sha256": snap.sha256},
            )
        )
    steps.append(
        stop_apiservers_step(
            _("Apiservers must not write to etcd while it is replaced under them.")
        )
    )
    for m in req.members:
        steps.append(
            member_etcd_step(
                "stop",
                m.name,
                m.peer_url,
                _("All members are restored together; none may keep running on old data."),
            )
        )
    for m in req.members:
        d = req.current_data_dirs.get(m.name, data_dir_for(req.data_dir_template, m.name))
        steps.append(
            move_aside_step(
                m.name,
                m.peer_url,
                d,
                f"{d}.before-restore-{stamp}",
                _("Restore refuses an existing dir; the old data is kept, never deleted."),
            )
        )
    for m in req.members:
        argv, env = restore_argv(req, snap, m, token)
        target = data_dir_for(req.data_dir_template, m.name)
        run = _restore_run(argv, snap)
        run_params = {**run.pop("params", {}), "partial_path": target}
        steps.append(
            Step(
                id=f"restore-{m.name}",
                title=_("Restore {name} from the snapshot").format(name=m.name),
                why=_(
                    "Each member gets a new data dir from the same file, with a fresh cluster "
                    "token: the restored cluster is a new logical cluster."
                ),
                where=Where("host", url_host(m.peer_url)),
                **run,
                env=env,
                params=run_params,
                precondition=Ref(
                    "path-absent", _("{p} does not exist").format(p=target), {"path": target}
                ),
                check=Ref(
                    "restored-dir",
                    _("{p}/member/snap/db exists").format(p=target),
                    {"path": target},
                ),
            )
        )
    for m in req.members:
        steps.append(
            member_etcd_step(
                "start",
                m.name,
                m.peer_url,
                _(
                    "With the data dir in place the --initial-cluster* flags are ignored; the "
                    "member starts from the restored state."
                ),
            )
        )
    urls = [m.client_url for m in req.members]
    steps += [
        Step(
            id="verify",
            title=_("Verify the restored cluster"),
            why=_("Health, member list and revision prove the restore worked."),
            where=Where("cluster-api"),
            action="restore.verify",
            display="etcdctl endpoint health --cluster && etcdctl endpoint status -w table",
            params={
                "client_urls": urls,
                "names": [m.name for m in req.members],
                "revision": snap.revision,
                "old_cluster_id": hex_id(req.old_cluster_id) if req.old_cluster_id else None,
                "timeout": 90.0,
            },
        ),
        start_apiservers_step(urls, _("Apiservers reconnect to the restored cluster.")),
        Step(
            id="restart-components",
            title=_("Restart kube-scheduler, kube-controller-manager and kubelet"),
            why=_("They cache state from the old revision history and must re-list."),
            where=Where("apiserver-hosts"),
            action="operator",
            display="systemctl restart kubelet  # "
            + _("and delete the kube-scheduler and kube-controller-manager pods"),
        ),
    ]
    return Plan(
        id=new_plan_id("restore", tokens),
        title=_("Restore the cluster from {file}").format(file=Path(snap.path).name),
        kind="restore",
        steps=tuple(steps),
        context={
            "snapshot": {
                "path": snap.path,
                "sha256": snap.sha256,
                "size": snap.size,
                "revision": snap.revision,
                "cluster_version": snap.cluster_version,
            },
            "members": [m.__dict__ for m in req.members],
            "token": token,
            "tool": req.tool,
            "tool_version": req.tool_version,
        },
        summary=(
            _(
                "Snapshot revision {rev}, cluster version {ver} (the major.minor recorded in "
                "the file, not the server release), sha256 {sha}."
            ).format(rev=snap.revision, ver=snap.major_minor or "?", sha=snap.sha256),
        ),
        warnings=tuple(warnings),
        created=clock().isoformat(timespec="seconds"),
    )


# --- actions and checks ----------------------------------------------------------------------


async def check_snapshot(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    from etcdtui.services.procedures.snapcheck import verify_snapshot

    path = Path(str(step.params["path"]))
    facts = await asyncio.to_thread(verify_snapshot, path, keys_for(path))
    if facts.sha256 != step.params["sha256"]:
        raise StepFailed(_("the file changed since the plan was made"))
    ctx.vars["verified_file"] = _identity(Path(str(step.params["path"])))
    return {"detail": _("verified: revision {rev}").format(rev=facts.revision)}


def _identity(path: Path) -> list[Any]:
    st = path.stat()
    return [str(path), st.st_size, st.st_mtime_ns, st.st_ino]


async def sha256(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    path = Path(str(step.params["path"]))
    if ctx.vars.get("verified_file") == _identity(path):
        return {"detail": _("same file as the one verified in step 1 (unchanged since)")}
    got = await asyncio.to_thread(file_sha256, Path(str(step.params["path"])))
    if got != step.params["sha256"]:
        raise StepFailed(
            _("sha256 {got} differs from the planned {want}").format(
                got=got, want=step.params["sha256"]
            )
        )
    return {"detail": _("same sha256")}


async def adopt_partial_restore(ctx: ExecContext, step: Step) -> Mapping[str, Any] | None:
    """A restore into ``partial_path`` that was cut short (crash, kill, full disk) left a
    half-written dir. It is this step's own work, since the step began only when the
    path was free: move it aside (never delete) and run the step again."""
    partial = step.params.get("partial_path")
    if not partial or step.id not in ctx.interrupted or not os.path.lexists(str(partial)):
        return None
    aside = f"{partial}.partial-{time.time_ns()}"
    os.rename(str(partial), aside)
    ctx.operator.show(
        "  "
        + _("moved the half-written {p} aside to {a}; restoring again").format(p=partial, a=aside)
    )
    return None


async def run_decrypted(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    from etcdtui.services.snapshots.open_file import decrypt_to_fd

    path = Path(str(step.params["snapshot"]))
    keys = keys_for(path)
    if not keys:
        raise StepFailed(
            _("{file} is age-encrypted and no identity or passphrase was given").format(
                file=path.name
            ),
            title=_("Cannot decrypt the snapshot"),
            fix=_("Resume with --identity FILE or --passphrase-file FILE."),
            console_fix=_(
                "Give the keys with k in the snapshots pane (4), then resume it with W (saved "
                "wizards)."
            ),
        )
    run = host_call(ctx, "run")
    fd = await asyncio.to_thread(decrypt_to_fd, path, keys)
    try:
        argv = list(step.command)
        argv[int(step.params["arg"])] = f"/dev/fd/{fd}"
        out = await asyncio.to_thread(run, argv, dict(step.env), pass_fds=(fd,))
    finally:
        os.close(fd)
    return {"detail": out.splitlines()[-1] if out else ""}


# Decryption keys for encrypted snapshots, by absolute path, for this process only: they
# are never part of a plan, its saved state or the audit log.
_KEYS: dict[str, DecryptKeys] = {}


def remember_keys(path: str | os.PathLike[str], keys: DecryptKeys | None) -> None:
    """Let this process's restore steps decrypt ``path`` with ``keys``."""
    if keys:
        _KEYS[os.path.abspath(path)] = keys


def keys_for(path: str | os.PathLike[str]) -> DecryptKeys | None:
    return _KEYS.get(os.path.abspath(path))


async def restored_dir(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    db = Path(str(params["path"])) / "member" / "snap" / "db"
    return CheckResult(db.is_file(), str(db))


async def verify_restored(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    p = step.params
    urls: Sequence[str] = list(p["client_urls"])
    deadline = time.monotonic() + float(p.get("timeout", 90.0))
    why = ""
    while time.monotonic() < deadline:
        health = await ctx.cluster.health(urls)
        bad = [h for h in health if not h.healthy]
        if bad:
            why = "; ".join(f"{h.endpoint}: {h.error}" for h in bad)
            await asyncio.sleep(0.5)
            continue
        statuses = await ctx.cluster.statuses(urls)
        members = await ctx.cluster.members()
        names = sorted(m.name for m in members.members)
        rev = max((s.revision for s in statuses if s.ok), default=0)
        if names != sorted(p["names"]):
            why = _("member list {names}").format(names=", ".join(names))
        elif p.get("old_cluster_id") and hex_id(members.cluster_id) == p["old_cluster_id"]:
            raise StepFailed(_("the cluster ID did not change: the old cluster is running"))
        elif rev < int(p["revision"]):
            raise StepFailed(
                _("revision {rev} is below the snapshot's {snap}").format(
                    rev=rev, snap=p["revision"]
                )
            )
        else:
            return {
                "detail": _(
                    "{n} members healthy, cluster {cid}, revision {rev} (snapshot {snap})"
                ).format(n=len(names), cid=hex_id(members.cluster_id), rev=rev, snap=p["revision"]),
                "cluster_id": hex_id(members.cluster_id),
                "revision": rev,
            }
        await asyncio.sleep(0.5)
    raise StepFailed(
        _("the restored cluster is not healthy: {why}").format(why=why),
        title=_("Restore verification failed"),
        fix=_(
            "Read the members' logs; the old data dirs are kept beside the new "
            "ones (*.before-restore-*)."
        ),
    )


async def acknowledge(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    return {"detail": _("risks acknowledged by the operator")}
