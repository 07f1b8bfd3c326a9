"""The two read-only security checks of a cluster, as both faces run them: the
certificate report (`etcdtui certs`, the certificates pane) and the posture scan
(`etcdtui security scan`, the security pane). Both import their modules lazily (the
certificate report loads cryptography, which takes a noticeable moment)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etcdtui.cluster_data import ConnectionSettings

if TYPE_CHECKING:
    from etcdtui.ops.certs import CertReport
    from etcdtui.ops.posture import ScanReport


async def collect_cert_report(
    settings: ConnectionSettings,
    *,
    pki_dirs: Sequence[Path] = (),
    local: bool = True,
    kubeadm_root: Path | None = None,
) -> CertReport:
    """The certificates the cluster of ``settings`` runs on, and those in ``pki_dirs``;
    with ``local``, also the member certificates found on this host (the sandbox's,
    kubeadm's under ``kubeadm_root`` or its default)."""
    # Loaded in a thread: importing cryptography takes a noticeable moment.
    certs: Any = await asyncio.to_thread(importlib.import_module, "etcdtui.ops.certs")
    roots = list(pki_dirs)
    if local:
        roots += certs.default_local_roots(settings, kubeadm_root)
    report: CertReport = await certs.collect(settings, local_roots=roots)
    return report


async def run_security_scan(
    settings: ConnectionSettings,
    *,
    secrets_sample: int | None = None,
    secrets_prefix: bytes | None = None,
) -> ScanReport:
    """The read-only posture scan. ``secrets_sample``/``secrets_prefix``: how many
    Kubernetes Secrets to sample, under which prefix (the scan's defaults when not given)."""
    from etcdtui.ops import posture

    options: dict[str, Any] = {}
    if secrets_sample is not None:
        options["secrets_sample"] = secrets_sample
    if secrets_prefix is not None:
        options["secrets_prefix"] = secrets_prefix
    return await posture.scan(settings, **options)
