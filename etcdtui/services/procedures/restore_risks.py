"""What a restore over the cluster that answers now would cost: the reasons it may be
a mistake (a healthy cluster, a snapshot from another cluster, one far behind) and,
when there are any, what it would roll back, from a diff of the snapshot against the
live keys. The plan asks the operator to acknowledge them (``ACK_WORD``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import hex_id
from etcdtui.i18n import _
from etcdtui.services.procedures.snapcheck import SnapshotFacts

ROLLBACK_REVISIONS = 1000


def _snapshot_member_ids(path: str) -> set[str]:
    from etcdtui.services.snapshots.mvcc import backend_info
    from etcdtui.services.snapshots.open_file import open_snapshot

    with open_snapshot(path) as db:
        return {str(m["id"]) for m in backend_info(db)["members"]}


def rollback_summary(report: Mapping[str, Any], *, top: int = 8) -> str:
    """One line from a live diff: what a restore deletes, brings back and reverts."""
    s = report["summary"]
    rows = sorted(
        report["by_resource"].items(),
        key=lambda kv: -(kv[1]["added"] + kv[1]["removed"] + kv[1]["changed"]),
    )
    per = ", ".join(f"{name} {v['added']}/{v['removed']}/{v['changed']}" for name, v in rows[:top])
    more = len(rows) - top
    return _(
        "A restore would roll back {total} keys: delete {added} created since the snapshot, "
        "bring back {removed} deleted since, revert {changed} changed since. Per resource "
        "(deleted/brought back/reverted): {per}{more}."
    ).format(
        total=s["added"] + s["removed"] + s["changed"],
        added=s["added"],
        removed=s["removed"],
        changed=s["changed"],
        per=per or _("none"),
        more=_(" and {n} more").format(n=more) if more > 0 else "",
    )


async def restore_risks(
    svc: Any, facts: Any, snap: SnapshotFacts, *, threshold: int = ROLLBACK_REVISIONS
) -> tuple[str, ...]:
    """Why restoring ``snap`` over the cluster that answers now may be a mistake. Empty
    when the cluster does not answer (the case restore is for)."""
    if facts is None:
        return ()
    risks: list[str] = []
    voters = [m for m in facts.members.members if not m.is_learner]
    healthy = facts.healthy_ids()
    if voters and all(m.id in healthy for m in voters):
        risks.append(
            _(
                "The cluster is healthy: all {n} voters answer. Restore is for a cluster that "
                "lost quorum: it replaces every member's data and starts a new cluster. To "
                "fix one member, use member replace."
            ).format(n=len(voters))
        )
    try:
        snap_ids = await asyncio.to_thread(_snapshot_member_ids, snap.path)
    except errors.EtcdtuiError:
        snap_ids = set()
    live_ids = {hex_id(m.id) for m in facts.members.members}
    if snap_ids and not snap_ids & live_ids:
        risks.append(
            _(
                "The snapshot comes from another cluster: none of its members ({snap}) is a "
                "member of the live cluster {cid} ({live})."
            ).format(
                snap=", ".join(sorted(snap_ids)),
                cid=hex_id(facts.members.cluster_id),
                live=", ".join(sorted(live_ids)),
            )
        )
    live_rev = max((s.revision for s in facts.statuses if s.ok), default=0)
    if live_rev - snap.revision > threshold:
        risks.append(
            _(
                "The snapshot is {n} revisions behind the live cluster (revision {snap} against "
                "{live}; more than {t})."
            ).format(n=live_rev - snap.revision, snap=snap.revision, live=live_rev, t=threshold)
        )
    if risks:
        from etcdtui.services.snapshots.diff import diff_live
        from etcdtui.services.snapshots.live import live_entries

        try:
            entries, rev = await live_entries(svc)
            report = await asyncio.to_thread(
                diff_live, snap.path, entries, live_revision=rev, limit=0
            )
        except errors.EtcdtuiError as exc:
            risks.append(
                _(
                    "What it would roll back is unknown: the live keys could not be read ({why})."
                ).format(why=exc.cause)
            )
        else:
            risks.append(rollback_summary(report))
    return tuple(risks)
