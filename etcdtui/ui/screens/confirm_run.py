"""Modals that pause polling, and the one confirm-and-run dialog the member actions,
maintenance and `:perf` share: a typed confirmation, Run and Cancel (or Close), a worker
with a spinner and a progress line, then the result or the error."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, LoadingIndicator, Static
from textual.widgets.button import ButtonVariant
from textual.worker import Worker, WorkerState

from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import _
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.errors import as_etcdtui_error, report
from etcdtui.ui.messages import ActionProgressed
from etcdtui.ui.screens.fit import FittedModal


class PausingModal(FittedModal):
    """Textual calls these handlers for every class in the MRO: subclasses must not
    call them again (a double pause would never be undone)."""

    _paused: Any = None

    def on_mount(self) -> None:
        poller = etcdtui_app(self).poller
        if poller is not None and self._paused is None:
            poller.pause()
            self._paused = poller

    def on_unmount(self) -> None:
        if self._paused is not None:
            self._paused.resume()
            self._paused = None


class ConfirmRunModal(PausingModal):
    """A dialog that runs one job once it is confirmed.

    A subclass composes the widgets: the ``#confirm`` input, then ``_run_rows`` (the
    ``#spinner`` and ``#progress`` line, the ``#run`` button and the button
    ``CANCEL_BUTTON``). It says when Run
    is enabled (``_refresh``, after every change of an input), whether the job may start
    (``_can_start``, checked again on Run), and runs it in ``_execute``: a ``@work`` method
    of group ``WORKER_GROUP``, which may post ActionProgressed. A result dismisses the
    dialog with its text unless ``_succeeded`` says otherwise; an error is shown on the
    progress line, then by ``_failed`` (Run re-judged, the error modal).

    Textual calls a message handler of every class in the MRO, so the handlers live here
    only; a subclass changes what they do through the plain methods they call."""

    WORKER_GROUP: ClassVar[str]
    CANCEL_BUTTON: ClassVar[str] = "cancel"

    running = False
    outcome: str | None = None  # what closing the dialog returns

    # --- what a subclass says ----------------------------------------------------------------

    def _refresh(self) -> None:
        raise NotImplementedError

    def _can_start(self) -> bool:
        return True

    def _execute(self, *args: Any) -> Any:
        raise NotImplementedError

    def _launch(self) -> None:
        """Start the worker (a subclass passes what it reads from the dialog)."""
        self._execute()

    def _starting(self) -> None:
        self.query_one("#progress", Static).update(_("Starting…"))

    def _focus_first(self) -> None:
        self.query_one("#confirm", Input).focus()

    def _input_changed(self, event: Input.Changed) -> None:
        """Before Run is judged again."""

    def _not_started(self, event: Input.Submitted) -> None:
        """Enter was pressed while Run is disabled."""

    def _succeeded(self, result: Any) -> None:
        self.dismiss(str(result))

    def _failed(self, err: EtcdtuiError) -> None:
        self._refresh()
        report(self.app, err, modal=True)

    def _run_rows(self, variant: ButtonVariant, cancel: str, *extra: Button) -> ComposeResult:
        """The spinner and the progress line; then Run, any ``extra`` buttons and the
        cancel button."""
        with Horizontal(id="progress-row"):
            yield LoadingIndicator(id="spinner")
            yield Static("", id="progress", markup=False)
        with Horizontal(id="buttons"):
            yield Button(_("Run"), id="run", variant=variant, disabled=True)
            yield from extra
            yield Button(cancel, id=self.CANCEL_BUTTON)

    # --- the handlers ------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.query_one("#spinner").display = False
        self._refresh()
        self._focus_first()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._input_changed(event)
        if not self.running:
            self._refresh()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if not self.query_one("#run", Button).disabled:
            self._start()
        else:
            self._not_started(event)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "run":
            self._start()
        elif event.button.id == self.CANCEL_BUTTON:
            self.action_cancel()

    def action_cancel(self) -> None:
        if not self.running:  # a job that runs finishes (or fails) before the dialog goes
            self.dismiss(self.outcome)

    def _start(self) -> None:
        if self.running or not self._can_start():
            return
        self.running = True
        self.query_one("#spinner").display = True
        self.query_one("#run", Button).disabled = True
        self._starting()
        self._launch()

    def on_action_progressed(self, message: ActionProgressed) -> None:
        self.query_one("#progress", Static).update(message.data.text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != self.WORKER_GROUP or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
        ):
            return
        if event.state == WorkerState.SUCCESS:
            self._succeeded(event.worker.result)
            return
        self.running = False
        self.query_one("#spinner").display = False
        err = as_etcdtui_error(event.worker.error or RuntimeError("?"))
        self.query_one("#progress", Static).update(f"✖ {err.title}: {err.cause}")
        self._failed(err)
