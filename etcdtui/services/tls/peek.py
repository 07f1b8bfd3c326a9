"""Raw-socket looks at an endpoint, outside gRPC: the ``/version`` request etcd answers
on its client port, and the certificate a server presents to a client that verifies
nothing. The connection probe, the certificate report and the posture scan all use
these; each is written once, here. Blocking: callers run them in a thread."""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path

from cryptography import x509

VERSION_REQUEST = b"GET /version HTTP/1.1\r\nHost: etcd\r\nConnection: close\r\n\r\n"
# etcd's answer is a few dozen bytes; anything past this is not etcd anyway.
MAX_VERSION_REPLY = 65536


def ask_version(sock: socket.socket | ssl.SSLSocket) -> bytes:
    """Send ``GET /version`` and read the reply (at most :data:`MAX_VERSION_REPLY`)."""
    sock.sendall(VERSION_REQUEST)
    chunks: list[bytes] = []
    total = 0
    while total < MAX_VERSION_REPLY:
        data = sock.recv(4096)
        if not data:
            break
        chunks.append(data)
        total += len(data)
    return b"".join(chunks)


def looks_like_etcd(response: bytes) -> bool:
    """Is this HTTP reply etcd's ``/version`` document (it has an ``etcdserver`` key)?"""
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


def unverified_context(cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """A client context that verifies nothing; it offers ``cert``/``key`` when both are
    given and usable (an unusable pair is left out: the caller reports that itself)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert and key:
        try:
            ctx.load_cert_chain(str(cert), str(key))
        except (ssl.SSLError, OSError):
            pass
    return ctx


def peer_certificate(
    host: str, port: int, *, timeout: float, server_name: str, context: ssl.SSLContext
) -> x509.Certificate | None:
    """The certificate the server presents in a handshake made with ``context``
    (None when it presents none). Raises OSError / ssl.SSLError when there is no
    handshake."""
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            der = tls.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der) if der else None
