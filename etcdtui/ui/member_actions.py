"""The console's face of member changes: the verdict and the sending live in
:mod:`etcdtui.ops.members`, which the CLI calls too. This module turns the console's
state (the polled member list, health and leader) into a view for the verdict, and a
dialog's fields into a request. Pure (no textual).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from etcdtui.cluster_data import ConnectionSettings, Member, MemberList
from etcdtui.ops import members as ops
from etcdtui.ops.members import MemberPlan as ActionPlan
from etcdtui.ops.members import etcdctl_flags, title_for
from etcdtui.ui.service import ClusterLike

__all__ = ["KINDS", "ActionPlan", "etcdctl_flags", "execute", "plan", "title_for"]

# The console adds members as learners only (then promotes them): no add-voter key.
KINDS = ("add-learner", "promote", "remove", "update-peer-urls", "move-leader")


def plan(
    kind: str,
    members: MemberList,
    healthy_ids: Collection[int],
    leader_id: int | None,
    settings: ConnectionSettings,
    target: Member | None = None,
    peer_urls_text: str = "",
    name: str = "",
    access_error: str | None = None,
) -> ActionPlan:
    """The verdict on what the dialog holds now, judged on the console's state."""
    req = ops.MemberRequest(
        kind,
        target=target.id if target is not None else None,
        peer_urls=peer_urls_text,
        name=name,
    )
    view = ops.ClusterView.of(members, healthy_ids, leader_id, access_error)
    return ops.judge(req, view, settings, target)


async def execute(
    service: ClusterLike,
    kind: str,
    target_id: int | None,
    *,
    peer_urls_text: str = "",
    name: str = "",
    audit: Any = None,
    progress: Callable[[str], None] = lambda _t: None,
) -> str:
    """Re-check with fresh data, then send (:func:`etcdtui.ops.members.execute`).
    Returns a one-line outcome."""
    req = ops.MemberRequest(kind, target=target_id, peer_urls=peer_urls_text, name=name)
    outcome = await ops.execute(service, req, audit=audit, progress=progress)
    return outcome.message
