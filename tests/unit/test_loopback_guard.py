"""The suite's own guard for rule 7: a Python socket aimed off loopback is refused."""

from __future__ import annotations

import socket

import pytest


@pytest.mark.parametrize("host", ["10.0.0.1", "192.0.2.7", "example.invalid"])
def test_a_connection_off_loopback_is_refused_before_it_leaves(host: str) -> None:
    with socket.socket() as s, pytest.raises(ConnectionRefusedError, match="loopback only"):
        s.connect((host, 2379))


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as s:
            s.connect(server.getsockname())  # no error: the guard lets loopback through
