"""Decryption keys for age-encrypted snapshots: identity files and/or a passphrase.

The keys live in the pane's memory for the session only; the passphrase is typed into
a masked field, never written anywhere, never shown.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from etcdtui.errors import UsageError
from etcdtui.i18n import N_, _
from etcdtui.ops.snapshots import DecryptKeys, identities_from_files
from etcdtui.ui.errors import report
from etcdtui.ui.screens.fit import FittedModal


class DecryptKeysDialog(FittedModal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="snapshot-keys.cancel")
    ]
    DEFAULT_CSS = """
    DecryptKeysDialog { align: center middle; }
    DecryptKeysDialog Input { margin-bottom: 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="keys-box", classes="modal-box"):
            yield Label(_("Keys for encrypted snapshots"), classes="modal-title")
            with VerticalScroll(classes="modal-body"):
                yield Label(
                    _("Identity files (age identities or ssh private keys, comma separated)")
                )
                yield Input(
                    placeholder="~/.config/age/key.txt, ~/.ssh/id_ed25519", id="keys-identity"
                )
                yield Label(_("Passphrase (for passphrase-encrypted files)"))
                yield Input(password=True, id="keys-passphrase")
                yield Static(
                    _("Kept in memory for this session only; files are decrypted in memory."),
                    classes="hint",
                    markup=False,
                )
            with Horizontal(id="buttons"):
                yield Button(_("Use"), id="keys-use", variant="primary")
                yield Button(_("Cancel"), id="keys-cancel")

    def on_mount(self) -> None:
        self.query_one("#keys-identity", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#keys-use")
    def _use(self) -> None:
        import os

        paths = self.query_one("#keys-identity", Input).value.replace(",", " ").split()
        passphrase = self.query_one("#keys-passphrase", Input).value or None
        try:
            keys = DecryptKeys(identities_from_files([os.path.expanduser(p) for p in paths]))
            keys.passphrase = passphrase
            if not keys:
                raise UsageError(
                    _("no identity file and no passphrase given"),
                    fix=_("Name an identity file, type the passphrase, or press escape."),
                )
        except Exception as exc:
            report(self.app, exc)
            return
        self.dismiss(keys)

    @on(Button.Pressed, "#keys-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
