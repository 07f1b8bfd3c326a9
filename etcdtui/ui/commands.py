"""Command palette provider: every registry action, searchable by description."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from etcdtui.i18n import _
from etcdtui.ui import actions
from etcdtui.ui.app_access import etcdtui_app


class ActionsProvider(Provider):
    def _help(self, spec: actions.ActionSpec) -> str:
        keymap = etcdtui_app(self).keymap_overrides
        text = _("key {key}").format(key=actions.key_for(spec, keymap))
        if spec.command:
            text += f"  :{spec.command}" + (f" {spec.arg}" if spec.arg else "")
        if spec.mutating:
            text += "  " + _("(changes the cluster)")
        return text

    def _run(self, spec: actions.ActionSpec) -> None:
        app = etcdtui_app(self)
        app.run_spec(spec)

    async def discover(self) -> Hits:
        for spec in actions.registry():
            if spec.id != "app.palette":
                yield DiscoveryHit(spec.label, partial(self._run, spec), help=self._help(spec))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for spec in actions.registry():
            if spec.id == "app.palette":
                continue
            score = matcher.match(spec.label)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(spec.label),
                    partial(self._run, spec),
                    help=self._help(spec),
                )
