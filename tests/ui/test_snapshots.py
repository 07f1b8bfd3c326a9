"""Screen snapshots on the fake service (fixed data, frozen clock, 120x40).

Regenerate after an intended change with:
    .venv/bin/pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.snapshot_apps import SIZE, builders

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
