"""The certificates a cluster runs on, with what is wrong with each.

Three sources: the server certificate each endpoint presents in the TLS handshake
(SANs checked against the host of that endpoint, chain verified against the
configured CA), the client certificate, key and CA files in use, and, where they
are on this host, the member certificates (sandbox ``pki/``, kubeadm
``/etc/kubernetes/pki/etcd``). Nothing here reads or returns key material beyond
checking that a key matches its certificate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import _
from etcdtui.safeio import read_limited
from etcdtui.services.etcdapi.endpoint import split_endpoint
from etcdtui.services.tls import peek, pki

WARNING_DAYS = 30
CRITICAL_DAYS = 7
KUBEADM_ETCD_PKI = Path("/etc/kubernetes/pki/etcd")
SEVERITIES = ("ok", "warning", "critical")


@dataclass(frozen=True)
class CertInfo:
    """One certificate and its problems. ``severity`` is ok, warning or critical."""

    role: str  # server | client | ca | peer | member-server | file
    source: str  # the endpoint URL or the file path
    subject: str = ""
    issuer: str = ""
    serial: str = ""
    sans: tuple[str, ...] = ()
    usages: tuple[str, ...] = ()
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    days_left: int | None = None
    key_type: str = ""
    key_size: int = 0
    problems: tuple[str, ...] = ()
    severity: str = "ok"

    def as_dict(self) -> dict[str, object]:
        return {
            "role": self.role,
            "source": self.source,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "sans": list(self.sans),
            "usages": list(self.usages),
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "days_left": self.days_left,
            "key_type": self.key_type,
            "key_size": self.key_size,
            "severity": self.severity,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class CertReport:
    certs: tuple[CertInfo, ...]
    errors: tuple[str, ...] = field(default=())

    @property
    def worst(self) -> str:
        return max((c.severity for c in self.certs), key=SEVERITIES.index, default="ok")

    def as_dict(self) -> dict[str, object]:
        near = nearest_expiry(self.certs)
        return {
            "worst": self.worst,
            "nearest_expiry": near.as_dict() if near else None,
            "certificates": [c.as_dict() for c in self.certs],
            "errors": list(self.errors),
        }


def key_description(cert: x509.Certificate) -> tuple[str, int]:
    pub = cert.public_key()
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return f"EC {pub.curve.name}", pub.key_size
    if isinstance(pub, rsa.RSAPublicKey):
        return "RSA", pub.key_size
    if isinstance(pub, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    return type(pub).__name__, 0


def _severity_for_days(days: int) -> str:
    if days <= CRITICAL_DAYS:
        return "critical"
    if days <= WARNING_DAYS:
        return "warning"
    return "ok"


def describe(
    cert: x509.Certificate,
    role: str,
    source: str,
    *,
    now: dt.datetime | None = None,
    problems: Iterable[tuple[str, str]] = (),
) -> CertInfo:
    """Facts about ``cert`` plus validity problems; ``problems`` adds (severity, text)."""
    when = now or dt.datetime.now(dt.UTC)
    found: list[tuple[str, str]] = list(problems)
    after, before = cert.not_valid_after_utc, cert.not_valid_before_utc
    days = int((after - when).total_seconds() // 86400)
    if when > after:
        found.append(
            (
                "critical",
                _("expired on {d} (local clock {now})").format(
                    d=after.isoformat(), now=when.replace(microsecond=0).isoformat()
                ),
            )
        )
    elif when < before:
        found.append(
            (
                "critical",
                _("not valid before {d} (local clock {now})").format(
                    d=before.isoformat(), now=when.replace(microsecond=0).isoformat()
                ),
            )
        )
    elif _severity_for_days(days) != "ok":
        found.append(
            (
                _severity_for_days(days),
                _("expires in {n} days ({d})").format(n=days, d=after.date().isoformat()),
            )
        )
    key_type, key_size = key_description(cert)
    severity = max((s for s, _t in found), key=SEVERITIES.index, default="ok")
    return CertInfo(
        role=role,
        source=source,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=f"{cert.serial_number:x}",
        sans=tuple(pki.sans_of(cert)),
        usages=tuple(pki.usages_of(cert)),
        not_before=before,
        not_after=after,
        days_left=days,
        key_type=key_type,
        key_size=key_size,
        problems=tuple(t for _s, t in found),
        severity=severity,
    )


def nearest_expiry(certs: Sequence[CertInfo]) -> CertInfo | None:
    """The certificate that expires first (for the console header)."""
    dated = [c for c in certs if c.not_after is not None]
    return min(dated, key=lambda c: c.not_after or dt.datetime.max) if dated else None


def load_bundle(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(read_limited(path))
    except (OSError, ValueError):
        return []


# --- the server side, as seen in the handshake ----------------------------------------


def _handshake(
    host: str, port: int, settings: ConnectionSettings, server_name: str
) -> tuple[x509.Certificate | None, str | None]:
    """(served certificate, chain verification error or None)."""
    cert = peek.peer_certificate(
        host,
        port,
        timeout=settings.timeout,
        server_name=server_name,
        context=peek.unverified_context(settings.cert, settings.key),
    )
    verify = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    verify.check_hostname = False  # the SAN check is done (and reported) separately
    try:
        if settings.cacert:
            verify.load_verify_locations(cafile=str(settings.cacert))
        else:
            verify.load_default_certs()
    except (ssl.SSLError, OSError) as exc:
        return cert, _("the CA file {ca} is unusable: {why}").format(ca=settings.cacert, why=exc)
    try:
        with socket.create_connection((host, port), timeout=settings.timeout) as raw:
            with verify.wrap_socket(raw, server_hostname=server_name):
                pass
    except ssl.SSLCertVerificationError as exc:
        return cert, exc.verify_message or str(exc)
    except (ssl.SSLError, OSError):
        pass  # the chain was accepted; the server refused us later (client cert)
    return cert, None


async def server_cert(
    url: str,
    settings: ConnectionSettings,
    *,
    advertised: bool = True,
    now: dt.datetime | None = None,
) -> CertInfo | str:
    """The certificate ``url`` serves, checked; or why it could not be fetched."""
    try:
        ep = split_endpoint(url, insecure=True)
    except errors.EtcdtuiError as exc:
        return exc.cause
    if not ep.secure:
        return _("{url} is plain http: there is no server certificate").format(url=url)
    name = settings.server_name or ep.host
    try:
        cert, verify_error = await asyncio.wait_for(
            asyncio.to_thread(_handshake, ep.host, ep.port, settings, name),
            timeout=settings.timeout * 3,
        )
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        return _("{url}: no TLS handshake ({why})").format(url=url, why=exc or type(exc).__name__)
    if cert is None:
        return _("{url} presented no certificate").format(url=url)
    problems: list[tuple[str, str]] = []
    if not pki.host_matches(cert, name):
        problems.append(
            (
                "critical",
                _("no SAN matches {host} (SANs: {sans})").format(
                    host=name, sans=", ".join(pki.sans_of(cert)) or _("none")
                ),
            )
        )
    if verify_error:
        problems.append(
            (
                "critical",
                _("chain does not verify to {ca}: {why}").format(
                    ca=settings.cacert or _("the system store"), why=verify_error
                ),
            )
        )
    if "serverAuth" not in pki.usages_of(cert) and pki.usages_of(cert):
        problems.append(("critical", _("lacks the serverAuth extended key usage")))
    return describe(cert, "server", ep.url, now=now, problems=problems)


# --- files --------------------------------------------------------------------------


def client_files(
    settings: ConnectionSettings, *, now: dt.datetime | None = None
) -> list[CertInfo | str]:
    """The CA, client certificate and key this connection uses."""
    out: list[CertInfo | str] = []
    cas = load_bundle(settings.cacert) if settings.cacert else []
    if settings.cacert and not cas:
        out.append(
            _("the CA file {path} holds no readable PEM certificate").format(path=settings.cacert)
        )
    for ca in cas:
        ca_problems = [] if pki.is_ca(ca) else [("critical", _("not a CA certificate"))]
        out.append(describe(ca, "ca", str(settings.cacert), now=now, problems=ca_problems))
    if settings.cert is None:
        return out
    certs = load_bundle(settings.cert)
    if not certs:
        out.append(
            _("the client certificate {path} holds no readable PEM certificate").format(
                path=settings.cert
            )
        )
        return out
    leaf = certs[0]
    problems: list[tuple[str, str]] = []
    if "clientAuth" not in pki.usages_of(leaf) and pki.usages_of(leaf):
        problems.append(
            ("critical", _("lacks the clientAuth extended key usage: etcd will reject it"))
        )
    if settings.key is not None:
        problems += _key_problem(leaf, settings.key)
    if cas and not any(pki.issued_by(leaf, ca) for ca in cas):
        problems.append(
            (
                "critical",
                _("not issued by the CA in {ca} (issuer {issuer})").format(
                    ca=settings.cacert, issuer=leaf.issuer.rfc4514_string()
                ),
            )
        )
    out.append(describe(leaf, "client", str(settings.cert), now=now, problems=problems))
    return out


def _key_problem(cert: x509.Certificate, key_path: Path) -> list[tuple[str, str]]:
    try:
        key = serialization.load_pem_private_key(read_limited(key_path), password=None)
    except TypeError:
        return [
            (
                "critical",
                _("the key {path} is encrypted; etcd clients need it unencrypted").format(
                    path=key_path
                ),
            )
        ]
    except (OSError, ValueError) as exc:
        return [
            (
                "critical",
                _("the key {path} is unreadable ({why})").format(
                    path=key_path, why=getattr(exc, "strerror", None) or type(exc).__name__
                ),
            )
        ]
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    ) or not pki.key_matches_cert(cert, key):
        return [
            (
                "critical",
                _("the key {path} does not belong to this certificate").format(path=key_path),
            )
        ]
    return []


def _role_from_path(path: Path) -> str:
    """``<dir>/<name>``: ``etcd/server`` (kubeadm), ``m1/peer`` (sandbox), ``pki/ca``."""
    return f"{path.parent.name}/{path.stem}"


def local_files(roots: Sequence[Path], *, now: dt.datetime | None = None) -> list[CertInfo]:
    """Every certificate under the given directories (``*.crt``; ``.bak`` ignored)."""
    out: list[CertInfo] = []
    seen: set[Path] = set()
    for root in roots:
        if not Path(root).is_dir():
            continue
        for crt in sorted(Path(root).rglob("*.crt")):
            real = crt.resolve()
            if real in seen:
                continue
            seen.add(real)
            certs = load_bundle(crt)
            if not certs:
                continue
            problems: list[tuple[str, str]] = []
            key = crt.with_suffix(".key")
            if key.exists() and not pki.is_ca(certs[0]):
                problems += _key_problem(certs[0], key)
            out.append(
                describe(certs[0], _role_from_path(crt), str(crt), now=now, problems=problems)
            )
    return out


async def collect(
    settings: ConnectionSettings,
    *,
    urls: Sequence[str] | None = None,
    local_roots: Sequence[Path] = (),
    now: dt.datetime | None = None,
) -> CertReport:
    """Server certificates of ``urls`` (default: every configured and advertised client
    URL), the client files in use, and the certificates under ``local_roots``."""
    problems: list[str] = []
    if urls is None:
        urls = await _cluster_urls(settings, problems)
    found = await asyncio.gather(*(server_cert(u, settings, now=now) for u in urls))
    items: list[CertInfo | str] = [*found, *client_files(settings, now=now)]
    certs = [c for c in items if isinstance(c, CertInfo)]
    problems += [c for c in items if isinstance(c, str)]
    in_use = {Path(p).resolve() for p in (settings.cacert, settings.cert) if p is not None}
    certs += [
        c for c in local_files(local_roots, now=now) if Path(c.source).resolve() not in in_use
    ]
    return CertReport(tuple(certs), tuple(problems))


async def _cluster_urls(settings: ConnectionSettings, problems: list[str]) -> list[str]:
    from etcdtui.services.cluster import ClusterService

    async with ClusterService(settings) as svc:
        try:
            await svc.members()
        except errors.EtcdtuiError as exc:
            problems.append(
                _(
                    "member list unavailable ({why}); only the configured endpoints were checked"
                ).format(why=exc.cause)
            )
        return svc.all_endpoints()


def default_local_roots(
    settings: ConnectionSettings, kubeadm_root: Path | None = None
) -> list[Path]:
    """Where member certificates may be on this host: the sandbox, kubeadm's layout."""
    roots: list[Path] = []
    if settings.source == "sandbox" and settings.cacert is not None:
        roots.append(Path(settings.cacert).parent)
    kube = kubeadm_root or KUBEADM_ETCD_PKI
    if kube.is_dir():
        roots.append(kube)
    return roots
