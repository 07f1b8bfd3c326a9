"""Precise diagnosis of a failed connection.

gRPC reports most TLS and transport failures as a vague ``UNAVAILABLE``. When that
happens we dial the endpoint again with the standard library (TCP, then TLS with the
same CA and client certificate, then an HTTP ``/version`` request, which etcd serves
on its client port) and name the exact cause: refused port, unknown CA, expired
certificate, SAN mismatch, missing or rejected client certificate, plaintext on one
side and TLS on the other, or a port that is not etcd.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from dataclasses import replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import N_, _
from etcdtui.safeio import read_limited
from etcdtui.services.etcdapi.endpoint import Endpoint
from etcdtui.services.tls import peek, pki


class TLSCertNotYetValid(errors.TLSCertExpired):
    code = "tls-not-yet-valid"
    default_title = N_("Server certificate not yet valid")
    default_fix = N_(
        "The certificate's validity starts in the future: fix the clock of this host or of "
        "the etcd host (NTP), or re-issue the certificate with a start date in the past."
    )


class TLSClientCertExpired(errors.TLSClientCertRejected):
    code = "tls-client-expired"
    default_title = N_("Client certificate expired or not yet valid")
    default_fix = N_(
        "Renew the client certificate from the etcd CA (kubeadm certs renew "
        "apiserver-etcd-client, or etcdtui pki renew) and check this host's clock."
    )


class TLSClientCertNoClientAuth(errors.TLSClientCertRejected):
    code = "tls-client-eku"
    default_title = N_("Client certificate not made for client authentication")
    default_fix = N_(
        "etcd only accepts client certificates whose extended key usage includes "
        "clientAuth: re-issue it with clientAuth (etcdtui pki init --client NAME makes one)."
    )
    default_console_fix = N_(
        "etcd only accepts client certificates whose extended key usage includes "
        "clientAuth: re-issue it with clientAuth (etcdtui pki init makes one), set it in "
        "the context and switch with :context NAME."
    )


# OpenSSL X509 verify codes we name precisely.
_EXPIRED, _NOT_YET_VALID = 10, 9
_UNKNOWN_CA = {2, 18, 19, 20, 21}
_HOSTNAME_MISMATCH = {62, 64}  # host name, IP address


async def diagnose(
    endpoint: Endpoint,
    settings: ConnectionSettings,
    grpc_details: str = "",
    *,
    budget: float | None = None,
) -> errors.EtcdtuiError | None:
    """Return the specific error, or None when the probe finds nothing wrong.

    The probe never takes longer than ``budget`` seconds (default: the timeout)."""
    import asyncio

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


def diagnose_blocking(
    endpoint: Endpoint,
    settings: ConnectionSettings,
    grpc_details: str = "",
    *,
    budget: float | None = None,
) -> errors.EtcdtuiError | None:
    """:func:`diagnose` on the caller's thread. Each step (TCP connect, TLS handshake,
    the plain-HTTP question) has half the budget as its socket timeout."""
    limit = budget if budget is not None else settings.timeout
    probe_settings = replace(settings, timeout=max(min(limit, settings.timeout) / 2, 0.1))
    return _diagnose_sync(endpoint, probe_settings, grpc_details)


def connect_timed_out(endpoint: Endpoint) -> errors.EtcdtuiError:
    """No TCP connection in time (also what the gateway transport reports)."""
    return errors.DeadlineExceeded(
        _("TCP connect to {target} timed out").format(target=endpoint.target),
        endpoint=endpoint.url,
    )


def hung_handshake(endpoint: Endpoint) -> errors.EtcdtuiError:
    """TCP connected, TLS never finished: a SIGSTOPped or overloaded member (also what
    the gateway transport reports when its own handshake runs out of time)."""
    return errors.DeadlineExceeded(
        _(
            "{target} accepted the TCP connection but never finished the TLS handshake: "
            "the member is hung or overloaded"
        ).format(target=endpoint.target),
        endpoint=endpoint.url,
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
        return connect_timed_out(endpoint)
    except OSError as exc:
        return errors.Unreachable(
            _("cannot connect to {target}: {why}").format(
                target=endpoint.target, why=exc.strerror or exc
            ),
            endpoint=endpoint.url,
        )


def _not_etcd(endpoint: Endpoint, what: str) -> errors.NotEtcd:
    return errors.NotEtcd(
        _("{target} answered, but not as etcd ({what})").format(target=endpoint.target, what=what),
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
            found = _diagnose_tls(sock, endpoint, settings)
            if found is None and "HANDSHAKE" in grpc_details.upper():
                return _ed25519_problem(endpoint, settings)
            return found
        return _diagnose_plain(sock, endpoint, settings)


def _ed25519_problem(
    endpoint: Endpoint, settings: ConnectionSettings
) -> errors.EtcdtuiError | None:
    """OpenSSL could talk to the server but gRPC could not: Ed25519 keys are the one
    difference we know of (gRPC's BoringSSL does not negotiate them with etcd)."""
    server = _peer_certificate(endpoint, settings, settings.server_name or endpoint.host)
    client = _load_pem_cert(settings.cert) if settings.cert else None
    which = [
        label
        for label, cert in ((_("server"), server), (_("client"), client))
        if cert is not None and isinstance(cert.public_key(), ed25519.Ed25519PublicKey)
    ]
    if not which:
        return None
    return errors.TLSError(
        _(
            "the {which} certificate uses an Ed25519 key: etcd accepts it, but gRPC clients "
            "(etcdtui, and other gRPC C-core clients) cannot complete the handshake"
        ).format(which=_(" and ").join(which)),
        endpoint=endpoint.url,
        fix=_("Re-issue the certificates with EC P-256 keys (etcdtui pki init does)."),
    )


def _diagnose_plain(
    sock: socket.socket, endpoint: Endpoint, settings: ConnectionSettings
) -> errors.EtcdtuiError | None:
    # Does the server want TLS? Try a handshake that verifies nothing.
    ctx = peek.unverified_context(settings.cert, settings.key)
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
            response = peek.ask_version(again)
        except OSError:
            return _not_etcd(endpoint, _("no HTTP answer"))
    if peek.looks_like_etcd(response):
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
    try:
        if settings.cacert:
            ctx.load_verify_locations(cafile=str(settings.cacert))
        else:
            ctx.load_default_certs()
    except (ssl.SSLError, OSError) as exc:
        return errors.ConfigError(
            _("the CA file {ca} cannot be used: {why}").format(ca=settings.cacert, why=exc),
            fix=_("Pass a PEM file with the etcd CA certificate to --cacert."),
            console_fix=_(
                "Set cacert in the context to a PEM file with the etcd CA certificate, then "
                "switch to it with :context NAME."
            ),
        )
    if settings.cert and settings.key:
        try:
            ctx.load_cert_chain(str(settings.cert), str(settings.key))
        except (ssl.SSLError, OSError) as exc:
            return errors.ConfigError(
                _(
                    "the client certificate {cert} and key {key} cannot be used together: {why}"
                ).format(cert=settings.cert, key=settings.key, why=exc),
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
        return hung_handshake(endpoint)
    except OSError as exc:
        # Closed mid-handshake: plaintext etcd, another service, or our certificate refused.
        return _closed_in_handshake(str(exc), endpoint, settings)
    with tls:
        try:
            response = peek.ask_version(tls)
        except ssl.SSLError as exc:
            if "EOF" in (exc.reason or str(exc)).upper():
                # The handshake completed, so this is TLS: the server hung up on our cert.
                if settings.cert:
                    return _client_rejected(exc.reason or str(exc), endpoint, settings)
                return _client_missing(endpoint)
            return _handshake_failure(exc, endpoint, settings)
        except OSError as exc:
            if settings.cert:  # TLS 1.3: the verdict on our certificate comes after the handshake
                return _client_rejected(str(exc), endpoint, settings)
            return _not_etcd(endpoint, str(exc))
    if not response:
        if settings.cert:
            return _client_rejected(_("connection closed"), endpoint, settings)
        return _client_missing(endpoint)
    if not peek.looks_like_etcd(response):
        return _not_etcd(endpoint, _first_line(response))
    return None


_PLAINTEXT_REASONS = (
    "WRONG_VERSION_NUMBER",
    "RECORD_LAYER",
    "PACKET_LENGTH",
    "HTTP_REQUEST",
    "UNEXPECTED_RECORD",
    "UNKNOWN_PROTOCOL",
    "RECORD_TOO_LARGE",
)
_REJECTION_REASONS = (
    "CERTIFICATE_REQUIRED",
    "HANDSHAKE_FAILURE",
    "BAD_CERTIFICATE",
    "UNKNOWN_CA",
    "UNSUPPORTED_CERTIFICATE",
    "CERTIFICATE_UNKNOWN",
    "DECRYPT_ERROR",
    "CERTIFICATE_EXPIRED",
    "ACCESS_DENIED",
)


def _handshake_failure(
    exc: ssl.SSLError, endpoint: Endpoint, settings: ConnectionSettings
) -> errors.EtcdtuiError:
    reason = (exc.reason or str(exc)).upper()
    if any(k in reason for k in _PLAINTEXT_REASONS):
        found = _plaintext_reply(endpoint, settings)
        assert found is not None
        return found
    if "EOF" in reason:
        return _closed_in_handshake(exc.reason or str(exc), endpoint, settings)
    if any(k in reason for k in _REJECTION_REASONS):
        if not settings.cert:
            return _client_missing(endpoint)
        return _client_rejected(exc.reason or str(exc), endpoint, settings)
    return errors.TLSError(str(exc), endpoint=endpoint.url)


def _closed_in_handshake(
    why: str, endpoint: Endpoint, settings: ConnectionSettings
) -> errors.EtcdtuiError:
    """The server hung up on our TLS hello. A plaintext etcd does exactly that."""
    found = _plaintext_reply(endpoint, settings, only_if_answered=True)
    if found is not None:
        return found
    if settings.cert:
        return _client_rejected(why, endpoint, settings)
    return errors.TLSError(
        _("{target} closed the connection during the TLS handshake ({why})").format(
            target=endpoint.target, why=why
        ),
        endpoint=endpoint.url,
    )


def _plaintext_reply(
    endpoint: Endpoint, settings: ConnectionSettings, *, only_if_answered: bool = False
) -> errors.EtcdtuiError | None:
    """The TLS hello got plaintext back: plaintext etcd, or some other service?"""
    sock = _connect(endpoint, settings.timeout)
    response = b""
    if not isinstance(sock, errors.EtcdtuiError):
        with sock:
            try:
                response = peek.ask_version(sock)
            except OSError:
                response = b""
    if response and not peek.looks_like_etcd(response):
        return _not_etcd(endpoint, _first_line(response))
    if only_if_answered and not response:
        return None
    return errors.PlaintextServer(
        _(
            "{target} answered the TLS hello with plaintext bytes: etcd listens there without TLS"
        ).format(target=endpoint.target),
        endpoint=endpoint.url,
    )


def _client_missing(endpoint: Endpoint) -> errors.EtcdtuiError:
    return errors.TLSClientCertMissing(
        _("the server asked for a client certificate and none was given"),
        endpoint=endpoint.url,
    )


def _load_pem_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(read_limited(path))
    except (OSError, ValueError):
        return None


def _client_rejected(
    why: str, endpoint: Endpoint, settings: ConnectionSettings
) -> errors.EtcdtuiError:
    """The server refused our client certificate: find out why from the file itself."""
    url = endpoint.url
    assert settings.cert is not None
    cert = _load_pem_cert(settings.cert)
    if cert is None:
        return errors.TLSClientCertRejected(
            _("the server rejected our client certificate {cert} ({why})").format(
                cert=settings.cert, why=why
            ),
            endpoint=url,
        )
    now = dt.datetime.now(dt.UTC)
    if now > cert.not_valid_after_utc:
        return TLSClientCertExpired(
            _("the client certificate {cert} expired on {end} (local clock: {now})").format(
                cert=settings.cert, end=cert.not_valid_after_utc.isoformat(), now=_now()
            ),
            endpoint=url,
        )
    if now < cert.not_valid_before_utc:
        return TLSClientCertExpired(
            _(
                "the client certificate {cert} is not valid before {start} (local clock: "
                "{now}): a clock is wrong"
            ).format(cert=settings.cert, start=cert.not_valid_before_utc.isoformat(), now=_now()),
            endpoint=url,
            fix=_(
                "Fix the clock of this host or of the CA host (NTP), or re-issue the "
                "certificate with a start date in the past."
            ),
        )
    eku = _client_eku_problem(settings.cert)
    if eku:
        return TLSClientCertNoClientAuth(
            _("the server rejected {cert}: {problem}").format(cert=settings.cert, problem=eku),
            endpoint=url,
        )
    issuer = cert.issuer.rfc4514_string()
    trusted = _ca_subjects(settings.cacert)
    if trusted and cert.issuer.rfc4514_string() not in trusted:
        return errors.TLSClientCertRejected(
            _(
                "the server rejected {cert}: it was issued by {issuer}, but the etcd CA "
                "({cas}) did not sign it"
            ).format(cert=settings.cert, issuer=issuer, cas=", ".join(sorted(trusted))),
            endpoint=url,
        )
    return errors.TLSClientCertRejected(
        _("the server rejected our client certificate {cert}, issued by {issuer} ({why})").format(
            cert=settings.cert, issuer=issuer, why=why
        ),
        endpoint=url,
    )


def _ca_subjects(cacert: Path | None) -> set[str]:
    if cacert is None:
        return set()
    try:
        certs = x509.load_pem_x509_certificates(read_limited(cacert))
    except (OSError, ValueError):
        return set()
    return {c.subject.rfc4514_string() for c in certs}


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
        cls = errors.TLSCertExpired if code == _EXPIRED else TLSCertNotYetValid
        return cls(
            _("the server certificate is {state}:{window} local clock {now}").format(
                state=state, window=window, now=_now()
            ),
            endpoint=url,
        )
    if code in _HOSTNAME_MISMATCH:
        sans = ", ".join(pki.sans_of(cert)) if cert is not None else _("unknown")
        return errors.TLSHostnameMismatch(
            _("dialled {host}, but the certificate is only valid for: {sans}").format(
                host=server_name, sans=sans or _("(no SANs)")
            ),
            endpoint=url,
        )
    if code in _UNKNOWN_CA:
        issuer = cert.issuer.rfc4514_string() if cert is not None else _("unknown issuer")
        return errors.TLSUnknownCA(
            _(
                "the server certificate was issued by {issuer}, which the CA file {ca} does "
                "not contain"
            ).format(issuer=issuer, ca=settings.cacert or _("(system store)")),
            endpoint=url,
        )
    return errors.TLSError(exc.verify_message or str(exc), endpoint=url)


def _peer_certificate(
    endpoint: Endpoint, settings: ConnectionSettings, server_name: str
) -> x509.Certificate | None:
    """What the server presents to a client that verifies nothing; None if no handshake."""
    try:
        return peek.peer_certificate(
            endpoint.host,
            endpoint.port,
            timeout=settings.timeout,
            server_name=server_name,
            context=peek.unverified_context(settings.cert, settings.key),
        )
    except (OSError, ssl.SSLError):
        return None


def _client_eku_problem(cert_path: Path | None) -> str | None:
    if cert_path is None:
        return None
    try:
        cert = x509.load_pem_x509_certificate(read_limited(cert_path))
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
