"""The wizard screen: one guided procedure (a Plan), step by step.

Self-contained: construct it with a :class:`Plan` and an :class:`Executor` (or
``None`` to only show the plan) and push it::

    from etcdtui.ui.wizard import WizardScreen
    app.push_screen(WizardScreen(plan, executor, read_only=settings.read_only))

A rail on the left shows every step as done / current / next; the right side shows
the highlighted step's why, where, command, pre-check result and a log. ``x`` runs
the plan from the first unfinished step (a resumed executor starts where it stopped),
a destructive step waits until its member name (or step id) is typed, ``r`` rolls
back the failed step when it has a rollback, ``escape`` leaves: progress is persisted
by the executor, so the wizard can be resumed later. Read-only shows, never executes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, ListItem, ListView, ProgressBar, RichLog, Static

from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import N_, _
from etcdtui.ops.plans import Plan, Step
from etcdtui.ops.runs import Executor
from etcdtui.terminal_text import printable
from etcdtui.ui.widgets.footer import KeyFooter

MARKS = {
    "done": "✔",
    "skipped": "↷",
    "current": "▶",
    "failed": "✖",
    "rolled-back": "↺",
    "next": "·",
}


class WizardLog(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class WizardProgress(Message):
    def __init__(self, fraction: float, text: str) -> None:
        super().__init__()
        self.fraction, self.text = fraction, text


class WizardAsk(Message):
    """The executor waits for the operator to type ``word``."""

    def __init__(self, step: Step, word: str, prompt: str, answer: asyncio.Future[bool]) -> None:
        super().__init__()
        self.step, self.word, self.prompt, self.answer = step, word, prompt, answer


class WizardStepEvent(Message):
    def __init__(self, step_id: str, event: str, data: Mapping[str, Any]) -> None:
        super().__init__()
        self.step_id, self.event, self.data = step_id, event, dict(data)


class ScreenOperator:
    """The executor's Operator: it only posts messages to the screen."""

    def __init__(self, screen: WizardScreen) -> None:
        self.screen = screen

    def show(self, text: str) -> None:
        self.screen.post_message(WizardLog(text))

    def progress(self, step: Step, fraction: float, text: str) -> None:
        self.screen.post_message(WizardProgress(fraction, text))

    async def _ask(self, step: Step, word: str, prompt: str) -> bool:
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.screen.post_message(WizardAsk(step, word, prompt, answer))
        return await answer

    async def confirm(self, step: Step) -> bool:
        word = str(step.params.get("name") or step.id)
        return await self._ask(
            step,
            word,
            _("Destructive step. Type {word} to go on, anything else to stop.").format(word=word),
        )

    async def wait_done(self, step: Step) -> str:
        ok = await self._ask(
            step,
            "done",
            _("Run the command on {where}, then type done.").format(where=step.where.label()),
        )
        return "done" if ok else "abort"


