"""kubeadm discovery: endpoints and client certificates from the etcd static Pod."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

from etcdtui.config.contexts import (
    DEFAULT_KUBEADM_MANIFEST,
    KubeadmDiscovery,
    PathArg,
    parse_endpoints,
)
from etcdtui.config.files import load_yaml_file
from etcdtui.errors import InvalidEndpoint
from etcdtui.errors import file_error as _fail
from etcdtui.i18n import _
from etcdtui.safeio import expand_user

# --- kubeadm -----------------------------------------------------------------------------


def discover_kubeadm(
    manifest: str | os.PathLike[str] = DEFAULT_KUBEADM_MANIFEST,
    *,
    pki_root: PathArg = None,
    required: bool = False,
) -> KubeadmDiscovery | None:
    """Read kubeadm's etcd static Pod; ``None`` when it is absent and not ``required``.

    ``pki_root`` replaces the pki directory named by the manifest (tests, copied pki trees).
    """
    p = expand_user(manifest)
    fix = _(
        "Pass --endpoints, --cacert, --cert and --key, or point --kubeadm-manifest at "
        "kubeadm's etcd.yaml."
    )
    pod = load_yaml_file(p, _("kubeadm manifest"), fix)
    if pod is None:
        if required:
            raise _fail(p, _("kubeadm manifest not found"), fix)
        return None
    spec = pod.get("spec") if isinstance(pod, dict) else None
    containers = spec.get("containers") if isinstance(spec, dict) else None
    if containers is not None and not isinstance(containers, list):
        raise _fail(p, _("spec.containers must be a list"), fix)
    etcd = next(
        (c for c in containers or [] if isinstance(c, dict) and c.get("name") == "etcd"), None
    )
    if etcd is None:
        raise _fail(p, _("not an etcd static Pod (no container named 'etcd')"), fix)
    args = _words(p, etcd, "command", fix) + _words(p, etcd, "args", fix)
    flags: dict[str, str] = {}
    for i, arg in enumerate(args):
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if not eq and i + 1 < len(args) and not args[i + 1].startswith("--"):
                value = args[i + 1]
            flags[name] = value
    urls = [u for u in flags.get("advertise-client-urls", "").split(",") if u.strip()]
    if not urls:
        listen = [u for u in flags.get("listen-client-urls", "").split(",") if u.strip()]
        urls = [u for u in listen if not _is_loopback(u)] or listen
    if not urls:
        raise _fail(p, _("the etcd command has no --advertise-client-urls"), fix)
    try:
        endpoints = parse_endpoints(urls, insecure=True)
    except InvalidEndpoint as exc:
        raise _fail(p, "{cause}", fix, InvalidEndpoint, cause=exc.cause) from None
    ca = Path(flags["trusted-ca-file"]) if flags.get("trusted-ca-file") else None
    pki = (ca.parent.parent if ca.parent.name == "etcd" else ca.parent) if ca else None
    if pki_root is not None:
        if ca is not None and pki is not None and ca.is_relative_to(pki):
            ca = Path(pki_root) / ca.relative_to(pki)
        pki = Path(pki_root)
    pairs = [
        ("apiserver-etcd-client.crt", "apiserver-etcd-client.key"),
        ("etcd/healthcheck-client.crt", "etcd/healthcheck-client.key"),
    ]
    found = [
        (pki / c, pki / k) for c, k in pairs if pki and (pki / c).exists() and (pki / k).exists()
    ]
    cert, key = found[0] if found else (None, None)
    return KubeadmDiscovery(p, endpoints, ca, cert, key)


def _words(p: Path, container: dict[object, object], key: str, fix: str) -> list[str]:
    """The container's ``command`` or ``args``: a list of strings (numbers are allowed, as
    YAML writes ``- 2379`` unquoted); anything else is a clear error, never a traceback."""
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
    ):
        kind = (
            _("a list with a {item} item").format(
                item=next(
                    type(v).__name__
                    for v in value
                    if not isinstance(v, str | int | float) or isinstance(v, bool)
                )
            )
            if isinstance(value, list)
            else _("a {kind}").format(kind=type(value).__name__)
        )
        msg = _("the etcd container's {key} must be a list of strings, not {kind}")
        raise _fail(p, msg, fix, key=key, kind=kind)
    return [str(v) for v in value]


def _is_loopback(url: str) -> bool:
    host = urlsplit(url.strip() if "://" in url else "https://" + url.strip()).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
