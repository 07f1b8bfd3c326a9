"""Actions any plan may use: a step only the operator can do, and a pause."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from etcdtui.i18n import _
from etcdtui.services.plans import Step
from etcdtui.services.procedures.context import ExecContext, StepFailed


async def operator_only(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    raise StepFailed(_("step {id} can only be done by the operator").format(id=step.id))


async def wait(ctx: ExecContext, step: Step) -> Mapping[str, Any]:
    seconds = float(step.params.get("seconds", 1.5))
    await asyncio.sleep(seconds)
    return {"detail": _("waited {s:.1f} s").format(s=seconds)}
