"""The console application: wires settings, service, poller, state and screens."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.screen import Screen

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import _
from etcdtui.ops.health import DEFAULT_QUOTA_BYTES
from etcdtui.terminal_text import printable
from etcdtui.ui import actions, themes
from etcdtui.ui.commands import ActionsProvider
from etcdtui.ui.errors import report
from etcdtui.ui.messages import (
    ConsistencyChecked,
    EndpointPolled,
    EndpointPollStarted,
    MembersPolled,
    MetricsPolled,
)
from etcdtui.ui.panes import FollowsState
from etcdtui.ui.poller import Poller
from etcdtui.ui.screens.main import MainScreen
from etcdtui.ui.security.check_results import CertsChecked, CertsResult, CertWatch, header_text
from etcdtui.ui.service import ClusterLike, ServiceFactory, real_service
from etcdtui.ui.state import ClusterState
from etcdtui.ui.typeahead import KeyGate

if TYPE_CHECKING:
    from etcdtui.ops.audit import AuditLog
    from etcdtui.ui.app_access import ConsoleApp

USER_THEMES_DELAY = 1.0  # seconds after mount; see _setup_themes
GC_PAUSE_LIMIT = 5.0  # seconds; collection resumes by then even without a member list
GC_RESUME_AFTER_MEMBERS = 2.0  # seconds after the first member list: after the first full
# screen (each endpoint's first status and health), so the one start-up collection does
# not delay it
RESTORE_HINT_EVERY_S = 60.0  # while quorum is lost: how often the newest snapshot is looked up


class EtcdtuiApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "etcdtui"
    BINDINGS: ClassVar[list[BindingType]] = actions.bindings("app")
    COMMANDS = App.COMMANDS | {ActionsProvider}

    def __init__(
        self,
        settings: ConnectionSettings | None,
        *,
        service_factory: ServiceFactory = real_service,
        refresh_interval: float = 2.0,
        theme: str = themes.DEFAULT_THEME,
        keymap: dict[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        autopoll: bool = True,
        default_quota: int = DEFAULT_QUOTA_BYTES,
        start_sandbox: bool = False,
        nothing_configured: EtcdtuiError | None = None,
        config_path: str | None = None,
        cli_read_only: bool = False,
        audit_log: AuditLog | None = None,
        theme_dirs: list[Path] | None = None,
        consistency_every: float = 0.0,
    ) -> None:
        super().__init__()
        from etcdtui.ui import partial_updates

        partial_updates.install()  # changed cells cost their own bytes (slow SSH links)
        self.settings = settings
        self.service_factory = service_factory
        self.refresh_interval = refresh_interval
        self.wanted_theme = theme
        self.keymap_overrides = dict(keymap or {})
        self._signals: list[int] = []  # signal handlers installed by _exit_on_signals
        self.clock = clock
        self.autopoll = autopoll
        self.default_quota = default_quota
        self.start_sandbox = start_sandbox
        self.nothing_configured = nothing_configured
        self.config_path = config_path
        self.cli_read_only = cli_read_only
        self._audit_log = audit_log
        self.theme_dirs = theme_dirs
        self.consistency_every = consistency_every
        self.state = ClusterState(clock, refresh_interval)
        self.service: ClusterLike | None = None
        self.poller: Poller | None = None
        self._last_members_error: str | None = None
        self._render_pending = False
        self._hint_at: float | None = None
        self.cert_watch: CertWatch | None = None
        # the data dirs :evidence read this session: the replace and rebuild wizards use them
        self.evidence_dirs: tuple[str, ...] = ()
        self.cert_result: CertsResult | None = None
        self.key_gate = KeyGate(self)
        self._theme_before_first_parse()

    async def on_event(self, event: events.Event) -> None:
        # Keys (and pastes) go out one at a time, each after the previous one settled:
        # see etcdtui/ui/typeahead.py.
        typed = isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded
        if typed and self.key_gate.hold(event):
            return
        await super().on_event(event)
        if typed:
            self.key_gate.handled()

    @property
    def read_only(self) -> bool:
        return bool(self.settings and self.settings.read_only)

    def read_only_reason(self) -> str:
        return _("--read-only") if self.cli_read_only else _("read-only: true in the context")

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(themes.BUILTIN_THEMES[0].variables)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from etcdtui.ui.textual_i18n import translated

        return translated(super().get_system_commands(screen))

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        from etcdtui.ui.textual_i18n import PALETTE_PLACEHOLDER

        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(
                CommandPalette(id="--command-palette", placeholder=_(PALETTE_PLACEHOLDER))
            )

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen()

    @property
    def main(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    # --- start-up ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._exit_on_signals()
        self.set_timer(GC_PAUSE_LIMIT, self.resume_gc)  # however the first poll goes
        self._setup_themes()
        if self.keymap_overrides:
            self.set_keymap(self.keymap_overrides)
        self.set_interval(1.0, self.render_state)
        # Screens other than the main one load when first shown (start-up time).
        if self.start_sandbox:
            from etcdtui.ui.screens.start import SandboxStartScreen

            self.push_screen(SandboxStartScreen())
        elif self.settings is None:
            from etcdtui.ui.screens.start import NothingConfiguredScreen

            err = self.nothing_configured
            self.push_screen(
                NothingConfiguredScreen(
                    err.cause
                    if err
                    else _("No endpoints were given and no context is configured."),
                    err.console_fix if err else "",
                )
            )
        else:
            self.connect(self.settings)

    def _exit_on_signals(self) -> None:
        """SIGTERM and SIGHUP (a closed SSH session) end the console as `q` does: workers
        are cancelled, so a snapshot save removes its .part, and the terminal is restored.
        The exit code is 128 + the signal number."""
        import asyncio
        import signal

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(signum, self._signal_exit, int(signum))
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                continue
            self._signals.append(signum)

    def _signal_exit(self, signum: int) -> None:
        self.exit(return_code=128 + signum)

    def _setup_themes(self) -> None:
        # (the built-in themes are registered in __init__: _theme_before_first_parse)
        if self.wanted_theme in self.available_themes:
            # The theme files are only needed by `:theme` now: read them once the first
            # frame is up, not before it (YAML parsing is start-up time).
            self.theme = self.wanted_theme
            self.set_timer(USER_THEMES_DELAY, self._load_user_themes)
            return
        self._load_user_themes()
        if self.wanted_theme in self.available_themes:
            self.theme = self.wanted_theme
        else:
            self.notify(
                _("Theme {name!r} is unknown; using {default}.").format(
                    name=self.wanted_theme, default=themes.DEFAULT_THEME
                ),
                title=_("Theme"),
                severity="warning",
                markup=False,
            )
            self.theme = themes.DEFAULT_THEME

    @property
    def audit_log(self) -> AuditLog:
        """The audit log mutating actions append to; opened on first use (only an action
        needs it: its module is not loaded before the first frame)."""
        if self._audit_log is None:
            from etcdtui.ops.audit import AuditLog

            self._audit_log = AuditLog()
        return self._audit_log

    @audit_log.setter
    def audit_log(self, log: AuditLog) -> None:
        self._audit_log = log

    def _theme_before_first_parse(self) -> None:
        """A built-in theme is in place before the stylesheet is first parsed. Set in
        on_mount, as a user theme is, Textual parses every rule twice at start-up: once
        with the default theme's variables, then again with ours (start-up time).

        A light theme keeps the on_mount path: the ANSI colour filter Textual built in
        its constructor is the dark one."""
        for t in themes.BUILTIN_THEMES:
            self.register_theme(t)
        theme = self.get_theme(self.wanted_theme)
        if theme is None or theme.dark != self.current_theme.dark:
            return
        self.set_reactive(App.theme, theme.name)  # no watcher: it would queue a reparse
        classes = {name: False for name in self.classes if name.startswith("-theme-")}
        classes[f"-theme-{theme.name}"] = True
        classes["-dark-mode"] = theme.dark
        classes["-light-mode"] = not theme.dark
        self.update_classes(classes, update=False)
        self.stylesheet.set_variables(self.get_css_variables())

    def _load_user_themes(self) -> None:
        loaded = themes.load_user_themes(self.theme_dirs)
        for t in loaded.themes:
            self.register_theme(t)
        for warning in loaded.warnings:
            self.notify(warning, title=_("Theme"), severity="warning", markup=False)

    def connect(self, settings: ConnectionSettings) -> None:
        """(Re)connect to a cluster: new service, new state, polling restarted."""
        if self.cli_read_only and not settings.read_only:
            from dataclasses import replace

            settings = replace(settings, read_only=True)
        self.settings = settings
        self._check_tls_files(settings)
        self.state = ClusterState(self.clock, self.refresh_interval)
        self.service = self.service_factory(settings)
        self.poller = Poller(
            self, self.service, self.refresh_interval, consistency_every=self.consistency_every
        )
        if self.cert_watch is not None:
            self.cert_watch.stop()
        self.cert_watch = CertWatch(self, self.service, self.clock)
        self.cert_result = None
        if self.autopoll:
            self.poller.start()
            self.cert_watch.start()  # once now, then every few minutes; not per refresh
        self.render_state()

    def _check_tls_files(self, settings: ConnectionSettings) -> None:
        """The cheap TLS file checks (a stat per file), as the CLI runs them: a key others
        can read is a warning toast; an unusable file an error toast."""
        from etcdtui.config import precheck_tls_files

        try:
            warnings = precheck_tls_files(settings)
        except EtcdtuiError as exc:
            report(self, exc)
            return
        for warning in warnings:
            self.notify(printable(warning), title=_("TLS files"), severity="warning", markup=False)

    async def on_unmount(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        for signum in self._signals:
            loop.remove_signal_handler(signum)
        self._signals.clear()
        self.key_gate.stop()
        if self.poller is not None:
            self.poller.stop()
        if self.service is not None:
            await self.service.close()

    # --- poll results --------------------------------------------------------------------------

    def on_members_polled(self, message: MembersPolled) -> None:
        d = message.data
        if d.error != self._last_members_error and d.error:
            self.notify(d.error, title=_("Member list unavailable"), severity="error", markup=False)
        self._last_members_error = d.error
        self.state.apply_members(d.members, d.alarms, d.error)
        self.schedule_render()
        if not gc.isenabled():  # start-up: shortly after, once the endpoints' rows are in
            self.set_timer(GC_RESUME_AFTER_MEMBERS, self.resume_gc)

    @staticmethod
    def resume_gc() -> None:
        """End of start-up (see ui/launch.py): start-up garbage is collected once, what
        is left lives as long as the console and is frozen out of future collections,
        then collection resumes."""
        if not gc.isenabled():
            gc.collect()
            gc.freeze()
            gc.enable()

    def on_endpoint_poll_started(self, message: EndpointPollStarted) -> None:
        self.state.poll_started(message.data.url)

    def on_endpoint_polled(self, message: EndpointPolled) -> None:
        d = message.data
        self.state.apply_endpoint(d.url, d.status, d.health)
        self.schedule_render()

    def on_consistency_checked(self, message: ConsistencyChecked) -> None:
        if message.data.report is not None:
            self.state.consistency = message.data.report
            self.schedule_render()

    def on_metrics_polled(self, message: MetricsPolled) -> None:
        self.state.apply_metrics(message.data.url, message.data.metrics)
        self.schedule_render()

    def schedule_render(self) -> None:
        """Render once for a burst of poll results (every endpoint answers at about the
        same moment), not once per result."""
        if not self._render_pending:
            self._render_pending = True
            self.call_later(self._render_scheduled)

    def _render_scheduled(self) -> None:
        self._render_pending = False
        self.render_state()

    def render_state(self) -> None:
        if not self.is_running:
            # shutting down: the widgets are being removed while a poll result arrives
            # (found by the soak: NoMatches on the header at exit)
            return
        try:
            main = self.main
        except StopIteration:
            return
        main.refresh_view(self.state)
        self._maybe_restore_hint()
        if isinstance(self.screen, FollowsState):
            self.screen.refresh_view()

    def _maybe_restore_hint(self) -> None:
        """While quorum is lost, keep the newest verified snapshot at hand (at most one
        look-up a minute): the LOST advice names it and ctrl+r offers it."""
        s = self.state.summary()
        if s is None or s.has_quorum or not s.voters or not self.state.tracks:
            return
        now = time.monotonic()
        if self._hint_at is not None and now - self._hint_at < RESTORE_HINT_EVERY_S:
            return
        self._hint_at = now
        from etcdtui.ui.wizard_launch import look_up_restore_hint

        look_up_restore_hint(self)

    def refresh_now(self) -> None:
        if self.poller is not None:
            self.run_worker(self.poller.poll_once(), group="refresh", exit_on_error=False)

    # --- actions ---------------------------------------------------------------------------------

    def run_spec(self, spec: actions.ActionSpec, args: Sequence[str] = ()) -> None:
        self.run_worker(self._run_spec(spec, args), group="spec")

    async def _run_spec(self, spec: actions.ActionSpec, args: Sequence[str]) -> None:
        action = actions.with_args(spec.action, args) if args and spec.arg else spec.action
        namespace: Any = None if spec.scope == "app" else self.main
        if spec.scope.startswith("pane:"):  # a pane's own action: show the pane, run it there
            pane_id = spec.scope.removeprefix("pane:")
            await self.main.action_show_pane(pane_id)
            namespace = self.main.query_one(f"#{pane_id}")
        await self.run_action(action, namespace)

    def action_wizard(self, kind: str, arg: str = "") -> None:
        from etcdtui.ui.wizard_launch import open_wizard

        open_wizard(self, kind, arg)

    def action_wizards(self) -> None:
        from etcdtui.ui.wizard_launch import WizardListScreen

        self.push_screen(WizardListScreen())

    def on_wizard_ready(self, message: Any) -> None:
        from etcdtui.ui.wizard_launch import show_wizard

        show_wizard(self, message.data)

    def on_certs_checked(self, message: CertsChecked) -> None:
        """Remember the result, update the header and the certificates pane."""
        from etcdtui.ui.security.certs_pane import CertsPane  # loads cryptography: not at start
        from etcdtui.ui.widgets.header import ClusterHeader

        result = message.data
        self.cert_result = result
        try:
            main = self.main
        except StopIteration:
            return
        for header in main.query(ClusterHeader):
            header.show_certs(header_text(result))
        for pane in main.query(CertsPane):
            pane.show_result(result)

    def show_pane(self, pane_id: str) -> None:
        """Switch the main screen to ``pane_id`` once it is shown again."""
        main = self.main
        main.call_after_refresh(main.action_show_pane, pane_id)

    def open_restore_prompt(self, path: str | None = None) -> None:
        """The restore prompt, prefilled with ``path`` (the snapshots pane's ctrl+r)."""
        from etcdtui.ui.wizard_launch import open_restore_prompt

        open_restore_prompt(self, path)

    def action_help(self) -> None:
        from etcdtui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_quit(self) -> None:  # type: ignore[override]
        self.exit(0)

    def action_finished(self, outcome: str | None) -> None:
        if outcome:
            self.notify(outcome, title=_("Done"), markup=False, timeout=10)
            self.refresh_now()

    async def switch_language(self, lang: str) -> None:
        """`:lang id|en`: switch the messages' language and re-render at once. An unknown
        language gives English (no warning); `:lang` alone names the one in use."""
        from etcdtui.i18n import available_languages, current_language, set_language

        if lang:
            set_language(lang)
            for screen in self.screen_stack:
                if isinstance(screen, MainScreen):
                    await screen.relabel()
                else:
                    await screen.recompose()
            self.render_state()
        self.notify(
            _("Language: {language} (available: {languages})").format(
                language=current_language(), languages=", ".join(available_languages())
            ),
            markup=False,
        )

    def context_names(self) -> list[str]:
        from etcdtui.config import load_config

        try:
            return sorted(load_config(self.config_path).contexts)
        except EtcdtuiError:
            return []

    def switch_context(self, name: str) -> None:
        from etcdtui.config import resolve_settings

        try:
            settings = resolve_settings(
                {"context": name, "config": self.config_path, "read_only": self.cli_read_only}
            )
        except EtcdtuiError as exc:
            report(self, exc)
            return
        old_service, old_poller = self.service, self.poller
        if old_poller is not None:
            old_poller.stop()
        if old_service is not None:
            self.run_worker(old_service.close(), exit_on_error=False)
        self.connect(settings)
        self.notify(_("Switched to context {name}.").format(name=name), markup=False)


if TYPE_CHECKING:

    def _has_every_member_of_console_app(app: EtcdtuiApp) -> ConsoleApp:
        return app  # mypy: EtcdtuiApp has every member etcdtui.ui.app_access lists
