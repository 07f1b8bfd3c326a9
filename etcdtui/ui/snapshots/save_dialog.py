"""Save a snapshot from the connected cluster, with a live progress bar.

Saving reads the cluster and writes a local file: it is allowed in read-only sessions.
The stream runs in an async worker (grpc.aio channels belong to the app's event loop);
the save service's progress callback posts :class:`SaveProgressed` messages. Cancel
stops the stream and the service removes its ``.part`` file: no partial file is left.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState

from etcdtui.domain.formatting import human_bytes
from etcdtui.errors import UsageError
from etcdtui.i18n import N_, _
from etcdtui.ops import snapshot_save
from etcdtui.ops.snapshot_save import SaveProgress
from etcdtui.paths import ensure_private_dir
from etcdtui.safeio import expand_user
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.errors import as_etcdtui_error, report
from etcdtui.ui.screens.confirm_run import PausingModal
from etcdtui.ui.snapshots.messages import SaveProgressed
from etcdtui.ui.snapshots.pane_data import default_directory


def default_file(directory: Path, now: float) -> Path:
    stamp = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y%m%d-%H%M%S")
    return directory / f"snapshot-{stamp}.db"


def progress_text(p: SaveProgress) -> str:
    total = human_bytes(p.total) if p.total else "?"
    pct = f"{p.fraction * 100:.0f}%  " if p.fraction is not None else ""
    return f"{pct}{human_bytes(p.received)} / {total}  {human_bytes(int(p.rate))}/s"


def split_recipients(text: str) -> tuple[list[str], list[str]]:
    """(age recipients, ssh public key files) from a comma or space separated list."""
    ages: list[str] = []
    ssh: list[str] = []
    for word in text.replace(",", " ").split():
        (ages if word.startswith("age1") else ssh).append(word)
    return ages, ssh


class SaveSnapshotDialog(PausingModal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="snapshot-save.cancel")
    ]
    DEFAULT_CSS = """
    SaveSnapshotDialog { align: center middle; }
    SaveSnapshotDialog Input { margin-bottom: 1; }
    SaveSnapshotDialog #save-bar { margin: 1 0 0 0; }
    SaveSnapshotDialog #save-progress { color: $text-muted; }
    SaveSnapshotDialog #save-progress.-failed { color: $error; }
    """

    def __init__(self, target: Path) -> None:
        super().__init__()
        self.target = target
        self.running = False

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box", classes="modal-box"):
            yield Label(_("Save a snapshot of the connected cluster"), classes="modal-title")
            with VerticalScroll(classes="modal-body"):
                yield Label(_("File (written as FILE.part, mode 0600, then renamed)"))
                yield Input(str(self.target), id="save-path")
                yield Label(_("Encrypt to (age1… recipients or ssh public key files; optional)"))
                yield Input(placeholder="age1…, ~/.ssh/id_ed25519.pub", id="save-recipients")
                yield Label(_("Or encrypt with a passphrase (optional)"))
                yield Input(password=True, id="save-passphrase")
                yield Label(_("The same passphrase again"), id="save-passphrase2-label")
                yield Input(password=True, id="save-passphrase2")
                yield Label(_("Source member client URL (optional; default: the leader)"))
                yield Input(placeholder="https://10.0.0.1:2379", id="save-endpoint")
            with Vertical(classes="modal-foot"):
                yield ProgressBar(id="save-bar", show_eta=False)
                yield Static("", id="save-progress", markup=False)
                with Horizontal(id="buttons"):
                    yield Button(_("Save"), id="save-run", variant="primary")
                    yield Button(_("Cancel"), id="save-cancel")

    def on_mount(self) -> None:
        self.query_one("#save-bar").display = False
        self.query_one("#save-path", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, _event: Input.Submitted) -> None:
        self._start()

    @on(Button.Pressed, "#save-run")
    def _run_pressed(self) -> None:
        self._start()

    @on(Button.Pressed, "#save-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        if self.running:
            for worker in self.workers:
                if worker.group == "snapshot-save":
                    worker.cancel()
        self.dismiss(None)

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def _start(self) -> None:
        if self.running:
            return
        from etcdtui.ops.snapshot_save import build_encryption

        settings = etcdtui_app(self).settings
        try:
            if settings is None:
                raise UsageError(
                    _("no cluster is connected"),
                    fix=_("Connect to a cluster with :context NAME to save a snapshot."),
                )
            path_text = self._value("#save-path")
            if not path_text:
                raise UsageError(
                    _("no file name given"), fix=_("Type where to write the snapshot.")
                )
            ages, ssh = split_recipients(self._value("#save-recipients"))
            passphrase = self.query_one("#save-passphrase", Input).value or None
            again = self.query_one("#save-passphrase2", Input).value or None
            if passphrase != again:
                self.query_one("#save-passphrase2", Input).focus()
                raise UsageError(
                    _("the two passphrases differ"),
                    fix=_(
                        "Type the same passphrase in both fields: a typo here makes the "
                        "snapshot impossible to decrypt."
                    ),
                )
            if passphrase is not None and (ages or ssh):
                raise UsageError(
                    _("a passphrase cannot be combined with recipients"),
                    fix=_("age allows a passphrase only as the sole recipient: choose one kind."),
                )
            encryption = build_encryption(ages, [expand_user(p) for p in ssh], passphrase)
            path = expand_user(path_text)
        except Exception as exc:
            report(self.app, exc)
            return
        if path.parent == default_directory():
            ensure_private_dir(path.parent)
        self.running = True
        self.query_one("#save-run", Button).disabled = True
        self.query_one("#save-bar").display = True
        self.query_one("#save-progress", Static).update("… " + _("choosing the source member"))
        self._save(settings, path, self._value("#save-endpoint") or None, encryption)

    @work(exclusive=True, group="snapshot-save", exit_on_error=False)
    async def _save(self, settings: Any, path: Path, endpoint: str | None, encryption: Any) -> Any:
        def progress(p: SaveProgress) -> None:
            self.post_message(SaveProgressed(p))

        return await snapshot_save.save_snapshot(
            settings,
            path,
            endpoint=endpoint,
            encryption=encryption,
            progress=progress,
            audit=etcdtui_app(self).audit_log,  # saves are audited like member actions
        )

    def on_save_progressed(self, message: SaveProgressed) -> None:
        p = message.data
        bar = self.query_one("#save-bar", ProgressBar)
        if p.total:
            bar.update(total=p.total, progress=p.received)
        self.query_one("#save-progress", Static).update(progress_text(p))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "snapshot-save":
            return
        if event.state == WorkerState.SUCCESS:
            result: Any = event.worker.result
            if result.source.warning:
                self.app.notify(result.source.warning, severity="warning", markup=False)
            self.dismiss(str(result.path))
        elif event.state == WorkerState.ERROR:
            self.running = False
            self.query_one("#save-run", Button).disabled = False
            err = as_etcdtui_error(event.worker.error or RuntimeError("?"))
            box = self.query_one("#save-progress", Static)
            box.update(f"✖ {err.title}: {err.cause}")
            box.add_class("-failed")
            report(self.app, err, modal=True)
