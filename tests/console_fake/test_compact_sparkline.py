"""The latency sparklines are written with one colour escape per run of equal cells,
not one per cell: over a slow SSH link every refresh rewrites them."""

from __future__ import annotations

import io

from rich.console import Console
from textual.renderables.sparkline import Sparkline as SparklineRenderable

from etcdtui.ui.widgets.health import MergedSegments


def styled_runs(renderable: object) -> int:
    console = Console(width=22, color_system="256", force_terminal=True, file=io.StringIO())
    return sum(1 for s in console.render(renderable, console.options) if s.text.strip())


def test_equal_cells_share_one_segment() -> None:
    data = [1.0] * 11 + [9.0] * 11
    plain = SparklineRenderable(data, width=22)
    assert styled_runs(plain) == 22  # Textual's own: a segment (and escape) per cell
    assert styled_runs(MergedSegments(SparklineRenderable(data, width=22))) == 2
