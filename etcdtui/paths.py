"""Where etcdtui keeps its files. Environment variables override the platform dirs
(tests and CI point them at temporary directories)."""

from __future__ import annotations

import os
import sys

APP = "etcdtui"

# pathlib (and the urllib.parse it loads) is imported where a Path is returned: the
# `*_name` functions answer in plain strings, for the start-up of every command
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


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


def state_dir_name() -> str:
    """:func:`state_dir` as a string."""
    return os.environ.get("ETCDTUI_STATE_DIR") or user_state_dir()


def state_dir() -> Path:
    from pathlib import Path

    return Path(state_dir_name())


def config_dir() -> Path:
    from pathlib import Path

    env = os.environ.get("ETCDTUI_CONFIG_DIR")
    return Path(env) if env else Path(user_config_dir())


def config_file(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """The config file: ``--config`` > ``ETCDTUI_CONFIG`` > ``ETCDTUI_CONFIG_DIR`` > the
    user config dir. Here, not in :mod:`etcdtui.config`: importing that package (the
    config model, its dataclasses) just to learn the path cost every command's start-up
    (`choose_language` asks for it before any command runs)."""
    from pathlib import Path

    return Path(config_file_name(explicit, env))


def config_file_name(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> str:
    """:func:`config_file` as a string (the same file: made absolute from the working
    directory, as ``Path.absolute`` does, without folding ``..``)."""
    from etcdtui.safeio import expand_user_name

    env = os.environ if env is None else env
    if explicit:
        return _absolute(expand_user_name(explicit))
    if env.get("ETCDTUI_CONFIG"):
        return _absolute(expand_user_name(env["ETCDTUI_CONFIG"]))
    if env.get("ETCDTUI_CONFIG_DIR"):
        return os.path.join(_absolute(expand_user_name(env["ETCDTUI_CONFIG_DIR"])), "config.yaml")
    return os.path.join(user_config_dir(), "config.yaml")


def _absolute(path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)


def default_sandbox_dir() -> Path:
    from pathlib import Path

    env = os.environ.get("ETCDTUI_SANDBOX_DIR")
    return Path(env) if env else state_dir() / "sandbox"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 for the leaf."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
