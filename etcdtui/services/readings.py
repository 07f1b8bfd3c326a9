"""What a cluster's answers mean, whatever carried them: the member list, an
endpoint's status and alarms read from a gRPC stub's reply or from the gRPC-JSON
gateway's (the same field names), and which failure of several to report.

Plain functions without asyncio, shared by :class:`etcdtui.services.cluster.ClusterService`
and the threaded reads of `etcdtui status` (:mod:`etcdtui.services.quick_status`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from etcdtui import errors
from etcdtui.cluster_data import Alarm, ClusterReading, EndpointStatus, Member, MemberList
from etcdtui.i18n import _
from etcdtui.services.etcdapi.endpoint import split_endpoint

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any

ALARM_NAMES = {1: "NOSPACE", 2: "CORRUPT"}


def member_from(m: Any) -> Member:
    return Member(
        id=m.ID,
        name=m.name,
        peer_urls=tuple(m.peerURLs),
        client_urls=tuple(m.clientURLs),
        is_learner=m.isLearner,
    )


def member_list_from(header: Any, members: Iterable[Any]) -> MemberList:
    return MemberList(cluster_id=header.cluster_id, members=tuple(member_from(m) for m in members))


def status_from(url: str, resp: Any, latency_ms: float) -> EndpointStatus:
    """An answered Status request."""
    return EndpointStatus(
        endpoint=url,
        ok=True,
        member_id=resp.header.member_id,
        cluster_id=resp.header.cluster_id,
        revision=resp.header.revision,
        leader=resp.leader,
        raft_term=resp.raftTerm,
        raft_index=resp.raftIndex,
        applied_index=resp.raftAppliedIndex,
        db_size=resp.dbSize,
        db_size_in_use=resp.dbSizeInUse,
        db_size_quota=resp.dbSizeQuota,
        version=resp.version,
        storage_version=resp.storageVersion,
        downgrade_enabled=resp.downgradeInfo.enabled,
        downgrade_target=resp.downgradeInfo.targetVersion,
        is_learner=resp.isLearner,
        errors=tuple(resp.errors),
        latency_ms=latency_ms,
    )


def status_failed(url: str, exc: errors.EtcdtuiError, latency_ms: float) -> EndpointStatus:
    """A Status request that failed: the endpoint's row says why."""
    return EndpointStatus(
        endpoint=url, ok=False, error=str(exc.cause), error_code=exc.code, latency_ms=latency_ms
    )


def health_verdict(exc: errors.EtcdtuiError, *, serializable: bool) -> str:
    """What a failed health read says of the endpoint: ``"healthy"`` (etcd refused the
    key, so the read went through raft), ``"retry"`` (a learner refuses linearizable
    reads: ask again serializable) or ``"unhealthy"``."""
    if isinstance(exc, errors.PermissionDenied):
        return "healthy"
    if not serializable and "learner" in str(exc.cause).lower():
        return "retry"
    return "unhealthy"


def alarms_from(resp: Any) -> tuple[Alarm, ...]:
    return tuple(Alarm(a.memberID, ALARM_NAMES.get(a.alarm, str(a.alarm))) for a in resp.alarms)


def pick_endpoint(statuses: Sequence[EndpointStatus]) -> str | None:
    """The leader's endpoint, else the first that answered."""
    leader = ClusterReading(None, tuple(statuses)).leader
    ok = [s for s in statuses if s.ok]
    for s in ok:
        if s.member_id == leader:
            return s.endpoint
    return ok[0].endpoint if ok else None


def best_failure(failures: Sequence[BaseException]) -> errors.EtcdtuiError:
    """The most informative of several endpoint failures (cluster refusals first)."""
    typed = [f for f in failures if isinstance(f, errors.EtcdtuiError)]
    for kind in (errors.ClusterError, errors.TLSError, errors.AuthFailed, errors.NotEtcd):
        for f in typed:
            if isinstance(f, kind):
                return f
    if typed:
        return typed[0]
    return errors.Unreachable(_("no endpoint answered"))


def client_urls(members: MemberList, *, insecure: bool) -> list[str]:
    """Every member's client URLs, normalised as endpoints; one etcd cannot parse (an
    unreachable scheme, a hostile string) is left out."""
    urls: list[str] = []
    for m in members.members:
        for url in m.client_urls:
            try:
                urls.append(split_endpoint(url, insecure=insecure).url)
            except errors.EtcdtuiError:
                continue
    return urls
