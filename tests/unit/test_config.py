"""Config file, precedence of flags/env/file/kubeadm, endpoint validation, TLS file checks."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from etcdtui import config
from etcdtui.cli import add_connection_flags
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.config import (
    Config,
    Context,
    NothingConfigured,
    TLSFileError,
    UnknownContext,
    check_tls_files,
    discover_kubeadm,
    load_config,
    normalize_endpoint,
    parse_endpoints,
    remove_context,
    resolve_settings,
    save_context,
    use_context,
)
from etcdtui.errors import ConfigError, InsecureRefused, InvalidEndpoint

FIXTURE_MANIFEST = Path(__file__).parent.parent / "fixtures" / "kubeadm" / "etcd.yaml"

# --- helpers -----------------------------------------------------------------------------

KeyKind = str  # "ec" | "rsa" | "ed25519"


def new_key(kind: KeyKind = "ec") -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def make_cert(
    key: Any,
    issuer_key: Any | None = None,
    cn: str = "etcd-ca",
    not_before: dt.datetime | None = None,
    days: int = 365,
) -> x509.Certificate:
    """Self-signed when ``issuer_key`` is None (a CA), else signed by the test CA."""
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    signer = issuer_key or key
    algo = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "etcd-ca")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .sign(signer, algo)
    )


def write_cert(path: Path, cert: x509.Certificate) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def write_key(path: Path, key: Any, mode: int = 0o600, password: bytes | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    enc = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    )
    path.chmod(mode)
    return path


def tls_files(tmp: Path, kind: KeyKind = "ec", prefix: str = "client") -> tuple[Path, Path, Path]:
    """A CA plus a client cert/key pair; returns (cacert, cert, key)."""
    ca_key = new_key("ec")
    cacert = write_cert(tmp / "ca.crt", make_cert(ca_key))
    key = new_key(kind)
    cert = write_cert(tmp / f"{prefix}.crt", make_cert(key, ca_key, cn="etcdtui"))
    return cacert, cert, write_key(tmp / f"{prefix}.key", key)


def kubeadm_pki(root: Path, *, apiserver_client: bool = True, healthcheck: bool = True) -> Path:
    """A fake /etc/kubernetes/pki: etcd/ca.crt plus the client pairs kubeadm writes."""
    ca_key = new_key()
    write_cert(root / "etcd/ca.crt", make_cert(ca_key))
    pairs = []
    if apiserver_client:
        pairs.append("apiserver-etcd-client")
    if healthcheck:
        pairs.append("etcd/healthcheck-client")
    for name in pairs:
        key = new_key()
        write_cert(root / f"{name}.crt", make_cert(key, ca_key, cn=name))
        write_key(root / f"{name}.key", key)
    return root


def write_config(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def flags(**kw: Any) -> argparse.Namespace:
    """Parse like the real CLI so the attribute names and defaults are the real ones."""
    parser = argparse.ArgumentParser()
    add_connection_flags(parser)
    args = parser.parse_args([])
    for k, v in kw.items():
        setattr(args, k, v)
    return args


@pytest.fixture
def cfg_file(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "config.yaml"


@pytest.fixture
def no_kubeadm(tmp_path: Path) -> Path:
    return tmp_path / "no-such-manifest.yaml"


def resolve(
    fl: argparse.Namespace, env: dict[str, str], cfg: Path, manifest: Path, pki: Path | None = None
) -> ConnectionSettings:
    return resolve_settings(
        fl, env, config_path=cfg, kubeadm_manifest=manifest, kubeadm_pki_root=pki
    )


PROD = {
    "name": "prod",
    "endpoints": ["https://10.0.0.1:2379", "https://10.0.0.2:2379"],
    "cacert": "pki/ca.crt",
    "cert": "~/certs/client.crt",
    "key": "/abs/client.key",
    "read-only": True,
}


# --- endpoints ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://10.0.0.1:2379", "https://10.0.0.1:2379"),
        ("10.0.0.1:2379", "https://10.0.0.1:2379"),
        ("  HTTPS://Node-1.Example.COM:2379/ ", "https://node-1.example.com:2379"),
        ("[::1]:2379", "https://[::1]:2379"),
        ("https://[FE80::1]:2379", "https://[fe80::1]:2379"),
        ("localhost:32379", "https://localhost:32379"),
    ],
)
def test_normalize_endpoint_accepts_and_normalises(given: str, expected: str) -> None:
    assert normalize_endpoint(given, insecure=False) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "https://:2379",  # no host
        "https://etcd-1:99999",  # port out of range
        "https://etcd-1:abc",  # port not a number
        "https://etcd-1",  # no port
        "https://etcd-1:0",
        "unix:///var/run/etcd.sock",
        "ftp://etcd-1:2379",
        "https://etcd-1:2379/v3/kv",  # a path
        "https://etcd-1:2379?x=1",
        "https://etc d:2379",
        "::1:2379",  # IPv6 without brackets
        "https://[::zz]:2379",
    ],
)
def test_normalize_endpoint_rejects_invalid_urls_naming_them(bad: str) -> None:
    with pytest.raises(InvalidEndpoint) as info:
        normalize_endpoint(bad, insecure=True)
    assert bad.strip() in str(info.value)
    assert "https://" in info.value.fix


def test_normalize_endpoint_never_echoes_credentials() -> None:
    with pytest.raises(InvalidEndpoint) as info:
        normalize_endpoint("https://root:hunter2@etcd-1:2379", insecure=False)
    assert "hunter2" not in str(info.value) and "hunter2" not in info.value.render()


def test_plain_http_is_refused_unless_insecure() -> None:
    with pytest.raises(InsecureRefused) as info:
        normalize_endpoint("http://127.0.0.1:2379", insecure=False)
    assert "http://127.0.0.1:2379" in str(info.value)
    assert "--insecure" in info.value.fix
    assert normalize_endpoint("http://127.0.0.1:2379", insecure=True) == "http://127.0.0.1:2379"


def test_duplicate_endpoints_collapse_in_order() -> None:
    got = parse_endpoints("https://b:2379, b:2379,https://A:2379,https://B:2379/", False)
    assert got == ("https://b:2379", "https://a:2379")
    assert parse_endpoints(["a:1,a:1", "c:3"], False) == ("https://a:1", "https://c:3")


def test_empty_endpoint_list_is_an_error() -> None:
    with pytest.raises(InvalidEndpoint):
        parse_endpoints(" , ", False)


# --- loading the config file -------------------------------------------------------------


def test_missing_config_file_is_an_empty_config(cfg_file: Path) -> None:
    cfg = load_config(cfg_file)
    assert cfg == Config(path=cfg_file)
    assert cfg.contexts == {} and cfg.theme == "etcdtui-dark" and cfg.refresh_interval == 2.0


def test_full_config_is_parsed_and_paths_resolved(
    cfg_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    lab = {
        "name": "lab",
        "endpoints": "http://127.0.0.1:2379",
        "insecure": True,
        "user": "root",
        "server-name": "etcd.lab",
        "timeout": 5,
    }
    write_config(
        cfg_file,
        {
            "current-context": "prod",
            "contexts": [PROD, lab],
            "ui": {"theme": "etcdtui-light", "refresh-interval": 0.5, "keymap": {"quit": "ctrl+q"}},
        },
    )
    cfg = load_config(cfg_file)
    prod = cfg.contexts["prod"]
    assert cfg.current_context == "prod"
    assert prod.endpoints == ("https://10.0.0.1:2379", "https://10.0.0.2:2379")
    assert prod.cacert == cfg_file.parent / "pki/ca.crt"  # relative to the config file
    assert prod.cert == tmp_path / "home/certs/client.crt"  # ~ expanded
    assert prod.key == Path("/abs/client.key")
    assert prod.read_only and not prod.insecure and prod.user is None
    assert cfg.contexts["lab"] == Context(
        "lab",
        ("http://127.0.0.1:2379",),
        user="root",
        server_name="etcd.lab",
        insecure=True,
        timeout=5.0,
    )
    assert (cfg.theme, cfg.refresh_interval, cfg.keymap) == (
        "etcdtui-light",
        0.5,
        {"quit": "ctrl+q"},
    )


def test_config_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config.config_path(None, {}) == tmp_path / "xdg/etcdtui/config.yaml"
    env = {"ETCDTUI_CONFIG_DIR": str(tmp_path / "d")}
    assert config.config_path(None, env) == tmp_path / "d/config.yaml"
    env["ETCDTUI_CONFIG"] = str(tmp_path / "e.yaml")
    assert config.config_path(None, env) == tmp_path / "e.yaml"
    assert config.config_path(tmp_path / "flag.yaml", env) == tmp_path / "flag.yaml"


def test_load_config_honours_etcdtui_config_env(tmp_path: Path) -> None:
    path = write_config(tmp_path / "elsewhere.yaml", {"contexts": [PROD]})
    assert "prod" in load_config(env={"ETCDTUI_CONFIG": str(path)}).contexts


BAD_CONFIGS = [
    ("contexts:\n  - name: prod\n    endpoints: [https://a:2379\n", "line", "Fix the file"),
    ("- just\n- a list\n", "must be a mapping", "Fix the file"),
    ({"contexts": [{"name": "prod"}]}, "context 'prod' has no endpoints", "endpoints:"),
    ({"contexts": [{"endpoints": ["a:1"]}]}, "contexts[0]", "Fix the file"),
    ({"contexts": [{**PROD, "ca-cert": "x"}]}, "unknown key 'ca-cert'", "cacert"),
    ({"contextz": []}, "unknown key 'contextz'", "contexts"),
    ({"contexts": [PROD], "current-context": "stage"}, "'stage'", "prod"),
    ({"contexts": [PROD, PROD]}, "defined twice", "Fix the file"),
    ({"contexts": [{**PROD, "user": "root:pw"}]}, "user contains ':'", "ETCDTUI_PASSWORD"),
    ({"contexts": [{**PROD, "read-only": "yes"}]}, "read-only must be true or false", "Fix"),
    ({"contexts": [{**PROD, "timeout": "5s"}]}, "timeout must be a number", "Fix the file"),
    ({"contexts": [{**PROD, "cacert": 42}]}, "cacert must be a file path", "Fix the file"),
    ({"contexts": [{**PROD, "endpoints": ["https://a:2379/x"]}]}, "https://a:2379/x", "https://"),
    ({"ui": {"refresh-interval": -1}}, "refresh-interval", "Fix the file"),
    ({"ui": {"keymap": {"quit": 3}}}, "keymap", "Fix the file"),
]


@pytest.mark.parametrize(("content", "cause", "fix"), BAD_CONFIGS)
def test_bad_config_names_the_file_the_problem_and_the_fix(
    cfg_file: Path, content: Any, cause: str, fix: str
) -> None:
    write_config(cfg_file, content)
    with pytest.raises(ConfigError) as info:
        load_config(cfg_file)
    assert str(cfg_file) in info.value.cause
    assert cause in info.value.cause
    assert fix in info.value.fix
    assert info.value.exit_code == 2


def test_malformed_yaml_reports_the_line_number(cfg_file: Path) -> None:
    write_config(cfg_file, "contexts:\n  - name: a\n    endpoints: [x\n  bad: : :\n")
    with pytest.raises(ConfigError, match=r"line \d+"):
        load_config(cfg_file)
    write_config(cfg_file, "ui:\n  theme: a\n   refresh-interval: 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg_file)
    assert "line 3" in info.value.cause


def test_config_that_is_a_directory_is_a_clear_error(cfg_file: Path) -> None:
    cfg_file.mkdir(parents=True)
    with pytest.raises(ConfigError, match="directory"):
        load_config(cfg_file)


# --- saving ------------------------------------------------------------------------------


def test_save_context_creates_dir_mode_0600_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "config.yaml"
    ctx = Context(
        "sandbox",
        ("127.0.0.1:23790",),
        cacert=tmp_path / "ca.crt",
        cert=tmp_path / "c.crt",
        key=tmp_path / "c.key",
        timeout=3.0,
    )
    generated = path.with_name("config.generated.yaml")
    assert save_context(ctx, path, make_current=True) == generated
    assert stat.S_IMODE(generated.stat().st_mode) == 0o600
    assert not path.exists()  # the operator's own file is never written
    cfg = load_config(path)
    assert cfg.current_context == "sandbox"
    assert cfg.contexts["sandbox"] == Context(
        "sandbox",
        ("https://127.0.0.1:23790",),
        cacert=tmp_path / "ca.crt",
        cert=tmp_path / "c.crt",
        key=tmp_path / "c.key",
        timeout=3.0,
    )
    assert [p.name for p in path.parent.iterdir()] == [generated.name]  # no temp file left


def test_save_context_keeps_other_contexts_and_settings(cfg_file: Path) -> None:
    write_config(
        cfg_file,
        {
            "current-context": "prod",
            "contexts": [PROD],
            "ui": {"theme": "mine", "keymap": {"help": "f1"}},
        },
    )
    cfg_file.chmod(0o644)
    before = cfg_file.read_bytes()
    generated = save_context(Context("sandbox", ("https://127.0.0.1:2379",)), cfg_file)
    cfg = load_config(cfg_file)
    assert set(cfg.contexts) == {"prod", "sandbox"}
    assert cfg.contexts["prod"].endpoints == ("https://10.0.0.1:2379", "https://10.0.0.2:2379")
    assert cfg.current_context == "prod"  # make_current=False leaves it alone
    assert (cfg.theme, cfg.keymap) == ("mine", {"help": "f1"})
    assert cfg_file.read_bytes() == before  # the operator's file is left as it was
    assert stat.S_IMODE(cfg_file.stat().st_mode) == 0o644
    assert stat.S_IMODE(generated.stat().st_mode) == 0o600


def test_save_context_replaces_a_context_of_the_same_name(cfg_file: Path) -> None:
    save_context(Context("a", ("https://h1:2379",), read_only=True), cfg_file)
    save_context(Context("a", ("https://h2:2379",)), cfg_file)
    cfg = load_config(cfg_file)
    assert list(cfg.contexts) == ["a"]
    assert cfg.contexts["a"].endpoints == ("https://h2:2379",) and not cfg.contexts["a"].read_only


def test_save_context_accepts_connection_settings(cfg_file: Path) -> None:
    s = ConnectionSettings(("https://h:2379",), user="root", password="s3cret", context="x")
    generated = save_context(s, cfg_file)
    assert load_config(cfg_file).contexts["x"].user == "root"
    assert "s3cret" not in generated.read_text()  # the password is never stored


def test_save_refuses_invalid_contexts(cfg_file: Path) -> None:
    with pytest.raises(InsecureRefused):
        save_context(Context("x", ("http://h:2379",)), cfg_file)
    with pytest.raises(ConfigError):
        save_context(Context("x", ("https://h:2379",), user="root:pw"), cfg_file)
    assert not cfg_file.exists()
    assert save_context(Context("x", ("http://h:2379",), insecure=True), cfg_file)


def test_save_does_not_overwrite_a_file_it_cannot_parse(cfg_file: Path) -> None:
    write_config(cfg_file, "contexts: [\n")
    with pytest.raises(ConfigError):
        save_context(Context("x", ("https://h:2379",)), cfg_file)
    assert cfg_file.read_text() == "contexts: [\n"


def test_failed_write_leaves_the_old_file_and_no_temp(
    cfg_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(cfg_file, {"contexts": [PROD]})
    before = cfg_file.read_bytes()

    def boom(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config.files.os, "replace", boom)
    with pytest.raises(OSError, match="No space"):
        save_context(Context("x", ("https://h:2379",)), cfg_file)
    assert cfg_file.read_bytes() == before
    assert [p.name for p in cfg_file.parent.iterdir()] == ["config.yaml"]


def test_save_next_to_a_symlinked_config_leaves_the_link_and_its_target(tmp_path: Path) -> None:
    target = write_config(tmp_path / "dotfiles" / "etcdtui.yaml", {"contexts": [PROD]})
    before = target.read_bytes()
    link = tmp_path / "conf" / "config.yaml"
    link.parent.mkdir()
    link.symlink_to(target)
    generated = save_context(Context("x", ("https://h:2379",)), link)
    assert link.is_symlink() and target.read_bytes() == before
    assert generated.parent == link.parent  # machine-local: not in the dotfiles directory
    assert set(load_config(link).contexts) == {"prod", "x"}


def test_remove_and_use_context(cfg_file: Path) -> None:
    save_context(Context("a", ("https://h1:2379",)), cfg_file, make_current=True)
    save_context(Context("b", ("https://h2:2379",)), cfg_file)
    use_context("b", cfg_file)
    assert load_config(cfg_file).current_context == "b"
    remove_context("b", cfg_file)
    cfg = load_config(cfg_file)
    assert list(cfg.contexts) == ["a"] and cfg.current_context is None
    with pytest.raises(UnknownContext) as info:
        remove_context("b", cfg_file)
    assert str(cfg_file) in info.value.cause and "a" in info.value.fix
    remove_context("b", cfg_file, missing_ok=True)
    with pytest.raises(UnknownContext):
        use_context("zzz", cfg_file)


# --- precedence --------------------------------------------------------------------------

ENV_FULL = {
    "ETCDCTL_ENDPOINTS": "https://env-1:2379,https://env-2:2379",
    "ETCDCTL_CACERT": "/env/ca.crt",
    "ETCDCTL_CERT": "/env/client.crt",
    "ETCDCTL_KEY": "/env/client.key",
}


def test_flags_alone(cfg_file: Path, no_kubeadm: Path) -> None:
    s = resolve(
        flags(
            endpoints="https://f:2379",
            cacert="/f/ca.crt",
            cert="/f/c.crt",
            key="/f/c.key",
            server_name="etcd.f",
            timeout=7.0,
            read_only=True,
        ),
        {},
        cfg_file,
        no_kubeadm,
    )
    assert s.source == "flags" and s.endpoints == ("https://f:2379",)
    assert (s.cacert, s.cert, s.key) == (Path("/f/ca.crt"), Path("/f/c.crt"), Path("/f/c.key"))
    assert (s.server_name, s.timeout, s.read_only, s.context) == ("etcd.f", 7.0, True, None)


def test_flags_may_be_a_plain_mapping(cfg_file: Path, no_kubeadm: Path) -> None:
    s = resolve_settings(
        {"endpoints": "f:2379"}, {}, config_path=cfg_file, kubeadm_manifest=no_kubeadm
    )
    assert s.endpoints == ("https://f:2379",) and s.timeout == 2.0


def test_env_alone(cfg_file: Path, no_kubeadm: Path) -> None:
    s = resolve(flags(), ENV_FULL, cfg_file, no_kubeadm)
    assert s.source == "env"
    assert s.endpoints == ("https://env-1:2379", "https://env-2:2379")
    assert (s.cacert, s.cert, s.key) == (
        Path("/env/ca.crt"),
        Path("/env/client.crt"),
        Path("/env/client.key"),
    )


def test_flags_beat_env_field_by_field(cfg_file: Path, no_kubeadm: Path) -> None:
    s = resolve(flags(endpoints="https://f:2379", cert="/f/c.crt"), ENV_FULL, cfg_file, no_kubeadm)
    assert s.source == "flags" and s.endpoints == ("https://f:2379",)
    assert s.cert == Path("/f/c.crt")  # from the flag
    assert s.cacert == Path("/env/ca.crt") and s.key == Path("/env/client.key")  # from env


def test_current_context_is_used_when_nothing_else(cfg_file: Path, no_kubeadm: Path) -> None:
    write_config(cfg_file, {"current-context": "prod", "contexts": [PROD]})
    s = resolve(flags(), {}, cfg_file, no_kubeadm)
    assert s.source == "config" and s.context == "prod"
    assert s.endpoints == ("https://10.0.0.1:2379", "https://10.0.0.2:2379")
    assert s.cacert == cfg_file.parent / "pki/ca.crt" and s.read_only


def test_env_beats_the_config_file_field_by_field(cfg_file: Path, no_kubeadm: Path) -> None:
    write_config(cfg_file, {"current-context": "prod", "contexts": [PROD]})
    s = resolve(flags(), {"ETCDCTL_ENDPOINTS": "https://env-1:2379"}, cfg_file, no_kubeadm)
    assert s.source == "env" and s.endpoints == ("https://env-1:2379",)
    assert s.key == Path("/abs/client.key")  # still from the current context
    assert s.context is None  # the endpoints are not the context's cluster


def test_flags_beat_the_config_file(cfg_file: Path, no_kubeadm: Path) -> None:
    write_config(cfg_file, {"current-context": "prod", "contexts": [PROD]})
    s = resolve(flags(key="/f/c.key", timeout=9.0), {}, cfg_file, no_kubeadm)
    assert s.source == "config" and s.key == Path("/f/c.key") and s.timeout == 9.0


def test_explicit_context_outranks_env_but_not_flags(cfg_file: Path, no_kubeadm: Path) -> None:
    stage = {"name": "stage", "endpoints": ["https://s:2379"], "cacert": "/s/ca.crt"}
    write_config(cfg_file, {"current-context": "prod", "contexts": [PROD, stage]})
    s = resolve(flags(context="stage"), ENV_FULL, cfg_file, no_kubeadm)
    assert s.source == "config" and s.context == "stage"
    assert s.endpoints == ("https://s:2379",) and s.cacert == Path("/s/ca.crt")
    assert s.cert is None and s.key is None  # ETCDCTL_CERT/KEY do not leak into the context
    s = resolve(flags(context="stage", cacert="/f/ca.crt"), ENV_FULL, cfg_file, no_kubeadm)
    assert s.cacert == Path("/f/ca.crt") and s.context == "stage"


def test_unknown_context_names_the_file_and_the_choices(cfg_file: Path, no_kubeadm: Path) -> None:
    write_config(cfg_file, {"contexts": [PROD]})
    with pytest.raises(UnknownContext) as info:
        resolve(flags(context="nope"), {}, cfg_file, no_kubeadm)
    assert str(cfg_file) in info.value.cause and "'nope'" in info.value.cause
    assert "prod" in info.value.fix


def test_config_flag_selects_the_file(tmp_path: Path, no_kubeadm: Path) -> None:
    chosen = write_config(tmp_path / "chosen.yaml", {"current-context": "prod", "contexts": [PROD]})
    s = resolve_settings(
        flags(config=str(chosen)),
        {},
        config_path=tmp_path / "other.yaml",
        kubeadm_manifest=no_kubeadm,
    )
    assert s.context == "prod"


def test_nothing_configured(cfg_file: Path, no_kubeadm: Path) -> None:
    write_config(cfg_file, {"contexts": [PROD]})  # a context, but none is current
    with pytest.raises(NothingConfigured) as info:
        resolve(flags(), {}, cfg_file, no_kubeadm)
    assert isinstance(info.value, ConfigError) and info.value.exit_code == 2
    assert str(cfg_file) in info.value.cause
    assert "--sandbox" in info.value.fix and "--endpoints" in info.value.fix


def test_insecure_comes_from_flags_or_context(cfg_file: Path, no_kubeadm: Path) -> None:
    with pytest.raises(InsecureRefused) as info:
        resolve(flags(endpoints="http://127.0.0.1:2379"), {}, cfg_file, no_kubeadm)
    assert "--endpoints" in info.value.cause
    with pytest.raises(InsecureRefused, match="ETCDCTL_ENDPOINTS"):
        resolve(flags(), {"ETCDCTL_ENDPOINTS": "http://127.0.0.1:2379"}, cfg_file, no_kubeadm)
    s = resolve(flags(endpoints="http://127.0.0.1:2379", insecure=True), {}, cfg_file, no_kubeadm)
    assert s.insecure and s.endpoints == ("http://127.0.0.1:2379",)
    write_config(
        cfg_file,
        {
            "contexts": [
                {"name": "dev", "endpoints": "http://127.0.0.1:2379"},
                {"name": "lab", "endpoints": "http://127.0.0.1:2379", "insecure": True},
            ]
        },
    )
    assert resolve(flags(context="lab"), {}, cfg_file, no_kubeadm).insecure
    with pytest.raises(InsecureRefused) as info:
        resolve(flags(context="dev"), {}, cfg_file, no_kubeadm)
    assert str(cfg_file) in info.value.cause  # names where the http:// URL came from
    assert resolve(flags(context="dev", insecure=True), {}, cfg_file, no_kubeadm).insecure


def test_bad_endpoint_names_its_origin(cfg_file: Path, no_kubeadm: Path) -> None:
    with pytest.raises(InvalidEndpoint) as info:
        resolve(flags(), {"ETCDCTL_ENDPOINTS": "https://e:2379/v3"}, cfg_file, no_kubeadm)
    assert "ETCDCTL_ENDPOINTS" in info.value.cause and "https://e:2379/v3" in info.value.cause


def test_bad_timeout_flag(cfg_file: Path, no_kubeadm: Path) -> None:
    with pytest.raises(ConfigError, match="--timeout"):
        resolve(flags(endpoints="h:2379", timeout=0.0), {}, cfg_file, no_kubeadm)


# --- user and password -------------------------------------------------------------------


def test_password_on_the_command_line_is_refused(cfg_file: Path, no_kubeadm: Path) -> None:
    with pytest.raises(ConfigError) as info:
        resolve(flags(endpoints="h:2379", user="root:hunter2"), {}, cfg_file, no_kubeadm)
    assert "hunter2" not in info.value.render()
    assert "ETCDTUI_PASSWORD" in info.value.fix


def test_etcdctl_user_env_with_password(cfg_file: Path, no_kubeadm: Path) -> None:
    env = {"ETCDCTL_ENDPOINTS": "h:2379", "ETCDCTL_USER": "root:hunter2"}
    s = resolve(flags(), env, cfg_file, no_kubeadm)
    assert (s.user, s.password) == ("root", "hunter2")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.redacted())


def test_password_sources_and_their_order(cfg_file: Path, no_kubeadm: Path) -> None:
    env = {"ETCDCTL_USER": "root:from-etcdctl-user", "ETCDTUI_PASSWORD": "from-etcdtui"}
    s = resolve(flags(endpoints="h:2379"), env, cfg_file, no_kubeadm)
    assert (s.user, s.password) == ("root", "from-etcdtui")
    # --user alice: ETCDCTL_USER's password belongs to root, so it is not sent for alice
    s = resolve(
        flags(endpoints="h:2379", user="alice"), {"ETCDCTL_USER": "root:pw"}, cfg_file, no_kubeadm
    )
    assert (s.user, s.password) == ("alice", None)
    s = resolve(
        flags(endpoints="h:2379", user="alice"), {"ETCDCTL_PASSWORD": "pw2"}, cfg_file, no_kubeadm
    )
    assert s.password == "pw2"
    # no user at all: a stray password is not used
    assert (
        resolve(flags(endpoints="h:2379"), {"ETCDTUI_PASSWORD": "x"}, cfg_file, no_kubeadm).password
        is None
    )


def test_context_user_takes_its_password_from_env(cfg_file: Path, no_kubeadm: Path) -> None:
    write_config(cfg_file, {"contexts": [{**PROD, "user": "root"}]})
    s = resolve(flags(context="prod"), {"ETCDTUI_PASSWORD": "pw"}, cfg_file, no_kubeadm)
    assert (s.user, s.password) == ("root", "pw")
    s = resolve(flags(context="prod"), {"ETCDCTL_USER": "root:pw3"}, cfg_file, no_kubeadm)
    assert (s.user, s.password) == ("root", "pw3")


# --- kubeadm -----------------------------------------------------------------------------


def edited_manifest(tmp: Path, edit: Any) -> Path:
    pod = yaml.safe_load(FIXTURE_MANIFEST.read_text())
    edit(pod["spec"]["containers"][0]["command"])
    return write_config(tmp / "etcd.yaml", pod)


def test_kubeadm_fixture_discovery(tmp_path: Path) -> None:
    pki = kubeadm_pki(tmp_path / "pki")
    found = discover_kubeadm(FIXTURE_MANIFEST, pki_root=pki)
    assert found is not None
    assert found.endpoints == ("https://192.168.56.10:2379",)
    assert found.cacert == pki / "etcd/ca.crt"
    assert (found.cert, found.key) == (
        pki / "apiserver-etcd-client.crt",
        pki / "apiserver-etcd-client.key",
    )


def test_kubeadm_paths_from_the_manifest_without_override() -> None:
    found = discover_kubeadm(FIXTURE_MANIFEST)
    assert found is not None and found.cacert == Path("/etc/kubernetes/pki/etcd/ca.crt")


def test_kubeadm_falls_back_to_healthcheck_client(tmp_path: Path) -> None:
    pki = kubeadm_pki(tmp_path / "pki", apiserver_client=False)
    found = discover_kubeadm(FIXTURE_MANIFEST, pki_root=pki)
    assert found is not None and found.cert == pki / "etcd/healthcheck-client.crt"
    assert found.key == pki / "etcd/healthcheck-client.key"


def test_kubeadm_listen_urls_without_loopback(tmp_path: Path) -> None:
    def drop_advertise(cmd: list[str]) -> None:
        cmd[:] = [a for a in cmd if not a.startswith("--advertise-client-urls")]

    found = discover_kubeadm(edited_manifest(tmp_path, drop_advertise))
    assert found is not None and found.endpoints == ("https://192.168.56.10:2379",)

    def loopback_only(cmd: list[str]) -> None:
        drop_advertise(cmd)
        cmd[:] = [a for a in cmd if not a.startswith("--listen-client-urls")]
        cmd += ["--listen-client-urls", "https://127.0.0.1:2379"]  # space-separated form

    found = discover_kubeadm(edited_manifest(tmp_path, loopback_only))
    assert found is not None and found.endpoints == ("https://127.0.0.1:2379",)


def test_kubeadm_manifest_problems_name_the_file(tmp_path: Path) -> None:
    assert discover_kubeadm(tmp_path / "absent.yaml") is None
    with pytest.raises(ConfigError, match="not found"):
        discover_kubeadm(tmp_path / "absent.yaml", required=True)
    broken = write_config(tmp_path / "broken.yaml", "spec:\n  containers:\n  - name: [etcd\n")
    with pytest.raises(ConfigError) as info:
        discover_kubeadm(broken)
    assert str(broken) in info.value.cause and "line" in info.value.cause
    other = write_config(tmp_path / "other.yaml", {"spec": {"containers": [{"name": "nginx"}]}})
    with pytest.raises(ConfigError) as info:
        discover_kubeadm(other)
    assert str(other) in info.value.cause and "etcd" in info.value.cause
    assert "--endpoints" in info.value.fix
    no_urls = edited_manifest(tmp_path, lambda cmd: cmd.__setitem__(slice(None), ["etcd"]))
    with pytest.raises(ConfigError, match="advertise-client-urls"):
        discover_kubeadm(no_urls)


def test_kubeadm_is_the_last_resort(cfg_file: Path, tmp_path: Path) -> None:
    pki = kubeadm_pki(tmp_path / "pki")
    s = resolve(flags(), {}, cfg_file, FIXTURE_MANIFEST, pki)
    assert s.source == "kubeadm" and s.endpoints == ("https://192.168.56.10:2379",)
    assert s.cacert == pki / "etcd/ca.crt" and s.cert == pki / "apiserver-etcd-client.crt"
    assert check_tls_files(s) == []  # the discovered files are a consistent set
    # a flag still overrides a single field of the discovery
    s = resolve(flags(cacert="/f/ca.crt"), {}, cfg_file, FIXTURE_MANIFEST, pki)
    assert s.source == "kubeadm" and s.cacert == Path("/f/ca.crt")
    # any other source of endpoints wins over discovery
    assert (
        resolve(flags(), {"ETCDCTL_ENDPOINTS": "e:2379"}, cfg_file, FIXTURE_MANIFEST, pki).source
        == "env"
    )
    write_config(cfg_file, {"current-context": "prod", "contexts": [PROD]})
    s = resolve(flags(), {}, cfg_file, FIXTURE_MANIFEST, pki)
    assert s.source == "config" and s.cacert == cfg_file.parent / "pki/ca.crt"


def test_kubeadm_flag_is_an_explicit_request(cfg_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        resolve(
            flags(kubeadm_manifest=str(tmp_path / "absent.yaml")), {}, cfg_file, tmp_path / "x.yaml"
        )
    assert not isinstance(info.value, NothingConfigured)
    assert str(tmp_path / "absent.yaml") in info.value.cause
    s = resolve(
        flags(kubeadm_manifest=str(FIXTURE_MANIFEST)),
        {},
        cfg_file,
        tmp_path / "x.yaml",
        kubeadm_pki(tmp_path / "pki"),
    )
    assert s.source == "kubeadm"


def test_kubeadm_without_client_cert(cfg_file: Path, tmp_path: Path) -> None:
    pki = kubeadm_pki(tmp_path / "pki", apiserver_client=False, healthcheck=False)
    with pytest.raises(ConfigError) as info:
        resolve(flags(), {}, cfg_file, FIXTURE_MANIFEST, pki)
    assert str(FIXTURE_MANIFEST) in info.value.cause and "--cert" in info.value.fix
    s = resolve(flags(cert="/f/c.crt", key="/f/c.key"), {}, cfg_file, FIXTURE_MANIFEST, pki)
    assert s.source == "kubeadm" and s.cert == Path("/f/c.crt")


def test_unreadable_kubeadm_manifest(
    tmp_path: Path, cfg_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = tmp_path / "etcd.yaml"
    shutil.copy(FIXTURE_MANIFEST, manifest)
    import etcdtui.config.files as files_mod

    real_read = files_mod.read_limited

    def guarded(path: Any, *a: Any, **kw: Any) -> Any:  # root reads anything: fake EACCES
        if Path(path) == manifest:
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path, *a, **kw)

    monkeypatch.setattr(files_mod, "read_limited", guarded)
    with pytest.raises(ConfigError) as info:
        resolve(flags(), {}, cfg_file, manifest)
    assert str(manifest) in info.value.cause and "permission denied" in info.value.cause
    assert "sudo" in info.value.fix


# --- TLS file checks ---------------------------------------------------------------------


def settings_for(cacert: Path | None, cert: Path | None, key: Path | None) -> ConnectionSettings:
    return ConnectionSettings(("https://127.0.0.1:2379",), cacert=cacert, cert=cert, key=key)


@pytest.mark.parametrize("kind", ["ec", "rsa", "ed25519"])
def test_consistent_tls_files_pass(tmp_path: Path, kind: KeyKind) -> None:
    assert check_tls_files(settings_for(*tls_files(tmp_path, kind))) == []


def test_no_tls_files_at_all_is_fine() -> None:
    assert check_tls_files(settings_for(None, None, None)) == []


@pytest.mark.parametrize(("which", "flag"), [(0, "--cacert"), (1, "--cert"), (2, "--key")])
def test_missing_file_names_the_file_and_the_flag(tmp_path: Path, which: int, flag: str) -> None:
    files = list(tls_files(tmp_path))
    files[which].unlink()
    with pytest.raises(TLSFileError) as info:
        check_tls_files(settings_for(*files))
    assert isinstance(info.value, ConfigError)
    assert str(files[which]) in info.value.cause and "does not exist" in info.value.cause
    assert flag in info.value.fix


def test_unreadable_key_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cacert, cert, key = tls_files(tmp_path)
    import etcdtui.config.files as files_mod

    real_read = files_mod.read_limited

    def guarded(path: Any, *a: Any, **kw: Any) -> Any:  # root reads anything: fake EACCES
        if Path(path) == key:
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path, *a, **kw)

    monkeypatch.setattr(files_mod, "read_limited", guarded)
    with pytest.raises(TLSFileError) as info:
        check_tls_files(settings_for(cacert, cert, key))
    assert str(key) in info.value.cause and "permission denied" in info.value.cause
    assert "sudo" in info.value.fix


def _check_as_another_user(files: tuple[Path, Path, Path]) -> str:
    """check_tls_files in a forked child; as root (CI), the child first becomes nobody,
    because root reads files whatever their mode. Returns "ok" or "Type: cause"."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into pytest
        try:
            os.close(read)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            try:
                check_tls_files(settings_for(*files))
                out = "ok"
            except Exception as exc:
                out = f"{type(exc).__name__}: {getattr(exc, 'cause', exc)}"
            os.write(write, out.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        out = pipe.read().decode()
    os.waitpid(pid, 0)
    return out


def test_unreadable_by_mode() -> None:
    """A CA file of mode 0 is refused by the kernel for a non-root user, and etcdtui says
    so, naming the file. Runs as root too: the check then runs as nobody."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="etcdtui-mode-"))  # /tmp: nobody can reach it
    try:
        base.chmod(0o711)
        files = tls_files(base)
        for f in files:
            f.chmod(0o644)
        assert _check_as_another_user(files) == "ok"  # the same user reads them all
        files[0].chmod(0)
        out = _check_as_another_user(files)
        assert out.startswith("TLSFileError: ") and "permission denied" in out, out
        assert str(files[0]) in out
    finally:
        shutil.rmtree(base)


def test_der_certificate_is_not_pem(tmp_path: Path) -> None:
    cacert, cert, key = tls_files(tmp_path)
    der = x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(serialization.Encoding.DER)
    cert.write_bytes(der)
    with pytest.raises(TLSFileError) as info:
        check_tls_files(settings_for(cacert, cert, key))
    assert str(cert) in info.value.cause and "not PEM" in info.value.cause
    assert "openssl x509 -inform der" in info.value.fix


def test_pem_without_a_certificate(tmp_path: Path) -> None:
    cacert, cert, key = tls_files(tmp_path)
    shutil.copy(key, cacert)  # a key where the CA should be
    with pytest.raises(TLSFileError) as info:
        check_tls_files(settings_for(cacert, cert, key))
    assert str(cacert) in info.value.cause and "no PEM certificate" in info.value.cause
    assert "--cacert" in info.value.fix


def test_key_file_that_holds_a_certificate(tmp_path: Path) -> None:
    cacert, cert, key = tls_files(tmp_path)
    shutil.copy(cert, key)
    with pytest.raises(TLSFileError) as info:
        check_tls_files(settings_for(cacert, cert, key))
    assert str(key) in info.value.cause and "not a PEM private key" in info.value.cause
    assert "--key" in info.value.fix


@pytest.mark.parametrize("kind", ["ec", "rsa", "ed25519"])
def test_key_that_does_not_match_the_certificate(tmp_path: Path, kind: KeyKind) -> None:
    cacert, cert, _key = tls_files(tmp_path, kind)
    other = write_key(tmp_path / "other.key", new_key(kind))
    with pytest.raises(TLSFileError) as info:
        check_tls_files(settings_for(cacert, cert, other))
    assert str(other) in info.value.cause and str(cert) in info.value.cause
    assert "does not match" in info.value.cause and "key" in info.value.fix


def test_key_of_another_type_does_not_match(tmp_path: Path) -> None:
    cacert, cert, _key = tls_files(tmp_path, "ec")
    other = write_key(tmp_path / "other.key", new_key("ed25519"))
    with pytest.raises(TLSFileError, match="does not match"):
        check_tls_files(settings_for(cacert, cert, other))


def test_encrypted_key(tmp_path: Path) -> None:
    cacert, cert, key = tls_files(tmp_path)
    private = serialization.load_pem_private_key(key.read_bytes(), None)
    write_key(key, private, password=b"secret")
    with pytest.raises(TLSFileError) as info:
        check_tls_files(settings_for(cacert, cert, key))
    assert str(key) in info.value.cause and "encrypted" in info.value.cause
    assert "openssl pkey" in info.value.fix


def test_cert_without_key_and_key_without_cert(tmp_path: Path) -> None:
    cacert, cert, key = tls_files(tmp_path)
    for c, k in ((cert, None), (None, key)):
        with pytest.raises(TLSFileError) as info:
            check_tls_files(settings_for(cacert, c, k))
        assert "--cert and --key" in info.value.fix


def test_wide_key_permissions_are_a_warning(tmp_path: Path) -> None:
    cacert, cert, key = tls_files(tmp_path)
    from etcdtui.config import precheck_tls_files

    key.chmod(0o644)
    warnings = precheck_tls_files(settings_for(cacert, cert, key))
    assert len(warnings) == 1
    assert str(key) in warnings[0] and "0644" in warnings[0] and "chmod 600" in warnings[0]
    key.chmod(0o400)
    assert precheck_tls_files(settings_for(cacert, cert, key)) == []


def test_expired_certificate_is_a_warning(tmp_path: Path) -> None:
    cacert, cert, key = tls_files(tmp_path)
    private = serialization.load_pem_private_key(key.read_bytes(), None)
    long_ago = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
    write_cert(cert, make_cert(private, new_key(), cn="old", not_before=long_ago, days=30))
    warnings = check_tls_files(settings_for(cacert, cert, key))
    assert len(warnings) == 1 and str(cert) in warnings[0] and "not valid now" in warnings[0]


def test_errors_never_echo_key_material(tmp_path: Path) -> None:
    cacert, cert, key = tls_files(tmp_path)
    key.write_text("-----BEGIN PRIVATE KEY-----\nMIIsecretBITS\n-----END PRIVATE KEY-----\n")
    with pytest.raises(TLSFileError) as info:
        check_tls_files(settings_for(cacert, cert, key))
    assert str(key) in info.value.cause
    assert "MIIsecretBITS" not in info.value.render()
