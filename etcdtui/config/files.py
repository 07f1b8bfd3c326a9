"""The config file: where it is, reading and validating it, rewriting it atomically."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.config.contexts import (
    DEFAULT_REFRESH_INTERVAL,
    DEFAULT_THEME,
    MAX_TIMEOUT,
    Config,
    Context,
    PathArg,
    UnknownContext,
    parse_endpoints,
)
from etcdtui.errors import ConfigError, InvalidEndpoint
from etcdtui.errors import file_error as _fail
from etcdtui.i18n import _
from etcdtui.records import record, replace
from etcdtui.safeio import MAX_SMALL_FILE, FileTooLarge, NotRegularFile, expand_user, read_limited

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any

_MAX_FILE = MAX_SMALL_FILE  # PEM and YAML files are small; refuse to slurp anything huge


# --- reading files -----------------------------------------------------------------------


def config_path(explicit: PathArg = None, env: Mapping[str, str] = os.environ) -> Path:
    """``--config`` > ``ETCDTUI_CONFIG`` > ``ETCDTUI_CONFIG_DIR`` > the user config dir."""
    from etcdtui.paths import config_file

    return config_file(explicit, env)


def read_config_bytes(
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


if TYPE_CHECKING:
    _MapBase = dict[Any, Any]
else:
    _MapBase = dict


class _Map(_MapBase):
    """A YAML mapping that remembers where it and each of its keys are (1-based lines)."""

    line: int | None = None
    key_lines: dict[Any, int]

    def __init__(self) -> None:
        super().__init__()
        self.key_lines = {}


def _line(raw: Any, key: Any = None) -> int | None:
    """The line of ``key`` in ``raw`` (of ``raw`` itself without a key), when known."""
    if not isinstance(raw, _Map):
        return None
    return raw.line if key is None else raw.key_lines.get(key, raw.line)


_LOADER: Any = None


def _loader() -> Any:
    """yaml's safe loader whose mappings are ``_Map``: errors can then name the line."""
    global _LOADER
    if _LOADER is None:
        import yaml  # imported only when there is a file: it costs start-up time

        class Loader(yaml.SafeLoader):
            pass

        def mapping(loader: Any, node: Any) -> Any:
            data = _Map()
            data.line = node.start_mark.line + 1
            yield data
            data.update(loader.construct_mapping(node))
            for key_node, _value in node.value:
                key = loader.construct_object(key_node)
                if isinstance(key, str | int | float | bool) or key is None:
                    data.key_lines.setdefault(key, key_node.start_mark.line + 1)

        Loader.add_constructor("tag:yaml.org,2002:map", mapping)
        _LOADER = Loader
    return _LOADER


def load_yaml_file(path: Path, role: str, fix: str) -> Any:
    data = read_config_bytes(path, role, fix)
    if data is None:
        return None
    import yaml  # imported only when there is a file: it costs start-up time

    try:
        return yaml.load(data.decode("utf-8"), Loader=_loader())  # noqa: S506 (a safe loader)
    except UnicodeDecodeError:
        raise _fail(path, _("the {role} is not UTF-8 text"), fix, role=role) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        msg = _("malformed YAML at line {line}: {problem}").format(line=line, problem=problem)
        raise _fail(path, "{msg}", fix, msg=msg) from None


# --- config file ---------------------------------------------------------------------

_CONTEXT_KEYS = (
    "name endpoints cacert cert key server-name user read-only insecure timeout metrics-urls"
)
_TOP_KEYS = ("current-context", "contexts", "ui")
_GENERATED_TOP_KEYS = ("current-context", "contexts")
_UI_KEYS = ("theme", "refresh-interval", "keymap", "consistency-check-interval", "language")
MIN_CONSISTENCY_INTERVAL_S = 30.0


def _config_fix() -> str:
    return _("Fix the file (see docs/configuration.md for the format) or move it aside.")


def is_seconds(value: Any, limit: float = MAX_TIMEOUT) -> bool:
    """A finite number of seconds in (0, ``limit``]: ``inf``, ``nan`` and 1e10 are not."""
    return not isinstance(value, bool) and isinstance(value, int | float) and 0 < value <= limit


