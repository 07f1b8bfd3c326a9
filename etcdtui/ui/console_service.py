"""The real service behind the console: ``ClusterService`` plus the two read-only
checks of the security panes. Imported when the console connects (by
:func:`etcdtui.ui.service.real_service`), not at start."""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any

from etcdtui.models import ConnectionSettings
from etcdtui.services.cluster import ClusterService

if TYPE_CHECKING:
    from etcdtui.services.tls.cert_report import CertReport
    from etcdtui.services.tls.posture import ScanReport


async def collect_cert_report(settings: ConnectionSettings) -> CertReport:
    """The certificates the cluster of ``settings`` runs on (``etcdtui certs``)."""
    # Loaded in a thread: importing cryptography takes a noticeable moment.
    certs: Any = await asyncio.to_thread(
        importlib.import_module, "etcdtui.services.tls.cert_report"
    )
    report: CertReport = await certs.collect(
        settings, local_roots=certs.default_local_roots(settings)
    )
    return report


async def run_security_scan(settings: ConnectionSettings) -> ScanReport:
    """The read-only posture scan (``etcdtui security scan``)."""
    from etcdtui.services.tls import posture

    return await posture.scan(settings)


class ConsoleService(ClusterService):
    async def cert_report(self) -> CertReport:
        return await collect_cert_report(self.settings)

    async def security_scan(self) -> ScanReport:
        return await run_security_scan(self.settings)
