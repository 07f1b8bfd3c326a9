"""How sizes and ages are written: one rule for the CLI and the console.

Pure, no I/O. Sizes are IEC units (powers of 1024), as etcd's quota is set and as the
console shows it: "16.0 MiB of 2.0 GiB". Ages come in two forms: compact for table
cells ("2h", "3d") and in words for sentences ("2 h", "3 days", translated).
"""

from __future__ import annotations

from etcdtui.i18n import _

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_bytes(n: int | float) -> str:
    """1536 -> "1.5 KiB"; whole bytes below 1 KiB ("512 B"); TiB is the largest unit."""
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def short_bytes(n: int | float) -> str:
    """Compact size for table cells: "24.0M", "1.5G", "512B"."""
    return human_bytes(n).replace(" ", "").replace("iB", "")


def short_age(seconds: float) -> str:
    """Compact age for table cells: "5s", "1m", "2h", "2d" (whole units, rounded down)."""
    s = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"


def age_words(seconds: float) -> str:
    """Age for a sentence: "40 s", "5 min", "30 h" (under two days), "3 days"."""
    s = max(int(seconds), 0)
    if s < 60:
        return _("{n} s").format(n=s)
    if s < 3600:
        return _("{n} min").format(n=s // 60)
    if s < 2 * 86400:
        return _("{n} h").format(n=s // 3600)
    return _("{n} days").format(n=s // 86400)
