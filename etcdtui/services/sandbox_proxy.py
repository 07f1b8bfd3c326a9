"""The sandbox's fault proxy: a small TCP relay in front of each member's peer port.

Run by the sandbox as ``python -m etcdtui.services.sandbox_proxy DIR``. For every member
with a ``proxy_port`` in ``DIR/sandbox.json`` it listens on 127.0.0.1:proxy_port and relays
bytes to the member's real peer port. Peer TLS passes through untouched: the proxy never
looks inside the stream.

The partition rules are the ``faults`` in sandbox.json (re-read when the file changes or on
SIGHUP). A connection's destination is the member whose proxy port it reached; its source
is the member process that owns the connecting socket (found through /proc), so a rule can
cut one direction (``--from``). A restarted member dials its peers at once, before the
proxy's next look at sandbox.json: an unknown source is looked up again in the file as it
is now, and a connection still unattributed is attributed at each later change of the
file, so a partition holds across a restart of the partitioned member. Modes:

* ``pass``: relay.
* ``drop``: close the connection (new ones are closed as soon as they are accepted).
* ``blackhole``: accept and read, never forward. When healed the connection is closed so
  both sides reconnect with a clean TLS stream.
* ``delay=MS``: forward each chunk MS milliseconds late, with +/-10 % jitter, order kept.

Standard library only, so it starts fast. It exits on SIGTERM, when sandbox.json goes away,
when no member process has run for a minute, or when another live proxy took over: never
an orphan relaying forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
CHUNK = 65536
POLL_S = 0.1
ACK_FILE = "proxy.applied"
ORPHAN_S = 60.0  # exit when no member process has run for this long


def _hex_addr(port: int) -> str:
    return f"0100007F:{port:04X}"


def socket_inode(local_port: int, remote_port: int) -> str | None:
    """Inode of the loopback TCP socket 127.0.0.1:local_port -> 127.0.0.1:remote_port."""
    want_l, want_r = _hex_addr(local_port), _hex_addr(remote_port)
    try:
        with open("/proc/net/tcp", encoding="ascii") as f:
            next(f, None)
            for line in f:
                parts = line.split()
                if len(parts) > 9 and parts[1] == want_l and parts[2] == want_r:
                    return parts[9]
    except OSError:
        return None
    return None


def owner_of(inode: str, pids: dict[str, int]) -> str | None:
    """The member (by name) whose process holds the socket ``inode``."""
    target = f"socket:[{inode}]"
    for name, pid in pids.items():
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"{fd_dir}/{fd}") == target:
                    return name
            except OSError:
                continue
    return None


def mode_for(faults: list[dict[str, Any]], src: str | None, dst: str) -> str:
    """The mode for a connection opened by member ``src`` to member ``dst``'s proxy."""
    for f in faults:
        if f.get("kind") != "partition":
            continue
        name, frm = f.get("member"), f.get("from")
        if frm is None:
            if dst == name or (src is not None and src == name):
                return str(f.get("mode", "pass"))
        elif src == frm and dst == name:
            return str(f.get("mode", "pass"))
    return "pass"


def delay_of(mode: str) -> float:
    return int(mode.split("=", 1)[1]) / 1000.0 if mode.startswith("delay=") else 0.0


class Conn:
    def __init__(
        self,
        proxy: Proxy,
        src: str | None,
        dst: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.proxy, self.src, self.dst = proxy, src, dst
        self.ports: tuple[int, int] | None = None  # (source port, proxy port) while src is unknown
        self.c_reader, self.c_writer = reader, writer
        self.u_writer: asyncio.StreamWriter | None = None
        self.spoiled = False  # bytes were discarded: the TLS stream is broken
        self.tasks: list[asyncio.Task[None]] = []
        self.closed = False

    def mode(self) -> str:
        return mode_for(self.proxy.faults, self.src, self.dst)

    async def run(self, target_port: int) -> None:
        mode = self.mode()
        if mode == "drop":
            self.close()
            return
        u_reader: asyncio.StreamReader | None = None
        if mode == "blackhole":
            self.spoiled = True
        else:
            try:
                u_reader, self.u_writer = await asyncio.wait_for(
                    asyncio.open_connection(HOST, target_port), 2.0
                )
            except (TimeoutError, OSError):
                self.close()
                return
        self.tasks.append(asyncio.ensure_future(self._pump(self.c_reader, "up")))
        if u_reader is not None:
            self.tasks.append(asyncio.ensure_future(self._pump(u_reader, "down")))
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.close()

    async def _pump(self, reader: asyncio.StreamReader, direction: str) -> None:
        queue: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()
        out = self.u_writer if direction == "up" else self.c_writer
        writer_task = asyncio.ensure_future(self._deliver(queue, out))
        last_due = 0.0
        try:
            while not self.closed:
                data = await reader.read(CHUNK)
                if not data:
                    break
                mode = self.mode()
                if mode == "drop":
                    break
                if mode == "blackhole" or out is None:
                    self.spoiled = True
                    continue
                delay = delay_of(mode)
                due = time.monotonic()
                if delay:
                    due += delay * random.uniform(0.9, 1.1)
                last_due = max(last_due, due)
                queue.put_nowait((last_due, data))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            queue.put_nowait((0.0, None))
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer_task, 5.0)
            self.close()

    async def _deliver(
        self, queue: asyncio.Queue[tuple[float, bytes | None]], out: asyncio.StreamWriter | None
    ) -> None:
        while True:
            due, data = await queue.get()
            if data is None or out is None:
                return
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if self.closed:
                return
            try:
                out.write(data)
                await out.drain()
            except OSError:
                return

    def on_rules(self) -> None:
        mode = self.mode()
        if mode == "drop" or (self.spoiled and mode != "blackhole"):
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for w in (self.c_writer, self.u_writer):
            if w is not None:
                with contextlib.suppress(Exception):
                    w.close()
        for t in self.tasks:
            if t is not asyncio.current_task():
                t.cancel()
        self.proxy.conns.discard(self)


