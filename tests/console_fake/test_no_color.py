"""NO_COLOR: Textual renders in monochrome, and every state still reads from text and
symbols (✔ ✖ ★, the badge words), never from colour alone."""

from __future__ import annotations

import re

import pytest

from tests.support.screen_apps import make_app, populate


@pytest.mark.parametrize("scenario", ["healthy", "one-down"])
async def test_no_color_keeps_states_readable(
    scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app, _ = make_app(scenario)
    assert app.no_color
    async with app.run_test(size=(120, 40)) as pilot:
        await populate(pilot)
        svg = app.export_screenshot()
        screen = svg.replace("&#160;", " ")
        assert "★" in screen  # the leader marker
        if scenario == "healthy":
            assert "HEALTHY 3/3" in screen and "✔" in screen
        else:
            assert "AT RISK" in screen and "✖" in screen
        # monochrome: every colour in the picture is a grey (r == g == b)
        colours = set(re.findall(r"#([0-9a-f]{6})\b", svg.lower()))
        assert colours, "no colours found in the screenshot"
        frame = {"ff5f57", "febc2e", "28c840", "c5c8c6"}  # the SVG window chrome, not the app
        tinted = {c for c in colours - frame if len({c[0:2], c[2:4], c[4:6]}) > 1}
        assert not tinted, tinted
