"""`snapshot save` against real etcd: integrity, file safety, source choice, age round trips."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import pty
import select
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pyrage
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from etcdtui import errors
from etcdtui.cluster_data import EndpointStatus, HashKV, Member, MemberList, hex_id
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.snapshots import save as save_mod
from etcdtui.services.snapshots.crypto import (
    PassphraseInvalid,
    RecipientInvalid,
    build_encryption,
)
from etcdtui.services.snapshots.errors import NoSafeSource, SaveError, StreamCorrupt, TargetExists
from etcdtui.services.snapshots.save import save_snapshot
from etcdtui.services.snapshots.save_source import LAG_LIMIT, choose_source
from tests.support.helpers import conn_flags, etcdctl, etcdutl_status, wait_for

AGE = shutil.which("age")
needs_age = pytest.mark.skipif(AGE is None, reason="the age CLI is not installed (apt install age)")


# --- helpers ------------------------------------------------------------------------------


def trailer_ok(data: bytes) -> bool:
    return len(data) > 32 and hashlib.sha256(data[:-32]).digest() == data[-32:]


def leader_id(sandbox: Sandbox) -> int:
    out = etcdctl(sandbox, "endpoint", "status", "-w", "json").stdout
    return int(json.loads(out)[0]["Status"]["leader"])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_cli(
    sandbox: Sandbox, *argv: str, flags_first: bool = False
) -> subprocess.CompletedProcess[str]:
    """`etcdtui snapshot save ...` in a subprocess (stdout/stderr are pipes, not TTYs)."""
    s = sandbox.settings()
    conn = [
        *conn_flags(s),
    ]
    cmd = ["snapshot", "save", *argv]
    args = [*conn, *cmd] if flags_first else [*cmd, *conn]
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args], capture_output=True, text=True, timeout=120
    )


def age_decrypt(src: Path, dst: Path, identity: Path) -> None:
    assert AGE is not None
    subprocess.run(
        [AGE, "-d", "-i", str(identity), "-o", str(dst), str(src)],
        check=True,
        capture_output=True,
        timeout=60,
    )


def age_decrypt_passphrase(src: Path, dst: Path, passphrase: str) -> int:
    """age reads passphrases from its terminal only: give it a pseudo-terminal."""
    assert AGE is not None
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execv(AGE, [AGE, "-d", "-o", str(dst), str(src)])  # noqa: S606 (fixed argv)
    seen, sent = b"", False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _w, _x = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                data = os.read(fd, 1024)
            except OSError:
                break
            if not data:
                break
            seen += data
            if not sent and b"passphrase" in seen.lower():
                os.write(fd, passphrase.encode() + b"\n")
                sent = True
    finally:
        os.close(fd)
        _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# --- plain save ---------------------------------------------------------------------------


async def test_plain_save_is_valid_private_and_described(cluster: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "snap.db"
    seen: list[Any] = []
    async with ClusterService(cluster.settings()) as svc:
        await svc.put(b"/test/save/plain", b"v" * 2000)
        result = await save_snapshot(svc, target, progress=seen.append)
        members = await svc.members()

    data = target.read_bytes()
    assert trailer_ok(data)
    assert mode(target) == 0o600 and mode(result.sidecar) == 0o600
    assert leftovers(tmp_path) == ["snap.db", "snap.db.json"]
    status = etcdutl_status(target)  # etcd's own tool accepts the file
    assert status["totalKey"] > 0

    meta = json.loads(result.sidecar.read_text())
    assert meta["cluster_id"] == hex_id(members.cluster_id)
    assert meta["source"]["member_id"] == hex_id(leader_id(cluster))
    assert meta["source"]["name"] == members.by_id(leader_id(cluster)).name  # type: ignore[union-attr]
    assert meta["source"]["endpoint"] in cluster.settings().endpoints
    assert "leader" in meta["source"]["reason"]
    assert meta["etcd_version"].startswith("3.5")
    assert meta["size"] == len(data) == meta["snapshot_size"]
    assert meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert meta["encrypted"] is False and meta["recipients"] == []
    # nothing writes to the cluster during this save: the revision is exact, and it is
    # the snapshot's own revision as etcd's tool reads it
    assert meta["revision_exact"] is True
    assert meta["revision"] == status["revision"]
    assert meta["time"].endswith("Z")

    assert seen[-1].done and seen[-1].received == seen[-1].total == len(data)


async def test_refuses_to_overwrite_unless_forced(cluster: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "snap.db"
    target.write_bytes(b"precious")
    async with ClusterService(cluster.settings()) as svc:
        with pytest.raises(TargetExists):
            await save_snapshot(svc, target)
        assert target.read_bytes() == b"precious"
        assert leftovers(tmp_path) == ["snap.db"]
        await save_snapshot(svc, target, force=True)
    assert trailer_ok(target.read_bytes())
    assert mode(target) == 0o600


async def test_a_part_file_a_live_save_holds_is_not_clobbered(
    cluster: Sandbox, tmp_path: Path
) -> None:
    import fcntl

    part = tmp_path / "snap.db.part"
    part.write_bytes(b"x")
    fd = os.open(part, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as the saving process holds it
        async with ClusterService(cluster.settings()) as svc:
            with pytest.raises(SaveError, match="a running save is writing it"):
                await save_snapshot(svc, tmp_path / "snap.db")
        assert part.read_bytes() == b"x"
    finally:
        os.close(fd)


async def test_a_part_file_left_by_a_killed_save_is_replaced(
    cluster: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "snap.db.part").write_bytes(b"x")  # nobody holds it: its saver is gone
    (tmp_path / "snap.db.json.part").write_bytes(b"{")
    async with ClusterService(cluster.settings()) as svc:
        await save_snapshot(svc, tmp_path / "snap.db")
    assert leftovers(tmp_path) == ["snap.db", "snap.db.json"]
    assert trailer_ok((tmp_path / "snap.db").read_bytes())


async def test_cancel_mid_stream_leaves_nothing(cluster: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "snap.db"
    saw_part: list[bool] = []
    async with ClusterService(cluster.settings()) as svc:
        await svc.put(b"/test/save/bulk", os.urandom(200_000))  # several 32 KiB chunks
        task: asyncio.Task[Any] | None = None

        def on_progress(p: Any) -> None:
            saw_part.append((tmp_path / "snap.db.part").exists())
            assert task is not None
            task.cancel()  # like Ctrl-C: asyncio.run cancels the main task

        task = asyncio.create_task(save_snapshot(svc, target, progress=on_progress))
        with pytest.raises(asyncio.CancelledError):
            await task
    assert saw_part == [True]
    assert leftovers(tmp_path) == []


async def test_write_failure_leaves_nothing(
    cluster: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = save_mod._Output.write
    calls = {"n": 0}

    def failing(self: Any, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_write(self, data)

    monkeypatch.setattr(save_mod._Output, "write", failing)
    async with ClusterService(cluster.settings()) as svc:
        await svc.put(b"/test/save/bulk", os.urandom(200_000))
        with pytest.raises(SaveError, match="No space left"):
            await save_snapshot(svc, tmp_path / "snap.db")
    assert leftovers(tmp_path) == []


async def test_corrupt_stream_is_refused(
    cluster: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = save_mod._TrailerCheck.update

    def flip(self: Any, data: bytes) -> None:  # one bit flipped in transit
        real(self, bytes([data[0] ^ 1]) + data[1:] if self.size == 0 else data)

    monkeypatch.setattr(save_mod._TrailerCheck, "update", flip)
    async with ClusterService(cluster.settings()) as svc:
        with pytest.raises(StreamCorrupt, match="sha256"):
            await save_snapshot(svc, tmp_path / "snap.db")
    assert leftovers(tmp_path) == []


def test_cli_plain_save_prints_source_and_progress(cluster: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "cli.db"
    out = run_cli(cluster, str(target))
    assert out.returncode == 0, out.stderr
    assert "is the leader" in out.stdout and "sha256" in out.stdout
    assert "received 100%" in out.stderr  # plain progress lines: stderr is not a TTY
    assert "\r" not in out.stderr
    assert trailer_ok(target.read_bytes())
    again = run_cli(cluster, str(target))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    # connection flags given before the command are not reset by the subcommand's own
    forced = run_cli(cluster, str(target), "--force", "-o", "json", flags_first=True)
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name
)
def test_a_signal_mid_stream_leaves_nothing_in_the_way(
    fresh_cluster: Any, tmp_path: Path, signum: signal.Signals
) -> None:
    """Ctrl-C, `timeout` (SIGTERM) and a closed terminal (SIGHUP) remove the .part; after
    SIGKILL the .part stays, but nobody owns it, so the next save replaces it."""
    sb = fresh_cluster(1)
    member = sb.state.members[0].name
    asyncio.run(_fill(sb, 10 * 1024 * 1024))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "s.db"
    s = sb.settings()
    # Ctrl-C as at an interactive shell: a worker started as a background job (`&` in a
    # non-interactive shell) ignores SIGINT, and an ignored signal stays ignored across
    # exec, so the save would rightly ignore it too. A handled signal is reset to its
    # default at exec: handle it here while the child starts (no preexec_fn: a fork with
    # grpc's threads running may abort the child).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-X",
                "faulthandler",  # SIGABRT dumps every thread's stack: see the timeout below
                "-m",
                "etcdtui",
                "snapshot",
                "save",
                str(target),
                *conn_flags(s),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    paused = False
    try:
        part = out_dir / "s.db.part"
        wait_for(
            lambda: part.exists() or proc.poll() is not None,
            timeout=60,
            interval=0.005,
            what="the .part file",
        )
        assert proc.poll() is None, "the save ended before it could be interrupted"
        sb.pause(member)  # the stream stalls: the signal lands mid-stream
        paused = True
        proc.send_signal(signum)
        try:
            _out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            _out, err = proc.communicate(timeout=10)
            pytest.fail(f"the save did not end within 30 s of {signum.name}; its threads:\n{err}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if paused:
            sb.resume(member)
    if signum == signal.SIGKILL:
        assert leftovers(out_dir) == ["s.db.part"]
        again = subprocess.run(
            [sys.executable, "-m", "etcdtui", "snapshot", "save", str(target), *conn_flags(s)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 0, again.stderr
        assert leftovers(out_dir) == ["s.db", "s.db.json"]
        assert trailer_ok(target.read_bytes())
        return
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    assert leftovers(out_dir) == []
    if signum != signal.SIGINT:
        assert signum.name in err


async def test_stalled_stream_fails_and_leaves_nothing(fresh_cluster: Any, tmp_path: Path) -> None:
    sb = fresh_cluster(1)
    member = sb.state.members[0].name
    await _fill(sb, 20 * 1024 * 1024)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    paused: list[bool] = []

    def pause_once(_p: Any) -> None:
        if not paused:
            sb.pause(member)  # the member hangs mid-stream
            paused.append(True)

    try:
        async with ClusterService(sb.settings()) as svc:
            with pytest.raises(errors.DeadlineExceeded, match="stalled"):
                await save_snapshot(svc, out_dir / "s.db", idle_timeout=1.0, progress=pause_once)
    finally:
        if paused:
            sb.resume(member)
    assert leftovers(out_dir) == []


async def _fill(sb: Sandbox, nbytes: int) -> None:
    value = os.urandom(100 * 1024)
    async with ClusterService(sb.settings(timeout=30)) as svc:

        async def worker(start: int) -> None:
            for i in range(start, nbytes // len(value), 8):
                await svc.put(f"/test/fill/{i}".encode(), value)

        await asyncio.gather(*(worker(k) for k in range(8)))


# --- source selection ---------------------------------------------------------------------


async def test_leader_is_the_default_source(cluster: Sandbox) -> None:
    async with ClusterService(cluster.settings()) as svc:
        src = await choose_source(svc)
    assert src.status.member_id == leader_id(cluster)
    assert src.warning is None


async def test_paused_member_named_explicitly_fails_with_deadline(
    fresh_cluster: Any, tmp_path: Path
) -> None:
    sb = fresh_cluster(3)
    assert sb.state is not None
    lead = leader_id(sb)
    async with ClusterService(sb.settings()) as svc:
        ms = await svc.members()
        follower = next(m for m in ms.members if m.id != lead)
        sb.pause(follower.name)
        try:
            out = tmp_path / "out"
            out.mkdir()
            with pytest.raises(errors.DeadlineExceeded):
                await save_snapshot(svc, out / "s.db", endpoint=follower.client_urls[0])
            assert leftovers(out) == []
            src = await choose_source(svc)  # by default the paused follower is not used
            assert src.status.member_id == lead
        finally:
            sb.resume(follower.name)


async def test_paused_leader_is_not_chosen(fresh_cluster: Any, tmp_path: Path) -> None:
    sb = fresh_cluster(3)
    old = leader_id(sb)
    async with ClusterService(sb.settings()) as svc:
        ms = await svc.members()
        old_name = ms.by_id(old).name  # type: ignore[union-attr]
        sb.pause(old_name)
        try:
            others = [m.client_urls[0] for m in ms.members if m.id != old]

            def new_leader() -> bool:
                out = etcdctl(sb, "endpoint", "status", "-w", "json", endpoints=others, check=False)
                if out.returncode != 0:
                    return False
                # etcdctl omits "leader" while there is none (JSON omitempty)
                leaders = {e["Status"].get("leader", 0) for e in json.loads(out.stdout)}
                return len(leaders) == 1 and old not in leaders and 0 not in leaders

            wait_for(new_leader, timeout=30, what="a new leader")
            src = await choose_source(svc)
            assert src.status.member_id != old
            result = await save_snapshot(svc, tmp_path / "s.db", source=src)
            assert trailer_ok(result.path.read_bytes())
        finally:
            sb.resume(old_name)


async def test_leaderless_choice_follows_the_hashkv_majority_on_real_etcd(
    fresh_cluster: Any, tmp_path: Path
) -> None:
    """The real-etcd twin of the HashKV branch: the leader hangs (SIGSTOP) and the two
    followers, with a 15 s election timeout, keep naming it for at least 15 s, so no
    healthy leader answers. The save comes from a follower whose HashKV the majority
    shares, says so in its sidecar, and etcd's own tool accepts the file."""
    sb = fresh_cluster(3, heartbeat_ms=250, election_ms=15000)
    old = leader_id(sb)
    async with ClusterService(sb.settings(timeout=1.5)) as svc:
        ms = await svc.members()
        old_name = ms.by_id(old).name  # type: ignore[union-attr]
        followers = {m.id for m in ms.members if m.id != old}
        await svc.put(b"/test/save/leaderless", b"v" * 100)
        sb.pause(old_name)
        try:
            result = await save_snapshot(svc, tmp_path / "s.db")
            # the choice was made while the followers still named the hung leader: no
            # election has finished (else the test would be checking the leader branch)
            others = [m.client_urls[0] for m in ms.members if m.id != old]
            out = etcdctl(sb, "endpoint", "status", "-w", "json", endpoints=others).stdout
            assert {int(e["Status"]["leader"]) for e in json.loads(out)} == {old}
        finally:
            sb.resume(old_name)
    meta = json.loads(result.sidecar.read_text())
    assert int(meta["source"]["member_id"], 16) in followers, meta["source"]
    assert "no healthy leader is known" in meta["source"]["reason"], meta["source"]
    assert "2 of 3 members share" in meta["source"]["reason"], meta["source"]
    assert trailer_ok(result.path.read_bytes())
    assert etcdutl_status(result.path)["totalKey"] > 0


