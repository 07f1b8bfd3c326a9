"""The wizard screen in tests: a bare app that shows one WizardScreen, the step rail as
text, and the `:` command line."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Label, ListItem

from etcdtui.ui.wizard import WizardScreen


class Host(App[None]):
    def __init__(self, screen: WizardScreen) -> None:
        super().__init__()
        self.wizard = screen

    def on_mount(self) -> None:
        self.push_screen(self.wizard)


def rail(screen: WizardScreen) -> list[str]:
    return [str(item.query_one(Label).render()) for item in screen.query(ListItem)]


async def command(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("colon", *text, "enter")
