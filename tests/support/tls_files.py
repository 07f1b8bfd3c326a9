"""TLS files for tests that hand the CLI or the console a damaged or loosely kept copy."""

from __future__ import annotations

import shutil
from pathlib import Path


def copy_with_mode(src: Path | None, dst: Path, mode: int = 0o600) -> Path:
    """Copy ``src`` (a TLS file from the sandbox) to ``dst`` with ``mode``."""
    assert src is not None
    shutil.copyfile(src, dst)
    dst.chmod(mode)
    return dst
