"""Shared fixtures.

* Every test runs with ETCDTUI_STATE_DIR / ETCDTUI_CONFIG_DIR pointing into a
  temporary directory, so no test touches the operator's real files.
* ``cluster``: ONE 3-member sandbox (real etcd, client and peer mTLS on 127.0.0.1)
  shared by the whole run. Tests must leave it as they found it (3 healthy voters).
* ``fresh_cluster``: a factory for private sandboxes, for destructive tests; each is
  stopped by PID at teardown.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from etcdtui.services.sandbox import Sandbox
from tests.support.policy import missing_tool_on_ci


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("etcdtui")


@pytest.fixture(scope="session", autouse=True)
def _isolated_dirs(session_tmp: Path) -> Iterator[None]:
    old = {
        k: os.environ.get(k)
        for k in ("ETCDTUI_STATE_DIR", "ETCDTUI_CONFIG_DIR", "ETCDTUI_SANDBOX_DIR")
    }
    os.environ["ETCDTUI_STATE_DIR"] = str(session_tmp / "state")
    os.environ["ETCDTUI_CONFIG_DIR"] = str(session_tmp / "config")
    os.environ["ETCDTUI_SANDBOX_DIR"] = str(session_tmp / "default-sandbox")
    for k in (
        "ETCDCTL_ENDPOINTS",
        "ETCDCTL_CACERT",
        "ETCDCTL_CERT",
        "ETCDCTL_KEY",
        "ETCDCTL_USER",
        "NO_COLOR",
    ):
        os.environ.pop(k, None)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(autouse=True)
def _own_config_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test reads and writes its own config dir: a context that one test registers
    (`sandbox up`, a drill) must not become a later test's current context, whose files
    went away with the first test's temporary dir."""
    monkeypatch.setenv("ETCDTUI_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


def _loopback_only(address: object) -> None:
    """Rule 7: tests talk only to loopback. A Python-level socket (the certificate peek,
    the /version and /metrics probes, the fault proxy) aimed anywhere else is refused
    with the address, instead of trying a real host."""
    if not isinstance(address, tuple) or not address:
        return  # AF_UNIX paths and the like
    host = str(address[0])
    if host == "localhost":
        return
    try:
        ok = ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise ConnectionRefusedError(f"test tried to connect to {address!r}: loopback only")


@pytest.fixture(scope="session", autouse=True)
def _no_network_but_loopback() -> Iterator[None]:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        _loopback_only(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _loopback_only(address)
        return real_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def cluster(session_tmp: Path) -> Iterator[Sandbox]:
    sandbox = Sandbox(session_tmp / "shared-cluster")
    try:
        sandbox.up(3)
        yield sandbox
    finally:
        sandbox.down()


@pytest.fixture
def fresh_cluster(tmp_path: Path) -> Iterator[Callable[..., Sandbox]]:
    made: list[Sandbox] = []

    def make(members: int = 3, **kwargs: object) -> Sandbox:
        sandbox = Sandbox(tmp_path / f"sandbox-{len(made)}")
        made.append(sandbox)
        sandbox.up(members, **kwargs)  # type: ignore[arg-type]
        return sandbox

    try:
        yield make
    finally:
        for sandbox in made:
            sandbox.down()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests that take ``etcd_matrix`` run once per version of the matrix."""
    if "etcd_matrix" in metafunc.fixturenames:
        from tests.support.helpers import MATRIX

        metafunc.parametrize("etcd_matrix", MATRIX, indirect=True)


@pytest.fixture
def etcd_matrix(request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    """Switch this test to one etcd version: (version, bin dir).

    The choice goes through ETCDTUI_ETCD_BIN_DIR, exactly as an operator would make it,
    and is undone afterwards. A version missing on CI fails the run (scripts/test
    fetches them all); elsewhere it is skipped with the reason."""
    from etcdtui.services.binaries import binary_version, reset_cache
    from tests.support.helpers import matrix_dir

    label: str = request.param
    bin_dir = matrix_dir(label)
    if bin_dir is None:
        why = f"etcd {label} is not available (run: etcdtui sandbox fetch-etcd {label})"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    old = os.environ.get("ETCDTUI_ETCD_BIN_DIR")
    os.environ["ETCDTUI_ETCD_BIN_DIR"] = str(bin_dir)
    reset_cache()
    try:
        yield binary_version(bin_dir / "etcd"), bin_dir
    finally:
        if old is None:
            os.environ.pop("ETCDTUI_ETCD_BIN_DIR", None)
        else:
            os.environ["ETCDTUI_ETCD_BIN_DIR"] = old
        reset_cache()


# --- retries and skips that stay honest ----------------------------------------------------
#
# scripts/test retries nothing by default: a test is retried only when it carries
# pytest-rerunfailures' marker with a written reason, e.g.
#   @pytest.mark.flaky(reruns=1, reruns_delay=2, reason="why this one may need a retry")
# and -rR lists every test that only passed on its retry.

TIERS = {  # top folder under tests/ -> its marker (see docs/architecture.md)
    "unit": "unit",
    "integration": "integration",
    "console_fake": "console_fake",
    "console_etcd": "console_etcd",
    "terminal": "terminal",
    "svg": "svg",
    "faults": "faults",
    "drills": "drills",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        path = Path(str(item.fspath))
        parts = path.relative_to(here).parts if path.is_relative_to(here) else ()
        if len(parts) > 1 and parts[0] in TIERS:
            item.add_marker(getattr(pytest.mark, TIERS[parts[0]]))
    unexplained = [
        item.nodeid
        for item in items
        for mark in item.iter_markers("flaky")
        if not (isinstance(mark.kwargs.get("reason"), str) and mark.kwargs["reason"].strip())
    ]
    if unexplained:
        raise pytest.UsageError(
            "@pytest.mark.flaky needs reason='why a retry is acceptable' on: "
            + ", ".join(unexplained)
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        if missing_tool_on_ci(reason):
            report.outcome = "failed"
            report.longrepr = (
                f"skipped on CI for a missing tool, which scripts/test installs: {reason}"
            )
    return report


def _ancestors() -> set[int]:
    """This process and the ones that started it (a wrapper such as `timeout` names
    ``--basetemp`` on its command line too, and is not a test's process)."""
    pids, pid = set(), os.getpid()
    for _ in range(64):  # bounded: a process tree is never this deep
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read(4096)
        except OSError:
            break
        parent = int(stat.rsplit(b")", 1)[1].split()[1])  # the field after the state
        if parent <= 1:
            break
        pid = parent
    return pids


def _outliving(root: str) -> list[tuple[int, str]]:
    """Processes whose command line names a path under ``root`` (etcd members, fault
    proxies, starvers: everything a test starts gets its data or state dir there),
    except this process and its ancestors."""
    found = []
    mine = _ancestors()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in mine:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read(65536).replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if root in cmd and "pytest" not in cmd.split(" ", 1)[0]:
            found.append((int(entry), cmd[:200]))
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Rule 7, checked after the suite: no process a test started outlives it. Any found
    is named, stopped by its PID, and fails the run."""
    if hasattr(session.config, "workerinput"):
        return  # each xdist worker's processes are checked once, by the controller
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or not os.path.isdir("/proc"):
        return
    root = str(factory.getbasetemp())
    left = _outliving(root)
    if not left:
        return
    import signal

    for pid, _cmd in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    lines = "\n".join(f"  pid {pid}: {cmd}" for pid, cmd in left)
    session.config.get_terminal_writer().line(
        f"\nprocesses started by tests outlived the suite (stopped now):\n{lines}", red=True
    )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
