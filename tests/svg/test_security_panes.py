"""Screen snapshots of the certificates and security panes (fake service, fixed reports,
frozen clock)."""

from __future__ import annotations

from typing import Any

from tests.support.security_apps import secure_fake_app, show_certs, show_security
from tests.support.snapshot_apps import SIZE


def test_snapshot_certs_pane(snap_compare: Any) -> None:
    assert snap_compare(secure_fake_app(), terminal_size=SIZE, run_before=show_certs)


def test_snapshot_security_pane(snap_compare: Any) -> None:
    assert snap_compare(secure_fake_app(), terminal_size=SIZE, run_before=show_security)
