"""The config file: where it is, reading and validating it, rewriting it atomically."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from etcdtui.config.model import (
    APP_NAME,
    DEFAULT_REFRESH_INTERVAL,
    DEFAULT_THEME,
    MAX_TIMEOUT,
    Config,
    Context,
    PathArg,
    UnknownContext,
    _fail,
    parse_endpoints,
)
from etcdtui.errors import ConfigError, InvalidEndpoint
from etcdtui.i18n import _
from etcdtui.models import ConnectionSettings
from etcdtui.safeio import MAX_SMALL_FILE, FileTooLarge, NotRegularFile, expand_user, read_limited

_MAX_FILE = MAX_SMALL_FILE  # PEM and YAML files are small; refuse to slurp anything huge


# --- reading files -----------------------------------------------------------------------


def config_path(explicit: PathArg = None, env: Mapping[str, str] = os.environ) -> Path:
    """``--config`` > ``ETCDTUI_CONFIG`` > ``ETCDTUI_CONFIG_DIR`` > the user config dir."""
    if explicit:
        return expand_user(explicit).absolute()
    if env.get("ETCDTUI_CONFIG"):
        return expand_user(env["ETCDTUI_CONFIG"]).absolute()
    if env.get("ETCDTUI_CONFIG_DIR"):
        return expand_user(env["ETCDTUI_CONFIG_DIR"]).absolute() / "config.yaml"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.yaml"


def _read_bytes(
    path: Path, role: str, fix: str, cls: type[ConfigError] = ConfigError
) -> bytes | None:
    """The file's content, ``None`` when it does not exist; ``cls`` when unusable."""
    try:
        data = read_limited(path, _MAX_FILE)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise _fail(path, _("the {role} is a directory"), fix, cls, role=role) from None
    except NotRegularFile as exc:
        msg = _("the {role} is {kind}")
        raise _fail(path, msg, fix, cls, role=role, kind=exc.strerror) from None
    except FileTooLarge:
        raise _fail(path, _("the {role} is larger than 1 MiB"), fix, cls, role=role) from None
    except PermissionError:
        fix = _("Run as a user who can read it (kubeadm files belong to root: use sudo).")
        raise _fail(path, _("permission denied reading the {role}"), fix, cls, role=role) from None
    except OSError as exc:
        msg = _("cannot read the {role}: {err}")
        raise _fail(path, msg, fix, cls, role=role, err=exc.strerror) from None
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

_CONTEXT_KEYS = (
    "name endpoints cacert cert key server-name user read-only insecure timeout metrics-urls"
)
_TOP_KEYS = ("current-context", "contexts", "ui")
_UI_KEYS = ("theme", "refresh-interval", "keymap", "consistency-check-interval", "language")
MIN_CONSISTENCY_INTERVAL_S = 30.0


def _config_fix() -> str:
    return _("Fix the file (see the config example in the README) or move it aside.")


def _seconds(value: Any, limit: float = MAX_TIMEOUT) -> bool:
    """A finite number of seconds in (0, ``limit``]: ``inf``, ``nan`` and 1e10 are not."""
    return not isinstance(value, bool) and isinstance(value, int | float) and 0 < value <= limit


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
    sentinel = ui.get("consistency-check-interval", 300.0)
    if sentinel is False:
        sentinel = 0.0
    if not (sentinel == 0 or (_seconds(sentinel) and sentinel >= MIN_CONSISTENCY_INTERVAL_S)):
        raise _fail(
            p,
            _("ui.consistency-check-interval must be 0 (off) or at least {n} seconds").format(
                n=int(MIN_CONSISTENCY_INTERVAL_S)
            ),
            fix,
        )
    language = ui.get("language")
    if language is not None and (not isinstance(language, str) or not language.strip()):
        raise _fail(p, _("ui.language must be a language code such as id or en"), fix)
    if not isinstance(theme, str) or not theme:
        raise _fail(p, _("ui.theme must be a theme name"), fix)
    if not _seconds(refresh):
        raise _fail(
            p,
            _("ui.refresh-interval must be a number of seconds > 0 and at most {max:g}"),
            fix,
            max=MAX_TIMEOUT,
        )
    if not isinstance(keymap, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in keymap.items()
    ):
        raise _fail(p, _("ui.keymap must map action ids to key names"), fix)
    return Config(
        contexts, current, theme, float(refresh), dict(keymap), p, float(sentinel), language
    )


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
        if v is None:
            return None
        try:
            return p.parent / expand_user(v)
        except ConfigError as exc:
            raise _fail(p, "{where}: {cause}", exc.fix, where=where, cause=exc.cause) from None

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
    timeout = get(
        "timeout",
        int | float,
        _("a number of seconds > 0 and at most {max:g}").format(max=MAX_TIMEOUT),
        _seconds,
    )
    boolean = _("true or false")
    try:
        metrics_urls = parse_metrics_urls(item.get("metrics-urls"))
    except ConfigError as exc:
        raise _fail(p, "{where}: {cause}", exc.fix, where=where, cause=exc.cause) from None
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
        metrics_urls=metrics_urls,
    )


def parse_metrics_urls(raw: Any) -> tuple[str, ...]:
    """``metrics-urls``: where the members serve /metrics (etcd's --listen-metrics-urls),
    http or https (https with the context's TLS files), each with a host and a port.
    Returned as ``scheme://host:port``; the scrape asks for /metrics."""
    from urllib.parse import urlsplit

    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    fix = _(
        "Give a list such as `metrics-urls: [http://10.0.0.1:2381, http://10.0.0.2:2381]` "
        "(each member's --listen-metrics-urls), or leave the key out to scrape the client "
        "endpoints."
    )
    if not isinstance(items, list) or not items:
        raise ConfigError(_("metrics-urls must be a list of URLs"), fix=fix)
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(_("metrics-urls must be a list of URLs"), fix=fix)
        try:
            u = urlsplit(item.strip())
            port = u.port
        except ValueError:
            u, port = None, None
        if (
            u is None
            or u.scheme not in ("http", "https")
            or not u.hostname
            or port is None
            or u.username is not None
            or u.query
            or u.fragment
            or u.path not in ("", "/", "/metrics")
        ):
            raise ConfigError(
                _("metrics-urls: {url!r} is not http(s)://HOST:PORT (no user, path, query)").format(
                    url=item
                ),
                fix=fix,
            )
        host = f"[{u.hostname}]" if ":" in u.hostname else u.hostname
        out.append(f"{u.scheme}://{host}:{port}")
    return tuple(dict.fromkeys(out))


# --- writing the config file -------------------------------------------------------------


def _context_to_yaml(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {"name": ctx.name, "endpoints": list(ctx.endpoints)}
    for key in ("cacert", "cert", "key"):
        if getattr(ctx, key) is not None:
            out[key] = str(expand_user(getattr(ctx, key)).absolute())
    for key, value in (("server-name", ctx.server_name), ("user", ctx.user)):
        if value is not None:
            out[key] = value
    if ctx.timeout is not None:
        out["timeout"] = ctx.timeout
    if ctx.metrics_urls:
        out["metrics-urls"] = list(ctx.metrics_urls)
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
    """Write a 0600 file via a private temp file + fsync + rename (safeio.write_private)."""
    from etcdtui.safeio import write_private

    write_private(path, text)
