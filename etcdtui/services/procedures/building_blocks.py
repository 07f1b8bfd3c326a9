"""Shared pieces of the guided procedures: cluster facts, start commands, and the
steps of learner-first membership changes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from etcdtui import errors
from etcdtui.cluster_data import (
    ConnectionSettings,
    EndpointHealth,
    EndpointStatus,
    Member,
    MemberList,
)
from etcdtui.domain import health as health_rule
from etcdtui.i18n import _
from etcdtui.services.cluster import ClusterService
from etcdtui.services.etcdapi import rpc_pb2
from etcdtui.services.plans import Ref, Step, Where, start_command_forms


@dataclass(frozen=True)
class MemberTLS:
    """Certificate paths on the member's host (paths only, never key material)."""

    cert: str = "/etc/kubernetes/pki/etcd/server.crt"
    key: str = "/etc/kubernetes/pki/etcd/server.key"
    peer_cert: str = "/etc/kubernetes/pki/etcd/peer.crt"
    peer_key: str = "/etc/kubernetes/pki/etcd/peer.key"
    ca: str = "/etc/kubernetes/pki/etcd/ca.crt"


@dataclass(frozen=True, kw_only=True)
class StartOptions:
    """What the replace, scale and rebuild requests share: how their new members are
    started, and the etcdctl environment their runbooks print. Keyword-only, so each
    request keeps its own fields' positions."""

    etcd_binary: str = "etcd"
    start_timeout: float = 120.0
    etcdctl_env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterFacts:
    """One observation of the cluster, taken when the plan is built."""

    members: MemberList
    statuses: tuple[EndpointStatus, ...] = ()
    health: tuple[EndpointHealth, ...] = ()
    leader_id: int | None = None
    linearizable: bool = True  # False: the member list came from a serializable read

    def status_of(self, m: Member) -> EndpointStatus | None:
        return next((s for s in self.statuses if s.ok and s.member_id == m.id), None)

    def failed_status(self, m: Member) -> EndpointStatus | None:
        urls = set(m.client_urls)
        return next((s for s in self.statuses if not s.ok and s.endpoint in urls), None)

    def health_of(self, m: Member) -> EndpointHealth | None:
        return health_rule.health_of(m, self.status_of(m), self.health)

    def healthy_ids(self) -> set[int]:
        return health_rule.healthy_ids(self.members.members, self.statuses, self.health)

    def version(self) -> str:
        return next((s.version for s in self.statuses if s.ok and s.version), "")


async def serializable_members(svc: ClusterService) -> MemberList:
    """The member list from any member that answers, even without quorum."""
    from etcdtui.services.readings import best_failure, member_list_from

    failures: list[BaseException] = []
    for url in svc.all_endpoints():
        c = svc.pool.client(url)
        try:
            resp = await c.call(c.cluster.MemberList, rpc_pb2.MemberListRequest(linearizable=False))
        except errors.EtcdtuiError as exc:
            failures.append(exc)
            continue
        ml = member_list_from(resp.header, resp.members)
        svc._remember(ml)
        return ml
    raise best_failure(failures)


async def gather(svc: ClusterService) -> ClusterFacts:
    linearizable = True
    try:
        members = await svc.members()
    except errors.EtcdtuiError:
        members = await serializable_members(svc)
        linearizable = False
    statuses, health = await asyncio.gather(svc.statuses(), svc.health())
    from etcdtui.cluster_data import ClusterReading
    from etcdtui.domain.health import is_access_error

    denied = next((s for s in statuses if not s.ok and is_access_error(s.error_code)), None)
    if denied is not None and not any(s.ok for s in statuses):
        # Judging a change on members we were not allowed to see would call them down.
        raise errors.AccessDenied(denied.error or "", endpoint=denied.endpoint)

    return ClusterFacts(
        members, statuses, health, ClusterReading(None, statuses).leader, linearizable
    )


def url_host(url: str) -> str:
    return urlsplit(url).hostname or url


def default_client_url(peer_url: str) -> str:
    p = urlsplit(peer_url)
    return f"{p.scheme}://{p.hostname}:2379"


