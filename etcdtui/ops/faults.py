"""Faults injected into the local sandbox (`etcdtui sandbox partition/heal/starve`).
Re-exported: the CLI calls these sandbox functions as they are (no orchestration)."""

from __future__ import annotations

from etcdtui.services.sandbox_faults import active_faults as active_faults
from etcdtui.services.sandbox_faults import heal as heal
from etcdtui.services.sandbox_faults import longest_follower_timeout_s as longest_follower_timeout_s
from etcdtui.services.sandbox_faults import partition as partition
from etcdtui.services.sandbox_faults import proxy_running as proxy_running
from etcdtui.services.sandbox_faults import starve as starve

__all__ = [
    "active_faults",
    "heal",
    "longest_follower_timeout_s",
    "partition",
    "proxy_running",
    "starve",
]
