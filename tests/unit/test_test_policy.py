"""The suite's own rules: a retry needs a written reason, and on CI a skip for a missing
tool (which scripts/test installs) fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.policy import missing_tool_on_ci

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "reason",
    [
        "tmux is not installed (apt-get install tmux)",
        "age CLI not installed",
        "the age CLI or ssh-keygen is not installed",
        "etcd 3.4.23 is not available (run: etcdtui sandbox fetch-etcd 3.4.23)",
        "no etcd fetched on this machine (run: etcdtui sandbox fetch-etcd)",
    ],
)
def test_a_missing_tool_is_a_failure_on_ci_only(reason: str) -> None:
    assert missing_tool_on_ci(reason, {"CI": "true"})
    assert not missing_tool_on_ci(reason, {})


def test_other_skips_stay_skips_on_ci() -> None:
    assert not missing_tool_on_ci("ETCDTUI_ETCD_BIN_DIR chooses the etcd for this run", {"CI": "1"})


def _run(tmp_path: Path, body: str, ci: bool) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_policy_probe.py"
    test.write_text(body)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(test),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


SKIPS = """
import pytest

def test_needs_tmux():
    pytest.skip("tmux is not installed (apt-get install tmux)")

@pytest.mark.skipif(True, reason="age CLI not installed")
def test_needs_age():
    pass

def test_other():
    pytest.skip("ETCDTUI_ETCD_BIN_DIR chooses the etcd for this run")
