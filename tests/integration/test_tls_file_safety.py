"""TLS files that would hang, exhaust memory, abort the process or prompt on the terminal
are refused before gRPC sees them, with a clear error (issue 11, items 6, 7, 8 and the
up-front file checks). Each case runs the real CLI against the mTLS sandbox."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags
from tests.support.tls_files import copy_with_mode

pytestmark = pytest.mark.etcd

COMMANDS = [["members"], ["health"], ["certs"], ["snapshot", "save", "{tmp}/s.db"]]


def _etcdtui(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _flags(cluster: Sandbox, **override: str) -> list[str]:
    flags = conn_flags(cluster.settings())
    for name, value in override.items():
        flags[flags.index(f"--{name}") + 1] = value
    return flags


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("which", ["key", "cert"])
def test_an_empty_key_or_certificate_is_an_error_not_sigabrt(
    cluster: Sandbox, tmp_path: Path, command: list[str], which: str
) -> None:
    empty = tmp_path / f"empty.{which}"
    empty.write_bytes(b"")
    empty.chmod(0o600)
    argv = [c.format(tmp=tmp_path) for c in command]
    done = _etcdtui(*argv, *_flags(cluster, **{which: str(empty)}))
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "empty" in done.stderr and str(empty) in done.stderr
    assert not (tmp_path / "s.db.part").exists()


def test_dev_zero_as_the_ca_is_refused_at_once(cluster: Sandbox) -> None:
    done = _etcdtui("members", *_flags(cluster, cacert="/dev/zero"), timeout=30)
    assert done.returncode == 2
    assert "not a regular file" in done.stderr and "/dev/zero" in done.stderr


def test_a_fifo_as_the_ca_does_not_hang(cluster: Sandbox, tmp_path: Path) -> None:
    fifo = tmp_path / "ca.fifo"
    os.mkfifo(fifo)
    done = _etcdtui("members", *_flags(cluster, cacert=str(fifo)), timeout=30)
    assert done.returncode == 2
    assert "not a regular file" in done.stderr


def test_an_oversized_ca_is_refused(cluster: Sandbox, tmp_path: Path) -> None:
    big = tmp_path / "big.crt"
    ca = Path(str(cluster.settings().cacert)).read_bytes()
    big.write_bytes(ca * (2 * (1 << 20) // len(ca) + 1))
    done = _etcdtui("members", *_flags(cluster, cacert=str(big)), timeout=30)
    assert done.returncode == 2
    assert "1 MiB" in done.stderr


def test_an_encrypted_key_is_refused_without_a_prompt(cluster: Sandbox, tmp_path: Path) -> None:
    s = cluster.settings()
    assert s.key is not None
    key = serialization.load_pem_private_key(Path(s.key).read_bytes(), password=None)
    enc = tmp_path / "enc.key"
    enc.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"hunter22"),
        )
    )
    enc.chmod(0o600)
    # a real terminal would get OpenSSL's prompt; `script` gives the child one
    script = shutil.which("script")
    argv = [sys.executable, "-m", "etcdtui", "members", *_flags(cluster, key=str(enc))]
    if script:
        cmd = " ".join(f"'{a}'" for a in argv)
        done = subprocess.run(
            [script, "-qec", cmd, "/dev/null"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        out = done.stdout + done.stderr
    else:
        done = _etcdtui(*argv[3:], timeout=30)
        out = done.stderr
    assert done.returncode == 2, out
    assert "passphrase" in out and "openssl pkey" in out
    assert "Enter PEM pass phrase" not in out


def test_a_der_key_gets_the_conversion_hint(cluster: Sandbox, tmp_path: Path) -> None:
    s = cluster.settings()
    assert s.key is not None
    key = serialization.load_pem_private_key(Path(s.key).read_bytes(), password=None)
    der = tmp_path / "client.der"
    der.write_bytes(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    der.chmod(0o600)
    done = _etcdtui("members", *_flags(cluster, key=str(der)))
    assert done.returncode == 2
    assert "DER" in done.stderr and "openssl pkey -inform der" in done.stderr
    assert "PEM lib" not in done.stderr


def test_a_world_readable_key_is_warned_about_on_a_working_connection(
    cluster: Sandbox, tmp_path: Path
) -> None:
    key = copy_with_mode(cluster.settings().key, tmp_path / "client.key", 0o644)
    done = _etcdtui("members", *_flags(cluster, key=str(key)))
    assert done.returncode == 0, done.stderr
    assert "mode 0644" in done.stderr and f"chmod 600 {key}" in done.stderr
