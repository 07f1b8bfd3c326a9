"""Precise diagnosis of a failed connection.

gRPC reports most TLS and transport failures as a vague ``UNAVAILABLE``. When that
happens we dial the endpoint again with the standard library (TCP, then TLS with the
same CA and client certificate, then an HTTP ``/version`` request, which etcd serves
on its client port) and name the exact cause: refused port, unknown CA, expired
certificate, SAN mismatch, missing or rejected client certificate, plaintext on one
side and TLS on the other, or a port that is not etcd.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import ssl
from dataclasses import replace
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from etcdtui import errors
from etcdtui.i18n import _
from etcdtui.models import ConnectionSettings

from .connection import Endpoint

_VERSION_REQUEST = b"GET /version HTTP/1.1\r\nHost: etcd\r\nConnection: close\r\n\r\n"

# OpenSSL X509 verify codes we name precisely.
_EXPIRED, _NOT_YET_VALID = 10, 9
_UNKNOWN_CA = {2, 18, 19, 20, 21}
_HOSTNAME_MISMATCH = 62


async def diagnose(
    endpoint: Endpoint,
    settings: ConnectionSettings,
    grpc_details: str = "",
    *,
    budget: float | None = None,
) -> errors.EtcdtuiError | None:
    """Return the specific error, or None when the probe finds nothing wrong.

    The probe never takes longer than ``budget`` seconds (default: the timeout)."""
    limit = budget if budget is not None else settings.timeout
    probe_settings = replace(settings, timeout=max(min(limit, settings.timeout) / 2, 0.1))
    try:
        return await asyncio.wait_for(
            asyncio.to_thread(_diagnose_sync, endpoint, probe_settings, grpc_details),
            timeout=limit,
        )
    except TimeoutError:
        return errors.DeadlineExceeded(
            _("the diagnostic probe got no answer in time"), endpoint=endpoint.url
        )


def _connect(endpoint: Endpoint, timeout: float) -> socket.socket | errors.EtcdtuiError:
    try:
        return socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
    except ConnectionRefusedError:
        return errors.Unreachable(
            _("connection refused on {target}: nothing listens there").format(
                target=endpoint.target
            ),
            endpoint=endpoint.url,
        )
    except TimeoutError:
        return errors.DeadlineExceeded(
            _("TCP connect to {target} timed out").format(target=endpoint.target),
            endpoint=endpoint.url,
        )
    except OSError as exc:
        return errors.Unreachable(
            _("cannot connect to {target}: {why}").format(
                target=endpoint.target, why=exc.strerror or exc
            ),
            endpoint=endpoint.url,
        )


def _read_http(sock: socket.socket | ssl.SSLSocket) -> bytes:
    sock.sendall(_VERSION_REQUEST)
    chunks: list[bytes] = []
    total = 0
    while total < 65536:
        data = sock.recv(4096)
        if not data:
            break
        chunks.append(data)
        total += len(data)
    return b"".join(chunks)


def _looks_like_etcd(response: bytes) -> bool:
    head, _sep, body = response.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1."):
        return False
    try:
        doc = json.loads(body.strip() or b"{}")
    except ValueError:
        # chunked transfer encoding: the JSON sits on the second line
        lines = body.split(b"\r\n")
        doc = {}
        for line in lines:
            try:
                doc = json.loads(line)
                break
            except ValueError:
                continue
    return isinstance(doc, dict) and "etcdserver" in doc


def _not_etcd(endpoint: Endpoint, what: str) -> errors.NotEtcd:
    return errors.NotEtcd(
        _("{target} answered, but not as etcd ({what})").format(
            target=endpoint.target, what=what
        ),
        endpoint=endpoint.url,
    )


def _diagnose_sync(
    endpoint: Endpoint, settings: ConnectionSettings, grpc_details: str
) -> errors.EtcdtuiError | None:
    timeout = settings.timeout
    sock = _connect(endpoint, timeout)
    if isinstance(sock, errors.EtcdtuiError):
        return sock
    with sock:
        if endpoint.secure:
            return _diagnose_tls(sock, endpoint, settings)
        return _diagnose_plain(sock, endpoint, settings)


def _diagnose_plain(
    sock: socket.socket, endpoint: Endpoint, settings: ConnectionSettings
) -> errors.EtcdtuiError | None:
    # Does the server want TLS? Try a handshake that verifies nothing.
    ctx = _unverified_context(settings)
    tls_server = False
    try:
        with ctx.wrap_socket(sock, server_hostname=endpoint.host):
            tls_server = True
    except ssl.SSLError as exc:
        # A TLS alert (e.g. "bad certificate") is itself proof of a TLS server.
        tls_server = "ALERT" in (exc.reason or "").upper()
    except OSError:
        pass
    if tls_server:
        return errors.TLSOnPlaintext(
            _("{target} speaks TLS, but the endpoint was given as http://").format(
                target=endpoint.target
            ),
            endpoint=endpoint.url,
        )
    again = _connect(endpoint, settings.timeout)
    if isinstance(again, errors.EtcdtuiError):
        return again
    with again:
        try:
            response = _read_http(again)
        except OSError:
            return _not_etcd(endpoint, _("no HTTP answer"))
    if _looks_like_etcd(response):
        return None
    return _not_etcd(endpoint, _first_line(response))


def _first_line(response: bytes) -> str:
    line = response.split(b"\r\n", 1)[0][:80]
    return line.decode("ascii", "replace") or _("an empty reply")


def _diagnose_tls(
    sock: socket.socket, endpoint: Endpoint, settings: ConnectionSettings
) -> errors.EtcdtuiError | None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    if settings.cacert:
        ctx.load_verify_locations(cafile=str(settings.cacert))
    else:
        ctx.load_default_certs()
    if settings.cert and settings.key:
        try:
            ctx.load_cert_chain(str(settings.cert), str(settings.key))
        except (ssl.SSLError, OSError) as exc:
            return errors.ConfigError(
                _("the client certificate {cert} and key {key} cannot be used together: "
                  "{why}").format(cert=settings.cert, key=settings.key, why=exc),
                fix=_("Pass the key that belongs to this certificate."),
            )
    server_name = settings.server_name or endpoint.host
    try:
        tls = ctx.wrap_socket(sock, server_hostname=server_name)
    except ssl.SSLCertVerificationError as exc:
        return _verify_failure(exc, endpoint, settings, server_name)
    except ssl.SSLError as exc:
        return _handshake_failure(exc, endpoint, settings)
    except TimeoutError:
        return errors.DeadlineExceeded(
            _("{target} accepted the TCP connection but never finished the TLS handshake: "
              "the member is hung or overloaded").format(target=endpoint.target),
            endpoint=endpoint.url,
        )
    except OSError as exc:
        return _not_etcd(endpoint, _("TLS handshake failed: {why}").format(why=exc))
    with tls:
        try:
            response = _read_http(tls)
        except ssl.SSLError as exc:
            return _handshake_failure(exc, endpoint, settings)
        except OSError as exc:
            return _not_etcd(endpoint, str(exc))
    if not _looks_like_etcd(response):
        return _not_etcd(endpoint, _first_line(response))
    return None


def _handshake_failure(
    exc: ssl.SSLError, endpoint: Endpoint, settings: ConnectionSettings
) -> errors.EtcdtuiError:
    reason = (exc.reason or str(exc)).upper()
    url = endpoint.url
    if any(k in reason for k in ("WRONG_VERSION_NUMBER", "RECORD_LAYER", "PACKET_LENGTH",
                                 "HTTP_REQUEST", "UNEXPECTED_RECORD")):
        return errors.PlaintextServer(
            _("{target} answered the TLS hello with plaintext bytes").format(
                target=endpoint.target
            ),
            endpoint=url,
        )
    if not settings.cert and any(
        k in reason for k in ("CERTIFICATE_REQUIRED", "HANDSHAKE_FAILURE", "BAD_CERTIFICATE")
    ):
        return errors.TLSClientCertMissing(
            _("the server asked for a client certificate and none was given"), endpoint=url
        )
    if "CERTIFICATE_EXPIRED" in reason:
        return errors.TLSCertExpired(
            _("the server rejected our client certificate {cert} as expired or not yet valid "
              "(local clock: {now})").format(cert=settings.cert, now=_now()),
            endpoint=url,
        )
    if any(k in reason for k in ("BAD_CERTIFICATE", "UNKNOWN_CA", "UNSUPPORTED_CERTIFICATE",
                                 "CERTIFICATE_UNKNOWN", "DECRYPT_ERROR")):
        cause = _("the server rejected our client certificate {cert} ({why})").format(
            cert=settings.cert, why=exc.reason or exc
        )
        eku = _client_eku_problem(settings.cert)
        if eku:
            cause = f"{cause}; {eku}"
        return errors.TLSClientCertRejected(cause, endpoint=url)
    return errors.TLSError(str(exc), endpoint=url)


def _verify_failure(
    exc: ssl.SSLCertVerificationError,
    endpoint: Endpoint,
    settings: ConnectionSettings,
    server_name: str,
) -> errors.EtcdtuiError:
    url = endpoint.url
    cert = _peer_certificate(endpoint, settings, server_name)
    code = exc.verify_code
    if code in (_EXPIRED, _NOT_YET_VALID):
        window = ""
        if cert is not None:
            window = _(" valid from {a} to {b};").format(
                a=cert.not_valid_before_utc.isoformat(), b=cert.not_valid_after_utc.isoformat()
            )
        state = _("expired") if code == _EXPIRED else _("not yet valid")
        return errors.TLSCertExpired(
            _("the server certificate is {state}:{window} local clock {now}").format(
                state=state, window=window, now=_now()
            ),
            endpoint=url,
        )
    if code == _HOSTNAME_MISMATCH:
        sans = ", ".join(_sans(cert)) if cert is not None else _("unknown")
        return errors.TLSHostnameMismatch(
            _("dialled {host}, but the certificate is only valid for: {sans}").format(
                host=server_name, sans=sans
            ),
            endpoint=url,
        )
    if code in _UNKNOWN_CA:
        issuer = cert.issuer.rfc4514_string() if cert is not None else _("unknown issuer")
        return errors.TLSUnknownCA(
            _("the server certificate was issued by {issuer}, which the CA file {ca} does "
              "not contain").format(issuer=issuer, ca=settings.cacert or _("(system store)")),
            endpoint=url,
        )
    return errors.TLSError(exc.verify_message or str(exc), endpoint=url)


def _unverified_context(settings: ConnectionSettings) -> ssl.SSLContext:
    """A context that verifies nothing but still offers our client certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if settings.cert and settings.key:
        try:
            ctx.load_cert_chain(str(settings.cert), str(settings.key))
        except (ssl.SSLError, OSError):
            pass
    return ctx


def _peer_certificate(
    endpoint: Endpoint, settings: ConnectionSettings, server_name: str
) -> x509.Certificate | None:
    ctx = _unverified_context(settings)
    timeout = settings.timeout
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=server_name) as tls:
                der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    return x509.load_der_x509_certificate(der) if der else None


def _sans(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names: list[str] = [str(n) for n in ext.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]
    return names


def _client_eku_problem(cert_path: Path | None) -> str | None:
    if cert_path is None:
        return None
    try:
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    except (OSError, ValueError):
        return None
    if ExtendedKeyUsageOID.CLIENT_AUTH not in list(eku):
        return _("the certificate lacks the clientAuth extended key usage")
    return None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
