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
    HashKV,
)
from etcdtui.ops.members import MemberService


class ClusterLike(MemberService, Protocol):
    """The member-change slice (:class:`etcdtui.ops.members.MemberService`) and what the
    panes read."""

    async def close(self) -> None: ...
    def configured_endpoints(self) -> list[str]: ...
    async def alarms(self) -> tuple[Alarm, ...]: ...
    async def health(self, urls: Sequence[str] | None = None) -> tuple[EndpointHealth, ...]: ...
    async def leader(self) -> int | None: ...
    async def scrape_metrics(self, url: str) -> Any: ...
    async def hashkv(self, revision: int | None = None) -> Sequence[HashKV]: ...


ServiceFactory = Callable[[ConnectionSettings], ClusterLike]


def real_service(settings: ConnectionSettings) -> ClusterLike:
    from etcdtui.services.audit import AuditLog
    from etcdtui.services.cluster import ClusterService

    return ClusterService(settings, audit=AuditLog())
