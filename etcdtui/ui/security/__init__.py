"""Certificates and security posture in the console.

* :mod:`.source` fetches reports in workers (the service's own ``cert_report`` /
  ``security_scan`` when it has them, as the test fake does; else
  ``etcdtui.services.tls.cert_report`` and ``etcdtui.services.tls.posture``) and posts messages;
* :mod:`.certs_pane` and :mod:`.security_pane` render them;
* the header's nearest-expiry badge is fed by :class:`.source.CertWatch`, which runs
  once at connect and every few minutes, never in the refresh loop.
"""
