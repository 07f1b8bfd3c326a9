"""Shared benchmark helpers: sandboxes in temp dirs, timing of commands, ratios."""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from etcdtui.services.sandbox import Sandbox


def scratch_dir(prefix: str = "etcdtui-bench-") -> Path:
    """A private temporary directory, removed when the benchmark process exits (a sandbox
    leaves 64 MB WAL segments per member; snapshot sets are hundreds of MB)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(root, 0o700)
    atexit.register(shutil.rmtree, root, True)
    return root


def temp_sandbox(members: int, **kwargs: object) -> Sandbox:
    root = scratch_dir()
    sandbox = Sandbox(root / "sandbox")
    sandbox.up(members, **kwargs)  # type: ignore[arg-type]
    sandbox.settle()  # let the fresh members finish their start-up work first
    return sandbox


_EMPTY_CONFIG: list[str] = []


def user_env(env: dict[str, str]) -> dict[str, str]:
    """The environment a user's shell would give: bytecode caching on (a session or CI
    may set PYTHONDONTWRITEBYTECODE, which makes every start compile from source), and
    an empty config dir unless the caller names one: a config file left on the machine
    (another test's, a developer's) would change what is measured (reading it loads
    yaml, about 10 ms) and the etcdctl side reads none."""
    out = dict(env)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    out.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "etcdtui-bench-pyc"))
    if "ETCDTUI_CONFIG_DIR" not in out:
        if not _EMPTY_CONFIG:
            _EMPTY_CONFIG.append(str(scratch_dir("etcdtui-bench-config-")))
        out["ETCDTUI_CONFIG_DIR"] = _EMPTY_CONFIG[0]
    return out


def time_commands(cmds: Sequence[Sequence[str]], env: dict[str, str], runs: int) -> float:
    """Median wall time of running ``cmds`` one after the other, over ``runs`` runs
    (after one untimed warm-up run)."""
    env = user_env(env)
    for cmd in cmds:
        subprocess.run(cmd, env=env, capture_output=True, check=False, timeout=120)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for cmd in cmds:
            subprocess.run(cmd, env=env, capture_output=True, check=False, timeout=120)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def etcdtui_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "etcdtui", *args]


_INSTALLED: list[Path] = []


def installed_etcdtui() -> Path:
    """The ``etcdtui`` command as a user's ``pip install`` gives it: this tree built as a
    wheel and installed (not editable) into a scratch venv, built once per benchmark run.

    Measuring the development install instead would add its editable-import hook to
    every start (setuptools' finder loads pathlib, urllib.parse, ipaddress and fnmatch
    from ``site``, 15 ms or more) and setuptools' distutils shim, which a user's install
    has neither of. The dependencies are not installed again: the scratch venv sees the
    running interpreter's site-packages through a plain path line in a ``.pth`` file
    (a path line is put on sys.path; that directory's own ``.pth`` hooks do not run)."""
    if _INSTALLED:
        return _INSTALLED[0]
    import sysconfig

    root = scratch_dir("etcdtui-bench-install-")
    # build from a copy of the working tree (setuptools writes build/ and egg-info
    # beside the sources), with this interpreter's setuptools, offline
    tree = Path(__file__).resolve().parent.parent
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(tree / name, src / name)
    shutil.copytree(tree / "etcdtui", src / "etcdtui", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip"]
    quiet = ["--quiet", "--no-deps"]
    subprocess.run(
        [*pip, "wheel", *quiet, "--no-build-isolation", "-w", str(root / "wheel"), str(src)],
        check=True,
        env=_pip_env(),
    )
    wheel = next((root / "wheel").glob("etcdtui-*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [*pip, "--python", str(py), "install", *quiet, "--no-warn-script-location", str(wheel)],
        check=True,
        env=_pip_env(),
    )
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "etcdtui-bench-deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    command = venv / "bin" / "etcdtui"
    if not command.exists():
        raise RuntimeError(f"pip did not install the etcdtui command into {venv}")
    _INSTALLED.append(command)
    return command


def _pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PIP_REQUIRE_VIRTUALENV"}
    env["PIP_NO_INDEX"] = "1"  # everything is local: never ask an index
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def report(label: str, ours: float, theirs: float, target: float | None = None) -> None:
    ratio = ours / theirs if theirs else float("inf")
    verdict = ""
    if target is not None:
        verdict = "  OK" if ratio <= target else f"  ABOVE TARGET {target}"
    print(
        f"{label:<48} etcdtui {ours * 1000:8.1f} ms   reference {theirs * 1000:8.1f} ms"
        f"   ratio {ratio:5.2f}{verdict}"
    )


async def timed_key(app: Any, key: str, char: str | None, done: Callable[[], bool]) -> float:
    """Post one key event to a running Textual app as its terminal driver would, and
    return the milliseconds until ``done()`` holds: key press to handled. (Pilot's
    ``press`` also waits for the whole process to go idle, which a busy poller and
    writer threads stretch far beyond what the operator waits for.)"""
    import asyncio

    from textual import events

    t0 = time.perf_counter()
    app.post_message(events.Key(key, char))
    while not done():
        if time.perf_counter() - t0 > 60:
            raise TimeoutError(f"key {key} not handled within 60 s")
        await asyncio.sleep(0.002)
    return (time.perf_counter() - t0) * 1000.0
