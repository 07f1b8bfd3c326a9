"""The suite's own rules: a retry needs a written reason, and on CI a skip for a missing
tool (which scripts/test installs) fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import missing_tool_on_ci

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
