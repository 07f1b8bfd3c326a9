"""The snapshot browser pane in tests: open a directory with `:snapshots DIR`, select a
file, read what a Static shows; an app with nothing configured; deterministic snapshot
files with sidecars for the screen snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.widgets import Static

from etcdtui.ui.app import EtcdtuiApp
from etcdtui.ui.snapshots.pane import SnapshotsPane
from tests.support.k8s_builders import OPS, etcd_like
from tests.support.pilot_helpers import type_text, until


def pane_of(app: EtcdtuiApp) -> SnapshotsPane:
    return app.main.query_one(SnapshotsPane)


def plain_text(widget: Static) -> str:
    """What a Static shows, as plain text (tables rendered)."""
    from rich.console import Console

    console = Console(width=200, record=True, file=open("/dev/null", "w"))
    console.print(widget.content)
    return console.export_text()


def shows(detail: Static, name: str, word: str) -> bool:
    """The detail box shows ``name``'s verify result (not the previous file's)."""
    text = plain_text(detail)
    return f"/{name}" in text and word in text


async def open_catalog(pilot: Any, app: EtcdtuiApp, directory: Path) -> SnapshotsPane:
    """`:snapshots DIR` on the command line, then wait for every file to be verified."""
    await pilot.press("colon")
    await type_text(pilot, f"snapshots {directory}")
    await pilot.press("enter")
    pane = pane_of(app)
    await until(
        pilot,
        lambda: pane.checked and pane.directory == str(directory),
        what="catalog verified",
    )
    return pane


async def select(pilot: Any, pane: SnapshotsPane, name: str) -> None:
    assert pane.select_name(name), [e.path.name for e in pane.entries]
    await pilot.pause()


def offline_app() -> EtcdtuiApp:
    return EtcdtuiApp(None, autopoll=False, theme_dirs=[])


def fixed_files(root: Path) -> Path:
    """Deterministic snapshot files with sidecars (times fixed; the app clock is frozen)."""
    snaps = root / "snaps"
    snaps.mkdir()
    (snaps / "etcd-a.db").write_bytes(etcd_like(OPS[:8]))
    (snaps / "etcd-b.db").write_bytes(etcd_like(OPS))
    bad = bytearray(etcd_like(OPS))
    bad[len(bad) // 2] ^= 0xFF
    (snaps / "etcd-c.db").write_bytes(bytes(bad))
    for name, time, member in (
        ("etcd-a.db", "2027-01-14T08:00:00Z", "m1"),
        ("etcd-b.db", "2027-01-15T06:00:00Z", "m2"),
        ("etcd-c.db", "2027-01-15T07:30:00Z", "m1"),
    ):
        (snaps / f"{name}.json").write_text(
            json.dumps(
                {
                    "format": "etcdtui-snapshot/v1",
                    "cluster_id": "1c4a6b5d8e9f0a21",
                    "source": {"member_id": "8e9e05c52164694d", "name": member},
                    "etcd_version": "3.5.13",
                    "time": time,
                    "encrypted": False,
                }
            )
        )
    return snaps
