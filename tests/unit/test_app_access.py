"""The console reaches its application through the typed accessor
(``etcdtui.ui.app_access``), never by a string: ``getattr(self.app, "name")`` hides a
misspelled or removed member from mypy (issue 13, item 1)."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "etcdtui" / "ui"


def string_lookups_on_the_app(source: str) -> list[str]:
    """``line: getattr(<...>app, "name")`` for each such call in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr", "setattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
        ):
            continue
        target = node.args[0]
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "app":
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_string_lookup_on_the_app() -> None:
    bad = {
        str(p.relative_to(UI)): hits
        for p in sorted(UI.rglob("*.py"))
        if (hits := string_lookups_on_the_app(p.read_text()))
    }
    assert not bad, f"use etcdtui_app(...) from etcdtui/ui/app_access.py: {bad}"


def test_the_check_can_fail() -> None:
    assert string_lookups_on_the_app('x = getattr(self.app, "settings", None)\n')
    assert string_lookups_on_the_app('hasattr(app, "evidence_dirs")\n')
    assert not string_lookups_on_the_app('getattr(self.screen, "refresh_view", None)\n')
