"""The client's TLS files, loaded and checked once, for every transport.

The gRPC channels take the PEM bytes (:class:`TLSMaterial`); the standard-library
clients (the gRPC-JSON gateway reads of `etcdtui status`, the /metrics scrapes) take an
:class:`ssl.SSLContext` built by :func:`ssl_context` from the same files.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import _
from etcdtui.records import record


@record(frozen=True)
class TLSMaterial:
    """The PEM bytes a TLS connection is made from (the key never shown)."""

    root: bytes | None
    cert: bytes | None
    key: bytes | None = None  # never logged: dataclass repr is overridden below

    def __repr__(self) -> str:
        return "TLSMaterial(<redacted>)"

    @classmethod
    def load(cls, settings: ConnectionSettings) -> TLSMaterial:
        if (settings.cert is None) != (settings.key is None):
            raise errors.ConfigError(
                _("a client certificate needs both --cert and --key"),
                fix=_("Pass both files, or neither to connect without a client certificate."),
            )
        from etcdtui.tlsfiles import CA, CERT, KEY, load_tls_file

        def read(path: Path | None, kind: str) -> bytes | None:
            return None if path is None else load_tls_file(Path(path), kind)

        return cls(
            root=read(settings.cacert, CA),
            cert=read(settings.cert, CERT),
            key=read(settings.key, KEY),
        )


def ssl_context(settings: ConnectionSettings, tls: TLSMaterial | None = None) -> ssl.SSLContext:
    """The standard library's TLS client context from the same files the gRPC channel
    uses: the CA (``tls.root`` when already loaded, else the file; the system store
    without one) and the client certificate and key. Verifies the server's certificate
    and host name. Raises OSError or ssl.SSLError when a file cannot be used."""
    root = tls.root if tls is not None else None
    if root is not None:
        ctx = ssl.create_default_context(cadata=root.decode("ascii", "replace"))
    else:
        ctx = ssl.create_default_context(cafile=str(settings.cacert) if settings.cacert else None)
    if settings.cert and settings.key:
        ctx.load_cert_chain(str(settings.cert), str(settings.key))
    return ctx


def ascii_host(name: str) -> str | bytes:
    """A host name for the blocking clients' ``socket.create_connection`` and
    ``wrap_socket(server_hostname=...)``: an ASCII name (an IP address, a plain DNS name)
    as bytes, which both take as it is; a str goes through the IDNA codec first, whose
    import (with stringprep and unicodedata) costs `etcdtui status` milliseconds."""
    return name.encode("ascii") if name.isascii() else name
