"""One direction of imports: ui -> services -> models. The service layer never
imports textual, the UI or the CLI (checked on the source, module by module)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "etcdtui"
FORBIDDEN = ("textual", "etcdtui.ui", "etcdtui.cli", "etcd3")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_service_layer_is_ui_free() -> None:
    layer = [
        *(PKG / "services").rglob("*.py"),
        PKG / "models.py",
        PKG / "errors.py",
        *(PKG / "config").rglob("*.py"),
    ]
    offenders = {
        str(p.relative_to(PKG)): sorted(n for n in _imports(p) if n.startswith(FORBIDDEN))
        for p in layer
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, offenders


def test_models_import_nothing_of_ours_but_errors_and_i18n() -> None:
    ours = {n for n in _imports(PKG / "models.py") if n.startswith("etcdtui")}
    assert ours <= {"etcdtui.errors", "etcdtui.i18n"}
