"""`etcdtui pki`: create and renew a complete etcd PKI in one directory.

Layout (the same shape as the sandbox's ``pki/``)::

    DIR/ca.crt, DIR/ca.key
    DIR/members/<name>/server.crt|key   serverAuth+clientAuth, SANs: hosts + localhost
    DIR/members/<name>/peer.crt|key     serverAuth+clientAuth, SANs: hosts
    DIR/clients/<name>.crt|key          clientAuth

Nothing is ever overwritten: ``init`` checks every target path before writing the
first file, and ``renew`` moves the old certificate and key to ``.bak`` before it
writes the new pair (the one place files are replaced).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from etcdtui.errors import UsageError
from etcdtui.i18n import _
from etcdtui.paths import ensure_private_dir
from etcdtui.safeio import read_limited
from etcdtui.services.tls import pki

DEFAULT_CLIENTS = ("apiserver-etcd-client", "etcdtui-operator")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9*]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*$")


@dataclass(frozen=True)
class MemberSpec:
    name: str
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca.key"

    def member(self, name: str, kind: str) -> tuple[Path, Path]:
        base = self.root / "members" / name
        return base / f"{kind}.crt", base / f"{kind}.key"

    def client(self, name: str) -> tuple[Path, Path]:
        return self.root / "clients" / f"{name}.crt", self.root / "clients" / f"{name}.key"


def parse_member(text: str) -> MemberSpec:
    """``NAME=HOST[,HOST...]`` as given to ``--member``."""
    name, sep, hosts_text = text.partition("=")
    hosts = tuple(h.strip() for h in hosts_text.split(",") if h.strip())
    if not sep or not hosts:
        raise UsageError(
            _("--member {text!r} is not NAME=HOST[,HOST...]").format(text=text),
            fix=_("Example: --member etcd-1=10.0.0.11,etcd-1.example.internal"),
        )
    check_name(name, "--member")
    for h in hosts:
        if not _valid_host(h):
            raise UsageError(
                _("--member {name}: {host!r} is neither an IP address nor a DNS name").format(
                    name=name, host=h
                ),
                fix=_("List the IPs and DNS names clients and peers dial, comma-separated."),
            )
    return MemberSpec(name, hosts)


def check_name(name: str, flag: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            _("{flag} {name!r}: names use letters, digits, '.', '_' and '-' only").format(
                flag=flag, name=name
            ),
            fix=_("Pick a file-name-safe name such as etcd-1."),
        )
    return name


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST.match(host))


def parse_duration_days(text: str) -> int:
    """``30d``, ``4w`` or a bare number of days."""
    m = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text)
    if not m:
        raise UsageError(
            _("{text!r} is not a duration in days").format(text=text),
            fix=_("Write it like 30d (days) or 4w (weeks)."),
        )
    n = int(m.group(1))
    return n * 7 if m.group(2) == "w" else n


def planned_files(
    layout: Layout, members: Sequence[MemberSpec], clients: Sequence[str]
) -> list[Path]:
    out: list[Path] = []
    for m in members:
        for kind in ("server", "peer"):
            out += list(layout.member(m.name, kind))
    for c in clients:
        out += list(layout.client(c))
    return out


def init(
    root: Path,
    members: Sequence[MemberSpec],
    clients: Sequence[str] = DEFAULT_CLIENTS,
    *,
    days: int = 365,
    ca_days: int = 3650,
) -> list[Path]:
    """Create the CA (or reuse the one in ``root``) and every certificate. Returns paths."""
    if not members:
        raise UsageError(_("at least one --member NAME=HOST is needed"))
    if days < 1 or ca_days < days:
        raise UsageError(
            _("--days must be at least 1 and no longer than the CA lives ({ca} days)").format(
                ca=ca_days
            )
        )
    names = [m.name for m in members]
    dupes = sorted(
        {n for n in names if names.count(n) > 1}
        | {c for c in clients if list(clients).count(c) > 1}
    )
    if dupes:
        raise UsageError(_("names given twice: {names}").format(names=", ".join(dupes)))
    layout = Layout(Path(root))
    wanted = planned_files(layout, members, clients)
    reuse_ca = layout.ca_cert.exists() and layout.ca_key.exists()
    if not reuse_ca:
        wanted = [layout.ca_cert, layout.ca_key, *wanted]
    existing = [p for p in wanted if p.exists() or p.is_symlink()]
    if existing:
        raise pki.PKIError(
            _("refusing to overwrite existing files: {files}").format(
                files=", ".join(str(p) for p in existing)
            ),
            fix=_(
                "Choose another directory, or move those files aside; to replace expiring "
                "certificates use `etcdtui pki renew`."
            ),
        )
    ensure_private_dir(layout.root)
    if reuse_ca:
        ca = pki.load_issued(layout.ca_cert, layout.ca_key)
    else:
        ca = pki.create_ca("etcd-ca", days=ca_days)
        pki.save(ca, layout.ca_cert, layout.ca_key)
    ensure_private_dir(layout.root / "members")
    for m in members:
        for kind in ("server", "peer"):
            hosts = list(m.hosts)
            if kind == "server":
                hosts += [h for h in ("localhost", "127.0.0.1") if h not in hosts]
            crt, key = layout.member(m.name, kind)
            ensure_private_dir(crt.parent)
            leaf = pki.issue(ca, m.name, hosts=hosts, server=True, client=True, days=days)
            pki.save(leaf, crt, key)
    for c in clients:
        crt, key = layout.client(c)
        ensure_private_dir(crt.parent)
        pki.save(pki.issue(ca, c, client=True, days=days), crt, key)
    return ([layout.ca_cert, layout.ca_key] if not reuse_ca else []) + planned_files(
        layout, members, clients
    )


def etcd_flags(
    layout: Layout, m: MemberSpec, *, client_port: int = 2379, peer_port: int = 2380
) -> list[str]:
    """The TLS-related etcd flags for one member of this PKI."""
    server_crt, server_key = layout.member(m.name, "server")
    peer_crt, peer_key = layout.member(m.name, "peer")
    host = _url_host(m.hosts[0])
    return [
        f"--name={m.name}",
        f"--listen-client-urls=https://{host}:{client_port},https://127.0.0.1:{client_port}",
        f"--advertise-client-urls=https://{host}:{client_port}",
        f"--listen-peer-urls=https://{host}:{peer_port}",
        f"--initial-advertise-peer-urls=https://{host}:{peer_port}",
        f"--cert-file={server_crt}",
        f"--key-file={server_key}",
        "--client-cert-auth=true",
        f"--trusted-ca-file={layout.ca_cert}",
        f"--peer-cert-file={peer_crt}",
        f"--peer-key-file={peer_key}",
        "--peer-client-cert-auth=true",
        f"--peer-trusted-ca-file={layout.ca_cert}",
    ]


def apiserver_flags(
    layout: Layout,
    members: Sequence[MemberSpec],
    client: str = "apiserver-etcd-client",
    client_port: int = 2379,
) -> list[str]:
    crt, key = layout.client(client)
    servers = ",".join(f"https://{_url_host(m.hosts[0])}:{client_port}" for m in members)
    return [
        f"--etcd-servers={servers}",
        f"--etcd-cafile={layout.ca_cert}",
        f"--etcd-certfile={crt}",
        f"--etcd-keyfile={key}",
    ]


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# --- renewal ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Renewal:
    cert: Path
    key: Path
    old_not_after: dt.datetime
    new_not_after: dt.datetime
    backup_cert: Path
    backup_key: Path


def leaf_pairs(layout: Layout) -> list[tuple[Path, Path]]:
    """Every leaf certificate with its key under ``root`` (the CA excluded)."""
    pairs = []
    for crt in sorted(layout.root.rglob("*.crt")):
        if crt == layout.ca_cert:
            continue
        key = crt.with_suffix(".key")
        if key.exists():
            pairs.append((crt, key))
    return pairs


def _free_backup(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    n = 1
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{path.name}.bak.{n}")
        n += 1
    return candidate


def renew(
    root: Path,
    *,
    within_days: int = 30,
    days: int = 365,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> list[Renewal]:
    """Re-issue every leaf expiring within ``within_days`` from the same CA and key usages."""
    layout = Layout(Path(root))
    if not (layout.ca_cert.exists() and layout.ca_key.exists()):
        raise UsageError(
            _("{dir} has no ca.crt and ca.key: renew re-issues from the same CA").format(dir=root),
            fix=_("Point at the directory `etcdtui pki init` created."),
        )
    ca = pki.load_issued(layout.ca_cert, layout.ca_key)
    when = now or dt.datetime.now(dt.UTC)
    limit = when + dt.timedelta(days=within_days)
    out: list[Renewal] = []
    for crt, key in leaf_pairs(layout):
        old = x509.load_pem_x509_certificate(read_limited(crt))
        if old.not_valid_after_utc > limit:
            continue
        if not pki.issued_by(old, ca.cert):
            continue  # not ours to re-issue
        usages = pki.usages_of(old)
        cn_attrs = old.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        cn = str(cn_attrs[0].value) if cn_attrs else crt.stem
        new = pki.issue(
            ca,
            cn,
            hosts=pki.sans_of(old),
            server="serverAuth" in usages,
            client="clientAuth" in usages,
            days=days,
        )
        bak_crt, bak_key = _free_backup(crt), _free_backup(key)
        out.append(
            Renewal(
                crt, key, old.not_valid_after_utc, new.cert.not_valid_after_utc, bak_crt, bak_key
            )
        )
        if dry_run:
            continue
        os.rename(crt, bak_crt)
        os.rename(key, bak_key)
        pki.save(new, crt, key)
    return out
