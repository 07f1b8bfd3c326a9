"""Opening the guided wizards from the console: `:replace NAME`, `:scale N`,
`:restore FILE` and `:wizards` (resume a saved one).

Plans come from ``etcdtui.services.procedures`` exactly as the CLI builds them; when
the cluster is an etcdtui sandbox the executor gets a :class:`SandboxHost`, so host
steps run here. Plans are built in a worker; the screen is pushed from the message
handler. Read-only sessions get the plan shown, never an executor.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, Static

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import N_, _
from etcdtui.ops.plans import Plan
from etcdtui.ops.snapshots import EncryptedSnapshotError
from etcdtui.safeio import expand_user
from etcdtui.terminal_text import printable
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.errors import report
from etcdtui.ui.screens.fit import FittedModal
from etcdtui.ui.service import ServiceFactory, real_service
from etcdtui.ui.widgets.footer import KeyFooter
from etcdtui.ui.widgets.quiet_table import QuietTable

if TYPE_CHECKING:
    from etcdtui.ui.app_access import ConsoleApp

KINDS = ("replace", "scale", "restore", "rebuild")


# --- building plans (the same requests the CLI makes) ----------------------------------------


def session_keys(app: ConsoleApp) -> Any:
    """The decryption keys given in the snapshots pane (``k``) this session, or None."""
    from etcdtui.ui.snapshots.pane import SnapshotsPane

    for screen in (app.screen, *app.screen_stack, app.main):
        for pane in screen.query(SnapshotsPane):
            if pane.keys:
                return pane.keys
    return None


async def build_plan(
    kind: str,
    arg: str,
    settings: ConnectionSettings,
    keys: Any = None,
    factory: ServiceFactory = real_service,
    evidence: tuple[str, ...] = (),
) -> Plan:
    """The plan for ``:kind arg``, built by :mod:`etcdtui.ops.plan_requests` as the CLI builds
    it; the service comes through the console's seam (``factory``)."""
    from etcdtui.ops import plan_requests

    target = 0
    if kind == "scale":  # check the argument before dialling anything
        try:
            target = int(arg)
        except ValueError:
            raise errors.UsageError(
                _("{arg!r} is not a number of voters").format(arg=arg),
                fix=_("Example: :scale 5"),
            ) from None
    if kind not in KINDS:
        raise errors.UsageError(_("unknown wizard {kind}").format(kind=kind))
    sandbox = plan_requests.find_sandbox(settings)
    snap = None
    if kind == "restore":
        path = expand_user(arg).absolute()
        try:
            snap = plan_requests.verify_snapshot(path, keys)  # the keys given with k
        except EncryptedSnapshotError as exc:  # in the console's words, not the CLI's flags
            exc.fix = _(
                "Press 4 for the snapshots pane, k to give the identity file or passphrase "
                "(kept for this session only), then ctrl+r again."
            )
            raise
    svc = factory(settings)
    try:
        if kind == "replace":  # the session's :evidence picks and guards the member
            return await plan_requests.replace_plan(
                svc, settings, sandbox, plan_requests.ReplaceInput(member=arg, evidence=evidence)
            )
        if kind == "rebuild":
            return await plan_requests.rebuild_plan(
                svc, settings, sandbox, plan_requests.RebuildInput(evidence=evidence)
            )
        if kind == "scale":
            return await plan_requests.scale_plan(
                svc, settings, sandbox, plan_requests.ScaleInput(target)
            )
        plan, _risks = await plan_requests.restore_plan(
            svc, sandbox, plan_requests.RestoreInput(snapshot=path), snap
        )
        return plan
    finally:
        await svc.close()


# --- app glue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WizardOpen:
    plan: Plan | None = None
    resume_id: str | None = None


class WizardReady(Message):
    def __init__(self, data: WizardOpen) -> None:
        super().__init__()
        self.data = data


