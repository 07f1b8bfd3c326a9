"""The sandbox: a real local etcd cluster with mutual TLS on 127.0.0.1.

etcdtui starts it itself (the etcd that ``services.binaries.choose_etcd`` picks: a
fetched current 3.5, or another binary) for demos, training drills and the test suite.
Everything lives in one directory:

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
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from etcdtui import errors
from etcdtui.domain.membership import initial_cluster
from etcdtui.errors import SandboxError
from etcdtui.i18n import _
from etcdtui.paths import ensure_private_dir
from etcdtui.safeio import read_tail
from etcdtui.services import sandbox_faults, sandbox_followers
from etcdtui.services.binaries import binary_version, choose_etcd, find_binary
from etcdtui.services.child_env import scrubbed_env
from etcdtui.services.processes import KILL_WAIT_S, terminate, wait_gone
from etcdtui.services.sandbox_state import (
    DEFAULT_ELECTION_MS,
    HOST,
    STATE_FILE,
    MemberProc,
    SandboxDir,
    SandboxState,
    free_ports,
    process_state,
)


class Sandbox(SandboxDir):
    def settle(self, seconds: float = 5.5) -> None:
        """Wait until ``seconds`` have passed since this object last started a member.

        etcd's strict reconfiguration check refuses membership changes ("unhealthy
        cluster") until the members have been connected for 5 s; drills and tests that
        reconfigure right after a start wait here first."""
        remaining = self._last_start + seconds - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

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
        fault_proxy: bool = False,
        heartbeat_ms: int | None = None,
        election_ms: int | None = None,
        listen_metrics: str | None = None,
    ) -> SandboxState:
        """Start the cluster (or the members that are down) and wait until it is healthy.

        ``fault_proxy`` (fixed when the sandbox is created) puts each member's advertised
        peer URL on the fault proxy, so it can be partitioned. ``heartbeat_ms`` and
        ``election_ms`` are etcd's --heartbeat-interval and --election-timeout.
        ``listen_metrics`` ("http" or "https", fixed at creation) serves each member's
        /metrics on a port of its own on 127.0.0.1 (etcd's --listen-metrics-urls; https
        uses the client TLS settings)."""
        if members < 1 or members > 7:
            raise errors.UsageError(_("a sandbox has 1 to 7 members"))
        if listen_metrics not in (None, "http", "https"):
            raise errors.UsageError(_("--listen-metrics takes http or https"))
        _check_timings(heartbeat_ms, election_ms)
        if self.state is None:
            ensure_private_dir(self.dir)
            self.state = SandboxState(
                token=f"etcdtui-sandbox-{secrets.token_hex(4)}",
                members=[
                    MemberProc(
                        f"m{i}", ports[0], ports[1], proxy_port=ports[2] if fault_proxy else None
                    )
                    for i, ports in enumerate(_chunks(free_ports(3 * members), 3), start=1)
                ],
                client_tls=client_tls,
                client_cert_auth=client_cert_auth,
                binary=str(binary) if binary else None,
                quota_bytes=quota_bytes,
                created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                fault_proxy=fault_proxy,
                heartbeat_ms=heartbeat_ms,
                election_ms=election_ms,
                listen_metrics=listen_metrics,
            )
            if listen_metrics:
                taken = [p for m in self.state.members for p in (m.client_port, m.peer_port)]
                for m, port in zip(
                    self.state.members, free_ports(members, avoid=taken), strict=True
                ):
                    m.metrics_port = port
            for m in self.state.members:
                self._ensure_member_certs(m.name)
            self._save()
            fresh = True
        else:
            fresh = False
            if any(self.is_running(m) for m in self.state.members if not m.removed):
                names = _run_sync(self._cluster_member_names)
                if names is not None:
                    self.reconcile(names)
            if heartbeat_ms or election_ms:
                # timings apply from the next start of each member
                self.state.heartbeat_ms = heartbeat_ms or self.state.heartbeat_ms
                self.state.election_ms = election_ms or self.state.election_ms
                _check_timings(self.state.heartbeat_ms, self.state.election_ms)
        sandbox_faults.ensure_proxy(self)
        for m in self.state.members:
            if m.removed or self.is_running(m):
                continue
            self._spawn(m, initial_state="new" if fresh else "existing")
        self._save()
        self.wait_healthy(timeout=wait)
        if self._last_start:
            self._last_start = time.monotonic()  # see start()
        return self.state

    async def _cluster_member_names(self) -> set[str] | None:
        """Names in the cluster's own member list, or None when no member answers."""
        from etcdtui.services.cluster import ClusterService

        try:
            async with ClusterService(self.settings(timeout=2.0)) as svc:
                members = await svc.members()
        except errors.EtcdtuiError:
            return None
        return {m.name for m in members.members if m.name} | {
            u for m in members.members for u in m.peer_urls
        }

    def reconcile(self, cluster_names: set[str]) -> list[str]:
        """``cluster_names``: the names and peer URLs in the cluster's member list. Mark
        removed every record the cluster no longer lists (a member removed from
        the console, by etcdctl, or by a rollback); returns their names. The records are
        the sandbox's own bookkeeping: the cluster's member list is the truth."""
        assert self.state is not None
        gone = [
            m.name
            for m in self.state.members
            if not m.removed and m.name not in cluster_names and m.peer_url not in cluster_names
        ]
        for name in gone:
            self.mark_removed(name)
        return gone

    def _refresh_contexts(self) -> None:
        """Membership changed: tell whoever follows it (the saved contexts that dial this
        sandbox get the current endpoints; see sandbox_followers)."""
        sandbox_followers.members_changed(self)

    def _initial_cluster(self, extra: MemberProc | None = None) -> str:
        assert self.state is not None
        ms = [m for m in self.state.members if not m.removed]
        if extra is not None and extra not in ms:
            ms.append(extra)
        return initial_cluster((m.name, m.peer_url) for m in ms)

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
            f"--listen-peer-urls={m.listen_peer_url}",
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
        if self.state.heartbeat_ms:
            flags.append(f"--heartbeat-interval={self.state.heartbeat_ms}")
        if self.state.election_ms:
            flags.append(f"--election-timeout={self.state.election_ms}")
        if self.metrics_url(m):
            flags.append(f"--listen-metrics-urls={self.metrics_url(m)}")
        return flags

    def binary(self, m: MemberProc | None = None) -> Path:
        assert self.state is not None
        if m is not None and m.binary:
            return Path(m.binary)
        return Path(self.state.binary) if self.state.binary else find_binary("etcd")

    def etcd_info(self) -> dict[str, str]:
        """Which etcd binary the sandbox runs, its version and why it was chosen.

        Read from the running members' ``/proc/<pid>/exe`` where one runs (the truth),
        otherwise from what the next start would use."""
        assert self.state is not None
        if self.state.binary:
            path = Path(self.state.binary)
            source, reason = "fixed", _("fixed by --etcd-binary when the sandbox was created")
        else:
            choice = choose_etcd()
            path, source, reason = choice.bin_dir / "etcd", choice.source, choice.reason
        for m in self.running_members():
            try:
                exe = Path(os.readlink(f"/proc/{m.pid}/exe"))
            except OSError:
                continue
            if exe.resolve() != path.resolve():
                path, source = exe, "running"
                reason = _("the binary the running members were started with")
            break
        return {
            "etcd_version": binary_version(path),
            "etcd_bin_dir": str(path.parent),
            "etcd_source": source,
            "etcd_reason": reason,
        }

    def set_member_binary(self, name: str, binary: Path) -> None:
        """Run ``name`` with another etcd from its next start (a rolling upgrade step).
        The member must be stopped."""
        assert self.state is not None
        m = self.state.member(name)
        if self.is_running(m):
            raise SandboxError(
                _("{name} is running: stop it before swapping its binary").format(name=name)
            )
        m.binary = str(binary)
        self._save()

    def _spawn(
        self,
        m: MemberProc,
        *,
        initial_state: str,
        initial_cluster: str | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        ensure_private_dir(self.dir / "logs")
        ensure_private_dir(self.data_dir(m.name).parent)
        log = open(self.log_path(m.name), "ab")
        try:
            proc = subprocess.Popen(
                [
                    str(self.binary(m)),
                    *self.member_flags(
                        m, initial_state=initial_state, initial_cluster=initial_cluster
                    ),
                    *extra,
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
            for m in list(want):
                if m.pid is None or process_state(m.pid) in (None, "Z"):
                    tail = self.log_tail(m.name, 200)
                    if "permanently removed" in tail:
                        # removed from the cluster behind the sandbox's back (console,
                        # etcdctl, a rollback): drop the record, and say so
                        self.mark_removed(m.name)
                        want.remove(m)
                        self.notes.append(
                            _(
                                '{name} was removed from the cluster earlier (etcd: "the '
                                'member has been permanently removed from the cluster"); '
                                "the sandbox no longer starts it."
                            ).format(name=m.name)
                        )
                        continue
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
        """SIGKILL the member and return once it is gone. A signal reaches a process
        asynchronously: returning earlier let a following :meth:`start` see the dying
        process as running and start nothing."""
        m = self._signal(name, signal.SIGKILL)
        pid = m.pid
        assert pid is not None
        if not wait_gone(
            pid, lambda: process_state(pid) in (None, "Z"), timeout=KILL_WAIT_S, poll=0.01
        ):
            raise SandboxError(
                _("member {name} (PID {pid}) is still there after SIGKILL").format(
                    name=name, pid=pid
                ),
                fix=_(
                    "It may be stuck in the kernel (disk wait); check it with: ps -o stat {pid}"
                ).format(pid=pid),
            )

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
        sandbox_faults.ensure_proxy(self)
        self._spawn(m, initial_state="existing")
        self._save()
        self.wait_healthy(timeout=wait, names=[name])
        # its peers may have connected only just now: settle() counts from here
        self._last_start = time.monotonic()

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
            sandbox_faults.stop_all(self)
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
        used = [
            p
            for x in self.state.members
            for p in (x.client_port, x.peer_port, x.proxy_port, x.metrics_port)
            if p
        ]
        client, peer, proxy, metrics = free_ports(4, avoid=used)
        m = MemberProc(name, client, peer, proxy_port=proxy if self.state.fault_proxy else None)
        if self.state.listen_metrics:
            m.metrics_port = metrics
        self._ensure_member_certs(name)
        return m

    def restart_joined(self, m: MemberProc, initial_cluster: str) -> None:
        """Start a member that joined earlier again, from its own data dir (it is never
        moved aside: the member's log lives there)."""
        self._spawn(m, initial_state="existing", initial_cluster=initial_cluster)
        self._save()

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
        self._refresh_contexts()

    def mark_removed(self, name: str) -> None:
        assert self.state is not None
        m = self.state.member(name)
        if m.pid is not None and self.is_running(m):
            _terminate(m.pid, 10.0)
        m.pid = None
        m.removed = True
        self._save()
        self._refresh_contexts()


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _check_timings(heartbeat_ms: int | None, election_ms: int | None) -> None:
    """etcd's own rules: heartbeat >= 1 ms, election >= 5 x heartbeat, election <= 50 s."""
    hb = heartbeat_ms or 100
    el = election_ms or DEFAULT_ELECTION_MS
    if hb < 1 or el > 50_000 or el < 5 * hb:
        raise errors.UsageError(
            _(
                "--heartbeat-interval {hb} ms and --election-timeout {el} ms do not fit: "
                "etcd wants an election timeout of at least 5 heartbeats and at most 50000 ms"
            ).format(hb=hb, el=el),
            fix=_("For example: --heartbeat-interval 100 --election-timeout 1000"),
        )


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


def _terminate(pid: int, timeout: float) -> None:
    terminate(
        pid, lambda: process_state(pid) in (None, "Z"), timeout=timeout, poll=0.05, resume=True
    )
