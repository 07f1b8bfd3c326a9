"""Saved contexts that dial a sandbox follow its membership: the service layer only tells
its followers (it never imports the config), and every command registers the config's
contexts as one (cli.main, through which the console opens too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from etcdtui.cli import main
from etcdtui.config import load_config
from etcdtui.ops.contexts import refresh_contexts, register_context
from etcdtui.services import sandbox_followers
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import MemberProc, SandboxState


def fake_sandbox(tmp_path: Path, ports: tuple[int, ...]) -> Sandbox:
    sb = Sandbox(tmp_path / "sandbox")
    sb.state = SandboxState(
        token="t", members=[MemberProc(f"m{i}", p, p + 1) for i, p in enumerate(ports, 1)]
    )
    return sb


@pytest.fixture
def no_followers(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    fresh: list[object] = []
    monkeypatch.setattr(sandbox_followers, "_followers", fresh)
    return fresh


def test_a_command_makes_the_saved_contexts_follow_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_followers: list[object]
) -> None:
    monkeypatch.setenv("ETCDTUI_CONFIG_DIR", str(tmp_path / "config"))
    sb = fake_sandbox(tmp_path, (23790, 23793))
    register_context(sb, "sandbox")
    assert sb.state is not None
    sb.state.members[1].removed = True
    sandbox_followers.members_changed(sb)  # nobody follows yet: the context is as written
    assert len(load_config(None).contexts["sandbox"].endpoints) == 2

    with pytest.raises(SystemExit):
        main(["--version"])  # any command registers the follower, once
    assert no_followers == [refresh_contexts]
    sandbox_followers.members_changed(sb)
    assert load_config(None).contexts["sandbox"].endpoints == ("https://127.0.0.1:23790",)
