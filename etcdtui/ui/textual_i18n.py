"""Textual's own words that an operator reads (system commands in the command palette,
its search placeholder), marked for the catalogue and translated where they are shown."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import SystemCommand

from etcdtui.i18n import N_, _

PALETTE_PLACEHOLDER = N_("Search for commands…")

# Textual's msgids (textual.app.App.get_system_commands), kept verbatim: they are looked up
# by their English text.
SYSTEM_COMMANDS = (
    N_("Theme"),
    N_("Change the current theme"),
    N_("Quit"),
    N_("Quit the application as soon as possible"),
    N_("Keys"),
    N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"),
    N_("Minimize the widget and restore to normal size"),
    N_("Maximize"),
    N_("Maximize the focused widget"),
    N_("Screenshot"),
    N_("Save an SVG 'screenshot' of the current screen"),
)


def translated(commands: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """Textual's system commands with their title and help in the operator's language."""
    for cmd in commands:
        yield cmd._replace(title=_(cmd.title), help=_(cmd.help))
