"""Where etcdtui keeps its files. Environment variables override the platform dirs
(tests and CI point them at temporary directories)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP = "etcdtui"


def _xdg_home(variable: str, default: str) -> str | None:
    """``$variable/etcdtui``, or ``~/default/etcdtui``: what platformdirs answers on
    Linux in the plain case (an absolute XDG variable, or none and an absolute HOME),
    without importing it. Importing platformdirs loads tempfile, shutil and the
    compression modules: about 10 ms of every command's start-up (the config file is
    looked up for the language before any command runs). None for anything else (not
    Linux, a relative XDG variable or HOME): platformdirs then decides."""
    if sys.platform != "linux":
        return None
    value = os.environ.get(variable, "")
    if value.startswith("/"):
        return os.path.join(value, APP)
    if value:
        return None
    home = os.environ.get("HOME", "")
    if not home.startswith("/"):
        return None
    return os.path.join(home.rstrip("/") or "/", default, APP)


def _user_dir(kind: str, variable: str, default: str) -> str:
    """platformdirs' ``user_<kind>_dir("etcdtui")``: the plain case without it."""
    plain = _xdg_home(variable, default)
    if plain is not None:
        return plain
    import platformdirs  # loaded only when needed: it costs every command's start-up

    return str(getattr(platformdirs, f"user_{kind}_dir")(APP))


def user_state_dir() -> str:
    """platformdirs' ``user_state_dir("etcdtui")``."""
    return _user_dir("state", "XDG_STATE_HOME", ".local/state")


def user_config_dir() -> str:
    """platformdirs' ``user_config_dir("etcdtui")``."""
    return _user_dir("config", "XDG_CONFIG_HOME", ".config")


def user_cache_dir() -> str:
    """platformdirs' ``user_cache_dir("etcdtui")``."""
    return _user_dir("cache", "XDG_CACHE_HOME", ".cache")


def state_dir() -> Path:
    env = os.environ.get("ETCDTUI_STATE_DIR")
    return Path(env) if env else Path(user_state_dir())


def config_dir() -> Path:
    env = os.environ.get("ETCDTUI_CONFIG_DIR")
    return Path(env) if env else Path(user_config_dir())


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
    return Path(user_config_dir()) / "config.yaml"


def default_sandbox_dir() -> Path:
    env = os.environ.get("ETCDTUI_SANDBOX_DIR")
    return Path(env) if env else state_dir() / "sandbox"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 for the leaf."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
