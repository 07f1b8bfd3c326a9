"""Text from the cluster or from files, made safe for a terminal.

Member names, URLs, keys, error texts from etcd, certificate subjects and file names are
chosen by whoever runs the cluster or writes the file. Sent raw to a terminal, an
``ESC ] 0 ; … BEL`` sets the operator's window title, other escapes move the cursor or
rewrite the screen, and a newline forges a table row. :func:`printable` is the one
function that every such string goes through before it reaches a terminal, in the CLI
and in the console alike:

* C0 controls, DEL and C1 controls are shown as ``\\n``, ``\\t``, ``\\r``, ``\\e`` or
  ``\\xNN``;
* invisible format characters (bidirectional overrides such as U+202E, zero-width
  characters) and line or paragraph separators are shown as ``\\uNNNN``.

Ordinary text, including non-ASCII letters, is left alone. JSON output does not use
this: ``json.dump`` already writes every control character as a ``\\u`` escape, so the
JSON stays exact.

:class:`EscapingStream` wraps ``sys.stdout`` and ``sys.stderr`` of a CLI command as a
safety net: whatever text a command prints, no raw escape sequence reaches the terminal
(newlines, tabs and carriage returns pass, as the CLI's own layout needs them).
"""

from __future__ import annotations

import functools
import re

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, TextIO

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\e"}
# Cc (C0, DEL, C1), and every Cf (format: soft hyphen, bidi marks and overrides,
# zero-width characters, tags), Zl and Zp code point of Unicode 14/15, as ranges.
# tests/integration/test_terminal_escapes.py checks this against unicodedata.
_RANGES = (
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)


def _compile(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")


def _escape_char(ch: str) -> str:
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


@functools.lru_cache(maxsize=16)
def _pattern(keep: str, ascii_only: bool = False) -> re.Pattern[str]:
    """The unsafe class without the ``keep`` characters (split out of their ranges);
    for ASCII text only C0 and DEL can occur, and the short class is much faster."""
    ranges = [r for r in _RANGES if r[0] < 0x80] if ascii_only else list(_RANGES)
    for code in sorted({ord(ch) for ch in keep}):
        split: list[tuple[int, int]] = []
        for a, b in ranges:
            if a <= code <= b:
                split += [r for r in ((a, code - 1), (code + 1, b)) if r[0] <= r[1]]
            else:
                split.append((a, b))
        ranges = split
    return _compile(tuple(ranges))


def _replace(m: re.Match[str]) -> str:
    return _escape_char(m.group())


def printable(value: object, *, keep: str = "") -> str:
    """``value`` as text with every control and invisible format character escaped.

    ``keep`` lists characters to pass through (the output stream keeps ``\\n``)."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # the common case: nothing to do
        return text
    return _pattern(keep, text.isascii()).sub(_replace, text)


class EscapingStream:
    """A text stream that escapes what :func:`printable` escapes, except layout."""

    KEEP = "\n\t\r"

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(printable(text, keep=self.KEEP))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, buffer ...
        return getattr(self._inner, name)


__all__ = ["EscapingStream", "printable"]
