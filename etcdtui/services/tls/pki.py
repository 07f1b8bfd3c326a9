"""x509 PKI with `cryptography`: a CA and the certificates etcd members and clients use.

Keys are EC P-256 by default. Tested against etcd 3.5.1: etcd and etcdctl (Go
crypto/tls) accept Ed25519 too, but gRPC's BoringSSL (grpcio, which etcdtui and other
C-core clients use) aborts the handshake with ``SSLV3_ALERT_HANDSHAKE_FAILURE``, so
Ed25519 would lock those clients out. P-256 works everywhere and is small and fast.
Key files are created 0600 and nothing is ever overwritten; ``renew`` (in
:mod:`etcdtui.services.tls.pki_dir`) moves the old files to ``.bak`` first.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import N_, _
from etcdtui.safeio import read_limited

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


class PKIError(EtcdtuiError):
    code = "pki"
    default_title = N_("Certificate problem")


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: PrivateKey

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def new_key(kind: str = "ec") -> PrivateKey:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise PKIError(_("unknown key type {kind!r}").format(kind=kind))


def _sign_hash(key: PrivateKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def create_ca(
    cn: str = "etcdtui-ca",
    *,
    days: int = 3650,
    key_kind: str = "ec",
    not_before: dt.datetime | None = None,
) -> Issued:
    key = new_key(key_kind)
    start = not_before or _now() - dt.timedelta(minutes=5)
    name = _name(cn)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, _sign_hash(key))
    )
    return Issued(cert, key)


def _san_entries(hosts: Iterable[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for h in hosts:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            out.append(x509.DNSName(h))
    return out


def issue(
    ca: Issued,
    cn: str,
    *,
    hosts: Sequence[str] = (),
    server: bool = False,
    client: bool = False,
    days: int = 365,
    key_kind: str = "ec",
    not_before: dt.datetime | None = None,
    org: str | None = None,
) -> Issued:
    """Issue a leaf certificate signed by ``ca`` with the requested extended usages."""
    key = new_key(key_kind)
    start = not_before or _now() - dt.timedelta(minutes=5)
    usages = []
    if server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, org))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(_san_entries(hosts)), critical=False
        )
    return Issued(builder.sign(ca.key, _sign_hash(ca.key)), key)


def write_new(path: Path, data: bytes, *, mode: int) -> None:
    """Create ``path`` exclusively with ``mode``; refuse to overwrite anything."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise PKIError(
            _("{path} already exists; etcdtui never overwrites certificates or keys").format(
                path=path
            ),
            fix=_("Move the old file aside, or choose another directory."),
        ) from None
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, mode)


def save(issued: Issued, cert_path: Path, key_path: Path) -> None:
    write_new(key_path, issued.key_pem(), mode=0o600)
    write_new(cert_path, issued.cert_pem(), mode=0o644)


def load_issued(cert_path: Path, key_path: Path) -> Issued:
    cert = x509.load_pem_x509_certificate(read_limited(cert_path))
    key = serialization.load_pem_private_key(read_limited(key_path), password=None)
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise PKIError(_("unsupported key type in {path}").format(path=key_path))
    return Issued(cert, key)


def key_matches_cert(cert: x509.Certificate, key: PrivateKey) -> bool:
    """True when ``key`` is the private half of the certificate's public key."""
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    return bool(cert.public_key().public_bytes(enc, fmt) == key.public_key().public_bytes(enc, fmt))


def sans_of(cert: x509.Certificate) -> list[str]:
    """DNS names and IP addresses in the subjectAltName extension."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n.value) for n in ext if isinstance(n, x509.DNSName | x509.IPAddress)]


def usages_of(cert: x509.Certificate) -> list[str]:
    """Extended key usages as short names: serverAuth, clientAuth."""
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    names = {
        ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
        ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    }
    return [names.get(oid, oid.dotted_string) for oid in eku]


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def host_matches(cert: x509.Certificate, host: str) -> bool:
    """Does the certificate cover ``host`` (exact IP, DNS name or one-label wildcard)?"""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for name in sans_of(cert):
        if ip is not None:
            try:
                if ipaddress.ip_address(name) == ip:
                    return True
            except ValueError:
                continue
            continue
        low, want = name.lower(), host.lower().rstrip(".")
        if low == want:
            return True
        if low.startswith("*.") and "." in want and want.split(".", 1)[1] == low[2:]:
            return True
    return False


def issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """True when ``ca`` signed ``cert`` (signature check, not validity)."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
