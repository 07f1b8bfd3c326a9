"""The write-load check (`check perf`): the loads it offers and the run itself."""

from __future__ import annotations

from etcdtui.services.perf import LOADS as LOADS
from etcdtui.services.perf import PREFIX as PREFIX
from etcdtui.services.perf import run_perf as run_perf

__all__ = ["LOADS", "PREFIX", "run_perf"]