class WizardScreen(Screen[str]):
    DEFAULT_CSS = """
    WizardScreen #wizard-title { padding: 0 1; text-style: bold; background: $panel; }
    WizardScreen #rail { width: 35%; max-width: 44; min-width: 22; border-right: solid $primary; }
    WizardScreen #rail .done { color: $success; }
    WizardScreen #rail .skipped { color: $text-muted; }
    WizardScreen #rail .current { color: $accent; text-style: bold; }
    WizardScreen #rail .failed { color: $error; text-style: bold; }
    WizardScreen #rail .rolled-back { color: $warning; }
    WizardScreen #detail { padding: 0 1; }
    WizardScreen .section { margin-top: 1; text-style: bold; }
    WizardScreen #command { background: $boost; padding: 0 1; }
    WizardScreen #precheck.bad { color: $error; }
    WizardScreen #log { height: 30%; max-height: 10; min-height: 4; border-top: solid $primary; }
    WizardScreen #ask { display: none; }
    WizardScreen #ask.asking { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "execute", N_("Execute"), id="wizard.execute"),
        Binding("r", "rollback", N_("Roll back"), id="wizard.rollback"),
        Binding("escape", "leave", N_("Leave (resume later)"), id="wizard.leave"),
    ]

    def __init__(self, plan: Plan, executor: Executor | None, *, read_only: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self.executor = executor
        self.read_only = read_only or executor is None
        self.status: dict[str, str] = {}
        self.prechecks: dict[str, tuple[bool, str]] = {}
        self.running = False
        self._pending: WizardAsk | None = None
        if executor is not None:
            executor.operator = ScreenOperator(self)
            executor.listener = self._listener
            for sid, res in executor.results.items():
                self.status[sid] = str(res.get("status", "next"))

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        mode = _("read-only: shown, not executed") if self.read_only else _("x to execute")
        yield Static(
            f"{self.plan.title}  [{self.plan.id}]  ({mode})", id="wizard-title", markup=False
        )
        with Horizontal():
            yield ListView(
                *[
                    ListItem(Label(self._rail_text(i, s), markup=False), id=f"rail-{i}")
                    for i, s in enumerate(self.plan.steps)
                ],
                id="rail",
            )
            with Vertical(id="detail"):
                with VerticalScroll():
                    yield Static(id="step-title", classes="section", markup=False)
                    yield Static(id="why", markup=False)
                    yield Static(id="where", markup=False)
                    yield Static(_("Command"), classes="section")
                    yield Static(id="command", markup=False)
                    yield Static(id="precheck", markup=False)
                yield ProgressBar(total=1.0, show_eta=False, id="meter")
                yield Input(id="ask")
                yield RichLog(id="log", markup=False, wrap=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._refresh_rail()
        self.show_step(self._first_open())
        self.query_one("#rail", ListView).focus()

    def _first_open(self) -> int:
        for i, s in enumerate(self.plan.steps):
            if self.status.get(s.id) not in ("done", "skipped"):
                return i
        return len(self.plan.steps) - 1

    def _state(self, i: int, step: Step) -> str:
        st = self.status.get(step.id)
        if st:
            return st
        return "current" if self.running and i == self._first_open() else "next"

    def _rail_text(self, i: int, step: Step) -> str:
        st = self._state(i, step)
        return printable(f"{MARKS.get(st, '·')} {i + 1:>2}. {step.title}")

    def _refresh_rail(self) -> None:
        for i, step in enumerate(self.plan.steps):
            item = self.query_one(f"#rail-{i}", ListItem)
            label = item.query_one(Label)
            label.update(self._rail_text(i, step))
            label.set_classes(self._state(i, step))

    def show_step(self, i: int) -> None:
        step = self.plan.steps[i]
        destructive = "  " + _("(destructive)") if step.destructive else ""
        # plan texts quote member names and URLs from the cluster: escaped, newlines kept
        self.query_one("#step-title", Static).update(
            printable(f"{i + 1}. {step.title}{destructive}")
        )
        self.query_one("#why", Static).update(
            printable(_("Why: {why}").format(why=step.why), keep="\n")
        )
        self.query_one("#where", Static).update(
            printable(_("Where: {where}").format(where=step.where.label()))
        )
        cmd = step.shown_command or _("(no command)")
        for label, text in step.alternatives.items():
            cmd += f"\n\n{label}:\n{text}"
        self.query_one("#command", Static).update(printable(cmd, keep="\n"))
        pre = self.query_one("#precheck", Static)
        if step.id in self.prechecks:
            ok, detail = self.prechecks[step.id]
            pre.update(
                printable(
                    (_("Pre-check passed: {d}") if ok else _("Pre-check FAILED: {d}")).format(
                        d=detail
                    ),
                    keep="\n",
                )
            )
            pre.set_class(not ok, "bad")
        elif step.precondition is not None:
            pre.update(
                _("Pre-check (right before the step): {d}").format(d=step.precondition.description)
            )
            pre.remove_class("bad")
        else:
            pre.update("")

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        if event.item is not None and event.item.id and event.item.id.startswith("rail-"):
            self.show_step(int(event.item.id.removeprefix("rail-")))

    # --- executor messages -----------------------------------------------------------

    def _listener(self, step_id: str, event: str, data: Mapping[str, Any]) -> None:
        self.post_message(WizardStepEvent(step_id, event, data))

    def on_wizard_step_event(self, msg: WizardStepEvent) -> None:
        if msg.event == "precheck":
            self.prechecks[msg.step_id] = (bool(msg.data.get("ok")), str(msg.data.get("detail")))
        else:
            self.status[msg.step_id] = msg.event
        self._refresh_rail()
        idx = next(i for i, s in enumerate(self.plan.steps) if s.id == msg.step_id)
        self.query_one("#rail", ListView).index = idx
        self.show_step(idx)

    def on_wizard_log(self, msg: WizardLog) -> None:
        self.query_one("#log", RichLog).write(msg.text)

    def on_wizard_progress(self, msg: WizardProgress) -> None:
        self.query_one("#meter", ProgressBar).update(progress=msg.fraction)
        self.query_one("#log", RichLog).write(f"{msg.fraction * 100:5.1f}% {msg.text}")

    def on_wizard_ask(self, msg: WizardAsk) -> None:
        self._pending = msg
        box = self.query_one("#ask", Input)
        box.value = ""
        box.placeholder = msg.prompt
        box.add_class("asking")
        self.query_one("#log", RichLog).write(msg.prompt)
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._pending is None:
            return
        pending, self._pending = self._pending, None
        event.input.remove_class("asking")
        if not pending.answer.done():
            pending.answer.set_result(event.value.strip() == pending.word)
        self.query_one("#rail", ListView).focus()

    # --- actions ---------------------------------------------------------------------

    def action_execute(self) -> None:
        if self.read_only or self.executor is None:
            self.notify(
                _("Read-only: this plan is shown, nothing is executed."), severity="warning"
            )
            return
        if self.running:
            return
        self.running = True
        self._refresh_rail()
        self._run()

    @work(exclusive=True, group="wizard", exit_on_error=False)
    async def _run(self) -> None:
        assert self.executor is not None
        try:
            await self.executor.run()
            self.post_message(WizardLog(_("Plan {id} finished.").format(id=self.plan.id)))
        except EtcdtuiError as exc:
            self.post_message(WizardLog(exc.render(console=True)))
            step = self.plan.step(self.executor.current) if self.executor.current else None
            if step is not None and step.rollback is not None:
                self.post_message(
                    WizardLog(
                        _("Press r to roll back: {what}").format(what=step.rollback.description)
                    )
                )
        finally:
            self.running = False

    def action_rollback(self) -> None:
        if self.read_only or self.executor is None or self.running:
            return
        self._rollback()

    @work(exclusive=True, group="wizard", exit_on_error=False)
    async def _rollback(self) -> None:
        assert self.executor is not None
        try:
            await self.executor.rollback()
        except EtcdtuiError as exc:
            self.post_message(WizardLog(exc.render(console=True)))

    def action_leave(self) -> None:
        if self._pending is not None and not self._pending.answer.done():
            self._pending.answer.set_result(False)
        self.dismiss(self.executor.status if self.executor else "shown")
