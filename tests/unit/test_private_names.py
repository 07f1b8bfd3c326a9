"""No private name crosses a module boundary inside etcdtui: what another module needs is
public in its home (issue 13, item 1). ``_`` (gettext) is the one underscore name every
module imports; ``import x as _y`` aliases a public name and is fine."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "etcdtui"


def private_imports(source: str) -> list[str]:
    """``module.name`` for each private name ``source`` imports from an etcdtui module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("etcdtui"):
            found += [
                f"{node.module}.{a.name}"
                for a in node.names
                if a.name.startswith("_") and a.name != "_" and not a.name.startswith("__")
            ]
    return found


def test_no_private_name_is_imported_across_modules() -> None:
    bad = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = str(path.relative_to(PKG))
        names = set(private_imports(path.read_text()))
        if names:
            bad[rel] = sorted(names)
    assert not bad, f"make these public in their own module: {bad}"


def test_the_check_can_fail() -> None:
    assert private_imports("from etcdtui.config.files import _x, load_config\n") == [
        "etcdtui.config.files._x"
    ]
    assert private_imports("def f():\n    from etcdtui.ops.drills.runner import _g\n")
    assert not private_imports("from etcdtui.i18n import _\nfrom etcdtui.errors import e as _e\n")
