"""What a procedure's actions, checks, rollbacks and adopters are given and give back:
the :class:`ExecContext` of a run, :class:`CheckResult`, :class:`StepFailed`, the
operator and host interfaces, and the function types the registry
(:mod:`etcdtui.services.procedures.registry`) holds. The executor and every procedure
import this module; it imports neither."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from etcdtui import errors
from etcdtui.cluster_data import parse_hex_id
from etcdtui.i18n import N_, _
from etcdtui.services.cluster import ClusterService
from etcdtui.services.plans import Plan, Step


class StepFailed(errors.EtcdtuiError):
    code = "plan-step-failed"
    default_title = N_("A plan step failed")


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str = ""


class Operator(Protocol):
    """The person at the keyboard (or --yes standing in for them)."""

    def show(self, text: str) -> None: ...

    def progress(self, step: Step, fraction: float, text: str) -> None: ...

    async def confirm(self, step: Step) -> bool: ...

    async def wait_done(self, step: Step) -> str:
        """Block until the operator ran the command elsewhere: "done" or "abort"."""
        ...


class HostAdapter(Protocol):
    has_apiservers: bool

    def is_local(self, host: str | None) -> bool: ...


@dataclass
class ExecContext:
    plan: Plan
    cluster: ClusterService
    operator: Operator
    host: HostAdapter | None
    vars: dict[str, Any] = field(default_factory=dict)
    # Steps whose action had begun when an earlier run stopped (crash, SIGKILL, lost
    # SSH session): their adopters may find, and must recognise, half-done work.
    interrupted: frozenset[str] = frozenset()

    def resolve(self, value: Any) -> Any:
        """``"$name"`` means the value an earlier step stored in ``vars[name]``."""
        if isinstance(value, str) and value.startswith("$"):
            key = value[1:]
            if key not in self.vars:
                raise StepFailed(
                    _("no value for {key} yet: an earlier step did not run").format(key=key)
                )
            return self.vars[key]
        return value

    def member_id(self, value: Any) -> int:
        v = self.resolve(value)
        return v if isinstance(v, int) else parse_hex_id(str(v))


ActionFn = Callable[[ExecContext, Step], Awaitable[Mapping[str, Any]]]
CheckFn = Callable[[ExecContext, Mapping[str, Any]], Awaitable[CheckResult]]
RollbackFn = Callable[[ExecContext, Mapping[str, Any]], Awaitable[str]]
AdoptFn = Callable[[ExecContext, Step], Awaitable[Mapping[str, Any] | None]]
