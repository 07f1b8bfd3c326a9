"""The console face of `etcdtui check perf` and `etcdtui evidence` (etcdtui.ops.checks).

* ``:perf [s|m|l|xl]`` shows the load it will write and the etcdctl equivalent, asks for
  a word to be typed (the context's name on a protected context: the console's
  ``--force``), runs the same bounded load as the CLI in a worker with a deadline, and
  shows each pass criterion. Refused on a read-only session.
* ``:evidence DIR...`` reads stopped members' data dirs offline, in a worker, shows which
  one is the most advanced and which diverge, and with ``c`` copies the chosen db into
  the state dir and opens the restore wizard with it.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from etcdtui import errors
from etcdtui.i18n import N_, _
from etcdtui.terminal_text import printable
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.errors import as_etcdtui_error, report
from etcdtui.ui.screens.confirm_run import ConfirmRunModal
from etcdtui.ui.screens.fit import FittedModal

PERF_DURATION_S = 10.0  # as `etcdtui check perf` without --duration
PERF_GRACE_S = 30.0  # on top of the load: the metrics scrapes and the clean-up


def _settings(node: Any) -> Any:
    return etcdtui_app(node).settings


def _service(node: Any) -> Any:
    return etcdtui_app(node).service


class PerfModal(ConfirmRunModal):
    """`:perf`: a bounded write load, judged by etcdctl check perf's criteria."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Close"), id="checks.close")
    ]

    WORKER_GROUP = "checks"
    CANCEL_BUTTON = "close"

    def __init__(self, load: str = "s") -> None:
        super().__init__()
        self.load = load
        self.running = False
        self.started = 0.0
        self.outcome: str | None = None

    def compose(self) -> ComposeResult:
        from etcdtui.ops.checks import perf_confirm_word
        from etcdtui.ops.perf import LOADS, PREFIX

        clients, rate = LOADS[self.load]
        word = perf_confirm_word(_settings(self))
        with Vertical(id="checks-box", classes="modal-box"):
            yield Label(
                _("Check performance (load {load})").format(load=self.load), classes="modal-title"
            )
            with VerticalScroll(classes="modal-body"):
                yield Static(
                    _(
                        "{clients} clients write 256-byte values at {rate} writes/s for "
                        "{seconds:.0f} s under {prefix}, deleted afterwards. It passes when "
                        "the throughput reaches 90 percent of the target, the slowest write stays "
                        "under 0.5 s and the latencies' standard deviation under 0.1 s; the "
                        "members' WAL fsync and backend commit p99 are held against etcd's "
                        "alert thresholds."
                    ).format(
                        clients=clients,
                        rate=rate,
                        seconds=PERF_DURATION_S,
                        prefix=PREFIX.decode(),
                    ),
                    id="explain",
                    markup=False,
                )
                yield Label(_("Equivalent etcdctl command"), classes="box-title")
                yield Static(
                    f"etcdctl check perf --load={self.load}", classes="command", markup=False
                )
                yield Static("", id="results", markup=False)
            with Vertical(classes="modal-foot"):
                yield Static("", id="verdict", markup=False)
                yield Input(
                    placeholder=_("type {word} to start the load").format(word=word),
                    id="confirm",
                )
                yield from self._run_rows("warning", _("Close"))

    def _refusal(self) -> str | None:
        from etcdtui.ops.checks import perf_refusal

        return perf_refusal(_settings(self), accepted=True)

    def _typed(self) -> bool:
        from etcdtui.ops.checks import perf_confirm_word

        return self.query_one("#confirm", Input).value.strip() == perf_confirm_word(_settings(self))

    def _refresh(self) -> None:
        refusal = self._refusal()
        run = self.query_one("#run", Button)
        run.disabled = self.running or self.outcome is not None or refusal is not None
        run.disabled = run.disabled or not self._typed()
        if refusal is not None:
            verdict = self.query_one("#verdict", Static)
            verdict.update("✖ " + refusal)
            verdict.add_class("-refused")

    def _can_start(self) -> bool:
        return self._refusal() is None and self._typed()

    def _starting(self) -> None:
        self.started = time.monotonic()
        self.query_one("#confirm", Input).disabled = True
        self._tick()
        self.set_interval(1.0, self._tick, name="perf-progress")

    def _tick(self) -> None:
        if not self.running:
            return
        elapsed = time.monotonic() - self.started
        text = (
            _("writing… {n:.0f} s of {total:.0f} s").format(n=elapsed, total=PERF_DURATION_S)
            if elapsed < PERF_DURATION_S
            else _("measuring and deleting the test keys…")
        )
        self.query_one("#progress", Static).update(text)

    @work(exclusive=True, group="checks", exit_on_error=False)
    async def _execute(self) -> Any:
        from etcdtui.ops.cluster import ClusterService
        from etcdtui.ops.perf import run_perf

        service = _service(self)
        if not isinstance(service, ClusterService):
            raise errors.EtcdtuiError(
                _("check perf needs a live cluster connection"), title=_("Not available")
            )
        refusal = self._refusal()  # re-checked right before the load starts
        if refusal is not None:
            raise errors.EtcdtuiError(refusal, title=_("Refused"))
        try:
            return await asyncio.wait_for(
                run_perf(service, load=self.load, duration_s=PERF_DURATION_S),
                PERF_DURATION_S + PERF_GRACE_S,
            )
        except TimeoutError:
            raise errors.EtcdtuiError(
                _("check perf did not finish within {n:.0f} s").format(
                    n=PERF_DURATION_S + PERF_GRACE_S
                ),
                title=_("Deadline exceeded"),
                fix=_("Look at pane 2 (health) for a slow or unreachable member."),
            ) from None

    def _show(self, result: Any) -> None:
        t = Table(box=None, expand=False, pad_edge=False)
        t.add_column(_("CHECK"), style="bold")
        t.add_column(_("RESULT"))
        t.add_column(_("DETAIL"))
        for name, ok, detail in result.checks():
            t.add_row(
                name,
                Text(_("PASS") if ok else _("FAIL"), style="green" if ok else "bold red"),
                detail,
            )
        self.query_one("#results", Static).update(t)
        verdict = self.query_one("#verdict", Static)
        if result.passed:
            self.outcome = _("check perf (load {load}): PASS").format(load=self.load)
            verdict.update("✔ " + self.outcome)
        else:
            self.outcome = _("check perf (load {load}): FAIL").format(load=self.load)
            verdict.update(
                "✖ "
                + self.outcome
                + " — "
                + _("the disk or the network is too slow for this load; see pane 2.")
            )
            verdict.add_class("-refused")

    def _succeeded(self, result: Any) -> None:
        self.running = False
        self.query_one("#spinner").display = False
        self._show(result)
        self.query_one("#progress", Static).update(
            _("done; the test keys were deleted ({n}).").format(n=getattr(result, "cleaned", 0))
        )
        self.query_one("#close", Button).focus()

    def _failed(self, err: errors.EtcdtuiError) -> None:
        report(self.app, err, modal=True)
        self.query_one("#close", Button).focus()


