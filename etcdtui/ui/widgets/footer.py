"""The key footer, rebuilt at most once per refresh.

Textual's footer rebuilds all of its keys each time the bindings change, and at start-up
they change several times in a row (screen pushed, focus set, panes mounted): that was
about a fifth of the console's time to its first full frame. This footer coalesces those
into one rebuild after the next refresh.

Each rebuild also drops the watchers the old keys left on the footer (Textual keeps a
``data_bind`` watcher until the watched value changes, which ``compact`` never does; see
etcdtui/ui/watchers.py): without it every key ever built stayed in memory.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from etcdtui.i18n import _
from etcdtui.ui.watchers import prune_closed_watchers


class KeyFooter(Footer):
    """Also translates: binding descriptions hold the English source (``N_``), so the keys
    show in the language chosen now, even after `:lang` switched it at run time."""

    _rebuild_pending = False

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = _(widget.description)
                if isinstance(widget.tooltip, str):
                    widget.tooltip = _(widget.tooltip)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()
        prune_closed_watchers(self)  # the old keys are closed now
