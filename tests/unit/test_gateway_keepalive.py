"""The kept-alive connection of the gateway transport against a scripted HTTP server on
127.0.0.1 (plain HTTP, so each answer's framing is ours to choose): answers framed by
Content-Length, by chunks and by the server closing; a kept connection the server
closed before answering is asked again once on a new one, a new one is not."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.services.etcdapi.gateway import Connection, GatewayPool

Script = Callable[[socket.socket], None]


def _read_request(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:  # our requests here have no body
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data


@pytest.fixture
def server() -> Iterator[Callable[[list[Script]], str]]:
    """An HTTP server answering the n-th connection with the n-th script."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    threads: list[threading.Thread] = []

    def start(scripts: list[Script]) -> str:
        def serve() -> None:
            for script in scripts:  # bounded: one connection per script
                try:
                    conn, _addr = listener.accept()
                except OSError:
                    return
                with conn:
                    conn.settimeout(10)
                    script(conn)

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        threads.append(t)
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    listener.close()
    for t in threads:
        t.join(timeout=10)


def _connection(url: str) -> Connection:
    settings = ConnectionSettings(endpoints=(url,), insecure=True)
    return Connection(GatewayPool(settings).client(url))


def _get(conn: Connection, path: str = "/x") -> tuple[str, bytes]:
    status, _headers, body = conn.request(
        "GET", path, None, time.monotonic() + 5, connect_budget=2.0
    )
    return status, body


def test_length_then_chunks_on_one_connection(server: Callable[[list[Script]], str]) -> None:
    def script(sock: socket.socket) -> None:
        _read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        _read_request(sock)
        sock.sendall(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-Trailer: 1\r\n\r\n"
        )
        _read_request(sock)
        sock.sendall(b"HTTP/1.1 500 Oops\r\nConnection: close\r\n\r\nbroken")

    with _connection(server([script])) as conn:
        assert _get(conn) == ("HTTP/1.1 200 OK", b"hello")
        assert _get(conn) == ("HTTP/1.1 200 OK", b"abcdefg")
        assert conn.sock is not None
        assert _get(conn) == ("HTTP/1.1 500 Oops", b"broken")  # read to the close
        assert conn.sock is None  # the server said close: not kept
        assert conn.opened == 1


def test_kept_connection_closed_by_the_server_is_asked_again_once(
    server: Callable[[list[Script]], str],
) -> None:
    def first(sock: socket.socket) -> None:
        _read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        _read_request(sock)  # then closes without an answer (an idle timeout's race)

    def second(sock: socket.socket) -> None:
        _read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")

    with _connection(server([first, second])) as conn:
        assert _get(conn)[1] == b"a"
        assert _get(conn)[1] == b"b"
        assert conn.opened == 2


def test_new_connection_closed_before_answering_is_an_error(
    server: Callable[[list[Script]], str],
) -> None:
    def closes(sock: socket.socket) -> None:
        _read_request(sock)

    def never(sock: socket.socket) -> None:  # would answer, were it asked again
        _read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")

    url = server([closes, never])
    with _connection(url) as conn, pytest.raises(OSError, match="closed the connection"):
        _get(conn)
    with _connection(url) as conn:  # the second script still waits: it was never used
        assert _get(conn)[1] == b"b"


def test_answer_over_the_limit_is_refused(server: Callable[[list[Script]], str]) -> None:
    def big(sock: socket.socket) -> None:
        _read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        sock.sendall(b"400\r\n" + b"x" * 0x400 + b"\r\n0\r\n\r\n")

    with _connection(server([big])) as conn, pytest.raises(ValueError, match="larger than"):
        conn.request("GET", "/x", None, time.monotonic() + 5, connect_budget=2.0, limit=1000)
    assert conn.sock is None