def split_dirs(arg: str) -> list[str]:
    """``:evidence`` arguments: shell-like words, so a path with spaces can be quoted."""
    try:
        return shlex.split(arg)
    except ValueError as exc:
        raise errors.UsageError(
            _("cannot read the data dirs: {why}").format(why=exc),
            fix=_("Type :evidence DIR [DIR...]; quote a path that has spaces."),
        ) from None


class EvidenceModal(FittedModal):
    """`:evidence DIR...`: which stopped member's data dir to rebuild from."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Close"), id="evidence.close"),
        Binding("c", "copy", N_("Copy the chosen db and plan the restore"), id="evidence.copy"),
        Binding(
            "r", "rebuild", N_("Rebuild from the most advanced survivor"), id="evidence.rebuild"
        ),
    ]

    def __init__(self, dirs: list[str]) -> None:
        super().__init__()
        self.dirs = dirs
        self.outcome: Any = None
        self.reading = True  # may be closed meanwhile: reading changes nothing
        self.copying = False  # may not: the copy is being written

    def compose(self) -> ComposeResult:
        with Vertical(id="checks-box", classes="modal-box"):
            yield Label(_("Evidence after quorum loss"), classes="modal-title")
            with VerticalScroll(classes="modal-body"):
                yield Static(
                    _(
                        "Read offline and read-only: term, commit and applied index, "
                        "revision and hash of each data dir. Stop the members first; a "
                        "running member keeps changing its files."
                    ),
                    id="explain",
                    markup=False,
                )
                yield Label(_("Equivalent command"), classes="box-title")
                yield Static(
                    "etcdtui evidence " + " ".join(shlex.quote(printable(d)) for d in self.dirs),
                    classes="command",
                    markup=False,
                )
                yield Static("", id="results", markup=False)
                yield Static("", id="notes", markup=False)
            with Vertical(classes="modal-foot"):
                yield Static("", id="verdict", markup=False)
                with Horizontal(id="progress-row"):
                    yield LoadingIndicator(id="spinner")
                    yield Static(_("reading the data dirs…"), id="progress", markup=False)
                with Horizontal(id="buttons"):
                    yield Button(_("Copy and restore"), id="copy", variant="warning", disabled=True)
                    yield Button(_("Close"), id="close")

    def on_mount(self) -> None:
        self._gather()

    @work(exclusive=True, group="evidence", exit_on_error=False, thread=True)
    def _gather(self) -> Any:
        from etcdtui.ops.checks import gather_evidence

        return gather_evidence(self.dirs)

    @work(exclusive=True, group="evidence-copy", exit_on_error=False, thread=True)
    def _copy(self) -> Any:
        from etcdtui.ops.checks import copy_for_restore

        return copy_for_restore(self.outcome)

    def _show(self, outcome: Any) -> None:
        from etcdtui.ops.checks import copy_refusal

        self.outcome = outcome
        found = outcome.evidence
        t = Table(box=None, expand=False, pad_edge=False)
        for head in (
            _("DATA DIR"),
            _("TERM"),
            _("COMMIT"),
            _("APPLIED"),
            _("REVISION"),
            _("HASH"),
            _("NOTE"),
        ):
            t.add_column(head)
        for d in found.dirs:
            w = d.wal
            note = _("DIVERGED") if d.diverged_from else printable(d.error or "")
            t.add_row(
                ("* " if d is found.best else "  ") + printable(d.path),
                str(d.term if d.term is not None else (w.term if w and w.term else "")),
                str(w.commit if w and w.commit is not None else ""),
                str(d.consistent_index if d.consistent_index is not None else ""),
                str(d.revision if d.revision is not None else ""),
                str(d.db_hash if d.db_hash is not None else ""),
                Text(note, style="bold red") if d.diverged_from else note,
            )
        self.query_one("#results", Static).update(t)
        self.query_one("#notes", Static).update(
            "\n".join(_("note: {note}").format(note=printable(n)) for n in found.notes)
        )
        refusal = copy_refusal(found)
        verdict = self.query_one("#verdict", Static)
        if refusal is None and found.best is not None:
            verdict.update(
                _(
                    "most advanced: {path}. Press c to copy its db (the data dir is only "
                    "read) and open the restore wizard with the copy, or r to rebuild from it "
                    "(--force-new-cluster, then the others join again)."
                ).format(path=printable(found.best.path))
            )
            self.query_one("#copy", Button).disabled = False
            self.query_one("#copy", Button).focus()
        else:
            verdict.update("✖ " + (refusal or ""))
            verdict.add_class("-refused")
            self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#copy")
    def _copy_pressed(self) -> None:
        self.action_copy()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        if not self.copying:
            self.dismiss(None)

    def action_rebuild(self) -> None:
        """Plan the rebuild (the wizard refuses when quorum still holds, or the dirs
        diverged: it says why)."""
        if self.reading or self.copying or self.outcome is None:
            return
        self.dismiss(None)
        app = etcdtui_app(self)
        self.app.call_later(app.action_wizard, "rebuild", "")

    def action_copy(self) -> None:
        if self.reading or self.copying or self.query_one("#copy", Button).disabled:
            return
        self.copying = True
        self.query_one("#copy", Button).disabled = True
        self.query_one("#spinner").display = True
        self.query_one("#progress", Static).update(_("copying…"))
        self._copy()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if group not in ("evidence", "evidence-copy") or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
        ):
            return
        self.reading = self.copying = False
        self.query_one("#spinner").display = False
        if event.state == WorkerState.ERROR:
            err = as_etcdtui_error(event.worker.error or RuntimeError("?"))
            self.query_one("#progress", Static).update(f"✖ {err.title}: {err.cause}")
            report(self.app, err, modal=True)
            return
        if group == "evidence":
            self.query_one("#progress", Static).update("")
            self._show(event.worker.result)
            # the replace and rebuild wizards of this session use what was read
            etcdtui_app(self).evidence_dirs = tuple(self.dirs)
            return
        copied = str(event.worker.result)
        self._audit(copied)
        self.dismiss(_("copied the most advanced db to {path}").format(path=printable(copied)))
        app = etcdtui_app(self)
        self.app.call_later(app.action_wizard, "restore", copied)

    def _audit(self, copied: str) -> None:
        audit = etcdtui_app(self).audit_log
        best = self.outcome.evidence.best if self.outcome is not None else None
        if best is None:
            return
        settings = _settings(self)
        audit.append(
            action="evidence-copy",
            params={"dirs": list(self.dirs), "chosen": best.path, "copy": copied},
            context=getattr(settings, "context", None),
            result={"revision": best.revision, "applied_index": best.consistent_index},
        )
