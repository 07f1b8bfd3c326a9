"""The soak in the suite: 60 s of random faults on a real 3-member sandbox (etcd, mTLS,
127.0.0.1) under a headless console and a writer. Nothing may crash, no acknowledged
write may be lost, and the single-key history must be linearizable. The 5-minute run's
report is benchmarks/SOAK.md."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.etcd, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261202  # fixed, so a failure can be replayed with --seed


def _field(out: str, name: str) -> str:
    m = re.search(rf"^{re.escape(name)}\s+(.*)$", out, re.M)
    assert m, f"{name!r} missing from the soak report:\n{out}"
    return m.group(1)


def test_a_minute_of_faults_loses_nothing(tmp_path: Path) -> None:
    record = tmp_path / "soak.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.soak",
            "--seconds",
            "60",
            "--seed",
            str(SEED),
            "--out",
            str(record),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=800,
    )
    out = proc.stdout
    print(out)  # the report, for the run's log (pytest -rP / on failure)
    assert int(_field(out, "faults injected").split()[0]) >= 5, out
    assert _field(out, "crashes").split()[0] == "0", out
    assert int(_field(out, "writes acknowledged").split()[0]) > 0, out
    assert _field(out, "acknowledged writes lost") == "0", out
    assert _field(out, "linearizability violations").split()[0] == "0", out
    assert "key press to handled" in out and "RSS growth (console)" in out
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "acknowledged writes lost   0" in record.read_text()