async def test_quorum_lost_needs_an_explicit_member(fresh_cluster: Any, tmp_path: Path) -> None:
    sb = fresh_cluster(3)
    async with ClusterService(sb.settings()) as svc:
        ms = await svc.members()
        survivor, *dead = ms.members
        for m in dead:
            sb.kill(m.name)
        with pytest.raises(NoSafeSource):
            await choose_source(svc)
        result = await save_snapshot(svc, tmp_path / "s.db", endpoint=survivor.client_urls[0])
    assert result.source.warning is not None and "no leader" in result.source.warning
    assert trailer_ok(result.path.read_bytes())
    etcdutl_status(result.path)


class FakeService:
    """statuses/members/hashkv with fixed answers, for the leaderless branch."""

    def __init__(self, statuses: list[EndpointStatus], hashes: dict[str, int]) -> None:
        self._statuses = statuses
        self._hashes = hashes
        ids = [s.member_id for s in statuses]
        self._members = MemberList(
            1, tuple(Member(i, f"m{i}", (f"https://p{i}",), (f"https://c{i}",)) for i in ids)
        )

    async def members(self) -> MemberList:
        return self._members

    async def statuses(self) -> tuple[EndpointStatus, ...]:
        return tuple(self._statuses)

    async def hashkv(self, revision: int | None = None) -> tuple[HashKV, ...]:
        return tuple(
            HashKV(s.endpoint, s.member_id, self._hashes[s.endpoint], revision or 0, 0)
            for s in self._statuses
            if s.ok
        )


