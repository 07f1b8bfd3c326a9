"""No key material and no password ever reaches logs, the audit file, output or argv.

The file name sorts last among the integration tests so the scan of the session's
state directory (ETCDTUI_STATE_DIR) and the shared cluster's logs sees what the
whole run wrote. It also drives its own run: CLI commands against a sandbox with
etcd auth on (password from ETCDTUI_PASSWORD), a wrong password, and an audited
mutation, then greps everything.
"""

from __future__ import annotations

import asyncio
import base64
import os
import stat
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import pytest

from etcdtui import errors
from etcdtui.cli import main
from etcdtui.services.audit import AuditLog
from etcdtui.services.binaries import find_binary
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd

PASSWORD = "Hygiene-Pw-7c1d9e2b-not-for-logs"
WRONG_PASSWORD = "Wrong-Pw-44aa19f0-also-secret"


def key_material(pki_dirs: Iterable[Path]) -> dict[str, str]:
    """Needles: every base64 line (and the joined body) of every private key file."""
    needles: dict[str, str] = {}
    for d in pki_dirs:
        for key in Path(d).rglob("*.key"):
            lines = [
                ln.strip()
                for ln in key.read_text().splitlines()
                if ln.strip() and not ln.startswith("-----")
            ]
            body = "".join(lines)
            assert base64.b64decode(body)  # really a PEM body
            needles[f"{key} (body)"] = body
            for i, line in enumerate(lines):
                if len(line) >= 24:
                    needles[f"{key} line {i}"] = line
    assert needles
    return needles


def scan_files(
    roots: Iterable[Path], needles: dict[str, str], skip: Callable[[Path], bool]
) -> list[str]:
    hits: list[str] = []
    scanned = 0
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if not path.is_file() or skip(path):
                continue
            text = path.read_bytes().decode("utf-8", "replace")
            scanned += 1
            hits += [
                f"{what} found in {path}" for what, needle in needles.items() if needle in text
            ]
    assert scanned, f"nothing to scan under {list(roots)}"
    return hits


def _not_key_store(path: Path) -> bool:
    parts = set(path.parts)
    return "pki" in parts or "data" in parts or "snap" in parts or path.suffix in (".key",)


def _cli(*argv: str) -> tuple[int, str]:
    try:
        main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0), ""
    return 0, ""


def _enable_auth(sandbox: Sandbox) -> None:
    etcdctl = str(find_binary("etcdctl"))
    env = sandbox.etcdctl_env()
    # The password travels on stdin, never in etcdctl's argv.
    for args, stdin in (
        (["user", "add", "root", "--interactive=false"], PASSWORD + "\n"),
        (["auth", "enable"], ""),
    ):
        subprocess.run(
            [etcdctl, "--command-timeout=10s", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )


async def test_no_secret_in_logs_audit_output_or_argv(
    cluster: Sandbox,
    fresh_cluster: Callable[..., Sandbox],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = fresh_cluster(1)
    _enable_auth(sandbox)
    s = sandbox.settings(timeout=3.0)
    flags = [
        *conn_flags(s),
        "--user",
        "root",
    ]

    monkeypatch.setenv("ETCDTUI_PASSWORD", PASSWORD)
    codes = {}
    for cmd in (
        ["members"],
        ["status", "-o", "json"],
        ["health"],
        ["certs", "-o", "json"],
        ["security"],
        ["security", "-o", "json"],
    ):
        codes[" ".join(cmd)] = (await asyncio.to_thread(_cli, *flags, *cmd))[0]
    # the password worked for every command: each one read the cluster. `status` exits 1
    # because a one-member cluster tolerates no failure (quorum at-risk), which its JSON says.
    assert codes == {**dict.fromkeys(codes, 0), "status -o json": 1}, codes
    captured = capsys.readouterr()
    assert '"state": "at-risk"' in captured.out, captured.out[-2000:]
    assert "Authentication failed" not in captured.err, captured.err[-2000:]
    output = captured.out + captured.err  # checked for the password below
    monkeypatch.setenv("ETCDTUI_PASSWORD", WRONG_PASSWORD)
    wrong, _ = await asyncio.to_thread(_cli, *flags, "members")
    assert wrong != 0
    refused = capsys.readouterr()
    assert "Authentication failed" in refused.err, refused.err  # the cause, named
    output += refused.out + refused.err

    # An audited mutation with the password in the settings, and one that fails.
    audit = AuditLog()
    authed = replace(s, user="root", password=PASSWORD)
    async with ClusterService(authed, audit=audit) as svc:
        rev = await svc.put(b"hygiene", b"x")
        await svc.compact(rev)
    async with ClusterService(replace(authed, password=WRONG_PASSWORD), audit=audit) as svc:
        with pytest.raises(errors.EtcdtuiError):
            await svc.compact(rev)
    assert audit.path.exists() and len(audit.read()) >= 2

    needles = key_material([cluster.pki_dir, sandbox.pki_dir])
    needles["password"] = PASSWORD
    needles["wrong password"] = WRONG_PASSWORD
    assert not [w for w, n in needles.items() if n in output], "secret in CLI output"
    state = Path(os.environ["ETCDTUI_STATE_DIR"])
    roots = [state, cluster.dir, sandbox.dir]
    assert scan_files(roots, needles, _not_key_store) == []

    # argv of every etcd the sandboxes started: paths only, no key material, no password
    for sb in (cluster, sandbox):
        assert sb.state is not None
        for m in sb.state.members:
            if m.pid is None:
                continue
            argv = Path(f"/proc/{m.pid}/cmdline").read_bytes().decode(errors="replace")
            assert "--key-file=" in argv
            assert not [w for w, n in needles.items() if n in argv], argv

    # private directories
    for d in (state, cluster.dir, cluster.pki_dir, sandbox.dir, sandbox.pki_dir):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    assert stat.S_IMODE(audit.path.stat().st_mode) == 0o600
    for key in [*cluster.pki_dir.rglob("*.key"), *sandbox.pki_dir.rglob("*.key")]:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_scanner_finds_a_planted_leak(cluster: Sandbox, tmp_path: Path) -> None:
    """The grep above can fail: a log line carrying one key line is caught."""
    needles = key_material([cluster.pki_dir])
    line = next(v for k, v in needles.items() if "line" in k)
    (tmp_path / "leaky.log").write_text(f"debug: loaded key {line}\n")
    (tmp_path / "clean.log").write_text("nothing to see\n")
    assert len(scan_files([tmp_path], needles, _not_key_store)) == 1