def generated_path(config: Path) -> Path:
    """Where etcdtui keeps the contexts it writes itself (the sandbox's, a drill's):
    ``config.generated.yaml`` next to ``config.yaml``. The operator's file is never
    rewritten, so its comments and layout stay as they are."""
    return config.with_name(f"{config.stem}.generated.yaml")


@record
class _File:
    """One parsed config file: its raw mapping (with lines) and its contexts."""

    path: Path
    raw: dict[Any, Any]
    contexts: dict[str, Context]


def _parse_file(p: Path, top_keys: Sequence[str]) -> _File | None:
    fix = _config_fix()
    raw = load_yaml_file(p, _("config file"), fix)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _fail(p, _("the config file must be a mapping (contexts:, ui:)"), fix)
    _no_unknown(p, raw, top_keys, _("the top level"))
    items = raw.get("contexts") or []
    if not isinstance(items, list):
        msg = _("'contexts' must be a list of mappings")
        raise _fail(p, msg, fix, line=_line(raw, "contexts"))
    contexts: dict[str, Context] = {}
    for i, item in enumerate(items):
        ctx = _parse_context(p, i, item, _line(raw, "contexts"))
        if ctx.name in contexts:
            msg = _("context {name!r} is defined twice")
            raise _fail(p, msg, fix, line=_line(item), name=ctx.name)
        contexts[ctx.name] = ctx
    return _File(p, raw, contexts)


def _current(f: _File | None, contexts: Mapping[str, Context]) -> str | None:
    current = None if f is None else f.raw.get("current-context")
    if f is None or current is None:
        return None
    if not isinstance(current, str) or current not in contexts:
        fix = _("Set current-context to one of: {names}").format(names=", ".join(contexts))
        msg = _("current-context {name!r} is not a defined context")
        raise _fail(f.path, msg, fix, line=_line(f.raw, "current-context"), name=current)
    return current


def load_config(path: PathArg = None, *, env: Mapping[str, str] = os.environ) -> Config:
    """Read and validate the config file and the contexts etcdtui generated next to it
    (``generated_path``). A missing file is an empty config. A generated context replaces
    one of the same name in the operator's file (an older etcdtui wrote its contexts
    there; the fresh one wins); the operator's current-context wins over the generated one."""
    p = config_path(path, env)
    user = _parse_file(p, _TOP_KEYS)
    gen = _parse_file(generated_path(p), _GENERATED_TOP_KEYS)
    if user is None and gen is None:
        return Config(path=p)
    contexts = {**(user.contexts if user else {}), **(gen.contexts if gen else {})}
    current = _current(user, contexts) or _current(gen, contexts)
    raw = user.raw if user else {}
    fix = _config_fix()
    ui = raw.get("ui") or {}
    if not isinstance(ui, dict):
        raise _fail(p, _("'ui' must be a mapping"), fix, line=_line(raw, "ui"))
    _no_unknown(p, ui, _UI_KEYS, "ui")
    theme = ui.get("theme", DEFAULT_THEME)
    refresh = ui.get("refresh-interval", DEFAULT_REFRESH_INTERVAL)
    keymap = ui.get("keymap") or {}
    sentinel = ui.get("consistency-check-interval", 300.0)
    if sentinel is False:
        sentinel = 0.0
    if not (sentinel == 0 or (is_seconds(sentinel) and sentinel >= MIN_CONSISTENCY_INTERVAL_S)):
        raise _fail(
            p,
            _("ui.consistency-check-interval must be 0 (off) or at least {n} seconds").format(
                n=int(MIN_CONSISTENCY_INTERVAL_S)
            ),
            fix,
            line=_line(ui, "consistency-check-interval"),
        )
    language = ui.get("language")
    if language is not None and (not isinstance(language, str) or not language.strip()):
        msg = _("ui.language must be a language code such as id or en")
        raise _fail(p, msg, fix, line=_line(ui, "language"))
    if not isinstance(theme, str) or not theme:
        raise _fail(p, _("ui.theme must be a theme name"), fix, line=_line(ui, "theme"))
    if not is_seconds(refresh):
        raise _fail(
            p,
            _("ui.refresh-interval must be a number of seconds > 0 and at most {max:g}"),
            fix,
            line=_line(ui, "refresh-interval"),
            max=MAX_TIMEOUT,
        )
    if not isinstance(keymap, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in keymap.items()
    ):
        msg = _("ui.keymap must map action ids to key names")
        raise _fail(p, msg, fix, line=_line(ui, "keymap"))
    return Config(
        contexts, current, theme, float(refresh), dict(keymap), p, float(sentinel), language
    )


