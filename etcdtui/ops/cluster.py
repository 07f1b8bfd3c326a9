"""The live connection to one cluster that the faces hold and pass to the use cases."""

from __future__ import annotations

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.services.cluster import ClusterService as ClusterService

__all__ = ["ClusterService", "connect"]


def connect(settings: ConnectionSettings, *, audit: bool = False) -> ClusterService:
    """A connection for one command: with ``audit``, every mutation it sends is written
    to the audit log."""
    if audit:
        from etcdtui.services.audit import AuditLog

        return ClusterService(settings, audit=AuditLog())
    return ClusterService(settings)
