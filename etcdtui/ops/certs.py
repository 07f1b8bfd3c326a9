"""The certificate report (`etcdtui certs`, the console's certificates pane): what the
cluster runs on and how soon it expires. Importing it loads cryptography.
Re-exported: the pane and `etcdtui certs` show these service types as they are;
the report is collected through :func:`etcdtui.ops.security.collect_cert_report`."""

from __future__ import annotations

from etcdtui.services.tls.cert_report import CRITICAL_DAYS as CRITICAL_DAYS
from etcdtui.services.tls.cert_report import WARNING_DAYS as WARNING_DAYS
from etcdtui.services.tls.cert_report import CertInfo as CertInfo
from etcdtui.services.tls.cert_report import CertReport as CertReport
from etcdtui.services.tls.cert_report import collect as collect
from etcdtui.services.tls.cert_report import default_local_roots as default_local_roots
from etcdtui.services.tls.cert_report import nearest_expiry as nearest_expiry

__all__ = [
    "CRITICAL_DAYS",
    "WARNING_DAYS",
    "CertInfo",
    "CertReport",
    "collect",
    "default_local_roots",
    "nearest_expiry",
]