def open_wizard(app: Any, kind: str, arg: str = "") -> None:
    """Entry point of ``app.wizard(kind, arg)``: ask for a missing argument, then build."""
    if kind not in KINDS:
        report(app, errors.UsageError(_("unknown wizard {kind}").format(kind=kind)))
        return
    if app.settings is None:
        report(app, errors.UsageError(_("no cluster is connected")))
        return
    evidence = cast("ConsoleApp", app).evidence_dirs  # the typed accessor, no string
    if kind == "rebuild" and not evidence:
        report(
            app,
            errors.UsageError(
                _("a rebuild starts from the most advanced data dir, and none was read yet"),
                fix=_("Read every member's data dir first: :evidence DIR [DIR...], then r."),
            ),
        )
        return
    if not arg and kind == "replace" and not evidence:
        member = app.main.selected_member() if app.screen is app.main else None
        arg = (member.name or member.hex_id) if member is not None else ""
    if not arg and kind != "rebuild" and not (kind == "replace" and evidence):
        prompt = RestorePrompt(app) if kind == "restore" else ArgPrompt(kind)
        app.push_screen(prompt, lambda value: open_wizard(app, kind, value) if value else None)
        return

    async def build() -> None:
        try:
            plan = await build_plan(
                kind,
                arg,
                app.settings,
                session_keys(app),
                factory=app.service_factory,
                evidence=evidence if kind in ("replace", "rebuild") else (),
            )
        except errors.EtcdtuiError as exc:
            report(app, exc, modal=True)
            return
        app.post_message(WizardReady(WizardOpen(plan=plan)))

    app.notify(_("Planning {kind} {arg}…").format(kind=kind, arg=arg), markup=False, timeout=3)
    app.run_worker(build(), group="wizard-plan", exclusive=True, exit_on_error=False)


def show_wizard(app: Any, data: WizardOpen) -> None:
    """Push the wizard for a fresh plan or a saved run (the WizardReady handler)."""
    from etcdtui.ops.runs import AutoOperator, Executor
    from etcdtui.ops.sandbox import SandboxHost, sandbox_for
    from etcdtui.ui.wizard import WizardScreen

    settings = app.settings
    sb = sandbox_for(settings)
    host = SandboxHost(sb) if sb is not None else None
    kw: dict[str, Any] = {"operator": AutoOperator(), "host": host, "audit": app.audit_log}
    try:
        if data.resume_id is not None:
            ex: Executor | None = Executor.resume(data.resume_id, settings, **kw)
            plan = ex.plan if ex is not None else None
        else:
            plan, ex = data.plan, Executor(data.plan, settings, **kw) if data.plan else None
    except errors.EtcdtuiError as exc:
        report(app, exc, modal=True)
        return
    if plan is None:
        return
    snapshot = (plan.context.get("snapshot") or {}).get("path")
    if plan.kind == "restore" and snapshot:  # a resumed encrypted restore decrypts again
        from etcdtui.ops.runs import remember_keys

        remember_keys(str(snapshot), session_keys(app))
    if settings.read_only:
        ex = None
    poller = app.poller
    if poller is not None:
        poller.pause()

    def closed(status: str | None) -> None:
        if poller is not None:
            poller.resume()
        app.refresh_now()
        if status not in ("done", "shown", None):
            app.notify(
                _("Wizard {id} is {status}; resume it with :wizards.").format(
                    id=plan.id, status=status
                ),
                markup=False,
                timeout=8,
            )

    app.push_screen(WizardScreen(plan, ex, read_only=settings.read_only), closed)


class ArgPrompt(FittedModal):
    """Asks for the one argument a wizard needs (member, voter count, snapshot file)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="wizard-arg.cancel")
    ]
    DEFAULT_CSS = "ArgPrompt { align: center middle; }"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        prompts = {
            "replace": _("Failed member to replace (name or hex ID)"),
            "scale": _("Number of voters wanted (3, 5 or 7)"),
            "restore": _("Snapshot file to restore every member from"),
        }
        with Vertical(classes="modal-box"):
            yield Label(prompts[self.kind], classes="modal-title")
            yield Input(id="wizard-arg")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss("")


# --- the restore prompt: newest verified snapshot, path completion ------------------------


def snapshot_directory(app: ConsoleApp) -> str:
    """The snapshots pane's directory when it has one, else the default directory."""
    from etcdtui.ui.snapshots import pane_data
    from etcdtui.ui.snapshots.pane import SnapshotsPane

    for pane in app.main.query(SnapshotsPane):
        if pane.directory:
            return str(pane.directory)
    return str(pane_data.default_directory())


