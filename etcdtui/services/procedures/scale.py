"""Grow the cluster one learner at a time (3 -> 5): add, start, catch up, promote,
verify, then the next member. Even targets are refused unless forced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from etcdtui import errors
from etcdtui.cluster_data import hex_id
from etcdtui.domain import scaling
from etcdtui.domain.membership import Entry, initial_cluster, member_entries
from etcdtui.i18n import _
from etcdtui.services.plans import (
    Clock,
    Plan,
    Step,
    TokenSource,
    Where,
    new_plan_id,
    random_token,
    system_clock,
)
from etcdtui.services.procedures.building_blocks import (
    ClusterFacts,
    MemberTLS,
    StartOptions,
    default_client_url,
    etcd_servers,
    learner_steps,
    verify_step,
)


@dataclass(frozen=True)
class NewMember:
    name: str
    peer_url: str
    client_url: str = ""
    data_dir: str | None = None  # default: ScaleRequest.data_dir
    tls: MemberTLS | None = None  # default: ScaleRequest.tls


@dataclass(frozen=True)
class ScaleRequest(StartOptions):
    target: int
    new_members: tuple[NewMember, ...] = ()
    force: bool = False
    data_dir: str = "/var/lib/etcd"
    tls: MemberTLS = field(default_factory=MemberTLS)


def parse_new_members(items: Sequence[str]) -> tuple[NewMember, ...]:
    out = []
    for item in items:
        name, sep, urls = item.partition("=")
        peer, _sep2, client = urls.partition("@")
        if not sep or not name or not peer.startswith(("https://", "http://")):
            raise errors.UsageError(
                _("{item!r} is not NAME=PEER_URL[@CLIENT_URL]").format(item=item),
                fix=_("Example: --new-member m4=https://10.0.0.4:2380"),
                console_fix=_(
                    "Name each new member as NAME=PEER_URL, e.g. m4=https://10.0.0.4:2380."
                ),
            )
        out.append(NewMember(name, peer, client or default_client_url(peer)))
    return tuple(out)


def build_scale_plan(
    facts: ClusterFacts,
    req: ScaleRequest,
    *,
    tokens: TokenSource = random_token,
    clock: Clock = system_clock,
) -> Plan:
    voters = [m for m in facts.members.members if not m.is_learner]
    healthy = facts.healthy_ids()
    advice = scaling.advice_for_target(
        len(voters),
        req.target,
        healthy=len([m for m in voters if m.id in healthy]),
        force=req.force,
    )
    if not advice.allowed:
        # Titled by the real reason: an even size is refused for itself, not because
        # quorum would be at risk.
        even = req.target >= 1 and req.target % 2 == 0 and not req.force
        title = _("Refused: {n} voters is an even size").format(n=req.target) if even else None
        raise errors.QuorumRefusal(
            " ".join(advice.reasons),
            fix=advice.fix or "",
            console_fix=advice.console_fix,
            title=title,
        )
    if req.target < len(voters):
        raise errors.UsageError(
            _("member scale only grows the cluster ({n} -> {t})").format(
                n=len(voters), t=req.target
            ),
            fix=_("Remove members one at a time with the member commands, leader last."),
        )
    learners = [m for m in facts.members.members if m.is_learner]
    if learners:
        raise errors.TooManyLearners(
            _("a learner already exists: {names}").format(
                names=", ".join(m.name or m.hex_id for m in learners)
            )
        )
    need = req.target - len(voters)
    if len(req.new_members) < need:
        raise errors.UsageError(
            _("growing to {t} needs {n} new members, {g} given").format(
                t=req.target, n=need, g=len(req.new_members)
            ),
            fix=_("Pass --new-member NAME=PEER_URL once per new member."),
            console_fix=_(
                "The console adds new members only in the sandbox. On another cluster, plan "
                "the scale with `etcdtui scale` in a shell, naming the new members "
                "(docs/procedures.md)."
            ),
        )
    # Every member (learners and unstarted voters were refused above), as etcdctl
    # member add lists them: the one builder in domain.membership.
    current: list[Entry] = list(member_entries(facts.members.members))
    clients = [m.client_urls[0] for m in voters if m.client_urls]
    steps: list[Step] = []
    for i, nm in enumerate(req.new_members[:need], 1):
        current.append((nm.name, nm.peer_url))
        clients.append(nm.client_url)
        steps += learner_steps(
            f"{nm.name}-",
            name=nm.name,
            peer_url=nm.peer_url,
            client_url=nm.client_url,
            cluster=initial_cluster(current),
            data_dir=nm.data_dir or req.data_dir,
            tls=nm.tls or req.tls,
            binary=req.etcd_binary,
            start_timeout=req.start_timeout,
            var=f"new_member_{i}",
        )
        steps.append(verify_step(f"{nm.name}-verify", len(voters) + i))
    steps.append(
        Step(
            id="update-apiservers",
            title=_("Add the new members to --etcd-servers"),
            why=_("kube-apiservers only use the endpoints they are given."),
            where=Where("apiserver-hosts"),
            action="operator",
            display=etcd_servers(clients),
        )
    )
    return Plan(
        id=new_plan_id("scale", tokens),
        title=_("Scale from {n} to {t} voters").format(n=len(voters), t=req.target),
        kind="scale",
        steps=tuple(steps),
        context={
            "from": len(voters),
            "to": req.target,
            "new_members": [
                {"name": m.name, "peer_url": m.peer_url, "client_url": m.client_url}
                for m in req.new_members[:need]
            ],
            "cluster_id": hex_id(facts.members.cluster_id),
            "etcdctl_env": dict(req.etcdctl_env),
        },
        summary=(
            _("Path: {path} voters; tolerance {a} -> {b}.").format(
                path=" -> ".join(str(n) for n in advice.path),
                a=advice.tolerance_before,
                b=advice.tolerance_after,
            ),
        ),
        warnings=advice.warnings,
        created=clock().isoformat(timespec="seconds"),
    )
