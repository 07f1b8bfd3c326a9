"""Screens shown before a cluster is connected: nothing configured, sandbox start."""

from __future__ import annotations

import time
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import N_, _
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.errors import as_etcdtui_error, message_text
from etcdtui.ui.widgets.footer import KeyFooter


class NothingConfiguredScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "start_sandbox", N_("Start the sandbox"), id="start.sandbox"),
        Binding("b", "browse_snapshots", N_("Browse snapshot files"), id="start.snapshots"),
        Binding("q", "app.quit", N_("Quit"), id="start.quit"),
    ]

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__()
        self.cause, self.fix = cause, fix

    def compose(self) -> ComposeResult:
        with Vertical(id="nothing-box", classes="modal-box"):
            yield Label(_("No cluster configured"), classes="modal-title")
            yield Static(self.cause, markup=False)
            yield Static(self.fix, markup=False)
            yield Static(
                _(
                    "Press s to start a local 3-member sandbox (real etcd with mutual TLS on "
                    "127.0.0.1) and open it, or q to quit."
                ),
                classes="hint",
                markup=False,
            )
        yield KeyFooter()

    def action_start_sandbox(self) -> None:
        self.app.switch_screen(SandboxStartScreen())

    async def action_browse_snapshots(self) -> None:
        """Offline: the snapshot pane needs files only, no cluster."""
        app = etcdtui_app(self)
        await self.app.pop_screen()
        app.show_pane("snapshots")  # once the main screen is mounted


class SandboxStartScreen(Screen[None]):
    """Runs ``Sandbox().up()`` in a thread worker and shows progress."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", N_("Quit"), id="sandbox.quit")
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="nothing-box", classes="modal-box"):
            yield Label(_("Starting the sandbox"), classes="modal-title")
            yield Static("", id="sandbox-dir", markup=False)
            yield LoadingIndicator(id="spinner")
            yield Static(
                _("Starting etcd members and waiting for quorum…"),
                id="sandbox-status",
                markup=False,
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        from etcdtui.ops.sandbox import Sandbox

        self.started = time.monotonic()
        self.query_one("#sandbox-dir", Static).update(
            _("directory: {dir}").format(dir=Sandbox().dir)
        )
        self.set_interval(0.5, self._tick)
        self._up()

    def _tick(self) -> None:
        if self.query("#spinner"):
            elapsed = time.monotonic() - self.started
            self.query_one("#sandbox-status", Static).update(
                _("Starting etcd members and waiting for quorum… {s:.0f} s").format(s=elapsed)
            )

    @work(thread=True, exclusive=True, group="sandbox", exit_on_error=False)
    def _up(self) -> object:
        from etcdtui.ops.contexts import register_context
        from etcdtui.ops.sandbox import Sandbox

        sandbox = Sandbox()
        sandbox.up()
        # the context `sandbox status` and the docs point to: `etcdtui --context sandbox`
        register_context(sandbox, "sandbox", etcdtui_app(self).config_path)
        return sandbox.settings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "sandbox":
            return
        if event.state == WorkerState.SUCCESS:
            app = etcdtui_app(self)
            self.app.pop_screen()
            settings = event.worker.result
            if isinstance(settings, ConnectionSettings):  # what _up returns
                app.connect(settings)
            from etcdtui.ops.sandbox import fallback_note

            note = fallback_note()
            if note:
                self.app.notify(note, title=_("Sandbox"), severity="warning", markup=False)
        elif event.state == WorkerState.ERROR:
            err = as_etcdtui_error(event.worker.error or RuntimeError("?"))
            self.query_one("#spinner").remove()
            self.query_one("#sandbox-status", Static).update(f"✖ {err.title}\n{message_text(err)}")
