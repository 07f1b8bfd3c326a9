"""Apps on the fake service with a frozen clock, shared by snapshot tests and the
screenshot script. Each builder returns (app, run_before)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from etcdtui.ui.app import EtcdtuiApp
from tests.support.fakes import FakeCluster, Scenario, fake_settings, scenario

FROZEN_NOW = 1_800_000_000.0
SIZE = (120, 40)
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


def fake_app(
    name: str = "healthy",
    *,
    cluster: Callable[[Any, Scenario], FakeCluster] = FakeCluster,
    settings: Any = None,
    **app_kw: Any,
) -> EtcdtuiApp:
    """The console on a ``cluster`` (FakeCluster or a subclass) playing scenario ``name``; the
    keyword arguments go to EtcdtuiApp (no theme directories unless given)."""
    sc = scenario(name)
    app_kw.setdefault("theme_dirs", [])
    return EtcdtuiApp(
        settings or fake_settings(), service_factory=lambda s: cluster(s, sc), **app_kw
    )


def make_app(
    name: str = "healthy", *, read_only: bool = False, theme: str = "etcdtui-dark"
) -> tuple[EtcdtuiApp, FakeCluster]:
    holder: dict[str, FakeCluster] = {}

    def kept(settings: Any, sc: Scenario) -> FakeCluster:
        holder["svc"] = FakeCluster(settings, sc)
        return holder["svc"]

    app = fake_app(
        name,
        cluster=kept,
        settings=fake_settings(read_only=read_only),
        autopoll=False,
        clock=lambda: FROZEN_NOW,
        theme=theme,
        cli_read_only=read_only,
    )
    return app, holder.get("svc")  # type: ignore[return-value]


async def fitted(pilot: Pilot[Any]) -> None:
    """Wait until the open dialog has fitted itself to the terminal (its body capped at
    the room the rest leaves; see etcdtui/ui/screens/fit.py), then one more frame."""
    from etcdtui.ui.screens.fit import MIN_BODY

    for _ in range(100):
        await pilot.pause(0.02)
        bodies = list(pilot.app.screen.query(".modal-body"))
        caps = [b.styles.max_height for b in bodies]
        if all(c is not None and c.value > MIN_BODY for c in caps):
            break
    from textual.widgets import Input

    for box in pilot.app.screen.query(Input):  # a blinking cursor makes two pictures
        box.cursor_blink = False
    await pilot.pause(0.05)


async def populate(pilot: Pilot[Any], polls: int = 12) -> None:
    app: Any = pilot.app
    for _ in range(polls):
        await app.poller.poll_once()
    await pilot.pause()
    app.render_state()
    await pilot.pause()


async def scrape(pilot: Pilot[Any], scrapes: int = 10) -> None:
    """Every member's /metrics, ``scrapes`` times (the fake's numbers vary per scrape)."""
    app: Any = pilot.app
    for _ in range(scrapes):
        for url in app.service.all_endpoints():
            await app.poller.poll_metrics(url)
        await pilot.pause()
    app.render_state()
    await pilot.pause()


def steady_cursor(app: Any) -> None:
    """Inputs without a blinking cursor: a blink caught half-way made snapshots flaky."""
    from textual.widgets import Input

    for box in app.screen.query(Input):
        box.cursor_blink = False


def screen_text(app: Any) -> str:
    """The current screen as plain text, as the terminal shows it (for layout checks)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return str(console.export_text(styles=False))


async def settled_screen_text(pilot: Pilot[Any], rounds: int = 20) -> str:
    """The screen as text once two renders in a row agree: a cell change that widens a
    column is laid out on the next refresh, and a read in between sees the old width."""
    text = screen_text(pilot.app)
    for _ in range(rounds):
        await pilot.pause()
        again = screen_text(pilot.app)
        if again == text:
            return again
        text = again
    return text


async def open_wizard(pilot: Pilot[Any], step: int = 5) -> None:
    """The replacement wizard (read-only, fixed facts) on its destructive remove step."""
    from etcdtui.ui.wizard import WizardScreen
    from tests.support.plans import replace_plan

    await populate(pilot)
    pilot.app.push_screen(WizardScreen(replace_plan(), None, read_only=True))
    await pilot.pause()
    await pilot.press(*["down"] * (step - 1))
    await pilot.pause()


async def lose_quorum(pilot: Pilot[Any]) -> None:
    await populate(pilot)
    sc = pilot.app.service.sc  # type: ignore[attr-defined]
    sc.down, sc.leader = {2, 3}, 0
    await populate(pilot, polls=3)


def keys_then_pause(*keys: str) -> RunBefore:
    """Populate, press ``keys``, let one frame pass."""

    async def run(pilot: Pilot[Any]) -> None:
        await populate(pilot)
        await pilot.press(*keys)
        await pilot.pause()

    return run


def keys_then_fit(*keys: str) -> RunBefore:
    """Populate, press ``keys`` that open a dialog, wait until it has fitted itself."""

    async def run(pilot: Pilot[Any]) -> None:
        await populate(pilot)
        await pilot.press(*keys)
        await fitted(pilot)

    return run


async def health_pane(pilot: Pilot[Any]) -> None:
    """Pane 2 after every member's /metrics was scraped."""
    await populate(pilot)
    await scrape(pilot)
    await pilot.press("2")
    await populate(pilot, polls=1)


def builders() -> dict[str, tuple[EtcdtuiApp, RunBefore]]:
    """Name -> app and what to do before the snapshot."""
    remove_modal = keys_then_fit("down", "ctrl+d")
    help_screen = keys_then_pause("question_mark")
    read_only = keys_then_pause("ctrl+d")
    return {
        "healthy": (make_app("healthy")[0], populate),
        "one_down": (make_app("one-down")[0], populate),
        "quorum_lost": (make_app("healthy")[0], lose_quorum),
        "learner": (make_app("learner")[0], populate),
        "read_only": (make_app("healthy", read_only=True)[0], read_only),
        "remove_modal": (make_app("healthy")[0], remove_modal),
        "help": (make_app("healthy")[0], help_screen),
        "health_pane": (make_app("degraded")[0], health_pane),
        "wizard_step": (make_app("healthy")[0], open_wizard),
        "light": (make_app("one-down", theme="etcdtui-light")[0], populate),
        "high_contrast": (make_app("one-down", theme="etcdtui-high-contrast")[0], populate),
    }


SMALL = (80, 24)


def small_builders() -> dict[str, tuple[EtcdtuiApp, RunBefore]]:
    """The 80x24 cases: main screen, a member-action dialog, a wizard step and help."""

    move_leader_modal = keys_then_fit("down", "l")
    help_screen = keys_then_pause("question_mark")
    remove_leader_modal = keys_then_fit("ctrl+d")

    async def wizard_step(pilot: Pilot[Any]) -> None:
        from etcdtui.ui.wizard import WizardScreen
        from tests.support.plans import replace_plan

        await populate(pilot)
        await pilot.app.push_screen(WizardScreen(replace_plan(), None, read_only=True))
        await pilot.press(*["down"] * 6)
        await pilot.pause()

    return {
        "health_80x24": (make_app("degraded")[0], health_pane),
        "main_80x24": (make_app("one-down")[0], populate),
        "move_leader_80x24": (make_app("healthy")[0], move_leader_modal),
        "remove_leader_80x24": (make_app("healthy")[0], remove_leader_modal),
        "wizard_80x24": (make_app("healthy")[0], wizard_step),
        "help_80x24": (make_app("healthy")[0], help_screen),
    }
