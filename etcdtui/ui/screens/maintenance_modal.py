"""The console face of the maintenance use cases (etcdtui.services.maintenance):
NOSPACE recovery, defragmentation, compaction and alarm disarm.

The modal shows what will happen and the etcdctl equivalent, asks for the action's
name to be typed, then runs the same use case as `etcdtui maintenance ...` in a
worker (quorum and health re-checked right before each mutation, audited). Polling
pauses while it is open.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, Static

from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import _
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.messages import ActionProgress, ActionProgressed
from etcdtui.ui.screens.confirm_run import ConfirmRunModal

KINDS = ("nospace", "defrag", "compact", "disarm")


def _title(kind: str) -> str:
    return {
        "nospace": _("Recover from NOSPACE"),
        "defrag": _("Defragment every member, leader last"),
        "compact": _("Compact history to the current revision"),
        "disarm": _("Disarm the alarms"),
    }[kind]


def _explain(kind: str) -> str:
    from etcdtui.ops.maintenance import quota_note

    if kind == "nospace":
        return "\n".join(
            [
                _(
                    "1 compact to the current revision; 2 defragment each member, one at a time, "
                    "leader last; 3 disarm the alarms; 4 check that a write succeeds."
                ),
                quota_note(),
            ]
        )
    if kind == "defrag":
        return _(
            "Every member must be healthy. Learners first, then followers, the leader last; "
            "each member blocks its reads and writes while it runs. Stops at the first "
            "unhealthy member."
        )
    if kind == "compact":
        return _("Older revisions become unreadable. The db keeps its size until a defrag.")
    return _("Disarm only after compaction and defrag, or NOSPACE comes straight back.")


def _commands(kind: str, endpoints: list[str]) -> str:
    from etcdtui.ops.maintenance import nospace_commands

    if kind == "nospace":
        return "\n".join(nospace_commands(endpoints))
    if kind == "defrag":
        return "\n".join(f"etcdctl --endpoints={u} defrag" for u in endpoints)
    if kind == "compact":
        return "etcdctl compact $(etcdctl endpoint status -w json | jq .[0].Status.header.revision)"
    return "etcdctl alarm disarm"


class MaintenanceModal(ConfirmRunModal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel"), id="maintenance.cancel")
    ]

    WORKER_GROUP = "maintenance"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.running = False

    def compose(self) -> ComposeResult:
        service = etcdtui_app(self).service
        endpoints = service.all_endpoints() if service is not None else []
        with Vertical(id="action-box", classes="modal-box"):
            yield Label(_title(self.kind), classes="modal-title")
            yield Static(_explain(self.kind), id="explain", markup=False)
            yield Label(_("Equivalent etcdctl commands"), classes="box-title")
            yield Static(_commands(self.kind, endpoints), classes="command", markup=False)
            yield Static("", id="verdict", markup=False)
            yield Input(
                placeholder=_("type {word} to confirm").format(word=self.kind), id="confirm"
            )
            yield from self._run_rows("error", _("Cancel"))

    @property
    def read_only(self) -> bool:
        return etcdtui_app(self).read_only

    def _refresh(self) -> None:
        typed = self.query_one("#confirm", Input).value.strip() == self.kind
        run = self.query_one("#run", Button)
        run.disabled = self.running or not typed or self.read_only
        if self.read_only:
            self.query_one("#verdict", Static).update(_("Read-only mode: this action is disabled."))

    def _can_start(self) -> bool:
        return not self.read_only

    @work(exclusive=True, group="maintenance", exit_on_error=False)
    async def _execute(self) -> str:
        from etcdtui.ops.cluster import ClusterService
        from etcdtui.ops.maintenance import Maintenance

        service = etcdtui_app(self).service
        if not isinstance(service, ClusterService):
            raise EtcdtuiError(
                _("maintenance needs a live cluster connection"), title=_("Not available")
            )

        def say(text: str) -> None:
            self.post_message(ActionProgressed(ActionProgress(text)))

        m = Maintenance(service, on_event=say)
        if self.kind == "nospace":
            outcome = await m.nospace()
            return _("NOSPACE cleared: {n} alarm(s) disarmed, writes work again.").format(
                n=len(outcome.disarmed)
            )
        if self.kind == "defrag":
            results = await m.run_defrag(await m.plan_defrag())
            return _("defragmented {n} member(s), leader last").format(n=len(results))
        if self.kind == "compact":
            result = await m.compact(0)
            return _("compacted to revision {rev}").format(rev=result.revision)
        disarmed = await m.disarm()
        return _("disarmed {n} alarm(s)").format(n=len(disarmed))
