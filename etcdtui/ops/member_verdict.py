"""The verdict on a member change, pure (no I/O): :func:`judge` a :class:`MemberRequest`
against a :class:`ClusterView`. The CLI, the console's dialogs, the replace wizard and
:func:`etcdtui.ops.members.execute` (right before sending) all call it, so each gives
the same answer for the same cluster state.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from etcdtui import errors
from etcdtui.cluster_data import (
    ClusterReading,
    ConnectionSettings,
    Member,
    MemberList,
    QuorumSummary,
    hex_id,
)
from etcdtui.domain import quorum
from etcdtui.i18n import _

if TYPE_CHECKING:  # loaded on the first verdict, not at console start-up
    from etcdtui.domain.whatif import Change

KINDS = ("add-learner", "add-voter", "promote", "remove", "update-peer-urls", "move-leader")
# Typed confirmation (the member's name or hex ID) in both faces: each of these can stall
# or shrink the cluster. The CLI's --yes skips it; the console has no way around it.
CONFIRMED = ("remove", "update-peer-urls", "move-leader")


def title_for(kind: str) -> str:
    return {
        "add-learner": _("Add a learner"),
        "add-voter": _("Add a voter"),
        "promote": _("Promote a learner"),
        "remove": _("Remove a member"),
        "update-peer-urls": _("Update peer URLs"),
        "move-leader": _("Move leadership"),
    }[kind]


# --- the request and the view it is judged against -----------------------------------------


@dataclass(frozen=True)
class MemberRequest:
    """One member change as a face asks for it.

    ``target``: the member, by ID (the console: the selected row) or by the name or hex ID
    the operator typed (the CLI), including the name an unstarted member was added with.
    ``peer_urls``: comma-separated, as typed. ``name``: the new member's, for an add.
    ``force``: go past etcdtui's own policy (never past what etcd itself would refuse).
    """

    kind: str
    target: int | str | None = None
    peer_urls: str = ""
    name: str = ""
    force: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise errors.UsageError(_("unknown member change {kind!r}").format(kind=self.kind))


@dataclass(frozen=True)
class ClusterView:
    """What a verdict is judged on: one observation of the cluster."""

    members: MemberList
    healthy_ids: frozenset[int]
    leader_id: int | None
    access_error: str | None = None

    @classmethod
    def of(
        cls,
        members: MemberList,
        healthy_ids: Collection[int],
        leader_id: int | None,
        access_error: str | None = None,
    ) -> ClusterView:
        return cls(members, frozenset(healthy_ids), leader_id, access_error)

    @classmethod
    def of_reading(cls, reading: ClusterReading) -> ClusterView:
        if reading.members is None:
            raise errors.EtcdtuiError(
                reading.members_error or _("no member answered"), title=_("Cannot list members")
            )
        return cls.of(
            reading.members, reading.healthy_ids(), reading.leader, reading.access_error()
        )


def find_target(members: MemberList, ref: int | str | None) -> Member | None:
    """The member ``ref`` names: an ID, a name, a hex ID, or the name an unstarted member
    was added with (etcd learns names only when a member starts)."""
    if ref is None:
        return None
    if isinstance(ref, int):
        return members.by_id(ref)
    found = members.find(ref)
    if found is None:
        from etcdtui.services import added_names

        added = added_names.find(members, ref)
        found = members.by_id(added) if added is not None else None
    return found


def parse_peer_urls(text: str) -> tuple[tuple[str, ...], str | None]:
    """Comma-separated peer URLs, each as ``scheme://host:port`` (a bare ``host:port``
    means https), and the first problem, if any."""
    from etcdtui.services.etcdapi.endpoint import split_endpoint

    raw = [u.strip() for u in text.split(",") if u.strip()]
    if not raw:
        return (), _("Enter at least one peer URL, e.g. https://10.0.0.4:2380.")
    urls: list[str] = []
    for u in raw:
        try:
            urls.append(split_endpoint(u, insecure=True).url)
        except errors.EtcdtuiError:
            return tuple(raw), _("{url!r} must look like https://host:2380 (no path).").format(
                url=u
            )
    return tuple(urls), None


# --- the verdict ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberPlan:
    """The verdict on one request, and what a face needs to show it."""

    request: MemberRequest
    members: MemberList  # the member list it was judged on
    target: Member | None
    before: QuorumSummary
    after: QuorumSummary
    allowed: bool
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    fix: str | None
    command: str  # the equivalent etcdctl command
    confirm_text: str | None  # what the operator types to confirm (or the hex ID)
    target_is_leader: bool = False
    peer_urls: tuple[str, ...] = ()
    server_error: str | None = None  # etcd's exact refusal, when etcd itself would refuse
    overridable: bool = False  # refused by etcdtui's policy only: --force goes past it
    error_class: type[errors.EtcdtuiError] = field(default=errors.QuorumRefusal, repr=False)
    console_fix: str | None = None  # the console's words when ``fix`` names a CLI flag

    @property
    def kind(self) -> str:
        return self.request.kind

    @property
    def title(self) -> str:
        return title_for(self.kind)

    @property
    def runnable(self) -> bool:
        """Allowed, or refused by our own policy only and the request says --force."""
        return self.allowed or (self.request.force and self.overridable)

    def refusal(self) -> errors.EtcdtuiError:
        """The error a face raises (or shows) when the plan is not runnable."""
        title = None
        if self.server_error:
            title = _('Not sent: etcd would answer "{error}"').format(error=self.server_error)
        return self.error_class(
            " ".join(self.reasons), title=title, fix=self.fix or "", console_fix=self.console_fix
        )

    def verdict(self) -> dict[str, object]:
        """The verdict alone: what the same-verdict test compares across the faces."""
        return {
            "kind": self.kind,
            "allowed": self.allowed,
            "reasons": list(self.reasons),
            "server_error": self.server_error,
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
        }

    def as_dict(self) -> dict[str, object]:
        return self.verdict() | {
            "target": hex_id(self.target.id) if self.target else None,
            "warnings": list(self.warnings),
            "fix": self.fix,
            "overridable": self.overridable,
            "etcdctl": self.command,
        }


def _change(req: MemberRequest, target: Member | None, urls: tuple[str, ...]) -> Change | None:
    from etcdtui.domain.whatif import AddLearner, AddVoter, Promote, Remove, UpdatePeerURLs

    if req.kind == "add-learner":
        return AddLearner(urls, name=req.name.strip())
    if req.kind == "add-voter":
        return AddVoter(urls, name=req.name.strip())
    if target is None:
        return None
    if req.kind == "promote":
        return Promote(target.id)
    if req.kind == "remove":
        return Remove(target.id)
    if req.kind == "update-peer-urls":
        return UpdatePeerURLs(target.id, urls)
    return None  # move-leader: no membership change


def judge(
    req: MemberRequest,
    view: ClusterView,
    settings: ConnectionSettings,
    target: Member | None = None,
) -> MemberPlan:
    """The verdict on ``req`` against ``view``. Pure: the console calls it on every key
    press, the CLI once before asking to confirm, :func:`execute` right before sending.
    ``target``: the member already looked up (else ``req.target`` is looked up)."""
    kind = req.kind
    members = view.members
    if target is None:
        target = find_target(members, req.target)
    adding = kind in ("add-learner", "add-voter")
    with_urls = adding or kind == "update-peer-urls"
    urls, url_problem = parse_peer_urls(req.peer_urls) if with_urls else ((), None)
    name = req.name.strip()
    before = quorum.summarize(members, view.healthy_ids)
    leader = view.leader_id
    command = etcdctl_command(settings, kind, target, urls, name)
    base = {
        "request": req,
        "members": members,
        "target": target,
        "before": before,
        "command": command,
        "peer_urls": urls,
        "target_is_leader": target is not None and target.id == leader,
    }
    if view.access_error is not None:
        return MemberPlan(
            after=before,
            allowed=False,
            reasons=(
                _(
                    "etcd refused these credentials ({why}); the members answered, so this is "
                    "not quorum loss and the what-if cannot judge the change."
                ).format(why=view.access_error),
            ),
            warnings=(),
            fix=_(
                "Do not restore. Reconnect with a user that has the root role (--user, "
                "ETCDTUI_PASSWORD) or the right client certificate."
            ),
            console_fix=_(
                "Do not restore. Switch to a context whose user has the root role, or whose "
                "client certificate etcd accepts (:context NAME)."
            ),
            confirm_text=None,
            error_class=errors.AccessDenied,
            **base,  # type: ignore[arg-type]
        )
    reasons: list[str] = []
    warnings: list[str] = []
    fix: str | None = None
    console_fix: str | None = None
    verdict_fix: str | None = None
    after = before
    server_error: str | None = None
    overridable = False
    error_class: type[errors.EtcdtuiError] = errors.QuorumRefusal
    change = None if url_problem else _change(req, target, urls)
    if change is not None:
        from etcdtui.domain.whatif import what_if

        verdict = what_if(members, view.healthy_ids, change, leader_id=leader)
        after, fix, console_fix = verdict.after, verdict.fix, verdict.console_fix
        verdict_fix = fix
        reasons += verdict.reasons
        warnings += verdict.warnings
        server_error, overridable = verdict.server_error, verdict.overridable
        error_class = quorum.SERVER_ERRORS.get(server_error or "", errors.QuorumRefusal)
    elif not before.has_quorum:
        reasons.append(
            _("{state}. Quorum is lost, so etcd cannot commit any membership change.").format(
                state=quorum.describe(before)
            )
        )
        fix = _("Bring the failed members back, or restore the cluster from a snapshot.")
    if url_problem:
        reasons.append(url_problem)
        fix = fix or _("Use a URL like https://10.0.0.4:2380.")
        error_class = errors.UsageError
    if adding:
        if not name:
            reasons.append(_("Enter the new member's name (used in --initial-cluster)."))
            error_class = errors.UsageError
        elif _name_taken(members, name):
            reasons.append(_("A member named {name!r} already exists.").format(name=name))
            fix = fix or _("Pick another name, or replace the existing member.")
            error_class = errors.UsageError
    elif target is None:
        reasons.append(_("Select a member first."))
        error_class = errors.MemberNotFound
    if kind == "move-leader" and target is not None:
        if leader is None:
            reasons.append(_("No member reports a leader."))
            error_class = errors.NoLeader
        elif target.id == leader:  # idempotent: a script may ask twice
            warnings.append(
                _("{m} is already the leader: nothing will be sent.").format(m=quorum.label(target))
            )
        if target.is_learner:
            reasons.append(_("A learner cannot become leader; promote it first."))
        elif target.id not in view.healthy_ids:
            reasons.append(_("{m} is not healthy.").format(m=quorum.label(target)))
    confirm = None
    if kind in CONFIRMED and target is not None:
        confirm = target.name or hex_id(target.id)
    return MemberPlan(
        after=after,
        allowed=not reasons,
        reasons=tuple(dict.fromkeys(reasons)),
        warnings=tuple(warnings),
        fix=fix,
        console_fix=console_fix if fix == verdict_fix else None,
        confirm_text=confirm,
        server_error=server_error,
        overridable=overridable and not url_problem and (target is not None or adding),
        error_class=error_class,
        **base,  # type: ignore[arg-type]
    )


def _name_taken(members: MemberList, name: str) -> bool:
    if members.by_name(name) is not None:
        return True
    from etcdtui.services import added_names

    return added_names.find(members, name) is not None


# --- equivalent etcdctl command and the new member's start flags ---------------------------


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
    add = ["member", "add", name or "<NAME>", f"--peer-urls={urls}"]
    args = {
        "add-learner": [*add, "--learner"],
        "add-voter": add,
        "promote": ["member", "promote", tid],
        "remove": ["member", "remove", tid],
        "update-peer-urls": ["member", "update", tid, f"--peer-urls={urls}"],
        "move-leader": ["move-leader", tid],
    }[kind]
    return shlex.join(["etcdctl", *etcdctl_flags(settings), *args])


def initial_cluster(members: MemberList, name: str, peer_urls: Sequence[str]) -> str:
    """``--initial-cluster`` for a member about to join (the one builder,
    :func:`etcdtui.domain.membership.joining_cluster`: every member's peer URLs, as etcd
    compares them, then the new one's)."""
    from etcdtui.domain.membership import joining_cluster

    return joining_cluster(members.members, name, peer_urls)