def _no_unknown(p: Path, raw: dict[Any, Any], allowed: Sequence[str], where: str) -> None:
    unknown = [k for k in raw if k not in allowed]
    if unknown:
        fix = _("Allowed keys there: {keys}.").format(keys=", ".join(allowed))
        msg = _("unknown key {key!r} in {where}")
        key = unknown[0]
        raise _fail(p, msg, fix, line=_line(raw, key), key=str(key), where=where)


def _parse_context(p: Path, index: int, item: Any, list_line: int | None = None) -> Context:
    fix = _config_fix()
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        msg = _("contexts[{i}] must be a mapping with a name")
        raise _fail(p, msg, fix, line=_line(item) or list_line, i=index)
    where = _("context {name!r}").format(name=item["name"])
    _no_unknown(p, item, _CONTEXT_KEYS.split(), where)

    def get(key: str, kind: Any, expected: str, check: Callable[[Any], bool] = bool) -> Any:
        v = item.get(key)
        if v is not None and (not isinstance(v, kind) or not check(v)):
            msg = _("{where}: {key} must be {expected}")
            line = _line(item, key)
            raise _fail(p, msg, fix, line=line, where=where, key=key, expected=expected)
        return v

    def path(key: str) -> Path | None:
        v = get(key, str, _("a file path"))
        if v is None:
            return None
        try:
            return p.parent / expand_user(v)
        except ConfigError as exc:
            raise _fail(
                p, "{where}: {cause}", exc.fix, line=_line(item, key), where=where, cause=exc.cause
            ) from None

    raw_eps = item.get("endpoints")
    if not raw_eps or not isinstance(raw_eps, str | list):
        fix2 = _("Add e.g. `endpoints: [https://10.0.0.1:2379]` to the context.")
        raise _fail(p, _("{where} has no endpoints"), fix2, line=_line(item), where=where)
    try:  # syntax only: whether http:// is allowed is decided with the --insecure flag
        endpoints = parse_endpoints(raw_eps, insecure=True)
    except InvalidEndpoint as exc:
        raise _fail(
            p,
            "{where}: {cause}",
            exc.fix,
            InvalidEndpoint,
            line=_line(item, "endpoints"),
            where=where,
            cause=exc.cause,
        ) from None
    user = get("user", str, _("a user name"))
    if user is not None and ":" in user:
        fix2 = _("Store only the user name; give the password with ETCDTUI_PASSWORD.")
        msg = _("{where}: user contains ':' (a password?)")
        raise _fail(p, msg, fix2, line=_line(item, "user"), where=where)
    timeout = get(
        "timeout",
        int | float,
        _("a number of seconds > 0 and at most {max:g}").format(max=MAX_TIMEOUT),
        is_seconds,
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
# --- writing the generated contexts ------------------------------------------------------

_GENERATED_HEADER = (
    "# Contexts written by etcdtui itself (the sandbox, drills). Keep your own settings\n"
    "# in {config}: etcdtui never rewrites that file. A context here replaces one of the\n"
    "# same name there. etcdtui rewrites this file; comments in it are not kept.\n"
)


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


def _edit_generated(path: PathArg, edit: Callable[[dict[str, Any]], None]) -> Path:
    """Change the generated-contexts file (never the operator's own file); returns it."""
    import yaml  # imported here: it costs start-up time

    p = config_path(path)
    load_config(p)  # refuse to write next to files we cannot understand
    g = generated_path(p)
    if g.is_symlink():
        g = g.resolve()
    raw = load_yaml_file(g, _("config file"), "") or {}
    plain: dict[str, Any] = {
        k: raw[k] for k in _GENERATED_TOP_KEYS if k in raw and raw[k] is not None
    }
    plain["contexts"] = [dict(c) for c in plain.get("contexts") or []]
    edit(plain)
    if not plain["contexts"]:
        del plain["contexts"]
    text = _GENERATED_HEADER.format(config=p.name)
    _atomic_write(g, text + yaml.safe_dump(plain, sort_keys=False, default_flow_style=False))
    load_config(p)  # what was written reads back (a bad write is reported, not left silent)
    return g


def unknown_context(cfg: Config, name: str) -> UnknownContext:
    fix = _("Use one of: {names}.").format(names=", ".join(cfg.contexts) or "-")
    return UnknownContext(
        _("{path}: no context named {name!r}").format(path=cfg.path, name=name), fix=fix
    )


def save_context(
    ctx: Context | ConnectionSettings, path: PathArg = None, make_current: bool = False
) -> Path:
    """Add or replace one generated context, keeping the others; returns the file written
    (``generated_path``: the operator's config file is left byte for byte as it was)."""
    if isinstance(ctx, ConnectionSettings):
        ctx = Context.from_settings(ctx.context or "", ctx)
    if not ctx.name.strip():
        raise ConfigError(_("a context needs a name"), fix=_("Give the context a name."))
    if ctx.user and ":" in ctx.user:
        raise ConfigError(
            _("the user name contains ':'"), fix=_("Passwords are never stored in the config file.")
        )
    new = replace(ctx, endpoints=parse_endpoints(ctx.endpoints, ctx.insecure))

    def edit(raw: dict[str, Any]) -> None:
        others = [c for c in raw["contexts"] if c.get("name") != new.name]
        raw["contexts"] = [*others, _context_to_yaml(new)]
        if make_current:
            raw["current-context"] = new.name

    return _edit_generated(path, edit)


def _own_file(path: PathArg) -> _File | None:
    return _parse_file(config_path(path), _TOP_KEYS)


def remove_context(name: str, path: PathArg = None, missing_ok: bool = False) -> Path:
    """Delete one generated context (and unset the generated current-context if it
    pointed there). A context in the operator's own file is theirs to edit."""
    cfg = load_config(path)
    own = _own_file(path)
    g = generated_path(config_path(path))
    gen = _parse_file(g, _GENERATED_TOP_KEYS)
    if gen is None or name not in gen.contexts:
        if own is not None and name in own.contexts:
            msg = _("context {name!r} is defined in your config file, which etcdtui never rewrites")
            fix = _("Delete it from the file by hand.")
            items = own.raw.get("contexts") or []
            line = next((_line(c) for c in items if c.get("name") == name), None)
            raise _fail(own.path, msg, fix, line=line, name=name)
        if missing_ok:
            return g
        raise unknown_context(cfg, name)

    def edit(raw: dict[str, Any]) -> None:
        raw["contexts"] = [c for c in raw["contexts"] if c.get("name") != name]
        if raw.get("current-context") == name:
            del raw["current-context"]

    return _edit_generated(path, edit)


def use_context(name: str, path: PathArg = None) -> Path:
    """Make an existing context the current one, in the generated file. When the
    operator's own file sets current-context, that setting is theirs: say where it is."""
    cfg = load_config(path)
    if name not in cfg.contexts:
        raise unknown_context(cfg, name)
    own = _own_file(path)
    if own is not None and own.raw.get("current-context") not in (None, name):
        msg = _("current-context is set to {current!r} in your config file")
        fix = _("Change it there to {name!r}, or pass --context {name}.").format(name=name)
        line = _line(own.raw, "current-context")
        raise _fail(own.path, msg, fix, line=line, current=own.raw["current-context"])
    return _edit_generated(path, lambda raw: raw.__setitem__("current-context", name))


def _atomic_write(path: Path, text: str) -> None:
    """Write a 0600 file via a private temp file + fsync + rename (safeio.write_private)."""
    from etcdtui.safeio import write_private

    write_private(path, text)