def _st(
    i: int, *, applied: int = 100, leader: int = 0, ok: bool = True, errs: tuple[str, ...] = ()
) -> EndpointStatus:
    return EndpointStatus(
        endpoint=f"https://c{i}",
        ok=ok,
        member_id=i,
        leader=leader,
        applied_index=applied,
        raft_index=applied,
        revision=50,
        errors=errs,
    )


async def test_leaderless_choice_follows_the_hashkv_majority() -> None:
    statuses = [_st(1, applied=120), _st(2, applied=110), _st(3, applied=130)]
    svc = FakeService(statuses, {"https://c1": 7, "https://c2": 7, "https://c3": 9})
    src = await choose_source(svc)  # type: ignore[arg-type]
    assert src.url == "https://c1"  # the most advanced member of the agreeing majority
    assert "2 of 3" in src.reason


async def test_leaderless_choice_skips_lagging_and_unhealthy_members() -> None:
    statuses = [
        _st(1, applied=100 + LAG_LIMIT * 3),
        _st(2, applied=100),
        _st(3, applied=100 + LAG_LIMIT * 3, errs=("alarm:CORRUPT",)),
    ]
    svc = FakeService(statuses, {"https://c1": 7, "https://c2": 7, "https://c3": 7})
    src = await choose_source(svc)  # type: ignore[arg-type]
    assert src.url == "https://c1"  # c2 lags, c3 reports CORRUPT

    lagging_only = [
        _st(1, applied=100 + LAG_LIMIT * 3, ok=True, errs=("alarm:CORRUPT",)),
        _st(2, applied=100),
        _st(3, applied=100),
    ]
    svc = FakeService(lagging_only, {"https://c1": 7, "https://c2": 7, "https://c3": 7})
    with pytest.raises(NoSafeSource):
        await choose_source(svc)  # type: ignore[arg-type]


