"""The one place that turns errors into something an operator can read.

``EtcdtuiError`` becomes a toast (title, cause, fix) or, for failures the operator
asked for (a member action), an error modal. The fix shown is the error's
``console_fix``: keys and ``:`` commands, never a CLI flag. Anything else is shown as an
unexpected error with its message only: never a traceback.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Static

from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import N_, _
from etcdtui.terminal_text import printable
from etcdtui.ui.screens.fit import FittedModal


def as_etcdtui_error(exc: BaseException) -> EtcdtuiError:
    if isinstance(exc, EtcdtuiError):
        return exc
    return EtcdtuiError(
        f"{type(exc).__name__}: {exc}",
        title=_("Unexpected error"),
        fix=_("Report this with the steps that led to it."),
    )


def _show(text: str) -> str:
    return printable(text, keep="\n")  # causes quote etcd's errors and member names


def message_text(err: EtcdtuiError) -> str:
    lines = [_show(err.cause)]
    if err.endpoint:
        lines.insert(0, _("endpoint") + ": " + _show(err.endpoint))
    if fix := err.console_fix:
        lines.append(_("fix") + ": " + _show(fix))
    return "\n".join(lines)


class ErrorModal(FittedModal):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", N_("Close"))]

    def __init__(self, err: EtcdtuiError) -> None:
        super().__init__()
        self.err = err

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box", classes="modal-box"):
            yield Static(
                _show(self.err.title), id="error-title", classes="modal-title", markup=False
            )
            with VerticalScroll(classes="modal-body"):
                if self.err.endpoint:
                    yield Static(_("endpoint") + ": " + _show(self.err.endpoint), markup=False)
                yield Static(
                    _("cause") + ": " + _show(self.err.cause), id="error-cause", markup=False
                )
                if fix := self.err.console_fix:  # keys and `:` commands, never a CLI flag
                    yield Static(_("fix") + ": " + _show(fix), id="error-fix", markup=False)
            yield Button(_("Close"), id="close", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


def report(app: App[Any], exc: BaseException, *, modal: bool = False) -> None:
    """Show ``exc``: a toast by default, an error modal when ``modal``."""
    err = as_etcdtui_error(exc)
    if modal:
        app.push_screen(ErrorModal(err))
    else:
        app.notify(
            message_text(err), title=_show(err.title), severity="error", timeout=8, markup=False
        )
