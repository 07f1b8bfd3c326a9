"""Screen snapshots of the certificates and security panes (fake service, fixed reports,
frozen clock)."""

from __future__ import annotations

from typing import Any

from tests.support.screen_apps import SIZE
from tests.support.security_apps import secure_fake_app, show_certs, show_security


def test_svg_certs_pane(snap_compare: Any) -> None:
    assert snap_compare(secure_fake_app(), terminal_size=SIZE, run_before=show_certs)


def test_svg_security_pane(snap_compare: Any) -> None:
    assert snap_compare(secure_fake_app(), terminal_size=SIZE, run_before=show_security)