async def test_leaderless_without_majority_is_refused() -> None:
    statuses = [_st(1), _st(2), _st(3, ok=False)]
    svc = FakeService(statuses, {"https://c1": 1, "https://c2": 2})
    with pytest.raises(NoSafeSource, match="HashKV"):
        await choose_source(svc)  # type: ignore[arg-type]


# --- age encryption -----------------------------------------------------------------------


def _ssh_keypair(tmp_path: Path, kind: str) -> tuple[Path, Path]:
    key: Any = (
        ed25519.Ed25519PrivateKey.generate()
        if kind == "ed25519"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    priv = tmp_path / f"id_{kind}"
    priv.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    priv.chmod(0o600)
    pub = tmp_path / f"id_{kind}.pub"
    pub.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        + b" test@host\n"
    )
    return priv, pub


async def _encrypted_save(
    cluster: Sandbox, out_dir: Path, encryption: Any
) -> tuple[Path, dict[str, Any], bytes]:
    """Save with encryption while checking no plaintext ever reaches the directory."""
    marker = f"PLAINTEXT-MARKER-{uuid.uuid4()}".encode()
    out_dir.mkdir()
    leaks: list[str] = []

    def scan(_p: Any) -> None:
        for f in out_dir.iterdir():
            if marker in f.read_bytes():
                leaks.append(f.name)

    async with ClusterService(cluster.settings()) as svc:
        await svc.put(b"/test/save/marker", marker * 50)
        result = await save_snapshot(
            svc, out_dir / "snap.db.age", encryption=encryption, progress=scan
        )
    scan(None)
    assert leaks == []
    assert result.path.read_bytes().startswith(b"age-encryption.org/v1\n")
    assert mode(result.path) == 0o600
    assert leftovers(out_dir) == ["snap.db.age", "snap.db.age.json"]
    meta = json.loads(result.sidecar.read_text())
    assert meta["encrypted"] is True and meta["encryption"] == "age"
    assert meta["sha256"] == hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert meta["size"] == result.path.stat().st_size > meta["snapshot_size"]
    return result.path, meta, marker


