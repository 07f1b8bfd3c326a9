"""Drill pane: pick a training drill, read its briefing, watch the objectives turn green.

The drill runs on its own sandbox (context ``drill``); every check reads that real
cluster in a thread worker, so the console never waits on it. Keys: ``enter`` starts
the highlighted drill, ``c`` checks now, ``h`` shows the next hint (counted), ``R``
resets the drill.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static
from textual.worker import Worker, WorkerState

from etcdtui.i18n import _
from etcdtui.ui.widgets.quiet_table import SizedTable

CHECK_EVERY_S = 5.0


class DrillPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "check", _("Check objectives"), id="drill.check"),
        Binding("h", "hint", _("Next hint"), id="drill.hint"),
        Binding("R", "reset", _("Reset the drill"), id="drill.reset"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state: Any = None
        self.results: list[Any] = []
        self.busy = ""

    def compose(self) -> ComposeResult:
        yield Label(_("Training drills"), classes="box-title")
        yield Static("", id="drill-status", markup=False)
        yield SizedTable(id="drill-table", cursor_type="row")
        with VerticalScroll(id="drill-body"):
            yield Static("", id="drill-briefing", markup=False)
            yield SizedTable(id="drill-objectives", cursor_type="row")
            yield Static("", id="drill-hint", markup=False)

    def on_mount(self) -> None:
        from etcdtui.ops.drills.runner import catalog

        table = self.query_one("#drill-table", DataTable)
        table.add_column(_("DRILL"), key="name")
        table.add_column(_("INCIDENT"), key="title")
        for d in catalog().values():
            table.add_row(d.name, d.title_text(), key=d.name)
        objectives = self.query_one("#drill-objectives", DataTable)
        objectives.add_column(" ", key="ok")
        objectives.add_column(_("OBJECTIVE"), key="text")
        objectives.add_column(_("NOW"), key="detail")
        self.set_interval(1.0, self._tick)
        self.set_interval(CHECK_EVERY_S, self._auto_check)
        self._load()

    # --- state --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="drill-load", exit_on_error=False)
    def _load(self) -> Any:
        from etcdtui.errors import EtcdtuiError
        from etcdtui.ops.drills import runner

        try:
            state = runner.load_state()
        except EtcdtuiError:
            return None
        return state, runner.check(state)

    @work(thread=True, exclusive=True, group="drill-check", exit_on_error=False)
    def _check(self) -> Any:
        from etcdtui.ops.drills import runner

        state = runner.load_state()
        return state, runner.check(state)

    @work(thread=True, exclusive=True, group="drill-start", exit_on_error=False)
    def _start(self, name: str) -> Any:
        from etcdtui.ops.drills import runner

        state = runner.start(name)
        return state, runner.check(state)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if not group.startswith("drill-") or group == "drill-hint":
            return
        if event.state == WorkerState.SUCCESS:
            self.busy = ""
            if event.worker.result:
                self.state, self.results = event.worker.result
            self._draw()
        elif event.state == WorkerState.ERROR:
            from etcdtui.ui.errors import as_etcdtui_error

            self.busy = ""
            err = as_etcdtui_error(event.worker.error or RuntimeError("?"))
            self.query_one("#drill-hint", Static).update(f"✖ {err.title}: {err.cause}")
            self._draw()

    # --- actions ------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "drill-table" or self.busy or event.row_key.value is None:
            return
        self.busy = _("setting up {name} (a fresh sandbox, a keyspace, the fault) …").format(
            name=event.row_key.value
        )
        self._draw()
        self._start(str(event.row_key.value))

    def action_check(self) -> None:
        if self.state is not None and not self.busy:
            self._check()

    def _auto_check(self) -> None:
        if self.state is not None and not self.busy and self.state.finished is None:
            self._check()

    def action_hint(self) -> None:
        from etcdtui.ops.drills import runner

        if self.state is None:
            return
        n, text = runner.hint(self.state)
        self.query_one("#drill-hint", Static).update(_("hint {n}: {text}").format(n=n, text=text))
        self._draw()

    def action_reset(self) -> None:
        if self.state is None or self.busy:
            return
        self.busy = _("resetting {name} …").format(name=self.state.name)
        self._draw()
        self._start(self.state.name)

    # --- drawing ------------------------------------------------------------------

    def _tick(self) -> None:
        if self.state is not None:
            self._draw_status()

    def _draw_status(self) -> None:
        from etcdtui.ops.drills.runner import elapsed

        status = self.query_one("#drill-status", Static)
        if self.busy:
            status.update(self.busy)
            return
        if self.state is None:
            status.update(_("Pick a drill and press enter: it runs on its own sandbox."))
            return
        done = sum(1 for r in self.results if r.ok)
        verdict = _("PASSED") if self.results and done == len(self.results) else _("in progress")
        status.update(
            _(
                "{name}: {verdict}, {done}/{total} objectives, {s:.0f} s, {h} hints; "
                "work on it with: etcdtui --context drill   (c check, h hint, R reset)"
            ).format(
                name=self.state.name,
                verdict=verdict,
                done=done,
                total=len(self.results),
                s=elapsed(self.state),
                h=self.state.hints_used,
            )
        )

    def _draw(self) -> None:
        from etcdtui.ops.drills.runner import get_drill

        self._draw_status()
        table = self.query_one("#drill-table", DataTable)
        table.display = self.state is None
        self.query_one("#drill-body").display = self.state is not None
        if self.state is None:
            return
        drill = get_drill(self.state.name)
        self.query_one("#drill-briefing", Static).update(
            drill.title_text() + "\n\n" + _(drill.briefing)
        )
        objectives = self.query_one("#drill-objectives", DataTable)
        objectives.clear()
        for r in self.results:
            objectives.add_row("✔" if r.ok else "✖", r.text, r.detail, key=r.code)
