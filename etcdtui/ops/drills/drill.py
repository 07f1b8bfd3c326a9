"""Drills as data: a briefing, objectives checked against the real cluster, hints.

A drill's checker reads the cluster (members, health, versions, alarms, keys and
certificates), never the trainee's keystrokes. Its progress is a small JSON file in
the state dir, written as it happens, so a dropped SSH session loses nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from etcdtui.cluster_data import Alarm, EndpointHealth, EndpointStatus, MemberList
from etcdtui.domain.health import healthy_ids
from etcdtui.i18n import _


@dataclass(frozen=True)
class DrillView:
    """One look at the drill cluster, taken for a check."""

    members: MemberList | None
    statuses: tuple[EndpointStatus, ...] = ()
    health: tuple[EndpointHealth, ...] = ()
    alarms: tuple[Alarm, ...] = ()
    values: Mapping[str, str | None] = field(default_factory=dict)  # key -> sha256 or None
    extra_keys: tuple[str, ...] = ()  # drill keys present that the expectation excludes
    error: str | None = None  # why the cluster could not be read

    @property
    def voters(self) -> list[Any]:
        return [m for m in self.members.members if not m.is_learner] if self.members else []

    @property
    def started(self) -> list[Any]:
        return [m for m in self.members.members if m.name] if self.members else []

    def healthy_ids(self) -> set[int]:
        """Members that are healthy by the one rule (domain/health.py)."""
        members = self.members.members if self.members else ()
        return healthy_ids(members, self.statuses, self.health)

    def status_of(self, member_id: int) -> EndpointStatus | None:
        return next((s for s in self.statuses if s.ok and s.member_id == member_id), None)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str


@dataclass(frozen=True)
class Objective:
    code: str
    text: str  # marked with N_(), translated where shown
    check: Callable[[DrillView, DrillState], Outcome]
    params: Mapping[str, Any] = field(default_factory=dict)

    def shown(self) -> str:
        return _(self.text).format(**self.params)


@dataclass
class DrillState:
    """What a running drill remembers (persisted as JSON)."""

    name: str
    sandbox_dir: str
    context: str
    started: str  # ISO time
    manifest: dict[str, str]  # key -> sha256 the cluster must still hold
    absent: list[str] = field(default_factory=list)  # keys that must be gone (rollback)
    hints_used: int = 0
    facts: dict[str, Any] = field(default_factory=dict)  # what setup injected
    finished: str | None = None
    audit_lines: int = 0  # audit log length at the start

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DrillState:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})


@dataclass(frozen=True)
class Drill:
    name: str
    title: str  # N_()
    briefing: str  # N_(): what the pager said and what the operator sees
    objectives: tuple[Objective, ...]
    hints: tuple[str, ...]  # N_()
    setup: Callable[..., DrillState]  # (sandbox, drills dir, progress) -> DrillState
    probe: Callable[[DrillState], None] | None = None  # a live test run before each check

    def title_text(self) -> str:
        return _(self.title)


def sha(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()
