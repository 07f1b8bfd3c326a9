"""Reading inside snapshot files: the Kubernetes objects of one snapshot, and the
difference between two."""

from __future__ import annotations

from etcdtui.services.snapshots.diff import diff as diff
from etcdtui.services.snapshots.k8s import objects as objects

__all__ = ["diff", "objects"]
