"""Restore from an age-encrypted snapshot (identity and passphrase), CLI and console path,
against real etcd with mTLS: every key is back and no plaintext file is left behind."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyrage
import pytest

from etcdtui.cli.procedure_cmds import run_cli
from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.executor import AutoOperator, Executor
from etcdtui.services.procedures import restore as restore_mod
from etcdtui.services.procedures.sandbox_host import SandboxHost
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.snapshots.open_file import DecryptKeys
from tests.support.helpers import etcdctl

pytestmark = pytest.mark.etcd

MARKER = b"plaintext-marker-7f3a9c"


def put_many(sb: Sandbox, n: int) -> None:
    async def go() -> None:
        async with ClusterService(sb.settings()) as svc:
            await asyncio.gather(
                *(svc.put(f"enc/{i:03d}".encode(), MARKER + str(i).encode()) for i in range(n))
            )

    asyncio.run(go())


def values(sb: Sandbox) -> dict[str, str]:
    out = etcdctl(sb, "get", "enc/", "--prefix").stdout.splitlines()
    return dict(zip(out[0::2], out[1::2], strict=True))


def kill_all(sb: Sandbox) -> None:
    assert sb.state is not None
    for m in sb.state.members:
        sb.kill(m.name)


def files_with_marker(*roots: Path, skip: tuple[Path, ...] = ()) -> list[Path]:
    found = []
    for root in roots:
        for dirpath, _dirs, names in os.walk(root):
            if any(Path(dirpath).is_relative_to(s) for s in skip):
                continue
            for n in names:
                p = Path(dirpath) / n
                try:
                    if p.is_file() and MARKER in p.read_bytes():
                        found.append(p)
                except OSError:
                    continue
    return found


def encrypted_snapshot(sb: Sandbox, tmp_path: Path, *, passphrase: str | None) -> Path:
    plain = tmp_path / "plain.db"
    etcdctl(sb, "snapshot", "save", str(plain), endpoints=[sb.settings().endpoints[0]])
    data = plain.read_bytes()
    assert MARKER in data
    if passphrase is not None:
        blob = pyrage.passphrase.encrypt(data, passphrase)
    else:
        ident = pyrage.x25519.Identity.generate()
        (tmp_path / "key.txt").write_text(str(ident) + "\n")
        blob = pyrage.encrypt(data, [ident.to_public()])
    plain.unlink()  # only the encrypted file exists from here on
    enc = tmp_path / "snap.db.age"
    enc.write_bytes(blob)
    return enc


def _check_restored(sb: Sandbox, tmp_path: Path, want: dict[str, str], before: set[str]) -> None:
    assert values(sb) == want  # every key and value is back
    # No plaintext anywhere but the new (and moved-aside) data dirs.
    data_root = sb.dir / "data"
    assert files_with_marker(tmp_path, sb.dir, skip=(data_root,)) == []
    shm = Path("/dev/shm")
    new_tmp = {
        str(p) for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith("etcdtui")
    } - before
    assert files_with_marker(*(Path(p) for p in new_tmp)) == []
    if shm.is_dir():
        assert files_with_marker(shm) == []


def _tmp_etcdtui() -> set[str]:
    return {str(p) for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith("etcdtui")}


def test_cli_restore_from_identity_encrypted_snapshot(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    put_many(sb, 40)
    want = values(sb)
    enc = encrypted_snapshot(sb, tmp_path, passphrase=None)
    kill_all(sb)
    before = _tmp_etcdtui()

    # Without a key the restore is refused before anything is stopped, naming the flags.
    rc = run_cli(["restore", str(enc), "--sandbox-dir", str(sb.dir), "--execute", "--yes"])
    err = capsys.readouterr().err
    assert rc != 0 and "--identity" in err

    rc = run_cli(
        [
            "restore",
            str(enc),
            "--identity",
            str(tmp_path / "key.txt"),
            "--sandbox-dir",
            str(sb.dir),
            "--execute",
            "--yes",
        ]
    )
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    _check_restored(sb, tmp_path, want, before)


def test_cli_restore_from_passphrase_encrypted_snapshot(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = fresh_cluster(3)
    put_many(sb, 40)
    want = values(sb)
    enc = encrypted_snapshot(sb, tmp_path, passphrase="correct horse battery")
    kill_all(sb)
    pw = tmp_path / "pw.txt"
    pw.write_text("wrong\n")
    rc = run_cli(
        [
            "restore",
            str(enc),
            "--passphrase-file",
            str(pw),
            "--sandbox-dir",
            str(sb.dir),
            "--execute",
            "--yes",
        ]
    )
    err = capsys.readouterr().err
    assert rc != 0 and "decrypt" in err.lower()
    assert not list((sb.dir / "data").glob("*.before-restore-*"))  # nothing was touched

    pw.write_text("correct horse battery\n")
    before = _tmp_etcdtui()
    rc = run_cli(
        [
            "restore",
            str(enc),
            "--passphrase-file",
            str(pw),
            "--sandbox-dir",
            str(sb.dir),
            "--execute",
            "--yes",
        ]
    )
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    _check_restored(sb, tmp_path, want, before)
    # The plan saved for --resume and the audit log never hold the passphrase.
    from etcdtui.services.executor import plan_state_dir

    for p in plan_state_dir().glob("*.json"):
        assert "correct horse" not in p.read_text()


def test_console_restore_uses_the_session_keys(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """The console's `:restore FILE` path: build_plan with the keys given by `k` in the
    snapshots pane, then the executor the wizard screen drives."""
    from etcdtui.ui.wizard_launch import build_plan

    sb = fresh_cluster(3)
    put_many(sb, 30)
    want = values(sb)
    enc = encrypted_snapshot(sb, tmp_path, passphrase="pane passphrase")
    kill_all(sb)
    restore_mod._KEYS.clear()
    keys = DecryptKeys(passphrase="pane passphrase")
    plan = asyncio.run(build_plan("restore", str(enc), sb.settings(), keys))
    assert any(s.action == "restore.run-decrypted" for s in plan.steps)
    before = _tmp_etcdtui()
    audit = AuditLog(tmp_path / "audit.jsonl")
    ex = Executor(plan, sb.settings(), operator=AutoOperator(), host=SandboxHost(sb), audit=audit)
    ex.assume_yes = True
    asyncio.run(ex.run())
    _check_restored(sb, tmp_path, want, before)
    # Every step of the restore is in the audit log (issue 12, item 13), no passphrase.
    steps = [r for r in audit.read() if r["action"] == "plan-step"]
    assert [r["params"]["step"] for r in steps] == [s.id for s in plan.steps]
    assert all(r["params"]["kind"] == "restore" for r in steps)
    assert {r["params"]["status"] for r in steps} <= {"done", "skipped"}
    assert "pane passphrase" not in (tmp_path / "audit.jsonl").read_text()
