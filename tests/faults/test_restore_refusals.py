"""Scenarios 12 and 13: restores that must not start, refused while the console watches
and a writer runs: a corrupt, a truncated and another cluster's snapshot, and a restore
into data dirs that already exist. Nothing is moved, the cluster keeps serving."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.executor import plan_state_dir
from etcdtui.services.sandbox import Sandbox
from tests.support.crash_helpers import wizard
from tests.support.faults import AckWriter, probe_keys, verify_acked
from tests.support.helpers import etcdctl
from tests.support.pilot_helpers import real_app, rows, until


def _healthy(app: object) -> bool:
    r = rows(app)  # type: ignore[arg-type]
    return len(r) == 3 and all(x.health.startswith("✔") for x in r.values())


def _saved_wizards() -> set[str]:
    return {p.name for p in plan_state_dir().glob("*.json")} if plan_state_dir().exists() else set()


def _data_dirs(sb: Sandbox) -> dict[str, tuple[int, int]]:
    """Each member's data dir, by inode and mtime of its member/ dir: a restore that
    moved it aside or recreated it changes these."""
    out = {}
    for name in ("m1", "m2", "m3"):
        st = (sb.data_dir(name) / "member").stat()
        out[name] = (st.st_ino, st.st_dev)
    return out


async def _refused(sb: Sandbox, *args: str) -> str:
    proc = await asyncio.to_thread(
        wizard, ["restore", *args, "--sandbox-dir", str(sb.dir), "--execute", "--yes"], None
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    return proc.stderr


@pytest.mark.parametrize("case", ["corrupt", "truncated", "another-cluster", "existing-dir"])
async def test_bad_restores_are_refused_and_change_nothing(
    faulty: Callable[..., Sandbox], tmp_path: Path, case: str
) -> None:
    sb = faulty(3, fault_proxy=False)
    snap = tmp_path / "snap.db"
    etcdctl(sb, "snapshot", "save", str(snap), endpoints=[sb.settings().endpoints[0]])
    if case == "corrupt":
        data = bytearray(snap.read_bytes())
        data[4096 + 100] ^= 0xFF
        snap.write_bytes(bytes(data))
    elif case == "truncated":
        data = snap.read_bytes()
        snap.write_bytes(data[: len(data) // 2])
    elif case == "another-cluster":
        other = faulty(1, fault_proxy=False)
        etcdctl(other, "snapshot", "save", str(snap), endpoints=[other.settings().endpoints[0]])
        other.down()
    app = real_app(sb.settings(), AuditLog(tmp_path / "audit.jsonl"))
    writer = AckWriter(sb, f"/faults/s12-{case}")
    dirs, files = _data_dirs(sb), _saved_wizards()
    with writer:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: _healthy(app), what="3 healthy rows")
            await until(pilot, lambda: writer.log.ok >= 5, what="first acknowledged writes")
            if case == "existing-dir":
                target = tmp_path / "target"
                for name in ("m1", "m2", "m3"):
                    (target / name).mkdir(parents=True)
                    (target / name / "precious").write_text("keep me")
                err = await _refused(
                    sb,
                    str(snap),
                    "--acknowledge-risks",
                    "--data-dir-template",
                    str(target / "{name}"),
                )
                assert "already exists" in err and str(target) in err, err
                assert (target / "m1" / "precious").read_text() == "keep me"
            elif case == "another-cluster":
                err = await _refused(sb, str(snap))
                assert "--acknowledge-risks" in err, err
                plan = await asyncio.to_thread(
                    wizard, ["restore", str(snap), "--sandbox-dir", str(sb.dir), "-o", "json"], None
                )
                assert "another cluster" in plan.stdout, plan.stdout[-2000:]
            else:
                err = await _refused(sb, str(snap), "--acknowledge-risks")
                want = "corrupt" if case == "corrupt" else "truncated"
                assert want in err.lower(), err
            # the console kept running and answering; the cluster kept serving
            await probe_keys(pilot, app, f"12/13 restore refused ({case})")
            assert _healthy(app), rows(app)
            acked = writer.log.ok
            await until(pilot, lambda: writer.log.ok >= acked + 5, what="writes go on")
    assert _data_dirs(sb) == dirs, "a refused restore touched a data dir"
    assert not list(sb.data_dir("m1").parent.glob("*.before-restore-*"))
    assert _saved_wizards() == files
    async with ClusterService(sb.settings(timeout=3.0)) as svc:
        assert len((await svc.members()).members) == 3
    log = writer.stop()
    assert verify_acked(sb, log) > 0
