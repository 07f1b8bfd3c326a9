"""Certificates and security posture in the console.

* the reports come from the service seam (``ClusterLike.cert_report`` /
  ``security_scan``: :mod:`etcdtui.ui.console_service` runs
  ``etcdtui.services.tls.cert_report`` and ``etcdtui.services.tls.posture``, the test
  fake answers with fixed reports); :mod:`.source` holds the results and messages;
* :mod:`.certs_pane` and :mod:`.security_pane` render them;
* the header's nearest-expiry badge is fed by :class:`.source.CertWatch`, which runs
  once at connect and every few minutes, never in the refresh loop.
"""