"""


def test_missing_tool_skips_fail_the_run_on_ci(tmp_path: Path) -> None:
    on_ci = _run(tmp_path, SKIPS, ci=True)
    assert on_ci.returncode == 1, on_ci.stdout
    # the skip in the test body fails it; the skipif fails its setup (an error)
    assert "1 failed, 1 skipped, 1 error" in on_ci.stdout, on_ci.stdout
    assert "scripts/test installs" in on_ci.stdout
    locally = _run(tmp_path, SKIPS, ci=False)
    assert locally.returncode == 0 and "3 skipped" in locally.stdout, locally.stdout


def test_a_flaky_marker_without_a_reason_stops_the_run(tmp_path: Path) -> None:
    body = "import pytest\n\n@pytest.mark.flaky(reruns=1)\ndef test_x():\n    pass\n"
    done = _run(tmp_path, body, ci=False)
    assert done.returncode == 4, done.stdout + done.stderr  # a usage error
    assert "needs reason=" in done.stderr
    ok = body.replace("reruns=1", 'reruns=1, reason="a real terminal redraws late"')
    assert _run(tmp_path, ok, ci=False).returncode == 0


# --- tiers and helpers: a test module is never a library, and console_etcd is real etcd ----
#
# Rule 1: no file under tests/ imports a test module (``tests.<tier>.test_*``) or a
# conftest (``tests.conftest``, ``tests.<tier>.conftest``): what two modules share lives
# in tests/support/. (pytest loads conftests itself; importing one runs it twice.)
# Rule 2: every test in tests/console_etcd/ runs the console on real etcd. It takes one of
# REAL_ETCD_FIXTURES, or a fixture of its own module that does, or it (or that fixture)
# starts a sandbox itself (a ``Sandbox(...)`` call). A console test on the fake service
# belongs in tests/console_fake/, a screen snapshot in tests/svg/, a pure function test
# in tests/unit/.
# Rule 3: tests/console_fake/ and tests/svg/ use no real etcd by the same measure.

import ast  # noqa: E402

TESTS = ROOT / "tests"
REAL_ETCD_FIXTURES = frozenset({"cluster", "fresh_cluster", "faulty", "etcd_matrix"})


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from tests.x import test_y` imports a module too: name each imported name
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def test_module_imports(source: str) -> list[str]:
    """The imports of ``source`` that break rule 1 (empty: none)."""
    bad = []
    for line, name in _imported_modules(ast.parse(source)):
        parts = name.split(".")
        if name.startswith("."):
            bad.append(f"line {line}: relative import {name} (import from tests.support)")
        elif parts[0] == "tests" and any(
            p == "conftest" or p.startswith("test_") for p in parts[1:]
        ):
            bad.append(f"line {line}: imports {name}")
    return bad


test_module_imports.__test__ = False  # type: ignore[attr-defined]  # a checker, not a test


# tests/support functions that start a real sandbox (and return or yield it)
SANDBOX_HELPERS = {"hostile_sandbox"}


def _starts_sandbox(node: ast.AST) -> bool:
    """A call of ``Sandbox(...)``, or of a tests/support helper that brings one up for a
    module fixture (:data:`SANDBOX_HELPERS`)."""
    return any(
        isinstance(n, ast.Call)
        and (
            (isinstance(n.func, ast.Name) and n.func.id == "Sandbox")
            or (isinstance(n.func, ast.Attribute) and n.func.attr == "Sandbox")
            or (isinstance(n.func, ast.Name) and n.func.id in SANDBOX_HELPERS)
        )
        for n in ast.walk(node)
    )


def _is_fixture(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute) and target.attr == "fixture":
            return True
    return False


def _args(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}


def real_etcd_use(source: str) -> dict[str, bool]:
    """Each test function of ``source`` -> whether it uses real etcd (rule 2's measure)."""
    tree = ast.parse(source)
    funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    real = set(REAL_ETCD_FIXTURES)
    fixtures = [f for f in funcs if _is_fixture(f)]
    for _ in range(len(fixtures) + 1):  # a fixture may build on another
        for f in fixtures:
            if _args(f) & real or _starts_sandbox(f):
                real.add(f.name)
    return {
        f.name: bool(_args(f) & real) or _starts_sandbox(f)
        for f in funcs
        if f.name.startswith("test_") and not _is_fixture(f)
    }


def _sources(folder: str) -> list[Path]:
    return sorted((TESTS / folder).rglob("*.py"))


def test_no_test_module_or_conftest_is_imported() -> None:
    bad = {
        str(path.relative_to(ROOT)): found
        for path in TESTS.rglob("*.py")
        if (found := test_module_imports(path.read_text()))
    }
    assert not bad, f"move what is shared into tests/support/: {bad}"


def test_console_etcd_holds_only_tests_on_real_etcd() -> None:
    fake = {
        str(path.relative_to(ROOT)): names
        for path in _sources("console_etcd")
        if path.name.startswith("test_")
        if (names := [t for t, real in real_etcd_use(path.read_text()).items() if not real])
    }
    assert not fake, (
        "tests/console_etcd/ is the console on real etcd: these use none of "
        f"{sorted(REAL_ETCD_FIXTURES)} nor start a Sandbox; move them to console_fake/, "
        f"svg/ or unit/: {fake}"
    )


@pytest.mark.parametrize("folder", ["console_fake", "svg"])
def test_fake_tiers_use_no_real_etcd(folder: str) -> None:
    real = {
        str(path.relative_to(ROOT)): names
        for path in _sources(folder)
        if path.name.startswith("test_")
        if (names := [t for t, uses in real_etcd_use(path.read_text()).items() if uses])
    }
    assert not real, f"tests/{folder}/ runs without etcd; these belong in console_etcd/: {real}"


def test_the_tier_checks_can_fail() -> None:
    assert test_module_imports("from tests.unit.test_plans import replace_plan\n")
    assert test_module_imports("def f():\n    from tests.faults.conftest import cli\n")
    assert test_module_imports("import tests.conftest\n")
    assert test_module_imports("from tests.console_etcd import test_wizard\n")
    assert not test_module_imports("from tests.support.plans import replace_plan\n")
    body = (
        "import pytest\n"
        "@pytest.fixture\n"
        "def snaps(tmp_path):\n"
        "    sb = Sandbox(tmp_path)\n"
        "    yield sb\n"
        "async def test_fake():\n    pass\n"
        "async def test_shared(cluster, tmp_path):\n    pass\n"
        "async def test_module_fixture(snaps):\n    pass\n"
        "def test_own(tmp_path):\n    Sandbox(tmp_path).down()\n"
    )
    assert real_etcd_use(body) == {
        "test_fake": False,
        "test_shared": True,
        "test_module_fixture": True,
        "test_own": True,
    }


def test_only_tests_marked_flaky_are_retried() -> None:
    """scripts/test (what CI runs) retries no test by default: `--reruns` is left to the
    flaky markers, each with its reason; -rsR still names retries and skips."""
    runs = [
        line
        for line in (ROOT / "scripts" / "test").read_text().splitlines()
        if "-m pytest" in line and not line.lstrip().startswith("#")
    ]
    assert runs, "scripts/test runs no pytest"
    assert not [r for r in runs if "--reruns" in r], runs
    assert all("-rsR" in r for r in runs), runs
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "--reruns" not in pyproject and "reruns =" not in pyproject


def test_unit_tier_runs_no_console_and_no_etcd() -> None:
    """tests/unit/ is pure: a console test (``run_test``) belongs in console_fake/ or
    console_etcd/, a test on real etcd in integration/."""
    bad = {}
    for path in _sources("unit"):
        if not path.name.startswith("test_") or path.name == "test_test_policy.py":
            continue
        source = path.read_text()
        real = [t for t, uses in real_etcd_use(source).items() if uses]
        console = [
            n.lineno
            for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "run_test"
        ]
        if real or console:
            bad[str(path.relative_to(ROOT))] = {"real etcd": real, "console at lines": console}
    assert not bad, bad
