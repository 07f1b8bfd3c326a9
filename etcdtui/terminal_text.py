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

import re
import unicodedata
from typing import Any, TextIO

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\e"}
# Cc (C0, DEL, C1), Cf (format: bidi overrides, zero-width), Zl, Zp.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_char(ch: str) -> str:
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(ch: str) -> bool:
    return bool(_UNSAFE.match(ch)) or unicodedata.category(ch) in ("Cf", "Zl", "Zp")


def printable(value: object, *, keep: str = "") -> str:
    """``value`` as text with every control and invisible format character escaped.

    ``keep`` lists characters to pass through (the output stream keeps ``\\n``)."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # the common case: nothing to do
        return text
    return "".join(_escape_char(ch) if ch not in keep and _unsafe(ch) else ch for ch in text)


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
