"""No password reaches the environment of a child process (issue 11, item 4).

The etcd members that etcdtui starts (sandbox, wizards) and the commands it runs for a
plan step (etcdutl, etcdctl) are read through ``/proc/<pid>/environ`` while they run.
A source scan keeps every future ``subprocess`` call on the scrubbed environment."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import etcdtui
from etcdtui.services.procedures.sandbox_host import SandboxHost
from etcdtui.services.sandbox import Sandbox

PASSWORD = "Child-Env-Pw-5f0c2e81-never-inherited"
SECRETS = {
    "ETCDTUI_PASSWORD": PASSWORD,
    "ETCDCTL_PASSWORD": PASSWORD,
    "ETCDCTL_USER": f"root:{PASSWORD}",
}


def _environ(pid: int) -> bytes:
    return Path(f"/proc/{pid}/environ").read_bytes()


@pytest.mark.etcd
def test_etcd_members_started_by_etcdtui_never_hold_the_password(tmp_path: Path) -> None:
    d = tmp_path / "sb"
    env = {**os.environ, **SECRETS, "ETCDTUI_SANDBOX_DIR": str(d)}
    argv = [sys.executable, "-m", "etcdtui", "sandbox", "up", "--members", "1"]
    up = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    sandbox = Sandbox(d)
    try:
        # (exit 1 only reports that one member tolerates no failure)
        assert up.returncode in (0, 1) and "running" in up.stdout, up.stderr
        assert sandbox.state is not None
        pids = [m.pid for m in sandbox.state.members if m.pid]
        assert pids
        for pid in pids:
            environ = _environ(pid)
            assert b"PATH=" in environ  # we did read the member's environment
            assert PASSWORD.encode() not in environ
            for name in SECRETS:
                assert f"{name}=".encode() not in environ
    finally:
        sandbox.down()


def test_plan_step_commands_get_a_scrubbed_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    host = SandboxHost(Sandbox(tmp_path / "none"))
    script = "import os; print(open('/proc/self/environ','rb').read().decode(errors='replace'))"
    out = host.run([sys.executable, "-c", script], {"ETCDCTL_API": "3", "SOME_TOKEN": "x"})
    assert "ETCDCTL_API=3" in out
    assert PASSWORD not in out and "SOME_TOKEN" not in out


def _subprocess_calls(tree: ast.AST) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if (
                isinstance(owner, ast.Name)
                and owner.id in ("subprocess", "asyncio", "os")
                and node.func.attr
                in (
                    "run",
                    "Popen",
                    "call",
                    "check_call",
                    "check_output",
                    "create_subprocess_exec",
                    "create_subprocess_shell",
                    "system",
                    "execv",
                    "execve",
                    "execvp",
                    "spawnv",
                    "posix_spawn",
                )
                and not (owner.id == "asyncio" and node.func.attr == "run")
            ):
                calls.append(node)
    return calls


def test_every_child_process_gets_the_scrubbed_environment() -> None:
    root = Path(etcdtui.__file__).parent
    found = 0
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for call in _subprocess_calls(tree):
            found += 1
            env = next((k.value for k in call.keywords if k.arg == "env"), None)
            ok = (
                isinstance(env, ast.Call)
                and isinstance(env.func, ast.Name)
                and env.func.id == "scrubbed_env"
            )
            if not ok:
                offenders.append(f"{path.relative_to(root)}:{call.lineno}")
    assert found >= 3  # the scan does see the spawns
    assert offenders == [], f"child processes without env=scrubbed_env(...): {offenders}"
