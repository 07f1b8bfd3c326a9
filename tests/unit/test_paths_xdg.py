"""etcdtui.paths finds the state, config and cache dirs without importing platformdirs in the
plain Linux case, and must then answer exactly what platformdirs answers."""

from __future__ import annotations

import sys

import platformdirs
import pytest

from etcdtui import paths

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the shortcut is Linux's")

ENVS = [
    {"HOME": "/home/ops"},
    {"HOME": "/home/ops/"},
    {"HOME": "/"},
    {
        "HOME": "/home/ops",
        "XDG_STATE_HOME": "/var/xdg/state",
        "XDG_CONFIG_HOME": "/etc/xdgc",
        "XDG_CACHE_HOME": "/var/xdg/cache",
    },
    {
        "HOME": "/home/ops",
        "XDG_STATE_HOME": "/trailing/",
        "XDG_CONFIG_HOME": "/c/",
        "XDG_CACHE_HOME": "/k/",
    },
    {"HOME": "/home/ops", "XDG_STATE_HOME": "", "XDG_CONFIG_HOME": "", "XDG_CACHE_HOME": ""},
    {
        "HOME": "/home/ops",
        "XDG_STATE_HOME": "relative/state",
        "XDG_CONFIG_HOME": "rel",
        "XDG_CACHE_HOME": "rel/cache",
    },
    {"HOME": "/home/ops", "XDG_STATE_HOME": "  ", "XDG_CONFIG_HOME": " ", "XDG_CACHE_HOME": " "},
]


@linux_only
@pytest.mark.parametrize("env", ENVS, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items()))
def test_the_dirs_are_platformdirs_own(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name in (
        "HOME",
        "XDG_STATE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "ETCDTUI_STATE_DIR",
        "ETCDTUI_CONFIG_DIR",
        "ETCDTUI_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert paths.user_state_dir() == platformdirs.user_state_dir("etcdtui")
    assert paths.user_config_dir() == platformdirs.user_config_dir("etcdtui")
    assert paths.user_cache_dir() == platformdirs.user_cache_dir("etcdtui")
    assert str(paths.state_dir()) == platformdirs.user_state_dir("etcdtui")
    assert (
        str(paths.config_file(env={})) == platformdirs.user_config_dir("etcdtui") + "/config.yaml"
    )


@linux_only
def test_the_plain_case_does_not_import_platformdirs(tmp_path: object) -> None:
    import json
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ETCDTUI_", "XDG_"))}
    env["HOME"] = "/home/ops"
    code = (
        "import sys, json\nfrom etcdtui import paths\n"
        "print(json.dumps([str(paths.state_dir()), str(paths.config_file()),"
        " 'platformdirs' in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    state, config, loaded = json.loads(out.stdout)
    assert (state, config) == (
        "/home/ops/.local/state/etcdtui",
        "/home/ops/.config/etcdtui/config.yaml",
    )
    assert loaded is False
