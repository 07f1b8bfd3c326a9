"""Screen snapshots on the fake service (fixed data, frozen clock, 120x40 and 80x24).

Regenerate after an intended change with:
    .venv/bin/pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.snapshot_apps import SIZE, SMALL, builders, small_builders

CASES = [
    "healthy",
    "one_down",
    "quorum_lost",
    "learner",
    "read_only",
    "remove_modal",
    "help",
    "light",
    "high_contrast",
]


@pytest.mark.parametrize("name", CASES)
def test_snapshot(name: str, snap_compare: Any) -> None:
    app, run_before = builders()[name]
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


SMALL_CASES = [
    "main_80x24",
    "move_leader_80x24",
    "remove_leader_80x24",
    "wizard_80x24",
    "help_80x24",
]


@pytest.mark.parametrize("name", SMALL_CASES)
def test_snapshot_80x24(name: str, snap_compare: Any) -> None:
    """The smallest supported terminal: everything an operator must see is on screen."""
    app, run_before = small_builders()[name]
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)
