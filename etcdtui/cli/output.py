"""Shared output helpers for CLI commands: JSON and plain tables."""

from __future__ import annotations

import sys

from etcdtui.terminal_text import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any, TextIO


def print_json(data: Any, stream: TextIO | None = None) -> None:
    import json  # here: a table (the default output) needs none of it

    out = stream or sys.stdout
    # json.dump's text, written in pieces of 64 KiB or more: json.dump hands the stream
    # every token on its own, each escaped again by the CLI's EscapingStream (and, with
    # PYTHONUNBUFFERED, each a system call); one string of it all would double the
    # memory of a large document
    pieces: list[str] = []
    size = 0
    for piece in json.JSONEncoder(indent=2, sort_keys=False, default=str).iterencode(data):
        pieces.append(piece)
        size += len(piece)
        if size >= _JSON_WRITE_SIZE:
            out.write("".join(pieces))
            pieces.clear()
            size = 0
    pieces.append("\n")
    out.write("".join(pieces))


_JSON_WRITE_SIZE = 1 << 16


def safe_text(text: str) -> str:
    """Control characters (from the cluster or a file) escaped, never sent raw."""
    return printable(text)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Left-aligned columns separated by two spaces; no colour, safe for pipes."""
    # every cell may hold a name, URL or error from the cluster: escape it, so a newline
    # cannot forge a row and an escape sequence cannot reach the terminal
    headers = [printable(h) for h in headers]
    text_rows = [[("" if c is None else printable(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.upper().ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    for row in text_rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    print(format_table(headers, rows))
