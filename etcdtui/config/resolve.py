"""Resolution (flags > env > config context > kubeadm) and the TLS file checks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.config.contexts import (
    DEFAULT_KUBEADM_MANIFEST,
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    NothingConfigured,
    PathArg,
    TLSFileError,
    parse_endpoints,
)
from etcdtui.config.files import is_seconds, load_config, read_config_bytes, unknown_context
from etcdtui.config.kubeadm import discover_kubeadm
from etcdtui.errors import ConfigError
from etcdtui.errors import file_error as _fail
from etcdtui.i18n import _
from etcdtui.safeio import expand_user

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any

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
    return expand_user(str(value)).absolute() if value else None


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
        raise unknown_context(cfg, name)
    ctx = cfg.contexts.get(name or cfg.current_context or "")
    if flag("user") and ":" in str(flag("user")):
        raise ConfigError(
            _("--user contains ':' (a password on the command line)"),
            fix=_(
                "Other users can read the command line: pass only the user "
                "name and set ETCDTUI_PASSWORD, or answer the prompt."
            ),
        )
    if flag("timeout") is not None and not is_seconds(flag("timeout")):
        raise ConfigError(
            _("--timeout {value} is not a number of seconds > 0 and at most {max:g}").format(
                value=flag("timeout"), max=MAX_TIMEOUT
            ),
            fix=_(
                "Pass e.g. --timeout 5. The timeout is the deadline of each etcd call: a "
                "longer one would only hide a hung member, and gRPC treats an endless "
                "deadline as already expired, so every call would fail at once."
            ),
            console_fix=_(
                "Set timeout in the context to a number of seconds, e.g. 5. The timeout is "
                "the deadline of each etcd call: a longer one would only hide a hung member."
            ),
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
    env_user = (env.get("ETCDCTL_USER") or "").partition(":")[0]
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
            console_fix=_("Set cert and key in the context, then switch to it with :context NAME."),
        )
    password = password_from_env(v["user"], env) if v["user"] else None
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
        metrics_urls=ctx.metrics_urls if ctx is not None and source == "config" else (),
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
            console_fix=_(
                "Set both cert and key in the context, then switch to it with :context NAME."
            ),
        )
    warnings: list[str] = []

    def read(p: Path, role: str, flag: str) -> bytes:
        fix = _("Check the path, or pass the right file with {flag}.").format(flag=flag)
        data = read_config_bytes(p, role, fix, TLSFileError)
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
        from datetime import UTC, datetime  # here: this check runs only on a failure

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
    # (a key readable by others is warned about before dialling: precheck_tls_files)
    return warnings


def password_from_env(user: str, env: Mapping[str, str]) -> str | None:
    """The password of ``user``: from the environment only, never argv or a file
    (ETCDTUI_PASSWORD, then ETCDCTL_USER=user:password for the same user, then
    ETCDCTL_PASSWORD)."""
    env_user, _sep, env_password = (env.get("ETCDCTL_USER") or "").partition(":")
    return (
        env.get("ETCDTUI_PASSWORD")
        or (env_password if env_user == user else None)
        or env.get("ETCDCTL_PASSWORD")
        or None
    )
