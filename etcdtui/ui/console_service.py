"""The real service behind the console: ``ClusterService`` plus the two read-only
checks of the security panes. Imported when the console connects (by
:func:`etcdtui.ui.service.real_service`), not at start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from etcdtui.ops.cluster import ClusterService
from etcdtui.ops.security import collect_cert_report as collect_cert_report
from etcdtui.ops.security import run_security_scan as run_security_scan

if TYPE_CHECKING:
    from etcdtui.ops.certs import CertReport
    from etcdtui.ops.posture import ScanReport


class ConsoleService(ClusterService):
    async def cert_report(self) -> CertReport:
        return await collect_cert_report(self.settings)

    async def security_scan(self) -> ScanReport:
        return await run_security_scan(self.settings)
