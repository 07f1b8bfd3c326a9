"""Partial screen updates cropped on both sides.

When part of a widget changes, Textual works out the changed span of each screen line
(``ChopsUpdate.spans``) but writes each line from the left edge of the widget's chop to
the end of the span: one changed cell at the right of a table rewrites the whole row to
its left (Textual marks it "TODO: crop to x extents"). Over a slow SSH link that is most
of what an idle console writes. :func:`install` replaces ``render_segments`` with the
same loop cropped at the span's left edge too, so a changed cell costs its own cells.

The replacement is only installed when Textual's class still has the shape it was
written against (the attributes it reads); otherwise Textual's own stays.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

_INSTALLED = False


def render_segments(self: Any, console: Console) -> str:
    """``ChopsUpdate.render_segments``, each chop cropped to [x1, x2) of its span."""
    from rich.control import Control

    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    chops = self.chops
    chop_ends = self.chop_ends
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        line = chops[y]
        ends = chop_ends[y]
        for end, (x, strip) in zip(ends, line.items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            if x2 > x >= x1 and end <= x2:
                append(move_to(x, y).segment.text)
                append(strip.render(console))
                continue
            left = max(x, x1)
            strip = strip.crop(left - x, min(end, x2) - x)
            append(move_to(left, y).segment.text)
            append(strip.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def install() -> bool:
    """Use :func:`render_segments` for Textual's partial updates (once; idempotent).
    Returns whether it is in use."""
    global _INSTALLED
    if _INSTALLED:
        return True
    try:
        from textual._compositor import ChopsUpdate
    except ImportError:
        return False
    init = getattr(ChopsUpdate, "__init__", None)
    names = getattr(getattr(init, "__code__", None), "co_varnames", ())
    if not {"chops", "spans", "chop_ends"} <= set(names) or not hasattr(
        ChopsUpdate, "render_segments"
    ):
        return False
    ChopsUpdate.render_segments = render_segments  # type: ignore[method-assign]
    _INSTALLED = True
    return True
