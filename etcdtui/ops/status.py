"""`etcdtui status`: the JSON document (a contract other tools rely on) built from one
reading of the cluster and each member's /metrics, and the scrapes that run beside the
reading. The services load when used: the status path pays only for what it reads."""

from __future__ import annotations

from etcdtui.cluster_data import ClusterReading, hex_id
from etcdtui.records import replace

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any

    from etcdtui.services.quick_status import StatusReading

# `etcdtui status` reads through etcd's gRPC-JSON gateway unless this is "grpc" (see
# docs/cli.md): loading grpcio costs a one-shot command more than its requests take.
TRANSPORT_ENV = "ETCDTUI_STATUS_TRANSPORT"


def status_transport(settings: Any) -> str:
    """The transport of `etcdtui status`: the gateway (threads, stdlib TLS: no asyncio,
    no grpc) unless the environment asks for gRPC or the connection authenticates with
    a user (the gateway would need its own token handling: keep one copy)."""
    import os

    if os.environ.get(TRANSPORT_ENV, "").strip().lower() == "grpc":
        return "grpc"
    if settings.user:
        return "grpc"
    return "gateway"


def quick_read(settings: Any) -> StatusReading:
    """One reading and each member's /metrics through the gateway, on threads."""
    from etcdtui.services.quick_status import QuickStatus

    return QuickStatus(settings).read()


async def read_over_grpc(settings: Any) -> tuple[ClusterReading, Any]:
    """The same reading over gRPC, the /metrics scrapes beside it (on threads, the same
    scrapes as the gateway path's)."""
    import asyncio
    import time

    from etcdtui.ops.cluster import connect
    from etcdtui.services.quick_status import MetricsScrapes

    async with connect(settings) as svc:
        scrapes = MetricsScrapes(settings)
        scrapes.start(svc.metrics_urls())
        result: ClusterReading = await svc.overview()
        # a scrape has its own deadline and started before the overview: this only
        # bounds the wait should a thread never come back
        until = time.monotonic() + 2 * settings.timeout + 1.0
        scraped = await asyncio.to_thread(scrapes.finish, result, svc.metrics_urls(), until)
        return result, scraped


def status_document(reading: ClusterReading, scraped: Any = ()) -> dict[str, Any]:
    """The `etcdtui status -o json` contract. ``scraped``: each member's /metrics
    (:class:`etcdtui.services.metrics.MemberMetrics`), matched by endpoint."""
    from etcdtui.domain.quorum import summarize
    from etcdtui.services.advisories import metrics_advice

    members = reading.members.members if reading.members else ()
    summary = summarize(members, reading.healthy_ids())
    leader = reading.leader
    from etcdtui.services.metrics import by_endpoint

    ids = {s.endpoint: s.member_id for s in reading.endpoints if s.ok}
    with_ids = [
        replace(m, member_id=m.member_id or ids.get(m.endpoint, 0))
        for m in {m.endpoint: m for m in scraped}.values()
    ]
    by_url = by_endpoint(scraped, reading.endpoints)
    return {
        "cluster_id": hex_id(reading.members.cluster_id) if reading.members else None,
        "leader": hex_id(leader) if leader else None,
        "quorum": summary.as_dict()
        | {"state": reading.quorum_state(summary.state), "learners": summary.learners},
        "alarms": [a.as_dict() for a in reading.alarms],
        "access_error": reading.access_error(),
        "members_error": reading.members_error,
        "endpoints": [
            s.as_dict()
            | {"healthy": _healthy(reading, s.endpoint)}
            | ({"metrics": by_url[s.endpoint].as_dict()} if s.endpoint in by_url else {})
            for s in reading.endpoints
        ],
        "advisories": [a.as_dict() for a in metrics_advice(reading.members, with_ids)],
    }


def _healthy(reading: ClusterReading, endpoint: str) -> bool | None:
    for h in reading.health:
        if h.endpoint == endpoint:
            return h.healthy
    return None
