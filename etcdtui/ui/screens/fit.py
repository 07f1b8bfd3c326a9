"""Dialogs that fit the terminal: the body scrolls, the foot stays visible.

A dialog lays itself out as ``.modal-box`` > title, ``.modal-body`` (scrolls) and an
optional ``.modal-foot`` (confirmation field, progress, buttons). ``FittedModal`` caps
the body's height at what the screen leaves after the title, the foot and the borders,
on mount and on every resize, so at 80x24 the confirmation and the buttons are never
pushed off screen, and on a large terminal the dialog is only as tall as its content.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.screen import ModalScreen
from textual.widget import Widget

MIN_BODY = 3


def fit_body(screen: Any, tries: int = 5) -> None:
    """Cap every ``.modal-body`` of ``screen`` so its ``.modal-box`` fits on screen.

    Two steps: the body is first made small so the rest of the box shows at its natural
    height (an oversized body squeezes the foot, and a squeezed foot measures wrong),
    then, after that layout, the body gets the room the rest leaves."""
    for body in screen.query(".modal-body"):
        body.styles.max_height = MIN_BODY
    screen.call_after_refresh(_measure, screen, tries)


def _measure(screen: Any, tries: int) -> None:
    for body in screen.query(".modal-body"):
        box: Widget | None = body.parent  # type: ignore[assignment]
        if box is None:
            continue
        if not box.outer_size.height and tries > 0:  # not laid out yet: after the next one
            screen.call_after_refresh(_measure, screen, tries - 1)
            return
        if not box.outer_size.height:
            continue
        others = sum(
            c.outer_size.height + c.styles.margin.top + c.styles.margin.bottom
            for c in box.children
            if c is not body and c.display
        )
        others += body.styles.margin.top + body.styles.margin.bottom
        chrome = box.outer_size.height - box.content_size.height
        body.styles.max_height = max(MIN_BODY, screen.size.height - others - chrome)


class FittedModal(ModalScreen[Any]):
    """Textual calls these handlers for every class in the MRO: subclasses keep theirs."""

    def on_mount(self) -> None:
        fit_body(self)  # the first frame has a small body and the whole foot

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(fit_body, self)