def find_restore_hint(directory: str, keys: Any = None) -> Any:
    """The newest verified snapshot in ``directory`` as an advisory hint, or None."""
    import time

    from etcdtui.ops.health import SnapshotHint
    from etcdtui.ops.snapshots import newest_verified

    entry = newest_verified(directory, keys=keys)
    if entry is None:
        return None
    return SnapshotHint(
        name=entry.path.name,
        path=str(entry.path),
        age_seconds=max(time.time() - entry.time.timestamp(), 0.0),
        state=entry.state,
    )


def look_up_restore_hint(app: Any) -> None:
    """Refresh ``app.state.restore_hint`` in a worker thread (the LOST advice and the
    ctrl+r default name this file)."""
    directory, keys = snapshot_directory(app), session_keys(app)

    def work() -> None:
        hint = find_restore_hint(directory, keys)
        app.call_from_thread(_set_hint, app, hint)

    app.run_worker(work, thread=True, group="restore-hint", exclusive=True, exit_on_error=False)


def _set_hint(app: Any, hint: Any) -> None:
    app.state.restore_hint = hint
    app.schedule_render()


def complete_path(text: str, limit: int = 50) -> tuple[str, list[str]]:
    """Shell-like completion of a file path: (the text extended by the longest common
    prefix of the matches, the matching names). Directories end with ``/``."""
    import os

    expanded = os.path.expanduser(text) if text else ""
    head, tail = os.path.split(expanded)
    directory = head or "."
    try:
        names = sorted(n for n in os.listdir(directory) if n.startswith(tail))
    except OSError:
        return text, []
    if not tail.startswith("."):
        names = [n for n in names if not n.startswith(".")]
    names = names[:limit]
    if not names:
        return text, []
    common = os.path.commonprefix(names)  # noqa: RUF071  (names, not paths: by character)
    shown = [n + "/" if os.path.isdir(os.path.join(directory, n)) else n for n in names]
    extra = common[len(tail) :]
    if len(names) == 1 and shown[0].endswith("/"):
        extra += "/"
    return text + extra, shown


