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


def fit_body(screen: Any, tries: int = 5) -> None:
    """Cap every ``.modal-body`` of ``screen`` so its ``.modal-box`` fits on screen."""
    for body in screen.query(".modal-body"):
        box: Widget | None = body.parent  # type: ignore[assignment]
        if box is None:
            continue
        if not box.outer_size.height and tries > 0:  # not laid out yet: after the next one
            screen.call_after_refresh(fit_body, screen, tries - 1)
            return
        others = sum(
            c.outer_size.height + c.styles.margin.top + c.styles.margin.bottom
            for c in box.children
            if c is not body and c.display
        )
        others += body.styles.margin.top + body.styles.margin.bottom
        chrome = box.outer_size.height - box.content_size.height
        room = max(3, screen.size.height - others - chrome)
        if body.styles.max_height is None or body.styles.max_height.value != room:
            body.styles.max_height = room


class FittedModal(ModalScreen[Any]):
    """Textual calls these handlers for every class in the MRO: subclasses keep theirs."""

    def on_mount(self) -> None:
        self.call_after_refresh(fit_body, self)

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(fit_body, self)
