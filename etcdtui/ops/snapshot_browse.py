"""Reading inside snapshot files: the Kubernetes objects of one snapshot, and the
difference between two.
Re-exported: the faces call these readers as they are (no orchestration)."""

from __future__ import annotations

from etcdtui.services.snapshots.diff import diff as diff
from etcdtui.services.snapshots.diff import diff_live as diff_live
from etcdtui.services.snapshots.k8s import inspect as inspect
from etcdtui.services.snapshots.k8s import objects as objects
from etcdtui.services.snapshots.live import live_entries as live_entries

__all__ = ["diff", "diff_live", "inspect", "live_entries", "objects"]
