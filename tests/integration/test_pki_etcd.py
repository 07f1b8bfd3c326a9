"""`etcdtui pki init` makes a PKI real etcd runs on; `pki renew` keeps it running."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import socket
import ssl
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography import x509

from etcdtui.cli import main
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.tls import cert_report, pki
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd


def _cli(*argv: str) -> int:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    return int(info.value.code or 0)


def _served_serial(url: str, sandbox: Sandbox) -> int:
    host, port = url.removeprefix("https://").rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(sandbox.ca_cert))
    ctx.load_cert_chain(str(sandbox.client_cert), str(sandbox.client_key))
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    assert der
    return x509.load_der_x509_certificate(der).serial_number


async def test_generated_pki_runs_etcd_and_renews(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = Sandbox(tmp_path / "sb")
    pki_dir = sandbox.pki_dir
    members = [f"--member=m{i}=127.0.0.1" for i in (1, 2, 3)]
    assert _cli("pki", "init", str(pki_dir), *members, "--days", "90") == 0
    out = capsys.readouterr().out
    assert f"--cert-file={pki_dir}/members/m1/server.crt" in out
    assert f"--peer-trusted-ca-file={pki_dir}/ca.crt" in out
    assert f"--etcd-certfile={pki_dir}/clients/apiserver-etcd-client.crt" in out
    assert "--etcd-servers=https://127.0.0.1:2379" in out
    keys = sorted(pki_dir.rglob("*.key"))
    assert len(keys) == 1 + 3 * 2 + 2  # CA, server+peer per member, two default clients
    assert all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keys)
    assert stat.S_IMODE(pki_dir.stat().st_mode) == 0o700
    server = x509.load_pem_x509_certificate((pki_dir / "members/m2/server.crt").read_bytes())
    assert pki.usages_of(server) == ["serverAuth", "clientAuth"]
    assert {"127.0.0.1", "localhost"} <= set(pki.sans_of(server))

    # The sandbox takes the generated files as they are (same layout) plus an operator cert.
    for suffix in ("crt", "key"):
        shutil.copy2(pki_dir / f"clients/etcdtui-operator.{suffix}", pki_dir / f"operator.{suffix}")
    try:
        sandbox.up(3)
        apiserver = replace(
            sandbox.settings(),
            cert=pki_dir / "clients/apiserver-etcd-client.crt",
            key=pki_dir / "clients/apiserver-etcd-client.key",
        )
        async with ClusterService(apiserver) as svc:
            listed = await svc.members()
        assert sorted(m.name for m in listed.members) == ["m1", "m2", "m3"]

        url = sandbox.settings().endpoints[0]
        before = _served_serial(url, sandbox)
        assert _cli("pki", "renew", str(pki_dir), "--expiring-within", "100d") == 0
        out = capsys.readouterr().out
        assert "members/m1/server.crt" in out
        old = pki_dir / "members/m1/server.crt.bak"
        assert old.exists() and (pki_dir / "members/m1/server.key.bak").exists()
        assert x509.load_pem_x509_certificate(old.read_bytes()).serial_number == before
        sandbox.stop_member("m1")
        sandbox.start("m1")
        assert _served_serial(url, sandbox) != before
        async with ClusterService(apiserver) as svc:
            assert (await svc.endpoint_status(url)).ok
    finally:
        sandbox.down()


def test_init_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "p"
    assert _cli("pki", "init", str(d), "--member", "a=10.0.0.1") == 0
    before = (d / "members/a/server.crt").read_bytes()
    capsys.readouterr()
    assert _cli("pki", "init", str(d), "--member", "a=10.0.0.1") == 1
    err = capsys.readouterr().err
    assert "refusing to overwrite" in err and "members/a/server.crt" in err
    assert (d / "members/a/server.crt").read_bytes() == before
    # A new member reuses the CA and leaves everything else alone.
    assert _cli("pki", "init", str(d), "--member", "b=10.0.0.2", "--client", "backup") == 0
    ca = x509.load_pem_x509_certificate((d / "ca.crt").read_bytes())
    b = x509.load_pem_x509_certificate((d / "members/b/peer.crt").read_bytes())
    assert pki.issued_by(b, ca)
    assert (d / "clients/backup.crt").exists()


# --- `etcdtui certs` against the shared cluster ---------------------------------------------


async def test_certs_report_of_the_shared_cluster(cluster: Sandbox) -> None:
    settings = cluster.settings(timeout=3.0)
    report = await cert_report.collect(settings, local_roots=[cluster.pki_dir])
    servers = [c for c in report.certs if c.role == "server"]
    assert sorted(c.source for c in servers) == sorted(settings.endpoints)
    for c in servers:
        assert c.severity == "ok", c.problems
        assert "127.0.0.1" in c.sans and c.issuer == "CN=etcdtui-sandbox-ca"
        assert c.key_type == "EC secp256r1" and c.key_size == 256
        assert 360 <= (c.days_left or 0) <= 365
    roles = {c.role for c in report.certs}
    assert {"ca", "client", "m1/server", "m1/peer", "m3/peer"} <= roles
    # ca.crt and operator.crt are reported once, as the files in use
    assert [c.role for c in report.certs].count("ca") == 1
    assert report.worst == "ok" and not report.errors
    assert cert_report.nearest_expiry(report.certs) is not None

    # A year on, every leaf is expired and named as such (the CA lives 10 years).
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    aged = await cert_report.collect(settings, now=later)
    assert aged.worst == "critical"
    assert all("expired" in " ".join(c.problems) for c in aged.certs if c.role != "ca")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=345)
    warned = await cert_report.collect(settings, now=soon)
    assert {c.severity for c in warned.certs if c.role == "server"} == {"warning"}


async def test_certs_flags_san_chain_and_key_problems(cluster: Sandbox, tmp_path: Path) -> None:
    other = pki.create_ca("stranger-ca")
    pki.save(other, tmp_path / "other.crt", tmp_path / "other.key")
    stray = pki.issue(other, "stray", client=True)
    pki.save(stray, tmp_path / "stray.crt", tmp_path / "stray.key")
    base = cluster.settings(timeout=3.0)
    url = base.endpoints[0]

    wrong_name = await cert_report.server_cert(url, replace(base, server_name="etcd.example.org"))
    assert isinstance(wrong_name, cert_report.CertInfo) and wrong_name.severity == "critical"
    assert "no SAN matches etcd.example.org" in " ".join(wrong_name.problems)

    wrong_ca = await cert_report.server_cert(url, replace(base, cacert=tmp_path / "other.crt"))
    assert isinstance(wrong_ca, cert_report.CertInfo)
    assert "chain does not verify" in " ".join(wrong_ca.problems)

    mismatched = cert_report.client_files(replace(base, key=tmp_path / "stray.key"))
    client = next(
        c for c in mismatched if isinstance(c, cert_report.CertInfo) and c.role == "client"
    )
    assert any("does not belong" in p for p in client.problems)
    foreign = cert_report.client_files(
        replace(base, cert=tmp_path / "stray.crt", key=tmp_path / "stray.key")
    )
    client = next(c for c in foreign if isinstance(c, cert_report.CertInfo) and c.role == "client")
    assert any("not issued by the CA" in p for p in client.problems)
    ca = pki.load_issued(cluster.ca_cert, cluster.pki_dir / "ca.key")
    pki.save(pki.issue(ca, "server-only", server=True), tmp_path / "so.crt", tmp_path / "so.key")
    server_only = cert_report.client_files(
        replace(base, cert=tmp_path / "so.crt", key=tmp_path / "so.key")
    )
    client = next(
        c for c in server_only if isinstance(c, cert_report.CertInfo) and c.role == "client"
    )
    assert client.severity == "critical"
    assert any("clientAuth" in p for p in client.problems)
    # the sandbox's own files pass every check
    assert all(
        c.severity == "ok"
        for c in cert_report.client_files(base)
        if isinstance(c, cert_report.CertInfo)
    )


async def test_certs_cli(cluster: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    s = cluster.settings()
    flags = [
        *conn_flags(s),
    ]
    code = await asyncio.to_thread(
        _cli_thread, *flags, "certs", "-o", "json", "--pki-dir", str(cluster.pki_dir)
    )
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    assert doc["worst"] == "ok"
    assert len([c for c in doc["certificates"] if c["role"] == "server"]) == 3
    assert doc["nearest_expiry"]["days_left"] <= 365
    code = await asyncio.to_thread(_cli_thread, *flags, "--server-name", "wrong.example", "certs")
    out = capsys.readouterr().out
    assert code == 1
    assert "CRITICAL: server" in out and "no SAN matches wrong.example" in out


def _cli_thread(*argv: str) -> int:
    try:
        main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
