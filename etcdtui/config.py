"""Where the console finds its cluster: config file, flags, environment, kubeadm.

Config file (YAML, ``<user config dir>/etcdtui/config.yaml``; ``--config PATH``,
``ETCDTUI_CONFIG=PATH`` or ``ETCDTUI_CONFIG_DIR=DIR`` point elsewhere)::

    current-context: prod
    contexts:
      - name: prod
        endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
        cacert: /etc/kubernetes/pki/etcd/ca.crt
        cert: /etc/kubernetes/pki/apiserver-etcd-client.crt
        key: /etc/kubernetes/pki/apiserver-etcd-client.key
        server-name: null    # optional TLS name to verify
        user: null           # optional etcd auth user; the password is never stored
        read-only: false
        insecure: false      # allow http:// endpoints
        timeout: null        # optional per-call deadline in seconds
    ui:
      theme: etcdtui-dark
      refresh-interval: 2.0
      keymap: {action_id: "key"}

Paths may use ``~``; relative paths are taken from the config file's directory.

Resolution is per field: flags > ETCDCTL_* environment > config context (``--context``
or ``current-context``) > kubeadm discovery. ``--context`` chooses the context explicitly,
so the ETCDCTL_* variables are then ignored (flags still override single fields). kubeadm
discovery is consulted only when nothing above yields endpoints.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from etcdtui.errors import ConfigError, InsecureRefused, InvalidEndpoint
from etcdtui.i18n import _
from etcdtui.models import ConnectionSettings

APP_NAME = "etcdtui"
DEFAULT_THEME = "etcdtui-dark"
DEFAULT_REFRESH_INTERVAL = 2.0
DEFAULT_TIMEOUT = 2.0
DEFAULT_KUBEADM_MANIFEST = Path("/etc/kubernetes/manifests/etcd.yaml")
_MAX_FILE = 1 << 20  # PEM and YAML files are small; refuse to slurp anything huge
PathArg = str | os.PathLike[str] | None


class NothingConfigured(ConfigError):
    code = "nothing-configured"
    default_title = "No cluster configured"
    default_fix = (
        "Pass --endpoints (with --cacert, --cert and --key), set ETCDCTL_ENDPOINTS, add a "
        "context to the config file, run on a kubeadm control-plane node, or try the local "
        "sandbox with `etcdtui --sandbox`."
    )


class UnknownContext(ConfigError):
    code = "unknown-context"
    default_title = "Unknown context"


class TLSFileError(ConfigError):
    code = "tls-file"
    default_title = "Unusable TLS file"


def _fail(
    path: Path, what: str, fix: str, cls: type[ConfigError] = ConfigError, **fmt: Any
) -> ConfigError:
    """A ConfigError whose cause starts with the file it is about."""
    return cls(f"{path}: {what.format(**fmt)}", fix=fix)


# --- data --------------------------------------------------------------------------------


@dataclass(frozen=True)
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

    @classmethod
    def from_settings(cls, name: str, s: ConnectionSettings) -> Context:
        fields = {f.name for f in dataclasses.fields(cls)} - {"name"}
        return cls(name=name, **{k: getattr(s, k) for k in fields})


@dataclass(frozen=True)
class Config:
    contexts: dict[str, Context] = field(default_factory=dict)
    current_context: str | None = None
    theme: str = DEFAULT_THEME
    refresh_interval: float = DEFAULT_REFRESH_INTERVAL
    keymap: dict[str, str] = field(default_factory=dict)
    path: Path | None = None


@dataclass(frozen=True)
class KubeadmDiscovery:
    manifest: Path
    endpoints: tuple[str, ...]
    cacert: Path | None
    cert: Path | None
    key: Path | None


# --- endpoints ---------------------------------------------------------------------------

_HOSTNAME = re.compile(r"^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$")


def parse_endpoint(url: str, insecure: bool) -> str:
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


def parse_endpoints(
    value: str | Sequence[str], insecure: bool, origin: str | None = None
) -> tuple[str, ...]:
    """Split a comma list (or a list), validate each URL and drop duplicates."""
    parts = [value] if isinstance(value, str) else list(value)
    items = [i.strip() for part in parts for i in str(part).split(",") if i.strip()]
    try:
        if not items:
            raise InvalidEndpoint(_("no endpoint was given"))
        return tuple(dict.fromkeys(parse_endpoint(i, insecure) for i in items))
    except (InvalidEndpoint, InsecureRefused) as exc:
        if origin:
            exc.cause = _("{cause} (from {origin})").format(cause=exc.cause, origin=origin)
            exc.args = (exc.cause,)
        raise


# --- reading files -----------------------------------------------------------------------


def config_path(explicit: PathArg = None, env: Mapping[str, str] = os.environ) -> Path:
    """``--config`` > ``ETCDTUI_CONFIG`` > ``ETCDTUI_CONFIG_DIR`` > the user config dir."""
    if explicit:
        return Path(explicit).expanduser().absolute()
    if env.get("ETCDTUI_CONFIG"):
        return Path(env["ETCDTUI_CONFIG"]).expanduser().absolute()
    if env.get("ETCDTUI_CONFIG_DIR"):
        return Path(env["ETCDTUI_CONFIG_DIR"]).expanduser().absolute() / "config.yaml"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.yaml"


def _read_bytes(
    path: Path, role: str, fix: str, cls: type[ConfigError] = ConfigError
) -> bytes | None:
    """The file's content, ``None`` when it does not exist; ``cls`` when unusable."""
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_FILE + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise _fail(path, _("the {role} is a directory"), fix, cls, role=role) from None
    except PermissionError:
        fix = _("Run as a user who can read it (kubeadm files belong to root: use sudo).")
        raise _fail(path, _("permission denied reading the {role}"), fix, cls, role=role) from None
    except OSError as exc:
        msg = _("cannot read the {role}: {err}")
        raise _fail(path, msg, fix, cls, role=role, err=exc.strerror) from None
    if len(data) > _MAX_FILE:
        raise _fail(path, _("the {role} is larger than 1 MiB"), fix, cls, role=role)
    return data


