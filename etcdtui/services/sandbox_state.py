"""A sandbox directory: its state file (members, ports, pids, token), paths,
certificates and how to connect to it; the ports and /proc looks the sandbox uses.

:class:`etcdtui.services.sandbox.Sandbox` (lifecycle and fault verbs) builds on
:class:`SandboxDir`.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.errors import SandboxError
from etcdtui.i18n import _
from etcdtui.paths import default_sandbox_dir, ensure_private_dir
from etcdtui.safeio import read_limited, write_private
from etcdtui.services.child_env import scrubbed_env
from etcdtui.services.tls import pki

STATE_FILE = "sandbox.json"
HOST = "127.0.0.1"


@dataclass
class MemberProc:
    name: str
    client_port: int
    peer_port: int
    pid: int | None = None
    removed: bool = False
    member_id: str | None = None  # etcd's member ID (hex) once known: whose data dir it is
    proxy_port: int | None = None  # the fault proxy's port, advertised instead of peer_port
    binary: str | None = None  # this member's etcd, when it differs (rolling upgrades)
    metrics_port: int | None = None  # --listen-metrics-urls port, when the sandbox has one

    @property
    def peer_url(self) -> str:
        """The peer URL the member advertises (the fault proxy's, when there is one)."""
        return f"https://{HOST}:{self.proxy_port or self.peer_port}"

    @property
    def listen_peer_url(self) -> str:
        return f"https://{HOST}:{self.peer_port}"


DEFAULT_ELECTION_MS = 1000  # etcd's --election-timeout when the sandbox sets none


@dataclass
class SandboxState:
    token: str
    members: list[MemberProc] = field(default_factory=list)
    client_tls: bool = True
    client_cert_auth: bool = True
    binary: str | None = None
    quota_bytes: int | None = None
    created: str = ""
    # fault machinery (etcdtui.services.sandbox_faults)
    fault_proxy: bool = False
    proxy_pid: int | None = None
    faults: list[dict[str, Any]] = field(default_factory=list)
    fault_generation: int = 0
    heartbeat_ms: int | None = None
    election_ms: int | None = None
    listen_metrics: str | None = None  # "http" | "https": /metrics on its own port

    @property
    def election_timeout_ms(self) -> int:
        """The members' --election-timeout: the sandbox's own, or etcd's default."""
        return self.election_ms or DEFAULT_ELECTION_MS

    def member(self, name: str) -> MemberProc:
        for m in self.members:
            if m.name == name:
                return m
        known = ", ".join(m.name for m in self.members) or _("none")
        raise SandboxError(
            _("the sandbox has no member named {name!r} (members: {known})").format(
                name=name, known=known
            )
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def free_ports(n: int, avoid: Sequence[int] = ()) -> list[int]:
    """``n`` distinct free ports, none in ``avoid``. The sockets stay bound until all are
    chosen: asked one at a time, the kernel may hand out the same port twice."""
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        for _attempt in range(n + 50):
            if len(ports) == n:
                break
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)
            s.bind((HOST, 0))
            port = int(s.getsockname()[1])
            if port not in avoid:
                ports.append(port)
    finally:
        for s in held:
            s.close()
    if len(ports) != n:
        raise SandboxError(_("no free ports on {host}").format(host=HOST))
    return ports


def process_state(pid: int) -> str | None:
    """Linux process state letter ('R', 'S', 'T' stopped, 'Z' zombie) or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [p.decode(errors="replace") for p in raw.split(b"\0") if p]


class SandboxDir:
    """The files of one sandbox (use :class:`etcdtui.services.sandbox.Sandbox`)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.dir = Path(directory) if directory else default_sandbox_dir()
        self.state: SandboxState | None = self._load()
        self._last_start = 0.0
        self.notes: list[str] = []  # things up() found and fixed, for the operator

    # --- paths ----------------------------------------------------------------------

    @property
    def pki_dir(self) -> Path:
        return self.dir / "pki"

    @property
    def ca_cert(self) -> Path:
        return self.pki_dir / "ca.crt"

    @property
    def client_cert(self) -> Path:
        return self.pki_dir / "operator.crt"

    @property
    def client_key(self) -> Path:
        return self.pki_dir / "operator.key"

    def data_dir(self, name: str) -> Path:
        return self.dir / "data" / name

    def log_path(self, name: str) -> Path:
        return self.dir / "logs" / f"{name}.log"

    def member_cert(self, name: str, kind: str) -> tuple[Path, Path]:
        base = self.pki_dir / "members" / name
        return base / f"{kind}.crt", base / f"{kind}.key"

    # --- state ----------------------------------------------------------------------

    def _load(self) -> SandboxState | None:
        path = self.dir / STATE_FILE
        try:
            raw = json.loads(read_limited(path).decode("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SandboxError(
                _("the sandbox state file {path} is unreadable: {why}").format(path=path, why=exc),
                fix=_("Stop its processes by hand and move the directory aside."),
            ) from None
        members = [MemberProc(**m) for m in raw.pop("members", [])]
        return SandboxState(members=members, **raw)

    def _save(self) -> None:
        assert self.state is not None
        write_private(self.dir / STATE_FILE, json.dumps(asdict(self.state), indent=2))

    def exists(self) -> bool:
        return self.state is not None

    def running_members(self) -> list[MemberProc]:
        if self.state is None:
            return []
        return [m for m in self.state.members if not m.removed and self.is_running(m)]

    def is_running(self, m: MemberProc) -> bool:
        if m.pid is None:
            return False
        st = process_state(m.pid)
        return st is not None and st != "Z" and self._owns(m)

    def is_paused(self, m: MemberProc) -> bool:
        return m.pid is not None and process_state(m.pid) == "T" and self._owns(m)

    def _owns(self, m: MemberProc) -> bool:
        """Only a process whose command line names this member's data dir is ours."""
        assert m.pid is not None
        args = cmdline(m.pid)
        want = str(self.data_dir(m.name))
        return f"--data-dir={want}" in args or (
            "--data-dir" in args and args[args.index("--data-dir") + 1 :][:1] == [want]
        )

    # --- connection -----------------------------------------------------------------

    def settings(self, *, context: str = "sandbox", timeout: float = 2.0) -> ConnectionSettings:
        if self.state is None:
            raise SandboxError(
                _("no sandbox in {dir}").format(dir=self.dir), fix=_("Run: etcdtui sandbox up")
            )
        active = [m for m in self.state.members if not m.removed]
        scheme = "https" if self.state.client_tls else "http"
        return ConnectionSettings(
            endpoints=tuple(f"{scheme}://{HOST}:{m.client_port}" for m in active),
            cacert=self.ca_cert,
            cert=self.client_cert if self.state.client_tls else None,
            key=self.client_key if self.state.client_tls else None,
            insecure=not self.state.client_tls,
            timeout=timeout,
            context=context,
            source="sandbox",
            metrics_urls=tuple(self.metrics_url(m) for m in active if m.metrics_port),
        )

    def metrics_url(self, m: MemberProc) -> str:
        """The member's --listen-metrics-urls (empty when the sandbox has none)."""
        if self.state is None or not self.state.listen_metrics or not m.metrics_port:
            return ""
        return f"{self.state.listen_metrics}://{HOST}:{m.metrics_port}"

    def client_url(self, m: MemberProc) -> str:
        scheme = "https" if self.state is None or self.state.client_tls else "http"
        return f"{scheme}://{HOST}:{m.client_port}"

    def etcdctl_env(self, endpoints: Sequence[str] | None = None) -> dict[str, str]:
        """Environment for etcdctl pointing at this sandbox (paths only, no secrets)."""
        s = self.settings()
        env = scrubbed_env()
        env.update(
            ETCDCTL_API="3",
            ETCDCTL_ENDPOINTS=",".join(endpoints or s.endpoints),
            ETCDCTL_CACERT=str(self.ca_cert),
        )
        if s.cert and s.key:
            env.update(ETCDCTL_CERT=str(s.cert), ETCDCTL_KEY=str(s.key))
        return env

    # --- PKI --------------------------------------------------------------------------

    def _ensure_ca(self) -> pki.Issued:
        ca_key = self.pki_dir / "ca.key"
        if self.ca_cert.exists():
            return pki.load_issued(self.ca_cert, ca_key)
        ensure_private_dir(self.pki_dir)
        ca = pki.create_ca("etcdtui-sandbox-ca")
        pki.save(ca, self.ca_cert, ca_key)
        operator = pki.issue(ca, "etcdtui-operator", client=True)
        pki.save(operator, self.client_cert, self.client_key)
        return ca

    def _ensure_member_certs(self, name: str) -> None:
        ca = self._ensure_ca()
        for kind in ("server", "peer"):
            crt, key = self.member_cert(name, kind)
            if crt.exists():
                continue
            ensure_private_dir(crt.parent)
            leaf = pki.issue(ca, name, hosts=[HOST, "localhost"], server=True, client=True)
            pki.save(leaf, crt, key)