def etcdctl_env(settings: ConnectionSettings) -> dict[str, str]:
    env = {"ETCDCTL_API": "3", "ETCDCTL_ENDPOINTS": ",".join(settings.endpoints)}
    for k, v in (
        ("ETCDCTL_CACERT", settings.cacert),
        ("ETCDCTL_CERT", settings.cert),
        ("ETCDCTL_KEY", settings.key),
    ):
        if v:
            env[k] = str(v)
    return env


def start_flags(
    name: str,
    data_dir: str,
    peer_url: str,
    client_url: str,
    cluster: str,
    tls: MemberTLS,
    state: str = "existing",
) -> list[tuple[str, str | None]]:
    return [
        ("name", name),
        ("data-dir", data_dir),
        ("listen-peer-urls", peer_url),
        ("initial-advertise-peer-urls", peer_url),
        ("listen-client-urls", client_url),
        ("advertise-client-urls", client_url),
        ("initial-cluster", cluster),
        ("initial-cluster-state", state),
        ("cert-file", tls.cert),
        ("key-file", tls.key),
        ("client-cert-auth", None),
        ("trusted-ca-file", tls.ca),
        ("peer-cert-file", tls.peer_cert),
        ("peer-key-file", tls.peer_key),
        ("peer-client-cert-auth", None),
        ("peer-trusted-ca-file", tls.ca),
    ]


def etcd_servers(client_urls: Sequence[str]) -> str:
    return "--etcd-servers=" + ",".join(client_urls)


# --- step builders shared by replace and scale --------------------------------------------


def learner_steps(
    prefix: str,
    *,
    name: str,
    peer_url: str,
    client_url: str,
    cluster: str,
    data_dir: str,
    tls: MemberTLS,
    binary: str,
    start_timeout: float,
    var: str,
) -> list[Step]:
    """add learner, start it, wait for catch-up, promote: four steps for one new member."""
    host = url_host(peer_url)
    remove_new = Ref(
        "remove-new-member",
        _("remove the learner {name} again (member remove ${var})").format(
            name=name, var=var.upper()
        ),
        {"member": f"${var}", "name": name},
    )
    flag_form, env_form, kube_form = start_command_forms(
        binary, start_flags(name, data_dir, peer_url, client_url, cluster, tls)
    )
    return [
        Step(
            id=f"{prefix}add-learner",
            title=_("Add {name} as a learner").format(name=name),
            why=_(
                "A learner does not vote, so adding it cannot cost quorum even if it never "
                "starts; it is promoted once it has caught up."
            ),
            where=Where("cluster-api"),
            action="member.add-learner",
            command=("etcdctl", "member", "add", name, f"--peer-urls={peer_url}", "--learner"),
            params={"name": name, "peer_url": peer_url, "var": var},
            precondition=Ref(
                "what-if-add-learner",
                _("the quorum what-if allows adding a learner"),
                {"peer_url": peer_url},
            ),
            check=Ref(
                "member-is-learner",
                _("the member list shows the new learner"),
                {"member": f"${var}"},
            ),
            rollback=remove_new,
        ),
        Step(
            id=f"{prefix}start",
            title=_("Start etcd on {host} as {name}").format(host=host, name=name),
            why=_(
                "The new member must start with an EMPTY data dir and "
                "--initial-cluster-state existing, listing the current members and itself."
            ),
            where=Where("host", host),
            action="host.start-new-member",
            display=flag_form,
            params={
                "name": name,
                "member": f"${var}",
                "peer_url": peer_url,
                "client_url": client_url,
                "initial_cluster": cluster,
                "data_dir": data_dir,
                "timeout": start_timeout,
            },
            precondition=Ref(
                "member-is-learner", _("the learner is in the member list"), {"member": f"${var}"}
            ),
            check=Ref(
                "member-started",
                _("{name} answers on {url} and published its name").format(
                    name=name, url=client_url
                ),
                {"member": f"${var}", "client_url": client_url, "timeout": start_timeout},
            ),
            rollback=remove_new,
            alternatives={
                _("Same, as ETCD_* environment variables"): env_form,
                _("kubeadm: in /etc/kubernetes/manifests/etcd.yaml on the new host"): kube_form,
            },
            notes=(
                _("Make sure {dir} is empty or absent on {host} before starting.").format(
                    dir=data_dir, host=host
                ),
            ),
        ),
        Step(
            id=f"{prefix}catch-up",
            title=_("Wait for {name} to catch up").format(name=name),
            why=_("etcd refuses to promote a learner whose log is far behind the leader's."),
            where=Where("cluster-api"),
            action="member.catch-up",
            display=f"etcdctl endpoint status --endpoints={client_url} -w table",
            params={"member": f"${var}", "client_url": client_url, "timeout": start_timeout},
            rollback=remove_new,
        ),
        Step(
            id=f"{prefix}promote",
            title=_("Promote {name} to a voting member").format(name=name),
            why=_(
                "Only voters count toward quorum; promotion is retried with backoff while "
                "etcd says the learner is not in sync yet."
            ),
            where=Where("cluster-api"),
            action="member.promote",
            display=f"etcdctl member promote ${var.upper()}",
            params={"member": f"${var}"},
            precondition=Ref(
                "member-is-learner", _("the new member is still a learner"), {"member": f"${var}"}
            ),
            check=Ref(
                "member-is-voter", _("the member list shows it as a voter"), {"member": f"${var}"}
            ),
        ),
    ]