async def test_x25519_round_trip_through_age(cluster: Sandbox, tmp_path: Path) -> None:
    ident = pyrage.x25519.Identity.generate()
    recipient = str(ident.to_public())
    path, meta, marker = await _encrypted_save(
        cluster, tmp_path / "out", build_encryption([recipient])
    )
    assert meta["recipients"] == [recipient]
    plain = pyrage.decrypt(path.read_bytes(), [ident])
    assert trailer_ok(plain) and len(plain) == meta["snapshot_size"]
    assert marker in plain  # the leak check above looked for something really there
    if AGE is None:
        pytest.skip("age CLI not installed: decrypted with pyrage only")
    key = tmp_path / "key.txt"
    key.write_text(str(ident) + "\n")
    dec = tmp_path / "dec.db"
    age_decrypt(path, dec, key)
    assert dec.read_bytes() == plain
    theirs = etcdutl_status(dec)
    assert theirs["totalKey"] > 0
    # etcdtui's offline reader opens the encrypted file directly, with the same numbers
    status_mod = pytest.importorskip("etcdtui.services.snapshots.status")
    source_mod = pytest.importorskip("etcdtui.services.snapshots.open_file")
    ours = status_mod.snapshot_status(path, source_mod.DecryptKeys(identities=[ident]))
    for k in ("hash", "revision", "totalKey", "totalSize"):
        assert ours[k] == theirs[k], k


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
async def test_ssh_key_round_trip(cluster: Sandbox, tmp_path: Path, kind: str) -> None:
    priv, pub = _ssh_keypair(tmp_path, kind)
    path, meta, _m = await _encrypted_save(
        cluster, tmp_path / "out", build_encryption(ssh_key_files=[pub])
    )
    blob = base64.b64decode(pub.read_text().split()[1])
    fp = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert meta["recipients"] == [f"ssh-{kind} {fp}"]
    if shutil.which("ssh-keygen"):
        shown = subprocess.run(
            ["ssh-keygen", "-l", "-f", str(pub)], capture_output=True, text=True, check=True
        ).stdout
        assert fp in shown
    if AGE is None:
        pytest.skip("age CLI not installed")
    dec = tmp_path / "dec.db"
    age_decrypt(path, dec, priv)
    assert trailer_ok(dec.read_bytes())
    etcdutl_status(dec)