class RestorePrompt(ModalScreen[str]):
    """ctrl+r / `:restore`: the snapshot file to restore every member from. Prefilled with
    the newest verified snapshot (or the file highlighted in the snapshots pane); tab
    completes paths."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel"), id="restore-prompt.cancel"),
        Binding("tab", "complete", _("Complete the path"), id="restore-prompt.complete"),
    ]
    DEFAULT_CSS = """
    RestorePrompt { align: center middle; }
    RestorePrompt #restore-hint { color: $text-muted; }
    """

    def __init__(self, app: ConsoleApp | None = None, path: str | None = None) -> None:
        super().__init__()
        self._owner = app
        self._given = path
        self._typed = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label(_("Snapshot file to restore every member from"), classes="modal-title")
            yield Input(value=self._given or "", id="wizard-arg")
            yield Static("", id="restore-hint", markup=False)

    def on_mount(self) -> None:
        field = self.query_one("#wizard-arg", Input)
        field.focus()
        if self._given:
            self._show(_("The file highlighted in the snapshots pane. Enter plans the restore."))
            return
        owner = self._owner or etcdtui_app(self)
        hint = owner.state.restore_hint
        if hint is not None:
            self._fill(hint)
        self._show(_("Looking for the newest verified snapshot…"))
        directory, keys = snapshot_directory(owner), session_keys(owner)

        def work() -> None:
            found = find_restore_hint(directory, keys)
            self.app.call_from_thread(self._found, found, directory)

        self.run_worker(work, thread=True, group="restore-default", exit_on_error=False)

    def _found(self, hint: Any, directory: str) -> None:
        if hint is None:
            self._show(
                _("No verified snapshot in {dir}: type the file's path (tab completes).").format(
                    dir=directory
                )
            )
            return
        self._fill(hint)

    def _fill(self, hint: Any) -> None:
        from etcdtui.domain.formatting import age_words

        field = self.query_one("#wizard-arg", Input)
        if not self._typed:
            field.value = hint.path
            field.cursor_position = len(hint.path)
        self._show(
            _("Newest verified snapshot: {file} ({age} old). Enter plans the restore.").format(
                file=hint.name, age=age_words(hint.age_seconds)
            )
        )

    def _show(self, text: str) -> None:
        self.query_one("#restore-hint", Static).update(text)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.has_focus and event.value and not self._is_default(event.value):
            self._typed = True

    def _is_default(self, value: str) -> bool:
        hint = (self._owner or etcdtui_app(self)).state.restore_hint
        return value == (self._given or (hint.path if hint else None))

    def action_complete(self) -> None:
        field = self.query_one("#wizard-arg", Input)
        new, names = complete_path(field.value)
        self._typed = True
        if new != field.value:
            field.value = new
            field.cursor_position = len(new)
        if len(names) > 1:
            self._show("  ".join(names))
        elif not names:
            self._show(_("No file matches {text}").format(text=field.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss("")


def open_restore_prompt(app: Any, path: str | None = None) -> None:
    """The restore prompt, prefilled with ``path`` (the snapshots pane's selected file)."""
    app.push_screen(
        RestorePrompt(app, path),
        lambda value: open_wizard(app, "restore", value) if value else None,
    )


# --- saved runs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedWizard:
    id: str
    kind: str
    title: str
    status: str
    done: int
    total: int
    current: str | None
    updated: str


def saved_wizards() -> list[SavedWizard]:
    """Every persisted wizard run, newest first; unreadable files are skipped."""
    from etcdtui.ops.runs import STATE_LIMIT, plan_state_dir
    from etcdtui.safeio import read_limited

    out: list[tuple[float, SavedWizard]] = []
    d = plan_state_dir()
    for path in sorted(d.glob("*.json")) if d.is_dir() else []:
        try:
            data = json.loads(read_limited(path, STATE_LIMIT).decode("utf-8"))
            plan = data["plan"]
            results = data.get("results") or {}
            total = len(plan.get("steps") or [])
            done = sum(1 for r in results.values() if r.get("status") in ("done", "skipped"))
            when = float(data.get("updated") or 0)
            stamp = dt.datetime.fromtimestamp(when, dt.UTC) if when else None
            if str(plan.get("id", path.stem)) != path.stem:
                continue  # a run is saved as ID.json and resumed from there
        except (OSError, ValueError, KeyError, TypeError, AttributeError, OverflowError):
            continue  # not a state file of ours (or damaged): not listed
        out.append(
            (
                when,
                SavedWizard(
                    id=path.stem,
                    kind=str(plan.get("kind", "?")),
                    title=str(plan.get("title", "")),
                    status=str(data.get("status", "?")),
                    done=done,
                    total=total,
                    current=data.get("current"),
                    updated=stamp.strftime("%Y-%m-%d %H:%M:%S") if stamp else "-",
                ),
            )
        )
    return [w for _when, w in sorted(out, key=lambda t: -t[0])]


def _wizard_cells(w: SavedWizard) -> list[Text]:
    """A saved run's row. The values come from a state file: control characters are
    escaped, and each cell is Text, so a title is shown as written, never as markup."""
    cells = (w.id, w.title, w.status, f"{w.done}/{w.total}", w.current or "-", w.updated)
    return [Text(printable(c)) for c in cells]


class WizardListScreen(Screen[None]):
    """`:wizards`: saved runs; enter resumes the highlighted one at its open step."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "resume", N_("Resume"), id="wizards.resume"),
        Binding("escape", "app.pop_screen", N_("Back"), id="wizards.back"),
    ]

    def compose(self) -> ComposeResult:
        yield Label(_("Saved wizards (enter resumes, escape goes back)"), classes="box-title")
        yield Static("", id="wizards-empty", markup=False)
        yield QuietTable(id="wizards-table", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(QuietTable)
        for key, label in (
            ("id", _("ID")),
            ("title", _("PLAN")),
            ("status", _("STATUS")),
            ("steps", _("STEPS DONE")),
            ("current", _("AT STEP")),
            ("updated", _("UPDATED (UTC)")),
        ):
            table.add_column(label, key=key)
        runs = saved_wizards()
        table.replace_rows([(w.id, _wizard_cells(w)) for w in runs])
        if not runs:
            self.query_one("#wizards-empty", Static).update(
                _("No saved wizard runs. Start one with :replace NAME, :scale N or :restore FILE.")
            )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_resume()

    def action_resume(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        app = etcdtui_app(self)
        self.dismiss(None)
        if key:
            show_wizard(app, WizardOpen(resume_id=str(key)))
