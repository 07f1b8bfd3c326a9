"""Error codes are stable and unique, and every fix fits the face that shows it.

The CLI's fix may name its flags; the console cannot pass a flag, so what the console shows
(``console_fix``) must name none of the CLI's flags.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import etcdtui
from etcdtui.errors import EtcdtuiError, names_flag
from etcdtui.i18n import set_language

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")

# Codes published before this test existed: they appear in JSON output and in
# docs/errors.md anchors. One may be added to; none may change or go.
PUBLISHED = {
    "access-denied", "auth", "bad-peer-url", "binary-not-found", "cluster", "cluster-busy",
    "config", "connection", "deadline", "defrag-aborted", "error", "etcd-fetch",
    "home-unknown", "insecure-refused", "invalid-endpoint", "learner-not-ready",
    "member-not-failed", "member-not-found", "no-leader", "not-enough-started", "not-etcd",
    "not-leader", "not-learner", "nospace", "nothing-configured", "peer-url-exists",
    "permission-denied", "pki", "plaintext-server", "plan-aborted", "plan-step-failed",
    "precondition", "prune-refused", "quorum-refused", "read-only", "restore-refused",
    "sandbox", "snapshot", "snapshot-bad-identity", "snapshot-bad-passphrase",
    "snapshot-bad-recipient", "snapshot-corrupt", "snapshot-decrypt-failed", "snapshot-empty",
    "snapshot-encrypt-failed", "snapshot-encrypted", "snapshot-exists",
    "snapshot-identity-required", "snapshot-no-source", "snapshot-not-bolt", "snapshot-save",
    "snapshot-stream-corrupt", "snapshot-truncated", "snapshot-unreadable", "terminated",
    "tls", "tls-client-eku", "tls-client-expired", "tls-client-missing",
    "tls-client-rejected", "tls-expired", "tls-file", "tls-not-yet-valid", "tls-on-plaintext",
    "tls-san-mismatch", "too-many-learners", "unhealthy-cluster", "unknown-context",
    "unreachable", "usage", "wizard-state",
}  # fmt: skip

# Modules only the CLI reaches: their fixes may name flags without a console wording.
CLI_ONLY = {
    "etcdtui/ops/drills/runner.py",  # `etcdtui drill`: the console's drill pane runs no drill
    "etcdtui/services/perf.py",  # `etcdtui perf`
    "etcdtui/services/tls/pki_dir.py",  # `etcdtui pki`
    "etcdtui/services/procedures/upgrade.py",  # `etcdtui upgrade` (no console wizard)
    "etcdtui/services/sandbox.py",  # `etcdtui sandbox up` flags
    "etcdtui/services/sandbox_faults.py",  # `etcdtui sandbox fault`
    "etcdtui/services/snapshots/catalog.py",  # prune: `etcdtui snapshot prune`
}


def _import_all() -> None:
    for mod in pkgutil.walk_packages(etcdtui.__path__, "etcdtui."):
        if not mod.name.endswith(("_pb2", "_pb2_grpc", "__main__")):
            importlib.import_module(mod.name)


def _walk(cls: type[EtcdtuiError]) -> Iterator[type[EtcdtuiError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _walk(sub)


@pytest.fixture(scope="module")
def classes() -> list[type[EtcdtuiError]]:
    _import_all()
    return [EtcdtuiError, *dict.fromkeys(_walk(EtcdtuiError))]


@pytest.fixture(scope="module")
def cli_flags() -> set[str]:
    from etcdtui.cli import build_parser

    flags: set[str] = set()

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            flags.update(o for o in action.option_strings if o.startswith("--"))
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    walk(sub)

    walk(build_parser(None))
    assert {"--force", "--passphrase-file", "--read-only", "--cacert"} <= flags
    return flags


def _flags_in(text: str, cli_flags: set[str]) -> list[str]:
    return [f for f in FLAG.findall(text) if f in cli_flags]


def test_every_error_class_sets_its_own_code(classes: list[type[EtcdtuiError]]) -> None:
    assert len(classes) > 60
    missing = [c.__qualname__ for c in classes if "code" not in c.__dict__]
    assert not missing, f"these error classes inherit their parent's code: {missing}"


def test_codes_are_unique_and_well_formed(classes: list[type[EtcdtuiError]]) -> None:
    codes = [c.code for c in classes]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    assert not dupes, f"codes used by more than one class: {dupes}"
    bad = [c for c in codes if not CODE.match(c) or len(c) > 40]
    assert not bad, f"codes must be lower-case words joined by '-': {bad}"


def test_published_codes_never_change(classes: list[type[EtcdtuiError]]) -> None:
    gone = PUBLISHED - {c.code for c in classes}
    assert not gone, f"published codes renamed or removed: {sorted(gone)}"


def test_the_cli_names_the_docs_anchor() -> None:
    from etcdtui.errors import TLSCertExpired

    text = TLSCertExpired("the certificate expired yesterday").render()
    assert text.splitlines()[-1].split() == ["see:", "docs/errors.md#tls-expired"]
    assert (ROOT / "docs" / "errors.md").read_text().count("\n## tls-expired\n") == 1


@pytest.mark.parametrize("lang", ["en", "id"])
def test_no_class_shows_a_cli_flag_in_the_console(
    classes: list[type[EtcdtuiError]], cli_flags: set[str], lang: str
) -> None:
    """A class whose CLI fix names a flag has a console wording of its own, in both
    languages, and that wording names no CLI flag."""
    from etcdtui.i18n import _

    set_language(lang)
    try:
        bad = {}
        for cls in classes:
            own = cls.own_console_fix()
            shown = _(own) if own else _(cls.default_fix) if cls.default_fix else ""
            if flags := _flags_in(shown, cli_flags):
                bad[cls.__qualname__] = flags
        assert not bad, f"console fixes naming CLI flags: {bad}"
    finally:
        set_language("en")


def test_console_fix_of_raised_errors(
    classes: list[type[EtcdtuiError]], cli_flags: set[str]
) -> None:
    """What the console shows for each class raised with its defaults: never a flag."""
    shown = 0
    for cls in classes:
        try:
            err = cls("a cause")
        except (TypeError, ValueError):  # a constructor of its own (a signal, results...)
            continue
        shown += 1
        assert not _flags_in(err.console_fix, cli_flags), cls.__qualname__
        assert not _flags_in(err.render(console=True), cli_flags), cls.__qualname__
    assert shown > 60


def test_console_fix_falls_back_without_a_flag() -> None:
    from etcdtui.errors import PreconditionFailed, ReadOnlyMode, TLSUnknownCA
    from etcdtui.services.snapshots.errors import TargetExists

    err = TargetExists("x.db exists")
    assert "--force" in err.fix and "--force" not in err.console_fix
    assert "save dialog" in err.console_fix
    # a fix given at the raise site with a flag and no console wording: a pointer instead
    given = PreconditionFailed("member m1 is down", fix="Pass --force to go on.")
    assert not names_flag(given.console_fix) and "docs/errors.md" in given.console_fix
    assert "precondition" in given.console_fix
    # one in words both faces share is shown as it is
    shared = PreconditionFailed("member m1 is down", fix="Start m1 first.")
    assert shared.console_fix == "Start m1 first."
    # a console wording given at the raise site wins
    both = PreconditionFailed("down", fix="Pass --force.", console_fix="Press x.")
    assert (both.fix, both.console_fix) == ("Pass --force.", "Press x.")
    # a fix replaced after the raise (the console's own words) is shown
    ca = TLSUnknownCA("unknown CA")
    assert ":context" in ca.console_fix
    ca.fix = "Ask the cluster's owner for the CA."
    assert ca.console_fix == "Ask the cluster's owner for the CA."
    ro = ReadOnlyMode("remove changes the cluster")
    assert "--read-only" in ro.fix and "read-only: true" in ro.fix
    assert not names_flag(ro.console_fix) and ":context" in ro.console_fix


def test_a_subclass_with_its_own_cli_fix_does_not_take_its_parents_console_fix() -> None:
    from etcdtui.errors import TLSClientCertRejected
    from etcdtui.services.etcdapi.probe import TLSClientCertExpired

    assert TLSClientCertRejected.own_console_fix()
    err = TLSClientCertExpired("expired")
    assert err.console_fix == err.fix and "Renew" in err.fix


def _string_constants(node: ast.AST) -> str:
    return " ".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def test_raise_sites_outside_the_cli_give_a_console_wording(
    classes: list[type[EtcdtuiError]], cli_flags: set[str]
) -> None:
    """An error raised where the console can meet it, with a fix that names a CLI flag,
    gives ``console_fix=`` too."""
    names = {c.__name__ for c in classes}
    bad = []
    for path in sorted((ROOT / "etcdtui").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("etcdtui/cli/") or rel in CLI_ONLY or "_pb2" in rel:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in names:
                continue
            kws = {k.arg: k.value for k in node.keywords}
            if "fix" in kws and _flags_in(_string_constants(kws["fix"]), cli_flags):
                if "console_fix" not in kws:
                    bad.append(f"{rel}:{node.lineno}")
                elif flags := _flags_in(_string_constants(kws["console_fix"]), cli_flags):
                    bad.append(f"{rel}:{node.lineno} console_fix names {flags}")
    assert not bad, f"fixes naming CLI flags without a console wording: {bad}"


def test_the_scan_sees_a_missing_console_wording(cli_flags: set[str]) -> None:
    call = ast.parse('UsageError("x", fix=_("Pass --force."))').body[0].value  # type: ignore[attr-defined]
    kws = {k.arg: k.value for k in call.keywords}
    assert _flags_in(_string_constants(kws["fix"]), cli_flags) == ["--force"]


def test_read_only_key_is_spelt_as_in_the_config() -> None:
    """The config key is `read-only`; `read_only` (the Python name) is never shown."""
    pot = (ROOT / "etcdtui" / "locale" / "etcdtui.pot").read_text()
    msgids = re.findall(r'^msgid "(.*)"$|^"(.*)"$', pot, flags=re.M)
    text = " ".join(a or b for a, b in msgids)
    assert "read-only" in text
    assert "read_only" not in text
    for page in ("errors.md", "keys.md", "configuration.md", "console.md", "cli.md"):
        assert "read_only" not in (ROOT / "docs" / page).read_text(), page


def test_the_cli_prints_the_anchor_of_a_real_refusal(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ETCD", "LANG", "LC_"))}
    env |= {"HOME": str(tmp_path), "LANGUAGE": "en"}
    out = subprocess.run(
        [sys.executable, "-m", "etcdtui", "--endpoints", "http://127.0.0.1:9", "status"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert lines[0] == "error: Plain-HTTP endpoint refused"
    assert any(line.strip().startswith("fix: ") and "--insecure" in line for line in lines)
    assert lines[-1] == "  see: docs/errors.md#insecure-refused"