async def test_passphrase_round_trip(cluster: Sandbox, tmp_path: Path) -> None:
    enc = build_encryption(passphrase="correct horse battery", scrypt_log_n=12)
    path, meta, _m = await _encrypted_save(cluster, tmp_path / "out", enc)
    assert meta["recipients"] == ["passphrase"]
    plain = pyrage.passphrase.decrypt(path.read_bytes(), "correct horse battery")
    assert trailer_ok(plain)
    if AGE is None:
        pytest.skip("age CLI not installed")
    dec = tmp_path / "dec.db"
    assert age_decrypt_passphrase(path, dec, "correct horse battery") == 0
    assert dec.read_bytes() == plain


def test_cli_passphrase_file_round_trip(cluster: Sandbox, tmp_path: Path) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("s3cret phrase\n")
    target = tmp_path / "cli.db.age"
    out = run_cli(cluster, str(target), "--passphrase-file", str(pw), "-o", "json")
    assert out.returncode == 0, out.stderr
    meta = json.loads(out.stdout)
    assert meta["recipients"] == ["passphrase"] and meta["encrypted"] is True
    assert "s3cret" not in out.stdout + out.stderr
    plain = pyrage.passphrase.decrypt(target.read_bytes(), "s3cret phrase")
    assert trailer_ok(plain)


