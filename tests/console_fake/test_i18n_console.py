"""The console in Bahasa Indonesia: `:lang` switches at run time, and at 120x40 and 80x24
no critical value is cut (quorum badge, leader, each member's health, the confirmation
field and its buttons). Fake service, frozen clock; the SVG snapshots are in
test_screens.py (test_screen_id)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Button, Input

from etcdtui import i18n
from etcdtui.ui.screens.modals import MemberActionModal
from tests.support.pilot_helpers import until
from tests.support.screen_apps import (
    lose_quorum,
    make_app,
    open_wizard,
    populate,
    screen_text,
    settled_screen_text,
)

SIZES = [(120, 40), (80, 24)]


@pytest.fixture
def indonesian() -> Iterator[None]:
    i18n.set_language("id")
    yield
    i18n.set_language("en")


def _visible(app: Any, widget: Any) -> bool:
    """The whole widget lies inside the screen (not cut at the right or the bottom)."""
    region = widget.region
    screen = app.screen.region
    return bool(region.area) and screen.contains_region(region)


async def test_lang_command_switches_the_console_at_run_time() -> None:
    app, _svc = make_app("one-down")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await populate(pilot)
            before = screen_text(app)
            assert "AT RISK" in before and "NAME" in before
            await pilot.press("colon", *"lang id", "enter")
            await pilot.pause()
            await pilot.pause()
            after = screen_text(app)
            assert i18n.current_language() == "id"
            for text in ("BERISIKO (toleransi 0)", "NAMA", "KESEHATAN", "✖ tidak terjangkau"):
                assert text in after, text
            assert "Baris perintah" in after  # the footer, from the action registry
            assert "AT RISK" not in after and "unreachable" not in after
            # the console still works in the new language: a pane switch, then back
            await pilot.press("3")
            await pilot.pause()
            assert "Log audit" in screen_text(app)
            await pilot.press("colon", *"lang en", "enter")
            await pilot.pause()
            await pilot.pause()
            assert "Audit log" in screen_text(app)
            assert i18n.current_language() == "en"
    finally:
        i18n.set_language("en")


async def test_unknown_language_in_the_console_is_english_without_an_error() -> None:
    app, _svc = make_app("healthy")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await populate(pilot)
            await pilot.press("colon", *"lang xx", "enter")
            await pilot.pause()
            await pilot.pause()
            assert i18n.current_language() == "en"
            assert "HEALTHY 3/3" in screen_text(app)
            assert not any(n.severity == "error" for n in app._notifications)
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    ("scenario", "badge", "leader", "health"),
    [
        ("healthy", "SEHAT 3/3", "★ leader: m1", ["✔ sehat"] * 3),
        (
            "one-down",
            "BERISIKO (toleransi 0)",
            "★ leader: m1",
            ["✔ sehat", "✔ sehat", "✖ tidak terjangkau"],
        ),
        (
            "lost",
            "KUORUM HILANG",
            "tidak ada leader",
            ["✖ tidak sehat", "✖ tidak terjangkau", "✖ tidak terjangkau"],
        ),
    ],
)
async def test_critical_values_are_never_cut(
    indonesian: None,
    size: tuple[int, int],
    scenario: str,
    badge: str,
    leader: str,
    health: list[str],
) -> None:
    app, _svc = make_app("healthy" if scenario == "lost" else scenario)
    async with app.run_test(size=size) as pilot:
        await (lose_quorum(pilot) if scenario == "lost" else populate(pilot))
        lines = (await settled_screen_text(pilot)).splitlines()
        header = lines[0]
        assert badge in header and leader in header, header
        rows = {line.split()[1]: line for line in lines if line.startswith("│ m")}
        assert [h in rows[name] for name, h in zip(("m1", "m2", "m3"), health, strict=True)] == [
            True
        ] * 3, rows


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_confirmation_field_and_buttons_stay_on_screen(
    indonesian: None, size: tuple[int, int]
) -> None:
    app, _svc = make_app("healthy")
    async with app.run_test(size=size) as pilot:
        await populate(pilot)
        await pilot.press("down", "ctrl+d")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, MemberActionModal)
        confirm = modal.query_one("#confirm", Input)
        assert _visible(app, confirm) and confirm.placeholder.startswith("ketik m2 atau ID-nya ")
        assert confirm.placeholder.endswith(" untuk konfirmasi")
        for button_id, label in (("run", "Jalankan"), ("cancel", "Batal")):
            button = modal.query_one(f"#{button_id}", Button)
            assert _visible(app, button) and str(button.label) == label
        text = screen_text(app)
        assert "Jalankan" in text and "Batal" in text
        # typing the name still arms the run button
        await pilot.press(*"m2")
        await pilot.pause()
        assert not modal.query_one("#run", Button).disabled


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_wizard_step_title_and_keys_show(indonesian: None, size: tuple[int, int]) -> None:
    app, _svc = make_app("healthy")
    async with app.run_test(size=size) as pilot:
        await open_wizard(pilot)
        text = screen_text(app)
        assert "5. Hapus m2 (91bc3c398fb3c146)" in text
        assert "(destruktif)" in text
        assert "Jalankan" in text.splitlines()[-1]  # the footer: x runs


async def test_command_palette_is_indonesian(indonesian: None) -> None:
    from textual.command import CommandInput, CommandPalette

    app, _svc = make_app("healthy")
    async with app.run_test(size=(120, 40)) as pilot:
        await populate(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        assert palette.query_one(CommandInput).placeholder == "Cari perintah…"
        await pilot.press(*"hapus")
        await until(pilot, lambda: "Hapus anggota" in screen_text(app), what="the match")
        text = screen_text(app)
        assert "Hapus anggota" in text  # registry action, found by its Indonesian label
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Keluar" in titles and "Quit" not in titles
