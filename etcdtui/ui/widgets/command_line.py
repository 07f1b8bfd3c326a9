"""The `:` command line: tab completes, and tab again cycles through the matches.

The first word completes from the action registry; the argument by its type: member
names (``:promote``, ``:remove``, ``:replace`` …), context names (``:context``), themes
(``:theme``), voter counts (``:scale``) and file or directory paths (``:restore FILE``,
``:snapshots DIR``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

from etcdtui.i18n import N_, _
from etcdtui.ui import actions

MAX_PATHS = 200  # a huge directory completes its first entries, never blocks


@dataclass
class Sources:
    """Where argument completions come from (callables: read when tab is pressed)."""

    members: Callable[[], list[str]] = list
    contexts: Callable[[], list[str]] = list
    themes: Callable[[], list[str]] = list
    extra: dict[str, Callable[[], list[str]]] = field(default_factory=dict)


def arg_kind(command: str) -> str | None:
    """What the argument of ``:command`` is: member, context, theme, voters, file, dir."""
    if command in ("context", "theme", "lang"):
        return command
    spec = actions.by_command(command)
    if spec is None:
        return None
    if spec.action.startswith("member_action") and spec.action != "member_action('add-learner')":
        return "member"
    return {"NAME": "member", "N": "voters", "FILE": "file", "DIR": "dir"}.get(spec.arg or "")


def path_matches(prefix: str, *, dirs_only: bool) -> list[str]:
    """Entries starting with ``prefix``; directories end with ``/``. ``~`` is kept."""
    expanded = os.path.expanduser(prefix) if prefix else ""
    head, _sep, part = expanded.rpartition("/")
    base = Path(head + "/" if _sep else ".")
    shown_head = prefix[: len(prefix) - len(part)]
    out: list[str] = []
    try:
        with os.scandir(base) as it:
            for n, entry in enumerate(it):
                if n >= MAX_PATHS * 10 or len(out) >= MAX_PATHS:
                    break
                if not entry.name.startswith(part) or (
                    entry.name.startswith(".") and not part.startswith(".")
                ):
                    continue
                is_dir = entry.is_dir()
                if dirs_only and not is_dir:
                    continue
                out.append(shown_head + entry.name + ("/" if is_dir else ""))
    except OSError:
        return []
    return sorted(out)


def _languages() -> list[str]:
    from etcdtui.i18n import available_languages

    return available_languages()


def completions(text: str, sources: Sources) -> list[str]:
    """Every full command line that ``text`` can complete to, in cycling order."""
    stripped = text.lstrip(":")
    if " " not in stripped:
        word = stripped.lower()
        return [c for c in actions.commands() if c.startswith(word)]
    command, _sep, arg = stripped.partition(" ")
    kind = arg_kind(command.lower())
    if kind is None:
        return []
    if kind in ("file", "dir"):
        found = path_matches(arg, dirs_only=kind == "dir")
    else:
        pool = {
            "member": sources.members,
            "context": sources.contexts,
            "theme": sources.themes,
            "lang": _languages,
            "voters": lambda: ["3", "5", "7"],
        }[kind]()
        found = [c for c in pool if c.lower().startswith(arg.lower())]
    return [f"{command} {c}" for c in found]


class CommandLine(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", N_("Complete"), show=False, id="command.complete")
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            placeholder=_(":command (tab completes and cycles, esc closes)"),
            **kwargs,  # type: ignore[arg-type]
        )
        self.sources = Sources()
        self._cycle: list[str] = []
        self._cycle_at = -1

    def set_sources(self, sources: Sources) -> None:
        self.sources = sources
        self._cycle, self._cycle_at = [], -1

    def action_complete(self) -> None:
        if self._cycle and self.value == self._cycle[self._cycle_at]:
            self._cycle_at = (self._cycle_at + 1) % len(self._cycle)  # tab again: next one
        else:
            self._cycle = completions(self.value, self.sources)
            self._cycle_at = 0
            if not self._cycle:
                self.app.bell()
                return
        self.value = self._cycle[self._cycle_at]
        self.cursor_position = len(self.value)
