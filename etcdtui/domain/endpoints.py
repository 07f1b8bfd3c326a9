"""Client URLs: one rule for what a valid etcd client endpoint is (the config file, the
flags, the connection and the console all validate through it)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from etcdtui.errors import InsecureRefused, InvalidEndpoint
from etcdtui.i18n import _

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any

_HOSTNAME = re.compile(r"^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$")


def normalize_endpoint(url: str, insecure: bool) -> str:
    """Validate one client URL and return it as ``scheme://host:port``."""
    text = url.strip()
    shown = re.sub(r"//[^/@]*@", "//***@", text)  # never echo credentials

    def bad(why: str, **fmt: Any) -> InvalidEndpoint:
        return InvalidEndpoint(f"{shown!r}: {why.format(**fmt)}")

    if not text:
        raise InvalidEndpoint(_("an empty endpoint was given"))
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise bad(_("the port is not a number between 1 and 65535")) from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise bad(_("scheme {scheme!r} is not supported (use https)"), scheme=scheme)
    if "@" in parts.netloc:
        raise bad(_("credentials do not belong in the URL (use --user)"))
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise bad(_("a client URL has no path, query or fragment"))
    host = (parts.hostname or "").lower()
    if not host:
        raise bad(_("no host"))
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise bad(_("not a valid IPv6 address")) from None
        host = f"[{host}]"
    elif not _HOSTNAME.match(host):
        raise bad(_("{host!r} is not a valid host name or IP address"), host=host)
    if not port:
        raise bad(_("no port (etcd clients use :2379)"))
    if scheme == "http" and not insecure:
        raise InsecureRefused(_("{url!r} is plain HTTP").format(url=shown))
    return f"{scheme}://{host}:{port}"
