"""The host steps every procedure's plan shares: stop and start a member's etcd, run a
command, move a data dir aside (never delete it), and the checks and resume rules that
go with them. Each asks the run's host adapter (the sandbox's, or the operator's own
hands through the runbook) and recognises its own finished work on a resume."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from etcdtui.i18n import _
from etcdtui.services.plans import Step
from etcdtui.services.procedures.context import CheckResult, ExecContext, StepFailed


def host_call(ctx: ExecContext, what: str) -> Any:
    fn = getattr(ctx.host, what, None)
    if fn is None:
        raise StepFailed(_("this host adapter cannot {what}").format(what=what))
    return fn


async def stop_etcd(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    return {"detail": await asyncio.to_thread(host_call(ctx, "stop"), str(step.params["name"]))}


async def move_aside(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    src, dst = Path(str(step.params["path"])), Path(str(step.params["aside"]))
    if not src.exists():
        return {"detail": _("{p} does not exist: nothing to move").format(p=src)}
    src.rename(dst)
    return {"detail": _("moved {a} to {b}").format(a=src, b=dst)}


async def adopt_moved(ctx: ExecContext, step: Step) -> Mapping[str, Any] | None:
    src, dst = Path(str(step.params["path"])), Path(str(step.params["aside"]))
    if not os.path.lexists(src) and os.path.lexists(dst):
        return {"detail": _("already moved: {b} holds the old data").format(b=dst)}
    return None


async def run_on_host(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    out = await asyncio.to_thread(host_call(ctx, "run"), list(step.command), dict(step.env))
    return {"detail": out.splitlines()[-1] if out else ""}


async def start_etcd(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    return {"detail": await asyncio.to_thread(host_call(ctx, "spawn"), str(step.params["name"]))}


async def path_absent(ctx: ExecContext, params: Mapping[str, Any]) -> CheckResult:
    p = str(params["path"])
    return CheckResult(
        not os.path.lexists(p),
        _("{p} exists").format(p=p) if os.path.lexists(p) else _("{p} is free").format(p=p),
    )
