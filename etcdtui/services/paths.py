"""Where etcdtui keeps its files. Environment variables override the platform dirs
(tests and CI point them at temporary directories)."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    env = os.environ.get("ETCDTUI_STATE_DIR")
    if env:
        return Path(env)
    import platformdirs  # loaded only when needed: it costs every command's start-up

    return Path(platformdirs.user_state_dir("etcdtui"))


def config_dir() -> Path:
    env = os.environ.get("ETCDTUI_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("etcdtui"))


def default_sandbox_dir() -> Path:
    env = os.environ.get("ETCDTUI_SANDBOX_DIR")
    return Path(env) if env else state_dir() / "sandbox"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 for the leaf."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
