"""`snapshot verify FILE` starts the sha256 of FILE in the entry point, before the CLI
is imported, and the command takes that job over instead of starting its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from etcdtui.services.snapshots.earlyhash import verify_target
from tests.support.bolt_builder import SAMPLE, build_db, with_trailer


@pytest.mark.parametrize(
    ("argv", "target"),
    [
        (["snapshot", "verify", "f.db"], "f.db"),
        (["snapshot", "verify", "-o", "json", "f.db"], "f.db"),
        (["snapshot", "verify", "f.db", "--output=json"], "f.db"),
        (["snapshot", "verify", "-ojson", "f.db"], "f.db"),
        (["snapshot", "status", "--verify", "f.db"], "f.db"),
        (["snapshot", "status", "f.db"], None),  # a plain status does not hash the file
        (["snapshot", "verify", "f.db", "--identity", "k"], None),
        (["snapshot", "verify", "a.db", "b.db"], None),
        (["snapshot", "verify", "--help"], None),
        (["snapshot", "verify", "-o"], None),
        (["snapshot", "inspect", "f.db"], None),
        (["status"], None),
        (["--lang", "id", "snapshot", "verify", "f.db"], None),
    ],
)
def test_only_a_plain_verify_is_recognised(argv: list[str], target: str | None) -> None:
    assert verify_target(argv) == target


PROBE = """
import json, sys, threading
from etcdtui.services.snapshots import earlyhash
made = []
real_init = earlyhash.EarlyHash.__init__
def init(self, path):
    made.append("etcdtui.cli" in sys.modules)
    real_init(self, path)
earlyhash.EarlyHash.__init__ = init
from etcdtui.main import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
early = [t.name for t in threading.enumerate() if t.name.startswith("sha256")]
early += ["sha256-early"] * earlyhash.running()  # _thread threads, counted there
print(json.dumps({"made": made, "code": code, "threads": early}), file=sys.stderr)
"""


def _run(tmp_path: Path, *argv: str) -> dict[str, object]:
    env = {**os.environ, "ETCDTUI_STATE_DIR": str(tmp_path / "state")}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    result: dict[str, object] = json.loads(proc.stderr.strip().splitlines()[-1])
    result["stdout"] = proc.stdout
    return result


def test_verify_takes_the_hash_started_before_the_cli(tmp_path: Path) -> None:
    snap = tmp_path / "s.db"
    snap.write_bytes(with_trailer(build_db(SAMPLE, leaf_cap=8, branch_cap=3)))
    got = _run(tmp_path, "snapshot", "verify", "-o", "json", str(snap))
    assert got["code"] == 0
    assert json.loads(str(got["stdout"]))["sha256"] == {"present": True, "valid": True}
    # one job, started while the CLI was not loaded yet; none left running
    assert got["made"] == [False]
    assert got["threads"] == []


def test_verify_reports_the_counts_and_leaves_the_content_hash_to_status(
    tmp_path: Path,
) -> None:
    snap = tmp_path / "s.db"
    snap.write_bytes(with_trailer(build_db(SAMPLE, leaf_cap=8, branch_cap=3)))
    text = _run(tmp_path, "snapshot", "verify", str(snap))
    assert text["code"] == 0
    lines = str(text["stdout"]).splitlines()
    assert lines[0].startswith("OK: ") and "sha256 trailer matches" in lines[0]
    assert "revision 0, 507 keys" in lines[1] and "hash" not in lines[1]
    got = _run(tmp_path, "snapshot", "verify", "-o", "json", str(snap))
    assert json.loads(str(got["stdout"]))["status"]["hash"] is None
    status = _run(tmp_path, "snapshot", "status", "--verify", "-o", "json", str(snap))
    assert isinstance(json.loads(str(status["stdout"]))["hash"], int)


def test_a_damaged_file_is_still_caught(tmp_path: Path) -> None:
    data = bytearray(with_trailer(build_db(SAMPLE, leaf_cap=8, branch_cap=3)))
    data[-1] ^= 0xFF
    snap = tmp_path / "s.db"
    snap.write_bytes(bytes(data))
    got = _run(tmp_path, "snapshot", "status", "--verify", "-o", "json", str(snap))
    assert got["made"] == [False]
    assert json.loads(str(got["stdout"]))["sha256"]["valid"] is False


def test_a_job_nobody_takes_is_stopped(tmp_path: Path) -> None:
    snap = tmp_path / "s.db"
    snap.write_bytes(with_trailer(build_db(SAMPLE)))
    # the guess says verify, the parser refuses (an unknown output format)
    got = _run(tmp_path, "snapshot", "verify", "-o", "yaml-please", str(snap))
    assert got["code"] == 2
    assert got["made"] == [False]
    assert got["threads"] == []
