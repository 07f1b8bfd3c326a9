"""`etcdtui status` reads through etcd's gRPC-JSON gateway unless ETCDTUI_STATUS_TRANSPORT
is "grpc". Tests of the status CLI that take the ``status_transport`` fixture (import it
into the test module) run once per transport."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from etcdtui.ops.status import TRANSPORT_ENV

TRANSPORTS = ("gateway", "grpc")


@pytest.fixture(params=TRANSPORTS)
def status_transport(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Set the transport in os.environ, which the tests' subprocesses inherit."""
    monkeypatch.setenv(TRANSPORT_ENV, request.param)
    yield request.param
