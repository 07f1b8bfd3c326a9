"""The `:` command line, with completion from the action registry and contexts."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.suggester import Suggester
from textual.widgets import Input

from etcdtui.i18n import N_, _
from etcdtui.ui import actions


class CommandSuggester(Suggester):
    def __init__(self, contexts: list[str], themes: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.contexts, self.themes = contexts, themes

    def candidates(self) -> list[str]:
        from etcdtui.i18n import available_languages

        out = [c for c in actions.commands() if c not in ("context", "theme", "lang")]
        out += [f"lang {lang}" for lang in available_languages()]
        out += [f"context {c}" for c in self.contexts] or ["context "]
        out += [f"theme {t}" for t in self.themes]
        return out

    async def get_suggestion(self, value: str) -> str | None:
        v = value.lower()
        if not v:
            return None
        return next((c for c in self.candidates() if c.lower().startswith(v)), None)


class CommandLine(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", N_("Complete"), show=False, id="command.complete")
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(placeholder=_(":command (tab completes, esc closes)"), **kwargs)  # type: ignore[arg-type]

    def set_candidates(self, contexts: list[str], themes: list[str]) -> None:
        self.suggester = CommandSuggester(contexts, themes)

    def action_complete(self) -> None:
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
