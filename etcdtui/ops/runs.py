"""Running a plan: the executor and its saved runs, and the snapshot keys a restore
remembers for the next run.
Re-exported: the executor is already the use case (re-runnable steps, audit)."""

from __future__ import annotations

from etcdtui.services.executor import STATE_LIMIT as STATE_LIMIT
from etcdtui.services.executor import AutoOperator as AutoOperator
from etcdtui.services.executor import Executor as Executor
from etcdtui.services.executor import plan_state_dir as plan_state_dir
from etcdtui.services.procedures.restore import remember_keys as remember_keys

__all__ = ["STATE_LIMIT", "AutoOperator", "Executor", "plan_state_dir", "remember_keys"]
