"""`etcdtui status` over etcd's gRPC-JSON gateway against the same command over gRPC,
on real etcd with client and peer mutual TLS.

The gateway transport exists for start-up time only (docs/cli.md): it must give the
same document, the same words for a hung member and for every TLS failure, on every
etcd version of the matrix, never load grpc, and hand over to gRPC where the gateway
cannot answer as gRPC would (switched off).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from etcdtui.ops.status import TRANSPORT_ENV
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import MemberProc, process_state
from etcdtui.services.tls import pki
from tests.support.helpers import conn_flags, etcdctl

pytestmark = pytest.mark.etcd


def status(
    flags: list[str], transport: str, *extra: str, config_dir: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, TRANSPORT_ENV: transport, "ETCDTUI_CONFIG_DIR": str(config_dir)}
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *flags, "--lang=en", "status", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


# What may differ between two reads of the same live cluster moments apart: the
# measured times, the raft index (each status adds an alarm read to the log) and the
# /metrics numbers (and the advisories drawn from them).
_MOVING = {"latency_ms", "raft_index", "applied_index", "revision"}


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["endpoints"] = [
        {k: v for k, v in e.items() if k not in _MOVING and k != "metrics"}
        | ({"metrics_ok": e["metrics"]["ok"]} if "metrics" in e else {})
        for e in doc["endpoints"]
    ]
    out.pop("advisories", None)
    return out


def both(
    flags: list[str], tmp_path: Path, *extra: str
) -> dict[str, subprocess.CompletedProcess[str]]:
    runs = {
        t: status(flags, t, *extra, config_dir=tmp_path / "no-config") for t in ("gateway", "grpc")
    }
    return runs


def test_same_document_on_both_transports(
    etcd_matrix: tuple[str, Path], fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    version, _bin = etcd_matrix
    sandbox = fresh_cluster(3)
    flags = conn_flags(sandbox.settings())
    runs = both(flags, tmp_path, "-o", "json")
    for t, proc in runs.items():
        assert proc.returncode == 0, (t, proc.stderr)
        assert proc.stderr == "", (t, proc.stderr)  # no fallback note: the gateway answered
    gw, grpc = (json.loads(runs[t].stdout) for t in ("gateway", "grpc"))
    assert comparable(gw) == comparable(grpc)
    assert [e["version"] for e in gw["endpoints"]] == [version] * 3
    assert gw["quorum"]["healthy"] == 3 and gw["leader"]
    assert all(e["metrics"]["ok"] for e in gw["endpoints"])
    # the table: the same lines once the measured columns are blanked
    tables = {t: status(flags, t, config_dir=tmp_path / "c").stdout for t in ("gateway", "grpc")}

    def blank(text: str) -> list[list[str]]:
        """The first table's words, with the measured latency and the raft index blanked."""
        rows = [re.sub(r"\d+(\.\d+)? ms", "T", line).split() for line in text.splitlines()[:5]]
        for row in rows[2:]:
            row[-2] = "I"  # the INDEX column, before the latency
        return rows

    assert blank(tables["gateway"]) == blank(tables["grpc"])


