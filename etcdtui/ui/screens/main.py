"""Main screen: header, the pane switcher, the `:` command line, the footer."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input

from etcdtui.cluster_data import Member
from etcdtui.errors import EtcdtuiError, MemberNotFound, ReadOnlyMode, UsageError
from etcdtui.i18n import _
from etcdtui.terminal_text import printable
from etcdtui.ui import actions, pane_widgets, panes
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.errors import report
from etcdtui.ui.screens.overview import OverviewPane
from etcdtui.ui.state import ClusterState
from etcdtui.ui.widgets.command_line import CommandLine, Sources
from etcdtui.ui.widgets.footer import KeyFooter
from etcdtui.ui.widgets.header import ClusterHeader
from etcdtui.ui.widgets.members import MembersTable

if TYPE_CHECKING:
    from etcdtui.ui.app_access import ConsoleApp


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = actions.bindings("main")
    _relabeling = False
    _resumed = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # The first resume is the start: every widget was styled as it mounted, and
        # Textual's restyle of the whole screen here would style each one again
        # (start-up time). Later resumes (a dialog closed) restyle as Textual does.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False
        super()._on_screen_resume(event)

    def compose(self) -> ComposeResult:
        yield ClusterHeader(id="header")
        # Only the first pane is built now; the others on first use (ensure_pane). Building
        # every pane at start doubled the time to the first populated frame.
        first = panes.PANES[0]
        with ContentSwitcher(initial=first.wid, id="panes"):
            yield pane_widgets.build(first.id)
        yield CommandLine(id="command-line")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(CommandLine).display = False
        self.query_one(MembersTable).focus()
        self.call_after_refresh(self._app.render_state)

    def on_screen_suspend(self) -> None:
        # A dialog or screen opens on top: the command line closes, it never stays
        # open (and focused) behind it.
        line = self.query_one(CommandLine)
        if line.display:
            line.display = False
            self.query_one(MembersTable).focus()

    async def relabel(self) -> None:
        """Rebuild every widget in the language chosen now (`:lang`), keeping the pane."""
        current = self.query_one(ContentSwitcher).current
        pane_id = next((p.id for p in panes.PANES if p.wid == current), None)
        self._relabeling = True
        try:
            await self.recompose()
        finally:
            self._relabeling = False
        self.on_mount()
        if pane_id and pane_id != panes.PANES[0].id:
            await self.action_show_pane(pane_id)

    @property
    def _app(self) -> ConsoleApp:
        return etcdtui_app(self)

    def refresh_view(self, state: ClusterState) -> None:
        if self._relabeling or not self.query(ClusterHeader) or not self.query(OverviewPane):
            return  # not composed yet, or being rebuilt by `:lang`
        self.query_one(ClusterHeader).show(state, self._app.settings)
        self.query_one(OverviewPane).show(state)
        switcher = self.query_one(ContentSwitcher)
        shown = switcher.visible_content
        if shown is not None and shown.id != "overview":
            if isinstance(shown, panes.PaneHooks):  # a pane that follows the clock
                shown.refresh_view(state)

    # --- navigation ------------------------------------------------------------------------

    async def ensure_pane(self, pane_id: str) -> Widget | None:
        """The pane's widget, built and mounted on first use."""
        spec = panes.pane(pane_id)
        if spec is None:
            return None
        switcher = self.query_one(ContentSwitcher)
        found = switcher.query_children(f"#{spec.wid}")
        if found:
            return found.first()
        widget = pane_widgets.build(spec.id)
        await switcher.mount(widget)
        return widget

    async def action_show_pane(self, pane_id: str) -> None:
        spec = panes.pane(pane_id)
        widget = None if spec is None else await self.ensure_pane(pane_id)
        if spec is None or widget is None:
            return
        self.query_one(ContentSwitcher).current = spec.wid
        if spec.focus:
            self.query_one(spec.focus).focus()
        self.query_one(ContentSwitcher).visible_content.refresh()  # type: ignore[union-attr]
        # A pane loads what it shows here, never on Textual's Show event: Show is lost when
        # the compositor's map is rebuilt lazily between the mount and the next layout (a
        # catalogue that never loaded in CI). See tests/console_fake/test_pane_shown.py.
        if isinstance(widget, panes.PaneHooks):
            widget.pane_shown()

    async def action_filter(self) -> None:
        await self.action_show_pane("members")
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_command_line(self) -> None:
        line = self.query_one(CommandLine)
        line.set_sources(
            Sources(
                members=self._member_names,
                contexts=self._app.context_names,
                themes=lambda: sorted(self.app.available_themes),
            )
        )
        line.value = ""
        line.display = True
        line.focus()

    def _member_names(self) -> list[str]:
        members = self._app.state.members
        return [m.name or m.hex_id for m in members.members] if members else []

    def action_back(self) -> None:
        line = self.query_one(CommandLine)
        box = self.query_one("#filter", Input)
        if line.display:
            line.display = False
        elif box.display:
            box.value = ""
            box.display = False
            self._apply_filter("")
        elif self.query_one(ContentSwitcher).current != "overview":
            self.run_worker(self.action_show_pane("members"))
            return
        self.query_one(MembersTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self._apply_filter(event.value)

    def _apply_filter(self, text: str) -> None:
        self.query_one(MembersTable).filter_text = text
        self._app.render_state()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one(MembersTable).focus()
        elif event.input.id == "command-line":
            event.input.display = False
            self.query_one(MembersTable).focus()
            self.run_command(event.value)

    def on_data_table_row_selected(self, event: MembersTable.RowSelected) -> None:
        if event.data_table.id == "members-table":
            self.action_member_detail()

    # --- the `:` command line ----------------------------------------------------------------

    def run_command(self, text: str) -> None:
        words = text.strip().removeprefix(":").split()
        if not words:
            return
        head, rest = words[0].lower(), words[1:]
        if head == "context" and rest:
            self._app.switch_context(rest[0])
        elif head == "lang":
            self.run_worker(self._app.switch_language(rest[0] if rest else ""))
        elif head == "theme" and rest:
            if rest[0] in self.app.available_themes:
                self.app.theme = rest[0]
            else:
                report(
                    self.app,
                    UsageError(
                        _("no theme named {n!r}").format(n=rest[0]),
                        fix=_("Themes: {t}").format(t=", ".join(sorted(self.app.available_themes))),
                    ),
                )
        elif (spec := actions.by_command(head)) is not None:
            if spec.member_kind is not None and rest:
                self.action_member_action(spec.member_kind, rest[0])
            else:
                self._app.run_spec(spec, rest)
        else:
            report(
                self.app,
                UsageError(
                    _("unknown command :{c}").format(c=head),
                    fix=_("Commands: {list}").format(list=" ".join(actions.commands())),
                ),
            )

    # --- members ---------------------------------------------------------------------------

    def selected_member(self, ref: str | None = None) -> Member | None:
        state: ClusterState = self._app.state
        if state.members is None:
            return None
        if ref:
            return state.find_member(ref)  # also the name an unstarted member was added with
        key = self.query_one(MembersTable).selected_key()
        return state.members.find(key) if key else None

    def action_member_detail(self) -> None:
        m = self.selected_member()
        if m is not None:
            from etcdtui.ui.screens.detail import MemberDetailScreen

            self.app.push_screen(MemberDetailScreen(self._app.state, m.id, self._app.settings))

    def action_refresh_now(self) -> None:
        self._app.refresh_now()

    def _refuse_when_read_only(self, kind: str) -> bool:
        """Report and say True when this session may not change the cluster."""
        settings = self._app.settings
        if settings is not None and settings.read_only:
            report(
                self.app,
                ReadOnlyMode(
                    _("{what} changes the cluster, and this session is read-only ({why}).").format(
                        what=kind, why=self._app.read_only_reason()
                    )
                ),
            )
            return True
        return False

    def action_maintenance(self, kind: str) -> None:
        """NOSPACE recovery, defrag, compact, disarm: the use cases of `etcdtui maintenance`."""
        if self._refuse_when_read_only(kind):
            return
        from etcdtui.ui.screens.maintenance_modal import MaintenanceModal

        self.app.push_screen(MaintenanceModal(kind), self._app.action_finished)

    def action_check(self, kind: str, arg: str = "") -> None:
        """`:perf [LOAD]` and `:evidence DIR...`: the use cases of `etcdtui check perf` and
        `etcdtui evidence`."""
        from etcdtui.ui.screens import checks_modal

        if kind == "perf":
            from etcdtui.ops.checks import perf_refusal
            from etcdtui.ops.perf import LOADS

            load = arg.strip() or "s"
            if load not in LOADS:
                report(
                    self.app,
                    UsageError(
                        _("unknown load {load}").format(load=printable(load)),
                        fix=_("Type :perf s, :perf m, :perf l or :perf xl."),
                    ),
                )
                return
            settings = self._app.settings
            refusal = perf_refusal(settings, accepted=True)
            if refusal is not None:
                err = (
                    ReadOnlyMode(refusal)
                    if settings is not None
                    else EtcdtuiError(refusal, title=_("Not available"))
                )
                report(self.app, err)
                return
            self.app.push_screen(checks_modal.PerfModal(load), self._app.action_finished)
            return
        try:
            dirs = checks_modal.split_dirs(arg)
        except UsageError as exc:
            report(self.app, exc)
            return
        if not dirs:
            report(
                self.app,
                UsageError(
                    _("name the stopped members' data dirs"),
                    fix=_("Type :evidence DIR [DIR...], e.g. :evidence /var/lib/etcd"),
                ),
            )
            return
        self.app.push_screen(checks_modal.EvidenceModal(dirs), self._app.action_finished)

    def action_member_action(self, kind: str, ref: str | None = None) -> None:
        if self._refuse_when_read_only(kind):
            return
        if self._app.state.members is None:
            report(self.app, MemberNotFound(_("the member list has not loaded yet")))
            return
        target = None
        if kind != "add-learner":
            target = self.selected_member(ref)
            if target is None:
                report(
                    self.app,
                    MemberNotFound(
                        _("no member {ref!r}").format(ref=ref or ""),
                        fix=_("Select a row in the members table, or name it: :remove m2"),
                    ),
                )
                return
        from etcdtui.ui.screens.modals import MemberActionModal

        self.app.push_screen(MemberActionModal(kind, target), self._app.action_finished)
