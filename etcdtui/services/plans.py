"""Plans are data: the single description of a guided procedure.

A :class:`Plan` is an ordered list of :class:`Step` values. Each step says what it
does, why, where it runs, the exact command (argv, env and a display string), and
names its precondition, check and rollback as :class:`Ref` values: a registry key
plus a description and JSON parameters. The executable callables live in
:mod:`etcdtui.services.procedures.registry`, keyed by those names, so a plan is
JSON-serialisable, can be persisted mid-run and resumed, and renders to a runbook.

Rendering is deterministic: the plan id and any fresh token come from an injected
token source, the creation time from an injected clock, and the markdown never
prints the time, so a fixed input gives byte-identical output.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from etcdtui.errors import UsageError
from etcdtui.i18n import _

Clock = Callable[[], dt.datetime]
TokenSource = Callable[[int], str]

WHERE_KINDS = ("cluster-api", "host", "apiserver-hosts")
OUTPUT_FORMATS = ("markdown", "shell", "json")


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def random_token(nbytes: int) -> str:
    return secrets.token_hex(nbytes)


@dataclass(frozen=True)
class Where:
    kind: str  # cluster-api | host | apiserver-hosts
    host: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in WHERE_KINDS:
            raise ValueError(f"unknown step location {self.kind!r}")

    def label(self) -> str:
        if self.kind == "cluster-api":
            return _("cluster API (etcdtui runs it)")
        if self.kind == "apiserver-hosts":
            return _("every kube-apiserver host")
        if self.host == "local":
            return _("this machine (where etcdtui runs)")
        return _("host {host}").format(host=self.host or "?")

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "host": self.host}


@dataclass(frozen=True)
class Ref:
    """A named, serialisable reference to an executable check or action."""

    name: str
    description: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Ref | None:
        if d is None:
            return None
        return cls(str(d["name"]), str(d["description"]), dict(d.get("params") or {}))


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    why: str
    where: Where
    action: str  # a key of procedures.registry.ACTIONS
    command: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    display: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    precondition: Ref | None = None
    check: Ref | None = None
    rollback: Ref | None = None
    destructive: bool = False
    alternatives: Mapping[str, str] = field(default_factory=dict)  # label -> text
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.display and self.command:  # the display string defaults to the argv
            env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
            shown = f"{env} {shlex.join(self.command)}".strip()
            object.__setattr__(self, "display", shown)

    @property
    def shown_command(self) -> str:
        return self.display

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "why": self.why,
            "where": self.where.as_dict(),
            "action": self.action,
            "command": list(self.command),
            "env": dict(self.env),
            "display": self.shown_command,
            "params": dict(self.params),
            "precondition": self.precondition.as_dict() if self.precondition else None,
            "check": self.check.as_dict() if self.check else None,
            "rollback": self.rollback.as_dict() if self.rollback else None,
            "destructive": self.destructive,
            "alternatives": dict(self.alternatives),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Step:
        w = d["where"]
        return cls(
            id=str(d["id"]),
            title=str(d["title"]),
            why=str(d["why"]),
            where=Where(str(w["kind"]), w.get("host")),
            action=str(d["action"]),
            command=tuple(d.get("command") or ()),
            env=dict(d.get("env") or {}),
            display=str(d.get("display") or ""),
            params=dict(d.get("params") or {}),
            precondition=Ref.from_dict(d.get("precondition")),
            check=Ref.from_dict(d.get("check")),
            rollback=Ref.from_dict(d.get("rollback")),
            destructive=bool(d.get("destructive")),
            alternatives=dict(d.get("alternatives") or {}),
            notes=tuple(d.get("notes") or ()),
        )


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    kind: str  # replace | restore | scale
    steps: tuple[Step, ...]
    context: Mapping[str, Any] = field(default_factory=dict)
    summary: tuple[str, ...] = ()  # findings shown above the steps (why this plan)
    warnings: tuple[str, ...] = ()
    created: str = ""

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "created": self.created,
            "context": dict(self.context),
            "summary": list(self.summary),
            "warnings": list(self.warnings),
            "steps": [s.as_dict() for s in self.steps],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Plan:
        return cls(
            id=str(d["id"]),
            title=str(d["title"]),
            kind=str(d["kind"]),
            steps=tuple(Step.from_dict(s) for s in d["steps"]),
            context=dict(d.get("context") or {}),
            summary=tuple(d.get("summary") or ()),
            warnings=tuple(d.get("warnings") or ()),
            created=str(d.get("created") or ""),
        )


def new_plan_id(kind: str, tokens: TokenSource = random_token) -> str:
    return f"{kind}-{tokens(4)}"


# --- rendering ----------------------------------------------------------------------------


def render(plan: Plan, fmt: str) -> str:
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "shell":
        return render_shell(plan)
    if fmt == "json":
        return json.dumps(plan.as_dict(), indent=2, sort_keys=False) + "\n"
    raise UsageError(
        _("unknown output format {fmt!r}").format(fmt=fmt),
        fix=_("Use one of: {choices}.").format(choices=", ".join(OUTPUT_FORMATS)),
    )


def _fence(text: str, lang: str = "sh") -> list[str]:
    return [f"```{lang}", text.rstrip("\n"), "```"]


def render_markdown(plan: Plan) -> str:
    out: list[str] = [f"# {plan.title}", "", _("Plan id: `{id}`").format(id=plan.id), ""]
    if plan.summary:
        out += ["## " + _("Findings"), ""] + [f"- {line}" for line in plan.summary] + [""]
    if plan.warnings:
        out += ["## " + _("Warnings"), ""] + [f"- {line}" for line in plan.warnings] + [""]
    env = plan.context.get("etcdctl_env") or {}
    if env:
        out += [_("etcdctl commands below assume this environment:"), ""]
        out += _fence("\n".join(f"export {k}={shlex.quote(str(v))}" for k, v in env.items()))
        out.append("")
    out += ["## " + _("Steps"), ""]
    for n, step in enumerate(plan.steps, 1):
        mark = " " + _("(destructive)") if step.destructive else ""
        out += [f"### {n}. {step.title}{mark}", ""]
        out += [
            "- **" + _("Why") + f":** {step.why}",
            "- **" + _("Where") + f":** {step.where.label()}",
        ]
        if step.precondition:
            out.append("- **" + _("Before") + f":** {step.precondition.description}")
        if step.check:
            out.append("- **" + _("Check") + f":** {step.check.description}")
        if step.rollback:
            out.append("- **" + _("Rollback") + f":** {step.rollback.description}")
        out.append("")
        if step.shown_command:
            out += [*_fence(step.shown_command), ""]
        for label, text in step.alternatives.items():
            out += [f"{label}:", "", *_fence(text, "yaml" if "kubeadm" in label else "sh")]
            out.append("")
        for note in step.notes:
            out += [f"> {note}", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _comment(text: str) -> list[str]:
    return [f"# {line}" if line else "#" for line in text.splitlines()]


def render_shell(plan: Plan) -> str:
    """A reviewable script: cluster-API steps as etcdctl commands, host steps commented
    with the host they belong to. Not meant to run unattended across hosts."""
    out = [
        "#!/bin/sh",
        f"# {plan.title}",
        "# " + _("Plan id: {id}").format(id=plan.id),
        "# " + _("Review every step; host steps must run on the host named above them."),
        "set -eu",
    ]
    for w in plan.warnings:
        out += _comment(_("WARNING: {text}").format(text=w))
    for k, v in (plan.context.get("etcdctl_env") or {}).items():
        out.append(f"export {k}={shlex.quote(str(v))}")
    for n, step in enumerate(plan.steps, 1):
        out += ["", f"# --- {n}. {step.title} [{step.where.label()}]"]
        out += _comment(step.why)
        if step.check:
            out += _comment(_("check: {text}").format(text=step.check.description))
        cmd = step.shown_command
        if not cmd:
            continue
        if step.where.kind == "cluster-api":
            out.append(cmd)
        else:
            out += _comment(cmd)
    return "\n".join(out) + "\n"


def start_command_forms(
    binary: str, flags: Sequence[tuple[str, str | None]]
) -> tuple[str, str, str]:
    """(flags form, ETCD_* env form, kubeadm manifest command list) for one etcd start."""
    parts = [binary] + [f"--{k}={v}" if v is not None else f"--{k}" for k, v in flags]
    flag_form = " \\\n  ".join(shlex.quote(p) for p in parts)
    env_lines = [
        f"ETCD_{k.upper().replace('-', '_')}={shlex.quote(v if v is not None else 'true')}"
        for k, v in flags
    ]
    env_form = "\n".join(env_lines) + f"\n{binary}"
    kube = ["    command:", "    - etcd"] + [
        f"    - --{k}={v}" if v is not None else f"    - --{k}=true" for k, v in flags
    ]
    return flag_form, env_form, "\n".join(kube)
