"""The console in a real terminal: tmux at 120x40 against the shared sandbox."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags, wait_for

pytestmark = [pytest.mark.etcd, pytest.mark.tmux]


class Tmux:
    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "ui")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "ui", *keys)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    t = Tmux(tmp_path / "tmux.sock")
    yield t
    try:
        pid = int(t.run("display-message", "-p", "#{pid}").strip())
    except (subprocess.SubprocessError, ValueError):
        return
    subprocess.run(["tmux", "-S", str(t.socket), "kill-server"], check=False, timeout=10)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.mark.flaky(
    reruns=1,
    reruns_delay=2,
    reason=(
        "a real terminal: tmux's redraws are read back by polling capture-pane, and a loaded "
        "CI host can delay a frame past the wait"
    ),
)
def test_console_in_tmux(cluster: Sandbox, tmux: Tmux, tmp_path: Path) -> None:
    s = cluster.settings()
    exe = Path(sys.executable).with_name("etcdtui")
    rc_file = tmp_path / "rc"
    argv = [
        str(exe),
        *conn_flags(s),
    ]
    # A COLUMNS/LINES inherited from the test runner would override the pane size.
    rc = shlex.quote(str(rc_file))
    cmd = f"env -u COLUMNS -u LINES {shlex.join(argv)}; echo $? > {rc}; sleep 30"
    tmux.run("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40", cmd)
    names = ("m1", "m2", "m3")
    screen = wait_for(
        lambda: (
            lambda text: (
                text
                if all(n in text for n in names) and "★" in text and "healthy" in text
                else None
            )
        )(tmux.screen()),
        timeout=20,
        what="member names and the leader marker in the pane",
    )
    assert "HEALTHY 3/3" in screen
    tmux.keys("?")
    wait_for(lambda: "BINDING ID" in tmux.screen(), timeout=30, what="the help screen")
    tmux.keys("Escape")
    wait_for(lambda: "BINDING ID" not in tmux.screen(), timeout=30, what="back to main")
    tmux.keys("q")
    wait_for(rc_file.exists, timeout=15, what="etcdtui to exit")
    assert rc_file.read_text().strip() == "0"


def _start(tmux: Tmux, cluster: Sandbox, tmp_path: Path, width: int, height: int) -> Path:
    exe = Path(sys.executable).with_name("etcdtui")
    rc_file = tmp_path / "rc"
    argv = [str(exe), *conn_flags(cluster.settings())]
    rc = shlex.quote(str(rc_file))
    cmd = f"env -u COLUMNS -u LINES {shlex.join(argv)}; echo $? > {rc}; sleep 30"
    tmux.run("new-session", "-d", "-s", "ui", "-x", str(width), "-y", str(height), cmd)
    wait_for(
        lambda: all(n in tmux.screen() for n in ("m1", "m2", "m3")) and "★" in tmux.screen(),
        timeout=20,
        what="the members in the pane",
    )
    return rc_file


@pytest.mark.flaky(
    reruns=1,
    reruns_delay=2,
    reason=(
        "a real terminal: tmux's redraws are read back by polling capture-pane, and a loaded "
        "CI host can delay a frame past the wait"
    ),
)
def test_type_ahead_burst_in_a_real_terminal(
    cluster: Sandbox, tmux: Tmux, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Each burst is one `tmux send-keys` call: the terminal delivers it at once."""
    from etcdtui.ui.snapshots.pane_data import default_directory

    snapdir = default_directory()
    before = set(snapdir.iterdir()) if snapdir.is_dir() else set()
    rc_file = _start(tmux, cluster, tmp_path, 80, 24)

    # the first row (m1) is selected: the burst must act on m2, and never on m1
    tmux.keys(":move-leader m2", "Enter")
    screen = wait_for(
        lambda: (lambda s: s if "Move leadership" in s else None)(tmux.screen()),
        timeout=10,
        what="the move-leader dialog",
    )
    assert "Move leadership m2" in screen, screen
    assert "Run" in screen and "Cancel" in screen, screen  # fits 80x24
    assert ":command" not in screen, screen  # the command line is not open behind it
    tmux.keys("Escape")
    wait_for(lambda: "Move leadership" not in tmux.screen(), timeout=30, what="dialog closed")

    tmux.keys(":promote m2", "Enter")  # refused (m2 votes), but about m2
    screen = wait_for(
        lambda: (lambda s: s if "Promote a learner" in s else None)(tmux.screen()),
        timeout=10,
        what="the promote dialog",
    )
    assert "Promote a learner m2" in screen, screen
    tmux.keys("Escape")
    wait_for(lambda: "Promote a learner" not in tmux.screen(), timeout=30, what="closed")

    tmux.keys(":refresh", "Enter")
    wait_for(lambda: ":command" not in tmux.screen(), timeout=30, what="command line closed")
    assert "Same view with etcdctl" not in tmux.screen()  # no member detail

    # the reported case: in the snapshots pane, `:snapshots DIR` Enter saved a snapshot
    # a short path: at 80 columns the pane shows the directory cut to the width, and
    # tmp_path under pytest-xdist is long enough to lose its last part
    other = Path(tempfile.mkdtemp(prefix="osnap-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(other, ignore_errors=True))
    tmux.keys("4")
    wait_for(lambda: "directory:" in tmux.screen(), timeout=30, what="the snapshots pane")
    tmux.keys(f":snapshots {other}", "Enter")
    wait_for(lambda: other.name in tmux.screen(), timeout=30, what="DIR opened")
    screen = tmux.screen()
    assert "Save a snapshot" not in screen, screen
    after = set(snapdir.iterdir()) if snapdir.is_dir() else set()
    assert after == before, "a snapshot was written"
    assert not list(other.iterdir())

    tmux.keys("q")
    wait_for(rc_file.exists, timeout=15, what="etcdtui to exit")
    assert rc_file.read_text().strip() == "0"
