"""CLI tables never print control characters from the cluster raw."""

from __future__ import annotations

from etcdtui.cli.output import format_table, safe_text


def test_control_characters_in_cells_are_escaped() -> None:
    out = format_table(["name"], [("m1\x1b[2J\r\nevil",), ("ünïcode",)])
    assert "\x1b" not in out and "\r" not in out
    assert "\\e[2J\\r\\nevil" in out  # the one escaping rule: terminal_text.printable
    assert "ünïcode" in out  # printable text is left alone
    assert safe_text("plain") == "plain"