def verify_step(step_id: str, voters: int) -> Step:
    return Step(
        id=step_id,
        title=_("Verify that all {n} voters are healthy").format(n=voters),
        why=_("The procedure is finished only when every voter commits a linearizable read."),
        where=Where("cluster-api"),
        action="cluster.verify-voters",
        display="etcdctl endpoint health --cluster && etcdctl member list -w table",
        params={"voters": voters},
        check=Ref(
            "voters-healthy",
            _("{n} voters, all healthy, no learner left").format(n=voters),
            {"voters": voters, "timeout": 30.0},
        ),
    )


# --- step builders shared by restore and rebuild ------------------------------------------


def stop_apiservers_step(why: str) -> Step:
    return Step(
        id="stop-apiservers",
        title=_("Stop every kube-apiserver"),
        why=why,
        where=Where("apiserver-hosts"),
        action="operator",
        destructive=True,
        display="mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/",
    )


def start_apiservers_step(client_urls: Sequence[str], why: str) -> Step:
    return Step(
        id="start-apiservers",
        title=_("Fix --etcd-servers and start the kube-apiservers"),
        why=why,
        where=Where("apiserver-hosts"),
        action="operator",
        display=etcd_servers(client_urls) + "\nmv /etc/kubernetes/kube-apiserver.yaml "
        "/etc/kubernetes/manifests/",
    )


def member_etcd_step(verb: Literal["stop", "start"], name: str, peer_url: str, why: str) -> Step:
    """Stop or start one member's etcd on its host (step id ``stop-NAME`` or
    ``start-NAME``); stopping is destructive."""
    stop = verb == "stop"
    title = _("Stop etcd member {name}") if stop else _("Start etcd member {name}")
    manifest = (
        "mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/"
        if stop
        else "mv /etc/kubernetes/etcd.yaml /etc/kubernetes/manifests/"
    )
    systemctl = _("or: systemctl stop etcd") if stop else _("or: systemctl start etcd")
    return Step(
        id=f"{verb}-{name}",
        title=title.format(name=name),
        why=why,
        where=Where("host", url_host(peer_url)),
        action=f"host.{verb}-etcd",
        destructive=stop,
        display=f"{manifest}  # " + systemctl,
        params={"name": name},
    )


def move_aside_step(name: str, peer_url: str, path: str, aside: str, why: str) -> Step:
    """Move a member's old data dir aside, never deleting it (step id ``move-aside-NAME``)."""
    return Step(
        id=f"move-aside-{name}",
        title=_("Move {name}'s old data dir aside").format(name=name),
        why=why,
        where=Where("host", url_host(peer_url)),
        action="host.move-aside",
        command=("mv", path, aside),
        params={"path": path, "aside": aside},
        precondition=Ref(
            "path-absent", _("{p} does not exist yet").format(p=aside), {"path": aside}
        ),
    )
