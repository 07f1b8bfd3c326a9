"""The slice of ClusterService the console uses, as a Protocol.

The real ``ClusterService`` and ``tests.fakes.FakeCluster`` both satisfy it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from etcdtui.models import (
    Alarm,
    ConnectionSettings,
    EndpointHealth,
    EndpointStatus,
    HashKV,
    Member,
    MemberList,
)


class ClusterLike(Protocol):
    settings: ConnectionSettings

    async def close(self) -> None: ...
    def configured_endpoints(self) -> list[str]: ...
    def all_endpoints(self) -> list[str]: ...
    def metrics_urls(self) -> list[str]: ...
    async def members(self) -> MemberList: ...
    async def alarms(self) -> tuple[Alarm, ...]: ...
    async def endpoint_status(self, url: str) -> EndpointStatus: ...
    async def endpoint_health(self, url: str) -> EndpointHealth: ...
    async def health(self, urls: Sequence[str] | None = None) -> tuple[EndpointHealth, ...]: ...
    async def leader(self) -> int | None: ...
    async def member_add(
        self, peer_urls: Sequence[str], *, learner: bool = True, name: str = ""
    ) -> Member: ...
    async def member_remove(self, member_id: int) -> MemberList: ...
    async def member_update(self, member_id: int, peer_urls: Sequence[str]) -> MemberList: ...
    async def promote_with_retry(
        self,
        member_id: int,
        *,
        attempts: int = 10,
        first_delay: float = 0.5,
        max_delay: float = 5.0,
        on_retry: Callable[[int, float, Any], None] | None = None,
    ) -> MemberList: ...
    async def move_leader(self, target_id: int) -> None: ...
    async def scrape_metrics(self, url: str) -> Any: ...
    async def hashkv(self, revision: int | None = None) -> Sequence[HashKV]: ...


ServiceFactory = Callable[[ConnectionSettings], ClusterLike]


def real_service(settings: ConnectionSettings) -> ClusterLike:
    from etcdtui.services.audit import AuditLog
    from etcdtui.services.cluster import ClusterService

    return ClusterService(settings, audit=AuditLog())
