"""Fault-suite fixtures: private sandboxes with the fault proxy, and a check that no
process outlives its test; the key-press latencies the probe recorded are reported at
the end of the run (measured, never asserted). The suite's helpers are in
tests/support/faults.py."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from etcdtui.services.sandbox import Sandbox
from tests.support.faults import RESPONSIVENESS, processes_mentioning


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.etcd)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESPONSIVENESS:
        return
    tr = terminalreporter
    tr.section("fault suite: console key press to handled (ms, measured, not asserted)")
    for name, samples in RESPONSIVENESS.items():
        s = sorted(samples)
        tr.write_line(
            f"{name}: n={len(s)} median={s[len(s) // 2]:.1f} max={s[-1]:.1f}"
            if s
            else f"{name}: no samples"
        )
    out = os.environ.get("ETCDTUI_FAULTS_REPORT")
    if out:
        import json

        Path(out).write_text(json.dumps(RESPONSIVENESS, indent=2))


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[Callable[..., Sandbox]]:
    """Factory for private sandboxes (fault proxy on by default); all stopped by PID at
    teardown, then no process naming the test's directory may remain."""
    made: list[Sandbox] = []

    def make(members: int = 3, **kwargs: Any) -> Sandbox:
        kwargs.setdefault("fault_proxy", True)
        sandbox = Sandbox(tmp_path / f"sb{len(made)}")
        made.append(sandbox)
        sandbox.up(members, **kwargs)
        return sandbox

    try:
        yield make
    finally:
        for sandbox in made:
            sandbox.down()
    left = []
    for _ in range(50):
        left = processes_mentioning(str(tmp_path))
        if not left:
            break
        time.sleep(0.1)
    assert not left, f"processes outlived the test: {left}"
