"""The certificates and security panes' registrations and the header's certificate
badge text (no etcd, no console)."""

from __future__ import annotations

from etcdtui.ui.security.certs_pane import CertsPane
from etcdtui.ui.security.security_pane import SecurityPane


def test_cert_pane_is_registered() -> None:
    from etcdtui.ui import actions, panes

    assert panes.pane("certs") is not None and panes.pane("security") is not None
    assert actions.by_command("certs") is not None and actions.by_command("security") is not None
    assert CertsPane.BINDINGS and SecurityPane.BINDINGS


def test_header_text_levels() -> None:
    import dataclasses as dc

    from etcdtui.services.tls.cert_report import CertReport
    from etcdtui.ui.security.check_results import CertsResult, header_text
    from tests.support.fakes import fake_cert_report

    certs = fake_cert_report().certs
    soon = dc.replace(certs[0], days_left=5, not_after=certs[1].not_after)
    ok = [dc.replace(c, days_left=100) for c in certs]
    assert header_text(CertsResult(CertReport((soon, *certs[2:])), 0.0)) == (
        "✖ certs 5d",
        "critical",
    )
    assert header_text(CertsResult(CertReport(tuple(ok)), 0.0)) == ("certs 100d", "ok")
    assert header_text(CertsResult(None, 0.0, "no TLS")) == ("certs ?", "warning")
    assert header_text(CertsResult(CertReport(()), 0.0)) is None
    assert header_text(None) is None
