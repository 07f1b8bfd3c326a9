"""Start, check, hint, reset and report a drill. The CLI and the console call these.

A drill owns one sandbox in ``<state>/drills/sandbox`` and registers the context
``drill`` for it. Its progress lives in ``<state>/drills/current.json`` (written
atomically, mode 0600) so that a dropped session can carry on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.errors import UsageError
from etcdtui.i18n import N_, _
from etcdtui.ops.drills.drill import Drill, DrillState, DrillView, Outcome, sha
from etcdtui.paths import ensure_private_dir, state_dir
from etcdtui.safeio import read_limited, write_private

CONTEXT = "drill"
Progress = Callable[[str], None]


class DrillError(UsageError):
    code = "drill"
    default_title = N_("Drill")


def drills_dir() -> Path:
    return state_dir() / "drills"


def state_path() -> Path:
    return drills_dir() / "current.json"


def sandbox_dir() -> Path:
    return drills_dir() / "sandbox"


def save_state(state: DrillState) -> None:
    path = state_path()
    ensure_private_dir(path.parent)
    write_private(path, json.dumps(state.as_dict(), indent=2))


def load_state() -> DrillState:
    path = state_path()
    try:
        if path.stat().st_size > 4 << 20:
            raise DrillError(_("{path} is larger than 4 MiB").format(path=path))
        raw = json.loads(read_limited(path, 4 << 20).decode("utf-8"))
    except FileNotFoundError:
        raise DrillError(
            _("no drill is running"), fix=_("List the drills with: etcdtui drill list")
        ) from None
    except (OSError, ValueError) as exc:
        raise DrillError(
            _("the drill state {path} is unreadable: {why}").format(path=path, why=exc),
            fix=_("Start the drill again with: etcdtui drill reset"),
        ) from None
    return DrillState.from_dict(raw)


def catalog() -> dict[str, Drill]:
    from etcdtui.ops.drills.catalog import DRILLS

    return {d.name: d for d in DRILLS}


def get_drill(name: str) -> Drill:
    drills = catalog()
    if name not in drills:
        raise DrillError(
            _("there is no drill named {name!r}").format(name=name),
            fix=_("Choose one of: {names}").format(names=", ".join(drills)),
        )
    return drills[name]


def refuse_real_cluster(settings: ConnectionSettings | None) -> None:
    """Drills break things on purpose: they are refused anywhere but a sandbox."""
    if settings is None or settings.source == "sandbox":
        return
    from etcdtui.services.procedures.sandbox_host import sandbox_for
    from etcdtui.services.sandbox import Sandbox

    ca = Path(settings.cacert) if settings.cacert else None
    if ca is not None and ca.parent.name == "pki" and Sandbox(ca.parent.parent).exists():
        return
    if sandbox_for(settings, None) is not None:
        return
    raise DrillError(
        _("drills run only on a sandbox; {target} is not one").format(
            target=settings.context or ", ".join(settings.endpoints)
        ),
        fix=_("Leave out --context and --endpoints: a drill starts its own sandbox."),
    )


def initial_settings(state: DrillState, timeout: float = 3.0) -> ConnectionSettings:
    """The sandbox's connection, with the drill's own client certificate if it has one."""
    from dataclasses import replace

    from etcdtui.services.sandbox import Sandbox

    settings = Sandbox(Path(state.sandbox_dir)).settings(context=state.context, timeout=timeout)
    if state.facts.get("client_cert"):
        settings = replace(
            settings,
            cert=Path(state.facts["client_cert"]),
            key=Path(state.facts["client_key"]),
        )
    return settings


def drill_settings(state: DrillState, timeout: float = 3.0) -> ConnectionSettings:
    """How the trainee reaches the drill cluster now. In the cert-expiring drill the
    client certificate is whatever the ``drill`` context names (renewed or switched)."""
    from dataclasses import replace

    settings = initial_settings(state, timeout)
    if state.facts.get("client_cert"):
        from etcdtui.config import load_config

        ctx = load_config().contexts.get(state.context)
        if ctx is not None and ctx.cert and ctx.key:
            settings = replace(settings, cert=ctx.cert, key=ctx.key)
    return settings


async def gather_view(settings: ConnectionSettings, state: DrillState) -> DrillView:
    from etcdtui.errors import EtcdtuiError
    from etcdtui.services.cluster import ClusterService

    async with ClusterService(settings) as svc:
        try:
            members = await svc.members()
        except EtcdtuiError as exc:
            return DrillView(None, error=str(exc))
        urls = sorted({u for m in members.members for u in m.client_urls})
        statuses, health = await asyncio.gather(svc.statuses(urls), svc.health(urls))
        try:
            alarms = await svc.alarms()
        except EtcdtuiError:
            alarms = ()
        values: dict[str, str | None] = {}
        extra: list[str] = []
        error: str | None = None
        try:
            for key in state.manifest:
                resp = await svc.get(key.encode())
                values[key] = sha(resp.kvs[0].value) if resp.kvs else None
            for key in state.absent:
                resp = await svc.get(key.encode(), keys_only=True)
                if resp.kvs:
                    extra.append(key)
        except EtcdtuiError as exc:
            error = str(exc)
        return DrillView(members, statuses, health, alarms, values, tuple(extra), error)


def look(state: DrillState) -> DrillView:
    return asyncio.run(gather_view(drill_settings(state), state))


@dataclass(frozen=True)
class ObjectiveResult:
    code: str
    text: str
    ok: bool
    detail: str


def check(state: DrillState, view: DrillView | None = None) -> list[ObjectiveResult]:
    drill = get_drill(state.name)
    if view is None:
        if drill.probe is not None:
            drill.probe(state)
        view = look(state)
    results = []
    for objective in drill.objectives:
        try:
            outcome = objective.check(view, state)
        except Exception as exc:  # a checker bug must show, not crash the console
            outcome = Outcome(False, _("the check failed: {why}").format(why=exc))
        results.append(
            ObjectiveResult(objective.code, objective.shown(), outcome.ok, outcome.detail)
        )
    if all(r.ok for r in results) and state.finished is None:
        state.finished = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        save_state(state)
    return results


def start(name: str, *, progress: Progress | None = None) -> DrillState:
    from etcdtui.services.audit import AuditLog
    from etcdtui.services.sandbox import Sandbox

    drill = get_drill(name)
    say = progress or (lambda _m: None)
    box = Sandbox(sandbox_dir())
    if box.exists():
        say(_("stopping the previous drill's sandbox ..."))
        box.down(purge=True)  # the drill's own throwaway sandbox (marked by sandbox.json)
        box = Sandbox(sandbox_dir())
    _archive_previous(say)
    say(_("setting up drill {name}: {title}").format(name=name, title=drill.title_text()))
    state = drill.setup(box, drills_dir(), say)
    state.audit_lines = len(AuditLog().read())
    save_state(state)
    _register_context(state)
    return state


ARTEFACTS = ("backups", "keys", "scratch", "evidence")


def _archive_previous(say: Progress) -> None:
    """Move the previous drill's backups, keys, scratch sandbox and evidence aside, so
    a new drill never counts an old file (they are kept, never deleted)."""
    import time

    from etcdtui.services.sandbox import Sandbox

    root = drills_dir()
    present = [root / name for name in ARTEFACTS if (root / name).exists()]
    if not present:
        return
    Sandbox(root / "scratch").down()
    dest = ensure_private_dir(root / "previous" / time.strftime("%Y%m%dT%H%M%S"))
    for path in present:
        path.rename(dest / path.name)
    say(_("the previous drill's files are kept in {dir}").format(dir=dest))


def _register_context(state: DrillState) -> None:
    from etcdtui.config import save_context

    save_context(initial_settings(state), make_current=False)


def hint(state: DrillState) -> tuple[int, str]:
    drill = get_drill(state.name)
    n = min(state.hints_used, len(drill.hints) - 1)
    state.hints_used = max(state.hints_used, n + 1)
    save_state(state)
    return n + 1, _(drill.hints[n])


def reset(*, progress: Progress | None = None) -> DrillState:
    return start(load_state().name, progress=progress)


def stop() -> list[str]:
    from etcdtui.services.sandbox import Sandbox

    return Sandbox(sandbox_dir()).down()


def elapsed(state: DrillState, now: dt.datetime | None = None) -> float:
    began = dt.datetime.fromisoformat(state.started)
    end = dt.datetime.fromisoformat(state.finished) if state.finished else None
    return ((end or now or dt.datetime.now(dt.UTC)) - began).total_seconds()


def report(state: DrillState, results: Sequence[ObjectiveResult] | None = None) -> dict[str, Any]:
    from etcdtui.services.audit import AuditLog

    results = results if results is not None else check(state)
    actions = [
        {
            "time": e.get("time"),
            "action": e.get("action"),
            "result": "ok" if not e.get("error") else "error",
        }
        for e in AuditLog().read()[state.audit_lines :]
    ]
    return {
        "drill": state.name,
        "started": state.started,
        "finished": state.finished,
        "elapsed_s": round(elapsed(state), 1),
        "hints_used": state.hints_used,
        "passed": all(r.ok for r in results),
        "objectives": [r.__dict__ for r in results],
        "actions": actions,
    }
