"""Issue 11, "wrong conclusions": answers that claimed more than the cluster proved.

* hashkv with no answer is not "consistent";
* member update --peer-urls runs the same what-if as the other member actions;
* inspect and diff warn when the sha256 trailer is wrong or damaged;
* auth and permission errors are their own state, never "quorum lost".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags, etcdctl

pytestmark = pytest.mark.etcd


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or dict(os.environ),
        stdin=subprocess.DEVNULL,
    )


# --- 13: hashkv -----------------------------------------------------------------------------


def test_hashkv_with_every_member_failing_is_not_consistent(cluster: Sandbox) -> None:
    flags = conn_flags(cluster.settings())
    res = cli(*flags, "hashkv", "--revision", "999999999", "-o", "json")
    doc = json.loads(res.stdout)
    assert all(m["error"] for m in doc["members"])
    assert doc["consistent"] is False
    assert doc["state"] == "no-answer"
    assert res.returncode == 1
    text = cli(*flags, "hashkv", "--revision", "999999999")
    assert text.returncode == 1
    assert "NOT VERIFIED" in text.stderr


def test_hashkv_healthy_cluster_is_consistent(cluster: Sandbox) -> None:
    res = cli(*conn_flags(cluster.settings()), "hashkv", "-o", "json")
    doc = json.loads(res.stdout)
    assert res.returncode == 0, res.stderr
    assert doc["consistent"] is True and doc["state"] == "consistent"


# --- 14: member update --peer-urls ------------------------------------------------------------


def _peer_urls(sb: Sandbox) -> dict[str, list[str]]:
    doc = json.loads(cli(*conn_flags(sb.settings()), "members", "-o", "json").stdout)
    return {m["name"]: m["peer_urls"] for m in doc["members"]}


@pytest.mark.parametrize(
    "case",
    ["another-members-url", "same-url-twice", "http-downgrade", "alias-of-another-member"],
)
def test_member_update_runs_the_what_if(cluster: Sandbox, case: str) -> None:
    before = _peer_urls(cluster)
    assert cluster.state is not None
    m1, m2 = cluster.state.members[0], cluster.state.members[1]
    urls = {
        "another-members-url": m2.peer_url,
        "same-url-twice": f"{m1.peer_url},{m1.peer_url}",
        "http-downgrade": f"http://127.0.0.1:{m1.peer_port}",
        "alias-of-another-member": f"https://localhost:{m2.peer_port}",
    }[case]
    res = cli(
        *conn_flags(cluster.settings()), "member", "update", "m1", "--peer-urls", urls, "--yes"
    )
    assert res.returncode != 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    expect = {
        "another-members-url": "already the peer URL of m2",
        "same-url-twice": "given twice",
        "http-downgrade": "plaintext",
        "alias-of-another-member": "same listener",
    }[case]
    assert expect in res.stderr
    assert _peer_urls(cluster) == before  # nothing was sent


def test_member_update_to_the_same_url_is_allowed(cluster: Sandbox) -> None:
    before = _peer_urls(cluster)
    assert cluster.state is not None
    m1 = cluster.state.members[0]
    res = cli(
        *conn_flags(cluster.settings()),
        "member",
        "update",
        "m1",
        "--peer-urls",
        m1.peer_url,
        "--yes",
    )
    assert res.returncode == 0, res.stderr
    assert _peer_urls(cluster) == before


# --- 15: sha256 trailer problems in inspect, diff and status ----------------------------------


@pytest.fixture(scope="module")
def saved(cluster: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trailer") / "good.db"
    etcdctl(cluster, "put", "/registry/configmaps/default/trailer-probe", "x" * 64)
    etcdctl(cluster, "snapshot", "save", str(path), endpoints=[cluster.settings().endpoints[0]])
    return path


def _mutant(good: Path, tmp: Path, kind: str) -> Path:
    data = bytearray(good.read_bytes())
    assert len(data) % 512 == 32
    if kind == "flipped-byte":  # a value byte in the last data page: the trailer mismatches
        data[len(data) - 32 - 100] ^= 0x01
    elif kind == "trailer-31":
        del data[-1]
    elif kind == "trailer-33":
        data.append(0)
    out = tmp / f"{kind}.db"
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize(
    ("kind", "cause"),
    [
        ("flipped-byte", "does not match"),
        ("trailer-31", "cut short"),
        ("trailer-33", "not a sha256 trailer"),
    ],
)
def test_inspect_and_diff_warn_about_the_trailer(
    saved: Path, tmp_path: Path, kind: str, cause: str
) -> None:
    bad = _mutant(saved, tmp_path, kind)
    ins = cli("snapshot", "inspect", str(bad))
    assert ins.returncode == 0, ins.stderr
    assert cause in ins.stderr, ins.stderr
    diff = cli("snapshot", "diff", str(saved), str(bad), "-o", "json")
    assert diff.returncode == 0, diff.stderr
    assert cause in diff.stderr, diff.stderr
    doc = json.loads(diff.stdout)
    assert doc["b"]["sha256"]["problem"]
    assert doc["a"]["sha256"]["state"] == "valid"
    status = cli("snapshot", "status", str(bad))
    assert status.returncode == 0, status.stderr
    assert "absent (raw db copy" not in status.stdout
    if kind == "flipped-byte":
        # plain status does not hash the file (etcdutl's work only): it must not claim
        # the trailer is valid, and points at the check that would tell
        assert "valid" not in status.stdout.replace("not verified", "")
        assert "not verified" in status.stdout
    else:
        assert cause in status.stderr  # the size alone shows these
    full = cli("snapshot", "status", "--verify", str(bad))
    assert full.returncode == 0, full.stderr
    assert cause in full.stderr
    if kind == "flipped-byte":
        assert "MISMATCH" in full.stdout
        again = cli("snapshot", "status", str(bad))  # the failed check is remembered
        assert "last verify FAILED" in again.stdout
        assert "failed" in again.stderr


def test_a_good_snapshot_gets_no_trailer_warning(saved: Path) -> None:
    ins = cli("snapshot", "inspect", str(saved))
    assert ins.returncode == 0 and "warning" not in ins.stderr
    st = cli("snapshot", "status", str(saved))
    assert "present" in st.stdout and "warning" not in st.stderr  # not hashed by status
    assert cli("snapshot", "verify", str(saved)).returncode == 0
    st = cli("snapshot", "status", str(saved))
    assert "verified OK" in st.stdout and "warning" not in st.stderr
    full = cli("snapshot", "status", "--verify", str(saved))
    assert "valid" in full.stdout and "warning" not in full.stderr


# --- 11 and 12: etcd auth ----------------------------------------------------------------------

ROOT_PW = "root-secret-pw"
READER_PW = "reader-secret-pw"


def enable_auth(sb: Sandbox) -> None:
    """root (root role) and reader (read-only on /ro/), then auth on. The operator
    certificate's CN is no etcd user, so after this only --user gets in."""
    for args in (
        ("user", "add", "root", f"--new-user-password={ROOT_PW}"),
        ("user", "grant-role", "root", "root"),
        ("user", "add", "reader", f"--new-user-password={READER_PW}"),
        ("role", "add", "ro"),
        ("role", "grant-permission", "ro", "read", "/ro/", "--prefix"),
        ("user", "grant-role", "reader", "ro"),
        ("auth", "enable"),
    ):
        etcdctl(sb, *args)


