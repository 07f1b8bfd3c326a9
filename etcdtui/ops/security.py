"""The two read-only security checks of a cluster, as the console runs them: the
certificate report and the posture scan. Both import their modules lazily (the
certificate report loads cryptography, which takes a noticeable moment)."""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any

from etcdtui.cluster_data import ConnectionSettings

if TYPE_CHECKING:
    from etcdtui.ops.certs import CertReport
    from etcdtui.ops.posture import ScanReport


async def collect_cert_report(settings: ConnectionSettings) -> CertReport:
    """The certificates the cluster of ``settings`` runs on (``etcdtui certs``)."""
    # Loaded in a thread: importing cryptography takes a noticeable moment.
    certs: Any = await asyncio.to_thread(importlib.import_module, "etcdtui.ops.certs")
    report: CertReport = await certs.collect(
        settings, local_roots=certs.default_local_roots(settings)
    )
    return report


async def run_security_scan(settings: ConnectionSettings) -> ScanReport:
    """The read-only posture scan (``etcdtui security scan``)."""
    from etcdtui.ops import posture

    return await posture.scan(settings)
