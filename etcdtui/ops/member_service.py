"""The slice of the cluster service a member change needs, apart from the member-change
use case (:mod:`etcdtui.ops.members`): the console's service seam extends it, and the
console starts without loading the verdicts and plans a member key needs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from etcdtui.cluster_data import (
    ConnectionSettings,
    EndpointHealth,
    EndpointStatus,
    Member,
    MemberList,
)


class MemberService(Protocol):
    """The slice of the cluster service a member change needs (``ClusterService`` and
    the console's test fake both satisfy it)."""

    settings: ConnectionSettings

    def all_endpoints(self) -> list[str]: ...
    async def members(self) -> MemberList: ...
    async def endpoint_status(self, url: str) -> EndpointStatus: ...
    async def endpoint_health(self, url: str) -> EndpointHealth: ...
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
