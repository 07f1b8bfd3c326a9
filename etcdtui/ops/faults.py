"""Faults injected into the local sandbox (`etcdtui sandbox partition/heal/starve`).
Re-exported: the CLI calls these sandbox functions as they are (no orchestration)."""

from __future__ import annotations

from etcdtui.services.sandbox_faults import DEFAULT_ELECTION_MS as DEFAULT_ELECTION_MS
from etcdtui.services.sandbox_faults import active_faults as active_faults
from etcdtui.services.sandbox_faults import heal as heal
from etcdtui.services.sandbox_faults import partition as partition
from etcdtui.services.sandbox_faults import proxy_running as proxy_running
from etcdtui.services.sandbox_faults import starve as starve

__all__ = ["DEFAULT_ELECTION_MS", "active_faults", "heal", "partition", "proxy_running", "starve"]
