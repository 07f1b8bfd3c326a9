"""Runs a :class:`~etcdtui.services.plans.Plan` one step at a time.

* cluster-API steps run here, through :class:`ClusterService`;
* host steps run here only when the host adapter says the host is this machine (the
  sandbox); for any other host the command is shown to the operator, who runs it
  there, and the step's check then polls the cluster until it holds;
* apiserver-host steps are always the operator's (skipped in the sandbox, which has
  no kube-apiserver).

Each step's precondition is checked right before it runs and its check right after.
Every executed step is appended to the audit log (action ``plan-step``) and progress
is persisted to ``<state dir>/wizards/<plan id>.json`` so a dropped SSH session can
resume with ``--resume ID``. The callables behind the names in a plan are looked up
in one explicit table, :mod:`etcdtui.services.procedures.registry`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings, parse_hex_id
from etcdtui.i18n import N_, _
from etcdtui.paths import ensure_private_dir, state_dir
from etcdtui.safeio import read_limited, write_private
from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.cluster_lock import ClusterLock, lock_keys
from etcdtui.services.plans import Plan, Ref, Step
from etcdtui.services.procedures.building_blocks import serializable_members
from etcdtui.services.procedures.context import (
    CheckResult,
    ExecContext,
    HostAdapter,
    Operator,
    StepFailed,
)
from etcdtui.services.procedures.registry import REGISTRY, Registry

# A wizard state record (plan, results, audit ids) is small; refuse a runaway file.
STATE_LIMIT = 16 << 20


class PlanAborted(errors.EtcdtuiError):
    code = "plan-aborted"
    default_title = N_("Stopped by the operator")


class WizardStateError(errors.EtcdtuiError):
    code = "wizard-state"
    exit_code = 2
    default_title = N_("Cannot resume the wizard")


class AutoOperator:
    """--yes: confirm everything, acknowledge operator steps, collect the output."""

    def __init__(self, echo: Callable[[str], None] | None = None) -> None:
        self.lines: list[str] = []
        self.echo = echo

    def show(self, text: str) -> None:
        self.lines.append(text)
        if self.echo:
            self.echo(text)

    def progress(self, step: Step, fraction: float, text: str) -> None:
        self.show(f"  [{step.id}] {fraction * 100:5.1f}% {text}")

    async def confirm(self, step: Step) -> bool:
        return True

    async def wait_done(self, step: Step) -> str:
        return "done"


# --- persisted progress -------------------------------------------------------------------


def plan_state_dir() -> Path:
    return state_dir() / "wizards"


def state_path(plan_id: str) -> Path:
    if not plan_id or "/" in plan_id or plan_id.startswith("."):
        raise WizardStateError(_("{id!r} is not a wizard id").format(id=plan_id))
    return plan_state_dir() / f"{plan_id}.json"


def save_state(data: Mapping[str, Any]) -> Path:
    path = state_path(str(data["plan"]["id"]))
    ensure_private_dir(path.parent)
    write_private(path, json.dumps(data, indent=2, default=str))
    return path


def load_state(plan_id: str) -> dict[str, Any]:
    path = state_path(plan_id)
    try:
        data: dict[str, Any] = json.loads(read_limited(path, STATE_LIMIT).decode("utf-8"))
    except FileNotFoundError:
        known = (
            sorted(p.stem for p in plan_state_dir().glob("*.json"))
            if plan_state_dir().exists()
            else []
        )
        raise WizardStateError(
            _("no saved wizard {id} in {dir}").format(id=plan_id, dir=plan_state_dir()),
            fix=_("Saved wizards: {ids}").format(ids=", ".join(known) or _("none")),
        ) from None
    except (OSError, ValueError) as exc:
        raise WizardStateError(
            _("the wizard state {path} is unreadable: {why}").format(path=path, why=exc)
        ) from None
    return data


def unfinished(kind: str) -> list[dict[str, Any]]:
    """Saved runs of ``kind`` that neither finished nor were rolled back, newest first."""
    if not plan_state_dir().exists():
        return []
    out = []
    for path in plan_state_dir().glob(f"{kind}-*.json"):
        try:
            data = json.loads(read_limited(path, STATE_LIMIT).decode("utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("status") not in ("done", "rolled-back", "planned"):
            out.append(data)
    return sorted(out, key=lambda d: float(d.get("updated") or 0), reverse=True)


def holder_record(plan: Plan) -> dict[str, Any]:
    import datetime as dt
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return {
        "plan": plan.id,
        "kind": plan.kind,
        "pid": os.getpid(),
        "user": user,
        "host": socket.gethostname(),
        "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


# --- the executor -------------------------------------------------------------------------


class Executor:
    def __init__(
        self,
        plan: Plan,
        settings: ConnectionSettings,
        *,
        operator: Operator,
        host: HostAdapter | None = None,
        audit: AuditLog | None = None,
        assume_yes: bool = False,
        acknowledged: bool = False,
        state: Mapping[str, Any] | None = None,
        registry: Registry = REGISTRY,
    ) -> None:
        self.plan = plan
        # The callables behind the action, check, rollback and adopter names of the plan.
        self.registry = registry
        self.settings = settings
        self.operator = operator
        self.host = host
        self.audit = audit or AuditLog()
        self.assume_yes = assume_yes
        # Steps with params["ack"] (a restore over a live cluster) need more than --yes:
        # the CLI's --acknowledge-risks, or the operator typing the word in the console.
        self.acknowledged = acknowledged
        st = dict(state or {})
        self.results: dict[str, dict[str, Any]] = dict(st.get("results") or {})
        self.vars: dict[str, Any] = dict(st.get("vars") or {})
        self.status: str = str(st.get("status") or "planned")
        self.current: str | None = st.get("current")
        # Optional observer (the TUI): listener(step_id, event, data) with event "current",
        # "precheck" or a final status ("done", "skipped", "failed", "rolled-back").
        self.listener: Callable[[str, str, Mapping[str, Any]], None] | None = None

    def _notify(self, step_id: str, event: str, data: Mapping[str, Any] | None = None) -> None:
        if self.listener is not None:
            self.listener(step_id, event, dict(data or {}))

    @classmethod
    def resume(
        cls,
        plan_id: str,
        settings: ConnectionSettings,
        *,
        start_timeout: float | None = None,
        **kw: Any,
    ) -> Executor:
        """Continue a saved run. ``start_timeout`` (the operator's new --start-timeout)
        replaces the one frozen into the plan's start and catch-up steps."""
        data = load_state(plan_id)
        plan = Plan.from_dict(data["plan"])
        if start_timeout is not None:
            plan = with_start_timeout(plan, start_timeout)
        return cls(plan, settings, state=data, **kw)

    def state(self) -> dict[str, Any]:
        return {
            "plan": self.plan.as_dict(),
            "status": self.status,
            "current": self.current,
            "results": self.results,
            "vars": self.vars,
            "updated": time.time(),
        }

    def save(self) -> Path:
        return save_state(self.state())

    def mode(self, step: Step) -> str:
        """ "run" (etcdtui does it), "operator" (shown, then verified) or "skip"."""
        if step.where.kind == "cluster-api":
            return "run"
        if step.where.kind == "apiserver-hosts":
            if self.host is not None and not self.host.has_apiservers:
                return "skip"
            return "operator"
        if step.where.host == "local":  # this machine, whatever the cluster
            return "run"
        if self.host is not None and self.host.is_local(step.where.host):
            return "run" if step.action != "operator" else "skip"
        return "operator"

    def pending(self) -> list[Step]:
        return [
            s
            for s in self.plan.steps
            if self.results.get(s.id, {}).get("status") not in ("done", "skipped")
        ]

    async def run(self) -> dict[str, Any]:
        interrupted = frozenset(
            sid for sid, r in self.results.items() if r.get("status") in ("started", "failed")
        )
        async with ClusterService(self.settings, audit=self.audit) as svc:
            ctx = ExecContext(
                self.plan, svc, self.operator, self.host, self.vars, interrupted=interrupted
            )
            lock = ClusterLock(
                lock_keys(self.settings, await _cluster_id(svc, self.plan)),
                holder_record(self.plan),
            )
            lock.acquire()  # before anything is saved or changed: a refusal changes nothing
            try:
                await self._run_steps(ctx)
            finally:
                lock.release()
        return self.state()

    async def _run_steps(self, ctx: ExecContext) -> None:
        self.status = "running"
        self.save()
        for step in self.pending():
            self.current = step.id
            self.save()
            self._crash_point(step, "before")
            self._notify(step.id, "current")
            try:
                result = await self._run_step(ctx, step)
            except errors.EtcdtuiError as exc:
                self.results[step.id] = {"status": "failed", "error": exc.as_dict()}
                self.status = "failed"
                self._audit(ctx, step, "failed", error=exc)
                self.save()
                self._notify(step.id, "failed", exc.as_dict())
                raise
            self.results[step.id] = result
            self._audit(ctx, step, result["status"], detail=result.get("detail"))
            self.save()
            self._notify(step.id, str(result["status"]), result)
        self.status = "done"
        self.current = None
        self.save()

    def _crash_point(self, step: Step, where: str) -> None:
        """Test hook: ETCDTUI_TEST_CRASH_AT=STEP_ID[:before|:during|:after] SIGKILLs this
        process before the step, after it was recorded as started, or after its action
        did its work but before that was recorded, so the crash tests can resume from
        every kind of boundary."""
        want = os.environ.get("ETCDTUI_TEST_CRASH_AT")
        if not want:
            return
        sid, _sep, at = want.partition(":")
        if sid == step.id and (at or "before") == where:
            import signal

            os.kill(os.getpid(), signal.SIGKILL)

    async def _run_step(self, ctx: ExecContext, step: Step) -> dict[str, Any]:
        n = self.plan.steps.index(step) + 1
        self.operator.show(f"[{n}/{len(self.plan.steps)}] {step.title}")
        adopter = self.registry.adopters.get(step.action)
        if adopter is not None and self.mode(step) == "run":
            adopted = await adopter(ctx, step)
            if adopted is not None:
                if step.check is not None:
                    res = await self._poll_check(ctx, step.check)
                    if res.ok:
                        adopted = {**adopted, "check": res.detail}
                    else:
                        adopted = None  # not really in place: run the step after all
                if adopted is not None:
                    self.operator.show("  " + str(adopted.get("detail") or _("already done")))
                    return {
                        "status": "done",
                        "adopted": True,
                        **{k: v for k, v in adopted.items() if _jsonable(v)},
                    }
        if step.precondition is not None:
            pre = await self._check(ctx, step.precondition)
            self._notify(
                step.id,
                "precheck",
                {"ok": pre.ok, "detail": pre.detail, "description": step.precondition.description},
            )
            if not pre.ok:
                raise errors.PreconditionFailed(
                    _("expected: {what}; found: {detail}").format(
                        what=step.precondition.description, detail=pre.detail
                    ),
                    title=_("Step {n} ({title}) not started: a precondition does not hold").format(
                        n=n, title=step.title
                    ),
                    fix=_(
                        "Nothing was changed by this step. Fix the cause, then resume with "
                        "--resume {id}."
                    ).format(id=self.plan.id),
                    console_fix=_(
                        "Nothing was changed by this step. Fix the cause, then resume it with "
                        "W (saved wizards)."
                    ),
                )
        mode = self.mode(step)
        if mode == "skip":
            why = (
                _("the sandbox has no kube-apiserver")
                if step.where.kind == "apiserver-hosts"
                else _("nothing to run on this host")
            )
            self.operator.show("  " + _("skipped: {why}").format(why=why))
            if step.shown_command and step.where.kind == "apiserver-hosts":
                self.operator.show("  " + step.shown_command.replace("\n", "\n  "))
            return {"status": "skipped", "detail": why}
        if step.params.get("ack") and not self.acknowledged:
            if self.assume_yes or not await self.operator.confirm(step):
                raise PlanAborted(
                    _("step {n} ({title}) needs an explicit acknowledgement").format(
                        n=n, title=step.title
                    ),
                    title=_("Not acknowledged: nothing was changed"),
                    fix=_(
                        "Read the warnings. To go on anyway, pass --acknowledge-risks; resume "
                        "with --resume {id}."
                    ).format(word=step.params.get("name", ""), id=self.plan.id),
                    console_fix=_(
                        "Read the warnings. To go on anyway, type {word} when asked; resume it "
                        "with W (saved wizards)."
                    ).format(word=step.params.get("name", "")),
                )
        elif step.destructive and not self.assume_yes and not await self.operator.confirm(step):
            raise PlanAborted(
                _("step {n} ({title}) was not confirmed").format(n=n, title=step.title),
                fix=_("Resume later with --resume {id}.").format(id=self.plan.id),
                console_fix=_("Resume it later with W (saved wizards)."),
            )
        out: Mapping[str, Any] = {}
        if mode == "run":
            fn = self.registry.actions.get(step.action)
            if fn is None:
                raise StepFailed(_("unknown action {name}").format(name=step.action))
            self.results[step.id] = {"status": "started", "at": time.time()}
            self.save()  # on disk before the action touches anything
            self._crash_point(step, "during")
            out = await fn(ctx, step)
            self._crash_point(step, "after")
        else:
            self.operator.show(_("  run on {where}:").format(where=step.where.label()))
            self.operator.show("    " + step.shown_command.replace("\n", "\n    "))
            if await self.operator.wait_done(step) != "done":
                raise PlanAborted(
                    _("step {n} ({title}) was not done").format(n=n, title=step.title)
                )
        if step.check is not None:
            res = await self._poll_check(ctx, step.check)
            if not res.ok:
                rb = (
                    _(" Rollback available: {what}.").format(what=step.rollback.description)
                    if step.rollback
                    else ""
                )
                raise StepFailed(
                    f"{step.check.description}: {res.detail}",
                    title=_("Step {n} ({title}) did not take effect").format(n=n, title=step.title),
                    fix=_("Inspect the cluster, then resume with --resume {id}.{rb}").format(
                        id=self.plan.id, rb=rb
                    ),
                    console_fix=_(
                        "Inspect the cluster, then resume it with W (saved wizards).{rb}"
                    ).format(rb=rb),
                )
            out = {**out, "check": res.detail}
        detail = out.get("detail") or out.get("check")
        if detail:
            self.operator.show(f"  {detail}")
        return {"status": "done", **{k: v for k, v in out.items() if _jsonable(v)}}

    async def _check(self, ctx: ExecContext, ref: Ref) -> CheckResult:
        fn = self.registry.checks.get(ref.name)
        if fn is None:
            return CheckResult(False, _("unknown check {name}").format(name=ref.name))
        try:
            return await fn(ctx, ref.params)
        except errors.EtcdtuiError as exc:
            return CheckResult(False, exc.cause)

    async def _poll_check(self, ctx: ExecContext, ref: Ref) -> CheckResult:
        deadline = time.monotonic() + float(ref.params.get("timeout", 30.0))
        res = await self._check(ctx, ref)
        while not res.ok and time.monotonic() < deadline:
            await asyncio.sleep(float(ref.params.get("interval", 0.5)))
            res = await self._check(ctx, ref)
        return res

    async def rollback(self, step_id: str | None = None) -> str:
        """Run the rollback of the failed (or given) step."""
        sid = step_id or self.current
        step = self.plan.step(sid) if sid else None
        if step is None or step.rollback is None:
            raise StepFailed(
                _("step {id} has no rollback").format(id=sid), title=_("Nothing to roll back")
            )
        async with ClusterService(self.settings, audit=self.audit) as svc:
            ctx = ExecContext(self.plan, svc, self.operator, self.host, self.vars)
            lock = ClusterLock(
                lock_keys(self.settings, await _cluster_id(svc, self.plan)),
                holder_record(self.plan),
            )
            lock.acquire()
            try:
                detail = await self.registry.rollbacks[step.rollback.name](
                    ctx, step.rollback.params
                )
            except errors.EtcdtuiError as exc:
                lock.release()
                self._audit(ctx, step, "rollback-failed", error=exc)
                raise
            self.results[step.id] = {"status": "rolled-back", "detail": detail}
            self.status = "rolled-back"
            self._notify(step.id, "rolled-back", {"detail": detail})
            self._audit(ctx, step, "rolled-back", detail=detail)
            self.save()
            lock.release()
        self.operator.show(detail)
        return detail

    def _audit(
        self,
        ctx: ExecContext,
        step: Step,
        status: str,
        *,
        detail: Any = None,
        error: errors.EtcdtuiError | None = None,
    ) -> None:
        members = ctx.cluster.last_members
        self.audit.append(
            action="plan-step",
            context=self.settings.context,
            cluster_id=members.cluster_id if members else None,
            params={
                "plan": self.plan.id,
                "kind": self.plan.kind,
                "step": step.id,
                "title": step.title,
                "where": step.where.as_dict(),
                "command": step.shown_command,
                "status": status,
            },
            result=detail if error is None else None,
            error=error,
        )


def with_start_timeout(plan: Plan, seconds: float) -> Plan:
    """``plan`` with every start wait (start, catch-up, "member started" check) set to
    ``seconds``: a resumed run honours the operator's new --start-timeout."""
    import dataclasses

    steps = []
    for st in plan.steps:
        if st.action in ("host.start-new-member", "member.catch-up") or (
            st.check is not None and st.check.name == "member-started"
        ):
            params = dict(st.params)
            if "timeout" in params or st.action == "member.catch-up":
                params["timeout"] = seconds
            check = st.check
            if check is not None and check.name == "member-started":
                check = Ref(check.name, check.description, {**check.params, "timeout": seconds})
            st = dataclasses.replace(st, params=params, check=check)
        steps.append(st)
    return dataclasses.replace(plan, steps=tuple(steps))


async def _cluster_id(svc: ClusterService, plan: Plan) -> int | None:
    """The cluster's ID (serializable read, so a cluster without quorum still has one),
    else the one the plan was made for, else None."""
    try:
        return (await serializable_members(svc)).cluster_id
    except errors.EtcdtuiError:
        pass
    known = plan.context.get("cluster_id")
    try:
        return parse_hex_id(str(known)) if known else None
    except ValueError:
        return None


def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v)
    except (TypeError, ValueError):
        return False
    return True
