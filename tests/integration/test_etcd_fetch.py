"""What `etcdtui sandbox fetch-etcd` left in the cache (scripts/test runs it first),
and that the suite runs on a current etcd, not on the fallback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from etcdtui.services.binaries import binary_version, choose_etcd
from etcdtui.services.etcd_fetch import cache_dir, cached_versions


def test_fetched_versions_are_whole_and_what_they_claim() -> None:
    found = cached_versions(cache_dir())
    if not found:
        if os.environ.get("CI"):
            pytest.fail("scripts/test fetched no etcd into the cache")
        pytest.skip("no etcd fetched on this machine (run: etcdtui sandbox fetch-etcd)")
    for version, d in found:
        assert binary_version(d / "etcd") == version
        assert binary_version(d / "etcdctl") == version
        if version.startswith("3.4."):
            assert not (d / "etcdutl").exists()  # 3.4 restores with etcdctl
        else:
            assert binary_version(d / "etcdutl") == version
        source = d / "source.json"
        if source.exists():  # written by fetch-etcd (absent in hand-made caches)
            meta = json.loads(source.read_text())
            assert meta["debian_version"].split("-")[0].split(":")[-1] == version
            assert len(meta["sha256"]["etcd-server"]) == 64


def test_suite_runs_a_current_etcd() -> None:
    if os.environ.get("ETCDTUI_ETCD_BIN_DIR"):
        pytest.skip("ETCDTUI_ETCD_BIN_DIR chooses the etcd for this run")
    choice = choose_etcd()
    if os.environ.get("CI"):
        assert choice.source == "cache" and not choice.is_fallback, choice


def test_cached_version_is_not_downloaded_again() -> None:
    found = cached_versions(cache_dir())
    if not found:
        pytest.skip("no etcd fetched on this machine")
    version = found[-1][0]
    env = {**os.environ, "PATH": "/nonexistent"}  # no apt: must not be needed
    proc = subprocess.run(
        [sys.executable, "-m", "etcdtui", "sandbox", "fetch-etcd", version, "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (doc,) = json.loads(proc.stdout)
    assert doc["already_present"] and doc["version"] == version
