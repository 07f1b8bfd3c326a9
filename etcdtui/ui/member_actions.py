"""Member actions as data: what-if, equivalent etcdctl command, confirmation rule.

Pure (no textual): the modal renders a plan, and ``execute`` re-checks the plan
against a fresh member list and health right before sending through the service.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from etcdtui.domain import health as health_rule
from etcdtui.domain import quorum, whatif
from etcdtui.domain.membership import joining_cluster
from etcdtui.errors import PreconditionFailed, QuorumRefusal
from etcdtui.i18n import _
from etcdtui.models import (
    ConnectionSettings,
    Member,
    MemberList,
    QuorumSummary,
    hex_id,
)
from etcdtui.ui.service import ClusterLike

KINDS = ("add-learner", "promote", "remove", "update-peer-urls", "move-leader")
DESTRUCTIVE = ("remove", "move-leader")


def title_for(kind: str) -> str:
    return {
        "add-learner": _("Add a learner"),
        "promote": _("Promote a learner"),
        "remove": _("Remove a member"),
        "update-peer-urls": _("Update peer URLs"),
        "move-leader": _("Move leadership"),
    }[kind]


@dataclass(frozen=True)
class ActionPlan:
    kind: str
    target: Member | None
    before: QuorumSummary
    after: QuorumSummary
    allowed: bool
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    fix: str | None
    command: str
    confirm_text: str | None  # what the operator must type, for destructive actions
    target_is_leader: bool = False

    @property
    def title(self) -> str:
        return title_for(self.kind)


def etcdctl_flags(settings: ConnectionSettings) -> list[str]:
    flags = ["--endpoints=" + ",".join(settings.endpoints)]
    for name, path in (("cacert", settings.cacert), ("cert", settings.cert), ("key", settings.key)):
        if path is not None:
            flags.append(f"--{name}={path}")
    if settings.user:
        flags.append(f"--user={settings.user}")  # the password is prompted, never shown
    return flags


def etcdctl_command(
    settings: ConnectionSettings,
    kind: str,
    target: Member | None,
    peer_urls: Sequence[str] = (),
    name: str = "",
) -> str:
    tid = hex_id(target.id) if target else "<ID>"
    urls = ",".join(peer_urls) or "<PEER-URL>"
    args = {
        "add-learner": ["member", "add", name or "<NAME>", f"--peer-urls={urls}", "--learner"],
        "promote": ["member", "promote", tid],
        "remove": ["member", "remove", tid],
        "update-peer-urls": ["member", "update", tid, f"--peer-urls={urls}"],
        "move-leader": ["move-leader", tid],
    }[kind]
    return shlex.join(["etcdctl", *etcdctl_flags(settings), *args])


def parse_urls(text: str) -> tuple[tuple[str, ...], str | None]:
    """Comma-separated peer URLs and the first problem, if any."""
    urls = tuple(u.strip() for u in text.split(",") if u.strip())
    if not urls:
        return urls, _("Enter at least one peer URL, e.g. https://10.0.0.4:2380.")
    for u in urls:
        try:
            parts = urlsplit(u)
            port = parts.port
        except ValueError:
            return urls, _("{url!r} is not a URL.").format(url=u)
        if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
            return urls, _("{url!r} must look like https://host:2380.").format(url=u)
        if parts.path not in ("", "/"):
            return urls, _("{url!r} must not contain a path.").format(url=u)
    return urls, None


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
    before = quorum.summarize(members, healthy_ids)
    if access_error is not None and kind != "move-leader":
        return ActionPlan(
            kind=kind,
            target=target,
            before=before,
            after=before,
            allowed=False,
            reasons=(
                _(
                    "etcd refused these credentials ({why}); the members answered, so this is "
                    "not quorum loss and the what-if cannot judge the change."
                ).format(why=access_error),
            ),
            warnings=(),
            fix=_(
                "Do not restore. Reconnect with a user that has the root role (--user, "
                "ETCDTUI_PASSWORD) or the right client certificate."
            ),
            command=etcdctl_command(settings, kind, target, (), name.strip()),
            confirm_text=None,
            target_is_leader=False,
        )
    urls, url_problem = parse_urls(peer_urls_text)
    reasons: list[str] = []
    warnings: list[str] = []
    fix: str | None = None
    after = before
    if kind in ("add-learner", "promote", "remove") or (
        kind == "update-peer-urls" and target is not None and urls and not url_problem
    ):
        if kind == "add-learner":
            change: whatif.Change = whatif.AddLearner(urls, name=name)
        elif kind == "update-peer-urls" and target is not None:
            change = whatif.UpdatePeerURLs(target.id, tuple(urls))
        elif target is None:
            change = whatif.Remove(0)
        else:
            change = (whatif.Promote if kind == "promote" else whatif.Remove)(target.id)
        verdict = whatif.what_if(members, healthy_ids, change, leader_id=leader_id)
        after, fix = verdict.after, verdict.fix
        reasons += verdict.reasons
        warnings += verdict.warnings
    elif not before.has_quorum:
        reasons.append(_("Quorum is lost: etcd cannot commit this change."))
        fix = _("Bring the failed members back first.")
    if kind in ("add-learner", "update-peer-urls") and url_problem:
        reasons.append(url_problem)
    if kind == "add-learner" and not name.strip():
        reasons.append(_("Enter the new member's name (used in --initial-cluster)."))
    if kind != "add-learner" and target is None:
        reasons.append(_("Select a member first."))
    if kind == "move-leader" and target is not None:
        if leader_id is None:
            reasons.append(_("No member reports a leader."))
        elif target.id == leader_id:
            reasons.append(_("{m} is already the leader.").format(m=quorum.label(target)))
        if target.is_learner:
            reasons.append(_("A learner cannot become leader; promote it first."))
        elif target.id not in healthy_ids:
            reasons.append(_("{m} is not healthy.").format(m=quorum.label(target)))
    confirm = None
    if kind in DESTRUCTIVE and target is not None:
        confirm = target.name or hex_id(target.id)
    return ActionPlan(
        kind=kind,
        target=target,
        before=before,
        after=after,
        allowed=not reasons,
        reasons=tuple(dict.fromkeys(reasons)),
        warnings=tuple(warnings),
        fix=fix,
        command=etcdctl_command(settings, kind, target, urls, name.strip()),
        confirm_text=confirm,
        target_is_leader=target is not None and target.id == leader_id,
    )


async def execute(
    service: ClusterLike,
    kind: str,
    target_id: int | None,
    *,
    peer_urls_text: str = "",
    name: str = "",
    progress: Callable[[str], None] = lambda _t: None,
) -> str:
    """Re-check with fresh data, then send. Returns a one-line outcome."""
    progress(_("Re-checking: fresh member list and health…"))
    members = await service.members()
    health = await service.health()
    leader = await service.leader()
    target = members.by_id(target_id) if target_id is not None else None
    if target_id is not None and target is None:
        raise PreconditionFailed(
            _("member {id} is no longer in the member list").format(id=hex_id(target_id)),
            fix=_("Close this dialog; the list refreshes on its own."),
        )
    fresh = plan(
        kind,
        members,
        health_rule.healthy_ids(members.members, (), health),
        leader,
        service.settings,
        target,
        peer_urls_text,
        name,
    )
    if not fresh.allowed:
        raise QuorumRefusal(" ".join(fresh.reasons), fix=fresh.fix or "")
    urls, _problem = parse_urls(peer_urls_text)
    progress(_("Sending {what}…").format(what=title_for(kind).lower()))
    if kind == "add-learner":
        added = await service.member_add(urls, learner=True, name=name.strip())
        return _(
            "Added learner {id}. Start {name} with --initial-cluster-state existing "
            "--initial-cluster {cluster}"
        ).format(
            id=hex_id(added.id), name=name, cluster=joining_cluster(members.members, name, urls)
        )
    assert target is not None
    label = quorum.label(target)
    if kind == "promote":

        def retry(attempt: int, delay: float, exc: object) -> None:
            progress(
                _("Learner not in sync yet (attempt {n}); retrying in {s:.1f} s…").format(
                    n=attempt, s=delay
                )
            )

        await service.promote_with_retry(target.id, on_retry=retry)
        return _("Promoted {m} to voter.").format(m=label)
    if kind == "remove":
        await service.member_remove(target.id)
        return _("Removed {m}.").format(m=label)
    if kind == "update-peer-urls":
        await service.member_update(target.id, urls)
        return _("Updated the peer URLs of {m}.").format(m=label)
    await service.move_leader(target.id)
    return _("Leadership moved to {m}.").format(m=label)
