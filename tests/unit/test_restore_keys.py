"""Encrypted restores, without etcd: the plan decrypts in memory and never carries a key;
the console explains missing keys in its own words (issue 12, item 2)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pyrage
import pytest

from etcdtui.services.procedures import restore as restore_mod
from etcdtui.services.procedures.restore import build_restore_plan
from etcdtui.services.snapshots.errors import IdentityRequired
from etcdtui.services.snapshots.open_file import DecryptKeys
from tests.support.plans import clock, restore_request, snap_facts, tokens


def test_encrypted_plan_decrypts_in_memory_and_holds_no_key() -> None:
    snap = dataclasses.replace(snap_facts(), encrypted=True)
    restore_mod.remember_keys(snap.path, DecryptKeys(passphrase="never-in-a-plan"))
    plan = build_restore_plan(snap, restore_request(), tokens=tokens, clock=clock)
    runs = [s for s in plan.steps if s.id.startswith("restore-")]
    assert runs and all(s.action == "restore.run-decrypted" for s in runs)
    for s in runs:
        assert s.params["snapshot"] == s.command[int(s.params["arg"])]
        assert "age --decrypt" in s.shown_command and "/dev/shm/" in s.shown_command
    text = json.dumps(plan.as_dict())
    assert "never-in-a-plan" not in text
    plain = build_restore_plan(snap_facts(), restore_request(), tokens=tokens, clock=clock)
    assert all(s.action == "host.run" for s in plain.steps if s.id.startswith("restore-"))


def test_console_restore_without_keys_says_press_k(tmp_path: Path) -> None:
    from etcdtui.ui.wizard_launch import build_plan
    from tests.support.fakes import fake_settings

    enc = tmp_path / "snap.db.age"
    enc.write_bytes(pyrage.passphrase.encrypt(b"x" * 100, "pw"))

    def no_service(_settings: object) -> Any:
        raise AssertionError("the snapshot is checked before anything is dialled")

    with pytest.raises(IdentityRequired) as caught:
        asyncio.run(build_plan("restore", str(enc), fake_settings(), None, no_service))
    assert "press 4" in caught.value.fix.lower() and " k " in caught.value.fix
    assert "--passphrase-file" not in caught.value.fix
