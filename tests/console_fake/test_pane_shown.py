"""A pane loads what it shows when the main screen switches to it, not when Textual's
Show event reaches it.

Textual sends Show only when a layout pass finds the widget newly placed. If the
compositor's map is rebuilt lazily (any region look-up after an invalidation) between a
pane's mount and that pass, the pane is placed without a Show, and no Show ever comes.
That happened in CI: the snapshots pane, switched to while quorum was lost, never read
its catalogue (``directory`` stayed None for 90 s). These tests take the Show event away
(public ``disable_messages``) so the loss is deterministic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widget import Widget

from etcdtui.ops.audit import AuditLog
from etcdtui.ui import pane_widgets
from tests.support.pilot_helpers import until
from tests.support.screen_apps import SIZE, make_app


def without_show(monkeypatch: pytest.MonkeyPatch, pane_id: str) -> None:
    """The pane ``pane_id`` is built as usual but never receives Textual's Show event."""
    build = pane_widgets.FACTORIES[pane_id]

    def deaf() -> Widget:
        widget = build()
        widget.disable_messages(events.Show)
        return widget

    monkeypatch.setitem(pane_widgets.FACTORIES, pane_id, deaf)


async def test_the_snapshot_catalogue_loads_without_a_show_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ETCDTUI_STATE_DIR", str(tmp_path / "state"))
    snapdir = tmp_path / "state" / "snapshots"
    snapdir.mkdir(parents=True)
    (snapdir / "snapshot-20261201.db").write_bytes(b"\0" * 4096)
    (snapdir / "snapshot-20261201.db.json").write_text('{"revision": 7}')  # listed
    without_show(monkeypatch, "snapshots")
    app, _svc = make_app("quorum-lost")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        pane: Any = await until(pilot, lambda: app.main.query("#snapshots").first(), what="pane")
        await until(
            pilot,
            lambda: [e.path.name for e in pane.entries] == ["snapshot-20261201.db"],
            what="the catalogue",
            show=lambda: (pane.directory, pane.entries),
        )
        assert pane.directory == str(snapdir)


async def test_the_audit_pane_rereads_the_log_each_time_it_is_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_show(monkeypatch, "audit")
    app, _svc = make_app("healthy")
    app.audit_log = log = AuditLog(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        pane: Any = await until(pilot, lambda: app.main.query("#audit").first(), what="pane")
        assert pane.records == []
        await pilot.press("1")
        log.append(action="member-remove", params={"id": "abc"})
        await pilot.press("3")
        await until(
            pilot,
            lambda: [r["action"] for r in pane.records] == ["member-remove"],
            what="the new record",
            show=lambda: pane.records,
        )


async def test_the_certificates_pane_starts_a_check_when_none_was_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without_show(monkeypatch, "certs")
    app, _svc = make_app("healthy")  # no polling: the certificate watch has not run
    async with app.run_test(size=SIZE) as pilot:
        assert app.cert_result is None
        await pilot.press("5")
        await until(pilot, lambda: app.cert_result is not None, what="a certificate check")


def test_no_pane_waits_for_a_show_event() -> None:
    """The class of the bug: no pane module handles Show (the switch calls pane_shown)."""
    root = Path(__file__).resolve().parents[2] / "etcdtui" / "ui"
    handlers = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "def on_show(" in p.read_text(encoding="utf-8")
        or "def _on_show(" in p.read_text(encoding="utf-8")
    ]
    assert handlers == [], handlers


def test_every_hook_is_reached_through_its_type() -> None:
    """The main screen calls ``pane_shown``/``refresh_view`` only on a ``PaneHooks`` pane
    and the app calls ``refresh_view()`` only on a ``FollowsState`` screen. A widget
    that defines a hook but not the type would never be called: this finds one."""
    import importlib
    import inspect
    import pkgutil

    import etcdtui.ui
    from etcdtui.ui.panes import FollowsState, PaneHooks
    from etcdtui.ui.screens.main import MainScreen

    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(etcdtui.ui.__path__, "etcdtui.ui."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and (
                "pane_shown" in vars(cls) or "refresh_view" in vars(cls)
            ):
                found[f"{info.name}.{cls.__name__}"] = cls
    assert len(found) >= 5, found  # the scan sees the panes, the detail screen and main
    strays = [
        name
        for name, cls in found.items()
        if cls not in (PaneHooks, FollowsState, MainScreen)
        and not issubclass(cls, (PaneHooks, FollowsState))
    ]
    assert strays == [], strays
