"""Every way a connection can fail names its cause and the fix (real etcd, mTLS).

Client-side mistakes are made against the shared mTLS sandbox; bad *server*
certificates need their own etcd, started here with those certificates and stopped
by PID. Each case is checked through ``ClusterService.endpoint_status`` (the
classified ``error_code`` and the cause) and through ``members()`` (the raised error
class and its fix).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.services.binaries import find_binary
from etcdtui.services.cluster import ClusterService
from etcdtui.services.etcdapi import probe
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import free_port
from etcdtui.services.tls import pki
from tests.support.helpers import wait_for

pytestmark = pytest.mark.etcd

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Files:
    cert: Path
    key: Path


def _write(d: Path, name: str, issued: pki.Issued) -> Files:
    files = Files(d / f"{name}.crt", d / f"{name}.key")
    pki.save(issued, files.cert, files.key)
    return files


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory, cluster: Sandbox) -> dict[str, Path]:
    """Certificates for every bad case: from the sandbox CA and from a stranger CA."""
    d = tmp_path_factory.mktemp("badcerts")
    sandbox_ca = pki.load_issued(cluster.ca_cert, cluster.pki_dir / "ca.key")
    other_ca = pki.create_ca("stranger-ca")
    pki.save(other_ca, d / "other-ca.crt", d / "other-ca.key")
    out: dict[str, Path] = {"other_ca": d / "other-ca.crt"}
    cases = {
        "expired_client": pki.issue(
            sandbox_ca, "old-op", client=True, not_before=NOW - dt.timedelta(days=30), days=2
        ),
        "future_client": pki.issue(
            sandbox_ca, "future-op", client=True, not_before=NOW + dt.timedelta(days=10), days=30
        ),
        "no_eku_client": pki.issue(sandbox_ca, "server-only", server=True),
        "stranger_client": pki.issue(other_ca, "stranger-op", client=True),
        # server certificates, served by a private etcd (see ``served``)
        "expired_server": pki.issue(
            sandbox_ca,
            "s1",
            hosts=["127.0.0.1"],
            server=True,
            client=True,
            not_before=NOW - dt.timedelta(days=30),
            days=2,
        ),
        "future_server": pki.issue(
            sandbox_ca,
            "s1",
            hosts=["127.0.0.1"],
            server=True,
            client=True,
            not_before=NOW + dt.timedelta(days=3),
            days=30,
        ),
        "wrong_san_server": pki.issue(
            sandbox_ca,
            "s1",
            hosts=["etcd-9.example.internal", "10.9.9.9"],
            server=True,
            client=True,
        ),
    }
    for name, issued in cases.items():
        f = _write(d, name, issued)
        out[name], out[name + "_key"] = f.cert, f.key
    return out


@contextmanager
def served(tmp: Path, cert: Path, key: Path, ca: Path) -> Iterator[str]:
    """One etcd member with the given server certificate; yields its https URL."""
    client_port, peer_port = free_port(), free_port()
    url, peer = f"https://127.0.0.1:{client_port}", f"http://127.0.0.1:{peer_port}"
    tmp.mkdir(parents=True, exist_ok=True)
    log = open(tmp / "etcd.log", "wb")
    proc = subprocess.Popen(
        [
            str(find_binary("etcd")),
            "--name=s1",
            f"--data-dir={tmp / 'data'}",
            f"--listen-client-urls={url}",
            f"--advertise-client-urls={url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=s1={peer}",
            f"--cert-file={cert}",
            f"--key-file={key}",
            "--client-cert-auth",
            f"--trusted-ca-file={ca}",
            "--logger=zap",
            "--log-outputs=stderr",
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    try:
        # The port opens before etcd serves on it: wait for a full TLS answer.
        wait_for(
            lambda: proc.poll() is not None or _serving(client_port, ca),
            timeout=30,
            what="etcd serving TLS",
        )
        assert proc.poll() is None, (tmp / "etcd.log").read_text()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _serving(port: int, ca: Path) -> bool:
    """etcd completed a TLS handshake (certificate not judged) and sent a TLS record."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
                tls.recv(1)
        return True
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
        return False  # not serving yet: it hangs up
    except ssl.SSLError:
        return True  # a TLS alert (no client certificate) proves the server is up
    except OSError:
        return False


async def _fail(settings: ConnectionSettings, url: str) -> tuple[str, str, errors.EtcdtuiError]:
    """(error_code, cause) from endpoint_status, and the error members() raises."""
    async with ClusterService(settings) as svc:
        status = await svc.endpoint_status(url)
        assert not status.ok, status
        with pytest.raises(errors.EtcdtuiError) as info:
            await svc.members()
    assert status.error_code == info.value.code, (status, info.value)
    return status.error_code or "", status.error or "", info.value


def _base(cluster: Sandbox) -> tuple[ConnectionSettings, str]:
    settings = replace(cluster.settings(), timeout=3.0)
    return settings, settings.endpoints[0]


# --- client-side mistakes against the shared mTLS cluster ---------------------------------


