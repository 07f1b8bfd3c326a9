"""One direction of imports: ui -> services -> cluster_data. The service layer never
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
        PKG / "cluster_data.py",
        PKG / "errors.py",
        *(PKG / "config").rglob("*.py"),
    ]
    offenders = {
        str(p.relative_to(PKG)): sorted(n for n in _imports(p) if n.startswith(FORBIDDEN))
        for p in layer
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, offenders


def test_models_import_nothing_of_ours_but_errors_i18n_and_the_health_rule() -> None:
    ours = {n for n in _imports(PKG / "cluster_data.py") if n.startswith("etcdtui")}
    assert ours <= {"etcdtui.errors", "etcdtui.i18n", "etcdtui.domain.health", "etcdtui.records"}


def test_records_import_nothing_of_ours() -> None:
    """etcdtui/records.py (the models' @record) sits in the kernel, under everything."""
    assert not {n for n in _imports(PKG / "records.py") if n.startswith("etcdtui")}


def test_health_rule_imports_nothing_of_ours() -> None:
    """cluster_data.py imports domain/health.py, so the rule must not import cluster_data back."""
    assert not {n for n in _imports(PKG / "domain" / "health.py") if n.startswith("etcdtui")}


# The domain layer is pure: no network, files, processes, clocks or threads, and nothing
# of ours above it. Standard-library modules that do I/O are named here one by one.
DOMAIN_FORBIDDEN = (
    "grpc",
    "textual",
    "asyncio",
    "socket",
    "ssl",
    "subprocess",
    "os",
    "shutil",
    "tempfile",
    "pathlib",
    "time",
    "threading",
    "etcdtui.services",
    "etcdtui.ops",
    "etcdtui.config",
    "etcdtui.cli",
    "etcdtui.ui",
    "etcdtui.safeio",
)


def test_domain_is_pure() -> None:
    offenders = {}
    for p in (PKG / "domain").rglob("*.py"):
        bad = sorted(
            n for n in _imports(p) if any(n == f or n.startswith(f + ".") for f in DOMAIN_FORBIDDEN)
        )
        if bad:
            offenders[str(p.relative_to(PKG))] = bad
    assert not offenders, offenders


def test_no_module_level_getattr() -> None:
    """PEP 562 re-exports hid an import cycle once; names are imported from their home."""
    holders = []
    for p in PKG.rglob("*.py"):
        tree = ast.parse(p.read_text(), filename=str(p))
        for node in tree.body:
            if isinstance(node, ast.If):  # `if not TYPE_CHECKING: def __getattr__`
                body = [*node.body, *node.orelse]
            else:
                body = [node]
            if any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in body):
                holders.append(str(p.relative_to(PKG)))
    assert not holders, holders