def _load_yaml(path: Path, role: str, fix: str) -> Any:
    data = _read_bytes(path, role, fix)
    if data is None:
        return None
    import yaml  # imported only when there is a file: it costs start-up time

    try:
        return yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise _fail(path, _("the {role} is not UTF-8 text"), fix, role=role) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        msg = _("malformed YAML at line {line}: {problem}")
        raise _fail(path, msg, fix, line=line, problem=problem) from None


# --- config file -------------------------------------------------------------------------

_CONTEXT_KEYS = "name endpoints cacert cert key server-name user read-only insecure timeout"
_TOP_KEYS, _UI_KEYS = ("current-context", "contexts", "ui"), ("theme", "refresh-interval", "keymap")


def _config_fix() -> str:
    return _("Fix the file (see the config example in the README) or move it aside.")


def _seconds(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value > 0


def load_config(path: PathArg = None, *, env: Mapping[str, str] = os.environ) -> Config:
    """Read and validate the config file. A missing file is an empty config."""
    p = config_path(path, env)
    fix = _config_fix()
    raw = _load_yaml(p, _("config file"), fix)
    if raw is None:
        return Config(path=p)
    if not isinstance(raw, dict):
        raise _fail(p, _("the config file must be a mapping (contexts:, ui:)"), fix)
    _no_unknown(p, raw, _TOP_KEYS, _("the top level"))
    items = raw.get("contexts") or []
    if not isinstance(items, list):
        raise _fail(p, _("'contexts' must be a list of mappings"), fix)
    contexts: dict[str, Context] = {}
    for i, item in enumerate(items):
        ctx = _parse_context(p, i, item)
        if ctx.name in contexts:
            raise _fail(p, _("context {name!r} is defined twice"), fix, name=ctx.name)
        contexts[ctx.name] = ctx
    current = raw.get("current-context")
    if current is not None and (not isinstance(current, str) or current not in contexts):
        fix2 = _("Set current-context to one of: {names}").format(names=", ".join(contexts))
        raise _fail(p, _("current-context {name!r} is not a defined context"), fix2, name=current)
    ui = raw.get("ui") or {}
    if not isinstance(ui, dict):
        raise _fail(p, _("'ui' must be a mapping"), fix)
    _no_unknown(p, ui, _UI_KEYS, "ui")
    theme = ui.get("theme", DEFAULT_THEME)
    refresh = ui.get("refresh-interval", DEFAULT_REFRESH_INTERVAL)
    keymap = ui.get("keymap") or {}
    if not isinstance(theme, str) or not theme:
        raise _fail(p, _("ui.theme must be a theme name"), fix)
    if not _seconds(refresh):
        raise _fail(p, _("ui.refresh-interval must be a number of seconds > 0"), fix)
    if not isinstance(keymap, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in keymap.items()
    ):
        raise _fail(p, _("ui.keymap must map action ids to key names"), fix)
    return Config(contexts, current, theme, float(refresh), dict(keymap), p)


def _no_unknown(p: Path, raw: dict[Any, Any], allowed: Sequence[str], where: str) -> None:
    unknown = [str(k) for k in raw if k not in allowed]
    if unknown:
        fix = _("Allowed keys there: {keys}.").format(keys=", ".join(allowed))
        raise _fail(p, _("unknown key {key!r} in {where}"), fix, key=unknown[0], where=where)


def _parse_context(p: Path, index: int, item: Any) -> Context:
    fix = _config_fix()
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        raise _fail(p, _("contexts[{i}] must be a mapping with a name"), fix, i=index)
    where = _("context {name!r}").format(name=item["name"])
    _no_unknown(p, item, _CONTEXT_KEYS.split(), where)

    def get(key: str, kind: Any, expected: str, check: Callable[[Any], bool] = bool) -> Any:
        v = item.get(key)
        if v is not None and (not isinstance(v, kind) or not check(v)):
            msg = _("{where}: {key} must be {expected}")
            raise _fail(p, msg, fix, where=where, key=key, expected=expected)
        return v

    def path(key: str) -> Path | None:
        v = get(key, str, _("a file path"))
        return None if v is None else p.parent / Path(v).expanduser()

    raw_eps = item.get("endpoints")
    if not raw_eps or not isinstance(raw_eps, str | list):
        fix2 = _("Add e.g. `endpoints: [https://10.0.0.1:2379]` to the context.")
        raise _fail(p, _("{where} has no endpoints"), fix2, where=where)
    try:  # syntax only: whether http:// is allowed is decided with the --insecure flag
        endpoints = parse_endpoints(raw_eps, insecure=True)
    except InvalidEndpoint as exc:
        raise _fail(
            p, "{where}: {cause}", exc.fix, InvalidEndpoint, where=where, cause=exc.cause
        ) from None
    user = get("user", str, _("a user name"))
    if user is not None and ":" in user:
        fix2 = _("Store only the user name; give the password with ETCDTUI_PASSWORD.")
        raise _fail(p, _("{where}: user contains ':' (a password?)"), fix2, where=where)
    timeout = get("timeout", int | float, _("a number of seconds > 0"), _seconds)
    boolean = _("true or false")
    return Context(
        name=item["name"],
        endpoints=endpoints,
        cacert=path("cacert"),
        cert=path("cert"),
        key=path("key"),
        server_name=get("server-name", str, _("a host name")),
        user=user,
        read_only=bool(get("read-only", bool, boolean, lambda _v: True)),
        insecure=bool(get("insecure", bool, boolean, lambda _v: True)),
        timeout=None if timeout is None else float(timeout),
    )


# --- writing the config file -------------------------------------------------------------


def _context_to_yaml(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {"name": ctx.name, "endpoints": list(ctx.endpoints)}
    for key in ("cacert", "cert", "key"):
        if getattr(ctx, key) is not None:
            out[key] = str(Path(getattr(ctx, key)).expanduser().absolute())
    for key, value in (("server-name", ctx.server_name), ("user", ctx.user)):
        if value is not None:
            out[key] = value
    if ctx.timeout is not None:
        out["timeout"] = ctx.timeout
    out["read-only"], out["insecure"] = ctx.read_only, ctx.insecure
    return out


def _edit_config(path: PathArg, edit: Callable[[dict[str, Any]], None]) -> Path:
    import yaml  # imported here: it costs start-up time

    p = config_path(path)
    load_config(p)  # refuse to rewrite a file we cannot understand
    if p.is_symlink():
        p = p.resolve()
    raw = _load_yaml(p, _("config file"), "") or {}
    edit(raw)
    text = "# etcdtui configuration (rewritten by etcdtui; comments are not kept)\n"
    _atomic_write(p, text + yaml.safe_dump(raw, sort_keys=False, default_flow_style=False))
    return p


def _unknown_context(cfg: Config, name: str) -> UnknownContext:
    fix = _("Use one of: {names}.").format(names=", ".join(cfg.contexts) or "-")
    return UnknownContext(
        _("{path}: no context named {name!r}").format(path=cfg.path, name=name), fix=fix
    )


def save_context(
    ctx: Context | ConnectionSettings, path: PathArg = None, make_current: bool = False
) -> Path:
    """Add or replace one context, keeping the others; returns the file written."""
    if isinstance(ctx, ConnectionSettings):
        ctx = Context.from_settings(ctx.context or "", ctx)
    if not ctx.name.strip():
        raise ConfigError(_("a context needs a name"), fix=_("Give the context a name."))
    if ctx.user and ":" in ctx.user:
        raise ConfigError(
            _("the user name contains ':'"), fix=_("Passwords are never stored in the config file.")
        )
    new = dataclasses.replace(ctx, endpoints=parse_endpoints(ctx.endpoints, ctx.insecure))

    def edit(raw: dict[str, Any]) -> None:
        others = [c for c in raw.get("contexts") or [] if c.get("name") != new.name]
        raw["contexts"] = [*others, _context_to_yaml(new)]
        if make_current:
            raw["current-context"] = new.name

    return _edit_config(path, edit)


def remove_context(name: str, path: PathArg = None, missing_ok: bool = False) -> Path:
    """Delete one context (and unset current-context if it pointed there)."""
    cfg = load_config(path)
    if name not in cfg.contexts:
        if missing_ok:
            return config_path(path)
        raise _unknown_context(cfg, name)

    def edit(raw: dict[str, Any]) -> None:
        raw["contexts"] = [c for c in raw.get("contexts") or [] if c.get("name") != name]
        if raw.get("current-context") == name:
            del raw["current-context"]

    return _edit_config(path, edit)


def use_context(name: str, path: PathArg = None) -> Path:
    """Make an existing context the current one."""
    cfg = load_config(path)
    if name not in cfg.contexts:
        raise _unknown_context(cfg, name)
    return _edit_config(path, lambda raw: raw.__setitem__("current-context", name))


def _atomic_write(path: Path, text: str) -> None:
    """Write a 0600 file via tmp + fsync + rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


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
    p = Path(manifest).expanduser()
    fix = _(
        "Pass --endpoints, --cacert, --cert and --key, or point --kubeadm-manifest at "
        "kubeadm's etcd.yaml."
    )
    pod = _load_yaml(p, _("kubeadm manifest"), fix)
    if pod is None:
        if required:
            raise _fail(p, _("kubeadm manifest not found"), fix)
        return None
    spec = pod.get("spec") if isinstance(pod, dict) else None
    containers = spec.get("containers") if isinstance(spec, dict) else None
    etcd = next(
        (c for c in containers or [] if isinstance(c, dict) and c.get("name") == "etcd"), None
    )
    if etcd is None:
        raise _fail(p, _("not an etcd static Pod (no container named 'etcd')"), fix)
    args = [str(a) for a in (etcd.get("command") or []) + (etcd.get("args") or [])]
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


def _is_loopback(url: str) -> bool:
    host = urlsplit(url.strip() if "://" in url else "https://" + url.strip()).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- resolution --------------------------------------------------------------------------

_FIELDS = (
    "endpoints",
    "cacert",
    "cert",
    "key",
    "server_name",
    "user",
    "insecure",
    "read_only",
    "timeout",
)


def _cli_path(value: Any) -> Path | None:
    return Path(str(value)).expanduser().absolute() if value else None


def resolve_settings(
    flags: Any,
    env: Mapping[str, str] = os.environ,
    *,
    config_path: PathArg = None,
    kubeadm_manifest: PathArg = None,
    kubeadm_pki_root: PathArg = None,
) -> ConnectionSettings:
    """Merge flags > env > config context > kubeadm, field by field.

    ``flags`` is an argparse Namespace or a mapping with the connection flag names.
    ``kubeadm_manifest`` moves the default manifest location (absent: no discovery); the
    ``--kubeadm-manifest`` flag is an explicit request, so a missing file is an error.
    """

    def flag(name: str) -> Any:
        return flags.get(name) if isinstance(flags, Mapping) else getattr(flags, name, None)

    cfg = load_config(flag("config") or config_path, env=env)
    name = flag("context")
    if name and name not in cfg.contexts:
        raise _unknown_context(cfg, name)
    ctx = cfg.contexts.get(name or cfg.current_context or "")
    if flag("user") and ":" in str(flag("user")):
        raise ConfigError(
            _("--user contains ':' (a password on the command line)"),
            fix=_(
                "Other users can read the command line: pass only the user "
                "name and set ETCDTUI_PASSWORD, or answer the prompt."
            ),
        )
    if flag("timeout") is not None and not _seconds(flag("timeout")):
        raise ConfigError(
            _("--timeout must be a number of seconds > 0"), fix=_("Pass e.g. --timeout 5.")
        )
    layers: list[tuple[str, dict[str, Any]]] = [
        (
            "flags",
            {
                "endpoints": flag("endpoints"),
                "cacert": _cli_path(flag("cacert")),
                "cert": _cli_path(flag("cert")),
                "key": _cli_path(flag("key")),
                "server_name": flag("server_name") or None,
                "user": flag("user") or None,
                "insecure": flag("insecure") or None,
                "read_only": flag("read_only") or None,
                "timeout": flag("timeout"),
            },
        )
    ]
    env_user, _sep, env_password = (env.get("ETCDCTL_USER") or "").partition(":")
    if not name:  # an explicit --context outranks whatever ETCDCTL_* the shell carries
        layers.append(
            (
                "env",
                {
                    "endpoints": env.get("ETCDCTL_ENDPOINTS") or None,
                    "cacert": _cli_path(env.get("ETCDCTL_CACERT")),
                    "cert": _cli_path(env.get("ETCDCTL_CERT")),
                    "key": _cli_path(env.get("ETCDCTL_KEY")),
                    "user": env_user or None,
                },
            )
        )
    if ctx is not None:
        layers.append(("config", {k: getattr(ctx, k) for k in _FIELDS}))

    def pick(key: str) -> tuple[str | None, Any]:
        return next(((s, v[key]) for s, v in layers if v.get(key) is not None), (None, None))

    source, raw_endpoints = pick("endpoints")
    manifest = flag("kubeadm_manifest") or kubeadm_manifest or DEFAULT_KUBEADM_MANIFEST
    if source is None:
        found = discover_kubeadm(
            manifest, pki_root=kubeadm_pki_root, required=bool(flag("kubeadm_manifest"))
        )
        if found is None:
            raise NothingConfigured(
                _(
                    "no endpoints from flags, ETCDCTL_ENDPOINTS, the config "
                    "file ({path}) or {manifest}"
                ).format(path=cfg.path, manifest=manifest)
            )
        layers.append(("kubeadm", {k: getattr(found, k) for k in _FIELDS[:4]}))
        source, raw_endpoints = pick("endpoints")
    v = {k: pick(k)[1] for k in _FIELDS}
    origin = {
        "flags": "--endpoints",
        "env": "ETCDCTL_ENDPOINTS",
        "kubeadm": str(manifest),
        "config": _("context {name!r} in {path}").format(name=ctx and ctx.name, path=cfg.path),
    }[str(source)]
    endpoints = parse_endpoints(raw_endpoints, bool(v["insecure"]), origin)
    if source == "kubeadm" and (v["cert"] is None or v["key"] is None):
        raise ConfigError(
            _(
                "{origin}: no client certificate beside the etcd CA "
                "(apiserver-etcd-client.crt or etcd/healthcheck-client.crt)"
            ).format(origin=origin),
            fix=_("Pass --cert and --key."),
        )
    password = None
    if v["user"]:  # the password comes from the environment only, never argv or the file
        password = (
            env.get("ETCDTUI_PASSWORD")
            or (env_password if env_user == v["user"] else None)
            or env.get("ETCDCTL_PASSWORD")
            or None
        )
    return ConnectionSettings(
        endpoints=endpoints,
        cacert=v["cacert"],
        cert=v["cert"],
        key=v["key"],
        server_name=v["server_name"],
        user=v["user"],
        password=password,
        insecure=bool(v["insecure"]),
        timeout=float(v["timeout"] or DEFAULT_TIMEOUT),
        context=ctx.name if ctx is not None and (name or source == "config") else None,
        read_only=bool(v["read_only"]),
        source=str(source),
    )


# --- TLS file checks ---------------------------------------------------------------------


def check_tls_files(settings: ConnectionSettings) -> list[str]:
    """Check the CA, client cert and key before dialling; returns warnings.

    Raises TLSFileError (a ConfigError) for missing, unreadable, non-PEM or mismatched
    files. Warns about keys readable by others and certificates outside their validity.
    """
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if (settings.cert is None) != (settings.key is None):
        raise TLSFileError(
            _("a client certificate needs its key, and a key its certificate"),
            fix=_("Pass both --cert and --key."),
        )
    warnings: list[str] = []

    def read(p: Path, role: str, flag: str) -> bytes:
        fix = _("Check the path, or pass the right file with {flag}.").format(flag=flag)
        data = _read_bytes(p, role, fix, TLSFileError)
        if data is None:
            raise _fail(p, _("the {role} does not exist"), fix, TLSFileError, role=role)
        if b"-----BEGIN " not in data:
            fix = _(
                "Convert it to PEM (`openssl x509 -inform der -in FILE -out FILE.pem`; "
                "for keys `openssl pkey -inform der`) and pass it with {flag}."
            ).format(flag=flag)
            raise _fail(p, _("the {role} is not PEM"), fix, TLSFileError, role=role)
        return data

    def leaf(p: Path, role: str, flag: str) -> x509.Certificate:
        try:
            found = x509.load_pem_x509_certificates(read(p, role, flag))
        except ValueError:
            found = []
        if not found:
            fix = _("Pass a file with a BEGIN CERTIFICATE block with {flag}.").format(flag=flag)
            raise _fail(p, _("the {role} holds no PEM certificate"), fix, TLSFileError, role=role)
        now = datetime.now(UTC)
        if not found[0].not_valid_before_utc <= now <= found[0].not_valid_after_utc:
            warnings.append(
                _("{path}: the {role} is not valid now (valid {start} to {end})").format(
                    path=p,
                    role=role,
                    start=found[0].not_valid_before_utc,
                    end=found[0].not_valid_after_utc,
                )
            )
        return found[0]

    if settings.cacert is not None:
        leaf(settings.cacert, _("CA bundle"), "--cacert")
    if settings.cert is None or settings.key is None:
        return warnings
    cert = leaf(settings.cert, _("client certificate"), "--cert")
    key_pem = read(settings.key, _("client key"), "--key")
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        fix = _("Decrypt it (`openssl pkey -in KEY -out KEY.plain`) and keep it mode 0600.")
        raise _fail(settings.key, _("the client key is encrypted"), fix, TLSFileError) from None
    except (ValueError, UnsupportedAlgorithm):
        fix = _("Pass the private key that belongs to the certificate with --key.")
        raise _fail(
            settings.key, _("the client key is not a PEM private key"), fix, TLSFileError
        ) from None
    if not isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        fix = _("Issue the client certificate with an RSA, EC or Ed25519 key.")
        raise _fail(
            settings.key,
            _("unsupported key type {kind}"),
            fix,
            TLSFileError,
            kind=type(key).__name__,
        )
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        fix = _(
            "Pass the key generated with that certificate (kubeadm: the .key file with "
            "the same base name as the .crt)."
        )
        raise _fail(
            settings.key,
            _("the key does not match the certificate {cert}"),
            fix,
            TLSFileError,
            cert=settings.cert,
        )
    mode = stat.S_IMODE(settings.key.stat().st_mode)
    if mode & ~0o600:
        warnings.append(
            _(
                "{path}: the client key has mode {mode:04o}, wider than 0600: run "
                "`chmod 600 {path}`"
            ).format(path=settings.key, mode=mode)
        )
    return warnings