class Proxy:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.state_path = directory / "sandbox.json"
        self.mtime: float | None = None
        self.members: dict[str, dict[str, Any]] = {}
        self.faults: list[dict[str, Any]] = []
        self.generation = 0
        self.proxy_pid: int | None = None
        self.servers: dict[int, asyncio.AbstractServer] = {}
        self.conns: set[Conn] = set()
        self.stop = asyncio.Event()
        self.started = time.monotonic()
        self.force = False

    def _read(self) -> bool:
        try:
            mtime = self.state_path.stat().st_mtime_ns
        except FileNotFoundError:
            self.stop.set()
            return False
        if mtime == self.mtime and not self.force:
            return False
        self.force = False
        raw = self._load()
        if raw is None:
            return False
        self.mtime = mtime
        self.members = {m["name"]: m for m in raw.get("members", []) if not m.get("removed")}
        self.faults = list(raw.get("faults", []))
        self.generation = int(raw.get("fault_generation", 0))
        self.proxy_pid = raw.get("proxy_pid")
        return True

    def pids(self) -> dict[str, int]:
        return {n: m["pid"] for n, m in self.members.items() if m.get("pid")}

    def _load(self) -> dict[str, Any] | None:
        """sandbox.json (the sandbox's own small state file), or None while unreadable."""
        try:
            raw = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return None
        return raw if isinstance(raw, dict) else None

    def _pids_on_disk(self) -> dict[str, int]:
        """The member pids as sandbox.json has them now (the rules stay as last applied)."""
        members = (self._load() or {}).get("members", [])
        return {m["name"]: m["pid"] for m in members if m.get("pid") and not m.get("removed")}

    def source(self, src_port: int, proxy_port: int, *, reread: bool = False) -> str | None:
        """The member that opened the connection from ``src_port`` to ``proxy_port``.

        A restarted member dials its peers as soon as it starts, and the sandbox records its
        new pid only just before: ``reread`` looks at sandbox.json again rather than at the
        pids of the last sync."""
        inode = socket_inode(src_port, proxy_port)
        if inode is None:
            return None
        src = owner_of(inode, self.pids())
        if src is None and reread:
            src = owner_of(inode, self._pids_on_disk())
        return src

    async def sync(self) -> None:
        if not self._read():
            return
        for name, m in self.members.items():
            port = m.get("proxy_port")
            if port and port not in self.servers:
                try:
                    self.servers[port] = await asyncio.start_server(
                        self._handler(name), HOST, port, reuse_address=True
                    )
                except OSError as exc:
                    print(f"proxy: cannot listen on {HOST}:{port}: {exc}", file=sys.stderr)
        for conn in list(self.conns):
            if conn.src is None and conn.ports is not None:
                # opened before its member's pid was recorded: a partition of that member
                # must cut it too, or a restarted member would bypass its partition
                conn.src = self.source(*conn.ports)
            conn.on_rules()
        _write_ack(self.dir, self.generation)

    def _handler(self, dst: str) -> Any:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            member = self.members.get(dst)
            if member is None:
                writer.close()
                return
            peer = writer.get_extra_info("peername")
            sock = writer.get_extra_info("sockname")
            ports = (int(peer[1]), int(sock[1])) if peer and sock else None
            src = self.source(*ports, reread=True) if ports else None
            conn = Conn(self, src, dst, reader, writer)
            conn.ports = ports if src is None else None
            self.conns.add(conn)
            await conn.run(int(member["peer_port"]))

        return handle

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop.set)
        loop.add_signal_handler(signal.SIGINT, self.stop.set)
        loop.add_signal_handler(signal.SIGHUP, self._hup)
        last_member = time.monotonic()
        while not self.stop.is_set():
            await self.sync()
            now = time.monotonic()
            if any(_alive(pid) for pid in self.pids().values()):
                last_member = now
            if now - last_member > ORPHAN_S:
                break  # every member is gone: the sandbox is down, do not linger
            # another live proxy took over (the sandbox records its pid right after the
            # start, so only after a moment)
            other = self.proxy_pid
            if now - self.started > 10 and other and other != os.getpid() and _alive(other):
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stop.wait(), POLL_S)
        for conn in list(self.conns):
            conn.close()
        for server in self.servers.values():
            server.close()

    def _hup(self) -> None:
        self.force = True


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _write_ack(directory: Path, generation: int) -> None:
    tmp = directory / (ACK_FILE + ".tmp")
    with contextlib.suppress(OSError):
        tmp.write_text(str(generation))
        os.replace(tmp, directory / ACK_FILE)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m etcdtui.services.sandbox_proxy SANDBOX_DIR", file=sys.stderr)
        return 2
    asyncio.run(Proxy(Path(argv[0])).main())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