def test_status_never_loads_grpc(cluster: Sandbox, tmp_path: Path) -> None:
    """The point of the gateway: grpcio and protobuf stay unloaded, and so does asyncio
    (its requests run on threads). With the escape hatch set, the same probe sees them
    loaded (so this check can fail)."""
    probe = (
        "import sys\n"
        "from etcdtui.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "heavy = [m for m in ('grpc', 'google.protobuf', 'asyncio') if m in sys.modules]\n"
        "print('MODULES', code, ' '.join(heavy), file=sys.stderr)\n"
    )
    flags = conn_flags(cluster.settings())
    seen = {}
    for t in ("gateway", "grpc"):
        env = {**os.environ, TRANSPORT_ENV: t, "ETCDTUI_CONFIG_DIR": str(tmp_path)}
        proc = subprocess.run(
            [sys.executable, "-c", probe, *flags, "status", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES"))
        seen[t] = line.split(" ", 2)
    assert seen["gateway"][1] == "0" and seen["gateway"][2] == ""
    assert seen["grpc"][1] == "0" and seen["grpc"][2] == "grpc google.protobuf asyncio"


def test_paused_member_same_words_within_the_deadline(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sandbox = fresh_cluster(3)
    assert sandbox.state is not None
    flags = [*conn_flags(sandbox.settings()), "--timeout=1.5"]
    # pause a follower: a paused leader costs an election, and the two runs would then
    # see different leaders
    before = json.loads(status(flags, "grpc", "-o", "json", config_dir=tmp_path).stdout)
    leader_url = next(e["endpoint"] for e in before["endpoints"] if e["is_leader"])
    follower = next(m for m in sandbox.state.members if sandbox.client_url(m) != leader_url)
    sandbox.pause(follower.name)
    try:
        assert process_state(follower.pid) == "T"
        runs = both(flags, tmp_path, "-o", "json")
    finally:
        sandbox.resume(follower.name)
    docs = {}
    for t, proc in runs.items():
        assert proc.returncode == 1, (t, proc.stderr)  # degraded, not an error
        docs[t] = json.loads(proc.stdout)
        hung = next(
            e for e in docs[t]["endpoints"] if e["endpoint"] == sandbox.client_url(follower)
        )
        assert hung["ok"] is False and hung["error_code"] == "deadline", (t, hung)
        assert hung["healthy"] is False
        assert docs[t]["quorum"]["healthy"] == 2
    assert comparable(docs["gateway"]) == comparable(docs["grpc"])


def _stranger_ca(tmp_path: Path) -> Path:
    other = pki.create_ca("stranger-ca")
    pki.save(other, tmp_path / "other.crt", tmp_path / "other.key")
    return tmp_path / "other.crt"


@pytest.mark.parametrize("problem", ["wrong CA", "no client certificate", "refused port"])
def test_connection_failures_same_words(cluster: Sandbox, tmp_path: Path, problem: str) -> None:
    s = cluster.settings()
    assert s.cacert and s.cert and s.key
    endpoints = ",".join(s.endpoints)
    if problem == "wrong CA":
        flags = ["--endpoints", endpoints, "--cacert", str(_stranger_ca(tmp_path))]
        flags += ["--cert", str(s.cert), "--key", str(s.key)]
        expected = "TLSUnknownCA"
        words = "which the CA file"
    elif problem == "no client certificate":
        flags = ["--endpoints", endpoints, "--cacert", str(s.cacert)]
        expected = "TLSClientCertMissing"
        words = "client certificate"
    else:
        flags = ["--endpoints", "https://127.0.0.1:9", "--cacert", str(s.cacert)]
        flags += ["--cert", str(s.cert), "--key", str(s.key)]
        expected = "Unreachable"
        words = "connection refused on 127.0.0.1:9"
    runs = both(flags, tmp_path, "-o", "json")
    assert runs["gateway"].returncode == runs["grpc"].returncode != 0
    # every failure is named in the same words, with no fallback note
    texts = {}
    for t, proc in runs.items():
        doc = json.loads(proc.stdout) if proc.stdout.strip() else {}
        texts[t] = (proc.stderr, comparable(doc) if doc else None)
        assert words in proc.stdout + proc.stderr, (t, proc.stdout, proc.stderr, expected)
        assert "Traceback" not in proc.stderr
    assert texts["gateway"] == texts["grpc"]


class _NoGatewaySandbox(Sandbox):
    """Members started with --enable-grpc-gateway=false (an operator may switch it off)."""

    def member_flags(self, m: MemberProc, **kwargs: Any) -> list[str]:
        return [*super().member_flags(m, **kwargs), "--enable-grpc-gateway=false"]


def test_gateway_switched_off_falls_back_to_grpc(tmp_path: Path) -> None:
    sandbox = _NoGatewaySandbox(tmp_path / "nogw")
    try:
        sandbox.up(3)
        flags = conn_flags(sandbox.settings())
        runs = both(flags, tmp_path, "-o", "json")
    finally:
        sandbox.down()
    gw, grpc = runs["gateway"], runs["grpc"]
    assert gw.returncode == grpc.returncode == 0, gw.stderr
    assert "HTTP 404" in gw.stderr and "asking again over gRPC" in gw.stderr
    assert grpc.stderr == ""
    assert comparable(json.loads(gw.stdout)) == comparable(json.loads(grpc.stdout))


def test_auth_on_with_a_certificate_falls_back_to_grpc(
    fresh_cluster: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """etcd refuses gateway requests that carry a client certificate when auth is on
    (the gateway cannot pass the certificate's common name on): the answer comes from
    gRPC, which says what it always said (access denied, not quorum loss)."""
    sandbox = fresh_cluster(1)
    for args in (
        ("user", "add", "root", "--new-user-password=root-pw-gw"),
        ("user", "grant-role", "root", "root"),
        ("auth", "enable"),
    ):
        etcdctl(sandbox, *args)
    runs = both(conn_flags(sandbox.settings()), tmp_path, "-o", "json")
    gw, grpc = runs["gateway"], runs["grpc"]
    assert "asking again over gRPC" in gw.stderr and "gateway" in gw.stderr
    assert "asking again" not in grpc.stderr
    assert gw.returncode == grpc.returncode == 1
    docs = [json.loads(p.stdout) for p in (gw, grpc)]
    assert docs[0]["quorum"]["state"] == "access-denied"
    # whether a refused member's /metrics scrape finished before its gRPC refusal came
    # back is a race on either transport (quick_status.MetricsScrapes): not compared here
    same = [comparable(d) for d in docs]
    for d in same:
        for e in d["endpoints"]:
            e.pop("metrics_ok", None)
    assert same[0] == same[1]
