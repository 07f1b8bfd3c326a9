"""Killing a process returns only once it is gone.

A signal reaches a process asynchronously. `Sandbox.kill` used to return right after
sending SIGKILL; the `start` that followed saw the dying etcd as still running, started
nothing, and the member stayed down (the console then showed "connection refused" for
as long as anyone waited). The tests deliver every signal late, as a busy machine does."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from etcdtui.services import processes
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import MemberProc, SandboxState, process_state

LATE_S = 0.3


@pytest.fixture
def late_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    real_kill = os.kill

    def late(pid: int, sig: int) -> None:
        real_kill(pid, 0)  # a missing process still raises at once, as os.kill does
        threading.Timer(LATE_S, real_kill, (pid, sig)).start()

    monkeypatch.setattr(os, "kill", late)


def _sleeper(tmp_path: Path, *args: str, ignore_term: bool = False) -> subprocess.Popen[bytes]:
    code = "import signal\n"
    if ignore_term:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "print('ready', flush=True)\nsignal.pause()  # until the test's signal\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, cwd=tmp_path
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    return proc


@pytest.fixture
def stopper() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        if process_state(p.pid) not in (None, "Z"):
            p.kill()
        try:
            p.wait(timeout=10)
        except ChildProcessError:
            pass


def test_sandbox_kill_returns_once_the_member_is_gone(
    tmp_path: Path, late_signals: None, stopper: list[subprocess.Popen[bytes]]
) -> None:
    sb = Sandbox(tmp_path / "sb")
    sb.dir.mkdir()
    proc = _sleeper(tmp_path, f"--data-dir={sb.data_dir('m1')}")
    stopper.append(proc)
    sb.state = SandboxState(
        token="t", members=[MemberProc(name="m1", client_port=1, peer_port=2, pid=proc.pid)]
    )
    member = sb.state.member("m1")
    assert sb.is_running(member)

    sb.kill("m1")

    # the next start() asks exactly this: a "still running" answer made it start nothing
    assert not sb.is_running(member)
    assert process_state(proc.pid) is None, "the killed member is reaped, not left a zombie"


def test_terminate_waits_for_its_sigkill_to_take_effect(
    tmp_path: Path, late_signals: None, stopper: list[subprocess.Popen[bytes]]
) -> None:
    proc = _sleeper(tmp_path, ignore_term=True)
    stopper.append(proc)

    processes.terminate(
        proc.pid, lambda: process_state(proc.pid) in (None, "Z"), timeout=0.2, poll=0.02
    )

    # SIGTERM was ignored, so SIGKILL followed: the caller may reuse the port now
    assert process_state(proc.pid) is None
