"""A clearly labelled placeholder for a pane another part of etcdtui will provide."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static


class PlaceholderPane(Vertical):
    def __init__(self, title: str, text: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.title_text, self.body = title, text

    def compose(self) -> ComposeResult:
        yield Label(self.title_text, classes="box-title")
        yield Static(self.body, classes="placeholder", markup=False)
