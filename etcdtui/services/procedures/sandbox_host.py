"""Host adapter for the local sandbox: the one case where etcdtui runs host steps itself.

Every member of a sandbox lives on 127.0.0.1, so host steps for that address are run
here by starting and stopping the sandbox's own processes; steps for any other host
stay the operator's.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.errors import SandboxError
from etcdtui.i18n import _
from etcdtui.services.child_env import scrubbed_env
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.sandbox_state import HOST, MemberProc

LOCAL_HOSTS = frozenset({HOST, "localhost"})


class SandboxHost:
    has_apiservers = False

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def is_local(self, host: str | None) -> bool:
        return host in LOCAL_HOSTS

    def _member(self, name: str) -> MemberProc | None:
        st = self.sandbox.state
        if st is None:
            return None
        return next((m for m in st.members if m.name == name and not m.removed), None)

    def forget(self, name: str) -> None:
        """The member was removed from the cluster: stop it and drop it from the sandbox."""
        if self._member(name) is not None:
            self.sandbox.mark_removed(name)

    def start_new_member(
        self,
        name: str,
        peer_url: str,
        client_url: str,
        initial_cluster: str,
        member_id: str | None = None,
    ) -> str:
        """Start a joining member with fresh certificates from the sandbox CA.

        Safe to run again: when the sandbox already started this very member (same etcd
        member ID, same ports), a running process is left alone and a stopped one is
        started from its own data dir; only a different member's leftovers are moved
        aside."""
        peer = urlsplit(peer_url).port
        client = urlsplit(client_url).port
        if peer is None or client is None:
            raise SandboxError(
                _("{url}: no port").format(url=peer_url if peer is None else client_url)
            )
        mine = self._member(name)
        if (
            mine is not None
            and member_id is not None
            and mine.member_id == member_id
            and (mine.peer_port, mine.client_port) == (peer, client)
        ):
            if self.sandbox.is_running(mine):
                return _("{name} is already running (pid {pid}): left alone").format(
                    name=name, pid=mine.pid
                )
            self.sandbox.restart_joined(mine, initial_cluster)
            return _("{name} started again from its own data dir").format(name=name)
        self.forget(name)
        certs = self.sandbox.pki_dir / "members" / name
        if certs.exists():  # the replaced member's certs: keep them aside, issue new ones
            certs.rename(certs.with_name(f"{name}.replaced-{time.time_ns()}"))
        self.sandbox._ensure_member_certs(name)
        self.sandbox.join(MemberProc(name, client, peer, member_id=member_id), initial_cluster)
        return _("started {name} locally").format(name=name)

    # --- restore helpers ----------------------------------------------------------------

    def stop(self, name: str) -> str:
        m = self._member(name)
        if m is None:
            return _("{name} is not a sandbox member").format(name=name)
        was = self.sandbox.is_running(m)
        self.sandbox.stop_member(name)
        return (_("stopped {name}") if was else _("{name} was not running")).format(name=name)

    def spawn(self, name: str) -> str:
        m = self._member(name)
        if m is None:
            raise SandboxError(_("{name} is not a sandbox member").format(name=name))
        if not self.sandbox.is_running(m):
            self.sandbox._spawn(m, initial_state="existing")
            self.sandbox._save()
        return _("started {name} (pid {pid})").format(name=name, pid=m.pid)

    def force_new_cluster(self, name: str) -> str:
        """Start ``name`` from its own data dir with --force-new-cluster (a rebuild after
        quorum loss). A member already running is left alone."""
        m = self._member(name)
        if m is None:
            raise SandboxError(_("{name} is not a sandbox member").format(name=name))
        if self.sandbox.is_running(m):
            return _("{name} is already running (pid {pid}): left alone").format(
                name=name, pid=m.pid
            )
        self.sandbox._spawn(m, initial_state="existing", extra=("--force-new-cluster",))
        self.sandbox._save()
        return _("started {name} with --force-new-cluster (pid {pid})").format(name=name, pid=m.pid)

    def swap_binary(self, name: str, binary: str) -> str:
        self.sandbox.set_member_binary(name, Path(binary))
        return _("{name} will run {binary}").format(name=name, binary=binary)

    def wait_healthy(self, timeout: float = 60.0) -> None:
        self.sandbox.wait_healthy(timeout=timeout)

    def data_dir(self, name: str) -> Path:
        return self.sandbox.data_dir(name)

    def run(self, argv: list[str], env: dict[str, str], *, pass_fds: tuple[int, ...] = ()) -> str:
        """Run ``argv``; ``pass_fds`` are inherited under the same numbers (an encrypted
        snapshot's in-memory plaintext, read by the tool as ``/dev/fd/N``)."""
        proc = subprocess.run(
            argv,
            env=scrubbed_env(env),
            pass_fds=pass_fds,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
            raise SandboxError(
                _("{cmd} exited with {rc}: {tail}").format(
                    cmd=Path(argv[0]).name, rc=proc.returncode, tail=tail
                )
            )
        return proc.stdout.strip()


def sandbox_for(settings: ConnectionSettings, sandbox_dir: Path | None = None) -> Sandbox | None:
    """The etcdtui sandbox behind ``settings`` (the one rule, for the CLI, the console's
    wizards and the drills):

    1. an explicit ``sandbox_dir`` (``--sandbox-dir``);
    2. the sandbox that owns the CA file in use (its ``pki/ca.crt``), when its members
       serve the dialled ports on this host: a sandbox outside the default directory;
    3. the default sandbox, when the settings came from it or its ports are the ones
       dialled on this host.
    """
    if sandbox_dir is not None:
        sb = Sandbox(sandbox_dir)
        return sb if sb.state is not None else None
    ca = Path(settings.cacert) if settings.cacert else None
    if ca is not None and ca.parent.name == "pki":
        owner = Sandbox(ca.parent.parent)
        if owner.state is not None and _dials(settings, owner):
            return owner
    sb = Sandbox()
    if sb.state is None:
        return None
    if settings.source == "sandbox" or _dials(settings, sb):
        return sb
    return None


def _dials(settings: ConnectionSettings, sb: Sandbox) -> bool:
    """Every endpoint dialled is one of ``sb``'s client ports on this host."""
    assert sb.state is not None
    ports = {m.client_port for m in sb.state.members}
    dialled = [urlsplit(u) for u in settings.endpoints]
    return bool(dialled) and all(u.hostname in LOCAL_HOSTS and u.port in ports for u in dialled)
