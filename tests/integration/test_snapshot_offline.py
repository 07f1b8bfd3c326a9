"""Offline snapshot tools against snapshots taken from real etcd.

One private single-member sandbox (mutual TLS on 127.0.0.1) gets a Kubernetes-like
keyspace, deletes, leases and a compaction; two snapshots (A before some changes, B
after) are taken with etcdctl. Our numbers must equal `etcdutl snapshot status -w json`
field by field (and etcdctl 3.4's when Debian's is installed).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.snapshots import k8s
from etcdtui.services.snapshots.diff import diff
from etcdtui.services.snapshots.errors import SnapshotCorrupt
from etcdtui.services.snapshots.open_file import DecryptKeys, load_identities
from etcdtui.services.snapshots.status import snapshot_status, verify
from tests.support.helpers import conn_flags, etcd34_dir, etcdctl, etcdutl_status
from tests.support.k8s_builders import json_object, k8s_object

pytestmark = pytest.mark.etcd

MARK = b"SNAPSHOT-SECRET-PLAINTEXT"
ENC = {
    "/registry/secrets/kube-system/enc-1": b"k8s:enc:aescbc:v1:key1:",
    "/registry/secrets/kube-system/enc-2": b"k8s:enc:aescbc:v1:key1:",
    "/registry/secrets/default/gcm": b"k8s:enc:aesgcm:v1:key1:",
    "/registry/secrets/default/sb": b"k8s:enc:secretbox:v1:key1:",
    "/registry/secrets/default/kms1": b"k8s:enc:kms:v1:vault:",
    "/registry/secrets/default/kms2": b"k8s:enc:kms:v2:vault:",
}


def _phase_one() -> list[tuple[str, bytes]]:
    puts: list[tuple[str, bytes]] = []
    for i in range(5):
        puts.append(
            (
                f"/registry/pods/default/web-{i}",
                k8s_object("v1", "Pod", f"web-{i}", "default", labels={"app": "web"}),
            )
        )
    for i in range(2):
        puts.append(
            (
                f"/registry/pods/kube-system/dns-{i}",
                k8s_object("v1", "Pod", f"dns-{i}", "kube-system"),
            )
        )
    puts.append(
        ("/registry/pods/default/web-0", k8s_object("v1", "Pod", "web-0", "default", payload=b"r2"))
    )
    puts.append(
        ("/registry/pods/default/web-0", k8s_object("v1", "Pod", "web-0", "default", payload=b"r3"))
    )
    puts.append(
        (
            "/registry/secrets/default/plain-pb",
            k8s_object("v1", "Secret", "plain-pb", "default", payload=MARK),
        )
    )
    puts.append(
        ("/registry/secrets/default/plain-json", b'{"kind":"Secret","data":{"k":"' + MARK + b'"}}')
    )
    for key, prefix in ENC.items():
        puts.append((key, prefix + MARK))
    puts.append(("/registry/secrets/default/weird", b"\x01\x02" + MARK))
    puts.append(
        (
            "/registry/cert-manager.io/certificates/default/x",
            json_object("cert-manager.io/v1", "Certificate", "x", "default"),
        )
    )
    puts.append(
        (
            "/registry/cert-manager.io/certificates/prod/y",
            json_object("cert-manager.io/v1", "Certificate", "y", "prod"),
        )
    )
    for node in ("node-1", "node-2"):
        puts.append((f"/registry/minions/{node}", k8s_object("v1", "Node", node)))
    for ns in ("default", "kube-system"):
        puts.append((f"/registry/namespaces/{ns}", k8s_object("v1", "Namespace", ns)))
    puts.append(("/unrelated/big", b"z" * 30000))
    return puts


async def _put_all(sandbox: Sandbox, puts: list[tuple[str, bytes]], lease: int = 0) -> None:
    async with ClusterService(sandbox.settings(timeout=10)) as svc:
        for key, value in puts:
            await svc.put(key.encode(), value, lease=lease)


def _lease(sandbox: Sandbox) -> int:
    out = etcdctl(sandbox, "lease", "grant", "3600").stdout  # "lease 694d... granted with TTL"
    return int(out.split()[1], 16)


def _save(sandbox: Sandbox, path: Path) -> Path:
    etcdctl(sandbox, "snapshot", "save", str(path))
    return path


def _revision(sandbox: Sandbox) -> int:
    out = etcdctl(sandbox, "endpoint", "status", "-w", "json").stdout
    return int(json.loads(out)[0]["Status"]["header"]["revision"])


@pytest.fixture(scope="module")
def snaps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("snapshots")
    sandbox = Sandbox(base / "sandbox")
    try:
        sandbox.up(1)
        asyncio.run(_put_all(sandbox, _phase_one()))
        etcdctl(sandbox, "del", "/registry/pods/default/web-4")
        lease1, lease2 = _lease(sandbox), _lease(sandbox)
        asyncio.run(
            _put_all(
                sandbox,
                [
                    (
                        "/registry/leases/kube-node-lease/node-1",
                        k8s_object("coordination.k8s.io/v1", "Lease", "node-1", "kube-node-lease"),
                    )
                ],
                lease1,
            )
        )
        asyncio.run(_put_all(sandbox, [("/registry/masterleases/127.0.0.1", b"k8s\x00ep")], lease2))
        a = _save(sandbox, base / "a.db")
        asyncio.run(
            _put_all(
                sandbox,
                [
                    ("/registry/pods/default/new-1", k8s_object("v1", "Pod", "new-1", "default")),
                    (
                        "/registry/pods/default/web-1",
                        k8s_object("v1", "Pod", "web-1", "default", payload=b"r2"),
                    ),
                    ("/registry/secrets/kube-system/enc-1", b"k8s:enc:aescbc:v1:key2:" + MARK),
                    (
                        "/registry/configmaps/default/cm-1",
                        k8s_object("v1", "ConfigMap", "cm-1", "default"),
                    ),
                ],
            )
        )
        etcdctl(sandbox, "del", "/registry/pods/kube-system/dns-1")
        etcdctl(sandbox, "lease", "revoke", f"{lease2:x}")
        compact_at = _revision(sandbox)
        etcdctl(sandbox, "compact", str(compact_at), "--physical")
        b = _save(sandbox, base / "b.db")
        live_db = sandbox.data_dir("m1") / "member" / "snap" / "db"
        raw = base / "raw.db"
        shutil.copyfile(live_db, raw)
        yield {
            "a": a,
            "b": b,
            "raw": raw,
            "live": live_db,
            "dir": base,
            "compact": compact_at,
            "sandbox": sandbox,
        }
    finally:
        sandbox.down()
        shutil.rmtree(base, ignore_errors=True)  # 64 MB WAL segments per member


@pytest.mark.parametrize("name", ["a", "b", "raw"])
def test_status_equals_etcdutl_field_by_field(snaps: dict[str, Any], name: str) -> None:
    ours = snapshot_status(snaps[name])
    theirs = etcdutl_status(snaps[name])
    for field in ("hash", "revision", "totalKey", "totalSize"):
        assert ours[field] == theirs[field], field
    sha = {k: ours["sha256"][k] for k in ("present", "valid", "state")}
    assert sha == (
        {"present": False, "valid": None, "state": "absent"}
        if name == "raw"
        else {"present": True, "valid": None, "state": "unchecked"}  # status does not hash
    )
    full = snapshot_status(snaps[name], verify=True)
    for field in ("hash", "revision", "totalKey", "totalSize"):
        assert full[field] == theirs[field], field
    sha = {k: full["sha256"][k] for k in ("present", "valid", "state")}
    assert sha == (
        {"present": False, "valid": None, "state": "absent"}
        if name == "raw"
        else {"present": True, "valid": True, "state": "valid"}
    )


def test_status_of_the_live_member_db_without_locking_it(snaps: dict[str, Any]) -> None:
    # etcdutl would block on bbolt's file lock here; we read the running member's file.
    live = snapshot_status(snaps["live"])
    assert live["revision"] == snapshot_status(snaps["raw"])["revision"]


def test_status_equals_debian_etcdctl_34(snaps: dict[str, Any]) -> None:
    etcdctl34 = etcd34_dir() / "etcdctl"
    for name in ("a", "b"):
        out = subprocess.run(
            [str(etcdctl34), "snapshot", "status", "-w", "json", str(snaps[name])],
            env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        theirs = json.loads(out)
        ours = snapshot_status(snaps[name])
        assert {k: ours[k] for k in theirs} == theirs


def test_verify_real_snapshots(snaps: dict[str, Any]) -> None:
    assert verify(snaps["a"]).ok and verify(snaps["b"]).ok
    raw = verify(snaps["raw"])
    assert (raw.ok, raw.cause) == (False, "no-trailer")


def test_verify_damaged_real_snapshot(snaps: dict[str, Any], tmp_path: Path) -> None:
    data = snaps["b"].read_bytes()
    flipped = bytearray(data)
    flipped[data.index(b"zzzzzzzz") + 5] ^= 0x20
    (tmp_path / "flip.db").write_bytes(bytes(flipped))
    assert verify(tmp_path / "flip.db").cause == "sha256-mismatch"
    (tmp_path / "cut.db").write_bytes(data[: len(data) // 3])
    assert verify(tmp_path / "cut.db").cause == "truncated"


def test_inspect_counts_on_the_kubernetes_keyspace(snaps: dict[str, Any]) -> None:
    r = k8s.inspect(str(snaps["b"]))
    res = r["resources"]
    assert res["pods"]["count"] == 6
    assert res["pods"]["namespaces"] == {"default": 5, "kube-system": 1}
    assert res["secrets"]["count"] == 9
    assert res["secrets"]["namespaces"] == {"default": 7, "kube-system": 2}
    written = [  # what the fixture put: "bytes" is the sum of the live values' sizes
        json_object("cert-manager.io/v1", "Certificate", "x", "default"),
        json_object("cert-manager.io/v1", "Certificate", "y", "prod"),
    ]
    assert res["cert-manager.io/certificates"] == {
        "count": 2,
        "bytes": sum(len(v) for v in written),
        "namespaces": {"default": 1, "prod": 1},
    }
    assert res["nodes"]["count"] == 2 and res["nodes"]["namespaces"] == {}  # /registry/minions/
    assert res["namespaces"]["count"] == 2
    assert res["leases"]["namespaces"] == {"kube-node-lease": 1}
    assert res["configmaps"]["count"] == 1
    assert "masterleases" not in res  # its lease was revoked
    assert r["secrets_encryption"] == {
        "plaintext": 2,
        "aescbc": 2,
        "aesgcm": 1,
        "secretbox": 1,
        "kms": 2,
        "unknown": 1,
    }
    assert r["keys"]["live"] == 24
    assert r["other"] == {"count": 1, "bytes": 30000}
    assert r["largest"][0] == {"key": "/unrelated/big", "size": 30000}
    assert r["leases"] == 1
    assert r["compact_revision"] == snaps["compact"]
    a = k8s.inspect(str(snaps["a"]))
    assert a["leases"] == 2 and a["resources"]["masterleases"]["count"] == 1


def test_secret_values_never_leave(snaps: dict[str, Any]) -> None:
    text = json.dumps(k8s.inspect(str(snaps["b"])))
    text += json.dumps(list(k8s.objects(str(snaps["b"]), full=True)))
    text += json.dumps(diff(str(snaps["a"]), str(snaps["b"])))
    for args in (
        ["inspect", "-o", "json"],
        ["inspect", "--objects", "-o", "json"],
        ["inspect", "--key", "/registry/secrets/default/plain-json", "-o", "json"],
    ):
        text += _cli("snapshot", *args[:1], str(snaps["b"]), *args[1:]).stdout
    assert "plain-json" in text
    assert MARK.decode() not in text


def test_diff_between_the_two_snapshots(snaps: dict[str, Any]) -> None:
    r = diff(str(snaps["a"]), str(snaps["b"]))
    assert {k: r["summary"][k] for k in ("added", "removed", "changed")} == {
        "added": 2,
        "removed": 2,
        "changed": 2,
    }
    assert r["keys"]["added"] == [
        "/registry/configmaps/default/cm-1",
        "/registry/pods/default/new-1",
    ]
    assert r["keys"]["removed"] == [
        "/registry/masterleases/127.0.0.1",
        "/registry/pods/kube-system/dns-1",
    ]
    assert r["keys"]["changed"] == [
        "/registry/pods/default/web-1",
        "/registry/secrets/kube-system/enc-1",
    ]
    assert r["by_resource"]["pods"]["namespaces"]["kube-system"] == {
        "added": 0,
        "removed": 1,
        "changed": 0,
    }


@pytest.mark.parametrize("tiny_hash", [None, lambda key: len(key) % 3], ids=["hash", "collide"])
def test_diff_of_real_snapshots_equals_the_dict_index(
    snaps: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tiny_hash: Any
) -> None:
    """etcd's own files: the compact key index gives the report the dict of key bytes
    gave, byte for byte, also when every fingerprint is shared by a third of the keys."""
    from etcdtui.services.snapshots import mvcc
    from tests.support.snapshot_reference import reference_diff

    expected = reference_diff(str(snaps["a"]), str(snaps["b"]))
    if tiny_hash is not None:
        monkeypatch.setattr(mvcc, "key_hash", tiny_hash)
    r = diff(str(snaps["a"]), str(snaps["b"]))
    del r["a"], r["b"]
    assert json.dumps(r, indent=2) == json.dumps(expected, indent=2)
    assert set(r["by_resource"]) >= {"pods", "configmaps", "secrets"}


def test_diff_against_the_live_cluster(snaps: dict[str, Any]) -> None:
    from etcdtui.services.snapshots.diff import diff_live
    from etcdtui.services.snapshots.live import live_entries

    sandbox: Sandbox = snaps["sandbox"]

    async def fetch() -> Any:
        async with ClusterService(sandbox.settings(timeout=10)) as svc:
            return await live_entries(svc, page=7)  # small pages: exercise the paging

    entries, revision = asyncio.run(fetch())
    assert revision == _revision(sandbox)
    same = diff_live(str(snaps["b"]), entries, live_revision=revision)
    assert {k: same["summary"][k] for k in ("added", "removed", "changed")} == {
        "added": 0,
        "removed": 0,
        "changed": 0,
    }
    since_a = diff_live(str(snaps["a"]), entries)
    assert since_a["summary"] == diff(str(snaps["a"]), str(snaps["b"]))["summary"]
    s = sandbox.settings()
    flags = [
        *conn_flags(s),
    ]
    cli = _cli(*flags, "snapshot", "diff", str(snaps["a"]), "--live", "-o", "json")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["summary"] == since_a["summary"]


def _cli(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
        stdin=subprocess.DEVNULL,
    )


def test_cli_status_verify_and_exit_codes(snaps: dict[str, Any], tmp_path: Path) -> None:
    out = _cli("snapshot", "status", str(snaps["b"]), "-o", "json", check=True)
    assert json.loads(out.stdout)["hash"] == etcdutl_status(snaps["b"])["hash"]
    assert _cli("snapshot", "verify", str(snaps["b"])).returncode == 0
    raw = _cli("snapshot", "verify", str(snaps["raw"]))
    assert raw.returncode == 1 and "--skip-hash-check" in raw.stdout
    (tmp_path / "empty").write_bytes(b"")
    empty = _cli("snapshot", "verify", str(tmp_path / "empty"), "-o", "json")
    assert empty.returncode == 1 and json.loads(empty.stdout)["cause"] == "empty"
    missing = _cli("snapshot", "status", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


# --- age ----------------------------------------------------------------------------------


def test_age_cli_round_trip(snaps: dict[str, Any], tmp_path: Path) -> None:
    age, keygen = shutil.which("age"), shutil.which("age-keygen")
    if not age or not keygen:
        pytest.skip("the age CLI (Debian package age) is not installed")
    subprocess.run([keygen, "-o", str(tmp_path / "id.txt")], check=True, capture_output=True)
    recipient = subprocess.run(
        [keygen, "-y", str(tmp_path / "id.txt")], check=True, capture_output=True, text=True
    ).stdout.strip()
    enc = tmp_path / "b.db.age"
    subprocess.run([age, "-r", recipient, "-o", str(enc), str(snaps["b"])], check=True)
    keys = DecryptKeys(identities=load_identities(tmp_path / "id.txt"))
    assert unverified(snapshot_status(enc, keys)) == unverified(snapshot_status(snaps["b"]))
    assert verify(enc, keys).ok and verify(enc, keys).encrypted
    cli = _cli("snapshot", "status", str(enc), "--identity", str(tmp_path / "id.txt"), "-o", "json")
    assert json.loads(cli.stdout)["hash"] == etcdutl_status(snaps["b"])["hash"]
    nokey = _cli("snapshot", "status", str(enc))
    assert nokey.returncode == 2 and "age-encrypted" in nokey.stderr


def test_age_ssh_recipient_round_trip(snaps: dict[str, Any], tmp_path: Path) -> None:
    age, sshkeygen = shutil.which("age"), shutil.which("ssh-keygen")
    if not age or not sshkeygen:
        pytest.skip("the age CLI or ssh-keygen is not installed")
    subprocess.run(
        [sshkeygen, "-t", "ed25519", "-N", "", "-q", "-f", str(tmp_path / "k")], check=True
    )
    enc = tmp_path / "b.db.age"
    subprocess.run(
        [age, "-R", str(tmp_path / "k.pub"), "-o", str(enc), str(snaps["b"])], check=True
    )
    keys = DecryptKeys(identities=load_identities(tmp_path / "k"))
    assert snapshot_status(enc, keys)["hash"] == etcdutl_status(snaps["b"])["hash"]


def test_pyrage_encrypted_files_read_back(snaps: dict[str, Any], tmp_path: Path) -> None:
    import pyrage

    ident = pyrage.x25519.Identity.generate()
    with open(snaps["b"], "rb") as src, open(tmp_path / "x.age", "wb") as dst:
        pyrage.encrypt_io(src, dst, [ident.to_public()])
    assert unverified(snapshot_status(tmp_path / "x.age", DecryptKeys([ident]))) == unverified(
        snapshot_status(snaps["b"])
    )
    (tmp_path / "p.age").write_bytes(
        pyrage.passphrase.encrypt(snaps["b"].read_bytes(), "s3cret pass")
    )
    assert verify(tmp_path / "p.age", DecryptKeys(passphrase="s3cret pass")).ok
    wrong = pyrage.x25519.Identity.generate()
    from etcdtui.services.snapshots.errors import DecryptionFailed

    with pytest.raises(DecryptionFailed):
        snapshot_status(tmp_path / "x.age", DecryptKeys([wrong]))


# --- fuzzing a real snapshot --------------------------------------------------------------


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 0.999), st.integers(0, 7)), max_size=6),
)
def test_fuzz_real_snapshot(
    snaps: dict[str, Any], tmp_path: Path, cut: float, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(snaps["b"].read_bytes())
    data = data[: int(len(data) * cut)] if cut < 1.0 else data
    for where, bit in flips:
        if data:
            data[int(where * len(data))] ^= 1 << bit
    path = tmp_path / "fuzz.db"
    path.write_bytes(bytes(data))
    res = verify(path)
    if flips or cut < 1.0:
        assert res.cause != "ok" or bytes(data) == snaps["b"].read_bytes()
    try:
        snapshot_status(path)
        k8s.inspect(str(path))
    except SnapshotCorrupt:
        pass


@pytest.mark.etcd34
def test_snapshot_from_etcd_34_server(tmp_path: Path) -> None:
    etcd34, etcdctl34 = etcd34_dir() / "etcd", etcd34_dir() / "etcdctl"
    version = subprocess.run([str(etcd34), "--version"], capture_output=True, text=True).stdout
    if "3.4." not in version:
        pytest.skip(f"/usr/bin/etcd is not etcd 3.4: {version.splitlines()[:1]}")
    sandbox = Sandbox(tmp_path / "sb34")
    try:
        sandbox.up(1, binary=etcd34)
        for i in range(40):
            etcdctl(sandbox, "put", f"/registry/pods/ns{i % 3}/p{i}", "v" * (i * 7))
        etcdctl(sandbox, "del", "/registry/pods/ns0/p3")
        lease = _lease(sandbox)
        etcdctl(sandbox, "put", "--lease", f"{lease:x}", "/registry/leases/x/y", "z")
        etcdctl(sandbox, "compact", str(_revision(sandbox) - 5))
        snap = _save(sandbox, tmp_path / "s34.db")
    finally:
        sandbox.down()
    out = subprocess.run(
        [str(etcdctl34), "snapshot", "status", "-w", "json", str(snap)],
        env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    theirs = json.loads(out)
    ours = snapshot_status(snap)
    assert {k: ours[k] for k in theirs} == theirs
    assert {k: ours[k] for k in theirs} == {
        k: v for k, v in etcdutl_status(snap).items() if k in theirs
    }
    report = k8s.inspect(str(snap))
    assert report["resources"]["pods"]["count"] == 39
    assert report["leases"] == 1


def unverified(st: dict[str, Any]) -> dict[str, Any]:
    """A status without ``sha256.verified``: that names the last check of one exact file,
    so an encrypted copy and its plain original differ there by design."""
    return {**st, "sha256": {k: v for k, v in st["sha256"].items() if k != "verified"}}
