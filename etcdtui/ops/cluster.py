"""The live connection to one cluster that the faces hold and pass to the use cases."""

from __future__ import annotations

from etcdtui.services.cluster import ClusterService as ClusterService

__all__ = ["ClusterService"]
