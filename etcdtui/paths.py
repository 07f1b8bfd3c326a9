"""Where etcdtui keeps its files. Environment variables override the platform dirs
(tests and CI point them at temporary directories)."""

from __future__ import annotations

import os
from collections.abc import Mapping
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


def config_file(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """The config file: ``--config`` > ``ETCDTUI_CONFIG`` > ``ETCDTUI_CONFIG_DIR`` > the
    user config dir. Here, not in :mod:`etcdtui.config`: importing that package (the
    config model, its dataclasses) just to learn the path cost every command's start-up
    (`choose_language` asks for it before any command runs)."""
    from etcdtui.safeio import expand_user

    env = os.environ if env is None else env
    if explicit:
        return expand_user(explicit).absolute()
    if env.get("ETCDTUI_CONFIG"):
        return expand_user(env["ETCDTUI_CONFIG"]).absolute()
    if env.get("ETCDTUI_CONFIG_DIR"):
        return expand_user(env["ETCDTUI_CONFIG_DIR"]).absolute() / "config.yaml"
    import platformdirs

    return Path(platformdirs.user_config_dir("etcdtui")) / "config.yaml"


def default_sandbox_dir() -> Path:
    env = os.environ.get("ETCDTUI_SANDBOX_DIR")
    return Path(env) if env else state_dir() / "sandbox"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 for the leaf."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