@pytest.fixture(scope="module")
def auth_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sb = Sandbox(tmp_path_factory.mktemp("auth") / "sandbox")
    try:
        sb.up(3)
        enable_auth(sb)
        yield sb
    finally:
        sb.down()
        shutil.rmtree(sb.dir.parent, ignore_errors=True)  # 64 MB WAL segments per member


def _env(password: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ETCDTUI_PASSWORD"}
    if password is not None:
        env["ETCDTUI_PASSWORD"] = password
    return env


@pytest.mark.parametrize(
    ("user", "password"),
    [(None, None), ("nobody", "wrong"), ("reader", READER_PW)],
    ids=["cert-cn-not-a-user", "unknown-user", "read-only-role"],
)
def test_auth_errors_are_not_quorum_loss(
    auth_cluster: Sandbox, user: str | None, password: str | None
) -> None:
    flags = conn_flags(auth_cluster.settings()) + (["--user", user] if user else [])
    res = cli(*flags, "status", "-o", "json", env=_env(password))
    doc = json.loads(res.stdout)
    assert doc["quorum"]["state"] == "access-denied", doc["quorum"]
    assert doc["access_error"]
    text = cli(*flags, "status", env=_env(password))
    assert "LOST" not in text.stdout
    assert "access denied" in text.stdout.lower()
    assert "not quorum loss" in text.stderr
    # a member action says the same, never "restore the cluster from a snapshot"
    act = cli(*flags, "member", "remove", "m3", "--yes", env=_env(password))
    assert act.returncode != 0
    assert "restore" not in act.stderr.lower().replace("do not restore", "")
    assert "credentials" in act.stderr
    root = cli(*conn_flags(auth_cluster.settings()), "--user", "root", "members", env=_env(ROOT_PW))
    assert root.stdout.count("voter") == 3  # nothing was removed


def test_root_user_sees_a_healthy_cluster(auth_cluster: Sandbox) -> None:
    flags = [*conn_flags(auth_cluster.settings()), "--user", "root"]
    res = cli(*flags, "status", "-o", "json", env=_env(ROOT_PW))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["quorum"]["state"] == "healthy"


def test_scale_with_auth_finishes_and_sandbox_dir_keeps_user(
    fresh_cluster: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = fresh_cluster(1)
    enable_auth(sb)
    monkeypatch.setenv("ETCDTUI_PASSWORD", ROOT_PW)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "etcdtui",
            "--user",
            "root",
            "member",
            "scale",
            "3",
            "--sandbox-dir",
            str(sb.dir),
            "--execute",
            "--yes",
            "--start-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    out = cli(*conn_flags(sb.settings()), "--user", "root", "members", "-o", "json")
    doc = json.loads(out.stdout)
    assert len(doc["members"]) == 3
    assert not any(m["is_learner"] for m in doc["members"])
