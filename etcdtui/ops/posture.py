"""The read-only security posture scan (`etcdtui security scan`, the security pane).
Re-exported: the pane and the CLI show these service types as they are; the scan
runs through :func:`etcdtui.ops.security.run_security_scan`."""

from __future__ import annotations

from etcdtui.services.tls.posture import SEVERITIES as SEVERITIES
from etcdtui.services.tls.posture import Finding as Finding
from etcdtui.services.tls.posture import ScanReport as ScanReport
from etcdtui.services.tls.posture import scan as scan

__all__ = ["SEVERITIES", "Finding", "ScanReport", "scan"]
