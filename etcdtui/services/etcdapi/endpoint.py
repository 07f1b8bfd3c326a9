"""A parsed etcd client URL: what the gRPC connection and the diagnostic probe share."""

from __future__ import annotations

from urllib.parse import urlsplit

from etcdtui.records import record


@record(frozen=True)
class Endpoint:
    """A parsed client URL."""

    url: str
    scheme: str
    host: str
    port: int

    @property
    def target(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def secure(self) -> bool:
        return self.scheme == "https"


def split_endpoint(url: str, *, insecure: bool = False) -> Endpoint:
    """Validate one client URL (bare ``host:port`` means https) and split it."""
    from etcdtui.domain.endpoints import normalize_endpoint

    normal = normalize_endpoint(url, insecure)
    parts = urlsplit(normal)
    assert parts.hostname is not None and parts.port is not None
    return Endpoint(normal, parts.scheme, parts.hostname, parts.port)