async def test_unknown_ca_names_the_ca_file(cluster: Sandbox, bad: dict[str, Path]) -> None:
    settings, url = _base(cluster)
    settings = replace(settings, cacert=bad["other_ca"], endpoints=(url,))
    code, cause, exc = await _fail(settings, url)
    assert isinstance(exc, errors.TLSUnknownCA)
    assert code == "tls-unknown-ca"
    assert str(bad["other_ca"]) in cause
    assert "etcdtui-sandbox-ca" in cause  # who really signed the server cert
    assert "--cacert" in exc.fix


async def test_client_cert_missing(cluster: Sandbox) -> None:
    settings, url = _base(cluster)
    settings = replace(settings, cert=None, key=None, endpoints=(url,))
    code, cause, exc = await _fail(settings, url)
    assert isinstance(exc, errors.TLSClientCertMissing)
    assert code == "tls-client-missing"
    assert "client certificate" in cause
    assert "--cert" in exc.fix and "--key" in exc.fix


async def test_client_cert_from_other_ca(cluster: Sandbox, bad: dict[str, Path]) -> None:
    settings, url = _base(cluster)
    settings = replace(
        settings, cert=bad["stranger_client"], key=bad["stranger_client_key"], endpoints=(url,)
    )
    code, cause, exc = await _fail(settings, url)
    assert type(exc) is errors.TLSClientCertRejected
    assert code == "tls-client-rejected"
    assert str(bad["stranger_client"]) in cause
    assert "stranger-ca" in cause  # names the issuer that etcd does not trust
    assert "--trusted-ca-file" in exc.fix


async def test_client_cert_expired(cluster: Sandbox, bad: dict[str, Path]) -> None:
    settings, url = _base(cluster)
    settings = replace(
        settings, cert=bad["expired_client"], key=bad["expired_client_key"], endpoints=(url,)
    )
    code, cause, exc = await _fail(settings, url)
    assert isinstance(exc, probe.TLSClientCertExpired)
    assert code == "tls-client-expired"
    assert str(bad["expired_client"]) in cause and "expired" in cause
    assert "local clock" in cause
    assert "renew" in exc.fix.lower()


async def test_client_cert_not_yet_valid(cluster: Sandbox, bad: dict[str, Path]) -> None:
    settings, url = _base(cluster)
    settings = replace(
        settings, cert=bad["future_client"], key=bad["future_client_key"], endpoints=(url,)
    )
    _code, cause, exc = await _fail(settings, url)
    assert isinstance(exc, probe.TLSClientCertExpired)
    assert "not valid before" in cause and "local clock" in cause
    assert "clock" in exc.fix.lower()


async def test_client_cert_without_client_auth_eku(cluster: Sandbox, bad: dict[str, Path]) -> None:
    settings, url = _base(cluster)
    settings = replace(
        settings, cert=bad["no_eku_client"], key=bad["no_eku_client_key"], endpoints=(url,)
    )
    code, cause, exc = await _fail(settings, url)
    assert isinstance(exc, probe.TLSClientCertNoClientAuth)
    assert code == "tls-client-eku"
    assert "clientAuth" in cause and str(bad["no_eku_client"]) in cause
    assert "clientAuth" in exc.fix


async def test_tls_server_dialled_as_http(cluster: Sandbox) -> None:
    settings, url = _base(cluster)
    plain = url.replace("https://", "http://")
    settings = replace(settings, endpoints=(plain,), insecure=True)
    code, cause, exc = await _fail(settings, plain)
    assert isinstance(exc, errors.TLSOnPlaintext)
    assert code == "tls-on-plaintext"
    assert "http://" in cause
    assert "https://" in exc.fix


async def test_http_endpoint_without_insecure_is_refused(cluster: Sandbox) -> None:
    settings, url = _base(cluster)
    plain = url.replace("https://", "http://")
    with pytest.raises(errors.InsecureRefused) as info:
        ClusterService(replace(settings, endpoints=(plain,), insecure=False))
    assert plain in info.value.cause and "--insecure" in info.value.fix
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("https://127.0.0.1", "no port"),
        ("ftp://127.0.0.1:2379", "scheme"),
        ("https://:2379", "no host"),
        ("https://127.0.0.1:99999", "port"),
    ],
)
async def test_invalid_url(cluster: Sandbox, url: str, needle: str) -> None:
    settings, _url = _base(cluster)
    with pytest.raises(errors.InvalidEndpoint) as info:
        ClusterService(replace(settings, endpoints=(url,)))
    assert needle in info.value.cause
    assert "https://" in info.value.fix


async def test_refused_port(cluster: Sandbox) -> None:
    settings, _url = _base(cluster)
    url = f"https://127.0.0.1:{free_port()}"
    code, cause, exc = await _fail(replace(settings, endpoints=(url,)), url)
    assert isinstance(exc, errors.Unreachable)
    assert code == "unreachable" and "refused" in cause
    assert "--listen-client-urls" in exc.fix


# --- servers that are not (TLS) etcd -------------------------------------------------------