def test_cli_bad_recipients_fail_cleanly(cluster: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "x.db"
    out = run_cli(cluster, str(target), "--encrypt-to", "age1notavalidkey")
    assert out.returncode == 2 and "not a valid age recipient" in out.stderr
    priv, _pub = _ssh_keypair(tmp_path, "ed25519")
    out = run_cli(cluster, str(target), "--encrypt-ssh", str(priv))
    assert out.returncode == 2 and "private key" in out.stderr
    assert "BEGIN" not in out.stderr  # key material never echoed
    out = run_cli(cluster, str(target), "--passphrase")  # stdin is not a terminal
    assert out.returncode == 2 and "--passphrase-file" in out.stderr
    assert "Traceback" not in out.stderr
    ident = pyrage.x25519.Identity.generate()
    out = run_cli(cluster, str(target), "--passphrase", "--encrypt-to", str(ident.to_public()))
    assert out.returncode == 2 and "cannot be combined" in out.stderr
    assert not target.exists() and not (tmp_path / "x.db.part").exists()


def test_recipient_validation(tmp_path: Path) -> None:
    ecdsa = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    (tmp_path / "ec.pub").write_bytes(ecdsa)
    with pytest.raises(RecipientInvalid, match="not supported"):
        build_encryption(ssh_key_files=[tmp_path / "ec.pub"])
    with pytest.raises(RecipientInvalid, match="cannot read"):
        build_encryption(ssh_key_files=[tmp_path / "missing.pub"])
    ident = pyrage.x25519.Identity.generate()
    with pytest.raises(RecipientInvalid, match="passphrase"):
        build_encryption([str(ident.to_public())], passphrase="pw")
    with pytest.raises(PassphraseInvalid):
        build_encryption(passphrase="")
    assert build_encryption() is None


# --- status reports the last verification, never for a changed file -----------------------


async def test_status_reports_recorded_verification_of_a_saved_snapshot(
    cluster: Sandbox, tmp_path: Path
) -> None:
    from etcdtui.services.snapshots.status import snapshot_status, verify

    target = tmp_path / "snap.db"
    async with ClusterService(cluster.settings()) as svc:
        await svc.put(b"/test/save/verified", b"v" * 100)
        await save_snapshot(svc, target)

    before = snapshot_status(target)["sha256"]
    assert before["present"] is True
    assert before["valid"] is None  # status does not hash the file
    assert before["state"] == "unchecked"
    # the save checked the trailer of the stream and said so in the sidecar
    assert before["verified"]["source"] == "sidecar"
    assert before["verified"]["result"] == "sha256-ok-at-save"

    assert verify(target).ok
    after = snapshot_status(target)["sha256"]
    assert after["valid"] is None
    assert (after["verified"]["source"], after["verified"]["result"]) == ("cache", "ok")

    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    assert snapshot_status(target)["sha256"]["verified"] is None  # mtime changed

    assert verify(target).ok
    with open(target, "ab") as f:
        f.write(b"\0" * 512)  # size changed; etcd's size rule still sees a "trailer"
    touched = snapshot_status(target)["sha256"]
    assert touched["verified"] is None
    assert touched["valid"] is None
    assert verify(target).cause == "sha256-mismatch"
    assert snapshot_status(target)["sha256"]["verified"]["result"] == "sha256-mismatch"
