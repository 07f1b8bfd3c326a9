"""Help: every binding from the action registry, with the user's keymap applied."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from etcdtui.i18n import N_, _, pgettext
from etcdtui.ui import actions
from etcdtui.ui.app_access import etcdtui_app
from etcdtui.ui.widgets.footer import KeyFooter


def help_table(keymap: dict[str, str], read_only: bool) -> Table:
    """Group headings sit in the ACTION column: the KEY column stays as narrow as the
    keys, and ACTION keeps room for its words at 80 columns."""
    table = Table(expand=True, box=None, show_edge=False, pad_edge=False)
    table.add_column(pgettext("keyboard", "KEY"), style="bold", no_wrap=True)
    table.add_column(_("ACTION"), ratio=1, min_width=20)
    table.add_column(_("COMMAND"), no_wrap=True)
    table.add_column(_("BINDING ID"), no_wrap=True)
    group = None
    for spec in sorted(actions.registry(), key=lambda s: s.group_label):
        if spec.group_label != group:
            group = spec.group_label
            table.add_row("", f"[u]{escape(group)}[/u]", "", "")
        desc = spec.label
        if spec.mutating and read_only:
            desc += " " + _("(disabled: read-only)")
        command = f":{spec.command}" + (f" {spec.arg}" if spec.arg else "") if spec.command else ""
        table.add_row(actions.key_for(spec, keymap), escape(desc), command, spec.id)
    table.add_row("", "", "", "")
    table.add_row("", "[u]" + escape(_("Command line")) + "[/u]", "", "")
    table.add_row("", escape(_("switch to another context")), ":context NAME", "")
    table.add_row("", escape(_("switch theme")), ":theme NAME", "")
    table.add_row("", escape(_("switch the language of the console")), ":lang id|en", "")
    table.add_row(
        "tab",
        escape(_("complete: again for the next match; member names, contexts, files")),
        "",
        "command.complete",
    )
    table.add_row("", "[u]" + escape(_("Dialogs and screens")) + "[/u]", "", "")
    table.add_row("escape", escape(_("cancel the dialog / back")), "", "modal.cancel")
    table.add_row("enter", escape(_("run (once the member name is typed)")), "", "")
    return table


class HelpScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", N_("Back"), id="help.back")
    ]

    def compose(self) -> ComposeResult:
        keymap = dict(etcdtui_app(self).keymap_overrides)
        read_only = etcdtui_app(self).read_only
        with VerticalScroll(id="help-body"):
            yield Label(_("etcdtui — keys"), classes="box-title")
            yield Static(help_table(keymap, read_only), id="help-table")
            yield Static(
                _(
                    "Remap keys in the config file under ui.keymap, using the BINDING ID: "
                    "e.g. ui: {keymap: {member.remove: 'ctrl+x'}}"
                ),
                classes="hint",
                markup=False,
            )
        yield KeyFooter()
