"""The typed way from a widget, screen or palette provider to the console application.

``etcdtui_app(self).settings`` instead of ``getattr(self.app, "settings")``: mypy checks
every attribute name against :class:`ConsoleApp`, and ``etcdtui/ui/app.py`` checks that
:class:`~etcdtui.ui.app.EtcdtuiApp` has every member listed here. The protocol names the
console's own members (Textual's are reached through ``self.app`` as usual), and
imports nothing that imports a screen or pane, so no import cycle runs through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

    from etcdtui.cluster_data import ConnectionSettings
    from etcdtui.ops.audit import AuditLog
    from etcdtui.ui.actions import ActionSpec
    from etcdtui.ui.poller import Poller
    from etcdtui.ui.security.check_results import CertsResult, CertWatch
    from etcdtui.ui.service import ClusterLike
    from etcdtui.ui.state import ClusterState


class ConsoleApp(Protocol):
    """What the console's widgets use of :class:`~etcdtui.ui.app.EtcdtuiApp` (its own
    members, and the two screen lists of Textual's ``App`` the wizards search)."""

    settings: ConnectionSettings | None
    service: ClusterLike | None
    poller: Poller | None
    state: ClusterState
    audit_log: AuditLog
    clock: Callable[[], float]
    keymap_overrides: dict[str, str]
    default_quota: int
    config_path: str | None
    cert_result: CertsResult | None
    cert_watch: CertWatch | None
    evidence_dirs: tuple[str, ...]

    @property
    def read_only(self) -> bool: ...

    @property
    def main(self) -> Screen[None]: ...

    @property
    def screen(self) -> Screen[object]: ...

    @property
    def screen_stack(self) -> list[Screen[Any]]: ...

    def read_only_reason(self) -> str: ...

    def connect(self, settings: ConnectionSettings) -> None: ...

    def render_state(self) -> None: ...

    def refresh_now(self) -> None: ...

    def run_spec(self, spec: ActionSpec, args: Sequence[str] = ()) -> None: ...

    def show_pane(self, pane_id: str) -> None: ...

    def open_restore_prompt(self, path: str | None = None) -> None: ...

    def action_finished(self, outcome: str | None) -> None: ...

    def action_wizard(self, kind: str, arg: str = "") -> None: ...

    async def switch_language(self, lang: str) -> None: ...

    def context_names(self) -> list[str]: ...

    def switch_context(self, name: str) -> None: ...


class _InApp(Protocol):
    @property
    def app(self) -> App[Any]: ...


def etcdtui_app(node: _InApp) -> ConsoleApp:
    """The console application ``node`` runs in."""
    return cast("ConsoleApp", node.app)
