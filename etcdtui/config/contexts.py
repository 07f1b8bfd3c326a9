"""Config errors, the data classes (contexts, config, kubeadm findings), endpoint URLs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.domain.endpoints import normalize_endpoint as normalize_endpoint
from etcdtui.errors import ConfigError, InsecureRefused, InvalidEndpoint
from etcdtui.errors import TLSFileError as TLSFileError
from etcdtui.i18n import N_, _
from etcdtui.records import field, record

APP_NAME = "etcdtui"
DEFAULT_THEME = "etcdtui-dark"
DEFAULT_REFRESH_INTERVAL = 2.0
DEFAULT_TIMEOUT = 2.0
# The longest per-call deadline accepted. A deadline is how long one etcd call may take
# before a member counts as hung: minutes already hide a dead member, and gRPC turns an
# "infinite" or astronomically long deadline into an already-expired one, so every call
# would fail at once and a healthy cluster would look lost.
MAX_TIMEOUT = 600.0
DEFAULT_KUBEADM_MANIFEST = Path("/etc/kubernetes/manifests/etcd.yaml")
PathArg = str | os.PathLike[str] | None


class NothingConfigured(ConfigError):
    code = "nothing-configured"
    default_title = N_("No cluster configured")
    default_fix = N_(
        "Pass --endpoints (with --cacert, --cert and --key), set ETCDCTL_ENDPOINTS, add a "
        "context to the config file, run on a kubeadm control-plane node, or try the local "
        "sandbox with `etcdtui --sandbox`."
    )
    default_console_fix = N_(
        "Add a context to the config file (docs/configuration.md), set ETCDCTL_ENDPOINTS, "
        "or run on a kubeadm control-plane node, then start the console again; s starts "
        "the local sandbox."
    )


class UnknownContext(ConfigError):
    code = "unknown-context"
    default_title = N_("Unknown context")


# --- data --------------------------------------------------------------------------------


@record(frozen=True)
class Context:
    """One named cluster in the config file."""

    name: str
    endpoints: tuple[str, ...]
    cacert: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    server_name: str | None = None
    user: str | None = None
    read_only: bool = False
    insecure: bool = False
    timeout: float | None = None
    metrics_urls: tuple[str, ...] = ()  # etcd's --listen-metrics-urls, when set

    @classmethod
    def from_settings(cls, name: str, s: ConnectionSettings) -> Context:
        import dataclasses

        fields = {f.name for f in dataclasses.fields(cls)} - {"name"}
        return cls(name=name, **{k: getattr(s, k) for k in fields})


@record(frozen=True)
class Config:
    """The config file: its contexts, the current one and the console's settings."""

    contexts: dict[str, Context] = field(default_factory=dict)
    current_context: str | None = None
    theme: str = DEFAULT_THEME
    refresh_interval: float = DEFAULT_REFRESH_INTERVAL
    keymap: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    # seconds between the console's HashKV consistency checks; 0 turns them off
    consistency_check_interval: float = 300.0
    language: str | None = None  # ui.language: "id", "en"; None follows the environment


@record(frozen=True)
class KubeadmDiscovery:
    """What a kubeadm etcd static pod manifest says about reaching etcd."""

    manifest: Path
    endpoints: tuple[str, ...]
    cacert: Path | None
    cert: Path | None
    key: Path | None


# --- endpoints ---------------------------------------------------------------------------


def parse_endpoints(
    value: str | Sequence[str], insecure: bool, origin: str | None = None
) -> tuple[str, ...]:
    """Split a comma list (or a list), validate each URL and drop duplicates."""
    parts = [value] if isinstance(value, str) else list(value)
    items = [i.strip() for part in parts for i in str(part).split(",") if i.strip()]
    try:
        if not items:
            raise InvalidEndpoint(_("no endpoint was given"))
        return tuple(dict.fromkeys(normalize_endpoint(i, insecure) for i in items))
    except (InvalidEndpoint, InsecureRefused) as exc:
        if origin:
            exc.cause = _("{cause} (from {origin})").format(cause=exc.cause, origin=origin)
            exc.args = (exc.cause,)
        raise
