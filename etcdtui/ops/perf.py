"""The write-load check (`check perf`): the loads it offers, its refusal, and the run
itself on a connection of its own (the console runs it on the connection it holds)."""

from __future__ import annotations

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.services.perf import LOADS as LOADS
from etcdtui.services.perf import MAX_DURATION_S as MAX_DURATION_S
from etcdtui.services.perf import PREFIX as PREFIX
from etcdtui.services.perf import PerfResult as PerfResult
from etcdtui.services.perf import refuse_unless_allowed as refuse_unless_allowed
from etcdtui.services.perf import run_perf as run_perf

__all__ = [
    "LOADS",
    "MAX_DURATION_S",
    "PREFIX",
    "PerfResult",
    "refuse_unless_allowed",
    "run_check",
    "run_perf",
]


async def run_check(
    settings: ConnectionSettings,
    *,
    load: str,
    duration_s: float,
    clients: int | None = None,
    rate: float | None = None,
) -> PerfResult:
    """One `check perf` on an audited connection of its own (the caller has already
    called :func:`refuse_unless_allowed`)."""
    from etcdtui.ops.cluster import connect

    async with connect(settings, audit=True) as svc:
        return await run_perf(svc, load=load, duration_s=duration_s, clients=clients, rate=rate)
