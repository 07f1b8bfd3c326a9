"""The member-action dialog (a ConfirmRunModal: polling pauses while it is open)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from etcdtui import errors
from etcdtui.cluster_data import Member, QuorumSummary
from etcdtui.i18n import N_, _
from etcdtui.terminal_text import printable
from etcdtui.ui import member_actions as ma
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.messages import ActionProgress, ActionProgressed
from etcdtui.ui.screens.confirm_run import ConfirmRunModal
from etcdtui.ui.screens.fit import fit_body


def whatif_table(before: QuorumSummary, after: QuorumSummary) -> Table:
    t = Table(box=None, expand=False, pad_edge=False)
    t.add_column(_("QUORUM"), style="bold")
    t.add_column(_("BEFORE"), justify="right")
    t.add_column(_("AFTER"), justify="right")
    for label, a, b in (
        (_("voters"), before.voters, after.voters),
        (_("healthy"), before.healthy, after.healthy),
        (_("needed"), before.needed, after.needed),
        (_("tolerance"), before.tolerance, after.tolerance),
    ):
        t.add_row(label, str(a), str(b))
    return t


class MemberActionModal(ConfirmRunModal):
    """What-if, equivalent etcdctl command, confirmation, progress, result."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="modal.cancel")
    ]

    WORKER_GROUP = "member-action"

    def __init__(self, kind: str, target: Member | None) -> None:
        super().__init__()
        self.kind, self.target = kind, target
        self.running = False

    @property
    def _ui(self) -> Any:
        return self.app

    @property
    def _state(self) -> Any:
        return etcdtui_app(self).state

    def _plan(self) -> ma.ActionPlan:
        st = self._state
        assert st.members is not None
        urls = self.query_one("#urls", Input).value if self._has("#urls") else ""
        name = self.query_one("#new-name", Input).value if self._has("#new-name") else ""
        return ma.plan(
            self.kind,
            st.members,
            st.healthy_ids(),
            st.leader_id(),
            self._ui.settings,
            self.target,
            urls,
            name,
            access_error=st.access_error(),
        )

    def _has(self, selector: str) -> bool:
        return bool(self.query(selector))

    def compose(self) -> ComposeResult:
        who = printable(self.target.name or f"{self.target.id:x}") if self.target else ""
        with Vertical(id="action-box", classes="modal-box"):
            yield Label(
                f"{ma.title_for(self.kind)} {who}".strip(), classes="modal-title", markup=False
            )
            # The body scrolls; the confirmation field and the buttons below it stay on
            # screen however small the terminal is.
            with VerticalScroll(classes="modal-body"):
                if self.kind == "add-learner":
                    yield Input(placeholder=_("new member name, e.g. m4"), id="new-name")
                    yield Input(placeholder=_("peer URL(s), e.g. https://10.0.0.4:2380"), id="urls")
                elif self.kind == "update-peer-urls" and self.target is not None:
                    yield Input(",".join(self.target.peer_urls), id="urls")
                yield Static("", id="whatif")
                yield Static("", id="verdict", markup=False)
                yield Label(_("Equivalent etcdctl command"), classes="box-title")
                yield Static("", id="command", classes="command", markup=False)
            with Vertical(classes="modal-foot"):
                yield Input(id="confirm")
                yield Static("", id="confirm-error", markup=False)
                yield from self._run_rows(
                    "error",
                    _("Cancel"),
                    Button(_("Move leader first"), id="move-first", variant="warning"),
                )

    def _focus_first(self) -> None:
        inputs = [i for i in self.query(Input) if i.display]
        run = self.query_one("#run", Button)
        if inputs:
            inputs[0].focus()
        elif not run.disabled:
            run.focus()
        else:
            self.query_one("#cancel", Button).focus()

    def _refresh(self) -> None:
        p = self._plan()
        self.query_one("#whatif", Static).update(whatif_table(p.before, p.after))
        lines = [f"✖ {r}" for r in p.reasons]
        fix = p.console_fix or p.fix  # the console's words where the CLI's name a flag
        if fix and p.reasons:
            lines.append(_("fix: {fix}").format(fix=fix))
        lines += [f"▲ {w}" for w in p.warnings]
        if p.allowed and not lines:
            lines.append("✔ " + _("Quorum holds before and after."))
        verdict = self.query_one("#verdict", Static)
        verdict.update(printable("\n".join(lines), keep="\n"))
        verdict.set_class(not p.allowed, "-refused")
        self.query_one("#command", Static).update(
            Text(printable(p.command, keep="\n"), overflow="fold")
        )
        confirm = self.query_one("#confirm", Input)
        confirm.display = p.confirm_text is not None and p.allowed
        target_id = f"{self.target.id:x}" if self.target is not None else ""
        if p.confirm_text:
            confirm.placeholder = _("type {name} or its ID {id} to confirm").format(
                name=printable(p.confirm_text), id=target_id
            )
        typed = confirm.value.strip()
        # the hex ID always works: a name may hold characters nobody can type
        typed_ok = p.confirm_text is None or (typed != "" and typed in (p.confirm_text, target_id))
        run = self.query_one("#run", Button)
        run.disabled = self.running or not p.allowed or not typed_ok
        read_only = etcdtui_app(self).read_only
        if read_only:
            run.disabled = True
            verdict.update(_("Read-only mode: this action is disabled."))
        self.query_one("#move-first", Button).display = (
            self.kind == "remove" and p.target_is_leader and not self.running
        )

    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "confirm":
            self.query_one("#confirm-error", Static).remove_class("-shown")

    def _not_started(self, event: Input.Submitted) -> None:
        if event.input.id == "confirm":
            self._wrong_confirmation(event.value.strip())
        else:
            self.focus_next()

    def _wrong_confirmation(self, typed: str) -> None:
        """Say why nothing runs, and keep the cursor in the field."""
        p = self._plan()
        if not p.allowed:
            why = _("Nothing runs: the change is refused (see above).")
        elif not typed:
            why = _("Type {name} to confirm, then press enter.").format(name=p.confirm_text)
        else:
            why = _("{typed!r} is not {name}: type the member name exactly to confirm.").format(
                typed=typed, name=p.confirm_text
            )
        box = self.query_one("#confirm-error", Static)
        box.update("✖ " + why)
        box.add_class("-shown")
        self.call_after_refresh(fit_body, self)
        self.query_one("#confirm", Input).focus()

    @on(Button.Pressed, "#move-first")
    def _move_first(self) -> None:
        st = self._state
        healthy = st.healthy_ids()
        leader = st.leader_id()
        others = [
            m for m in st.members.members if m.id != leader and not m.is_learner and m.id in healthy
        ]
        if not others:
            self.notify(_("No healthy follower can take over leadership."), severity="warning")
            return
        self.dismiss(None)
        self.app.push_screen(MemberActionModal("move-leader", others[0]))

    def _can_start(self) -> bool:
        return self._plan().allowed

    def _launch(self) -> None:
        urls = self.query_one("#urls", Input).value if self._has("#urls") else ""
        name = self.query_one("#new-name", Input).value if self._has("#new-name") else ""
        self._execute(urls, name)

    @work(exclusive=True, group="member-action", exit_on_error=False)
    async def _execute(self, urls: str, name: str) -> str:
        def progress(text: str) -> None:
            self.post_message(ActionProgressed(ActionProgress(text)))

        service = etcdtui_app(self).service
        if service is None:
            raise errors.UsageError(_("no cluster is connected"))
        target_id = self.target.id if self.target else None
        return await ma.execute(
            service,
            self.kind,
            target_id,
            peer_urls_text=urls,
            name=name.strip(),
            audit=self._ui.audit_log,
            progress=progress,
        )
