"""The service seam: the slice of the cluster service the console uses, as a Protocol,
and the one place the console builds a real service.

The real service (:class:`etcdtui.ui.console_service.ConsoleService`, a
``ClusterService`` that also runs the certificate report and the posture scan) and
``tests.support.fakes.FakeCluster`` both satisfy :class:`ClusterLike`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from etcdtui.cluster_data import (
    Alarm,
    ConnectionSettings,
    EndpointHealth,
    HashKV,
)
from etcdtui.ops.member_service import MemberService

if TYPE_CHECKING:
    from etcdtui.ops.certs import CertReport
    from etcdtui.ops.posture import ScanReport


class ClusterLike(MemberService, Protocol):
    """The member-change slice (:class:`etcdtui.ops.member_service.MemberService`) and what the
    panes read."""

    async def close(self) -> None: ...
    def configured_endpoints(self) -> list[str]: ...
    def metrics_urls(self) -> list[str]: ...
    async def alarms(self) -> tuple[Alarm, ...]: ...
    async def health(self, urls: Sequence[str] | None = None) -> tuple[EndpointHealth, ...]: ...
    async def leader(self) -> int | None: ...
    async def scrape_metrics(self, url: str) -> Any: ...
    async def hashkv(self, revision: int | None = None) -> Sequence[HashKV]: ...
    async def cert_report(self) -> CertReport: ...
    async def security_scan(self) -> ScanReport: ...


ServiceFactory = Callable[[ConnectionSettings], ClusterLike]


def real_service(settings: ConnectionSettings) -> ClusterLike:
    from etcdtui.ops.audit import AuditLog
    from etcdtui.ui.console_service import ConsoleService

    return ConsoleService(settings, audit=AuditLog())
