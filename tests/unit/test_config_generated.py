"""Contexts etcdtui writes itself (sandbox, drills) go to ``config.generated.yaml``: the
operator's ``config.yaml`` keeps its comments and layout byte for byte, a context an older
etcdtui wrote into it keeps working, and a bad key in either file is named with its line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from etcdtui.cli import sandbox_cmds
from etcdtui.config import Context, UnknownContext, load_config, remove_context, use_context
from etcdtui.config.files import generated_path, save_context
from etcdtui.errors import ConfigError
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import MemberProc, SandboxState

COMMENTED = """\
# my clusters -- hand written, please keep this comment
current-context: prod   # the one I use most

contexts:
  # production, read-only on purpose
  - name: prod
    endpoints: [https://10.0.0.1:2379]
    read-only: true        # never write to prod from a laptop

ui:
  theme: etcdtui-dark      # dark, please
"""

# What etcdtui before config.generated.yaml left in config.yaml after `sandbox up`.
OLD_REWRITTEN = """\
# etcdtui configuration (rewritten by etcdtui; comments are not kept)
contexts:
- name: sandbox
  endpoints:
  - https://127.0.0.1:23790
  read-only: false
  insecure: false
current-context: sandbox
"""


def fake_sandbox(tmp_path: Path, ports: tuple[int, ...] = (23790, 23793)) -> Sandbox:
    """A sandbox with its state written down but no etcd running: what `sandbox up`
    registers as a context comes from this state."""
    sb = Sandbox(tmp_path / "sandbox")
    sb.state = SandboxState(
        token="t", members=[MemberProc(f"m{i}", p, p + 1) for i, p in enumerate(ports, 1)]
    )
    return sb


def test_sandbox_up_leaves_a_commented_config_byte_for_byte(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(COMMENTED)
    cfg.chmod(0o644)
    before = cfg.read_bytes()
    sandbox_cmds.register_context(fake_sandbox(tmp_path), "sandbox", str(cfg))  # as cmd_up
    assert cfg.read_bytes() == before
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o644
    loaded = load_config(cfg)
    assert set(loaded.contexts) == {"prod", "sandbox"}
    assert loaded.contexts["sandbox"].endpoints == (
        "https://127.0.0.1:23790",
        "https://127.0.0.1:23793",
    )
    assert loaded.current_context == "prod"  # the operator's choice stands
    assert loaded.contexts["prod"].read_only
    generated = generated_path(cfg)
    assert generated == tmp_path / "config.generated.yaml"
    assert stat.S_IMODE(generated.stat().st_mode) == 0o600
    # a second `sandbox up` refreshes the generated context, still without touching cfg
    sandbox_cmds.register_context(fake_sandbox(tmp_path, (24000,)), "sandbox", str(cfg))
    assert cfg.read_bytes() == before
    assert load_config(cfg).contexts["sandbox"].endpoints == ("https://127.0.0.1:24000",)


def test_the_sandbox_becomes_current_only_when_nothing_is(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    sandbox_cmds.register_context(fake_sandbox(tmp_path), "sandbox", str(cfg))
    assert not cfg.exists()
    assert load_config(cfg).current_context == "sandbox"


def test_a_context_an_older_etcdtui_wrote_into_config_yaml_keeps_working(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(OLD_REWRITTEN)
    loaded = load_config(cfg)
    assert loaded.current_context == "sandbox"
    assert loaded.contexts["sandbox"].endpoints == ("https://127.0.0.1:23790",)
    # the sandbox comes back on other ports: the fresh generated context wins
    sandbox_cmds.register_context(fake_sandbox(tmp_path, (25000,)), "sandbox", str(cfg))
    assert cfg.read_text() == OLD_REWRITTEN
    loaded = load_config(cfg)
    assert loaded.current_context == "sandbox"
    assert list(loaded.contexts) == ["sandbox"]
    assert loaded.contexts["sandbox"].endpoints == ("https://127.0.0.1:25000",)


@pytest.mark.parametrize("which", ["config.yaml", "config.generated.yaml"])
def test_a_bad_key_is_named_with_its_file_line_and_fix(tmp_path: Path, which: str) -> None:
    cfg = tmp_path / "config.yaml"
    good = "contexts:\n  - name: a\n    endpoints: [https://h:2379]\n"
    bad = "contexts:\n  - name: b\n    endpoints: [https://h:2379]\n    ca-cert: /x.crt\n"
    cfg.write_text(bad if which == "config.yaml" else good)
    (tmp_path / "config.generated.yaml").write_text(bad if which != "config.yaml" else good)
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert info.value.cause.startswith(f"{tmp_path / which}, line 4: ")
    assert "unknown key 'ca-cert' in context 'b'" in info.value.cause
    assert "cacert" in info.value.fix


@pytest.mark.parametrize(
    ("text", "line", "cause"),
    [
        ("ui:\n  theme: x\n  refresh-interval: -1\n", 3, "refresh-interval"),
        ("ui:\n  colour: red\n", 2, "unknown key 'colour' in ui"),
        ("# c\ncontextz: []\n", 2, "unknown key 'contextz'"),
        (
            "contexts:\n  - name: a\n    endpoints: [https://h:2379]\n    timeout: 5s\n",
            4,
            "timeout",
        ),
        (
            "contexts:\n- name: a\n  endpoints: [h:2379]\n- name: a\n  endpoints: [h:1]\n",
            4,
            "twice",
        ),
        ("current-context: zz\ncontexts: []\n", 1, "'zz'"),
        ("contexts:\n  - name: a\n", 2, "no endpoints"),
    ],
)
def test_bad_values_name_their_line(tmp_path: Path, text: str, line: int, cause: str) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert info.value.cause.startswith(f"{cfg}, line {line}: ")
    assert cause in info.value.cause


def test_the_generated_file_holds_no_ui_settings(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    generated_path(cfg).write_text("ui:\n  theme: x\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert "config.generated.yaml, line 1: unknown key 'ui'" in info.value.cause


def test_use_and_remove_respect_the_operators_file(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(COMMENTED)
    before = cfg.read_bytes()
    save_context(Context("lab", ("https://lab:2379",)), cfg)
    with pytest.raises(ConfigError) as info:  # current-context is set by the operator
        use_context("lab", cfg)
    assert info.value.cause.startswith(f"{cfg}, line 2: ")
    assert "--context lab" in info.value.fix
    with pytest.raises(ConfigError) as info:  # prod is the operator's, not etcdtui's
        remove_context("prod", cfg)
    assert info.value.cause.startswith(f"{cfg}, line 6: ")
    remove_context("lab", cfg)
    assert set(load_config(cfg).contexts) == {"prod"}
    with pytest.raises(UnknownContext):
        remove_context("lab", cfg)
    assert cfg.read_bytes() == before