async def _http_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Like nginx: a page for an HTTP request, 400 for anything else (a TLS hello)."""
    first = await reader.read(4096)
    if first.split(b" ", 1)[0] in (b"GET", b"POST", b"PRI"):
        status, body = b"200 OK", b"<html>nginx welcome</html>"
    else:
        status, body = b"400 Bad Request", b"<html>bad request</html>"
    writer.write(
        b"HTTP/1.1 %s\r\nServer: nginx\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n%s" % (status, len(body), body)
    )
    await writer.drain()
    writer.close()


async def _garbage_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"\x00\xffSSH-2.0-not-etcd garbage\r\n" * 4)
    await writer.drain()
    try:
        await asyncio.wait_for(reader.read(1024), timeout=5)
    except TimeoutError:
        pass
    writer.close()


@asynccontextmanager
async def foreign_server(kind: str) -> AsyncIterator[int]:
    """A non-etcd TCP service on this test's own event loop; yields its port."""
    handler = _http_server if kind == "http" else _garbage_server
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("kind", ["http", "garbage"])
@pytest.mark.parametrize("scheme", ["https", "http"])
async def test_non_etcd_port(cluster: Sandbox, kind: str, scheme: str) -> None:
    settings, _url = _base(cluster)
    async with foreign_server(kind) as port:
        url = f"{scheme}://127.0.0.1:{port}"
        code, cause, exc = await _fail(replace(settings, endpoints=(url,), insecure=True), url)
    # Neither speaks TLS nor etcd: both schemes must end in "not etcd", not "plaintext".
    assert isinstance(exc, errors.NotEtcd), exc
    assert code == "not-etcd"
    assert "not as etcd" in cause and f"127.0.0.1:{port}" in cause
    if kind == "http":
        assert "HTTP/1.1 200" in cause
    assert "2379" in exc.fix


async def test_plaintext_server_on_https_endpoint(fresh_cluster) -> None:  # type: ignore[no-untyped-def]
    sandbox = fresh_cluster(1, client_tls=False)
    plain = sandbox.settings().endpoints[0]
    url = plain.replace("http://", "https://")
    settings = replace(
        sandbox.settings(), endpoints=(url,), insecure=False, cert=None, key=None, timeout=3.0
    )
    code, cause, exc = await _fail(settings, url)
    assert isinstance(exc, errors.PlaintextServer)
    assert code == "plaintext-server"
    assert "plaintext" in cause
    assert "http://" in exc.fix and "--insecure" in exc.fix


# --- bad server certificates (a private etcd each) ----------------------------------------


@pytest.mark.parametrize("case", ["expired_server", "future_server"])
async def test_server_cert_outside_validity(
    cluster: Sandbox, bad: dict[str, Path], tmp_path: Path, case: str
) -> None:
    with served(tmp_path, bad[case], bad[case + "_key"], cluster.ca_cert) as url:
        settings = replace(cluster.settings(), endpoints=(url,), timeout=3.0)
        code, cause, exc = await _fail(settings, url)
    assert isinstance(exc, errors.TLSCertExpired)
    assert "local clock" in cause
    assert "server certificate" in cause
    if case == "expired_server":
        assert code == "tls-expired" and "expired" in cause
    else:
        assert isinstance(exc, probe.TLSCertNotYetValid)
        assert code == "tls-not-yet-valid" and "not yet valid" in cause
    assert "clock" in exc.fix


async def test_server_cert_san_mismatch(
    cluster: Sandbox, bad: dict[str, Path], tmp_path: Path
) -> None:
    with served(
        tmp_path, bad["wrong_san_server"], bad["wrong_san_server_key"], cluster.ca_cert
    ) as url:
        settings = replace(cluster.settings(), endpoints=(url,), timeout=3.0)
        code, cause, exc = await _fail(settings, url)
        # --server-name with a listed SAN is the documented way out: it must work.
        fixed = replace(settings, server_name="etcd-9.example.internal")
        async with ClusterService(fixed) as svc:
            assert (await svc.endpoint_status(url)).ok
    assert isinstance(exc, errors.TLSHostnameMismatch)
    assert code == "tls-san-mismatch"
    assert "127.0.0.1" in cause
    assert "etcd-9.example.internal" in cause and "10.9.9.9" in cause
    assert "--server-name" in exc.fix


async def test_ed25519_certificates_are_named(tmp_path: Path) -> None:
    """etcd serves Ed25519 certificates, but gRPC's TLS cannot use them: say so."""
    ca = pki.create_ca("ed-ca", key_kind="ed25519")
    pki.save(ca, tmp_path / "ca.crt", tmp_path / "ca.key")
    srv = _write(
        tmp_path,
        "server",
        pki.issue(ca, "s1", hosts=["127.0.0.1"], server=True, client=True, key_kind="ed25519"),
    )
    cli = _write(tmp_path, "client", pki.issue(ca, "op", client=True, key_kind="ed25519"))
    with served(tmp_path / "etcd", srv.cert, srv.key, tmp_path / "ca.crt") as url:
        settings = ConnectionSettings(
            endpoints=(url,), cacert=tmp_path / "ca.crt", cert=cli.cert, key=cli.key, timeout=3.0
        )
        code, cause, exc = await _fail(settings, url)
    assert code == "tls"
    assert "Ed25519" in cause and "server and client" in cause
    assert "P-256" in exc.fix
