"""`snapshot status` and `verify` through the CLI on a real snapshot big enough to have
branch pages, overflow pages and leaves with many elements: the numbers equal
`etcdutl snapshot status` on the same file (also on a damaged copy, where etcd's hash
moves with the damage), the verification record is shown and dropped when the file
changes, and `--verify` still names a flipped byte and a cut file."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.snapshots.bolt import BRANCH_PAGE, BoltDB
from tests.support.helpers import etcdctl, etcdutl_status

pytestmark = pytest.mark.etcd

FIELDS = ("hash", "revision", "totalKey", "totalSize")


async def _fill(sandbox: Sandbox) -> None:
    rng = random.Random(7)
    async with ClusterService(sandbox.settings(timeout=30)) as svc:
        batch = []
        for i in range(3000):
            # small values: leaves of many elements; every 50th: overflow pages
            size = 6000 if i % 50 == 0 else rng.randrange(20, 300)
            key = f"/registry/configmaps/ns-{i % 7}/cm-{i:05d}".encode()
            batch.append(svc.put(key, rng.randbytes(size)))
            if len(batch) == 100:
                await asyncio.gather(*batch)
                batch = []
        await asyncio.gather(*batch)
        for i in range(0, 3000, 9):  # a second revision of some keys
            await svc.put(f"/registry/configmaps/ns-{i % 7}/cm-{i:05d}".encode(), b"v2")


@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("multilevel")
    sandbox = Sandbox(base / "sandbox")
    try:
        sandbox.up(1)
        asyncio.run(_fill(sandbox))
        path = base / "multi.db"
        etcdctl(sandbox, "snapshot", "save", str(path))
        sandbox.down()
        yield path
    finally:
        sandbox.down()
        shutil.rmtree(base / "sandbox", ignore_errors=True)  # 64 MB WAL segments


def cli(state: Path, *args: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "etcdtui", "snapshot", *args, "-o", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "ETCDTUI_STATE_DIR": str(state)},
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return proc.returncode, out


def _branch_pages(path: Path) -> int:
    with BoltDB.open(path) as db:
        mm, ps = db.mm, db.page_size
        return sum(
            1
            for pgid in range(2, db.hwm)
            if int.from_bytes(mm[pgid * ps : pgid * ps + 8], "little") == pgid
            and int.from_bytes(mm[pgid * ps + 8 : pgid * ps + 10], "little") == BRANCH_PAGE
        )


def test_status_and_verify_equal_etcdutl_on_a_multilevel_snapshot(
    snap: Path, tmp_path: Path
) -> None:
    assert _branch_pages(snap) > 0  # the walk goes through branch pages
    theirs = etcdutl_status(snap)
    code, ours = cli(tmp_path, "status", str(snap))
    assert code == 0
    assert {k: ours[k] for k in FIELDS} == {k: theirs[k] for k in FIELDS}
    assert ours["sha256"]["state"] == "unchecked"
    code, full = cli(tmp_path, "status", "--verify", str(snap))
    assert (code, full["sha256"]["state"]) == (0, "valid")
    assert {k: full[k] for k in FIELDS} == {k: theirs[k] for k in FIELDS}
    # verify walks the structure beside the sha256 without reading the values for
    # etcdutl's CRC: the counts are etcdutl's, the content hash is left to status
    code, checked = cli(tmp_path, "verify", str(snap))
    assert (code, checked["cause"]) == (0, "ok")
    counts = FIELDS[1:]
    assert {k: checked["status"][k] for k in counts} == {k: theirs[k] for k in counts}
    assert checked["status"]["hash"] is None


def test_a_damaged_value_moves_the_hash_as_etcdutl_sees_it(snap: Path, tmp_path: Path) -> None:
    data = bytearray(snap.read_bytes())
    at = data.index(b"/registry/configmaps/ns-2/cm-01500") + 200  # inside its 6 kB value
    data[at] ^= 0x01
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(data))
    theirs = etcdutl_status(damaged)
    assert theirs["hash"] != etcdutl_status(snap)["hash"]
    code, ours = cli(tmp_path, "status", str(damaged))
    assert {k: ours[k] for k in FIELDS} == {k: theirs[k] for k in FIELDS}
    code, full = cli(tmp_path, "status", "--verify", str(damaged))
    assert full["sha256"]["state"] == "mismatch"
    assert full["sha256"]["verified"]["result"] == "sha256-mismatch"
    code, res = cli(tmp_path, "verify", str(damaged))
    assert (code, res["cause"]) == (1, "sha256-mismatch")


def test_a_cut_file_is_truncated(snap: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.db"
    cut.write_bytes(snap.read_bytes()[: snap.stat().st_size // 2])
    code, res = cli(tmp_path, "verify", str(cut))
    assert (code, res["cause"]) == (1, "truncated")


def test_the_record_is_shown_until_the_file_changes(snap: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy2(snap, copy)
    state = tmp_path / "state"
    assert cli(state, "status", str(copy))[1]["sha256"]["verified"] is None
    assert cli(state, "verify", str(copy))[1]["cause"] == "ok"
    shown = cli(state, "status", str(copy))[1]["sha256"]["verified"]
    assert (shown["result"], shown["source"]) == ("ok", "cache")
    assert shown["at"]
    st = copy.stat()
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # touch
    assert cli(state, "status", str(copy))[1]["sha256"]["verified"] is None
