"""The etcd binaries the sandbox runs: what Debian's archive offers, what is cached, and
fetching a version (`etcdtui sandbox fetch`).
Re-exported: the CLI uses the service's functions as they are (no orchestration)."""

from __future__ import annotations

from etcdtui.services.etcd_fetch import cached_versions as cached_versions
from etcdtui.services.etcd_fetch import fetch as fetch
from etcdtui.services.etcd_fetch import list_available as list_available

__all__ = ["cached_versions", "fetch", "list_available"]
